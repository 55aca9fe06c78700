// phase_kernels.cuh: one CUDA kernel per step phase over the whole fleet (a thread per vehicle
// or per community), for the paths that launch the phases one by one: a fleet-shared table's
// episodes (cuda_backend.cu) and the per-stage timings of `v2g bench` (stage_timer_cuda.cu).
// Napkin math for each: the phase's bytes per element (kernels/phase_traffic.h counts them) over
// the device's bandwidth; a launch costs a few microseconds, which at small fleets dominates.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include "step.h"

namespace v2g {
namespace {

__global__ void reset_kernel(EnvParams p, FleetView f, int episode) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < p.num_communities) reset_community(f, i);
    if (i < p.num_vehicles) reset_vehicle(p, f, i, episode);
}
__global__ void act_kernel(EnvParams p, SignalsView sig, FleetView f, int episode, int step, int mode, float eps) {
    const int v = blockIdx.x * blockDim.x + threadIdx.x;
    if (v < p.num_vehicles) act_vehicle(p, sig, f, v, episode, step, mode, eps);
}
__global__ void clear_kernel(EnvParams p, SignalsView sig, FleetView f, int episode, int step) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < p.num_communities) clear_community(p, sig, f, c, episode, step);
}
__global__ void apply_kernel(EnvParams p, SignalsView sig, FleetView f, int episode, int step) {
    const int v = blockIdx.x * blockDim.x + threadIdx.x;
    if (v < p.num_vehicles) apply_vehicle(p, sig, f, v, episode, step);
}
__global__ void record_kernel(EnvParams p, FleetView f, int step) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < p.num_communities) record_community(p, f, c, step, f.step_record);
}
// Fleet-shared table: kFleetLearnOwners threads, each updating the rows it owns in vehicle
// order (step.h learn_fleet_rows), instead of one thread for the whole fleet. Napkin math: each
// owner reads the 4-byte state of every vehicle (a warp reads the same address: one broadcast
// load per warp), so the state array is read owners / 32 times per step; the updates
// themselves (one Q row read and written per plugged-in vehicle) are spread over the owners.
constexpr int kFleetLearnOwners = 1024;
constexpr int kFleetLearnBlock = 256;
__global__ void learn_fleet_rows_kernel(EnvParams p, FleetView f) {
    const int owner = blockIdx.x * blockDim.x + threadIdx.x;
    if (owner < kFleetLearnOwners) learn_fleet_rows(p, f, owner, kFleetLearnOwners);
}
__global__ void summarize_kernel(EnvParams p, FleetView f, EpisodeMetrics* out) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < p.num_communities) out[c] = summarize_community(p, f, c);
}

}  // namespace
}  // namespace v2g
