// batch_launch.h: the launchers of a batch of independent problems (a sweep's configurations,
// each with its own parameters, shapes, buffers and ledger): episode by episode, the
// communities of every problem run in one OpenMP loop (CPU) or one kernel launch (CUDA: a
// thread block per community, whichever problem it belongs to), so a sweep of small problems
// fills the cores or the GPU that one small problem would leave idle. Each problem's numbers
// are those of its own run_episodes, bit for bit: the same phase code runs on the same buffers
// in the same order within a community, and communities are independent.
#pragma once
#include <climits>
#include <stdexcept>
#include <string>
#include <vector>
#include "backends/backend.h"

namespace v2g {

// One problem's share of a batch: what its own Backend::run_episodes would be asked.
struct BatchRequest {
    Backend* backend = nullptr;      // made by make_cpu_backend (run_cpu_batch) or make_cuda_backend
    int first_episode = 0;
    int count = 0;
    PolicyMode mode = kPolicyLearn;
    const float* epsilon = nullptr;  // count values
    EpisodeMetrics* metrics = nullptr;  // count * communities
    EpisodeLedger* ledger = nullptr;    // count, or null
    int keep_transactions_from = INT_MAX;
};

// The requests' backends as the launcher's own type B, and the most episodes any asks for.
// Throws std::invalid_argument (naming `launcher` and `kind`) for a backend of another type.
template <typename B>
std::vector<B*> batch_backends(const std::vector<BatchRequest>& requests, const char* launcher, const char* kind,
                               int* episodes) {
    std::vector<B*> backends;
    *episodes = 0;
    for (const BatchRequest& r : requests) {
        auto* b = dynamic_cast<B*>(r.backend);
        if (!b) throw std::invalid_argument(std::string(launcher) + ": a backend that is not a " + kind + " backend");
        backends.push_back(b);
        *episodes = r.count > *episodes ? r.count : *episodes;
    }
    return backends;
}

// Runs every request, `threads` OpenMP threads over all problems' communities. Throws
// std::invalid_argument for a backend that is not a CPU backend.
void run_cpu_batch(const std::vector<BatchRequest>& requests, int threads);
// The same on the GPU (cuda_backend.cu): the problems with per-vehicle or per-community tables
// in one launch per episode, those with a fleet-shared table in their own cooperative launches.
// Throws std::invalid_argument for a backend that is not a CUDA backend, std::runtime_error in a
// build without CUDA.
void run_cuda_batch(const std::vector<BatchRequest>& requests);

}  // namespace v2g
