// bench_train: env-steps/s of the fused step + learn loop (one training episode per
// iteration, per-vehicle Q-tables, the default config otherwise) for 10^3 .. 10^6 vehicles on
// the CPU backend, and on CUDA when a GPU is usable; and the same with the ledger on vs off
// (contract checks, transaction slots, compaction and one Merkle root per episode).
// One env-step = one vehicle, one step.
#include <benchmark/benchmark.h>
#include <string>
#include "problem/problem.h"
#include "train/trainer.h"

namespace {

// The ledger is off here (it is measured on its own below): at 10^6 vehicles its transaction
// slots would add ~4.6 GB to the Q-tables' 14.4 GB.
v2g::Config bench_config(int64_t vehicles, bool ledger) {
    v2g::Config cfg;
    cfg.fleet.vehicles = static_cast<int>(vehicles);
    cfg.signals.days = 30;
    cfg.ledger.enabled = ledger;
    cfg.ledger.contracts = static_cast<int>(vehicles);  // >= communities + 2 for any fleet size here
    return cfg;
}

void run(benchmark::State& state, bool cuda, bool ledger = false) {
    const v2g::Config cfg = bench_config(state.range(0), ledger);
    std::string why;
    if (cuda && !v2g::cuda_usable(&why)) {
        state.SkipWithError(("no usable GPU: " + why).c_str());
        return;
    }
    v2g::Problem problem = v2g::build_problem(cfg);
    const v2g::EnvParams params = problem.params;
    auto backend = cuda ? v2g::make_cuda_backend(problem) : v2g::make_cpu_backend(std::move(problem), 0);
    std::vector<v2g::EpisodeMetrics> metrics(params.num_communities);
    v2g::EpisodeLedger block;  // with the ledger on: compaction + Merkle root every episode
    v2g::EpisodeLedger* blocks = ledger ? &block : nullptr;
    const float epsilon = 0.5f;
    int episode = 0;
    backend->run_episodes(episode++, 1, v2g::kPolicyLearn, &epsilon, metrics.data(), blocks);  // warm-up
    for (auto _ : state) {
        backend->run_episodes(episode++, 1, v2g::kPolicyLearn, &epsilon, metrics.data(), blocks);
        benchmark::DoNotOptimize(metrics.data());
    }
    if (ledger) state.counters["tx_per_episode"] = static_cast<double>(block.tx_count);
    const double steps = static_cast<double>(params.num_vehicles) * params.steps_per_day;
    state.counters["env_steps_per_s"] = benchmark::Counter(steps * state.iterations(), benchmark::Counter::kIsRate);
    state.SetLabel(backend->name());
}

void BM_TrainEpisodeCpu(benchmark::State& state) { run(state, false); }
void BM_TrainEpisodeCuda(benchmark::State& state) { run(state, true); }
void BM_TrainLedgerOffCpu(benchmark::State& state) { run(state, false, false); }
void BM_TrainLedgerOnCpu(benchmark::State& state) { run(state, false, true); }
void BM_TrainLedgerOffCuda(benchmark::State& state) { run(state, true, false); }
void BM_TrainLedgerOnCuda(benchmark::State& state) { run(state, true, true); }

}  // namespace

BENCHMARK(BM_TrainEpisodeCpu)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainEpisodeCuda)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainLedgerOffCpu)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainLedgerOnCpu)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainLedgerOffCuda)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainLedgerOnCuda)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
