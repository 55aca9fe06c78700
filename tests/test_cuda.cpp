// CUDA backend: runs only where a GPU is usable (skips with the reason otherwise).
// CPU-vs-GPU bit parity of the tabular path: the same config and seed through both backends
// must give byte-identical fleet buffers (battery state + Q-tables) and identical metrics,
// for per-vehicle, per-community and fleet-shared Q-tables and for every policy mode.
#include <gtest/gtest.h>
#include <cmath>
#include "eval/evaluation.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

// GTEST_SKIP() returns from the function it is in, so this is a macro used in each test body.
#define SKIP_WITHOUT_GPU()                                                              \
    do {                                                                                \
        std::string why;                                                                \
        if (!cuda_usable(&why)) GTEST_SKIP() << "no usable GPU, CUDA tests skipped: " << why; \
    } while (0)

struct Run {
    std::vector<char> fleet;
    std::vector<EpisodeMetrics> metrics;
    std::vector<EpisodeLedger> blocks;
};

Run run_backend(Backend& b, const Problem& problem, const Config& cfg, int episodes, PolicyMode mode) {
    Run r;
    std::vector<float> eps;
    for (int e = 0; e < episodes; ++e) eps.push_back(epsilon_for_episode(cfg, e));
    r.metrics.resize(static_cast<size_t>(episodes) * problem.params.num_communities);
    r.blocks.resize(static_cast<size_t>(episodes));
    b.run_episodes(0, episodes, mode, eps.data(), r.metrics.data(), r.blocks.data(), episodes - 1);
    b.read_fleet(&r.fleet);
    return r;
}

void expect_parity(const Config& cfg, int episodes, PolicyMode mode) {
    const Problem problem = build_problem(cfg);
    auto cpu = make_cpu_backend(problem, 2);
    auto gpu = make_cuda_backend(problem);
    const Run a = run_backend(*cpu, problem, cfg, episodes, mode);
    const Run b = run_backend(*gpu, problem, cfg, episodes, mode);
    ASSERT_EQ(a.fleet.size(), b.fleet.size());
    size_t first_diff = a.fleet.size();
    for (size_t i = 0; i < a.fleet.size(); ++i)
        if (a.fleet[i] != b.fleet[i]) { first_diff = i; break; }
    EXPECT_EQ(first_diff, a.fleet.size()) << "fleet buffers differ from byte " << first_diff;
    // The ledger: the same transactions, so the same Merkle roots, block by block.
    for (size_t e = 0; e < a.blocks.size(); ++e) {
        EXPECT_EQ(a.blocks[e].tx_count, b.blocks[e].tx_count) << "episode " << e;
        EXPECT_TRUE(testing::same_bytes(a.blocks[e].tx_root, b.blocks[e].tx_root, 32)) << "episode " << e;
    }
    ASSERT_EQ(a.blocks.back().transactions.size(), b.blocks.back().transactions.size());
    EXPECT_TRUE(testing::same_bytes(a.blocks.back().transactions.data(), b.blocks.back().transactions.data(),
                                    a.blocks.back().transactions.size() * sizeof(Transaction)));
    for (size_t i = 0; i < a.metrics.size(); ++i) {
        EXPECT_EQ(a.metrics[i].reward, b.metrics[i].reward) << "metrics row " << i;
        EXPECT_EQ(a.metrics[i].soh, b.metrics[i].soh) << "metrics row " << i;
        EXPECT_EQ(a.metrics[i].p2p_bought_kwh, b.metrics[i].p2p_bought_kwh) << "metrics row " << i;
        EXPECT_EQ(a.metrics[i].ledger_amount_micro, b.metrics[i].ledger_amount_micro) << "metrics row " << i;
    }
}

TEST(Cuda, DeviceIsReported) {
    SKIP_WITHOUT_GPU();
    const Problem problem = build_problem(testing::small_config());
    EXPECT_NE(make_cuda_backend(problem)->name().find("cuda"), std::string::npos);
}

class CudaParity : public ::testing::TestWithParam<QTableSharing> {};

TEST_P(CudaParity, TabularTrainingIsBitIdenticalToCpu) {
    SKIP_WITHOUT_GPU();
    Config cfg = testing::small_config(21, 300, 50);
    cfg.learning.q_sharing = GetParam();
    expect_parity(cfg, 40, kPolicyLearn);
}

TEST_P(CudaParity, QuarterHourStepsAndOddCommunities) {
    SKIP_WITHOUT_GPU();
    Config cfg = testing::small_config(22, 131, 17);
    cfg.learning.q_sharing = GetParam();
    cfg.time.step_hours = 0.25;
    cfg.market.unmatched_to_grid = false;
    expect_parity(cfg, 10, kPolicyLearn);
}

TEST_P(CudaParity, Bfloat16TablesAreBitIdenticalToCpu) {
    SKIP_WITHOUT_GPU();
    Config cfg = testing::small_config(23, 300, 50);
    cfg.learning.q_sharing = GetParam();
    cfg.learning.q_precision = QPrecision::bf16;
    expect_parity(cfg, 40, kPolicyLearn);
}

TEST(CudaParity, BatchOfMixedShapesIsBitIdenticalToEachAloneOnCpu) {
    SKIP_WITHOUT_GPU();
    testing::expect_batch_equals_alone(
        testing::mixed_batch_configs(), [](const Problem& p) { return make_cuda_backend(p); },
        [](const std::vector<BatchRequest>& r) { run_cuda_batch(r); });
}

TEST(CudaParity, FixedPoliciesAreBitIdentical) {
    SKIP_WITHOUT_GPU();
    const Config cfg = testing::small_config(23, 100, 25);
    for (PolicyMode mode : {kPolicyGreedy, kPolicyRandom, kPolicyChargeOnArrival, kPolicyTimeOfUse, kPolicyExplore})
        expect_parity(cfg, 5, mode);
}

// The whole evaluation (every policy, the optimum's plans, every fault, the step record) gives
// the same numbers on both backends.
TEST(CudaParity, EvaluationIsBitIdentical) {
    SKIP_WITHOUT_GPU();
    Config cfg = testing::small_config(24, 60, 20);
    cfg.run.episodes = 30;
    cfg.evaluation.days = 3;
    cfg.evaluation.dp_energy_points = 31;
    const testing::Trained trained = testing::train_cpu(cfg, 2);
    const DeviceChoice cpu{ComputeDevice::cpu, "test"}, cuda{ComputeDevice::cuda, "test"};
    const EvaluationResult a = run_evaluation(cfg, trained.fleet, cfg.run.episodes, cpu);
    const EvaluationResult b = run_evaluation(cfg, trained.fleet, cfg.run.episodes, cuda);
    ASSERT_EQ(a.scenarios.size(), b.scenarios.size());
    for (size_t s = 0; s < a.scenarios.size(); ++s)
        for (size_t k = 0; k < a.scenarios[s].metrics.size(); ++k)
            for (size_t d = 0; d < a.scenarios[s].metrics[k].size(); ++d)
                for (int m = 0; m < kMetricCount; ++m) {
                    const double x = a.scenarios[s].metrics[k][d][m], y = b.scenarios[s].metrics[k][d][m];
                    EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y)))
                        << "scenario " << s << " policy " << a.policies[k] << " day " << d << " "
                        << metric_table()[m].name << ": " << x << " vs " << y;
                }
    EXPECT_EQ(a.flows, b.flows);
    EXPECT_EQ(a.optimum_value_per_vehicle, b.optimum_value_per_vehicle);
}

INSTANTIATE_TEST_SUITE_P(QSharing, CudaParity, ::testing::ValuesIn(every_choice<QTableSharing>()));

}  // namespace
}  // namespace v2g
