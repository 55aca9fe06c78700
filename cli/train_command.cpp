// train_command.cpp: `v2g train`: the order of a training run (config -> overrides ->
// validation -> problem -> device -> backend -> training), the progress display, stopping on
// SIGINT/SIGTERM, the human summary on stdout and the --summary JSON file.
#include "cli/commands.h"

#include <cstdio>
#include <variant>

#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/device_memory.h"
#include "common/text_format.h"
#include "env/observation.h"
#include "problem/price_unit.h"
#include "problem/session_table.h"
#include "problem/problem.h"
#include "results/results.h"
#include "run/train_run.h"

namespace v2g::cli {

// ---------------------------------------------------------------- progress

class ProgressDisplay {
public:
    explicit ProgressDisplay(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}

    void operator()(const TrainProgress& p) {
        if (quiet_) return;
        const bool last = p.episodes_done >= p.episodes_total;
        const auto now = std::chrono::steady_clock::now();
        const double since = std::chrono::duration<double>(now - last_print_).count();
        const int step = p.episodes_total > 0 ? p.episodes_done * kPlainSteps / p.episodes_total : kPlainSteps;
        if (tty_) {
            if (!last && printed_ && since < kTtyRefreshS) return;
        } else {
            if (!last && printed_ && step <= last_step_ && since < kPlainIntervalS) return;
            if (last && printed_ && last_step_ >= kPlainSteps) return;
        }
        last_print_ = now;
        last_step_ = step;
        printed_ = true;

        const double frac = p.episodes_total > 0 ? static_cast<double>(p.episodes_done) / p.episodes_total : 1.0;
        const double eta = p.episodes_done > 0 ? p.elapsed_s * (p.episodes_total - p.episodes_done) / p.episodes_done
                                               : -1.0;
        const std::string stats = strprintf(
            "%d/%d episodes  %s env-steps/s  reward %.4g  eps %.3f  %s %s", p.episodes_done, p.episodes_total,
            human_rate(p.env_steps_per_s).c_str(), p.mean_reward, p.epsilon, last ? "took" : "ETA",
            human_duration(last ? p.elapsed_s : eta).c_str());
        if (tty_) {
            const int filled = static_cast<int>(frac * kBarWidth);
            std::string bar(static_cast<size_t>(filled), '#');
            bar.resize(kBarWidth, '.');
            // \r back to the line start, \x1b[K clears what a longer earlier line left.
            std::fprintf(stderr, "\r[%s] %s\x1b[K%s", bar.c_str(), stats.c_str(), last ? "\n" : "");
        } else {
            std::fprintf(stderr, "train: %3.0f%%  %s\n", frac * 100.0, stats.c_str());
        }
        std::fflush(stderr);
    }

private:
    bool quiet_;
    bool tty_;
    bool printed_ = false;
    int last_step_ = 0;
    std::chrono::steady_clock::time_point last_print_{};
};

// ---------------------------------------------------------------- train

// SIGINT / SIGTERM (commands.h).
std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};
extern "C" void request_stop(int sig) {
    g_stop_signal.store(sig);
    g_stop_requested.store(true);
}

void print_summary(std::FILE* out, const Config& cfg, const DeviceChoice& device, const TrainSummary& s) {
    std::fprintf(out, "run            %s\n", cfg.run.name.c_str());
    std::fprintf(out, "backend        %s\n", s.backend.c_str());
    std::fprintf(out, "device choice  %s\n", device.reason.c_str());
    std::fprintf(out, "episodes       %d\n", s.episodes);
    std::fprintf(out, "vehicles       %d (%d steps per episode)\n", s.vehicles, s.steps_per_day);
    std::fprintf(out, "wall time      %s\n", human_duration(s.seconds).c_str());
    std::fprintf(out, "env-steps/s    %s (%.6g)\n", human_rate(s.env_steps_per_s).c_str(), s.env_steps_per_s);
    const std::string money = currency_label(cfg);
    std::fprintf(out, "mean reward    %s per vehicle per episode: first %d episodes %.6g, last %d episodes %.6g\n",
                 money.c_str(), s.window, s.mean_reward_first, s.window, s.mean_reward_last);
    std::fprintf(out, "reward terms   %s per vehicle per episode, last %d: revenue %.4g - energy cost %.4g - "
                      "degradation %.4g - unmet penalty %.4g - en-route charging %.4g\n",
                 money.c_str(), s.window, s.last.revenue, s.last.energy_cost, s.last.degradation_cost, s.last.unmet_penalty,
                 s.last.en_route_cost);
    std::fprintf(out, "energy (kWh)   per vehicle per episode, last %d: grid import %.4g, grid export %.4g, "
                      "P2P bought %.4g, unmet at departure %.4g, bought en route %.4g, cut by the grid limit %.4g\n",
                 s.window, s.last.grid_import_kwh, s.last.grid_export_kwh, s.last.p2p_bought_kwh, s.last.unmet_kwh,
                 s.last.en_route_kwh, s.last.curtailed_kwh);
    std::fprintf(out, "safety layer   %.3g overrides per vehicle per episode, last %d\n", s.last.safety_overrides, s.window);
    if (s.ledger) {
        std::fprintf(out, "ledger         %llu blocks + genesis, %llu transactions (%s/s), %d contracts, tip %s\n",
                     static_cast<unsigned long long>(s.blocks), static_cast<unsigned long long>(s.transactions),
                     human_rate(s.transactions_per_s).c_str(), cfg.ledger.contracts, s.tip_hash.substr(0, 16).c_str());
        std::fprintf(out, "ledger latency %.2f steps from decision to block; %.3f ms wall per block (hashing %.3f ms)\n",
                     s.latency_steps, s.latency_seconds_per_block * 1e3, s.commit_seconds_per_block * 1e3);
        std::fprintf(out, "rejected       energy cap %lld, validity %lld, price %lld, party %lld\n",
                     static_cast<long long>(s.rejected[kRejectEnergyCap]), static_cast<long long>(s.rejected[kRejectValidity]),
                     static_cast<long long>(s.rejected[kRejectPrice]), static_cast<long long>(s.rejected[kRejectParty]));
        if (!s.ledger_path.empty()) std::fprintf(out, "ledger file    %s (check it: v2g verify %s)\n", s.ledger_path.c_str(), s.ledger_path.c_str());
    }
    std::fprintf(out, "memory         fleet buffer %s (state %s + Q-tables %s), signals %s on %s; peak RSS %s\n",
                 human_bytes(static_cast<double>(s.fleet_bytes)).c_str(),
                 human_bytes(static_cast<double>(s.fleet_state_bytes)).c_str(),
                 human_bytes(static_cast<double>(s.q_table_bytes)).c_str(),
                 human_bytes(static_cast<double>(s.signal_bytes)).c_str(), s.backend.c_str(),
                 human_bytes(static_cast<double>(s.peak_rss_bytes)).c_str());
    if (s.device_memory.allocated_bytes > 0)
        std::fprintf(out, "device memory  %s allocated by this run; %s of the device's %s in use\n",
                     human_bytes(static_cast<double>(s.device_memory.allocated_bytes)).c_str(),
                     human_bytes(static_cast<double>(s.device_memory.device_used_bytes)).c_str(),
                     human_bytes(static_cast<double>(s.device_memory.device_total_bytes)).c_str());
    std::fprintf(out, "final SoC      mean %.4f  min %.4f  max %.4f\n", s.soc_mean, s.soc_min, s.soc_max);
    std::fprintf(out, "final SoH      mean %.6f  min %.6f  max %.6f\n", s.soh_mean, s.soh_min, s.soh_max);
}

// The held-out check (evaluation.check_days): the one line that says whether training worked.
void print_check(std::FILE* out, const TrainingCheck& c, const std::string& money) {
    const bool ahead = c.learned >= c.best_yardstick_money;
    std::fprintf(out, "held-out check learned %.4g vs %s %.4g %s per vehicle-day (%s), %.1f %% departure energy met, "
                      "%.0f %% of the way from random (%.4g) to the LP oracle (%.4g); %d days from episode %d%s\n",
                 c.learned, c.best_yardstick.c_str(), c.best_yardstick_money, money.c_str(), ahead ? "ahead" : "behind",
                 100.0 * c.learned_departure_met, 100.0 * c.score, c.random, c.oracle, c.days, c.first_episode,
                 c.oracle_communities < c.communities
                     ? (", oracle on " + std::to_string(c.oracle_communities) + " of " + std::to_string(c.communities) +
                        " communities").c_str()
                     : "");
}

nlohmann::ordered_json check_json(const TrainingCheck& c) {
    return {{"days", c.days},
            {"first_episode", c.first_episode},
            {"learned", c.learned},
            {"random", c.random},
            {"charge_on_arrival", c.uncontrolled},
            {"time_of_use", c.time_of_use},
            {"oracle_lp", c.oracle},
            {"learned_departure_energy_met", c.learned_departure_met},
            {"score", c.score},
            {"best_yardstick", c.best_yardstick},
            {"oracle_communities", c.oracle_communities},
            {"communities", c.communities}};
}

// The --summary file (docs/RESULTS.md, "The summary JSON"). Non-finite numbers are written as null.
std::string summary_json(const Config& cfg, const DeviceChoice& device, const TrainSummary& s,
                         const TrainingCheck* check) {
    nlohmann::ordered_json j;
    if (check) j["check"] = check_json(*check);
    j["v2g_version"] = V2G_VERSION;
    j["run_name"] = cfg.run.name;
    j["backend"] = s.backend;
    j["device_reason"] = device.reason;
    j["episodes"] = s.episodes;
    j["vehicles"] = s.vehicles;
    j["steps_per_episode"] = s.steps_per_day;
    j["seconds"] = s.seconds;
    j["env_steps_per_s"] = s.env_steps_per_s;
    j["window"] = s.window;
    j["mean_reward_first"] = s.mean_reward_first;
    j["mean_reward_last"] = s.mean_reward_last;
    j["memory"] = {{"fleet_bytes", s.fleet_bytes},
                   {"fleet_state_bytes", s.fleet_state_bytes},
                   {"q_table_bytes", s.q_table_bytes},
                   {"signal_bytes", s.signal_bytes},
                   {"peak_rss_bytes", s.peak_rss_bytes},
                   {"device_allocated_bytes", s.device_memory.allocated_bytes},
                   {"device_used_bytes", s.device_memory.device_used_bytes},
                   {"device_total_bytes", s.device_memory.device_total_bytes}};
    j["soc"] = {{"mean", s.soc_mean}, {"min", s.soc_min}, {"max", s.soc_max}};
    j["soh"] = {{"mean", s.soh_mean}, {"min", s.soh_min}, {"max", s.soh_max}};
    if (s.ledger)
        j["ledger"] = {{"blocks", s.blocks},
                       {"transactions", s.transactions},
                       {"transactions_per_s", s.transactions_per_s},
                       {"latency_steps", s.latency_steps},
                       {"latency_seconds_per_block", s.latency_seconds_per_block},
                       {"commit_seconds_per_block", s.commit_seconds_per_block},
                       {"rejected", {{"energy_cap", s.rejected[kRejectEnergyCap]},
                                     {"validity", s.rejected[kRejectValidity]},
                                     {"price", s.rejected[kRejectPrice]},
                                     {"party", s.rejected[kRejectParty]}}},
                       {"tip", s.tip_hash},
                       {"file", s.ledger_path}};
    j["config_toml"] = dump_config(cfg);
    nlohmann::ordered_json& config = j["config"] = nlohmann::ordered_json::object();
    for (const ConfigValue& v : config_values(cfg))
        std::visit([&](const auto& x) { config[v.group][v.name] = x; }, v.value);
    // Per-episode series, per vehicle: the reward and each of its terms.
    const auto series = [&s](double EpisodeMetrics::*term) {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        for (const EpisodeMetrics& m : s.episodes_metrics)
            a.push_back(m.vehicles > 0 ? m.*term / static_cast<double>(m.vehicles) : 0.0);
        return a;
    };
    j["episode_revenue_per_vehicle"] = series(&EpisodeMetrics::revenue);
    j["episode_energy_cost_per_vehicle"] = series(&EpisodeMetrics::energy_cost);
    j["episode_degradation_cost_per_vehicle"] = series(&EpisodeMetrics::degradation_cost);
    j["episode_unmet_penalty_per_vehicle"] = series(&EpisodeMetrics::unmet_penalty);
    j["episode_en_route_cost_per_vehicle"] = series(&EpisodeMetrics::en_route_cost);
    j["episode_epsilon"] = std::vector<double>(s.epsilons.begin(), s.epsilons.end());  // as the float is
    j["episode_reward_per_vehicle"] = series(&EpisodeMetrics::reward);
    return j.dump(2) + "\n";
}

// --memory-plan: the CUDA backend's allocations for this config (device_memory.h), one line each.
void print_memory_plan(std::FILE* out, const std::string& config_path, const EnvParams& p) {
    const std::vector<DeviceAllocation> plan = device_memory_plan(p);
    const auto count = [](long long n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    std::fprintf(out, "device memory plan for %s: %s, %s, %s, ledger %s\n", config_path.c_str(),
                 count(p.num_vehicles, "vehicle", "vehicles").c_str(),
                 count(p.num_communities, "community", "communities").c_str(),
                 count(num_q_tables(p), "Q-table", "Q-tables").c_str(), p.ledger_enabled ? "on" : "off");
    std::fprintf(out, "  %-20s %14s %10s  %s\n", "buffer", "bytes", "", "holds");
    for (const DeviceAllocation& a : plan)
        std::fprintf(out, "  %-20s %14llu %10s  %s\n", a.name.c_str(), static_cast<unsigned long long>(a.bytes),
                     human_bytes(static_cast<double>(a.bytes)).c_str(), a.holds.c_str());
    const uint64_t total = device_memory_total(plan);
    std::fprintf(out, "  %-20s %14llu %10s  %s\n", "total", static_cast<unsigned long long>(total),
                 human_bytes(static_cast<double>(total)).c_str(),
                 p.ledger_enabled ? "plus the CUDA context and CUB's compaction scratch, which only the device sizes"
                                  : "plus the CUDA context");
}

int run_train(const TrainArgs& args) {
    const bool resuming = !args.resume_path.empty();
    if (args.memory_plan && resuming) throw InputError("--memory-plan: takes a CONFIG, not --resume");
    Config cfg;
    std::string input_toml;
    if (resuming) {
        // The run continues with its own config: anything that changes results is refused.
        if (!args.config_path.empty() || !args.sets.empty() || !args.seed.empty() || !args.episodes.empty() ||
            !args.out_path.empty() || !args.ledger_path.empty() || args.force)
            throw InputError("--resume " + args.resume_path +
                             ": takes the run's own config; only --device, --threads, --summary and --quiet may be given");
        const ResultsSummary saved = read_results_summary(args.resume_path);
        if (saved.status == "finished" && saved.closed) {
            // Nothing to continue: the file (and any /evaluation in it) is left as it is.
            std::printf("%s: already finished (%lld of %lld episodes); nothing to do%s\n", args.resume_path.c_str(),
                        static_cast<long long>(saved.episodes_done), static_cast<long long>(saved.episodes_planned),
                        args.summary_path.empty() ? "" : ", no --summary written");
            return 0;
        }
        cfg = load_config_text(saved.effective_toml, args.resume_path + ":/config/effective_toml");
    } else {
        if (args.config_path.empty() && !args.config_text)
            throw InputError("train: a CONFIG file (or --resume RUN.h5) is required");
        input_toml = args.config_text ? *args.config_text : read_text_file(args.config_path);
        cfg = load_config_text(input_toml, args.config_text ? args.config_name : args.config_path);
        for (const std::string& s : args.sets) apply_override(&cfg, s);
        apply_flag(&cfg, "--seed", "run.seed", args.seed);
        apply_flag(&cfg, "--episodes", "run.episodes", args.episodes);
    }
    apply_flag(&cfg, "--device", "run.device", args.device);
    apply_flag(&cfg, "--threads", "run.threads", args.threads);
    validate(cfg);
    if (args.memory_plan) {
        print_memory_plan(stdout, args.config_text ? args.config_name : args.config_path, problem_params(cfg));
        return 0;
    }
    if (args.force && args.out_path.empty()) throw InputError("--force: replaces an --out file; no --out was given");
    if (!args.out_path.empty() && !args.force && std::filesystem::exists(args.out_path))
        throw InputError("--out " + args.out_path + ": exists (continue it with v2g train --resume " + args.out_path +
                         ", or pass --force to replace it)");

    // Opened before training so that an unwritable path fails now, not after a long run.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> summary_file(nullptr, &std::fclose);
    if (!args.summary_path.empty()) {
        summary_file.reset(std::fopen(args.summary_path.c_str(), "w"));
        if (!summary_file) throw InputError(args.summary_path + ": cannot write");
    }

    TrainRunOptions options;
    options.input_toml = input_toml;
    options.out_path = args.out_path;
    options.resume_path = args.resume_path;
    options.ledger_path = args.ledger_path;
    options.model_out = args.model_out;
    StopOnSignals signals;
    options.stop = &g_stop_requested;
    ProgressDisplay progress(args.quiet);
    options.on_progress = [&progress](const TrainProgress& p) { progress(p); };
    // The held-out check can take a while at large fleets (the LP oracle most): say what runs.
    const bool tty = isatty(fileno(stderr)) != 0;
    options.on_check_progress = [&args, tty](const EvalProgress& p) {
        if (!args.quiet) print_policy_runs(p, tty);
    };
    const TrainRunResult run = run_training(cfg, options);
    const DeviceChoice& device = run.device;
    const TrainSummary& summary = run.summary;
    if (summary.interrupted) {
        if (resuming || !args.out_path.empty())
            std::fprintf(stderr, "interrupted: stopped after episode %d of %d; continue with v2g train --resume %s\n",
                         summary.episodes_done, cfg.run.episodes,
                         resuming ? args.resume_path.c_str() : args.out_path.c_str());
        else
            std::fprintf(stderr, "interrupted: stopped after episode %d of %d (no --out file to resume from)\n",
                         summary.episodes_done, cfg.run.episodes);
    }

    print_summary(stdout, cfg, device, summary);
    if (run.checked) {
        print_check(stdout, run.check, currency_label(cfg));
        const std::string note = session_reuse_note(cfg, cfg.run.episodes);
        if (!note.empty()) std::printf("%s\n", note.c_str());
    }
    if (!args.model_out.empty()) {
        std::printf("model          %s (TorchScript: forward(obs [n, %d]) -> Q [n, 5])\n", args.model_out.c_str(),
                    kObservationSize);
    }
    if (resuming || !args.out_path.empty()) {
        const std::string& path = resuming ? args.resume_path : args.out_path;
        std::printf("results        %s (training waited %.3f s for the writer)\n", path.c_str(), summary.writer_wait_seconds);
        // The signer is what tells this run's chain from one a forger signed anew: worth a note.
        const std::string key = cfg.ledger.enabled ? results_public_key(path) : "";
        if (!key.empty())
            std::printf("signed by      ed25519:%s (check later: v2g verify %s --public-key %s)\n", key.c_str(),
                        path.c_str(), key.c_str());
    }
    std::fflush(stdout);
    if (args.summary_text) *args.summary_text = summary_json(cfg, device, summary, run.checked ? &run.check : nullptr);
    if (summary_file) {
        const std::string json = summary_json(cfg, device, summary, run.checked ? &run.check : nullptr);
        const bool ok = std::fwrite(json.data(), 1, json.size(), summary_file.get()) == json.size();
        if (!ok || std::fclose(summary_file.release()) != 0) throw InputError(args.summary_path + ": cannot write");
    }
    // The shell convention for a run a signal stopped: 128 + its number.
    return summary.interrupted ? 128 + g_stop_signal.load() : 0;
}

}  // namespace v2g::cli
