// test_helpers.h: small configs and a serial reference driver shared by the engine tests.
#pragma once
#include <cstring>
#include <memory>
#include <vector>
#include "config/config.h"
#include "problem/problem.h"
#include "train/trainer.h"
#include "backends/batch_launch.h"
#include "env/layout.h"
#include "env/transaction_slots.h"
#include "eval/optimum.h"

namespace v2g::testing {

// A fleet small enough for the suite, with every feature on (P2P, PV, DR, degradation).
inline Config small_config(uint64_t seed = 7, int vehicles = 24, int community_size = 8) {
    Config cfg;
    cfg.run.seed = seed;
    cfg.fleet.vehicles = vehicles;
    cfg.fleet.community_size = community_size;
    cfg.run.episodes = 30;
    cfg.signals.days = 20;
    cfg.run.threads = 1;
    return cfg;
}

// The instance the learning test uses: fixed prices (no day-to-day noise), fixed sessions,
// one vehicle model, no connection limit (each vehicle's day is then its own, as the
// single-vehicle optimum assumes); the only randomness left is exploration.
inline Config deterministic_config() {
    Config cfg;
    cfg.run.seed = 3;
    cfg.fleet.vehicles = 8;
    cfg.fleet.community_size = 8;
    cfg.fleet.mix = FleetMix::single;
    cfg.sessions.model = SessionSource::fixed;
    cfg.sessions.fixed_arrival_hour = 18;
    cfg.sessions.fixed_departure_hour = 7;
    cfg.sessions.fixed_trip_kwh = 12;
    cfg.signals.price_noise = 0.0;
    cfg.signals.days = 1;
    cfg.fleet.pv_kwp_per_vehicle = 0.0;
    cfg.grid.limit_kw_per_vehicle = 0.0;
    cfg.run.threads = 1;
    return cfg;
}

// Runs `episodes` more episodes of `trainer`'s backend with a fixed policy (no learning) from
// its current state, from episode index `first_episode`; fleet-level metrics per episode.
inline std::vector<EpisodeMetrics> run_fixed_policy(Trainer& trainer, PolicyMode mode, int first_episode,
                                                    int episodes) {
    const EnvParams& p = trainer.params();
    std::vector<float> epsilon(static_cast<size_t>(episodes), 0.0f);
    std::vector<EpisodeMetrics> per_community(static_cast<size_t>(episodes) * p.num_communities);
    trainer.backend().run_episodes(first_episode, episodes, mode, epsilon.data(), per_community.data());
    std::vector<EpisodeMetrics> out;
    for (int i = 0; i < episodes; ++i)
        out.push_back(merge_communities(per_community.data() + static_cast<size_t>(i) * p.num_communities,
                                        p.num_communities));
    return out;
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
        slots.attach(p, &f);
    }
    HostFleet(const HostFleet&) = delete;
    HostFleet& operator=(const HostFleet&) = delete;
    Problem problem;
    const EnvParams& p;
    FleetView f{};
    SignalsView sig{};
    TransactionSlots slots;
};

// The market community 0 met on `day` under the backend's greedy policy, in the layout of
// eval/optimum.h's PlanContext::market (the learning tests score policies in that model).
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

// Each vehicle's day in the single-vehicle model: the vehicle reset for `day`, its context and
// the DP optimum's value, handed to f(context, optimum); f scores the policies on the same day.
template <typename F>
void each_vehicle_day(const PlanContext& day_context, int day, F f) {
    for (int v = 0; v < day_context.p.num_vehicles; ++v) {
        reset_vehicle(day_context.p, day_context.sig, day_context.f, v, day);
        PlanContext c = day_context;
        c.vehicle = v;
        std::vector<uint8_t> plan;
        const double optimum = solve_day(c, &plan);
        f(c, optimum);
    }
}

// The random policy the learning tests set against the optimum: a Philox action per
// (vehicle, day, step), the same on every run.
inline int random_action(const EnvParams& p, int v, int day, int t) {
    return static_cast<int>(
        random4(p.seed, static_cast<uint32_t>(v), static_cast<uint32_t>(day), static_cast<uint32_t>(t), RngPurpose::kTest)
            .v[0] %
        kNumActions);
}

// Configurations of different shapes for batch tests: per-vehicle tables with 5 SoC bins,
// per-community tables in communities of 6 with the slack in the state, a fleet-shared table,
// and another seed at quarter-hour steps.
inline std::vector<Config> mixed_batch_configs() {
    std::vector<Config> out;
    Config a = small_config(7, 24, 8);
    a.learning.soc_bins = 5;
    out.push_back(a);
    Config b = small_config(8, 20, 6);
    b.learning.q_sharing = QTableSharing::community;
    b.learning.deadline_levels = 3;
    out.push_back(b);
    Config c = small_config(9, 16, 8);
    c.learning.q_sharing = QTableSharing::fleet;
    c.learning.alpha = 0.5;
    out.push_back(c);
    Config d = small_config(10, 12, 4);
    d.time.step_hours = 0.25;
    out.push_back(d);
    return out;
}

// Runs each config's episodes [first, first + count) through `launch` (run_cpu_batch or
// run_cuda_batch) on backends made by `make`, all in one batch, and checks every fleet buffer,
// metric and ledger block against the same config run alone on the CPU. Counts and first
// episodes differ between members, as when a resumed batch's members start at different points.
template <typename Make, typename Launch>
void expect_batch_equals_alone(const std::vector<Config>& configs, Make make, Launch launch) {
    struct Member {
        Problem problem;
        std::unique_ptr<Backend> backend;
        int first = 0, count = 0;
        std::vector<float> eps;
        std::vector<EpisodeMetrics> metrics;
        std::vector<EpisodeLedger> blocks;
    };
    std::vector<Member> members(configs.size());
    std::vector<BatchRequest> requests;
    for (size_t k = 0; k < configs.size(); ++k) {
        Member& m = members[k];
        m.problem = build_problem(configs[k]);
        m.backend = make(m.problem);
        m.first = static_cast<int>(k % 2);  // some start at episode 1 (on the same initial state)
        m.count = 3 + static_cast<int>(k);
        for (int e = 0; e < m.count; ++e) m.eps.push_back(epsilon_for_episode(configs[k], m.first + e));
        m.metrics.resize(static_cast<size_t>(m.count) * m.problem.params.num_communities);
        m.blocks.resize(static_cast<size_t>(m.count));
        BatchRequest r;
        r.backend = m.backend.get();
        r.first_episode = m.first;
        r.count = m.count;
        r.mode = kPolicyLearn;
        r.epsilon = m.eps.data();
        r.metrics = m.metrics.data();
        r.ledger = m.blocks.data();
        r.keep_transactions_from = m.first + m.count - 1;
        requests.push_back(r);
    }
    launch(requests);
    for (size_t k = 0; k < configs.size(); ++k) {
        Member& m = members[k];
        auto alone = make_cpu_backend(m.problem, 2);
        std::vector<EpisodeMetrics> metrics(m.metrics.size());
        std::vector<EpisodeLedger> blocks(m.blocks.size());
        alone->run_episodes(m.first, m.count, kPolicyLearn, m.eps.data(), metrics.data(), blocks.data(),
                            m.first + m.count - 1);
        std::vector<char> a, b;
        alone->read_fleet(&a);
        m.backend->read_fleet(&b);
        ASSERT_EQ(a.size(), b.size()) << "config " << k;
        EXPECT_TRUE(same_bytes(a.data(), b.data(), a.size())) << "config " << k << ": fleet buffers differ";
        EXPECT_TRUE(same_bytes(metrics.data(), m.metrics.data(), metrics.size() * sizeof(EpisodeMetrics)))
            << "config " << k << ": metrics differ";
        for (size_t e = 0; e < blocks.size(); ++e) {
            EXPECT_EQ(blocks[e].tx_count, m.blocks[e].tx_count) << "config " << k << " episode " << e;
            EXPECT_TRUE(same_bytes(blocks[e].tx_root, m.blocks[e].tx_root, 32)) << "config " << k << " episode " << e;
        }
        ASSERT_EQ(blocks.back().transactions.size(), m.blocks.back().transactions.size());
        EXPECT_GT(blocks.back().transactions.size(), 0u) << "config " << k << ": nothing to compare";
    }
}

}  // namespace v2g::testing
