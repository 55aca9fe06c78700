// batch.cpp: the batch executor and its member backends (see batch.h).
#include "train/batch.h"

#include <stdexcept>
#include <string>
#include "train/trainer.h"

namespace v2g {
namespace {

// A backend whose episodes run in the executor's batched launches. Everything else (fleet
// copies, plans, records, learner state) is its own backend's, called from the member's own
// thread while it is not waiting: the executor touches a member only while it waits.
class MemberBackend final : public Backend {
public:
    MemberBackend(BatchExecutor* executor, int index, std::unique_ptr<Backend> own)
        : executor_(executor), index_(index), own_(std::move(own)) {}
    ~MemberBackend() override { executor_->leave(index_); }

    std::string name() const override { return own_->name() + ", batched"; }
    void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon, EpisodeMetrics* metrics,
                      EpisodeLedger* ledger, int keep_transactions_from) override {
        executor_->submit(index_, BatchRequest{own_.get(), first_episode, count, mode, epsilon, metrics, ledger,
                                               keep_transactions_from});
    }
    void read_fleet(std::vector<char>* fleet, size_t bytes) override { own_->read_fleet(fleet, bytes); }
    void write_fleet(const std::vector<char>& fleet) override { own_->write_fleet(fleet); }
    void set_plan(const std::vector<uint8_t>& plan) override { own_->set_plan(plan); }
    void set_recording(bool on) override { own_->set_recording(on); }
    void read_record(std::vector<double>* record) override { own_->read_record(record); }

private:
    BatchExecutor* executor_;
    int index_;
    std::unique_ptr<Backend> own_;
};

}  // namespace

BatchExecutor::BatchExecutor(int members, int threads)
    : state_(static_cast<size_t>(members), State::kRunning), pending_(static_cast<size_t>(members)),
      generation_(static_cast<size_t>(members), 0), cuda_(static_cast<size_t>(members), false), threads_(cpu_threads(threads)) {}

std::unique_ptr<Backend> BatchExecutor::member_backend(int index, Problem problem, bool cuda) {
    if (index < 0 || index >= static_cast<int>(state_.size()))
        throw std::out_of_range("batch member " + std::to_string(index) + " of " + std::to_string(state_.size()));
    // One thread per member backend: its own work (the ledger commit) runs inside the batch's
    // launch, which spreads the members over the cores instead.
    constexpr int kMemberThreads = 1;
    {
        std::lock_guard<std::mutex> guard(mutex_);
        cuda_[index] = cuda;
    }
    return std::make_unique<MemberBackend>(this, index, cuda ? make_cuda_backend(problem)
                                                             : make_cpu_backend(std::move(problem), kMemberThreads));
}

void BatchExecutor::submit(int index, const BatchRequest& request) {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned ticket = generation_[index];
    pending_[index] = request;
    state_[index] = State::kWaiting;
    run_if_all_arrived(lock);
    cv_.wait(lock, [&] { return generation_[index] != ticket; });
    if (failure_) std::rethrow_exception(failure_);  // every member of a failed launch fails
}

void BatchExecutor::leave(int index) {
    std::unique_lock<std::mutex> lock(mutex_);
    state_[index] = State::kGone;
    run_if_all_arrived(lock);
}

// The last member to arrive (or to leave) launches for everyone waiting. Members that are
// still running their own host code (writing results, say) are waited for: a launch covers
// every member that will ask, so the cores see one big launch, not many small ones.
void BatchExecutor::run_if_all_arrived(std::unique_lock<std::mutex>& lock) {
    if (launching_) return;
    std::vector<int> waiting;
    for (size_t k = 0; k < state_.size(); ++k) {
        if (state_[k] == State::kRunning) return;
        if (state_[k] == State::kWaiting) waiting.push_back(static_cast<int>(k));
    }
    if (waiting.empty()) return;
    std::vector<BatchRequest> on_cpu, on_gpu;
    for (int k : waiting) (cuda_[k] ? on_gpu : on_cpu).push_back(pending_[k]);
    launching_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
        if (!on_gpu.empty()) run_cuda_batch(on_gpu);
        if (!on_cpu.empty()) run_cpu_batch(on_cpu, threads_);
    } catch (...) {
        failure = std::current_exception();
    }
    lock.lock();
    if (failure) failure_ = failure;
    launching_ = false;
    ++launches_;
    for (int k : waiting) {
        state_[k] = State::kRunning;
        ++generation_[k];
    }
    cv_.notify_all();
}

}  // namespace v2g
