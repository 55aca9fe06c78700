// cuda_check.h: a CUDA runtime call that fails throws, naming what it was doing (for the .cu
// launchers: backend, stage timers, Merkle hasher).
#pragma once
#include <cuda_runtime.h>
#include <stdexcept>
#include <string>

namespace v2g {

inline void cuda_check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

}  // namespace v2g
