// cuda_device.h: whether a GPU can run this build's kernels here and, if not, why (no CUDA in
// this build, no device, a driver older than the runtime, ...): asked by the backends, the Merkle
// hasher and the CLI before anything touches the device.
#pragma once
#include <string>

namespace v2g {

bool cuda_usable(std::string* why);

// One line for `v2g --version` and scripts/gpu-check: the CUDA runtime this build carries, the
// driver's CUDA version, and device 0 (name, memory, compute capability), or why there is none.
// "CUDA runtime 13.0, driver 13.0; device 0: NVIDIA H200, 143 GB, sm_90".
std::string cuda_description();

}  // namespace v2g
