// cuda_check.h: what every .cu launcher (backend, stage timers, Merkle hasher) shares: a CUDA
// runtime call that fails throws, naming what it was doing; the block size of the one-thread-
// per-item kernels and the blocks that cover n items.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace v2g {

inline void cuda_check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

constexpr int kThreadsPerBlock = 256;

inline unsigned int blocks_for(int64_t items) {
    return static_cast<unsigned int>((items + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

}  // namespace v2g
