// steps_per_second: the engine in 20 lines. Builds a fleet from the defaults (or a config file),
// trains it for a few days on the CPU and prints env-steps/s. `steps_per_second [CONFIG] [DAYS]`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>
#include "config/config.h"
#include "problem/problem.h"
#include "backends/backend.h"

int main(int argc, char** argv) try {
    const v2g::Config cfg = argc > 1 ? v2g::load_config(argv[1]) : v2g::Config{};
    const int days = argc > 2 ? std::atoi(argv[2]) : 100;
    v2g::Problem problem = v2g::build_problem(cfg);
    const v2g::EnvParams p = problem.params;
    auto fleet = v2g::make_cpu_backend(std::move(problem), 0);
    std::vector<v2g::EpisodeMetrics> metrics(static_cast<size_t>(p.num_communities) * days);
    const std::vector<float> epsilon(static_cast<size_t>(days), 0.5f);
    const auto t0 = std::chrono::steady_clock::now();
    fleet->run_episodes(0, days, v2g::kPolicyLearn, epsilon.data(), metrics.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %d vehicles x %d steps x %d days in %.3f s = %.3g env-steps/s\n", fleet->name().c_str(),
                p.num_vehicles, p.steps_per_day, days, s, double(p.num_vehicles) * p.steps_per_day * days / s);
} catch (const std::exception& e) {
    std::fprintf(stderr, "steps_per_second: %s\n", e.what());
    return 2;
}
