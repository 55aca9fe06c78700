// merkle_cuda.cu: the CUDA Merkle hasher of merkle.h: RFC 6962 roots of fixed-size records that
// already live in device memory, level by level, one thread per node, the portable SHA-256 of
// sha256.h (the very code the CPU reference runs). Only the 32-byte root comes back, or, for an
// episode's transactions whose count only the device knows, nothing: the root stays on the device.
//
// Napkin math for n 48-byte records (H200: ~16 G SHA-256 compressions/s by estimate, 4.3 TB/s):
//   compressions: n leaves x 1 + (n - 1) nodes x 2 ~ 3n       -> ~5 G leaves/s if compute bound
//   bytes moved:  leaves read 48 B + leaf hash written 32 B; each node reads 64 B, writes 32 B;
//                 ~ 80n + 96n ~ 176 B per leaf                 -> ~24 G leaves/s if memory bound
//   so the hasher is compute bound (SHA-256 rounds), ~3 ms for 2^24 leaves, plus one launch per
//   level (ceil(log2 n) + 2 launches, a few microseconds each).
// Levels ping-pong between two scratch arrays: A (n digests) holds even levels, B (ceil(n/2))
// odd ones; level j has ceil(n / 2^j) nodes, so both always fit.
// Registers: a transaction's leaf is one compression whose block is built in registers
// (sha256_leaf_one_block); __launch_bounds__ caps the ledger's kernels at 64 registers (4 blocks
// of 256 threads per SM: full occupancy), which ptxas meets without spilling
// (docs/PERFORMANCE.md, "Kernel resources"; scripts/gpu-check ptxas checks it).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common/cuda_device.h"
#include "common/cuda_check.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"
#include "ledger/transaction.h"

namespace v2g::ledger {
namespace {

constexpr int kMinBlocksPerSm = 4;  // 4 x 256 threads x 64 registers = an SM's 64 K registers

// The number of leaves: the host's, or, when the count lives on the device, the device's.
__device__ size_t leaf_count(size_t n_host, const int64_t* n_device) {
    return n_device ? static_cast<size_t>(*n_device) : n_host;
}

// Nodes at `level` of a tree of n leaves: ceil(n / 2^level).
__device__ size_t level_size(size_t n, int level) {
    return level == 0 ? n : (n >> level) + ((n & ((size_t(1) << level) - 1)) != 0);
}

// The ledger's leaves: 48-byte transactions, one compression each, the block's layout folded to
// constants at compile time (ptxas: 61 registers, no stack).
__global__ void __launch_bounds__(kThreadsPerBlock, kMinBlocksPerSm)
    transaction_leaf_kernel(const uint8_t* leaves, size_t n_host, const int64_t* n_device, Digest* out) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < leaf_count(n_host, n_device))
        sha256_leaf_one_block(leaves + i * kTransactionBytes, kTransactionBytes, out[i].bytes);
}

// Records of any other size (the tests' and benchmarks' odd sizes): the streaming context, whose
// byte buffer lives on the stack (ptxas: ~156 registers, a 120-byte frame). No ledger uses it.
__global__ void leaf_kernel(const uint8_t* leaves, size_t leaf_bytes, size_t n_host, const int64_t* n_device,
                            Digest* out) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < leaf_count(n_host, n_device)) sha256_leaf(leaves + i * leaf_bytes, leaf_bytes, out[i].bytes);
}

// One thread per node of level + 1: m = ceil(n / 2^level) nodes in, ceil(m/2) out; an odd last
// one is copied (so a level of one node is copied up unchanged: a tree smaller than the launch
// plan assumed just carries its root to the top).
__global__ void __launch_bounds__(kThreadsPerBlock, kMinBlocksPerSm)
    node_kernel(const Digest* in, int level, size_t n_host, const int64_t* n_device, Digest* out) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t m = level_size(leaf_count(n_host, n_device), level);
    const size_t pairs = m / 2;
    if (i < pairs)
        sha256_node(in[2 * i].bytes, in[2 * i + 1].bytes, out[i].bytes);
    else if (i == pairs && m % 2 == 1)
        out[i] = in[m - 1];
}

// The root: the top level's one node, or the empty tree's root (SHA-256 of nothing).
__global__ void root_kernel(const Digest* top, const int64_t* n_device, Digest* root) {
    if (*n_device == 0) sha256(nullptr, 0, root->bytes);
    else *root = top[0];
}

// Launches the leaf level and every node level of a tree of at most max_leaves leaves on the
// default stream; returns the scratch array that will hold the top level.
Digest* launch_levels(const uint8_t* leaves, size_t leaf_bytes, size_t n_host, const int64_t* n_device,
                      size_t max_leaves, void* scratch) {
    Digest* cur = static_cast<Digest*>(scratch);
    Digest* nxt = cur + max_leaves;
    if (leaf_bytes == kTransactionBytes)
        transaction_leaf_kernel<<<blocks_for(max_leaves), kThreadsPerBlock>>>(leaves, n_host, n_device, cur);
    else
        leaf_kernel<<<blocks_for(max_leaves), kThreadsPerBlock>>>(leaves, leaf_bytes, n_host, n_device, cur);
    cuda_check(cudaGetLastError(), "leaf_kernel launch");
    int level = 0;
    for (size_t m = max_leaves; m > 1; m = m / 2 + m % 2, ++level) {
        node_kernel<<<blocks_for(m / 2 + m % 2), kThreadsPerBlock>>>(cur, level, n_host, n_device, nxt);
        cuda_check(cudaGetLastError(), "node_kernel launch");
        Digest* t = cur;
        cur = nxt;
        nxt = t;
    }
    return cur;
}

void check_scratch(const char* who, size_t n, size_t scratch_bytes) {
    if (scratch_bytes < merkle_scratch_bytes(n))
        throw std::runtime_error(std::string(who) + ": scratch of " + std::to_string(scratch_bytes) + " bytes, needs " +
                                 std::to_string(merkle_scratch_bytes(n)));
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
    check_scratch("merkle_root_fixed_device", n, scratch_bytes);
    const Digest* top = launch_levels(device_leaves, leaf_bytes, n, nullptr, n, device_scratch);
    Digest root;
    cuda_check(cudaMemcpy(&root, top, sizeof root, cudaMemcpyDeviceToHost), "cudaMemcpy root");  // synchronises
    return root;
}

void merkle_root_fixed_device_async(const uint8_t* device_leaves, size_t leaf_bytes, const int64_t* device_count,
                                    size_t max_leaves, void* device_scratch, size_t scratch_bytes,
                                    Digest* device_root) {
    check_scratch("merkle_root_fixed_device_async", max_leaves, scratch_bytes);
    const Digest* top = launch_levels(device_leaves, leaf_bytes, 0, device_count, max_leaves, device_scratch);
    root_kernel<<<1, 1>>>(top, device_count, device_root);
    cuda_check(cudaGetLastError(), "root_kernel launch");
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

Digest merkle_root_fixed_cuda_counted(const uint8_t* host_leaves, size_t leaf_bytes, size_t n, size_t max_leaves) {
    std::string why;
    if (!merkle_cuda_usable(&why)) throw std::runtime_error("no usable GPU: " + why);
    if (n > max_leaves) throw std::invalid_argument("merkle_root_fixed_cuda_counted: n > max_leaves");
    DeviceBuffer leaves(max_leaves * leaf_bytes), scratch(merkle_scratch_bytes(max_leaves)), count(sizeof(int64_t)),
        root(sizeof(Digest));
    // Stale bytes past the n counted records must not reach the root: fill them with 0xAB.
    cuda_check(cudaMemset(leaves.p, 0xAB, max_leaves * leaf_bytes > 0 ? max_leaves * leaf_bytes : 1), "cudaMemset leaves");
    if (n * leaf_bytes > 0)
        cuda_check(cudaMemcpy(leaves.p, host_leaves, n * leaf_bytes, cudaMemcpyHostToDevice), "cudaMemcpy leaves");
    const int64_t n64 = static_cast<int64_t>(n);
    cuda_check(cudaMemcpy(count.p, &n64, sizeof n64, cudaMemcpyHostToDevice), "cudaMemcpy count");
    merkle_root_fixed_device_async(static_cast<const uint8_t*>(leaves.p), leaf_bytes, static_cast<const int64_t*>(count.p),
                                   max_leaves, scratch.p, merkle_scratch_bytes(max_leaves), static_cast<Digest*>(root.p));
    Digest out;
    cuda_check(cudaMemcpy(&out, root.p, sizeof out, cudaMemcpyDeviceToHost), "cudaMemcpy root");
    return out;
}

}  // namespace v2g::ledger
