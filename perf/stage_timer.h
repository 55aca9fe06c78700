// stage_timer.h: times the engine's stages one at a time, for `v2g bench` (perf/bench.cpp):
// the episode schedule (env/schedule.h) over the whole fleet, a barrier after each phase and a
// clock read after each barrier (so each phase's time is its own), then the ledger's compaction
// and Merkle root, on the CPU (a ThreadTeam's lanes, steady_clock) or on CUDA (one
// cooperative launch, the GPU's nanosecond clock; CUDA events and an NVTX range around the
// episode and each ledger stage so Nsight Systems shows them). Also each device's copy test
// (the peak bandwidth the stages are compared with) and a timed, NVTX-named region for work the
// engine runs through a Backend (the fused loop, the results hand-off).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include "backends/backend.h"
#include "perf/phase_traffic.h"

namespace v2g {

// The stages `v2g bench` times separately: the phases (phase_traffic.h), then the ledger.
constexpr int kStageCompact = kNumPhases;      // transaction emission: compact_transactions
constexpr int kStageMerkle = kNumPhases + 1;   // the episode's Merkle root
constexpr int kNumTimedStages = kNumPhases + 2;

struct StageTiming {
    double seconds[kNumTimedStages] = {};
    int episodes = 0;          // timed episodes
    int64_t transactions = 0;  // compacted and hashed over the episodes (Merkle leaves)
};

// Runs `warmup` untimed and then `episodes` timed learning episodes from `first_episode` at
// `epsilon` on the problem's own host buffers (the state carries on from episode to episode, as
// in training; the warm-up touches the fresh pages of the slot buffers), stage by stage, with
// `threads` lanes of a ThreadTeam as the schedule's lanes (contiguous shares of vehicles and
// communities; a shared table's rows owned by lanes). threads == 1 runs on the caller alone.
StageTiming time_stages_cpu(Problem* problem, int threads, int first_episode, int warmup, int episodes, float epsilon);

// The same on the GPU: the schedule as one cooperative grid per episode (backends/
// cuda_schedule.cuh), each phase timed by the GPU's clock between grid barriers. Throws
// std::runtime_error in a build without CUDA.
StageTiming time_stages_cuda(const Problem& problem, int first_episode, int warmup, int episodes, float epsilon);

// Peak bandwidth of the copy test, in bytes moved per second (a copy of `bytes` counts 2 x bytes:
// read and written), the best of `repeats` copies. CPU: `threads` OpenMP threads each copy their
// slice with memcpy, the buffers first touched by the same threads. CUDA: one device-to-device
// cudaMemcpy. Throws std::runtime_error in a build without CUDA.
double copy_bandwidth_cpu(size_t bytes, int threads, int repeats);
double copy_bandwidth_cuda(size_t bytes, int repeats);

// Seconds `work` takes on the GPU: inside an NVTX range named `name`, between two CUDA events on
// the default stream (work that syncs, like Backend::run_episodes, is timed whole). Throws
// std::runtime_error in a build without CUDA.
double time_cuda_region(const char* name, const std::function<void()>& work);

}  // namespace v2g
