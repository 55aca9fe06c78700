// train_run.h: one training run end to end, as `v2g train` and each configuration of
// `v2g sweep` run it: device choice, problem, backend (tabular or DQN), the results file (new
// or resumed), the trainer, and the evaluation of a finished run file. Prints only the
// one-line device and resume notices on stderr; the summary is the caller's to show.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "config/config.h"
#include "eval/evaluation.h"
#include "train/trainer.h"

namespace v2g {

struct TrainRunOptions {
    std::string input_toml;    // the config as the user wrote it (results: /config/input_toml)
    std::string out_path;      // the results file to create; empty = none
    std::string resume_path;   // continue this results file (cfg is then its effective config)
    std::string ledger_path;   // --ledger FILE; empty = the chain is kept in memory only
    std::string model_out;     // --model-out FILE.pt (DQN)
    const std::atomic<bool>* stop = nullptr;  // set by a signal handler: stop after the chunk
    std::function<void(const TrainProgress&)> on_progress;
    std::function<void(const EvalProgress&)> on_check_progress;  // the held-out check's runs
    bool notices = true;       // the device and resume lines on stderr
    // After a run that finished: the learned policy against the yardsticks and the LP oracle on
    // evaluation.check_days held-out days (TrainRunResult::check). `v2g train` runs it; a sweep,
    // which has its own `evaluate`, does not.
    bool training_check = true;
    // Makes the backend instead of the device's own (a batched sweep's member backend, an
    // outside agent's driver).
    std::function<std::unique_ptr<Backend>(Problem)> backend_factory;
    // Every episode its own chunk, written when it ends (Trainer::set_max_chunk_episodes(1)).
    bool chunk_per_episode = false;
    // The results file's /day: a day of the trained table's greedy policy (off for an outside
    // agent, whose policy the engine cannot replay).
    bool day_trace = true;
};

struct TrainRunResult {
    DeviceChoice device;
    TrainSummary summary;
    bool checked = false;   // the training check ran (finished, check_days > 0)
    TrainingCheck check;
};

// Trains `cfg` (validated). Throws InputError for bad input (a CSV, an unwritable path, a
// results file that cannot be resumed), before any training where it can.
TrainRunResult run_training(const Config& cfg, const TrainRunOptions& options);

// Evaluates a finished (or interrupted) results file with `cfg` (its effective config plus any
// evaluation.* changes, validated) and writes /evaluation into it.
// The config `v2g eval` evaluates a results file with: the run's effective config, with
// `sets` (evaluation.* keys only, as --set), and --days, --faults, --device and --threads
// where not empty; validated. InputError for a run that is still training or was killed.
Config eval_config(const std::string& run_path, const std::vector<std::string>& sets, const std::string& days,
                   const std::string& faults, const std::string& device, const std::string& threads);

// With `external`, the outside policy is scored too (its row follows the oracle's).
EvaluationResult evaluate_results_file(const std::string& run_path, const Config& cfg,
                                       const std::function<void(const EvalProgress&)>& on_progress = {},
                                       bool notices = true, const ExternalPolicy* external = nullptr);

}  // namespace v2g
