// The tabular learner by hand: one Q-update, terminal updates, tie-breaking, the state index,
// epsilon schedule, and an update through the step functions with a shared table.
#include <gtest/gtest.h>
#include "tests/test_helpers.h"

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
    p.time_bins = 24;
    p.price_levels = 3;
    EXPECT_EQ(state_index(p, 0.0f, 0, 0), 0);
    EXPECT_EQ(state_index(p, 1.0f, 23, 2), num_states(p) - 1);  // SoC 1.0 lands in the top bin
    EXPECT_EQ(state_index(p, 0.35f, 5, 1), (3 * 24 + 5) * 3 + 1);
}

TEST(QLearning, EpsilonDecaysPerEpisodeToItsFloor) {
    Config cfg;
    cfg.learning.epsilon = 0.8;
    cfg.learning.epsilon_decay = 0.995;
    cfg.learning.epsilon_min = 0.05;
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 0), 0.8f);
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 1), 0.796f);
    EXPECT_FLOAT_EQ(epsilon_for_episode(cfg, 2000), 0.05f);
}

TEST(QLearning, StepFunctionsUpdateTheRightTable) {
    Config cfg = testing::small_config(5, 6, 3);
    cfg.learning.q_sharing = QTableSharing::community;
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
    // Every Q-value starts at learning.q_init.
    const float q0 = static_cast<float>(cfg.learning.q_init);
    EXPECT_EQ(f.q[(1 * num_states(p) + 7) * kNumActions + kBuy], q0);
    learn_vehicle(p, f, 4);
    const float expected = q0 + 0.2f * (-2.0f + p.gamma * 10.0f - q0);
    EXPECT_NEAR(f.q[(1 * num_states(p) + 7) * kNumActions + kBuy], expected, 1e-6f);
    EXPECT_EQ(f.q[(0 * num_states(p) + 7) * kNumActions + kBuy], q0);  // community 0 untouched
}

// bfloat16 tables (learning.q_precision = "bf16"): the top 16 bits of a float32, rounded to
// the nearest, ties to even; widening is exact.
TEST(QLearning, Bfloat16RoundsToNearestTiesToEvenAndWidensExactly) {
    const float ulp_at_one = 1.0f / 128.0f;  // 7 stored mantissa bits
    EXPECT_EQ(float_from_bf16(bf16_from_float(1.0f)), 1.0f);
    EXPECT_EQ(float_from_bf16(bf16_from_float(-3.5f)), -3.5f);
    EXPECT_EQ(float_from_bf16(bf16_from_float(1.0f + ulp_at_one / 2)), 1.0f);                   // tie: to even (down)
    EXPECT_EQ(float_from_bf16(bf16_from_float(1.0f + 3 * ulp_at_one / 2)), 1.0f + 2 * ulp_at_one);  // tie: to even (up)
    EXPECT_EQ(float_from_bf16(bf16_from_float(1.0f + ulp_at_one * 0.6f)), 1.0f + ulp_at_one);    // nearest: up
    EXPECT_EQ(float_from_bf16(bf16_from_float(-(1.0f + ulp_at_one * 0.6f))), -(1.0f + ulp_at_one));
    EXPECT_EQ(float_from_bf16(bf16_from_float(1.0f + ulp_at_one * 0.4f)), 1.0f);                // nearest: down
    EXPECT_EQ(bf16_from_float(1.0f), 0x3F80);
    for (uint32_t h = 0; h < 0x7F80; h += 7) {  // every finite positive bfloat16, sampled: exact round trip
        const uint16_t b = static_cast<uint16_t>(h);
        EXPECT_EQ(bf16_from_float(float_from_bf16(b)), b) << h;
    }
}

TEST(QLearning, Bfloat16UpdateIsTheFloat32UpdateRounded) {
    Config cfg = testing::small_config();
    cfg.learning.q_precision = QPrecision::bf16;
    Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    FleetView f{};
    layout_fleet(p, problem.fleet.data(), &f);
    ASSERT_EQ(f.q, nullptr);
    ASSERT_NE(f.q_bf16, nullptr);
    const int table = q_table_of(p, 3);
    const size_t next = (static_cast<size_t>(table) * num_states(p) + 8) * kNumActions;
    const size_t row = (static_cast<size_t>(table) * num_states(p) + 7) * kNumActions;
    f.q_bf16[next + kIdle] = bf16_from_float(10.0f);
    f.q_bf16[next + kSell] = bf16_from_float(3.0f);
    f.q_bf16[row + kCharge] = bf16_from_float(-1.25f);
    f.state[3] = 7;
    f.next_state[3] = 8;
    f.action[3] = kCharge;
    f.reward[3] = -2.0f;
    learn_vehicle(p, f, 3);
    const float expected = -1.25f + p.alpha * (-2.0f + p.gamma * 10.0f - -1.25f);
    EXPECT_EQ(f.q_bf16[row + kCharge], bf16_from_float(expected));
    EXPECT_EQ(f.q_bf16[row + kIdle], bf16_from_float(static_cast<float>(cfg.learning.q_init)));  // the others untouched
    // Half the bytes of float32 tables.
    Config fp32 = cfg;
    fp32.learning.q_precision = QPrecision::fp32;
    EXPECT_GT(build_problem(fp32).fleet.size(), problem.fleet.size());
}

}  // namespace
}  // namespace v2g
