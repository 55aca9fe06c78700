// commands.h: what the `v2g` subcommands share inside the CLI: their arguments as parsed (the
// flags of cli.cpp), the entry point of each (train_command.cpp, inspect_commands.cpp,
// sweep_command.cpp), and the pacing of the progress displays.
#pragma once
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>
#include "common/text_format.h"
#include "eval/evaluation.h"
#include "run/sweep_file.h"
#include "run/sweep_run.h"

namespace v2g::cli {

constexpr double kTtyRefreshS = 0.1;        // the progress bar redraws at most at ~10 Hz
constexpr double kPlainIntervalS = 5.0;     // without a terminal: a line at least this often
constexpr int kPlainSteps = 10;             // ... and one per 10% of the episodes
constexpr int kBarWidth = 24;               // characters of the bar itself

// The progress line of an evaluation's policy runs (v2g eval, and the held-out check at the end
// of v2g train) on stderr: "3/12 policy runs  fault-free: time_of_use  2.1s", redrawn in place on
// a terminal, one line each otherwise; the last (policy empty) says how long it all took.
inline void print_policy_runs(const EvalProgress& p, bool tty) {
    if (p.policy.empty())
        std::fprintf(stderr, "%s%d/%d policy runs  took %s%s\n", tty ? "\r" : "", p.runs_done, p.runs_total,
                     human_duration(p.elapsed_s).c_str(), tty ? "\x1b[K" : "");
    else
        std::fprintf(stderr, "%s%d/%d policy runs  %s: %s  %s%s", tty ? "\r" : "", p.runs_done, p.runs_total,
                     p.scenario.c_str(), p.policy.c_str(), human_duration(p.elapsed_s).c_str(), tty ? "\x1b[K" : "\n");
    std::fflush(stderr);
}

struct TrainArgs {
    std::string config_path;
    // From Python (python/bindings.cpp), in process: the config's TOML text, named config_name
    // in errors, instead of a file; and a string that receives the --summary JSON.
    const std::string* config_text = nullptr;
    std::string config_name;
    std::string* summary_text = nullptr;
    std::vector<std::string> sets;
    std::string device, seed, episodes, threads;  // empty = not given; parsed by the registry
    std::string summary_path;
    std::string ledger_path;
    std::string out_path;     // --out RUN.h5
    std::string resume_path;  // --resume RUN.h5
    std::string model_out;    // --model-out FILE.pt (dqn)
    bool force = false;       // --force: replace an existing --out file
    bool memory_plan = false; // --memory-plan: print what the CUDA backend would allocate, train nothing
    bool quiet = false;
};

struct EvalArgs {
    std::string run_path;
    std::string days, faults, device, threads;
    std::vector<std::string> sets;  // evaluation.* only
    std::string policy_path;        // --policy MODEL.pt: an outside policy (TorchScript)
    bool quiet = false;
};

struct SessionsArgs {
    std::string config_path;
    std::vector<std::string> sets;
    std::string days = "30";  // days to draw
    std::string out_path;     // --out FILE.csv ("-" or empty: standard output)
};

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

// SIGINT / SIGTERM during training or a sweep: finish the current chunk, checkpoint, close the
// results file cleanly (train_command.cpp).
extern std::atomic<bool> g_stop_requested;
extern std::atomic<int> g_stop_signal;
extern "C" void request_stop(int sig);
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

// A sweep's rows as a table (inspect_commands.cpp; `v2g inspect` and `v2g sweep --list`).
void print_sweep_rows(const SweepSpec& spec, const SweepFile& f, const std::vector<int>& rows,
                      const std::vector<std::string>& metrics);

int run_train(const TrainArgs& args);                            // v2g train
int run_verify(const std::string& path, const std::string& pinned_key);  // v2g verify
int run_inspect(const std::string& path);                        // v2g inspect
int run_eval(const EvalArgs& args);                              // v2g eval
int run_sweep_command(const SweepArgs& args);                    // v2g sweep
int run_merge_command(const std::string& out_path, const std::vector<std::string>& shards);  // v2g merge
int run_sessions(const SessionsArgs& args);                      // v2g sessions

}  // namespace v2g::cli
