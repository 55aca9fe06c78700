// device_memory.h: what the CUDA backend allocates on the device for a problem, each buffer by
// name and size, computed from the problem's parameters alone (no fleet needs building). The CUDA
// backend allocates exactly these sizes (cuda_backend.cu takes them from here), so a CPU test
// (tests/test_device_memory.cpp) and docs/PERFORMANCE.md ("Device memory") can say what a GPU
// run needs before any GPU is at hand, and `v2g train --memory-plan` prints it for any config.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "env/env_types.h"

namespace v2g {

struct DeviceAllocation {
    std::string name;   // the buffer, as cuda_backend.cu names it in its cudaMalloc errors
    uint64_t bytes;
    std::string holds;  // what it holds, for the printed plan
};

// The most episodes one run_episodes call holds (the trainer's chunk grows while episodes are
// quick): at most kMaxEpisodesPerCall, and fewer for a large fleet, so that their per-community
// metrics, on the device and on the host, stay within kMaxCallMetricsBytes (the national
// fleet's 100,000 communities: 2 episodes, 54 MB, rather than 256 episodes, 7 GB).
constexpr int kMaxEpisodesPerCall = 256;
constexpr uint64_t kMaxCallMetricsBytes = 64ull << 20;
int max_episodes_per_call(const EnvParams& p);

// The allocations of one CUDA backend. `episodes_per_call`: the episodes of one run_episodes
// call, each with one EpisodeMetrics per community (default: max_episodes_per_call).
// `select_temp_bytes`: CUB's temporary storage for the transaction compaction, which only the
// device can size (the CUDA backend passes it; without it the plan leaves it out and says so).
std::vector<DeviceAllocation> device_memory_plan(const EnvParams& p, int episodes_per_call = 0,
                                                 uint64_t select_temp_bytes = 0);
uint64_t device_memory_total(const std::vector<DeviceAllocation>& plan);
// The size of the named allocation; throws std::logic_error when the plan has none by that name.
uint64_t device_allocation_bytes(const std::vector<DeviceAllocation>& plan, const std::string& name);

// The ledger's transaction slots of one episode, reused after compaction for the Merkle tree's
// levels (merkle.h merkle_scratch_bytes): the larger of the two.
uint64_t tx_slot_buffer_bytes(const EnvParams& p);

// What a commit leaves on the device for the host's one read per episode.
struct DeviceCommitResult {
    uint8_t root[32];   // the episode's Merkle root
    int64_t count;      // its transactions
};

}  // namespace v2g
