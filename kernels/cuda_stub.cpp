// cuda_stub.cpp: the CUDA entry points of backend.h in a build without CUDA (V2G_CUDA=OFF or
// no nvcc), so the engine links the same way and reports why the GPU is not available.
#include <stdexcept>
#include "backend.h"

namespace v2g {

bool cuda_compiled() { return false; }

bool cuda_usable(std::string* why) {
    if (why) *why = "this build has no CUDA backend (configured with V2G_CUDA=OFF or no nvcc found)";
    return false;
}

std::unique_ptr<Backend> make_cuda_backend(const Problem&) {
    throw std::runtime_error("this build has no CUDA backend (rebuild with -DV2G_CUDA=ON)");
}

}  // namespace v2g
