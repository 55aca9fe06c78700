// Determinism: the same config and seed give bit-identical Q-tables, battery state and
// per-episode metrics with 1 and with 2 threads and across two runs; another seed differs.
#include <gtest/gtest.h>
#include "tests/test_helpers.h"

namespace v2g {
namespace {

void expect_identical(const testing::Trained& a, const testing::Trained& b) {
    ASSERT_EQ(a.fleet.size(), b.fleet.size());
    EXPECT_TRUE(testing::same_bytes(a.fleet.data(), b.fleet.data(), a.fleet.size()))
        << "fleet buffers (state + Q-tables) differ";
    ASSERT_EQ(a.summary.episodes_metrics.size(), b.summary.episodes_metrics.size());
    for (size_t i = 0; i < a.summary.episodes_metrics.size(); ++i) {
        EXPECT_EQ(a.summary.episodes_metrics[i].reward, b.summary.episodes_metrics[i].reward) << "episode " << i;
        EXPECT_EQ(a.summary.episodes_metrics[i].soh, b.summary.episodes_metrics[i].soh) << "episode " << i;
    }
    EXPECT_EQ(a.summary.mean_reward_last, b.summary.mean_reward_last);
    EXPECT_EQ(a.summary.soh_mean, b.summary.soh_mean);
}

class Determinism : public ::testing::TestWithParam<QTableSharing> {};

TEST_P(Determinism, SameSeedSameBitsAcrossThreadsAndRuns) {
    Config cfg = testing::small_config(11, 40, 8);
    cfg.learning.q_sharing = GetParam();
    const testing::Trained one = testing::train_cpu(cfg, 1);
    const testing::Trained two = testing::train_cpu(cfg, 2);
    const testing::Trained again = testing::train_cpu(cfg, 2);
    expect_identical(one, two);
    expect_identical(two, again);
}

TEST_P(Determinism, Bfloat16TablesToo) {
    Config cfg = testing::small_config(13, 40, 8);
    cfg.learning.q_sharing = GetParam();
    cfg.learning.q_precision = QPrecision::bf16;
    expect_identical(testing::train_cpu(cfg, 1), testing::train_cpu(cfg, 2));
}

TEST_P(Determinism, DifferentSeedDifferentResults) {
    Config cfg = testing::small_config(11, 40, 8);
    cfg.learning.q_sharing = GetParam();
    const testing::Trained a = testing::train_cpu(cfg, 2);
    cfg.run.seed = 12;
    const testing::Trained b = testing::train_cpu(cfg, 2);
    ASSERT_EQ(a.fleet.size(), b.fleet.size());
    EXPECT_FALSE(testing::same_bytes(a.fleet.data(), b.fleet.data(), a.fleet.size()));
    EXPECT_NE(a.summary.mean_reward_last, b.summary.mean_reward_last);
}

INSTANTIATE_TEST_SUITE_P(QSharing, Determinism, ::testing::ValuesIn(every_choice<QTableSharing>()));

}  // namespace
}  // namespace v2g
