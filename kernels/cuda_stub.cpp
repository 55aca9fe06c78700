// cuda_stub.cpp: the CUDA entry points of backend.h in a build without CUDA (V2G_CUDA=OFF or
// no nvcc), so the engine links the same way and reports why the GPU is not available.
#include <stdexcept>
#include "backend.h"
#include "batch_launch.h"
#include "stage_timer.h"

namespace v2g {

bool cuda_usable(std::string* why) {
    if (why) *why = "this build has no CUDA backend (configured with V2G_CUDA=OFF or no nvcc found)";
    return false;
}

std::unique_ptr<Backend> make_cuda_backend(const Problem&) {
    throw std::runtime_error("this build has no CUDA backend (rebuild with -DV2G_CUDA=ON)");
}

void run_cuda_batch(const std::vector<BatchRequest>&) {
    throw std::runtime_error("this build has no CUDA backend (rebuild with -DV2G_CUDA=ON)");
}

// stage_timer.h's CUDA entry points (stage_timer_cuda.cu in a CUDA build).
constexpr const char* kNoCudaTimer = "this build has no CUDA backend, so no CUDA stage timer (rebuild with -DV2G_CUDA=ON)";
StageTiming time_stages_cuda(const Problem&, int, int, int, float) { throw std::runtime_error(kNoCudaTimer); }
double copy_bandwidth_cuda(size_t, int) { throw std::runtime_error(kNoCudaTimer); }
double time_cuda_region(const char*, const std::function<void()>&) { throw std::runtime_error(kNoCudaTimer); }

}  // namespace v2g
