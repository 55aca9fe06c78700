// cuda_stub.cpp: the CUDA entry points of backend.h in a build without CUDA (V2G_CUDA=OFF or
// no nvcc), so the engine links the same way and reports why the GPU is not available.
#include <stdexcept>
#include "backends/backend.h"
#include "backends/batch_launch.h"

namespace v2g {

std::unique_ptr<Backend> make_cuda_backend(const Problem&) {
    throw std::runtime_error("this build has no CUDA backend (rebuild with -DV2G_CUDA=ON)");
}

void run_cuda_batch(const std::vector<BatchRequest>&) {
    throw std::runtime_error("this build has no CUDA backend (rebuild with -DV2G_CUDA=ON)");
}

}  // namespace v2g
