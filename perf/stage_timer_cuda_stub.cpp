// stage_timer_cuda_stub.cpp: stage_timer.h's CUDA entry points in a build without CUDA
// (stage_timer_cuda.cu in a CUDA build): each says why there is no CUDA timer.
#include <stdexcept>
#include "perf/stage_timer.h"

namespace v2g {

constexpr const char* kNoCudaTimer = "this build has no CUDA backend, so no CUDA stage timer (rebuild with -DV2G_CUDA=ON)";
StageTiming time_stages_cuda(const Problem&, int, int, int, float) { throw std::runtime_error(kNoCudaTimer); }
double copy_bandwidth_cuda(size_t, int) { throw std::runtime_error(kNoCudaTimer); }
double time_cuda_region(const char*, const std::function<void()>&) { throw std::runtime_error(kNoCudaTimer); }

}  // namespace v2g
