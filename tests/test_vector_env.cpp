// test_vector_env.cpp: the engine stepped by an outside agent (run/vector_env.h) is the engine:
// a day driven step by step with the actions a built-in policy would choose gives that policy's
// metrics and Merkle root, bit for bit; rewards add up to the day's money; day boundaries,
// abandoned days and masks behave as documented.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>
#include "env/step.h"
#include "tests/test_helpers.h"
#include "run/vector_env.h"

namespace v2g {
namespace {

// Drives day `episode` with the time-of-use rule's choices; returns the rewards' sum per vehicle.
std::vector<double> drive_time_of_use(VectorEnv& env, int episode) {
    env.reset(episode);
    std::vector<uint8_t> actions(static_cast<size_t>(env.num_envs()));
    std::vector<double> money(actions.size(), 0.0);
    for (bool done = false; !done;) {
        const int step = env.step_index();
        for (int v = 0; v < env.num_envs(); ++v)
            actions[v] = plugged_in(env.fleet(), v, step)
                             ? static_cast<uint8_t>(time_of_use_action(env.params(), env.signals(), env.fleet(), v,
                                                                       episode, step))
                             : static_cast<uint8_t>(kIdle);
        done = env.step(actions.data());
        for (int v = 0; v < env.num_envs(); ++v) money[v] += env.rewards()[v];
    }
    return money;
}

struct EngineDay {
    EpisodeMetrics metrics;
    EpisodeLedger ledger;
};

// The same days run by the CPU backend's own time-of-use policy, from a fresh fleet.
std::vector<EngineDay> engine_time_of_use(const Config& cfg, int days) {
    const Problem problem = build_problem(cfg);
    auto backend = make_cpu_backend(problem, 1);
    std::vector<EngineDay> out(static_cast<size_t>(days));
    std::vector<EpisodeMetrics> per_community(static_cast<size_t>(problem.params.num_communities));
    for (int d = 0; d < days; ++d) {
        const float epsilon = 0.0f;
        backend->run_episodes(d, 1, kPolicyTimeOfUse, &epsilon, per_community.data(), &out[d].ledger);
        out[d].metrics = merge_communities(per_community.data(), problem.params.num_communities);
    }
    return out;
}

TEST(VectorEnv, DrivenByTheTimeOfUseRuleItIsTheEnginesTimeOfUseBitForBit) {
    Config cfg = testing::small_config(11, 24, 8);
    cfg.grid.limit_kw_per_vehicle = 3.0;  // the connection limit binds: the market and its sums matter
    VectorEnv env(cfg);
    const int days = 3;
    const std::vector<EngineDay> engine = engine_time_of_use(cfg, days);
    for (int d = 0; d < days; ++d) {
        const std::vector<double> money = drive_time_of_use(env, d);
        EXPECT_EQ(env.days_finished(), d + 1);
        EXPECT_EQ(std::memcmp(&env.day_metrics(), &engine[d].metrics, sizeof(EpisodeMetrics)), 0) << "day " << d;
        EXPECT_EQ(std::memcmp(env.day_ledger().tx_root, engine[d].ledger.tx_root, 32), 0) << "day " << d;
        EXPECT_EQ(env.day_ledger().tx_count, engine[d].ledger.tx_count);
        // The rewards of a day sum to its money (the en-route charging in the first step's).
        double total = 0;
        for (double m : money) total += m;
        EXPECT_NEAR(total, env.day_metrics().reward, 1e-3 * env.num_envs()) << "day " << d;
    }
}

TEST(VectorEnv, RewardTermsMakeTheReward) {
    VectorEnv env(testing::small_config());
    env.reset(0);
    std::vector<uint8_t> actions(static_cast<size_t>(env.num_envs()));
    for (int step = 0; step < env.steps_per_day(); ++step) {
        for (int v = 0; v < env.num_envs(); ++v) actions[v] = static_cast<uint8_t>((v + step) % kNumActions);
        env.step(actions.data());
        for (int v = 0; v < env.num_envs(); ++v) {
            const float* t = env.reward_terms() + static_cast<size_t>(v) * kNumRewardTerms;
            const float sum = t[kTermRevenue] - t[kTermEnergyCost] - t[kTermDegradation] - t[kTermUnmetPenalty] -
                              t[kTermEnRoute];
            EXPECT_NEAR(env.rewards()[v], sum, 1e-5f) << "vehicle " << v << " step " << step;
            if (step > 0) {
                EXPECT_EQ(t[kTermEnRoute], 0.0f);
            }
        }
    }
}

TEST(VectorEnv, AbandonedDayLeavesNoMetricsAndTheNextDayRuns) {
    VectorEnv env(testing::small_config());
    std::vector<uint8_t> idle(static_cast<size_t>(env.num_envs()), kIdle);
    env.reset(0);
    for (int step = 0; step < 5; ++step) EXPECT_FALSE(env.step(idle.data()));
    env.reset(1);  // abandons day 0
    EXPECT_EQ(env.days_finished(), 0);
    EXPECT_EQ(env.step_index(), 0);
    int steps = 0;
    for (bool done = false; !done; ++steps) done = env.step(idle.data());
    EXPECT_EQ(steps, env.steps_per_day());
    EXPECT_EQ(env.days_finished(), 1);
    EXPECT_FALSE(env.in_day());
    EXPECT_THROW(env.step(idle.data()), std::logic_error);
}

TEST(VectorEnv, MaskAllowsOnlyIdlingAwayAndWhatTheSafetyLayerKeeps) {
    Config cfg = testing::deterministic_config();
    VectorEnv env(cfg);
    env.reset(0);
    std::vector<uint8_t> idle(static_cast<size_t>(env.num_envs()), kIdle);
    bool saw_away = false, saw_forced = false;
    for (bool done = false; !done;) {
        const int step = env.step_index();
        for (int v = 0; v < env.num_envs(); ++v) {
            const uint8_t* mask = env.action_mask() + static_cast<size_t>(v) * kNumActions;
            if (!plugged_in(env.fleet(), v, step)) {
                saw_away = true;
                for (int a = 0; a < kNumActions; ++a) EXPECT_EQ(mask[a], a == kIdle ? 1 : 0);
            } else {
                EXPECT_EQ(mask[kCharge], 1);  // charging is never overridden
                bool forced = false;
                safe_action(env.params(), env.signals(), env.fleet(), v, 0, step, kIdle, &forced);
                EXPECT_EQ(mask[kIdle], forced ? 0 : 1);
                saw_forced = saw_forced || forced;
            }
        }
        done = env.step(idle.data());
    }
    EXPECT_TRUE(saw_away);
    EXPECT_TRUE(saw_forced);  // idling all day runs into the safety layer
}

}  // namespace
}  // namespace v2g
