// cuda_compact.cuh: an episode's ledger commit on the device, for the CUDA backend and the stage
// timers: the used transaction slots compacted in slot order (cub::DeviceSelect::Flagged on the
// slots' used flags is stable: the CPU's order) into the transactions buffer, numbered and
// sealed, and hashed into a Merkle root whose levels reuse the slots' buffer (dead once
// compacted; device_memory.h sizes it for both).
// The count stays on the device: CUB writes it there, the sealing kernel and the Merkle levels
// read it there, and the host reads the root and the count in one 40-byte copy, the episode's
// one synchronisation. CUB's temporary storage is sized once, for every slot, and reused; no
// episode allocates.
//
// Napkin math (bytes per slot, H200 ~4.3 TB/s): the select reads each slot's used flag (1 B) and
// each kept record (48 B, in 32-byte sectors) and writes it (48 B); the sealing kernel reads and
// writes each record (96 B); the Merkle levels: ~176 B per record (merkle_cuda.cu). ~1 B per
// slot + ~370 B per record; with ~1/3 of the slots used, ~125 B per slot: ~30 us per million
// slots if memory bound (the Merkle rounds make it compute bound, ~0.2 ms per million records).
#pragma once
#include <cuda_runtime.h>
#include <cub/device/device_select.cuh>
#include "backends/device_memory.h"
#include "common/cuda_check.h"
#include "ledger/merkle.h"
#include "ledger/transaction.h"

namespace v2g {
namespace {

constexpr unsigned int kSealBlocks = 1024;  // a grid-stride loop: the count is on the device

__global__ void seal_transactions_kernel(Transaction* tx, const int64_t* count) {
    const int64_t n = *count;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        tx[i].sequence = static_cast<uint32_t>(i);
        tx[i].check = tx_check(tx[i]);
    }
}

class DeviceLedgerCommit {
public:
    // For episodes of n_slots slots; allocates CUB's temporary storage and the result.
    explicit DeviceLedgerCommit(size_t n_slots) : n_slots_(n_slots) {
        cuda_check(cub::DeviceSelect::Flagged(nullptr, temp_bytes_, static_cast<const Transaction*>(nullptr),
                                              static_cast<const uint8_t*>(nullptr), static_cast<Transaction*>(nullptr),
                                              static_cast<int64_t*>(nullptr), static_cast<int64_t>(n_slots_)),
                   "cub::DeviceSelect::Flagged (sizing)");
        cuda_check(cudaMalloc(&temp_, temp_bytes_ > 0 ? temp_bytes_ : 1), "cudaMalloc(compaction scratch)");
        cuda_check(cudaMalloc(&result_, sizeof(DeviceCommitResult)), "cudaMalloc(commit result)");
    }
    ~DeviceLedgerCommit() {
        cudaFree(temp_);
        cudaFree(result_);
    }
    DeviceLedgerCommit(const DeviceLedgerCommit&) = delete;
    DeviceLedgerCommit& operator=(const DeviceLedgerCommit&) = delete;

    size_t temp_bytes() const { return temp_bytes_; }

    // The used slots (used[i] != 0) into `records` (room for n_slots), numbered and sealed; the
    // count on the device.
    void compact(const Transaction* slots, const uint8_t* used, Transaction* records) {
        size_t bytes = temp_bytes_;
        cuda_check(cub::DeviceSelect::Flagged(temp_, bytes, slots, used, records, &result_->count,
                                              static_cast<int64_t>(n_slots_)),
                   "cub::DeviceSelect::Flagged");
        seal_transactions_kernel<<<kSealBlocks, kThreadsPerBlock>>>(records, &result_->count);
        cuda_check(cudaGetLastError(), "seal transactions");
    }
    // The records' Merkle root on the device, its levels in `scratch` (the slots' buffer:
    // tx_slot_buffer_bytes).
    void hash(const Transaction* records, void* scratch, size_t scratch_bytes) {
        ledger::merkle_root_fixed_device_async(reinterpret_cast<const uint8_t*>(records), sizeof(Transaction),
                                               &result_->count, n_slots_, scratch, scratch_bytes,
                                               reinterpret_cast<ledger::Digest*>(result_->root));
    }
    // The root and the count: waits for the work above.
    DeviceCommitResult read() const {
        DeviceCommitResult r;
        cuda_check(cudaMemcpy(&r, result_, sizeof r, cudaMemcpyDeviceToHost), "read commit result");
        return r;
    }

private:
    size_t n_slots_ = 0;
    size_t temp_bytes_ = 0;
    void* temp_ = nullptr;
    DeviceCommitResult* result_ = nullptr;
};

}  // namespace
}  // namespace v2g
