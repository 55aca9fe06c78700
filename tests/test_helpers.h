// test_helpers.h: small configs and a serial reference driver shared by the engine tests.
#pragma once
#include <cstring>
#include <vector>
#include "engine/config.h"
#include "engine/problem.h"
#include "engine/trainer.h"
#include "kernels/layout.h"
#include "kernels/optimum.h"

namespace v2g::testing {

// A fleet small enough for the suite, with every feature on (P2P, PV, DR, degradation).
inline Config small_config(uint64_t seed = 7, int vehicles = 24, int community_size = 8) {
    Config cfg;
    cfg.seed = seed;
    cfg.vehicles = vehicles;
    cfg.community_size = community_size;
    cfg.episodes = 30;
    cfg.signal_days = 20;
    cfg.threads = 1;
    return cfg;
}

// The instance the learning test uses: fixed prices (no day-to-day noise), fixed sessions,
// one vehicle model; the only randomness left is exploration.
inline Config deterministic_config() {
    Config cfg;
    cfg.seed = 3;
    cfg.vehicles = 8;
    cfg.community_size = 8;
    cfg.mix = "single";
    cfg.session_model = "fixed";
    cfg.fixed_arrival_hour = 18;
    cfg.fixed_departure_hour = 7;
    cfg.fixed_demand_kwh = 12;
    cfg.price_noise = 0.0;
    cfg.signal_days = 1;
    cfg.pv_kwp_per_vehicle = 0.0;
    cfg.threads = 1;
    return cfg;
}

struct Trained {
    TrainSummary summary;
    std::vector<char> fleet;
};

inline Trained train_cpu(const Config& cfg, int threads) {
    const Problem problem = build_problem(cfg);
    Trainer trainer(cfg, problem.params, make_cpu_backend(problem, threads));
    Trained t;
    t.summary = trainer.train();
    trainer.backend().read_fleet(&t.fleet);
    return t;
}

// A problem's host buffers with their views and an episode of transaction slots, for tests
// that drive the step phases by hand. Not movable: the views point into its own buffers.
struct HostFleet {
    explicit HostFleet(const Config& cfg) : problem(build_problem(cfg)), p(problem.params) {
        layout_fleet(p, problem.fleet.data(), &f);
        layout_signals(p, problem.signals.data(), &sig);
        slots.resize(static_cast<size_t>(slots_per_episode(p)));
        f.tx_slots = slots.data();
    }
    HostFleet(const HostFleet&) = delete;
    HostFleet& operator=(const HostFleet&) = delete;
    Problem problem;
    const EnvParams& p;
    FleetView f{};
    SignalsView sig{};
    std::vector<Transaction> slots;
};

// The market community 0 met on `day` under the backend's greedy policy, in the layout of
// kernels/optimum.h's PlanContext::market (the learning tests score policies in that model).
inline std::vector<double> greedy_day_market(Backend& backend, const EnvParams& p, int day) {
    backend.set_recording(true);
    std::vector<EpisodeMetrics> metrics(static_cast<size_t>(p.num_communities));
    const float greedy_epsilon = 0.0f;
    backend.run_episodes(day, 1, kPolicyGreedy, &greedy_epsilon, metrics.data());
    std::vector<double> record;
    backend.read_record(&record);
    std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields);
    for (int t = 0; t < p.steps_per_day; ++t)
        for (int k = 0; k < kPlanMarketFields; ++k)
            market[t * kPlanMarketFields + k] = record[t * kRecordFields + kRecordPrice + k];
    return market;
}

inline bool same_bytes(const void* a, const void* b, size_t n) { return std::memcmp(a, b, n) == 0; }

}  // namespace v2g::testing
