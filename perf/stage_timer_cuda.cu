// stage_timer_cuda.cu: the CUDA side of stage_timer.h. The timed episodes run the schedule
// (schedule.h) as one cooperative grid over the whole fleet (cuda_schedule.cuh), whatever the
// tables' sharing, with a hook that reads the GPU's nanosecond clock on the grid's first thread
// after each phase's grid barrier: each phase's time is its own, without a launch per phase. The
// episode, then the ledger's compaction (as the backend commits) and the device Merkle root,
// are each inside an NVTX range named after the stage. Also the device-to-device copy test and a
// timed NVTX region.
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>
#include <memory>
#include <stdexcept>
#include <string>
#include "common/cuda_check.h"
#include "backends/cuda_compact.cuh"
#include "backends/cuda_schedule.cuh"
#include "env/layout.h"
#include "ledger/merkle.h"
#include "perf/stage_timer.h"

namespace v2g {
namespace {


constexpr float kMsPerSecond = 1000.0f;
constexpr double kSecondsPerNs = 1e-9;

const char* const kStageNames[kNumTimedStages] = {"reset", "act", "market", "apply", "q_update",
                                                  "summarize", "tx_compact", "merkle"};

__device__ unsigned long long gpu_clock_ns() {
    unsigned long long t;
    asm volatile("mov.u64 %0, %globaltimer;" : "=l"(t));
    return t;
}

// The schedule's hooks of a timed episode: device nanoseconds per phase, added up by the grid's
// first thread (the only one the schedule calls hooks on) into ns[kNumPhases].
struct PhaseClock {
    static constexpr bool kChoosesActions = false;
    unsigned long long* ns;
    unsigned long long last;
    __device__ void begin_episode(int) { last = gpu_clock_ns(); }
    __device__ void before_act(int, int) {}
    __device__ void after_phase(int phase, int, int) {
        const unsigned long long now = gpu_clock_ns();
        ns[phase] += now - last;
        last = now;
    }
};

// A device allocation freed on scope exit (the timer throws on any CUDA error).
template <typename T>
struct DeviceBuffer {
    T* ptr = nullptr;
    explicit DeviceBuffer(size_t count, const char* what) {
        if (count > 0) cuda_check(cudaMalloc(&ptr, count * sizeof(T)), what);
    }
    ~DeviceBuffer() { cudaFree(ptr); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// Accumulates the GPU time of launches between a pair of events, under the stage's NVTX range.
class EventTimer {
public:
    EventTimer() {
        cuda_check(cudaEventCreate(&begin_), "cudaEventCreate");
        cuda_check(cudaEventCreate(&end_), "cudaEventCreate");
    }
    ~EventTimer() {
        cudaEventDestroy(begin_);
        cudaEventDestroy(end_);
    }
    template <typename F>
    double operator()(const char* name, const F& launch) {
        nvtxRangePushA(name);
        cuda_check(cudaEventRecord(begin_), "cudaEventRecord");
        launch();
        cuda_check(cudaGetLastError(), name);
        cuda_check(cudaEventRecord(end_), "cudaEventRecord");
        cuda_check(cudaEventSynchronize(end_), name);
        nvtxRangePop();
        float ms = 0.0f;
        cuda_check(cudaEventElapsedTime(&ms, begin_, end_), "cudaEventElapsedTime");
        return ms / kMsPerSecond;
    }

private:
    cudaEvent_t begin_{}, end_{};
};

}  // namespace

StageTiming time_stages_cuda(const Problem& problem, int first_episode, int warmup, int episodes, float epsilon) {
    const EnvParams p = problem.params;
    DeviceBuffer<char> fleet(problem.fleet.size(), "cudaMalloc(fleet)");
    DeviceBuffer<char> signals(problem.signals.size(), "cudaMalloc(signals)");
    cuda_check(cudaMemcpy(fleet.ptr, problem.fleet.data(), problem.fleet.size(), cudaMemcpyHostToDevice), "upload fleet");
    cuda_check(cudaMemcpy(signals.ptr, problem.signals.data(), problem.signals.size(), cudaMemcpyHostToDevice),
          "upload signals");
    FleetView f{};
    SignalsView sig{};
    layout_fleet(p, fleet.ptr, &f);
    layout_signals(p, signals.ptr, &sig);
    // The ledger's buffers as the backend has them (device_memory.h): the slots' buffer holds
    // the Merkle levels after compaction.
    const size_t n_slots = p.ledger_enabled ? static_cast<size_t>(slots_per_episode(p)) : 0;
    const size_t slot_buffer_bytes = tx_slot_buffer_bytes(p);
    DeviceBuffer<char> slot_buffer(slot_buffer_bytes, "cudaMalloc(tx slots)");
    Transaction* slots = reinterpret_cast<Transaction*>(slot_buffer.ptr);
    DeviceBuffer<Transaction> compacted(n_slots, "cudaMalloc(transactions)");
    DeviceBuffer<uint8_t> used(n_slots, "cudaMalloc(tx used)");
    std::unique_ptr<DeviceLedgerCommit> commit;
    if (p.ledger_enabled) commit = std::make_unique<DeviceLedgerCommit>(n_slots);
    f.tx_slots = slots;
    f.tx_used = used.ptr;
    DeviceBuffer<EpisodeMetrics> out(static_cast<size_t>(p.num_communities), "cudaMalloc(metrics)");
    const int nc = p.num_communities;
    DeviceBuffer<float> sums(static_cast<size_t>(nc) * kNumCommunitySums, "cudaMalloc(market sums)");
    DeviceBuffer<unsigned long long> phase_ns(kNumPhases, "cudaMalloc(phase clock)");
    std::unique_ptr<DeviceRowSort> sort;  // the fleet-shared update's counting sort, as the backend has it
    if (p.q_sharing == kQPerFleet) sort = std::make_unique<DeviceRowSort>(p, device_memory_plan(p));
    const unsigned int blocks = fleet_grid_blocks<PhaseClock>(p);
    EventTimer timed;
    StageTiming t;
    for (int e = 0; e < warmup + episodes; ++e) {
        const int episode = first_episode + e;
        if (e == warmup) {  // the warm-up is not counted
            t = StageTiming{};
            cuda_check(cudaMemset(phase_ns.ptr, 0, kNumPhases * sizeof(unsigned long long)), "clear phase clock");
        }
        timed("episode", [&] {
            launch_fleet_episode(blocks, p, sig, f, episode, kPolicyLearn, epsilon, sums.ptr,
                                 sort ? sort->scratch() : RowSortScratch{}, out.ptr,
                                 PhaseClock{phase_ns.ptr, 0});
        });
        if (p.ledger_enabled) {
            t.seconds[kStageCompact] += timed(kStageNames[kStageCompact], [&] {
                commit->compact(slots, used.ptr, compacted.ptr);
            });
            t.seconds[kStageMerkle] += timed(kStageNames[kStageMerkle], [&] {
                commit->hash(compacted.ptr, slot_buffer.ptr, slot_buffer_bytes);
            });
            t.transactions += commit->read().count;
        }
        ++t.episodes;
    }
    unsigned long long ns[kNumPhases] = {};
    cuda_check(cudaMemcpy(ns, phase_ns.ptr, sizeof ns, cudaMemcpyDeviceToHost), "read phase clock");
    for (int phase = 0; phase < kNumPhases; ++phase) t.seconds[phase] = static_cast<double>(ns[phase]) * kSecondsPerNs;
    return t;
}

double copy_bandwidth_cuda(size_t bytes, int repeats) {
    DeviceBuffer<char> src(bytes, "cudaMalloc(copy test)"), dst(bytes, "cudaMalloc(copy test)");
    cuda_check(cudaMemset(src.ptr, 1, bytes), "cudaMemset(copy test)");
    cuda_check(cudaMemset(dst.ptr, 0, bytes), "cudaMemset(copy test)");
    EventTimer timed;
    double best = 0.0;
    for (int r = 0; r < repeats; ++r) {
        const double s = timed("copy_test", [&] {
            cuda_check(cudaMemcpy(dst.ptr, src.ptr, bytes, cudaMemcpyDeviceToDevice), "copy test");
        });
        if (s > 0) best = best > 2.0 * static_cast<double>(bytes) / s ? best : 2.0 * static_cast<double>(bytes) / s;
    }
    return best;
}

double time_cuda_region(const char* name, const std::function<void()>& work) {
    EventTimer timed;
    return timed(name, work);
}

}  // namespace v2g
