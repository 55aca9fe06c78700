// thread_team.h: the host's threads for the CPU backend's episodes, its ledger commit and its
// Merkle trees: one team per backend, made once, whose workers wait between jobs and at barriers
// by spinning briefly and then blocking, so that a waiting thread gives its core away. OpenMP's
// default wait spins (libgomp's GOMP_SPINCOUNT, 300,000 iterations unless OMP_WAIT_POLICY is
// set), which on a shared 2-core machine took the core that the other thread, the results
// writer or another process needed: 2 threads ran 4-18x slower than one at 10^2-10^3 vehicles
// (issue 17), and the fix, OMP_WAIT_POLICY=passive, had to be set by the user. The team needs
// no setting.
//
// A job is split by lane as the OpenMP loops it replaces split it, so results do not depend on
// the team (tests/test_thread_team.cpp; the determinism, lanes and Merkle tests).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace v2g {

class ThreadTeam {
public:
    // A team of `threads` lanes (>= 1): threads - 1 workers, and the caller of run() as lane 0.
    explicit ThreadTeam(int threads);
    ~ThreadTeam();
    ThreadTeam(const ThreadTeam&) = delete;
    ThreadTeam& operator=(const ThreadTeam&) = delete;

    // The lanes a job gets by default and splits its work into: the active ones (all threads
    // unless set_active said fewer; backends/lane_chooser.h picks it by measurement).
    int size() const { return active_; }
    int threads() const { return size_; }
    void set_active(int lanes) { active_ = lanes < 1 ? 1 : lanes > size_ ? size_ : lanes; }

    // Runs job(lane) for lane = 0 .. lanes - 1 (at most threads(); lane 0 on the calling thread)
    // and returns when every lane has finished; rethrows the first exception a lane threw. One
    // job at a time: run() is not reentrant.
    void run(int lanes, const std::function<void(int lane)>& job);
    void run(const std::function<void(int lane)>& job) { run(active_, job); }

    // Called by every lane of the running job: returns once all of them have called it. A lane
    // that throws must not leave the others waiting here (the schedule's phases do not throw).
    void barrier();

    // Iterations a waiting thread spins (a pause each, ~10-50 us in all) before it blocks: long
    // enough to catch the next phase of a busy episode, short enough to give the core away
    // when the wait is long.
    static constexpr int kSpinIterations = 2000;

private:
    void work(int lane);

    int size_;
    int active_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable start_, done_, barrier_open_;
    // The job, published by run() under mutex_ with a new generation.
    const std::function<void(int)>* job_ = nullptr;
    int lanes_ = 0;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> running_{0};  // workers of the job not yet finished
    bool stop_ = false;
    std::exception_ptr error_;
    // The barrier: arrivals of the current phase, and the phase (bumped by the last arrival).
    std::atomic<int> arrived_{0};
    std::atomic<uint64_t> barrier_phase_{0};
};

}  // namespace v2g
