// vector_env.cpp: see vector_env.h. The driver is a host backend whose episode is the schedule
// over the whole fleet on one lane, with the caller's actions (kPolicyGiven), as the DQN runs
// it; the hand-over between the caller and the engine thread is one mutex and one condition.
#include "run/vector_env.h"

#include <algorithm>
#include <stdexcept>
#include "backends/host_backend.h"
#include "env/observation.h"
#include "env/schedule.h"
#include "problem/problem.h"
#include "run/train_run.h"
#include "train/trainer.h"

namespace v2g {

class VectorEnv::Driver final : public HostBackend {
public:
    Driver(VectorEnv& env, Problem problem, int threads) : HostBackend(std::move(problem), threads), env_(env) {}

    std::string name() const override { return "cpu (outside agent, 1 lane)"; }
    const EnvParams& params() const { return p_; }
    const SignalsView& signals() const { return sig_; }
    const FleetView& fleet() const { return f_; }
    void set_reward_terms(float* terms) { f_.reward_terms = terms; }

    // In a training run (a results file) each day ends with a hand-over: the caller sees the
    // day's end and starts the next (or closes the env) before the trainer writes on.
    void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon, EpisodeMetrics* metrics,
                      EpisodeLedger* ledger, int keep_transactions_from) override {
        if (!env_.writes_results()) {
            HostBackend::run_episodes(first_episode, count, mode, epsilon, metrics, ledger, keep_transactions_from);
            return;
        }
        for (int i = 0; i < count; ++i) {
            const int episode = first_episode + i;
            if (!started_) {  // the constructor waits for this: the run is set up
                started_ = true;
                env_.wait_for_engine_turn();
            }
            env_.episode_ = episode;
            EpisodeMetrics* out = metrics + static_cast<size_t>(i) * p_.num_communities;
            run_episode(episode, mode, epsilon[i], out);
            if (ledger) commit_episode(episode, &ledger[i], keep_transactions_from);
            env_.finish_day(episode, out, ledger ? &ledger[i] : nullptr);
            try {
                env_.wait_for_engine_turn();
            } catch (const Abandon&) {  // closed between days: the run stops after this one
                env_.stop_run_ = true;
            }
        }
    }

private:
    // The caller's places in the schedule: it chooses before each act phase, and each step's
    // rewards are taken once the step is applied.
    struct CallerHooks {
        static constexpr bool kChoosesActions = true;
        VectorEnv& env;
        void begin_episode(int) {}
        void before_act(int episode, int step) {
            env.observe(episode, step);
            env.step_ = step;
            env.wait_for_engine_turn();
        }
        void after_phase(int phase, int, int) {
            if (phase == kPhaseApply) env.take_rewards();
        }
    };

    void run_episode(int episode, PolicyMode, float, EpisodeMetrics* out) override {
        CallerHooks hooks{env_};
        run_episode_schedule(p_, sig_, f_, 0, p_.num_communities, episode, kPolicyGiven, 0.0f, Lanes{}, NoSync{},
                             hooks, nullptr, out);
    }

    VectorEnv& env_;
    bool started_ = false;
};

VectorEnv::VectorEnv(const Config& cfg, const std::string& out_path, const std::string& input_toml)
    : cfg_(cfg), out_path_(out_path), input_toml_(input_toml),
      day_start_hour_(static_cast<float>(cfg.time.day_start_hour)) {
    if (out_path_.empty()) {
        owned_driver_ = make_driver(build_problem(cfg));
        engine_ = std::thread([this] { engine_main(); });
        return;
    }
    days_planned_ = cfg.run.episodes;
    engine_ = std::thread([this] { engine_run_main(); });
    // The run sets up (the results file, its genesis block) and hands back before its first day.
    try {
        hand_over_and_wait();
    } catch (...) {  // it could not: the engine thread has ended
        engine_.join();
        throw;
    }
}

std::unique_ptr<Backend> VectorEnv::make_driver(Problem problem) {
    num_envs_ = problem.params.num_vehicles;
    steps_per_day_ = problem.params.steps_per_day;
    const int communities = problem.params.num_communities;
    auto driver = std::make_unique<Driver>(*this, std::move(problem), cfg_.run.threads > 0 ? cfg_.run.threads : 1);
    driver_ = driver.get();
    price_scale_ = observation_price_scale(driver_->params(), driver_->signals());
    obs_.assign(static_cast<size_t>(num_envs_) * kObservationSize, 0.0f);
    reward_.assign(static_cast<size_t>(num_envs_), 0.0f);
    terms_.assign(static_cast<size_t>(num_envs_) * kNumRewardTerms, 0.0f);
    mask_.assign(static_cast<size_t>(num_envs_) * kNumActions, 0);
    community_metrics_.resize(static_cast<size_t>(communities));
    driver_->set_reward_terms(terms_.data());
    return driver;
}

const EnvParams& VectorEnv::params() const { return driver_->params(); }
const SignalsView& VectorEnv::signals() const { return driver_->signals(); }
const FleetView& VectorEnv::fleet() const { return driver_->fleet(); }

VectorEnv::~VectorEnv() { close(); }

void VectorEnv::close() {
    if (!engine_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        quit_ = true;
        turn_ = Turn::kEngine;
    }
    turn_changed_.notify_all();
    engine_.join();
    in_day_ = false;
}

void VectorEnv::reset(int episode) {
    if (episode < 0) throw std::invalid_argument("episode must be >= 0");
    if (quit_) throw std::logic_error("the environment is closed");
    if (writes_results()) {
        if (in_day_)
            throw std::logic_error("a run written to a results file cannot leave day " + std::to_string(episode_) +
                                   " unfinished: step to its end");
        if (run_over_ || days_finished_ >= days_planned_)
            throw std::logic_error("all " + std::to_string(days_planned_) +
                                   " days of the run (run.episodes) are done: the results file is finished");
        if (episode != days_finished_)
            throw std::logic_error("a run written to a results file takes its days in order: the next is day " +
                                   std::to_string(days_finished_));
    } else if (in_day_) {  // the engine waits in the day's hook: let it leave the day
        abandon_ = true;
        hand_over_and_wait();
        abandon_ = false;
        in_day_ = false;
    }
    episode_ = episode;
    step_ = 0;
    day_ended_ = false;
    std::fill(reward_.begin(), reward_.end(), 0.0f);
    std::fill(terms_.begin(), terms_.end(), 0.0f);
    hand_over_and_wait();
    if (run_over_) throw std::logic_error("the training run ended before day " + std::to_string(episode));
    in_day_ = !day_ended_;
}

bool VectorEnv::step(const uint8_t* actions) {
    if (!in_day_) throw std::logic_error("step() outside a day: reset() first");
    std::copy(actions, actions + num_envs_, driver_->fleet().action);
    hand_over_and_wait();
    if (day_ended_ || run_over_) in_day_ = false;
    return day_ended_;
}

void VectorEnv::hand_over_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    turn_ = Turn::kEngine;
    turn_changed_.notify_all();
    turn_changed_.wait(lock, [this] { return turn_ == Turn::kCaller; });
    if (error_) {
        std::exception_ptr e = error_;
        error_ = nullptr;
        in_day_ = false;
        std::rethrow_exception(e);
    }
}

void VectorEnv::wait_for_engine_turn() {
    std::unique_lock<std::mutex> lock(mutex_);
    turn_ = Turn::kCaller;
    turn_changed_.notify_all();
    turn_changed_.wait(lock, [this] { return turn_ == Turn::kEngine; });
    if (abandon_ || quit_) throw Abandon{};
}

void VectorEnv::engine_main() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        turn_changed_.wait(lock, [this] { return turn_ == Turn::kEngine; });
        if (quit_) return;
        const int episode = episode_;  // the day the caller asked for
        lock.unlock();
        try {
            const float no_epsilon = 0.0f;
            const bool ledger = driver_->params().ledger_enabled != 0;
            driver_->run_episodes(episode, 1, kPolicyGiven, &no_epsilon, community_metrics_.data(),
                                  ledger ? &day_ledger_ : nullptr, INT_MAX);
            finish_day(episode, community_metrics_.data(), ledger ? &day_ledger_ : nullptr);
        } catch (const Abandon&) {
        } catch (...) {
            error_ = std::current_exception();
        }
        lock.lock();
        if (quit_) return;
        turn_ = Turn::kCaller;
        turn_changed_.notify_all();
    }
}

void VectorEnv::engine_run_main() {
    {
        std::unique_lock<std::mutex> lock(mutex_);
        turn_changed_.wait(lock, [this] { return turn_ == Turn::kEngine; });
    }
    try {
        TrainRunOptions options;
        options.input_toml = input_toml_;
        options.out_path = out_path_;
        options.stop = &stop_run_;
        options.notices = false;
        options.training_check = false;
        options.chunk_per_episode = true;
        options.day_trace = false;
        options.backend_factory = [this](Problem problem) { return make_driver(std::move(problem)); };
        run_training(cfg_, options);
    } catch (const Abandon&) {  // closed in the middle of a day: the file keeps the days before it
    } catch (...) {
        error_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    run_over_ = true;
    in_day_ = false;
    if (quit_) return;
    turn_ = Turn::kCaller;
    turn_changed_.notify_all();
}

// A day is over: its fleet metrics, its block's root, the fleet after it as the observation.
void VectorEnv::finish_day(int episode, const EpisodeMetrics* per_community, const EpisodeLedger* ledger) {
    day_metrics_ = merge_communities(per_community, static_cast<int>(community_metrics_.size()));
    if (ledger && ledger != &day_ledger_) {
        std::copy(ledger->tx_root, ledger->tx_root + sizeof ledger->tx_root, day_ledger_.tx_root);
        day_ledger_.tx_count = ledger->tx_count;
    }
    observe(episode, steps_per_day_ - 1);
    ++days_finished_;
    day_ended_ = true;
}

// Every vehicle's observation at `step` and which actions it can take as chosen: away, only
// idling means anything; plugged in, an action the safety layer would override is masked.
void VectorEnv::observe(int episode, int step) {
    const EnvParams& p = driver_->params();
    const SignalsView& sig = driver_->signals();
    const FleetView& f = driver_->fleet();
    observe_fleet(p, sig, f, episode, step, price_scale_, day_start_hour_, obs_.data());
    for (int v = 0; v < num_envs_; ++v) {
        uint8_t* mask = mask_.data() + static_cast<size_t>(v) * kNumActions;
        const bool plugged = plugged_in(f, v, step);
        for (int a = 0; a < kNumActions; ++a) {
            bool forced = false;
            if (plugged) safe_action(p, sig, f, v, episode, step, a, &forced);
            mask[a] = plugged ? !forced : a == kIdle;
        }
    }
}

// The step's reward per vehicle, as training's, with the en-route charging of the day's trip
// (paid at the reset) in the first step's: a day's rewards sum to its money.
void VectorEnv::take_rewards() {
    const FleetView& f = driver_->fleet();
    for (int v = 0; v < num_envs_; ++v)
        reward_[v] = f.reward[v] - terms_[static_cast<size_t>(v) * kNumRewardTerms + kTermEnRoute];
}

}  // namespace v2g
