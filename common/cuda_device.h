// cuda_device.h: whether a GPU can run this build's kernels here and, if not, why (no CUDA in
// this build, no device, a driver older than the runtime, ...): asked by the backends, the Merkle
// hasher and the CLI before anything touches the device.
#pragma once
#include <string>

namespace v2g {

bool cuda_usable(std::string* why);

}  // namespace v2g
