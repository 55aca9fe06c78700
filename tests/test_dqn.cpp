// The DQN (dqn/dqn.cpp, dqn_core.h): replay buffer, TD targets, target updates and the
// observation by hand; learning against the exact optimum; the TorchScript export against the
// engine's own Q-values. Built only with LibTorch (tests/CMakeLists.txt).
#include <gtest/gtest.h>
#include <torch/script.h>
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <cstdio>
#include <unistd.h>
#include "dqn/dqn.h"
#include "dqn/dqn_core.h"
#include "common/errors.h"
#include "results/results.h"
#include "env/observation.h"
#include "eval/optimum.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

torch::Tensor rows(int64_t n, int64_t first) {  // [n, 2] with row i = (first + i, -(first + i))
    torch::Tensor t = torch::arange(first, first + n, torch::kFloat32).unsqueeze(1);
    return torch::cat({t, -t}, 1);
}

TEST(Dqn, ReplayBufferWrapsAroundAndSamplesOnlyWhatItHolds) {
    dqn::ReplayBuffer buffer(5, 2);
    auto push = [&](int64_t n, int64_t first) {
        buffer.push(rows(n, first), torch::arange(first, first + n, torch::kInt64),
                    torch::arange(first, first + n, torch::kFloat32), rows(n, first + 100), torch::zeros({n}));
    };
    push(3, 0);
    EXPECT_EQ(buffer.size(), 3);
    EXPECT_EQ(buffer.next_slot(), 3);
    push(4, 3);  // 3, 4 fill slots 3-4; 5, 6 overwrite slots 0-1
    EXPECT_EQ(buffer.size(), 5);
    EXPECT_EQ(buffer.next_slot(), 2);
    const std::vector<float> expected = {5, 6, 2, 3, 4};
    for (int i = 0; i < 5; ++i) EXPECT_EQ(buffer.rewards()[i].item<float>(), expected[i]) << "slot " << i;
    push(12, 10);  // more than the capacity in one push: the last five remain
    EXPECT_EQ(buffer.size(), 5);
    std::vector<float> held;
    for (int i = 0; i < 5; ++i) held.push_back(buffer.rewards()[i].item<float>());
    std::sort(held.begin(), held.end());
    EXPECT_EQ(held, (std::vector<float>{17, 18, 19, 20, 21}));
    // Samples: rows consistent across fields, drawn only from the stored ones, all reachable.
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
    std::set<int64_t> seen;
    for (int k = 0; k < 50; ++k) {
        const auto b = buffer.sample(8, gen);
        for (int64_t i = 0; i < 8; ++i) {
            const float r = b.reward[i].item<float>();
            EXPECT_GE(r, 17);
            EXPECT_EQ(b.action[i].item<int64_t>(), static_cast<int64_t>(r));
            EXPECT_EQ(b.obs[i][0].item<float>(), r);
            EXPECT_EQ(b.next_obs[i][0].item<float>(), r + 100);
            seen.insert(b.index[i].item<int64_t>());
        }
    }
    EXPECT_EQ(seen.size(), 5u);
}

// Q-networks with no hidden layer and zero weights: Q(s, .) is the bias for every s.
torch::nn::Sequential constant_q(std::vector<float> q) {
    torch::nn::Sequential net = dqn::make_q_network(2, {}, 1);
    torch::NoGradGuard no_grad;
    auto params = net->parameters();
    params[0].zero_();
    params[1].copy_(torch::tensor(q));
    return net;
}

TEST(Dqn, TdTargetsPlainAndDoubleByHand) {
    torch::nn::Sequential online = constant_q({5, 4, 3, 2, 1});  // argmax: action 0
    torch::nn::Sequential target = constant_q({1, 2, 3, 4, 5});  // max 5, at action 4
    const torch::Tensor reward = torch::tensor({1.0f, 2.0f}), done = torch::tensor({0.0f, 1.0f});
    const torch::Tensor next = torch::zeros({2, 2});
    const torch::Tensor plain = dqn::td_target(online, target, reward, next, done, 0.9, false);
    const torch::Tensor twin = dqn::td_target(online, target, reward, next, done, 0.9, true);
    EXPECT_FLOAT_EQ(plain[0].item<float>(), 1.0f + 0.9f * 5.0f);  // r + gamma max_a Q_target
    EXPECT_FLOAT_EQ(twin[0].item<float>(), 1.0f + 0.9f * 1.0f);   // r + gamma Q_target(argmax Q_online)
    EXPECT_FLOAT_EQ(plain[1].item<float>(), 2.0f);                 // terminal: no bootstrap
    EXPECT_FLOAT_EQ(twin[1].item<float>(), 2.0f);
}

TEST(Dqn, TargetUpdatesHardAndSoft) {
    torch::nn::Sequential online = constant_q({5, 4, 3, 2, 1});
    torch::nn::Sequential target = constant_q({1, 1, 1, 1, 1});
    dqn::soft_update(target, online, 0.25);
    EXPECT_FLOAT_EQ(target->parameters()[1][0].item<float>(), 0.75f * 1 + 0.25f * 5);
    EXPECT_FLOAT_EQ(target->parameters()[1][4].item<float>(), 1.0f);
    dqn::hard_update(target, online);
    for (size_t i = 0; i < online->parameters().size(); ++i)
        EXPECT_TRUE(torch::equal(target->parameters()[i], online->parameters()[i]));
}

TEST(Dqn, ObservationFeaturesAreScaledAsDocumented) {
    Config cfg = testing::deterministic_config();
    testing::HostFleet h(cfg);
    const int v = 3, episode = 2;
    reset_vehicle(h.p, h.sig, h.f, v, episode);
    const int step = h.f.arrival_step[v] + 2;  // plugged in: 20:00
    float price_scale = 0;
    for (int i = 0; i < h.p.signal_days * h.p.steps_per_day; ++i) price_scale = std::max(price_scale, h.sig.retail_price_per_kwh[i]);
    float obs[kObservationSize];
    observe_vehicle(h.p, h.sig, h.f, v, episode, step, price_scale, cfg.time.day_start_hour, obs);
    const double hour = cfg.time.day_start_hour + step * cfg.time.step_hours;
    EXPECT_FLOAT_EQ(obs[kObsSoc], h.f.energy_kwh[v] / h.f.usable_kwh[v]);
    EXPECT_NEAR(obs[kObsHourSin], std::sin(2 * M_PI * hour / 24), 1e-6);
    EXPECT_NEAR(obs[kObsHourCos], std::cos(2 * M_PI * hour / 24), 1e-6);
    EXPECT_FLOAT_EQ(obs[kObsPriceNow], h.sig.retail_price_per_kwh[step] / price_scale);
    EXPECT_FLOAT_EQ(obs[kObsPriceNext], h.sig.retail_price_per_kwh[step + 1] / price_scale);
    EXPECT_EQ(obs[kObsPlugged], 1.0f);
    EXPECT_FLOAT_EQ(obs[kObsTimeToDeparture], static_cast<float>(h.f.departure_step[v] - step) / 24.0f);
    EXPECT_FLOAT_EQ(obs[kObsEnergyNeeded], (h.f.required_kwh[v] - h.f.energy_kwh[v]) / h.f.usable_kwh[v]);
    EXPECT_FLOAT_EQ(obs[kObsSoh], h.f.soh[v]);
    for (float x : obs) {
        EXPECT_GE(x, -1.0f);
        EXPECT_LE(x, 1.0f);
    }
    observe_vehicle(h.p, h.sig, h.f, v, episode, 0, price_scale, cfg.time.day_start_hour, obs);  // noon: away
    EXPECT_EQ(obs[kObsPlugged], 0.0f);
    EXPECT_EQ(obs[kObsTimeToDeparture], 0.0f);
}

// The instance of the tabular learning test, with a schedule that fits a short DQN run.
Config dqn_config() {
    Config cfg = testing::deterministic_config();
    cfg.learning.policy = LearnerPolicy::dqn;
    cfg.run.episodes = 250;
    cfg.learning.epsilon = 1.0;
    cfg.learning.epsilon_decay = 0.98;
    cfg.learning.epsilon_min = 0.02;
    cfg.learning.gamma = 1.0;
    cfg.dqn.learning_starts = 500;
    cfg.dqn.target_update = TargetUpdate::soft;
    cfg.dqn.tau = 0.01;
    cfg.dqn.updates_per_step = 2;
    return cfg;
}

// A few episodes of a small network, for tests of what a run writes rather than what it learns.
Config short_dqn_config(int episodes, const char* hidden) {
    Config cfg = dqn_config();
    cfg.run.episodes = episodes;
    cfg.dqn.learning_starts = 50;
    cfg.dqn.hidden = hidden;
    return cfg;
}

TEST(Dqn, ReachesNinetyPercentOfTheOptimum) {
    const Config cfg = dqn_config();
    const Problem problem = build_problem(cfg);
    Trainer trainer(cfg, problem.params, make_dqn_backend(cfg, problem));
    trainer.train();
    Backend& backend = trainer.backend();
    std::vector<char> fleet;
    backend.read_fleet(&fleet);

    const int day = cfg.run.episodes;
    const std::vector<double> market = testing::greedy_day_market(backend, problem.params, day);

    EnvParams p = problem.params;
    p.plan_points = 201;
    PlanContext day_context = plan_context(p, &fleet, problem.signals, 0, day, market.data());
    const FleetView& f = day_context.f;
    const SignalsView& sig = day_context.sig;
    const float price_scale = dqn_price_scale(backend);
    double optimum = 0, learned = 0, random = 0;
    testing::each_vehicle_day(day_context, day, [&](const PlanContext& c, double day_optimum) {
        const int v = c.vehicle;
        optimum += day_optimum;
        learned += evaluate_in_model(c, [&](int t, float energy) {
            const float saved = f.energy_kwh[v];
            f.energy_kwh[v] = energy;
            std::vector<float> obs(kObservationSize);
            observe_vehicle(p, sig, f, v, day, t, price_scale, cfg.time.day_start_hour, obs.data());
            f.energy_kwh[v] = saved;
            const std::vector<float> q = dqn_q_values(backend, obs);
            return static_cast<int>(std::max_element(q.begin(), q.end()) - q.begin());
        });
        random += evaluate_in_model(c, [&](int t, float) {
            return testing::random_action(p, v, day, t);
        });
    });
    const double n = p.num_vehicles;
    std::printf("per vehicle-day (plugged-in steps): optimum %.4f, DQN %.4f, random %.4f\n", optimum / n, learned / n,
                random / n);
    // "At least 90% of the optimum" for a negative return (a cost): within 10% of it.
    EXPECT_GE(learned, optimum - 0.10 * std::abs(optimum));
}

TEST(Dqn, TorchScriptExportGivesTheEnginesQValues) {
    Config cfg = short_dqn_config(3, "32,16");
    const Problem problem = build_problem(cfg);
    Trainer trainer(cfg, problem.params, make_dqn_backend(cfg, problem));
    trainer.train();
    const std::string path = "/tmp/v2g_test_dqn_" + std::to_string(getpid()) + ".pt";
    export_dqn_model(trainer.backend(), path);
    torch::jit::Module m = torch::jit::load(path);
    std::remove(path.c_str());
    EXPECT_EQ(m.attr("observation_layout_version").toInt(), kObservationLayoutVersion);
    EXPECT_EQ(m.attr("observation_size").toInt(), kObservationSize);
    torch::manual_seed(5);
    const torch::Tensor obs = torch::rand({7, kObservationSize});
    const torch::Tensor q = m.forward({obs}).toTensor();
    ASSERT_EQ(q.size(0), 7);
    ASSERT_EQ(q.size(1), kNumActions);
    const std::vector<float> engine = dqn_q_values(trainer.backend(), std::vector<float>(obs.data_ptr<float>(), obs.data_ptr<float>() + obs.numel()));
    for (int i = 0; i < 7 * kNumActions; ++i) EXPECT_NEAR(q.view(-1)[i].item<float>(), engine[i], 1e-6f) << i;
}

// Exact resume: a run stopped after its first chunk and resumed from its results file ends with
// the same fleet and the same network as the run that was never stopped.
TEST(Dqn, ResumesExactlyFromItsCheckpoint) {
    Config cfg = short_dqn_config(6, "32,32");
    const Problem problem = build_problem(cfg);
    const std::string base = "/tmp/v2g_test_dqn_resume_" + std::to_string(getpid());
    const SnapshotStrides strides{0, 0, 2};
    RunInfo info;
    info.device = "cpu";
    const auto finish = [&](Trainer& t, const std::string& path, const ResumeState* from) {
        std::unique_ptr<ResultsWriter> w =
            from ? std::make_unique<ResultsWriter>(path, cfg, problem.params, problem.contracts, info, *from)
                 : std::make_unique<ResultsWriter>(path, cfg, problem.params, problem.contracts, info);
        t.set_results(w.get(), strides);
        const TrainSummary s = t.train();
        w->finish(s.interrupted ? "interrupted" : "finished");
        return s;
    };
    // Uninterrupted.
    Trainer whole(cfg, problem.params, make_dqn_backend(cfg, problem));
    finish(whole, base + "_a.h5", nullptr);
    // Stopped after its first chunk, then resumed by a new process's worth of objects.
    Trainer first(cfg, problem.params, make_dqn_backend(cfg, problem));
    std::atomic<bool> stop{true};
    first.set_stop_flag(&stop);
    const TrainSummary stopped = finish(first, base + "_b.h5", nullptr);
    ASSERT_TRUE(stopped.interrupted);
    ASSERT_LT(stopped.episodes_done, cfg.run.episodes);
    ResumeState state = read_resume_state(base + "_b.h5", problem.params);
    ASSERT_EQ(state.next_episode, stopped.episodes_done);
    ASSERT_FALSE(state.learner.empty());
    Trainer resumed(cfg, problem.params, make_dqn_backend(cfg, problem));
    const ResumeState copy = state;
    resumed.resume_from(std::move(state));
    finish(resumed, base + "_b.h5", &copy);

    std::vector<char> a, b;
    whole.backend().read_fleet(&a);
    resumed.backend().read_fleet(&b);
    EXPECT_TRUE(a == b) << "fleet buffers differ";
    torch::manual_seed(11);
    const torch::Tensor obs = torch::rand({16, kObservationSize});
    const std::vector<float> o(obs.data_ptr<float>(), obs.data_ptr<float>() + obs.numel());
    EXPECT_EQ(dqn_q_values(whole.backend(), o), dqn_q_values(resumed.backend(), o));
    // A network that kept learning from scratch instead would differ (the check can fail).
    Trainer fresh(cfg, problem.params, make_dqn_backend(cfg, problem));
    EXPECT_NE(dqn_q_values(whole.backend(), o), dqn_q_values(fresh.backend(), o));
    std::remove((base + "_a.h5").c_str());
    std::remove((base + "_b.h5").c_str());
}

TEST(Dqn, RefusesACheckpointOfAnotherShape) {
    Config cfg = dqn_config();
    cfg.dqn.hidden = "32,32";
    const Problem problem = build_problem(cfg);
    auto made = make_dqn_backend(cfg, problem);
    std::vector<char> state;
    made->save_learner(&state);
    ASSERT_FALSE(state.empty());
    cfg.dqn.hidden = "16";
    auto other = make_dqn_backend(cfg, problem);
    try {
        other->load_learner(state);
        FAIL() << "loaded a 32,32 network into a 16 one";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("hidden 32,32"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("observation layout"), std::string::npos) << e.what();
    }
    std::vector<char> garbage(state.begin(), state.begin() + static_cast<std::ptrdiff_t>(state.size() / 3));
    EXPECT_THROW(other->load_learner(garbage), InputError);
    EXPECT_THROW(other->load_learner({}), InputError);
    cfg.dqn.hidden = "32,32";
    cfg.dqn.buffer_size = 77;
    EXPECT_THROW(make_dqn_backend(cfg, problem)->load_learner(state), InputError);
    // The tabular backend has no learner state and takes none.
    auto tabular = make_cpu_backend(problem, 1);
    std::vector<char> none;
    tabular->save_learner(&none);
    EXPECT_TRUE(none.empty());
    EXPECT_THROW(tabular->load_learner(state), std::invalid_argument);
}

}  // namespace
}  // namespace v2g
