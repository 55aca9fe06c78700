// vector_env.h: the engine as a vector environment for an agent outside it (Python's
// v2g.VectorEnv, docs/VECTOR_ENV.md): one sub-environment per vehicle, a day per episode, the
// caller choosing every vehicle's action at every step.
//
// The day runs on the one episode schedule (env/schedule.h), on an engine thread of its own:
// the schedule's before_act hook hands the observations to the caller and waits for its
// actions, so the caller's step() is the schedule's step, phase for phase as in training (the
// market, the contracts, the ledger's slots and the day's Merkle root included), and there is
// no second copy of the schedule to drift. Control passes back and forth; the two threads never
// run at once.
//
// With a results file, the engine thread runs the training run itself (run/train_run.h) with
// this env's driver as its backend, one day per chunk: the days are training's episodes 0, 1,
// ... in order, and the file (metrics per day, the signed hash-chained ledger) is the one
// `v2g train --out` writes, so `v2g verify`, `inspect` and the plots read it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include "backends/backend.h"
#include "config/config.h"
#include "env/episode_metrics.h"

namespace v2g {

class VectorEnv {
public:
    // The fleet of `cfg` (validated) on the CPU, the day-ahead prices and sessions of its seed.
    // With `out_path`, every finished day is written there as `v2g train --out` writes an
    // episode (an existing file is replaced: the caller checks); run.episodes days at most.
    // `input_toml`: the config as the user wrote it (/config/input_toml). InputError for bad
    // input (an unwritable file).
    explicit VectorEnv(const Config& cfg, const std::string& out_path = "", const std::string& input_toml = "");
    ~VectorEnv();  // close()
    // Ends the engine thread: a run with a file is closed, finished after its last day, else
    // interrupted after its last finished day (a day in progress is dropped). The buffers stay
    // readable; reset() and step() are refused. Idempotent.
    void close();
    VectorEnv(const VectorEnv&) = delete;
    VectorEnv& operator=(const VectorEnv&) = delete;

    int num_envs() const { return num_envs_; }
    int steps_per_day() const { return steps_per_day_; }
    bool writes_results() const { return !out_path_.empty(); }

    // Starts day `episode` (the price day and the sessions of that episode index, as training's
    // episode `episode`) and runs its reset; observations() then holds the first step's. A day
    // left unfinished is abandoned (no metrics, no block); the fleet goes on from where it was.
    // With a results file the days run in order: `episode` must be days_finished(), the day
    // before must be finished, and there are run.episodes days (std::logic_error otherwise).
    void reset(int episode);
    // Runs the current step with `actions` (num_envs values, each < kNumActions: the caller
    // checks them). Returns true when it was the day's last step: the day's metrics and block
    // are then ready, and observations() is the fleet after it (at the last step's clock).
    bool step(const uint8_t* actions);

    // Buffers valid until the next reset() or step(), written in place:
    const float* observations() const { return obs_.data(); }      // [num_envs, kObservationSize]
    const float* rewards() const { return reward_.data(); }        // [num_envs] of the last step
    const float* reward_terms() const { return terms_.data(); }    // [num_envs, kNumRewardTerms]
    const uint8_t* action_mask() const { return mask_.data(); }    // [num_envs, kNumActions]

    int episode() const { return episode_; }
    int step_index() const { return step_; }  // the step the next step() runs
    bool in_day() const { return in_day_; }
    // The last finished day: fleet metrics (merged over communities) and, with the ledger on,
    // its transactions' Merkle root and count.
    const EpisodeMetrics& day_metrics() const { return day_metrics_; }
    const EpisodeLedger& day_ledger() const { return day_ledger_; }
    int days_finished() const { return days_finished_; }
    int days_planned() const { return days_planned_; }  // run.episodes with a results file, else 0
    // The engine's state, read-only, between steps (tests and tools: a rule-based policy's
    // choice, say).
    const EnvParams& params() const;
    const SignalsView& signals() const;
    const FleetView& fleet() const;

private:
    class Driver;
    friend class Driver;
    enum class Turn { kCaller, kEngine };
    struct Abandon {};  // thrown by the hook to leave a day unfinished

    std::unique_ptr<Backend> make_driver(Problem problem);
    void engine_main();             // days on request (no results file)
    void engine_run_main();         // the training run (a results file)
    void hand_over_and_wait();      // caller side: run the engine until it hands back
    void wait_for_engine_turn();    // engine side: hand back, wait for the caller
    void finish_day(int episode, const EpisodeMetrics* per_community, const EpisodeLedger* ledger);
    void observe(int episode, int step);
    void take_rewards();

    Config cfg_;
    std::string out_path_, input_toml_;
    int num_envs_ = 0, steps_per_day_ = 0, days_planned_ = 0;
    float day_start_hour_ = 0.0f;  // the clock hour of step 0
    float price_scale_ = 1.0f;     // observation_price_scale of the series
    Driver* driver_ = nullptr;     // owned by owned_driver_, or by the training run
    std::unique_ptr<Backend> owned_driver_;
    std::vector<float> obs_, reward_, terms_;
    std::vector<uint8_t> mask_;
    std::vector<EpisodeMetrics> community_metrics_;
    EpisodeMetrics day_metrics_{};
    EpisodeLedger day_ledger_;
    int episode_ = 0, step_ = 0, days_finished_ = 0;
    bool in_day_ = false;

    std::thread engine_;
    std::mutex mutex_;
    std::condition_variable turn_changed_;
    Turn turn_ = Turn::kCaller;
    bool abandon_ = false;       // leave the current day
    bool quit_ = false;          // end the engine thread
    bool day_ended_ = false;     // the engine finished the day it ran
    bool run_over_ = false;      // the training run (results file) has ended
    std::atomic<bool> stop_run_{false};  // the run's stop flag: closed before its last day
    std::exception_ptr error_;   // what the engine threw
};

}  // namespace v2g
