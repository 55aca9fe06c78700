// sweep_run.h: `v2g sweep`: trains (and, with [sweep] evaluate, evaluates) every configuration
// of one shard of a sweep, each into its own results file under OUT.runs/, and rewrites the
// sweep file after each batch. Tabular configurations on the CPU train together in batches
// (batch.h: their episodes in shared launches, each bit-identical to training alone); DQN and
// GPU runs train one after another. Resumable: finished rows are kept, a run a kill
// interrupted continues from its checkpoint (bit-identical, as `v2g train --resume`), a run
// that never checkpointed starts over.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include "run/sweep.h"

namespace v2g {

// Configurations per batch by default: 1, one after another. A batch pays when its members'
// compute is small next to the machine (one community each on many cores, or on a GPU); each
// member also costs two host threads (training and its results writer) and its results file,
// whose writers share HDF5's global lock. On the 2-core machine this was built on, batches were
// slower for every sweep measured (docs/PERFORMANCE.md, "Sweeps"), so batching is asked for
// with --batch N.
constexpr int kDefaultSweepBatch = 1;

struct SweepProgress {
    int done = 0, total = 0;          // configurations of this shard finished (before this call)
    std::string id;                   // the configuration running now ("" when all are done)
    std::string stage;                // train | eval | done
    int episode = 0, episodes = 0;    // of the run now training
    double env_steps_per_s = 0;       // this session's mean over all its runs
    double elapsed_s = 0, eta_s = -1; // this session; ETA from the env-steps still planned
};

struct SweepRunOptions {
    std::string out_path;             // this shard's sweep file
    int shard = 0, shards = 1;
    bool resume = false;              // continue out_path (it must exist and be this sweep's)
    std::string device, threads;      // run.device / run.threads for every configuration, "" = the sweep's
    int batch = 1;                    // CPU tables train this many configurations at a time (1 = one by one)
    const std::atomic<bool>* stop = nullptr;
    std::function<void(const SweepProgress&)> on_progress;
};

struct SweepOutcome {
    int configs = 0;      // in this shard
    int trained = 0;      // trained (or finished) in this session
    int kept = 0;         // already done before this session
    bool interrupted = false;
    double seconds = 0;
};

SweepOutcome run_sweep(const SweepSpec& spec, const SweepRunOptions& options);
// A new sweep never overwrites one: throws InputError when `out_path` exists.
void check_new_sweep_output(const std::string& out_path);

}  // namespace v2g
