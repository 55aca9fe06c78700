// bench_train: env-steps/s of the fused step + learn loop (one training episode per
// iteration, per-vehicle Q-tables, the default config otherwise) for 10^3 .. 10^6 vehicles on
// the CPU backend, and on CUDA when a GPU is usable. One env-step = one vehicle, one step.
#include <benchmark/benchmark.h>
#include <string>
#include "engine/problem.h"
#include "engine/trainer.h"

namespace {

v2g::Config bench_config(int64_t vehicles) {
    v2g::Config cfg;
    cfg.vehicles = static_cast<int>(vehicles);
    cfg.signal_days = 30;
    return cfg;
}

void run(benchmark::State& state, bool cuda) {
    const v2g::Config cfg = bench_config(state.range(0));
    std::string why;
    if (cuda && !v2g::cuda_usable(&why)) {
        state.SkipWithError(("no usable GPU: " + why).c_str());
        return;
    }
    v2g::Problem problem = v2g::build_problem(cfg);
    const v2g::EnvParams params = problem.params;
    auto backend = cuda ? v2g::make_cuda_backend(problem) : v2g::make_cpu_backend(std::move(problem), 0);
    std::vector<v2g::EpisodeMetrics> metrics(params.num_communities);
    const float epsilon = 0.5f;
    int episode = 0;
    backend->run_episodes(episode++, 1, v2g::kPolicyLearn, &epsilon, metrics.data());  // warm-up
    for (auto _ : state) {
        backend->run_episodes(episode++, 1, v2g::kPolicyLearn, &epsilon, metrics.data());
        benchmark::DoNotOptimize(metrics.data());
    }
    const double steps = static_cast<double>(params.num_vehicles) * params.steps_per_day;
    state.counters["env_steps_per_s"] = benchmark::Counter(steps * state.iterations(), benchmark::Counter::kIsRate);
    state.SetLabel(backend->name());
}

void BM_TrainEpisodeCpu(benchmark::State& state) { run(state, false); }
void BM_TrainEpisodeCuda(benchmark::State& state) { run(state, true); }

}  // namespace

BENCHMARK(BM_TrainEpisodeCpu)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainEpisodeCuda)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
