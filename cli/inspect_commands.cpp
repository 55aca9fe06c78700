// inspect_commands.cpp: the commands that read a finished results file: `v2g verify` (the
// chain and its signatures), `v2g inspect` (a run or a sweep) and `v2g eval` (the policies on
// held-out days); and `v2g sessions`, which shows what a config's session model draws.
#include "cli/commands.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/text_format.h"
#include "dqn/dqn.h"
#include "problem/price_unit.h"
#include "problem/problem.h"
#include "problem/session_table.h"
#include "env/layout.h"
#include "results/results.h"
#include "run/train_run.h"

namespace v2g::cli {

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
        // Name and value pairs, a few to a row, aligned: a line per metric would be 40 lines.
        constexpr size_t kPairsPerRow = 3;
        std::printf("last episode   /episodes, the last row:\n");
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < s.last_episode.size(); ++i) {
            if (i % kPairsPerRow == 0) rows.emplace_back();
            else rows.back().push_back("");  // a wider gap between pairs than within one
            rows.back().push_back(s.last_episode[i].first);
            rows.back().push_back(table_number(s.last_episode[i].second));
        }
        print_table(stdout, rows, {true, false, true, true, false, true, true, false}, 2);
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


int run_eval(const EvalArgs& args) {
    const Config cfg = eval_config(args.run_path, args.sets, args.days, args.faults, args.device, args.threads);
    ExternalPolicy external;
    if (!args.policy_path.empty()) external = {kExternalPolicyName, load_script_policy(args.policy_path)};
    const bool tty = isatty(fileno(stderr)) != 0;
    const EvaluationResult r = evaluate_results_file(args.run_path, cfg, [&](const EvalProgress& p) {
        if (!args.quiet) print_policy_runs(p, tty);
    }, true, args.policy_path.empty() ? nullptr : &external);

    // The table: fault-free means over the days, full metric names, a units row under them.
    const ScenarioResult& base = r.scenarios.front();
    const std::string money = currency_label(cfg);
    const auto unit_text = [&](const char* unit) {
        std::string u = unit;
        if (u == "1") return std::string("fraction");
        const size_t at = u.find("currency");
        if (at != std::string::npos) u.replace(at, 8, money);
        return u;
    };
    const int columns[] = {kMoneyPerVehicle, kUnmetKwhPerVehicle, kDepartureEnergyMet, kPeakImportKw,
                           kDrImportKwh, kDrExportKwh, kEnergyEfficiency};
    std::printf("evaluation     %d days from episode %d on %s; means over the days (definitions: docs/EVALUATION.md)\n",
                r.days, r.first_episode, r.backend.c_str());
    std::vector<std::vector<std::string>> table = {{"policy"}, {""}};
    for (int c : columns) {
        table[0].push_back(metric_table()[c].name);
        table[1].push_back(unit_text(metric_table()[c].unit));
    }
    for (size_t k = 0; k < r.policies.size(); ++k) {
        // The LP oracle is the one upper bound every policy is scored against.
        table.push_back({k == static_cast<size_t>(kEvalOracle) ? r.policies[k] + " (upper bound)" : r.policies[k]});
        for (int c : columns) table.back().push_back(table_number(mean_over_days(base.metrics[k], c)));
    }
    print_table(stdout, table, {true}, 2);
    const auto set_mean = [&](int policy) {
        double sum = 0.0;
        for (double v : base.oracle_set_money[static_cast<size_t>(policy)]) sum += v / r.days;
        return sum;
    };
    std::printf(
        "score          %.1f %% of the way from random to the upper bound: (learned - random) / (oracle_lp - random) "
        "of the money per vehicle-day on the oracle's %d of %d communities (learned %s, random %s, oracle_lp %s)\n",
        100.0 * base.score, r.oracle_communities,
        (r.vehicles + cfg.fleet.community_size - 1) / cfg.fleet.community_size,
        table_number(set_mean(kEvalLearned)).c_str(), table_number(set_mean(kEvalRandom)).c_str(),
        table_number(set_mean(kEvalOracle)).c_str());
    if (!args.policy_path.empty())
        std::printf("score external %.1f %% of the way from random to the upper bound (%s: %s on the oracle's communities)\n",
                    100.0 * base.external_score, args.policy_path.c_str(), table_number(set_mean(kEvalExternal)).c_str());
    double dp_value = 0.0;
    for (double v : r.optimum_value_per_vehicle) dp_value += v / r.days;
    std::printf("DP check       %s %s/vehicle/day: the single-vehicle DP's value of the plugged-in steps, a cross-check of "
                "the charging model (no market, no grid limit), not a bound\n", table_number(dp_value).c_str(), money.c_str());
    if (r.scenarios.size() > 1) {
        std::printf("faults         change in money_per_vehicle (%s/vehicle/day) from the fault-free days, same days; per-vehicle\n"
                    "               means count the whole fleet, so a fault that takes vehicles away lowers the costs\n",
                    money.c_str());
        std::vector<std::vector<std::string>> faults = {{"fault"}};
        for (const auto& name : r.policies) faults[0].push_back(name);
        for (size_t s = 1; s < r.scenarios.size(); ++s) {
            faults.push_back({r.scenarios[s].name});
            for (size_t k = 0; k < r.policies.size(); ++k)
                faults.back().push_back(strprintf("%+.3g", mean_over_days(r.scenarios[s].metrics[k], kMoneyPerVehicle) -
                                                               mean_over_days(base.metrics[k], kMoneyPerVehicle)));
        }
        print_table(stdout, faults, {true}, 2);
        for (size_t s = 1; s < r.scenarios.size(); ++s)
            std::printf("  %s: %s\n", r.scenarios[s].name.c_str(), r.scenarios[s].description.c_str());
    }
    const std::string note = session_reuse_note(cfg, r.first_episode);
    if (!note.empty()) std::printf("%s\n", note.c_str());
    std::printf("results        %s:/evaluation\n", args.run_path.c_str());
    return 0;
}

int run_sessions(const SessionsArgs& args) {
    Config cfg = load_config(args.config_path);
    for (const std::string& s : args.sets) apply_override(&cfg, s);
    validate(cfg);
    char* end = nullptr;
    const long days = std::strtol(args.days.c_str(), &end, 10);
    constexpr long kMaxDays = 100000;
    if (args.days.empty() || *end != '\0' || days < 1 || days > kMaxDays)
        throw InputError("--days " + args.days + ": a whole number of days in [1, " + std::to_string(kMaxDays) + "]");
    const Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    SignalsView sig{};
    layout_signals(p, const_cast<char*>(problem.signals.data()), &sig);
    const std::vector<SessionRecord> records = draw_session_table(p, sig, static_cast<int>(days));
    const bool to_stdout = args.out_path.empty() || args.out_path == "-";
    std::FILE* out = to_stdout ? stdout : std::fopen((args.out_path + ".tmp").c_str(), "w");
    if (!out) throw InputError("--out " + args.out_path + ": cannot write");
    write_session_csv(out, cfg, records, static_cast<int>(days), p.num_vehicles);
    if (!to_stdout) {
        const bool ok = std::fclose(out) == 0;
        if (!ok || std::rename((args.out_path + ".tmp").c_str(), args.out_path.c_str()) != 0)
            throw InputError("--out " + args.out_path + ": cannot write");
        std::fprintf(stderr, "sessions: %ld days x %d vehicles of sessions.model = %s written to %s\n", days,
                     p.num_vehicles, choice_name(cfg.sessions.model), args.out_path.c_str());
    }
    return 0;
}

}  // namespace v2g::cli
