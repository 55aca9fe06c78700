// cuda_device.cu: see cuda_device.h (the CUDA build's definition).
#include "common/cuda_device.h"

#include <cuda_runtime.h>

#include <cstdio>

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

std::string cuda_description() {
    const auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);  // 0 when there is no driver
    std::string line = "CUDA runtime " + version(runtime) + ", driver " + (driver > 0 ? version(driver) : "none");
    std::string why;
    if (!cuda_usable(&why)) return line + "; no usable GPU: " + why;
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return line + "; device 0 unreadable";
    char memory[32];
    std::snprintf(memory, sizeof memory, "%.0f GB", static_cast<double>(prop.totalGlobalMem) / 1e9);
    return line + "; device 0: " + prop.name + ", " + memory + ", sm_" + std::to_string(prop.major) +
           std::to_string(prop.minor) + ", " + std::to_string(prop.multiProcessorCount) + " SMs";
}

}  // namespace v2g
