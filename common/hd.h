// hd.h: the one macro that lets a function compile for both the CPU (g++) and the GPU (nvcc).
// Everything in env/*.h that the step loop calls is V2G_HD, so the CPU backend and the
// CUDA backend run the very same arithmetic. Determinism across them relies on:
//   - no FMA contraction (g++ -ffp-contract=off, nvcc -fmad=false; see CMakeLists.txt),
//   - only +, -, *, / and sqrt (correctly rounded on both) inside the step loop,
//   - a fixed summation order (sequential loops, never atomics on floats).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define V2G_HD __host__ __device__ __forceinline__
#else
#define V2G_HD inline
#endif

namespace v2g {

V2G_HD float min_f(float a, float b) { return a < b ? a : b; }
V2G_HD float max_f(float a, float b) { return a > b ? a : b; }
V2G_HD float clamp_f(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
V2G_HD int min_i(int a, int b) { return a < b ? a : b; }
V2G_HD int max_i(int a, int b) { return a > b ? a : b; }

}  // namespace v2g
