// cuda_device_stub.cpp: see cuda_device.h (a build without CUDA: no GPU is ever usable).
#include "common/cuda_device.h"

namespace v2g {

bool cuda_usable(std::string* why) {
    if (why) *why = "this build has no CUDA backend (configured with V2G_CUDA=OFF or no nvcc found)";
    return false;
}

std::string cuda_description() { return "CUDA: not in this build (configured with V2G_CUDA=OFF or no nvcc found)"; }

}  // namespace v2g
