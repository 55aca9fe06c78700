// cuda_device.cu: see cuda_device.h (the CUDA build's definition).
#include "common/cuda_device.h"

#include <cuda_runtime.h>

namespace v2g {

bool cuda_usable(std::string* why) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        if (why) *why = "the NVIDIA driver is missing or older than this build's CUDA runtime";
        return false;
    }
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        if (why) *why = "no CUDA device found";
        return false;
    }
    if (e != cudaSuccess) {
        if (why) *why = std::string("CUDA unavailable: ") + cudaGetErrorString(e);
        return false;
    }
    if (why) {
        cudaDeviceProp prop{};
        cudaGetDeviceProperties(&prop, 0);
        *why = std::string("found ") + prop.name;
    }
    return true;
}

}  // namespace v2g
