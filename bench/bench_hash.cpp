// bench_hash.cpp: ledger hashing speed (Google Benchmark; speed only, never a test).
//   Sha256/*      SHA-256 compressions/s on one thread, portable sha256.h vs OpenSSL, for a
//                 48-byte transaction leaf (1 compression), a 65-byte node (2) and 16 KiB (257).
//   MerkleCpu*/N  RFC 6962 roots of N 48-byte records (the engine's transactions), level by
//                 level: portable code or OpenSSL, OpenMP on all threads (OMP_NUM_THREADS).
//   MerkleCuda/N  the same on the GPU, records already in device memory (the engine's case);
//                 reports an error (not a number) when no GPU is usable.
// Counters: leaves_per_second, compressions_per_second (3N - 2 for N 48-byte leaves); the tree
// benchmarks use wall time (OpenMP threads work besides the timing thread).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/sha256_ni.h"
#include "ledger/sha256.h"
#include "ledger/transaction.h"

namespace {

using namespace v2g::ledger;

constexpr size_t kTxBytes = sizeof(v2g::Transaction);  // 48
constexpr int kMinLog2Leaves = 10;
constexpr int kMaxLog2Leaves = 24;
constexpr int kLog2Step = 2;
constexpr size_t kLongMessage = 16384;

// Deterministic filler (splitmix64): fast enough for 640 MB of records.
std::vector<uint8_t> records(size_t n) {
    std::vector<uint8_t> out(n * kTxBytes);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i + 8 <= out.size(); i += 8) {
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        std::memcpy(&out[i], &z, 8);
    }
    return out;
}

const std::vector<uint8_t>& shared_records() {
    static const std::vector<uint8_t> r = records(size_t{1} << kMaxLog2Leaves);
    return r;
}

void set_tree_counters(benchmark::State& state, size_t n) {
    const double iters = static_cast<double>(state.iterations());
    state.counters["leaves_per_second"] =
        benchmark::Counter(iters * static_cast<double>(n), benchmark::Counter::kIsRate);
    state.counters["compressions_per_second"] = benchmark::Counter(
        iters * static_cast<double>(n * sha256_blocks(1 + kTxBytes) + (n - 1) * sha256_blocks(65)),
        benchmark::Counter::kIsRate);
}

void hash_messages(benchmark::State& state, Sha256Impl impl) {
    const size_t len = static_cast<size_t>(state.range(0));
    std::vector<uint8_t> msg(len, 0x61);
    for (auto _ : state) {
        Digest d = sha256_digest(msg.data(), len, impl);
        msg[0] = d.bytes[0];  // a dependency chain, so nothing is hoisted out of the loop
        benchmark::DoNotOptimize(d);
    }
    state.counters["compressions_per_second"] = benchmark::Counter(
        static_cast<double>(state.iterations() * sha256_blocks(len)), benchmark::Counter::kIsRate);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_Sha256Portable(benchmark::State& state) { hash_messages(state, Sha256Impl::portable); }
void BM_Sha256Openssl(benchmark::State& state) { hash_messages(state, Sha256Impl::openssl); }
BENCHMARK(BM_Sha256Portable)->Arg(kTxBytes)->Arg(65)->Arg(kLongMessage);
BENCHMARK(BM_Sha256Openssl)->Arg(kTxBytes)->Arg(65)->Arg(kLongMessage);

// `threads`: 0 = every core; 1 = one, so the rate compares with `openssl speed -evp sha256`.
// sha_ni (the default on a CPU with the SHA extensions, ledger/sha256_ni.h) is skipped without them.
void merkle_cpu(benchmark::State& state, Sha256Impl impl, int threads = 0) {
    if (impl == Sha256Impl::sha_ni && !v2g::ledger::cpu_has_sha_ni()) {
        state.SkipWithError("this CPU has no SHA extensions");
        return;
    }
    const size_t n = size_t{1} << state.range(0);
    const uint8_t* data = shared_records().data();
    for (auto _ : state) benchmark::DoNotOptimize(merkle_root_fixed(data, kTxBytes, n, threads, impl));
    set_tree_counters(state, n);
}

void BM_MerkleCpuPortable(benchmark::State& state) { merkle_cpu(state, Sha256Impl::portable); }
void BM_MerkleCpuOpenssl(benchmark::State& state) { merkle_cpu(state, Sha256Impl::openssl); }
void BM_MerkleCpuShaNi(benchmark::State& state) { merkle_cpu(state, Sha256Impl::sha_ni); }
void BM_MerkleOneThreadOpenssl(benchmark::State& state) { merkle_cpu(state, Sha256Impl::openssl, 1); }
void BM_MerkleOneThreadShaNi(benchmark::State& state) { merkle_cpu(state, Sha256Impl::sha_ni, 1); }
BENCHMARK(BM_MerkleCpuPortable)->DenseRange(kMinLog2Leaves, kMaxLog2Leaves, kLog2Step)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MerkleCpuOpenssl)->DenseRange(kMinLog2Leaves, kMaxLog2Leaves, kLog2Step)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MerkleCpuShaNi)->DenseRange(kMinLog2Leaves, kMaxLog2Leaves, kLog2Step)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MerkleOneThreadOpenssl)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MerkleOneThreadShaNi)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

// The records are uploaded once per size, outside the timing; each iteration hashes them on the
// device and copies the 32-byte root back (merkle_root_fixed_cuda would time the upload too).
void BM_MerkleCuda(benchmark::State& state);

}  // namespace

#if defined(V2G_HAVE_CUDA)
#include <cuda_runtime.h>
namespace {
void BM_MerkleCuda(benchmark::State& state) {
    std::string why;
    if (!merkle_cuda_usable(&why)) {
        state.SkipWithError(("no usable GPU: " + why).c_str());
        return;
    }
    const size_t n = size_t{1} << state.range(0);
    void *leaves = nullptr, *scratch = nullptr;
    if (cudaMalloc(&leaves, n * kTxBytes) != cudaSuccess ||
        cudaMalloc(&scratch, merkle_scratch_bytes(n)) != cudaSuccess ||
        cudaMemcpy(leaves, shared_records().data(), n * kTxBytes, cudaMemcpyHostToDevice) != cudaSuccess) {
        state.SkipWithError("cudaMalloc / cudaMemcpy failed");
        cudaFree(leaves);
        cudaFree(scratch);
        return;
    }
    for (auto _ : state)
        benchmark::DoNotOptimize(merkle_root_fixed_device(static_cast<const uint8_t*>(leaves), kTxBytes, n,
                                                          scratch, merkle_scratch_bytes(n)));
    set_tree_counters(state, n);
    cudaFree(leaves);
    cudaFree(scratch);
}
}  // namespace
#else
namespace {
void BM_MerkleCuda(benchmark::State& state) {
    std::string why;
    merkle_cuda_usable(&why);
    state.SkipWithError(("no usable GPU: " + why).c_str());
}
}  // namespace
#endif

namespace {
BENCHMARK(BM_MerkleCuda)->DenseRange(kMinLog2Leaves, kMaxLog2Leaves, kLog2Step)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace

BENCHMARK_MAIN();
