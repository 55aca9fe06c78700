// merkle_cuda_stub.cpp: the CUDA entry points of merkle.h in a build without CUDA (V2G_CUDA=OFF
// or no nvcc), so everything links the same way and says why the GPU hasher is not available.
#include <stdexcept>
#include <string>

#include "ledger/merkle.h"

namespace v2g::ledger {

namespace {
const char* kNoCuda = "this build has no CUDA backend (configured with V2G_CUDA=OFF or no nvcc found)";
}

bool merkle_cuda_usable(std::string* why) {
    if (why) *why = kNoCuda;
    return false;
}

Digest merkle_root_fixed_device(const uint8_t*, size_t, size_t, void*, size_t) {
    throw std::runtime_error(kNoCuda);
}

void merkle_root_fixed_device_async(const uint8_t*, size_t, const int64_t*, size_t, void*, size_t, Digest*) {
    throw std::runtime_error(kNoCuda);
}

Digest merkle_root_fixed_cuda(const uint8_t*, size_t, size_t) { throw std::runtime_error(kNoCuda); }

Digest merkle_root_fixed_cuda_counted(const uint8_t*, size_t, size_t, size_t) { throw std::runtime_error(kNoCuda); }

}  // namespace v2g::ledger
