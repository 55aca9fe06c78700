// backend.h: what the engine asks of a compute backend. A backend owns a copy of the fleet and
// signal buffers (see layout.h) in its memory and runs whole episodes of the step phases
// (step.h) on them. The CPU backend (cpu_backend.cpp, OpenMP) and the CUDA backend
// (cuda_backend.cu) implement it; the engine never touches device memory itself.
#pragma once
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include "common/cuda_device.h"
#include "env/step.h"
#include "ledger/contracts.h"
#include "ledger/episode_ledger.h"
#include "ledger/transaction.h"

namespace v2g {

// Host images of everything a backend needs, laid out by layout.h.
struct Problem {
    EnvParams params;
    std::vector<char> fleet;    // layout_fleet
    std::vector<char> signals;  // layout_signals (the contract registry included)
    std::vector<Contract> contracts;  // the registry again, for the ledger file's genesis block
};

// A GPU backend's memory: what it allocated itself (device_memory.h's plan plus what grew since),
// and the device's whole use (every context's) of its total. All zero on the CPU.
struct DeviceMemory {
    uint64_t allocated_bytes = 0;
    uint64_t device_used_bytes = 0;
    uint64_t device_total_bytes = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;
    virtual DeviceMemory device_memory() const { return {}; }
    // Runs `count` episodes from `first_episode`, epsilon[i] for episode first_episode + i.
    // Writes count * num_communities metrics, episode-major. With the ledger on
    // (params.ledger_enabled) and `ledger` given, also one EpisodeLedger per episode, keeping the
    // transactions of episodes >= keep_transactions_from.
    virtual void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon,
                              EpisodeMetrics* metrics, EpisodeLedger* ledger = nullptr,
                              int keep_transactions_from = INT_MAX) = 0;
    // Copies the fleet buffer (state and Q-tables) to or from the host; read_fleet copies only
    // the first `bytes` (layout_fleet's state_bytes: everything but the Q-tables) when given.
    virtual void read_fleet(std::vector<char>* fleet, size_t bytes = SIZE_MAX) = 0;
    virtual void write_fleet(const std::vector<char>& fleet) = 0;

    // Evaluation. The plan policy's table (FleetView::plan; params.plan_points must match):
    // kPolicyPlan reads it from the next run_episodes on.
    virtual void set_plan(const std::vector<uint8_t>& plan) = 0;
    // With recording on, every episode fills the step record (step.h record_community);
    // read_record copies the last episode's: [community][step][kRecordFields].
    virtual void set_recording(bool on) = 0;
    virtual void read_record(std::vector<double>* record) = 0;

    // State a learner keeps outside the fleet buffer (the DQN's networks, optimiser, replay),
    // for checkpoints; the tabular learner has none (empty).
    virtual void save_learner(std::vector<char>* state) { state->clear(); }
    virtual void load_learner(const std::vector<char>& state) {
        if (!state.empty()) throw std::invalid_argument("this learner keeps no state outside the fleet buffer");
    }
};

// The CPU backend works in the Problem's own buffers: pass it by std::move to avoid a copy.
std::unique_ptr<Backend> make_cpu_backend(Problem problem, int threads, bool adaptive_threads = true);

// CUDA: available only in a build with V2G_CUDA (common/cuda_device.h: cuda_usable() says
// whether a GPU can run it here).
std::unique_ptr<Backend> make_cuda_backend(const Problem& problem);

}  // namespace v2g
