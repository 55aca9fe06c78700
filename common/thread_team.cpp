// thread_team.cpp: see thread_team.h.
#include "common/thread_team.h"

#include <stdexcept>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace v2g {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Spins until done() or kSpinIterations; true when done() held.
template <typename Done>
bool spin_until(const Done& done) {
    for (int i = 0; i < ThreadTeam::kSpinIterations; ++i) {
        if (done()) return true;
        cpu_relax();
    }
    return done();
}

}  // namespace

ThreadTeam::ThreadTeam(int threads) : size_(threads < 1 ? 1 : threads), active_(size_) {
    workers_.reserve(static_cast<size_t>(size_ - 1));
    for (int lane = 1; lane < size_; ++lane) workers_.emplace_back([this, lane] { work(lane); });
}

ThreadTeam::~ThreadTeam() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadTeam::run(int lanes, const std::function<void(int)>& job) {
    if (lanes < 1 || lanes > size_) throw std::invalid_argument("ThreadTeam::run: lanes out of range");
    if (lanes > 1) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            lanes_ = lanes;
            error_ = nullptr;
            arrived_.store(0, std::memory_order_relaxed);
            running_.store(size_ - 1, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
        }
        start_.notify_all();
    } else {
        lanes_ = 1;
    }
    std::exception_ptr mine;
    try {
        job(0);
    } catch (...) {
        mine = std::current_exception();
    }
    if (lanes > 1) {
        // Every worker reports, those without a lane in this job too, so that none is still
        // reading job_ when run() returns.
        if (!spin_until([this] { return running_.load(std::memory_order_acquire) == 0; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [this] { return running_.load(std::memory_order_acquire) == 0; });
        }
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = nullptr;
        if (!mine) mine = error_;
    }
    if (mine) std::rethrow_exception(mine);
}

void ThreadTeam::work(int lane) {
    uint64_t seen = 0;
    for (;;) {
        if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            start_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
        const std::function<void(int)>* job = nullptr;
        int lanes = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            seen = generation_.load(std::memory_order_acquire);
            if (stop_) return;
            job = job_;
            lanes = lanes_;
        }
        if (job && lane < lanes) {
            try {
                (*job)(lane);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
        }
        if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> lock(mutex_);  // the caller may be about to wait
            done_.notify_one();
        }
    }
}

void ThreadTeam::barrier() {
    const int lanes = lanes_;
    if (lanes <= 1) return;
    const uint64_t phase = barrier_phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == lanes) {
        // The last to arrive opens the barrier for everyone: the count first, as the others
        // cannot arrive at the next barrier before they see the new phase.
        arrived_.store(0, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            barrier_phase_.store(phase + 1, std::memory_order_release);
        }
        barrier_open_.notify_all();
        return;
    }
    const auto open = [&] { return barrier_phase_.load(std::memory_order_acquire) != phase; };
    if (spin_until(open)) return;
    std::unique_lock<std::mutex> lock(mutex_);
    barrier_open_.wait(lock, open);
}

}  // namespace v2g
