// sweep_run.cpp: runs a sweep's configurations (see sweep_run.h).
#include "run/sweep_run.h"
#include "common/clock.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include "train/batch.h"
#include "dqn/dqn.h"
#include "common/errors.h"
#include "problem/problem.h"
#include "results/results.h"
#include "run/sweep_file.h"
#include "run/train_run.h"

namespace v2g {
namespace {

namespace fs = std::filesystem;


double planned_env_steps(const Config& cfg) {
    return static_cast<double>(cfg.fleet.vehicles) * cfg.steps_per_day() * cfg.run.episodes;
}

// What is left of a configuration's run file: nothing, a finished run, or a checkpoint.
enum class RunFileState { kNone, kFinished, kResumable };

RunFileState inspect_run_file(const std::string& path) {
    if (!fs::exists(path)) return RunFileState::kNone;
    try {
        const ResultsSummary s = read_results_summary(path);
        if (s.status == "finished" && s.closed) return RunFileState::kFinished;  // else: killed at its very end
        if (s.checkpoint_episode >= 0) return RunFileState::kResumable;
    } catch (const InputError&) {
        // A file torn by a kill before its first flush: nothing to keep.
    }
    fs::remove(path);
    return RunFileState::kNone;
}

}  // namespace

void check_new_sweep_output(const std::string& out_path) {
    if (fs::exists(out_path))
        throw InputError(out_path + ": exists; continue it with v2g sweep --resume " + out_path + ", or remove it (and " +
                         sweep_runs_dir(out_path) + "/)");
}

SweepOutcome run_sweep(const SweepSpec& spec, const SweepRunOptions& opt) {
    const auto start = Clock::now();
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), opt.shard, opt.shards);
    SweepOutcome out;
    out.configs = range.end - range.begin;

    std::vector<SweepRow> rows(out.configs);
    const size_t metric_count = sweep_metric_names(spec.evaluate).size();
    for (SweepRow& r : rows) r.metrics.assign(metric_count, std::nan(""));
    if (opt.resume) {
        const SweepFile saved = read_sweep_file(opt.out_path);
        if (saved.digest != spec.digest) throw InputError(opt.out_path + ": is from another sweep");
        if (saved.shard != opt.shard || saved.shards != opt.shards)
            throw InputError(opt.out_path + ": holds shard " + std::to_string(saved.shard) + "/" +
                             std::to_string(saved.shards) + ", not " + std::to_string(opt.shard) + "/" +
                             std::to_string(opt.shards));
        for (int i = 0; i < out.configs; ++i)
            if (saved.rows[i].status == "done") rows[i] = saved.rows[i];
    } else {
        check_new_sweep_output(opt.out_path);
    }
    const std::string dir = sweep_runs_dir(opt.out_path);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw InputError(dir + ": cannot create (" + ec.message() + ")");
    write_sweep_file(opt.out_path, spec, opt.shard, opt.shards, rows);  // an unwritable path fails now

    // Every configuration with this session's device and thread settings, checked up front.
    std::vector<Config> configs;
    double remaining_env_steps = 0.0;
    for (int i = range.begin; i < range.end; ++i) {
        Config cfg = spec.configs[i].config;
        if (!opt.device.empty()) apply_override(&cfg, "run.device=" + opt.device);
        if (!opt.threads.empty()) apply_override(&cfg, "run.threads=" + opt.threads);
        validate(cfg);
        if (cfg.learning.policy == LearnerPolicy::dqn)
            require_dqn("configuration " + spec.configs[i].id + ": learning.policy = 'dqn'");
        configs.push_back(cfg);
        if (rows[i - range.begin].status != "done") remaining_env_steps += planned_env_steps(cfg);
    }

    double session_env_steps = 0.0, training_seconds = 0.0;
    int done = 0;
    for (const SweepRow& r : rows) done += r.status == "done";
    out.kept = done;
    const auto report = [&](const std::string& id, const std::string& stage, int episode, int episodes,
                            double run_env_steps, double run_seconds) {
        if (!opt.on_progress) return;
        SweepProgress p;
        p.done = done;
        p.total = out.configs;
        p.id = id;
        p.stage = stage;
        p.episode = episode;
        p.episodes = episodes;
        const double steps = session_env_steps + run_env_steps;
        const double seconds = training_seconds + run_seconds;
        p.env_steps_per_s = seconds > 0 ? steps / seconds : 0.0;
        p.elapsed_s = seconds_since(start);
        p.eta_s = p.env_steps_per_s > 0 ? (remaining_env_steps - run_env_steps) / p.env_steps_per_s : -1.0;
        opt.on_progress(p);
    };

    // How configuration k trains: a new run file, or its interrupted one continued.
    const auto train_options = [&](int k, RunFileState state) {
        const SweepConfig& sc = spec.configs[range.begin + k];
        TrainRunOptions train;
        std::string overrides;
        for (const std::string& a : sc.assignments) overrides += " --set " + a;
        train.input_toml = "# v2g sweep " + spec.name + ", configuration " + sc.id + ": " + spec.base_path + overrides +
                           "\n" + spec.base_text;
        (state == RunFileState::kResumable ? train.resume_path : train.out_path) = dir + "/" + sc.id + ".h5";
        train.stop = opt.stop;
        train.notices = false;
        train.training_check = false;  // a sweep evaluates its runs itself ([sweep] evaluate)
        return train;
    };

    // The row of a trained configuration, from its run file whichever way it got finished (one
    // source of truth), then its evaluation.
    const auto finish_row = [&](int k) {
        const SweepConfig& sc = spec.configs[range.begin + k];
        const Config& cfg = configs[k];
        const std::string run_path = dir + "/" + sc.id + ".h5";
        SweepRow& row = rows[k];
        const EnvParams params = build_problem(cfg).params;
        fill_training_metrics(read_resume_state(run_path, params).metrics, &row);
        if (spec.evaluate) {
            report(sc.id, "eval", cfg.run.episodes, cfg.run.episodes, 0.0, 0.0);
            const auto e0 = Clock::now();
            fill_evaluation_metrics(evaluate_results_file(run_path, cfg, {}, false), &row);
            row.eval_seconds = seconds_since(e0);
        }
        row.status = "done";
        ++done;
        ++out.trained;
        report(sc.id, "done", cfg.run.episodes, cfg.run.episodes, 0.0, 0.0);
    };

    // Trains configuration k alone (a DQN, a GPU run, or a batch of one).
    const auto train_alone = [&](int k) {
        const SweepConfig& sc = spec.configs[range.begin + k];
        const Config& cfg = configs[k];
        const double per_episode = static_cast<double>(cfg.fleet.vehicles) * cfg.steps_per_day();
        SweepRow& row = rows[k];
        const auto t0 = Clock::now();
        const RunFileState state = inspect_run_file(dir + "/" + sc.id + ".h5");
        if (state == RunFileState::kFinished) {
            remaining_env_steps -= planned_env_steps(cfg);
            return true;
        }
        TrainRunOptions train = train_options(k, state);
        int first_episode = -1;
        train.on_progress = [&](const TrainProgress& p) {
            if (first_episode < 0) first_episode = p.episodes_done - 1;
            const double run_steps = (p.episodes_done - first_episode) * per_episode;
            report(sc.id, "train", p.episodes_done, p.episodes_total, run_steps, p.elapsed_s);
        };
        report(sc.id, "train", 0, cfg.run.episodes, 0.0, 0.0);
        const TrainRunResult result = run_training(cfg, train);
        const double run_steps = static_cast<double>(result.summary.episodes_done - result.summary.first_episode) *
                                 per_episode;
        session_env_steps += run_steps;
        training_seconds += result.summary.seconds;
        remaining_env_steps -= run_steps;
        row.env_steps_per_s = result.summary.env_steps_per_s;
        row.train_seconds = seconds_since(t0);
        return !result.summary.interrupted;
    };

    // Trains configurations `members` together (batch.h): one host thread each, their
    // episodes in shared launches. Returns false when a signal stopped them.
    const auto train_batch = [&](const std::vector<int>& members) {
        BatchExecutor executor(static_cast<int>(members.size()), configs[members.front()].run.threads);
        std::mutex progress_mutex;
        std::vector<int> episodes_done(members.size(), 0), first_episode(members.size(), -1);
        std::vector<double> per_episode(members.size());
        int planned = 0;
        for (size_t m = 0; m < members.size(); ++m) {
            const Config& cfg = configs[members[m]];
            per_episode[m] = static_cast<double>(cfg.fleet.vehicles) * cfg.steps_per_day();
            planned += cfg.run.episodes;
        }
        const std::string label = spec.configs[range.begin + members.front()].id + ".." +
                                  spec.configs[range.begin + members.back()].id;
        const auto t0 = Clock::now();
        const auto batch_progress = [&](size_t m, const TrainProgress& p) {
            std::lock_guard<std::mutex> guard(progress_mutex);
            if (first_episode[m] < 0) first_episode[m] = p.episodes_done - 1;
            episodes_done[m] = p.episodes_done;
            double steps = 0.0;
            int episodes = 0;
            for (size_t j = 0; j < members.size(); ++j) {
                episodes += episodes_done[j];
                if (first_episode[j] >= 0) steps += (episodes_done[j] - first_episode[j]) * per_episode[j];
            }
            report(label, "train", episodes, planned, steps, seconds_since(t0));
        };
        std::vector<TrainRunResult> results(members.size());
        std::vector<bool> trained(members.size(), false);
        std::vector<std::exception_ptr> failures(members.size());
        std::vector<std::thread> threads;
        for (size_t m = 0; m < members.size(); ++m) {
            threads.emplace_back([&, m] {
                const int k = members[m];
                try {
                    const RunFileState state = inspect_run_file(dir + "/" + spec.configs[range.begin + k].id + ".h5");
                    if (state != RunFileState::kFinished) {
                        TrainRunOptions train = train_options(k, state);
                        const bool cuda = choose_device(configs[k].run.device).device == ComputeDevice::cuda;
                        train.backend_factory = [&, m, cuda](Problem problem) {
                            return executor.member_backend(static_cast<int>(m), std::move(problem), cuda);
                        };
                        train.on_progress = [&, m](const TrainProgress& p) { batch_progress(m, p); };
                        results[m] = run_training(configs[k], train);
                        trained[m] = true;
                    }
                } catch (...) {
                    failures[m] = std::current_exception();
                }
                executor.leave(static_cast<int>(m));  // also when it failed before its backend existed
            });
        }
        for (std::thread& t : threads) t.join();
        for (const std::exception_ptr& f : failures)
            if (f) std::rethrow_exception(f);
        bool complete = true;
        for (size_t m = 0; m < members.size(); ++m) {
            const Config& cfg = configs[members[m]];
            if (!trained[m]) {
                remaining_env_steps -= planned_env_steps(cfg);
                continue;
            }
            const TrainSummary& s = results[m].summary;
            const double run_steps = static_cast<double>(s.episodes_done - s.first_episode) * per_episode[m];
            session_env_steps += run_steps;
            remaining_env_steps -= run_steps;
            rows[members[m]].env_steps_per_s = s.env_steps_per_s;
            rows[members[m]].train_seconds = s.seconds;
            complete = complete && !s.interrupted;
        }
        training_seconds += seconds_since(t0);
        return complete;
    };

    // Tables train in batches of consecutive pending configurations on the same device; DQNs alone.
    std::vector<ComputeDevice> device_of(configs.size());
    for (size_t k = 0; k < configs.size(); ++k) device_of[k] = choose_device(configs[k].run.device).device;
    const auto batchable = [&](int k) { return opt.batch > 1 && configs[k].learning.policy == LearnerPolicy::tabular; };
    for (int k = 0; k < out.configs && !out.interrupted;) {
        if (rows[k].status == "done") {
            ++k;
            continue;
        }
        std::vector<int> members = {k};
        if (batchable(k))
            for (int j = k + 1; j < out.configs && static_cast<int>(members.size()) < opt.batch; ++j) {
                if (rows[j].status == "done") continue;
                if (!batchable(j) || device_of[j] != device_of[k]) break;
                members.push_back(j);
            }
        k = members.back() + 1;
        const bool complete = members.size() == 1 ? train_alone(members.front()) : train_batch(members);
        if (!complete) {
            out.interrupted = true;
        } else {
            for (int m : members) finish_row(m);
            out.interrupted = opt.stop && opt.stop->load() && done < out.configs;
        }
        write_sweep_file(opt.out_path, spec, opt.shard, opt.shards, rows);
    }
    out.seconds = seconds_since(start);
    return out;
}

}  // namespace v2g
