// cli.cpp: the `v2g` command line: argument parsing (CLI11), the order of a training run
// (config -> overrides -> validation -> problem -> device -> backend -> training), the
// progress display, the human summary on stdout, the --summary JSON file, and the mapping of
// failures to exit statuses (errors.h).
#include "cli.h"

#include <atomic>
#include <csignal>
#include "results.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"
#include "config.h"
#include "dqn.h"
#include "kernels/observation.h"
#include "evaluation.h"
#include "metrics.h"
#include "errors.h"
#include "price_unit.h"
#include "problem.h"
#include "sweep.h"
#include "sweep_file.h"
#include "sweep_run.h"
#include "text_format.h"
#include "train_run.h"
#include "trainer.h"
#include "ledger/ledger_cli.h"  // `v2g ledger` (hashing work)

namespace v2g {
namespace {

constexpr double kTtyRefreshS = 0.1;        // the progress bar redraws at most at ~10 Hz
constexpr double kPlainIntervalS = 5.0;     // without a terminal: a line at least this often
constexpr int kPlainSteps = 10;             // ... and one per 10% of the episodes
constexpr int kBarWidth = 24;               // characters of the bar itself

// ---------------------------------------------------------------- formatting


// The config as a JSON object of tables, from dump_config's TOML. Its values are TOML
// literals that are valid JSON as they stand: basic strings with JSON-compatible escapes,
// integers, finite floats (validate() rejects inf/nan) and booleans.
std::string config_json(const std::string& toml, const std::string& indent) {
    std::string out = "{";
    bool first_table = true, first_key = true;
    size_t pos = 0;
    while (pos < toml.size()) {
        size_t end = toml.find('\n', pos);
        if (end == std::string::npos) end = toml.size();
        const std::string line = toml.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) continue;
        if (line.front() == '[') {
            out += std::string(first_table ? "" : "\n" + indent + "  },") + "\n" + indent + "  " +
                   quoted_string(line.substr(1, line.size() - 2)) + ": {";
            first_table = false;
            first_key = true;
            continue;
        }
        const size_t eq = line.find(" = ");
        out += std::string(first_key ? "" : ",") + "\n" + indent + "    " + quoted_string(line.substr(0, eq)) + ": " +
               line.substr(eq + 3);
        first_key = false;
    }
    return out + (first_table ? "}" : "\n" + indent + "  }\n" + indent + "}");
}

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

struct TrainArgs {
    std::string config_path;
    std::vector<std::string> sets;
    std::string device, seed, episodes, threads;  // empty = not given; parsed by the registry
    std::string summary_path;
    std::string ledger_path;
    std::string out_path;     // --out RUN.h5
    std::string resume_path;  // --resume RUN.h5
    std::string model_out;    // --model-out FILE.pt (dqn)
    bool force = false;       // --force: replace an existing --out file
    bool quiet = false;
};

// SIGINT / SIGTERM: finish the current chunk, checkpoint, close the results file cleanly.
std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};
extern "C" void request_stop(int sig) {
    g_stop_signal.store(sig);
    g_stop_requested.store(true);
}

struct StopOnSignals {
    StopOnSignals() {
        g_stop_requested.store(false);
        old_int_ = std::signal(SIGINT, request_stop);
        old_term_ = std::signal(SIGTERM, request_stop);
    }
    ~StopOnSignals() {
        std::signal(SIGINT, old_int_);
        std::signal(SIGTERM, old_term_);
    }
    void (*old_int_)(int);
    void (*old_term_)(int);
};


void print_summary(std::FILE* out, const Config& cfg, const DeviceChoice& device, const TrainSummary& s) {
    std::fprintf(out, "run            %s\n", cfg.run_name.c_str());
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
                 money.c_str(), s.window, s.last_revenue, s.last_energy_cost, s.last_degradation_cost, s.last_unmet_penalty,
                 s.last_en_route_cost);
    std::fprintf(out, "energy (kWh)   per vehicle per episode, last %d: grid import %.4g, grid export %.4g, "
                      "P2P bought %.4g, unmet at departure %.4g, bought en route %.4g, cut by the grid limit %.4g\n",
                 s.window, s.last_grid_import_kwh, s.last_grid_export_kwh, s.last_p2p_bought_kwh, s.last_unmet_kwh,
                 s.last_en_route_kwh, s.last_curtailed_kwh);
    std::fprintf(out, "safety layer   %.3g overrides per vehicle per episode, last %d\n", s.last_safety_overrides, s.window);
    if (s.ledger) {
        std::fprintf(out, "ledger         %llu blocks + genesis, %llu transactions (%s/s), %d contracts, tip %s\n",
                     static_cast<unsigned long long>(s.blocks), static_cast<unsigned long long>(s.transactions),
                     human_rate(s.transactions_per_s).c_str(), cfg.contracts, s.tip_hash.substr(0, 16).c_str());
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

std::string check_json(const TrainingCheck& c) {
    return "{\"days\": " + std::to_string(c.days) + ", \"first_episode\": " + std::to_string(c.first_episode) +
           ", \"learned\": " + json_number(c.learned) + ", \"random\": " + json_number(c.random) +
           ", \"charge_on_arrival\": " + json_number(c.uncontrolled) + ", \"time_of_use\": " + json_number(c.time_of_use) +
           ", \"oracle_lp\": " + json_number(c.oracle) + ", \"learned_departure_energy_met\": " +
           json_number(c.learned_departure_met) + ", \"score\": " + json_number(c.score) +
           ", \"best_yardstick\": " + quoted_string(c.best_yardstick) + ", \"oracle_communities\": " +
           std::to_string(c.oracle_communities) + ", \"communities\": " + std::to_string(c.communities) + "}";
}

std::string summary_json(const Config& cfg, const DeviceChoice& device, const TrainSummary& s) {
    std::string j = "{\n";
    const auto field = [&j](const char* name, const std::string& value) {
        j += std::string("  ") + quoted_string(name) + ": " + value + ",\n";
    };
    field("v2g_version", quoted_string(V2G_VERSION));
    field("run_name", quoted_string(cfg.run_name));
    field("backend", quoted_string(s.backend));
    field("device_reason", quoted_string(device.reason));
    field("episodes", std::to_string(s.episodes));
    field("vehicles", std::to_string(s.vehicles));
    field("steps_per_episode", std::to_string(s.steps_per_day));
    field("seconds", json_number(s.seconds));
    field("env_steps_per_s", json_number(s.env_steps_per_s));
    field("window", std::to_string(s.window));
    field("mean_reward_first", json_number(s.mean_reward_first));
    field("mean_reward_last", json_number(s.mean_reward_last));
    field("memory", "{\"fleet_bytes\": " + std::to_string(s.fleet_bytes) +
                        ", \"fleet_state_bytes\": " + std::to_string(s.fleet_state_bytes) +
                        ", \"q_table_bytes\": " + std::to_string(s.q_table_bytes) +
                        ", \"signal_bytes\": " + std::to_string(s.signal_bytes) +
                        ", \"peak_rss_bytes\": " + std::to_string(s.peak_rss_bytes) + "}");
    field("soc", "{\"mean\": " + json_number(s.soc_mean) + ", \"min\": " + json_number(s.soc_min) +
                     ", \"max\": " + json_number(s.soc_max) + "}");
    field("soh", "{\"mean\": " + json_number(s.soh_mean) + ", \"min\": " + json_number(s.soh_min) +
                     ", \"max\": " + json_number(s.soh_max) + "}");
    if (s.ledger) {
        field("ledger", "{\"blocks\": " + std::to_string(s.blocks) + ", \"transactions\": " + std::to_string(s.transactions) +
                            ", \"transactions_per_s\": " + json_number(s.transactions_per_s) +
                            ", \"latency_steps\": " + json_number(s.latency_steps) +
                            ", \"latency_seconds_per_block\": " + json_number(s.latency_seconds_per_block) +
                            ", \"commit_seconds_per_block\": " + json_number(s.commit_seconds_per_block) +
                            ", \"rejected\": {\"energy_cap\": " + std::to_string(s.rejected[kRejectEnergyCap]) +
                            ", \"validity\": " + std::to_string(s.rejected[kRejectValidity]) +
                            ", \"price\": " + std::to_string(s.rejected[kRejectPrice]) +
                            ", \"party\": " + std::to_string(s.rejected[kRejectParty]) + "}" +
                            ", \"tip\": " + quoted_string(s.tip_hash) + ", \"file\": " + quoted_string(s.ledger_path) + "}");
    }
    const std::string toml = dump_config(cfg);
    field("config_toml", quoted_string(toml));
    field("config", config_json(toml, "  "));
    // Per-episode series, per vehicle: the reward and each of its terms.
    const auto series = [&s](double EpisodeMetrics::*term) {
        std::string a = "[";
        for (size_t i = 0; i < s.episodes_metrics.size(); ++i) {
            const EpisodeMetrics& m = s.episodes_metrics[i];
            a += (i ? ", " : "") + json_number(m.vehicles > 0 ? m.*term / static_cast<double>(m.vehicles) : 0.0);
        }
        return a + "]";
    };
    field("episode_revenue_per_vehicle", series(&EpisodeMetrics::revenue));
    field("episode_energy_cost_per_vehicle", series(&EpisodeMetrics::energy_cost));
    field("episode_degradation_cost_per_vehicle", series(&EpisodeMetrics::degradation_cost));
    field("episode_unmet_penalty_per_vehicle", series(&EpisodeMetrics::unmet_penalty));
    field("episode_en_route_cost_per_vehicle", series(&EpisodeMetrics::en_route_cost));
    const std::string rewards = series(&EpisodeMetrics::reward);
    std::string eps = "[";
    for (size_t i = 0; i < s.epsilons.size(); ++i) eps += (i ? ", " : "") + json_number(s.epsilons[i]);
    field("episode_epsilon", eps + "]");
    j += "  \"episode_reward_per_vehicle\": " + rewards + "\n}\n";
    return j;
}

int run_train(const TrainArgs& args) {
    const bool resuming = !args.resume_path.empty();
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
        if (args.config_path.empty()) throw InputError("train: a CONFIG file (or --resume RUN.h5) is required");
        input_toml = read_text_file(args.config_path);
        cfg = load_config_text(input_toml, args.config_path);
        for (const std::string& s : args.sets) apply_override(&cfg, s);
        apply_flag(&cfg, "--seed", "run.seed", args.seed);
        apply_flag(&cfg, "--episodes", "run.episodes", args.episodes);
    }
    apply_flag(&cfg, "--device", "run.device", args.device);
    apply_flag(&cfg, "--threads", "run.threads", args.threads);
    validate(cfg);
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
    const TrainRunResult run = run_training(cfg, options);
    const DeviceChoice& device = run.device;
    const TrainSummary& summary = run.summary;
    if (summary.interrupted) {
        if (resuming || !args.out_path.empty())
            std::fprintf(stderr, "interrupted: stopped after episode %d of %d; continue with v2g train --resume %s\n",
                         summary.episodes_done, cfg.episodes, resuming ? args.resume_path.c_str() : args.out_path.c_str());
        else
            std::fprintf(stderr, "interrupted: stopped after episode %d of %d (no --out file to resume from)\n",
                         summary.episodes_done, cfg.episodes);
    }

    print_summary(stdout, cfg, device, summary);
    if (run.checked) print_check(stdout, run.check, currency_label(cfg));
    if (!args.model_out.empty()) {
        std::printf("model          %s (TorchScript: forward(obs [n, %d]) -> Q [n, 5])\n", args.model_out.c_str(),
                    kObservationSize);
    }
    if (resuming || !args.out_path.empty()) {
        const std::string& path = resuming ? args.resume_path : args.out_path;
        std::printf("results        %s (training waited %.3f s for the writer)\n", path.c_str(), summary.writer_wait_seconds);
        // The signer is what tells this run's chain from one a forger signed anew: worth a note.
        const std::string key = cfg.ledger_enabled ? results_public_key(path) : "";
        if (!key.empty())
            std::printf("signed by      ed25519:%s (check later: v2g verify %s --public-key %s)\n", key.c_str(),
                        path.c_str(), key.c_str());
    }
    std::fflush(stdout);
    if (summary_file) {
        std::string json = summary_json(cfg, device, summary);
        if (run.checked) json.insert(2, "  \"check\": " + check_json(run.check) + ",\n");
        const bool ok = std::fwrite(json.data(), 1, json.size(), summary_file.get()) == json.size();
        if (!ok || std::fclose(summary_file.release()) != 0) throw InputError(args.summary_path + ": cannot write");
    }
    // The shell convention for a run a signal stopped: 128 + its number.
    return summary.interrupted ? 128 + g_stop_signal.load() : 0;
}

int run_verify(const std::string& path, const std::string& pinned_key) {
    LedgerData data;
    try {
        data = is_hdf5_file(path) ? read_ledger_from_results(path) : read_ledger(path);
    } catch (const LedgerFormatError& e) {
        throw InputError(e.what());
    }
    if (!pinned_key.empty()) {
        // A forger can sign a whole new chain with a key of their own: only the key recorded
        // when the run was made tells the two apart.
        std::string hex = pinned_key;
        if (hex.rfind("ed25519:", 0) == 0) hex = hex.substr(8);
        if (hex.size() != 2 * kEd25519PublicBytes || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            throw InputError("--public-key " + pinned_key + ": expected 64 hex digits (as `v2g verify` prints after ed25519:)");
        if (!data.is_signed) throw InputError("--public-key: " + path + " is a ledger file; only results files are signed");
        std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (ledger::to_hex(data.public_key, kEd25519PublicBytes) != hex) {
            std::fprintf(stderr, "v2g verify: %s: FAILED: signed by ed25519:%s, not by the pinned key\n", path.c_str(),
                         ledger::to_hex(data.public_key, kEd25519PublicBytes).c_str());
            return kExitFailure;
        }
    }
    const VerifyReport r = verify_ledger(data);
    if (r.ok) {
        std::printf("%s: %s\n", path.c_str(), r.message.c_str());
        return 0;
    }
    std::fprintf(stderr, "v2g verify: %s: FAILED: %s\n", path.c_str(), r.message.c_str());
    return kExitFailure;
}

// Rows `rows` of a sweep file's runs table: id, status, episodes, the named metrics, the swept values.
void print_sweep_rows(const SweepSpec& spec, const SweepFile& f, const std::vector<int>& rows,
                      const std::vector<std::string>& metrics) {
    const std::vector<std::string> names = sweep_metric_names(spec.evaluate);
    constexpr int kMinWidth = 14;
    std::vector<size_t> columns;
    std::vector<int> widths;
    for (const std::string& m : metrics) {
        columns.push_back(std::find(names.begin(), names.end(), m) - names.begin());
        widths.push_back(std::max(kMinWidth, static_cast<int>(m.size())));
    }
    std::printf("%-10s %-8s %9s", "id", "status", "episodes");
    for (size_t k = 0; k < metrics.size(); ++k) std::printf(" %*s", widths[k], metrics[k].c_str());
    std::printf("  parameters\n");
    for (int i : rows) {
        const SweepConfig& c = spec.configs[f.first + i];
        const SweepRow& r = f.rows[i];
        std::printf("%-10s %-8s %9lld", c.id.c_str(), r.status.c_str(), static_cast<long long>(r.episodes_done));
        for (size_t k = 0; k < columns.size(); ++k)
            std::printf(" %*.6g", widths[k], columns[k] < r.metrics.size() ? r.metrics[columns[k]] : std::nan(""));
        std::printf("  %s\n", describe_values(spec, c).c_str());
    }
}

// `v2g inspect` of a sweep file: its sweep, its shard and how far it got, its runs.
int inspect_sweep(const std::string& path) {
    const SweepFile f = read_sweep_file(path);
    const SweepSpec spec = load_sweep_text(f.sweep_text, f.sweep_path, f.base_text, f.base_path);
    int done = 0;
    for (const SweepRow& r : f.rows) done += r.status == "done";
    std::printf("file           %s (a sweep file: docs/SWEEPS.md)\n", path.c_str());
    std::printf("sweep          %s: %zu configurations of %s%s\n", spec.name.c_str(), spec.configs.size(),
                spec.base_path.c_str(), spec.evaluate ? ", each evaluated" : "");
    std::printf("shard          %d/%d: configurations %d..%d, %d of %zu done%s\n", f.shard, f.shards, f.first,
                f.first + static_cast<int>(f.rows.size()) - 1, done, f.rows.size(),
                done < static_cast<int>(f.rows.size()) ? (" (continue: v2g sweep --resume " + path + ")").c_str() : "");
    std::vector<int> rows(f.rows.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
    print_sweep_rows(spec, f, rows, {"reward_first", "reward_last"});
    return 0;
}

int run_inspect(const std::string& path) {
    if (is_hdf5_file(path) && is_sweep_file(path)) return inspect_sweep(path);
    const ResultsSummary s = read_results_summary(path);
    std::printf("file           %s (schema %s, v2g %s, commit %s)\n", path.c_str(), s.schema_version.c_str(),
                s.v2g_version.c_str(), s.git_commit.c_str());
    std::printf("status         %s: %lld of %lld episodes, %lld vehicles\n", s.status.c_str(),
                static_cast<long long>(s.episodes_done), static_cast<long long>(s.episodes_planned),
                static_cast<long long>(s.vehicles));
    std::printf("started        %s on %s (%s)\n", s.start_time.c_str(), s.device.c_str(), s.backend.c_str());
    if (!s.closed)
        std::printf("writer         still has the file open: a live run, or one killed (a killed run continues with "
                    "v2g train --resume)\n");
    if (s.checkpoint_episode >= 0 && (s.status != "finished" || !s.closed))
        std::printf("checkpoint     resumes at episode %lld (v2g train --resume %s)\n",
                    static_cast<long long>(s.checkpoint_episode), path.c_str());
    if (!s.last_episode.empty()) {
        std::printf("last episode  ");
        for (const auto& [name, value] : s.last_episode) std::printf(" %s=%.6g", name.c_str(), value);
        std::printf("\n");
    }
    if (s.ledger_blocks > 0) {
        const VerifyReport r = verify_ledger(read_ledger_from_results(path));
        std::printf("ledger         height %lld; %s\n", static_cast<long long>(s.ledger_blocks - 1),
                    r.ok ? r.message.c_str() : ("DOES NOT VERIFY: " + r.message).c_str());
    } else {
        std::printf("ledger         none (ledger.enabled = false)\n");
    }
    std::printf("config\n%s", s.effective_toml.c_str());
    return 0;
}

struct EvalArgs {
    std::string run_path;
    std::string days, faults, device, threads;
    std::vector<std::string> sets;  // evaluation.* only
    bool quiet = false;
};

double mean_of(const std::vector<DayMetrics>& days, int metric) {
    double sum = 0.0;
    int n = 0;
    for (const DayMetrics& m : days)
        if (std::isfinite(m[metric])) {
            sum += m[metric];
            ++n;
        }
    return n > 0 ? sum / n : std::nan("");
}

int run_eval(const EvalArgs& args) {
    const ResultsSummary saved = read_results_summary(args.run_path);
    if (saved.status != "finished" && saved.status != "interrupted")
        throw InputError(args.run_path + ": status '" + saved.status +
                         "': still training, or killed (continue it with v2g train --resume first)");
    Config cfg = load_config_text(saved.effective_toml, args.run_path + ":/config/effective_toml");
    for (const std::string& s : args.sets) {
        if (s.rfind("evaluation.", 0) != 0)
            throw InputError("--set " + s + ": eval takes only evaluation.* keys (the run's own config is fixed)");
        apply_override(&cfg, s);
    }
    apply_flag(&cfg, "--days", "evaluation.days", args.days);
    if (!args.faults.empty()) {
        // A bare list needs TOML quotes for apply_override.
        apply_override(&cfg, "evaluation.faults=" + quoted_string(args.faults));
    }
    apply_flag(&cfg, "--device", "run.device", args.device);
    apply_flag(&cfg, "--threads", "run.threads", args.threads);
    validate(cfg);
    const bool tty = isatty(fileno(stderr)) != 0;
    const EvaluationResult r = evaluate_results_file(args.run_path, cfg, [&](const EvalProgress& p) {
        if (args.quiet) return;
        if (p.policy.empty())
            std::fprintf(stderr, "%s%d/%d policy runs  took %s%s\n", tty ? "\r" : "", p.runs_done, p.runs_total,
                         human_duration(p.elapsed_s).c_str(), tty ? "\x1b[K" : "");
        else
            std::fprintf(stderr, "%s%d/%d policy runs  %s: %s  %s%s", tty ? "\r" : "", p.runs_done, p.runs_total,
                         p.scenario.c_str(), p.policy.c_str(), human_duration(p.elapsed_s).c_str(),
                         tty ? "\x1b[K" : "\n");
    });

    // The table: fault-free means over the days.
    const ScenarioResult& base = r.scenarios.front();
    const int columns[] = {kMoneyPerVehicle, kUnmetKwhPerVehicle, kDepartureEnergyMet, kPeakImportKw,
                           kDrImportKwh, kDrExportKwh, kEnergyEfficiency};
    std::printf("evaluation     %d days from episode %d on %s; means over days, money in %s (units: docs/EVALUATION.md)\n",
                r.days, r.first_episode, r.backend.c_str(), currency_label(cfg).c_str());
    std::printf("%-18s", "policy");
    for (int c : columns) std::printf(" %14.14s", metric_table()[c].name);
    std::printf("\n");
    for (size_t k = 0; k < r.policies.size(); ++k) {
        std::printf("%-18s", r.policies[k].c_str());
        for (int c : columns) std::printf(" %14.4g", mean_of(base.metrics[k], c));
        std::printf("\n");
    }
    double optimum = 0.0;
    for (double v : r.optimum_value_per_vehicle) optimum += v / r.days;
    std::printf("optimum (DP value of the plugged-in steps) %.4g per vehicle per day\n", optimum);
    const auto set_mean = [&](int policy) {
        double sum = 0.0;
        for (double v : base.oracle_set_money[static_cast<size_t>(policy)]) sum += v / r.days;
        return sum;
    };
    std::printf("score          %.1f %% of the way from random to the LP oracle: (learned - random) / (oracle - random) "
                "of the money per vehicle-day on the oracle's %d of %d communities (learned %.4g, random %.4g, oracle %.4g)\n",
                100.0 * base.score, r.oracle_communities, (r.vehicles + cfg.community_size - 1) / cfg.community_size,
                set_mean(kEvalLearned), set_mean(kEvalRandom), set_mean(kEvalOracle));
    for (size_t s = 1; s < r.scenarios.size(); ++s) {
        std::printf("fault %-16s", r.scenarios[s].name.c_str());
        std::printf(" money/vehicle change:");
        for (size_t k = 0; k < r.policies.size(); ++k)
            std::printf(" %s %+.3g", r.policies[k].c_str(),
                        mean_of(r.scenarios[s].metrics[k], kMoneyPerVehicle) - mean_of(base.metrics[k], kMoneyPerVehicle));
        std::printf("\n");
    }
    std::printf("results        %s:/evaluation\n", args.run_path.c_str());
    return 0;
}

// ---------------------------------------------------------------- sweep

struct SweepArgs {
    std::string sweep_path;
    std::string out_path;     // --out OUT.h5
    std::string resume_path;  // --resume OUT.h5 (a shard's own file)
    std::string shard;        // --shard i/n
    std::string device, threads;
    int batch = kDefaultSweepBatch;  // --batch N
    bool list = false;        // --list: print the configurations, train nothing
    bool quiet = false;
};

// Slurm job arrays: task i of n runs shard i/n, read from the environment when --shard is not
// given. The array must be contiguous (e.g. --array=0-3): the shard is ID - MIN.
bool shard_from_slurm(int* shard, int* shards) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) return false;
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    const long first = min ? std::atol(min) : 0;
    const std::string text = std::to_string(std::atol(id) - first) + "/" + count;
    parse_shard(text, "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT =", shard, shards);
    return true;
}

class SweepDisplay {
public:
    explicit SweepDisplay(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}
    void operator()(const SweepProgress& p) {
        if (quiet_) return;
        const auto now = std::chrono::steady_clock::now();
        const double since = std::chrono::duration<double>(now - last_).count();
        const bool milestone = p.stage == "done";
        if (!milestone && printed_ && since < (tty_ ? kTtyRefreshS : kPlainIntervalS)) return;
        last_ = now;
        printed_ = true;
        std::string line = strprintf("%d/%d configurations", p.done, p.total);
        if (!p.id.empty())
            line += strprintf("  %s %s", p.id.c_str(),
                              p.stage == "train" ? strprintf("episode %d/%d", p.episode, p.episodes).c_str()
                                                 : p.stage.c_str());
        line += strprintf("  %s env-steps/s  elapsed %s  ETA %s", human_rate(p.env_steps_per_s).c_str(),
                          human_duration(p.elapsed_s).c_str(), human_duration(p.eta_s).c_str());
        if (tty_) std::fprintf(stderr, "\r[sweep] %s\x1b[K", line.c_str());
        else std::fprintf(stderr, "sweep: %s\n", line.c_str());
        std::fflush(stderr);
    }
    void end() {
        if (!quiet_ && tty_ && printed_) std::fprintf(stderr, "\n");
    }

private:
    bool quiet_, tty_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point last_{};
};

void print_sweep_plan(const SweepSpec& spec, int shard, int shards) {
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), shard, shards);
    std::printf("sweep          %s: %zu configurations (base %s%s)\n", spec.name.c_str(), spec.configs.size(),
                spec.base_path.c_str(), spec.evaluate ? ", each evaluated" : "");
    if (shards > 1) std::printf("shard          %d/%d: configurations %d..%d\n", shard, shards, range.begin, range.end - 1);
    for (const std::string& a : spec.fixed) std::printf("fixed          %s\n", a.c_str());
    for (int i = range.begin; i < range.end; ++i) {
        const SweepConfig& c = spec.configs[i];
        std::printf("%-14s %s  (%d episodes, %d vehicles, %s)\n", c.id.c_str(), describe_values(spec, c).c_str(),
                    c.config.episodes, c.config.vehicles, c.config.policy.c_str());
    }
}

int run_sweep_command(const SweepArgs& args) {
    const bool resuming = !args.resume_path.empty();
    SweepSpec spec;
    int shard = 0, shards = 1;
    std::string out_path;
    if (resuming) {
        if (!args.sweep_path.empty() || !args.out_path.empty() || !args.shard.empty() || args.list)
            throw InputError("--resume " + args.resume_path + ": takes the sweep file's own sweep and shard; only "
                             "--device, --threads, --batch and --quiet may be given");
        const SweepFile saved = read_sweep_file(args.resume_path);
        spec = load_sweep_text(saved.sweep_text, saved.sweep_path, saved.base_text, saved.base_path);
        shard = saved.shard;
        shards = saved.shards;
        out_path = args.resume_path;
    } else {
        if (args.sweep_path.empty()) throw InputError("sweep: a SWEEP.toml file (or --resume OUT.h5) is required");
        spec = load_sweep(args.sweep_path);
        if (!args.shard.empty()) parse_shard(args.shard, "--shard", &shard, &shards);
        else if (shard_from_slurm(&shard, &shards))
            std::fprintf(stderr, "shard: %d/%d (from the Slurm job array)\n", shard, shards);
        if (args.list) {
            print_sweep_plan(spec, shard, shards);
            return 0;
        }
        if (args.out_path.empty()) throw InputError("sweep: --out OUT.h5 is required (or --list)");
        out_path = shard_file_name(args.out_path, shard, shards);
        check_new_sweep_output(out_path);
    }
    SweepRunOptions options;
    options.out_path = out_path;
    options.shard = shard;
    options.shards = shards;
    options.resume = resuming;
    options.device = args.device;
    options.threads = args.threads;
    if (args.batch < 1) throw InputError("--batch " + std::to_string(args.batch) + ": must be at least 1");
    options.batch = args.batch;
    StopOnSignals signals;
    options.stop = &g_stop_requested;
    SweepDisplay display(args.quiet);
    options.on_progress = [&display](const SweepProgress& p) { display(p); };
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), shard, shards);
    std::fprintf(stderr, "sweep: %s, configurations %d..%d of %zu%s -> %s\n", spec.name.c_str(), range.begin,
                 range.end - 1, spec.configs.size(), resuming ? " (resumed)" : "", out_path.c_str());
    const SweepOutcome outcome = run_sweep(spec, options);
    display.end();

    // The table: every row of the shard, or the best ones when there are many, by the evaluated
    // money when the sweep evaluates, else by the final reward.
    const SweepFile file = read_sweep_file(out_path);
    const std::vector<std::string> names = sweep_metric_names(spec.evaluate);
    const std::string rank_by = spec.evaluate ? "learned_money_per_vehicle" : "reward_last";
    const size_t key = std::find(names.begin(), names.end(), rank_by) - names.begin();
    std::vector<int> order(file.rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    constexpr size_t kShownRows = 20;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const double va = file.rows[a].metrics[key], vb = file.rows[b].metrics[key];
        return std::isfinite(va) && (!std::isfinite(vb) || va > vb);
    });
    if (order.size() > kShownRows) order.resize(kShownRows);
    std::printf("sweep          %s: %d of %d configurations done (%d this session, %s)\n", spec.name.c_str(),
                outcome.kept + outcome.trained, outcome.configs, outcome.trained, human_duration(outcome.seconds).c_str());
    std::vector<std::string> shown = {"reward_last"};
    if (spec.evaluate) shown.push_back(rank_by);
    print_sweep_rows(spec, file, order, shown);
    std::printf("results        %s (runs table /runs; each run's results in %s/)\n", out_path.c_str(),
                sweep_runs_dir(out_path).c_str());
    if (outcome.interrupted) {
        std::fprintf(stderr, "interrupted: continue with v2g sweep --resume %s\n", out_path.c_str());
        return 128 + g_stop_signal.load();
    }
    return 0;
}

int run_merge_command(const std::string& out_path, const std::vector<std::string>& shards) {
    const MergeReport r = merge_sweep_files(out_path, shards);
    std::printf("merged         %d shards, %d of %d configurations -> %s (virtual datasets: nothing copied)\n",
                r.shards, r.runs, r.configs, out_path.c_str());
    if (!r.missing.empty()) {
        std::string list;
        for (const std::string& m : r.missing) list += (list.empty() ? "" : ", ") + m;
        std::fprintf(stderr, "merge: shards missing: %s (merge again when they are done)\n", list.c_str());
    }
    return 0;
}

void print_keys() {
    for (const auto& [key, help] : config_keys()) std::printf("%-32s %s\n", key.c_str(), help.c_str());
}

// An error line stays readable when it echoes long input (a megabyte key, a long value): the
// longest words are cut in the middle ("abc...xyz") until the line fits, then the line itself.
std::string shortened(std::string msg) {
    constexpr size_t kMaxErrorChars = 200;
    constexpr size_t kKeepEachSide = 24;
    while (msg.size() > kMaxErrorChars) {
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < msg.size();) {
            const size_t end = std::min(msg.find(' ', i), msg.size());
            if (end - i > best_len) best = i, best_len = end - i;
            i = end + 1;
        }
        if (best_len <= 2 * kKeepEachSide + 3) break;
        msg.replace(best + kKeepEachSide, best_len - 2 * kKeepEachSide, "...");
    }
    if (msg.size() > kMaxErrorChars) msg = msg.substr(0, kMaxErrorChars - 3) + "...";
    return msg;
}

// One line for any error, so scripts and logs see exactly one.
void print_error(const char* kind, std::string msg) {
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::fprintf(stderr, "v2g: %s: %s\n", kind, shortened(std::move(msg)).c_str());
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"v2g: GPU-accelerated reinforcement-learning training for Vehicle-to-Grid energy management",
                 "v2g"};
    app.set_version_flag("--version", std::string("v2g ") + V2G_VERSION);
    app.require_subcommand(1);
    app.footer("Run `v2g train --help` for the training options.");

    TrainArgs args;
    CLI::App* train = app.add_subcommand("train", "train a policy from a TOML config");
    train->add_option("CONFIG", args.config_path, "the run's TOML config (keys: docs/CONFIG.md)");
    train->add_option("--set", args.sets, "override a config key, e.g. --set learning.alpha=0.1 (repeatable)")
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    train->add_option("--device", args.device, "backend: auto | cpu | cuda (run.device)")->type_name("DEVICE");
    train->add_option("--seed", args.seed, "random seed (run.seed)")->type_name("N");
    train->add_option("--episodes", args.episodes, "episodes to train (run.episodes)")->type_name("N");
    train->add_option("--threads", args.threads, "CPU threads, 0 = all cores (run.threads)")->type_name("N");
    train->add_option("--summary", args.summary_path, "also write the summary, the config and per-episode rewards as JSON")
        ->type_name("FILE.json");
    train->add_option("--ledger", args.ledger_path, "write the run's hash-chained ledger (blocks, contracts, "
                      "transactions per ledger.store_transactions) to this file")
        ->type_name("FILE");
    train->add_option("--out", args.out_path, "stream results to this HDF5 file while training (docs/RESULTS.md); "
                      "an existing file is refused unless --force")
        ->type_name("RUN.h5");
    train->add_flag("--force", args.force, "replace an existing --out file (it is kept until the new one is created)");
    train->add_option("--resume", args.resume_path, "continue an interrupted run from its last checkpoint, bit-identical "
                      "to an uninterrupted one (no CONFIG)")
        ->type_name("RUN.h5");
    train->add_option("--model-out", args.model_out, "DQN runs: write the trained Q-network as TorchScript "
                      "(docs/DQN.md)")
        ->type_name("FILE.pt");
    train->add_flag("--quiet,-q", args.quiet, "no progress display");
    train->footer(
        "Config keys, their types, defaults and ranges: docs/CONFIG.md (or `v2g keys`).\n"
        "Precedence: defaults < CONFIG < --set (in order) < --device/--seed/--episodes/--threads.\n"
        "Exit status: 0 done, 2 bad input (config, CSV, flags), 1 internal error.");

    CLI::App* keys = app.add_subcommand("keys", "list every config key with its type, range and default");

    std::string verify_path;
    CLI::App* verify = app.add_subcommand("verify", "check a run's ledger: registry root, every block's Merkle root "
                                                    "(where its transactions are stored), the hash chain, the signatures "
                                                    "and signed head, and every transaction against its contract");
    verify->add_option("LEDGER", verify_path, "a results file (v2g train --out) or a ledger file (--ledger)")->required();
    std::string verify_key;
    verify->add_option("--public-key", verify_key,
                       "the run's Ed25519 public key (64 hex digits, as verify prints it): the chain must be signed by it");

    std::string inspect_path;
    CLI::App* inspect = app.add_subcommand("inspect", "print a results file's config, progress, last metrics, ledger "
                                                      "height and whether its ledger verifies (or a sweep file's runs)");
    inspect->add_option("RUN", inspect_path, "a results file written by `v2g train --out`, or a sweep file (v2g sweep)")
        ->required();
    verify->footer("A results file's chain is signed (Ed25519, one key pair per run; docs/LEDGER.md): every block,\n"
                   "and a head sealed when the run finished; every stored transaction is re-checked against its contract.\n"
                   "Exit status: 0 the ledger holds, 1 it does not (the first bad block and transaction are named),\n"
                   "2 not a readable v2g ledger file.");

    EvalArgs eval_args;
    CLI::App* eval = app.add_subcommand("eval", "evaluate a trained run against the yardsticks (random, uncontrolled, "
                                                "time-of-use, the DP plan, the LP oracle) on held-out days, fault-free "
                                                "and under faults, with the score (learned - random) / (oracle - random); "
                                                "writes /evaluation into the run file");
    eval->add_option("RUN", eval_args.run_path, "a results file written by `v2g train --out`")->required();
    eval->add_option("--days", eval_args.days, "held-out days (evaluation.days)")->type_name("E");
    eval->add_option("--faults", eval_args.faults, "none | all | comma list of missing_vehicles, grid_outage, "
                                                   "price_spike, lost_community (evaluation.faults)")
        ->type_name("LIST");
    eval->add_option("--set", eval_args.sets, "override an evaluation.* key (repeatable)")
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    eval->add_option("--device", eval_args.device, "backend: auto | cpu | cuda")->type_name("DEVICE");
    eval->add_option("--threads", eval_args.threads, "CPU threads, 0 = all cores")->type_name("N");
    eval->add_flag("--quiet,-q", eval_args.quiet, "no progress display");
    eval->footer("Metrics and their definitions: docs/EVALUATION.md. Report: python3 -m v2g report RUN --out DIR.\n"
                 "Exit status: 0 done, 2 bad input (file, flags), 1 internal error.");

    BenchArgs bench_args;
    CLI::App* bench = app.add_subcommand("bench", "time each stage (environment step, market, Q-update, transaction "
                                                  "emission, Merkle hashing, results hand-off) and the fused loop: "
                                                  "bytes moved, bandwidth, share of peak, memory or compute bound");
    bench->add_option("CONFIG", bench_args.config_path, "a TOML config (default: the built-in defaults)");
    bench->add_option("--set", bench_args.sets, "override a config key (repeatable)")
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    bench->add_option("--vehicles", bench_args.vehicles, "fleet size (fleet.vehicles)")->type_name("N");
    bench->add_option("--device", bench_args.device, "backend: auto | cpu | cuda")->type_name("DEVICE");
    bench->add_option("--threads", bench_args.threads, "CPU threads, 0 = all cores")->type_name("N");
    bench->add_option("--episodes", bench_args.episodes, "timed episodes per path (default 3)")->type_name("N");
    bench->add_flag("--json", bench_args.json, "print the report as JSON");
    bench->footer("The model (bytes counted per stage, the copy test, the ceilings): docs/PERFORMANCE.md.\n"
                  "Exit status: 0 done, 2 bad input (config, flags, --device cuda without a GPU), 1 internal error.");

    SweepArgs sweep_args;
    CLI::App* sweep = app.add_subcommand("sweep", "train many configurations from a sweep file (grid, random samples, variants, "
                                                  "seeds) into one HDF5 file with a runs table (docs/SWEEPS.md)");
    sweep->add_option("SWEEP", sweep_args.sweep_path, "the sweep's TOML file");
    sweep->add_option("--out", sweep_args.out_path, "the sweep file; runs' results go to OUT.runs/")->type_name("OUT.h5");
    sweep->add_option("--resume", sweep_args.resume_path, "continue a killed or stopped sweep (a shard's own file)")
        ->type_name("OUT.h5");
    sweep->add_option("--shard", sweep_args.shard, "run the i-th of n disjoint slices (default: from "
                                                   "SLURM_ARRAY_TASK_ID/COUNT, else 0/1); writes OUT.shard-i-of-n.h5")
        ->type_name("i/n");
    sweep->add_option("--device", sweep_args.device, "backend for every run: auto | cpu | cuda")->type_name("DEVICE");
    sweep->add_option("--threads", sweep_args.threads, "CPU threads, 0 = all cores")->type_name("N");
    sweep->add_option("--batch", sweep_args.batch, "tabular configurations trained together, their episodes in "
                                                   "shared launches, bit-identical to one after another (default " +
                                                   std::to_string(kDefaultSweepBatch) + ": one after another)")
        ->type_name("N");
    sweep->add_flag("--list", sweep_args.list, "print the configurations and train nothing");
    sweep->add_flag("--quiet,-q", sweep_args.quiet, "no progress display");
    sweep->footer("Exit status: 0 done, 2 bad input (a malformed sweep file is refused before any training),\n"
                  "1 internal error, 128+N stopped by signal N (continue with --resume).");

    std::string merge_out;
    std::vector<std::string> merge_shards;
    CLI::App* merge = app.add_subcommand("merge", "one HDF5 file presenting every shard's runs of a sweep (virtual "
                                                  "datasets and external links; nothing copied)");
    merge->add_option("OUT", merge_out, "the merged file to write")->required()->type_name("OUT.h5");
    merge->add_option("SHARDS", merge_shards, "the shards' sweep files (v2g sweep --shard)")->required();

    // --- `v2g ledger ...` (hashing work): everything after `ledger` goes to run_ledger_cli. ---
    CLI::App* ledger_cmd = app.add_subcommand("ledger", "RFC 6962 Merkle roots and proofs of hex leaves on stdin "
                                                    "(root, prove, check-proof, consistency, check-consistency)");
    ledger_cmd->prefix_command();
    ledger_cmd->footer(ledger::ledger_usage());

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help, --version
        std::string msg = e.what();
        // CLI11 calls `v2g fly` "a subcommand is required"; name the word it did not know.
        if (argc >= 2 && argv[1][0] != '-' && app.get_subcommands().empty())
            msg = std::string("unknown command '") + argv[1] + "'";
        print_error("error", msg + " (see v2g --help)");
        return kExitBadInput;
    }

    try {
        if (keys->parsed()) {
            print_keys();
            return 0;
        }
        if (ledger_cmd->parsed()) return ledger::run_ledger_cli(ledger_cmd->remaining(), std::cin, std::cout, std::cerr);
        if (verify->parsed()) return run_verify(verify_path, verify_key);
        if (inspect->parsed()) return run_inspect(inspect_path);
        if (eval->parsed()) return run_eval(eval_args);
        if (bench->parsed()) return run_bench(bench_args);
        if (sweep->parsed()) return run_sweep_command(sweep_args);
        if (merge->parsed()) return run_merge_command(merge_out, merge_shards);
        return run_train(args);
    } catch (const InputError& e) {
        print_error("error", e.what());
        return kExitBadInput;
    } catch (const std::exception& e) {
        print_error("internal error", e.what());
        return kExitFailure;
    }
}

}  // namespace v2g
