// sweep_file.h: a sweep's HDF5 file (docs/SWEEPS.md). It holds
//   /runs    the runs table: one row per configuration of its shard (id, index, each swept
//            value, status, episodes done, final metrics), a compound dataset h5py reads as one
//            table; deterministic, so a resumed sweep writes the same table as an uninterrupted one;
//   /timing  wall time and throughput per run (not deterministic, so kept out of /runs);
//   /run/ID  each run's own results file (docs/RESULTS.md), linked in (HDF5 external link);
// and the sweep and base config texts, so `v2g sweep --resume` needs nothing else.
// It is written whole to a temporary file and renamed over the old one: a kill never tears it.
// `v2g merge` builds one file over the shards' files with virtual datasets: nothing is copied.
#pragma once
#include <string>
#include <vector>
#include "run/sweep.h"
#include "train/trainer.h"
#include "eval/evaluation.h"

namespace v2g {

// A run's row of the runs table.
struct SweepRow {
    std::string status = "pending";  // pending | done
    int64_t episodes_done = 0;
    std::vector<double> metrics;     // sweep_metric_names() order; NaN where not known
    double train_seconds = 0, eval_seconds = 0, env_steps_per_s = 0;  // /timing
};

// The metric columns of the runs table: the training summary's, then (with evaluation) the
// learned policy's evaluation metrics and every policy's money per vehicle per day.
std::vector<std::string> sweep_metric_names(bool evaluate);
// Fills the training columns from the run's per-episode fleet metrics (a finished run's file).
void fill_training_metrics(const std::vector<EpisodeMetrics>& episodes, SweepRow* row);
// Fills the evaluation columns (fault-free days).
void fill_evaluation_metrics(const EvaluationResult& r, SweepRow* row);

// Where a sweep file keeps its runs' results files: OUT.h5 -> OUT.runs (a directory beside it).
std::string sweep_runs_dir(const std::string& sweep_path);
// A shard's sweep file: OUT.h5 -> OUT.shard-I-of-N.h5 (for n > 1).
std::string shard_file_name(const std::string& out_path, int shard, int shards);

struct SweepFile {
    std::string sweep_text, sweep_path, base_text, base_path, digest;
    int shard = 0, shards = 1;
    int first = 0;                  // the shard's first configuration index
    std::vector<std::string> ids;   // the shard's configurations, in index order
    std::vector<SweepRow> rows;
};

// Writes the sweep file for configurations [range.begin, range.end) of `spec` (rows[i] is
// configuration range.begin + i).
void write_sweep_file(const std::string& path, const SweepSpec& spec, int shard, int shards,
                      const std::vector<SweepRow>& rows);
// Reads one back; throws InputError for a file that is not a v2g sweep file.
SweepFile read_sweep_file(const std::string& path);
bool is_sweep_file(const std::string& path);

// One file presenting every shard's runs: /runs a virtual dataset over the shards' /runs in
// configuration order, /run/ID external links to the runs' results files. The shards must come
// from the same sweep (same digest) and be disjoint; missing shards are named in `missing`.
struct MergeReport {
    int shards = 0, runs = 0, configs = 0;
    std::vector<std::string> missing;  // "i/n" of the shards not given
};
MergeReport merge_sweep_files(const std::string& out_path, const std::vector<std::string>& shard_paths);

}  // namespace v2g
