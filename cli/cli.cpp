// cli.cpp: the `v2g` command line: argument parsing (CLI11) into the commands' arguments
// (commands.h), the mapping of failures to exit statuses (errors.h) with one line on stderr, and
// `v2g keys`. Each command runs in its own file (train_command.cpp, inspect_commands.cpp,
// sweep_command.cpp; `v2g ledger` in ledger_cli.cpp).
#include "cli/cli.h"
#include "cli/commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/ledger_cli.h"
#include "common/cuda_device.h"
#include "common/errors.h"
#include "perf/bench.h"

namespace v2g {
namespace cli {

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
    std::fprintf(stderr, "%s\n", error_line(kind, std::move(msg)).c_str());
}

// --set KEY=VALUE, repeatable, on `command`: the one way every command takes config overrides.
void add_set_option(CLI::App* command, std::vector<std::string>* sets, const std::string& help) {
    command->add_option("--set", *sets, help)
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// --device and --threads: where the command runs (run.device, run.threads).
void add_backend_options(CLI::App* command, std::string* device, std::string* threads,
                         const std::string& device_help = "backend: auto | cpu | cuda (run.device)") {
    command->add_option("--device", *device, device_help)->type_name("DEVICE");
    command->add_option("--threads", *threads, "CPU threads, 0 = all cores (run.threads)")->type_name("N");
}

}  // namespace cli

std::string error_line(const char* kind, std::string message) {
    std::replace(message.begin(), message.end(), '\n', ' ');
    return std::string("v2g: ") + kind + ": " + cli::shortened(std::move(message));
}

int run_cli(int argc, char** argv) {
    using namespace cli;
    CLI::App app{"v2g: GPU-accelerated reinforcement-learning training for Vehicle-to-Grid energy management",
                 "v2g"};
    app.set_version_flag("--version", [] {
        return std::string("v2g ") + V2G_VERSION + " (commit " + V2G_GIT_COMMIT + ")\n" + cuda_description();
    });
    app.require_subcommand(1);
    app.footer("Run `v2g train --help` for the training options.");

    TrainArgs args;
    CLI::App* train = app.add_subcommand("train", "train a policy from a TOML config");
    train->add_option("CONFIG", args.config_path, "the run's TOML config (keys: docs/CONFIG.md)");
    add_set_option(train, &args.sets, "override a config key, e.g. --set learning.alpha=0.1 (repeatable)");
    add_backend_options(train, &args.device, &args.threads);
    train->add_option("--seed", args.seed, "random seed (run.seed)")->type_name("N");
    train->add_option("--episodes", args.episodes, "episodes to train (run.episodes)")->type_name("N");
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
    train->add_flag("--memory-plan", args.memory_plan, "print the GPU memory the run needs, buffer by buffer "
                    "(the CUDA backend's allocations), and train nothing");
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

    SessionsArgs sessions_args;
    CLI::App* sessions = app.add_subcommand("sessions", "write the plug-in sessions a config's session model draws, "
                                                        "day by day, as a sessions CSV (sessions.model = csv reads it back)");
    sessions->add_option("CONFIG", sessions_args.config_path, "a config file")->required();
    sessions->add_option("--days", sessions_args.days, "days to draw (30)")->type_name("N");
    sessions->add_option("--out", sessions_args.out_path, "the CSV to write (default: standard output)")
        ->type_name("FILE.csv");
    add_set_option(sessions, &sessions_args.sets, "override a config key (repeatable)");
    sessions->footer("Columns and rules: docs/DATA.md, \"Sessions CSV\". A fitted model written out and read back\n"
                     "(sessions.model = \"csv\", sessions.csv = FILE.csv) trains bit-identically for those days.");

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
    add_set_option(eval, &eval_args.sets, "override an evaluation.* key (repeatable)");
    add_backend_options(eval, &eval_args.device, &eval_args.threads);
    eval->add_option("--policy", eval_args.policy_path,
                     "also score an outside policy: a TorchScript module, forward(observations [n, 12]) -> "
                     "action scores [n, 5] (docs/VECTOR_ENV.md), as the row `external`")
        ->type_name("MODEL.pt");
    eval->add_flag("--quiet,-q", eval_args.quiet, "no progress display");
    eval->footer("Metrics and their definitions: docs/EVALUATION.md. Report: python3 -m v2g report RUN --out DIR.\n"
                 "Exit status: 0 done, 2 bad input (file, flags), 1 internal error.");

    BenchArgs bench_args;
    CLI::App* bench = app.add_subcommand("bench", "time each stage (environment step, market, Q-update, transaction "
                                                  "emission, Merkle hashing, results hand-off) and the fused loop: "
                                                  "bytes moved, bandwidth, share of peak, memory or compute bound");
    bench->add_option("CONFIG", bench_args.config_path, "a TOML config (default: the built-in defaults)");
    add_set_option(bench, &bench_args.sets, "override a config key (repeatable)");
    bench->add_option("--vehicles", bench_args.vehicles, "fleet size (fleet.vehicles)")->type_name("N");
    add_backend_options(bench, &bench_args.device, &bench_args.threads);
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
    add_backend_options(sweep, &sweep_args.device, &sweep_args.threads,
                        "backend for every run: auto | cpu | cuda (run.device)");
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

    // `v2g ledger ...`: everything after `ledger` goes to run_ledger_cli.
    CLI::App* ledger_cmd = app.add_subcommand("ledger", "RFC 6962 Merkle roots and proofs of hex leaves on stdin "
                                                    "(root, prove, check-proof, consistency, check-consistency)");
    ledger_cmd->prefix_command();
    // Its --help is its own (run_ledger_cli prints one usage block); CLI11's would add a second.
    ledger_cmd->set_help_flag();

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
        if (sessions->parsed()) return run_sessions(sessions_args);
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
