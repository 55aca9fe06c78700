// The tabular learner by hand: one Q-update, terminal updates, tie-breaking, the state index,
// epsilon schedule, and an update through the step functions with a shared table.
#include <gtest/gtest.h>
#include "test_helpers.h"

namespace v2g {
namespace {

TEST(QLearning, OneUpdateByHand) {
    float row[kNumActions] = {1.0f, 2.0f, 0.5f, -1.0f, 0.0f};
    const float next[kNumActions] = {0.0f, 3.0f, 4.0f, 1.0f, -2.0f};
    // Q(s,sell) = -1 + 0.2 * (0.5 + 0.9 * 4 - (-1)) = -1 + 0.2 * 5.1 = 0.02
    q_update(row, kSell, 0.5f, next, 0.2f, 0.9f);
    EXPECT_NEAR(row[kSell], 0.02f, 1e-6f);
    EXPECT_EQ(row[kCharge], 1.0f);  // other actions untouched
    // Terminal: no bootstrap. Q = 2 + 0.5 * (-3 - 2) = -0.5
    q_update(row, kDischarge, -3.0f, nullptr, 0.5f, 0.9f);
    EXPECT_NEAR(row[kDischarge], -0.5f, 1e-6f);
}

TEST(QLearning, ArgmaxBreaksTiesTowardLowestAction) {
    const float row[kNumActions] = {0.0f, 1.0f, 1.0f, 0.5f, 1.0f};
    EXPECT_EQ(argmax_action(row), kDischarge);
}

TEST(QLearning, StateIndexCoversTheTable) {
    EnvParams p{};
    p.soc_bins = 10;
    p.steps_per_day = 24;
    p.price_levels = 3;
    EXPECT_EQ(state_index(p, 0.0f, 0, 0), 0);
    EXPECT_EQ(state_index(p, 1.0f, 23, 2), num_states(p) - 1);  // SoC 1.0 lands in the top bin
    EXPECT_EQ(state_index(p, 0.35f, 5, 1), (3 * 24 + 5) * 3 + 1);
}

TEST(QLearning, EpsilonDecaysPerEpisodeToItsFloor) {
    Config cfg;
    cfg.epsilon = 0.8;
    cfg.epsilon_decay = 0.995;
    cfg.epsilon_min = 0.05;
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 0), 0.8f);
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 1), 0.796f);
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 2000), 0.05f);
}

TEST(QLearning, StepFunctionsUpdateTheRightTable) {
    Config cfg = testing::small_config(5, 6, 3);
    cfg.q_sharing = "community";
    Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    FleetView f{};
    layout_fleet(p, problem.fleet.data(), &f);
    ASSERT_EQ(num_q_tables(p), 2);
    // Vehicle 4 (community 1) took `buy` in state 7 and reached state 8 with reward -2.
    f.q[(1 * num_states(p) + 8) * kNumActions + kIdle] = 10.0f;
    f.state[4] = 7;
    f.next_state[4] = 8;
    f.action[4] = kBuy;
    f.reward[4] = -2.0f;
    learn_vehicle(p, f, 4);
    const float expected = 0.2f * (-2.0f + 0.95f * 10.0f);
    EXPECT_NEAR(f.q[(1 * num_states(p) + 7) * kNumActions + kBuy], expected, 1e-6f);
    EXPECT_EQ(f.q[(0 * num_states(p) + 7) * kNumActions + kBuy], 0.0f);  // community 0 untouched
}

}  // namespace
}  // namespace v2g
