// trainer.h: runs training on a backend: epsilon schedule, episodes in chunks, fleet-level
// metrics per episode, progress callbacks, and the final summary. Knows nothing of the CLI.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "config/config.h"
#include "backends/backend.h"
#include "backends/device_memory.h"
#include "train/day_trace.h"
#include "ledger/ledger_file.h"

namespace v2g {

// Which backend runs, and the one-line reason (printed by the CLI).
struct DeviceChoice {
    ComputeDevice device;  // cpu or cuda, never auto_
    std::string reason;
};
// run.device resolved: auto_ picks cuda when a GPU is usable. cuda on a machine without a
// usable GPU throws InputError.
DeviceChoice choose_device(ComputeDevice requested);
// Hands the problem to the backend (moved: the CPU backend runs in its buffers).
// run.threads as a CPU backend uses it: at most 4 per core of this machine (a larger request
// is clamped, with one line on stderr); 0 stays 0 (all cores).
int cpu_threads(int requested);
std::unique_ptr<Backend> make_backend(const DeviceChoice& choice, Problem problem, int threads, bool adaptive_threads);

struct TrainProgress {
    int episodes_done;
    int episodes_total;
    double elapsed_s;
    double env_steps_per_s;
    double mean_reward;  // per vehicle, last finished episode
    double epsilon;      // of the last finished episode
};

// Every episode metric (env/episode_metrics.h) averaged over a window of episodes, as /episodes
// has it: per vehicle where its column is (PerVehicle), else as it is.
struct EpisodeMeans {
#define V2G_METRIC_MEAN(member, type, merge, column, per, units, meaning) double member = 0;
    V2G_EPISODE_METRICS(V2G_METRIC_MEAN)
#undef V2G_METRIC_MEAN
};

struct TrainSummary {
    std::string backend;
    int episodes = 0;              // planned
    int episodes_done = 0;         // less than planned when interrupted
    bool interrupted = false;
    int first_episode = 0;         // > 0 when this session resumed a run
    int vehicles = 0;
    int steps_per_day = 0;
    double seconds = 0;
    double env_steps_per_s = 0;
    double mean_reward_first = 0;  // per vehicle per episode, first min(100, episodes) episodes
    double mean_reward_last = 0;   // per vehicle per episode, last min(100, episodes) episodes
    int window = 0;                // the episodes in each of those means
    EpisodeMeans last;             // every episode metric, averaged over the last window
    double soc_mean = 0, soc_min = 0, soc_max = 0;  // final SoC over vehicles
    double soh_mean = 0, soh_min = 0, soh_max = 0;  // final SoH over vehicles
    // ledger (ledger.enabled): one block per episode
    bool ledger = false;
    uint64_t blocks = 0;                  // episode blocks committed (genesis not counted)
    uint64_t transactions = 0;            // committed transactions
    double transactions_per_s = 0;        // committed per second of training wall time
    double commit_seconds_per_block = 0;  // compaction + hashing per block
    double latency_steps = 0;             // mean steps from a transfer's decision to its block
    double latency_seconds_per_block = 0; // wall time from an episode's start to its block commit
    int64_t rejected[kNumRejectReasons] = {};  // transfers rejected, by RejectReason
    std::string ledger_path;              // the chain file, when written
    std::string tip_hash;                 // hex hash of the last block
    double writer_wait_seconds = 0;       // time training waited for the results writer
    // Memory: the backend's fleet buffer (per-vehicle state + Q-tables, layout.h) and signal
    // buffer, which live on the device that runs the episodes, and this process's peak RSS.
    size_t fleet_bytes = 0, fleet_state_bytes = 0, q_table_bytes = 0, signal_bytes = 0;
    int64_t peak_rss_bytes = 0;
    DeviceMemory device_memory;  // a GPU backend's, at the end of training
    std::vector<EpisodeMetrics> episodes_metrics;   // fleet-level, one per episode
    std::vector<float> epsilons;                    // one per episode
};

float epsilon_for_episode(const Config& cfg, int episode);

// What the training loop hands to a results writer after each chunk of episodes. Snapshots
// and checkpoints come at chunk ends: the trainer cuts chunks at their strides.
struct ChunkData {
    int first_episode = 0;
    std::vector<EpisodeMetrics> metrics;  // fleet level, one per episode
    std::vector<float> epsilons;
    double env_steps_per_s = 0;           // of this chunk
    std::vector<BlockHeader> blocks;      // one per episode (ledger on)
    std::vector<std::vector<Transaction>> stored_transactions;  // per block, empty when not kept
    // Per-vehicle state after the chunk's last episode (when a vehicle snapshot is due).
    bool vehicle_snapshot = false;
    std::vector<float> soc_end, soh, reward, unmet_kwh;
    // A Q-table snapshot row is due after the chunk's last episode (the Q part of `fleet`);
    // the final chunk's `fleet` also gives /qtables/final.
    bool q_snapshot = false;
    // Everything needed to continue after the chunk's last episode (when a checkpoint is due).
    bool checkpoint = false;
    // The fleet buffer after the chunk's last episode: whole for a Q snapshot or a checkpoint,
    // else only its state part (layout_fleet's state_bytes) for a vehicle snapshot.
    std::vector<char> fleet;
    BlockHeader ledger_tip{};             // the chain's last header
    std::vector<char> learner;            // with a checkpoint: Backend::save_learner (DQN), else empty
    bool last = false;                    // the run's final chunk
    DayTrace day;                         // final chunk: a day of the greedy policy, step by step
};

// Receives chunks as training goes. A writer must not block the caller for long: it queues
// and writes on its own thread, and reports the time the trainer had to wait.
class ResultsSink {
public:
    virtual ~ResultsSink() = default;
    virtual void write_chunk(ChunkData chunk) = 0;
    virtual double seconds_waited() const = 0;
    // A fleet buffer the sink has finished with, to fill again: fleet-sized buffers are
    // recycled rather than allocated per snapshot (fresh pages cost a fault each).
    virtual std::vector<char> spare_buffer() = 0;
};

struct SnapshotStrides {
    int vehicle = 0;     // episodes between per-vehicle snapshots, 0 = none
    int q = 0;           // episodes between Q-table snapshots, 0 = only the final one
    int checkpoint = 0;  // episodes between checkpoints, 0 = none
};

// Where the chain goes: with a path, a ledger file (ledger_file.h) written block by block.
struct LedgerOutput {
    std::string path;                 // empty: blocks are hashed and chained in memory only
    std::vector<Contract> contracts;  // the registry (Problem::contracts)
    Digest run_id{};                  // SHA-256 of the run's config (run_id_of)
};
Digest run_id_of(const Config& cfg);

// Where an interrupted run continues: read back from its results file (results/results.h).
struct ResumeState {
    int next_episode = 0;
    std::vector<EpisodeMetrics> metrics;  // episodes 0 .. next_episode - 1
    std::vector<float> epsilons;
    BlockHeader ledger_tip{};
    std::vector<char> fleet;              // the whole fleet buffer after episode next_episode - 1
    std::vector<char> learner;            // the learner's own state (Backend::save_learner), if any
};

class Trainer {
public:
    Trainer(const Config& cfg, const EnvParams& params, std::unique_ptr<Backend> backend,
            LedgerOutput ledger = {});
    TrainSummary train(const std::function<void(const TrainProgress&)>& on_progress = {});
    // Hands every chunk to `sink` (not owned), with snapshots and checkpoints at these strides.
    void set_results(ResultsSink* sink, SnapshotStrides strides);
    // Continues an interrupted run: the next train() starts at state.next_episode.
    void resume_from(ResumeState state);
    // When *flag becomes true (a signal handler sets it), training stops after the current
    // chunk, with a checkpoint, and the summary says it was interrupted.
    void set_stop_flag(const std::atomic<bool>* flag) { stop_ = flag; }
    // Chunks grow (doubling while a chunk is quick) up to this many episodes; 1: every episode
    // is its own chunk, written as soon as it ends (an outside agent's days, run/vector_env.h).
    void set_max_chunk_episodes(int episodes) { max_chunk_ = episodes; }
    // With the problem's signal buffer, the final chunk carries a DayTrace (day_trace.h).
    void set_day_trace(std::vector<char> signals, int day_start_hour) {
        trace_signals_ = std::move(signals);
        day_start_hour_ = day_start_hour;
    }
    Backend& backend() { return *backend_; }
    const EnvParams& params() const { return params_; }

private:
    Config cfg_;
    EnvParams params_;
    LedgerOutput ledger_;
    ResultsSink* sink_ = nullptr;
    SnapshotStrides strides_;
    ResumeState resume_;
    bool resuming_ = false;
    const std::atomic<bool>* stop_ = nullptr;
    std::vector<char> trace_signals_;
    int day_start_hour_ = 0;
    int max_chunk_ = kMaxEpisodesPerCall;  // and never over max_episodes_per_call (device_memory.h)
    std::unique_ptr<Backend> backend_;
};

// Fleet metrics of one episode from its per-community metrics, merged in community order.
EpisodeMetrics merge_communities(const EpisodeMetrics* per_community, int communities);

}  // namespace v2g
