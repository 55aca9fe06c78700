// Learning works: on a small deterministic instance (fixed prices, fixed sessions, one EV
// model) the greedy policy after training earns clearly more per vehicle-day than a random
// policy and than charging on arrival, evaluated on the same days from the same state.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <numeric>
#include "eval/optimum.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

double mean_reward_per_vehicle(const std::vector<EpisodeMetrics>& m) {
    double total = 0;
    for (const EpisodeMetrics& e : m) total += e.reward / static_cast<double>(e.vehicles);
    return total / static_cast<double>(m.size());
}

// The deterministic instance, explored fully at first and decayed to ~0.011 by the end.
Config learning_config() {
    Config cfg = testing::deterministic_config();
    cfg.run.episodes = 1500;
    cfg.learning.epsilon = 1.0;
    cfg.learning.epsilon_decay = 0.997;
    return cfg;
}

// Trained on the deterministic instance on one CPU thread; `trained` is the fleet afterwards.
struct Learned {
    explicit Learned(QPrecision q_precision = QPrecision::fp32) : cfg(with_precision(q_precision)) {
        trainer.train();
        trainer.backend().read_fleet(&trained);
    }
    static Config with_precision(QPrecision q_precision) {
        Config c = learning_config();
        c.learning.q_precision = q_precision;
        return c;
    }
    Config cfg;
    Problem problem = build_problem(cfg);
    Trainer trainer{cfg, problem.params, make_cpu_backend(problem, 1)};
    std::vector<char> trained;
};

TEST(Learning, GreedyBeatsRandomAndChargeOnArrival) {
    Learned learned;
    Trainer& trainer = learned.trainer;

    constexpr int kEvalDays = 20;
    auto evaluate = [&](PolicyMode mode) {
        trainer.backend().write_fleet(learned.trained);
        return mean_reward_per_vehicle(testing::run_fixed_policy(trainer, mode, learned.cfg.run.episodes, kEvalDays));
    };
    const double greedy = evaluate(kPolicyGreedy);
    const double random = evaluate(kPolicyRandom);
    const double on_arrival = evaluate(kPolicyChargeOnArrival);
    std::printf("money per vehicle-day: greedy %.4f, random %.4f, charge-on-arrival %.4f\n", greedy, random,
                on_arrival);
    // "Clearly more": the gap is at least 10% of the yardstick's cost magnitude and 0.05/day.
    EXPECT_GT(greedy, random + std::max(0.05, 0.1 * std::abs(random)));
    EXPECT_GT(greedy, on_arrival + std::max(0.05, 0.1 * std::abs(on_arrival)));
}


// Tabular Q-learning against the exact optimum of the same day (eval/optimum.h), on the
// deterministic instance, in the optimum's model: the learned greedy policy, a random policy
// and the optimum are scored on the same vehicle-days, the market as the greedy policy met it.
// In both Q-table precisions (learning.q_precision): bfloat16 tables must learn as well.
class LearningPrecision : public ::testing::TestWithParam<QPrecision> {};

TEST_P(LearningPrecision, GreedyReachesTheOptimumAndItsQValuesApproachTheOptimalOnes) {
    Learned learned(GetParam());
    const Config& cfg = learned.cfg;
    const Problem& problem = learned.problem;
    Trainer& trainer = learned.trainer;
    const std::vector<char>& trained = learned.trained;

    // The market of the evaluation day under the greedy policy.
    const int day = cfg.run.episodes;
    const std::vector<double> market = testing::greedy_day_market(trainer.backend(), problem.params, day);

    EnvParams p = problem.params;
    p.plan_points = p.soc_bins * 20 + 1;  // fine enough that rounding costs little
    std::vector<char> fleet = trained;
    PlanContext day_context = plan_context(p, &fleet, problem.signals, 0, day, market.data());
    const FleetView& f = day_context.f;
    const SignalsView& sig = day_context.sig;

    double optimum = 0, greedy = 0, random = 0, q_error = 0, q_scale = 0;
    int q_count = 0;
    testing::each_vehicle_day(day_context, day, [&](const PlanContext& c, double day_optimum) {
        const int v = c.vehicle;
        optimum += day_optimum;
        const auto q_of = [&](int s) {  // the row as float32, in either precision
            std::array<float, kNumActions> row{};
            q_values(q_row_of(p, f, q_table_of(p, v), s), row.data());
            return row;
        };
        const auto greedy_action = [&](int t, float energy) {
            return argmax_action(q_of(tabular_state(p, sig, f, v, day, t, energy)).data());
        };
        greedy += evaluate_in_model(c, greedy_action);
        random += evaluate_in_model(c, [&](int t, float) {
            return testing::random_action(p, v, day, t);
        });
        // Learned Q-values along the greedy path against the model's discounted Q*.
        std::vector<double> q_star;
        optimal_q(c, p.gamma, &q_star);
        float energy = f.energy_kwh[v];
        for (int t = plan_arrival(c); t < plan_departure(c); ++t) {
            const int a = greedy_action(t, energy);
            const int s = tabular_state(p, sig, f, v, day, t, energy);
            const int g = plan_point(p, energy, f.usable_kwh[v]);
            const double star = q_star[(static_cast<size_t>(t) * p.plan_points + g) * kNumActions + a];
            q_error += std::abs(q_of(s)[a] - star);
            q_scale += std::abs(star);
            ++q_count;
            energy = plan_transition(c, energy, t, a).next_energy_kwh;
        }
    });
    const double n = p.num_vehicles;
    const double share = (greedy - random) / (optimum - random);
    std::printf("%s: per vehicle-day (plugged-in steps): optimum %.4f, greedy %.4f, random %.4f; greedy closes %.1f%% "
                "of the random-to-optimum gap; greedy / optimum = %.3f; mean |Q - Q*| / |Q*| on the greedy path %.3f\n",
                choice_name(GetParam()), optimum / n, greedy / n, random / n, 100 * share, greedy / optimum, q_error / q_scale);
    EXPECT_LE(greedy, optimum + 1e-9 * std::abs(optimum));
    // "At least 95% of the optimum" for a negative return (a cost): within 5% of it, which here
    // is stricter than closing 95% of the gap from random. Q-values approach the optimal ones:
    // mean relative error on the greedy path under 10%. bfloat16 tables pay for their 8-bit
    // mantissa: an update smaller than half a unit in the last place (0.2-0.4% of the value)
    // rounds away, so values stall short of their targets (measured: within 6.6% of the
    // optimum, Q error 11%; docs/PERFORMANCE.md); they are held to 10% and 20%.
    const bool bf16 = GetParam() == QPrecision::bf16;
    const double optimum_gap = bf16 ? 0.10 : 0.05, q_tolerance = bf16 ? 0.20 : 0.10;
    EXPECT_GE(greedy, optimum - optimum_gap * std::abs(optimum));
    EXPECT_GE(share, 0.95);
    EXPECT_LT(q_error / q_scale, q_tolerance);
}

INSTANTIATE_TEST_SUITE_P(Precision, LearningPrecision, ::testing::ValuesIn(every_choice<QPrecision>()));

}  // namespace
}  // namespace v2g
