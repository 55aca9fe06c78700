// results.h: the run's HDF5 results file (schema: docs/RESULTS.md). ResultsWriter creates it,
// then writes the chunks the trainer hands over on a background thread (double-buffered: the
// trainer waits only when two chunks are already queued, and the wait is reported), in SWMR
// mode so readers can follow a live run. The readers here serve `v2g inspect`, `v2g verify`
// and `v2g train --resume`.
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include "config/config.h"
#include "common/errors.h"
#include "ledger/ledger_file.h"
#include "eval/evaluation.h"
#include "train/trainer.h"

namespace v2g {

constexpr int kSchemaMajor = 1;
constexpr int kSchemaMinor = 1;  // 1.1: /ledger signatures, head, keys

// A results file that cannot be read as one: bad input (exit 2).
struct ResultsError : InputError {
    using InputError::InputError;
};

struct RunInfo {
    std::string input_toml;      // the config file as given
    std::string device;          // cpu | cuda
    std::string backend;
    std::string device_reason;
    std::string start_time;      // ISO 8601 UTC
};

class ResultsWriter final : public ResultsSink {
public:
    // Creates (or, for a resume, reopens) the file. Throws InputError naming the path when it
    // cannot be written.
    ResultsWriter(const std::string& path, const Config& cfg, const EnvParams& p,
                  const std::vector<Contract>& contracts, const RunInfo& info);
    // Continues an interrupted run's file from `state.next_episode`: what was recorded up to
    // that checkpoint is kept, anything after it is dropped (see results.cpp on how).
    ResultsWriter(const std::string& path, const Config& cfg, const EnvParams& p,
                  const std::vector<Contract>& contracts, const RunInfo& info, const ResumeState& state);
    ~ResultsWriter() override;
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    void write_chunk(ChunkData chunk) override;
    double seconds_waited() const override { return seconds_waited_; }
    std::vector<char> spare_buffer() override;
    // Drains the queue, records the status ("finished" or "interrupted") and closes the file.
    void finish(const std::string& status);

    struct File;  // the HDF5 handles (results.cpp)

private:
    void writer_loop();
    void write_now(const ChunkData& chunk);
    void rethrow_if_failed();

    std::string path_;
    std::unique_ptr<File> file_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<ChunkData> queue_;
    std::vector<std::vector<char>> spare_;  // written fleet buffers, for the trainer to refill
    bool stop_ = false;
    std::string error_;          // the writer thread's failure, reported on the next call
    double seconds_waited_ = 0;
    bool finished_ = false;
};

// What `v2g inspect` shows and `--resume` needs.
struct ResultsSummary {
    std::string schema_version;
    std::string status;
    std::string effective_toml;
    std::string device, backend, start_time, git_commit, v2g_version;
    int64_t episodes_done = 0, episodes_planned = 0, vehicles = 0;
    std::vector<std::pair<std::string, double>> last_episode;  // dataset name, value
    int64_t ledger_blocks = 0;
    int64_t checkpoint_episode = -1;  // next episode of the newest valid checkpoint, -1 if none
    bool closed = false;  // its writer closed it (else it is live, or its writer was killed)
};

// Throws ResultsError (bad input) for a missing, non-HDF5, truncated or newer-schema file.
ResultsSummary read_results_summary(const std::string& path);
LedgerData read_ledger_from_results(const std::string& path);
// The run's Ed25519 public key in hex (/ledger/public_key); "" when the file has none.
std::string results_public_key(const std::string& path);
// The newest valid checkpoint and the metrics before it; with none yet, next_episode 0 and an
// empty fleet (start over). Throws ResultsError for a file that is not a results file.
ResumeState read_resume_state(const std::string& path, const EnvParams& p);
bool is_hdf5_file(const std::string& path);

// Writes `/evaluation` (docs/EVALUATION.md) into a finished or interrupted run's file,
// replacing an earlier evaluation: built as /evaluation_new, then moved into place.
void write_evaluation(const std::string& path, const EvaluationResult& result);

}  // namespace v2g
