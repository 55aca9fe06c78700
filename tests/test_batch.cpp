// test_batch.cpp: batched training (backends/batch_launch.h, train/batch.h): configurations of
// different shapes run together give each one's own results, bit for bit; the executor's
// members, each on its own thread, train as they would alone; a failed launch fails every
// member waiting on it. The CUDA launcher's twin is in test_cuda.cpp.
#include <gtest/gtest.h>

#include <thread>

#include "train/batch.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

TEST(Batch, CpuBatchOfMixedShapesEqualsEachAlone) {
    testing::expect_batch_equals_alone(
        testing::mixed_batch_configs(),
        [](const Problem& p) { return make_cpu_backend(p, 1); },
        [](const std::vector<BatchRequest>& r) { run_cpu_batch(r, 3); });
}

TEST(Batch, ExecutorMembersTrainAsTheyWouldAlone) {
    const std::vector<Config> configs = testing::mixed_batch_configs();
    BatchExecutor executor(static_cast<int>(configs.size()), 2);
    std::vector<testing::Trained> batched(configs.size());
    std::vector<std::thread> threads;
    for (size_t k = 0; k < configs.size(); ++k)
        threads.emplace_back([&, k] {
            Problem problem = build_problem(configs[k]);
            const EnvParams params = problem.params;
            Trainer trainer(configs[k], params, executor.member_backend(static_cast<int>(k), std::move(problem)));
            batched[k].summary = trainer.train();
            trainer.backend().read_fleet(&batched[k].fleet);
        });
    for (std::thread& t : threads) t.join();
    EXPECT_GT(executor.launches(), 0);
    for (size_t k = 0; k < configs.size(); ++k) {
        const testing::Trained alone = testing::train_cpu(configs[k], 1);
        ASSERT_EQ(alone.fleet.size(), batched[k].fleet.size());
        EXPECT_TRUE(testing::same_bytes(alone.fleet.data(), batched[k].fleet.data(), alone.fleet.size())) << k;
        ASSERT_EQ(alone.summary.episodes_metrics.size(), batched[k].summary.episodes_metrics.size());
        for (size_t e = 0; e < alone.summary.episodes_metrics.size(); ++e)
            EXPECT_EQ(alone.summary.episodes_metrics[e].reward, batched[k].summary.episodes_metrics[e].reward) << k;
        EXPECT_EQ(alone.summary.tip_hash, batched[k].summary.tip_hash) << k;
    }
}

TEST(Batch, AFailedLaunchFailsEveryMemberWaitingOnIt) {
    // A CUDA member in a build or on a machine without a GPU cannot be made; here the launch
    // itself fails: a request whose backend is not a CPU backend.
    struct NotCpu : Backend {
        std::string name() const override { return "not a cpu backend"; }
        void run_episodes(int, int, PolicyMode, const float*, EpisodeMetrics*, EpisodeLedger*, int) override {}
        void read_fleet(std::vector<char>*, size_t) override {}
        void write_fleet(const std::vector<char>&) override {}
        void set_plan(const std::vector<uint8_t>&) override {}
        void set_recording(bool) override {}
        void read_record(std::vector<double>*) override {}
    } not_cpu;
    BatchRequest r;
    r.backend = &not_cpu;
    r.count = 1;
    EXPECT_THROW(run_cpu_batch({r}, 1), std::invalid_argument);
    // Through the executor: two members, one of them broken; both see the failure.
    BatchExecutor executor(2, 1);
    const Config cfg = testing::small_config();
    auto good = executor.member_backend(0, build_problem(cfg));
    std::vector<EpisodeMetrics> metrics(static_cast<size_t>(build_problem(cfg).params.num_communities));
    const float eps = 0.5f;
    std::exception_ptr first, second;
    std::thread t([&] {
        try {
            good->run_episodes(0, 1, kPolicyLearn, &eps, metrics.data(), nullptr, INT_MAX);
        } catch (...) {
            first = std::current_exception();
        }
    });
    try {
        executor.submit(1, r);
    } catch (...) {
        second = std::current_exception();
    }
    t.join();
    EXPECT_TRUE(first != nullptr);
    EXPECT_TRUE(second != nullptr);
}

}  // namespace
}  // namespace v2g
