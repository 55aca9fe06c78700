// stage_timer_cuda.cu: the CUDA side of stage_timer.h. Each phase of a step is its own launch
// over the whole fleet (one thread per vehicle or per community; the Q-update in vehicle order
// on one thread per community, or on one thread for a fleet-shared table, as the CUDA backend
// orders it), bracketed by CUDA events and inside an NVTX range named after its stage; then the
// ledger's compaction (thrust::copy_if, stable, and the sealing kernel, as the backend commits)
// and the device Merkle root. Also the device-to-device copy test and a timed NVTX region.
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>
#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include <stdexcept>
#include <string>
#include "cuda_check.h"
#include "phase_kernels.cuh"
#include "layout.h"
#include "ledger/merkle.h"
#include "stage_timer.h"

namespace v2g {
namespace {

void check(cudaError_t e, const char* what) { cuda_check(e, what); }

constexpr int kThreadsPerBlock = 256;
constexpr float kMsPerSecond = 1000.0f;
int blocks_for(int64_t n) { return static_cast<int>((n + kThreadsPerBlock - 1) / kThreadsPerBlock); }

const char* const kStageNames[kNumTimedStages] = {"reset", "act", "market", "apply", "q_update",
                                                  "summarize", "tx_compact", "merkle"};

__global__ void learn_kernel(EnvParams p, FleetView f) {  // per-vehicle tables
    const int v = blockIdx.x * blockDim.x + threadIdx.x;
    if (v < p.num_vehicles) learn_vehicle(p, f, v);
}
__global__ void learn_by_community_kernel(EnvParams p, FleetView f) {  // per-community tables, vehicle order
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < p.num_communities)
        for (int v = community_begin(p, c); v < community_end(p, c); ++v) learn_vehicle(p, f, v);
}
__global__ void seal_kernel(Transaction* tx, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    tx[i].sequence = static_cast<uint32_t>(i);
    tx[i].check = tx_check(tx[i]);
}

struct SlotUsed {
    __host__ __device__ bool operator()(const Transaction& t) const { return t.kind != kTxNone; }
};

// A device allocation freed on scope exit (the timer throws on any CUDA error).
template <typename T>
struct DeviceBuffer {
    T* ptr = nullptr;
    explicit DeviceBuffer(size_t count, const char* what) {
        if (count > 0) check(cudaMalloc(&ptr, count * sizeof(T)), what);
    }
    ~DeviceBuffer() { cudaFree(ptr); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// Accumulates the GPU time of launches between a pair of events, under the stage's NVTX range.
class EventTimer {
public:
    EventTimer() {
        check(cudaEventCreate(&begin_), "cudaEventCreate");
        check(cudaEventCreate(&end_), "cudaEventCreate");
    }
    ~EventTimer() {
        cudaEventDestroy(begin_);
        cudaEventDestroy(end_);
    }
    template <typename F>
    double operator()(const char* name, const F& launch) {
        nvtxRangePushA(name);
        check(cudaEventRecord(begin_), "cudaEventRecord");
        launch();
        check(cudaGetLastError(), name);
        check(cudaEventRecord(end_), "cudaEventRecord");
        check(cudaEventSynchronize(end_), name);
        nvtxRangePop();
        float ms = 0.0f;
        check(cudaEventElapsedTime(&ms, begin_, end_), "cudaEventElapsedTime");
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
    check(cudaMemcpy(fleet.ptr, problem.fleet.data(), problem.fleet.size(), cudaMemcpyHostToDevice), "upload fleet");
    check(cudaMemcpy(signals.ptr, problem.signals.data(), problem.signals.size(), cudaMemcpyHostToDevice),
          "upload signals");
    FleetView f{};
    SignalsView sig{};
    layout_fleet(p, fleet.ptr, &f);
    layout_signals(p, signals.ptr, &sig);
    const size_t n_slots = p.ledger_enabled ? static_cast<size_t>(slots_per_episode(p)) : 0;
    DeviceBuffer<Transaction> slots(n_slots, "cudaMalloc(tx slots)");
    DeviceBuffer<Transaction> compacted(n_slots, "cudaMalloc(transactions)");
    const size_t scratch_bytes = p.ledger_enabled ? ledger::merkle_scratch_bytes(n_slots) : 0;
    DeviceBuffer<char> scratch(scratch_bytes, "cudaMalloc(merkle scratch)");
    f.tx_slots = slots.ptr;
    DeviceBuffer<EpisodeMetrics> out(static_cast<size_t>(p.num_communities), "cudaMalloc(metrics)");
    const int nv = p.num_vehicles, nc = p.num_communities;
    EventTimer timed;
    StageTiming t;
    for (int e = 0; e < warmup + episodes; ++e) {
        const int episode = first_episode + e;
        if (e == warmup) t = StageTiming{};  // the warm-up is not counted
        t.seconds[kPhaseReset] += timed(kStageNames[kPhaseReset], [&] {
            reset_kernel<<<blocks_for(nv > nc ? nv : nc), kThreadsPerBlock>>>(p, f, episode);
        });
        for (int step = 0; step < p.steps_per_day; ++step) {
            t.seconds[kPhaseAct] += timed(kStageNames[kPhaseAct], [&] {
                act_kernel<<<blocks_for(nv), kThreadsPerBlock>>>(p, sig, f, episode, step, kPolicyLearn, epsilon);
            });
            t.seconds[kPhaseMarket] += timed(kStageNames[kPhaseMarket], [&] {
                clear_kernel<<<blocks_for(nc), kThreadsPerBlock>>>(p, sig, f, episode, step);
            });
            t.seconds[kPhaseApply] += timed(kStageNames[kPhaseApply], [&] {
                apply_kernel<<<blocks_for(nv), kThreadsPerBlock>>>(p, sig, f, episode, step);
            });
            t.seconds[kPhaseLearn] += timed(kStageNames[kPhaseLearn], [&] {
                if (p.q_sharing == kQPerVehicle)
                    learn_kernel<<<blocks_for(nv), kThreadsPerBlock>>>(p, f);
                else if (p.q_sharing == kQPerCommunity)
                    learn_by_community_kernel<<<blocks_for(nc), kThreadsPerBlock>>>(p, f);
                else
                    learn_fleet_rows_kernel<<<kFleetLearnOwners / kFleetLearnBlock, kFleetLearnBlock>>>(p, f);
            });
        }
        t.seconds[kPhaseSummarize] += timed(kStageNames[kPhaseSummarize], [&] {
            summarize_kernel<<<blocks_for(nc), kThreadsPerBlock>>>(p, f, out.ptr);
        });
        if (p.ledger_enabled) {
            int64_t n = 0;
            t.seconds[kStageCompact] += timed(kStageNames[kStageCompact], [&] {
                Transaction* end = thrust::copy_if(thrust::cuda::par, slots.ptr, slots.ptr + n_slots, compacted.ptr,
                                                   SlotUsed());
                n = end - compacted.ptr;
                if (n > 0) seal_kernel<<<blocks_for(n), kThreadsPerBlock>>>(compacted.ptr, n);
            });
            t.seconds[kStageMerkle] += timed(kStageNames[kStageMerkle], [&] {
                ledger::merkle_root_fixed_device(reinterpret_cast<const uint8_t*>(compacted.ptr), sizeof(Transaction),
                                                 static_cast<size_t>(n), scratch.ptr, scratch_bytes);
            });
            t.transactions += n;
        }
        ++t.episodes;
    }
    return t;
}

double copy_bandwidth_cuda(size_t bytes, int repeats) {
    DeviceBuffer<char> src(bytes, "cudaMalloc(copy test)"), dst(bytes, "cudaMalloc(copy test)");
    check(cudaMemset(src.ptr, 1, bytes), "cudaMemset(copy test)");
    check(cudaMemset(dst.ptr, 0, bytes), "cudaMemset(copy test)");
    EventTimer timed;
    double best = 0.0;
    for (int r = 0; r < repeats; ++r) {
        const double s = timed("copy_test", [&] {
            check(cudaMemcpy(dst.ptr, src.ptr, bytes, cudaMemcpyDeviceToDevice), "copy test");
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
