// cuda_schedule.cuh: the episode schedule (schedule.h) as CUDA kernels, for the CUDA backend
// (cuda_backend.cu) and the stage timers (stage_timer_cuda.cu).
//
// Per-vehicle and per-community tables: one block per community runs its whole episode (all
// steps) in one launch, its threads the schedule's lanes, __syncthreads() the sync, the market
// sums in shared memory. Napkin math (per vehicle-step, per-vehicle table, defaults): ~30 floats
// of SoA state read and written (~240 B) plus two Q rows (2 x 20 B, really 2 x 32 B sectors) ->
// memory bound; at ~4 TB/s ~1.5e10 vehicle-steps/s at best. A 50-vehicle community in a 64-thread
// block leaves 14 threads idle in the vehicle phases; the sums give 6 lanes work each.
//
// A fleet-shared table couples the communities: one cooperative launch over the whole fleet,
// the grid's threads the lanes, the grid's barrier the sync (no launch per phase), the grid as
// large as can be resident at once (a cooperative launch's condition). The update sorts the
// vehicles by state each step (env/row_sort.h: a stable counting sort over tiles of the fleet,
// then a thread per live row, ~30-40 B per vehicle-step), so no thread scans the whole fleet.
#pragma once
#include <cooperative_groups.h>
#include <cuda_runtime.h>
#include <vector>
#include "backends/device_memory.h"
#include "common/cuda_check.h"
#include "env/schedule.h"

namespace v2g {

struct BlockSync {
    __device__ void operator()() const { __syncthreads(); }
};

struct GridSync {
    __device__ void operator()() const { cooperative_groups::this_grid().sync(); }
};

constexpr int kThreadsPerCommunityBlock = 64;  // >= a default community (50 vehicles)
// Without the sort (the stage timers' fleet span of one community's table) a shared table's
// rows are owned by this many threads, each scanning every vehicle (step.h learn_rows).
constexpr int kFleetLearnOwners = 1024;

// Community `c`'s episode by the calling block.
template <typename Hooks>
__device__ void community_episode(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c, int episode,
                                  int mode, float epsilon, Hooks& hooks, EpisodeMetrics* out) {
    __shared__ float sums[kNumCommunitySums];
    Lanes lanes;
    lanes.lane = static_cast<int>(threadIdx.x);
    lanes.count = static_cast<int>(blockDim.x);
    lanes.strided = true;
    lanes.row_owners = lanes.count;
    run_episode_schedule(p, sig, f, c, c + 1, episode, mode, epsilon, lanes, BlockSync{}, hooks, sums, out);
}

// The fleet's episode by the whole (cooperative) grid. `sums`: kNumCommunitySums floats per
// community, in global memory; `sort`: the update's counting sort (row_sort.h; null pointers
// unless the table is fleet-shared).
template <typename Hooks>
__global__ void fleet_episode_kernel(EnvParams p, SignalsView sig, FleetView f, int episode, int mode, float epsilon,
                                     float* sums, RowSortScratch sort, EpisodeMetrics* out, Hooks hooks) {
    Lanes lanes;
    lanes.lane = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    lanes.count = static_cast<int>(gridDim.x * blockDim.x);
    lanes.strided = true;
    lanes.row_owners = kFleetLearnOwners;
    lanes.row_sort = sort;
    run_episode_schedule(p, sig, f, 0, p.num_communities, episode, mode, epsilon, lanes, GridSync{}, hooks, sums, out);
}

// The grid of fleet_episode_kernel<Hooks> on this device: enough blocks for the widest phase
// (every vehicle, or every community's sums), no more than can be resident at once.
template <typename Hooks>
unsigned int fleet_grid_blocks(const EnvParams& p) {
    int device = 0, cooperative = 0, sms = 0, per_sm = 0;
    cuda_check(cudaGetDevice(&device), "cudaGetDevice");
    cuda_check(cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device), "cudaDeviceGetAttribute");
    if (!cooperative)
        throw std::runtime_error("this GPU cannot run cooperative launches, which a fleet-shared Q-table needs "
                                 "(learning.q_sharing = \"fleet\"); use --device cpu");
    cuda_check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
    cuda_check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fleet_episode_kernel<Hooks>, kThreadsPerBlock, 0),
               "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    if (per_sm < 1) throw std::runtime_error("fleet_episode_kernel cannot be resident on this GPU");
    const int64_t widest = p.num_vehicles > static_cast<int64_t>(p.num_communities) * kNumCommunitySums
                               ? p.num_vehicles
                               : static_cast<int64_t>(p.num_communities) * kNumCommunitySums;
    const unsigned int needed = blocks_for(widest), resident = static_cast<unsigned int>(per_sm * sms);
    return needed < resident ? needed : resident;
}

// The fleet-shared update's sort scratch on the device (row_sort.h), sized by the device memory
// plan, its counts zeroed (the sort leaves them so after every step).
class DeviceRowSort {
public:
    DeviceRowSort(const EnvParams& p, const std::vector<DeviceAllocation>& plan) {
        const uint64_t count_bytes = device_allocation_bytes(plan, "row sort counts");
        cuda_check(cudaMalloc(&s_.tile_counts, count_bytes), "cudaMalloc(row sort counts)");
        cuda_check(cudaMemset(s_.tile_counts, 0, count_bytes), "clear row sort counts");
        cuda_check(cudaMalloc(&s_.key_start, device_allocation_bytes(plan, "row sort starts")),
                   "cudaMalloc(row sort starts)");
        cuda_check(cudaMalloc(&s_.order, device_allocation_bytes(plan, "row sort order")), "cudaMalloc(row sort order)");
        s_.tiles = row_sort_tiles(p, p.num_vehicles);
    }
    ~DeviceRowSort() {
        cudaFree(s_.tile_counts);
        cudaFree(s_.key_start);
        cudaFree(s_.order);
    }
    DeviceRowSort(const DeviceRowSort&) = delete;
    DeviceRowSort& operator=(const DeviceRowSort&) = delete;
    const RowSortScratch& scratch() const { return s_; }

private:
    RowSortScratch s_;
};

template <typename Hooks>
void launch_fleet_episode(unsigned int blocks, const EnvParams& p, const SignalsView& sig, const FleetView& f,
                          int episode, int mode, float epsilon, float* sums, const RowSortScratch& sort,
                          EpisodeMetrics* out, Hooks hooks) {
    EnvParams p_arg = p;
    SignalsView sig_arg = sig;
    FleetView f_arg = f;
    RowSortScratch sort_arg = sort;
    void* args[] = {&p_arg, &sig_arg, &f_arg, &episode, &mode, &epsilon, &sums, &sort_arg, &out, &hooks};
    cuda_check(cudaLaunchCooperativeKernel(reinterpret_cast<void*>(fleet_episode_kernel<Hooks>), dim3(blocks),
                                           dim3(kThreadsPerBlock), args, 0, nullptr),
               "fleet episode launch");
}

}  // namespace v2g
