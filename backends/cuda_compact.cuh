// cuda_compact.cuh: an episode's transaction slots compacted on the device in slot order
// (thrust::copy_if is stable: the CPU's order), then numbered and sealed, for the CUDA backend's
// commit and the stage timers. Napkin math: every 48-byte slot read once, each record written
// and then read and written again by the sealing kernel: ~48 B per slot + 144 B per record.
#pragma once
#include <cuda_runtime.h>
#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include "common/cuda_check.h"
#include "ledger/transaction.h"

namespace v2g {
namespace {

struct SlotUsed {
    __host__ __device__ bool operator()(const Transaction& t) const { return t.kind != kTxNone; }
};

__global__ void seal_transactions_kernel(Transaction* tx, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    tx[i].sequence = static_cast<uint32_t>(i);
    tx[i].check = tx_check(tx[i]);
}

// Compacts n_slots slots into `records` (device, room for n_slots); returns how many there are.
int64_t compact_transactions_device(const Transaction* slots, size_t n_slots, Transaction* records) {
    Transaction* end = thrust::copy_if(thrust::cuda::par, slots, slots + n_slots, records, SlotUsed());
    const int64_t n = end - records;
    if (n > 0) seal_transactions_kernel<<<blocks_for(n), kThreadsPerBlock>>>(records, n);
    cuda_check(cudaGetLastError(), "seal transactions");
    return n;
}

}  // namespace
}  // namespace v2g
