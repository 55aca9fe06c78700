// Learning works: on a small deterministic instance (fixed prices, fixed sessions, one EV
// model) the greedy policy after training earns clearly more per vehicle-day than a random
// policy and than charging on arrival, evaluated on the same days from the same state.
#include <gtest/gtest.h>
#include <numeric>
#include "test_helpers.h"

namespace v2g {
namespace {

double mean_reward_per_vehicle(const std::vector<EpisodeMetrics>& m) {
    double total = 0;
    for (const EpisodeMetrics& e : m) total += e.reward / static_cast<double>(e.vehicles);
    return total / static_cast<double>(m.size());
}

TEST(Learning, GreedyBeatsRandomAndChargeOnArrival) {
    Config cfg = testing::deterministic_config();
    cfg.episodes = 1500;
    cfg.epsilon = 1.0;
    cfg.epsilon_decay = 0.997;
    const Problem problem = build_problem(cfg);
    Trainer trainer(cfg, problem.params, make_cpu_backend(problem, 1));
    trainer.train();
    std::vector<char> trained;
    trainer.backend().read_fleet(&trained);

    constexpr int kEvalDays = 20;
    auto evaluate = [&](PolicyMode mode) {
        trainer.backend().write_fleet(trained);
        return mean_reward_per_vehicle(trainer.evaluate(mode, cfg.episodes, kEvalDays));
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

}  // namespace
}  // namespace v2g
