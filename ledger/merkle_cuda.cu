// merkle_cuda.cu: the CUDA Merkle hasher of merkle.h: RFC 6962 roots of fixed-size records that
// already live in device memory, level by level, one thread per node, the portable SHA-256 of
// sha256.h (the very code the CPU reference runs). Only the 32-byte root comes back.
//
// Napkin math for n 48-byte records (H100: ~16 G SHA-256 compressions/s, 3.35 TB/s HBM3):
//   compressions: n leaves x 1 + (n - 1) nodes x 2 ~ 3n       -> ~5 G leaves/s if compute bound
//   bytes moved:  leaves read 48 B + leaf hash written 32 B; each node reads 64 B, writes 32 B;
//                 ~ 80n + 96n ~ 176 B per leaf                 -> ~19 G leaves/s if memory bound
//   so the hasher is compute bound (SHA-256 rounds), ~3 ms for 2^24 leaves, plus one launch per
//   level (ceil(log2 n) + 1 launches, a few microseconds each).
// Levels ping-pong between two scratch arrays: A (n digests) holds even levels, B (ceil(n/2))
// odd ones; level j has ceil(n / 2^j) nodes, so both always fit.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common/cuda_device.h"
#include "common/cuda_check.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"

namespace v2g::ledger {
namespace {


__global__ void leaf_kernel(const uint8_t* leaves, size_t leaf_bytes, size_t n, Digest* out) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) sha256_leaf(leaves + i * leaf_bytes, leaf_bytes, out[i].bytes);
}

// One thread per node of the next level: m nodes in, ceil(m/2) out; an odd last one is copied.
__global__ void node_kernel(const Digest* in, size_t m, Digest* out) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t pairs = m / 2;
    if (i < pairs)
        sha256_node(in[2 * i].bytes, in[2 * i + 1].bytes, out[i].bytes);
    else if (i == pairs && m % 2 == 1)
        out[i] = in[m - 1];
}

struct DeviceBuffer {
    void* p = nullptr;
    explicit DeviceBuffer(size_t bytes) { cuda_check(cudaMalloc(&p, bytes > 0 ? bytes : 1), "cudaMalloc"); }
    ~DeviceBuffer() { cudaFree(p); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

bool merkle_cuda_usable(std::string* why) { return v2g::cuda_usable(why); }

Digest merkle_root_fixed_device(const uint8_t* device_leaves, size_t leaf_bytes, size_t n, void* device_scratch,
                                size_t scratch_bytes) {
    if (n == 0) return empty_tree_root();
    if (scratch_bytes < merkle_scratch_bytes(n))
        throw std::runtime_error("merkle_root_fixed_device: scratch of " + std::to_string(scratch_bytes) +
                                 " bytes, needs " + std::to_string(merkle_scratch_bytes(n)));
    Digest* cur = static_cast<Digest*>(device_scratch);
    Digest* nxt = cur + n;
    leaf_kernel<<<blocks_for(n), kThreadsPerBlock>>>(device_leaves, leaf_bytes, n, cur);
    cuda_check(cudaGetLastError(), "leaf_kernel launch");
    for (size_t m = n; m > 1; m = m / 2 + m % 2) {
        node_kernel<<<blocks_for(m / 2 + m % 2), kThreadsPerBlock>>>(cur, m, nxt);
        cuda_check(cudaGetLastError(), "node_kernel launch");
        Digest* t = cur;
        cur = nxt;
        nxt = t;
    }
    Digest root;
    cuda_check(cudaMemcpy(&root, cur, sizeof root, cudaMemcpyDeviceToHost), "cudaMemcpy root");  // synchronises
    return root;
}

Digest merkle_root_fixed_cuda(const uint8_t* host_leaves, size_t leaf_bytes, size_t n) {
    std::string why;
    if (!merkle_cuda_usable(&why)) throw std::runtime_error("no usable GPU: " + why);
    DeviceBuffer leaves(n * leaf_bytes), scratch(merkle_scratch_bytes(n));
    if (n * leaf_bytes > 0)
        cuda_check(cudaMemcpy(leaves.p, host_leaves, n * leaf_bytes, cudaMemcpyHostToDevice), "cudaMemcpy leaves");
    return merkle_root_fixed_device(static_cast<const uint8_t*>(leaves.p), leaf_bytes, n, scratch.p,
                                    merkle_scratch_bytes(n));
}

}  // namespace v2g::ledger
