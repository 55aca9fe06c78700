// batch.h: trains several configurations together (a batched sweep), on the CPU or the GPU. Each member is
// an ordinary training run on its own host thread (Trainer, results file, ledger writer,
// checkpoints: all unchanged), whose backend does not run its episodes itself: it hands them
// to the BatchExecutor and waits. When every member still training is waiting, the last to
// arrive runs all their episodes in shared launches (backends/batch_launch.h) and wakes them. So
// each configuration's results are those of training it alone, bit for bit, while the cores or
// the GPU work on all of them at once.
#pragma once
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>
#include "backends/backend.h"
#include "backends/batch_launch.h"

namespace v2g {

class BatchExecutor {
public:
    // `members`: how many runs will join; `threads`: OpenMP threads of each launch (0 = all).
    BatchExecutor(int members, int threads);
    BatchExecutor(const BatchExecutor&) = delete;
    BatchExecutor& operator=(const BatchExecutor&) = delete;

    // Member `index`'s backend: a CPU (or, with `cuda`, a CUDA) backend of `problem` whose
    // run_episodes joins the batch. Destroying it (or calling leave) tells the executor the
    // member trains no more.
    std::unique_ptr<Backend> member_backend(int index, Problem problem, bool cuda = false);

    // Called by the member backends (batch.cpp).
    void submit(int index, const BatchRequest& request);  // blocks until the episodes ran
    void leave(int index);

    int launches() const { return launches_; }  // batched launches so far (for tests and stats)

private:
    enum class State { kRunning, kWaiting, kGone };
    void run_if_all_arrived(std::unique_lock<std::mutex>& lock);

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<State> state_;
    std::vector<BatchRequest> pending_;
    std::vector<unsigned> generation_;  // a member's request is done when its generation moves on
    std::vector<bool> cuda_;            // the member's backend is a CUDA one
    int threads_;
    int launches_ = 0;
    bool launching_ = false;
    std::exception_ptr failure_;        // a failed launch: every member waiting on it rethrows
};

}  // namespace v2g
