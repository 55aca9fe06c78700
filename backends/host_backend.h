// host_backend.h: what every backend that steps the phases on the host shares: the Problem's
// buffers and their views, the ledger slots and their commit (compaction in slot order +
// OpenSSL Merkle root), the plan table, the step record and the thread team. The CPU backend
// (cpu_backend.cpp) and the DQN (dqn/dqn.cpp, LibTorch) derive from it and only say how an
// episode runs.
#pragma once
#include <string>
#include <vector>
#include "backends/backend.h"
#include "backends/lane_chooser.h"
#include "common/thread_team.h"
#include "env/schedule.h"
#include "env/transaction_slots.h"
#include "ledger/merkle.h"

namespace v2g {

// Compacts an episode's used slots into *compacted in slot order (two-pass prefix sum of the
// used flags over the team's lanes, one contiguous chunk each), numbering and sealing each
// record; returns how many there are.
size_t compact_transactions(const TransactionSlots& slots, std::vector<Transaction>* compacted, ThreadTeam& team);

// The schedule's sync (schedule.h) for a ThreadTeam's job: the team's barrier, called by every
// lane of the job.
struct TeamBarrier {
    ThreadTeam* team;
    void operator()() const { team->barrier(); }
};

// Lane `lane` of a job on `lanes` lanes as the schedule's lanes (contiguous shares; every lane
// owns rows of a shared table).
Lanes team_lanes(int lane, int lanes);

class HostBackend : public Backend {
public:
    // Runs on `problem`'s own buffers (pass it by std::move); `threads` > 0 for the commit.
    // adaptive_threads: each episode on one thread or all, whichever lanes_ measures faster.
    HostBackend(Problem problem, int threads, bool adaptive_threads = true);

    void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon, EpisodeMetrics* metrics,
                      EpisodeLedger* ledger, int keep_transactions_from) override;
    void read_fleet(std::vector<char>* fleet, size_t bytes) override;
    void write_fleet(const std::vector<char>& fleet) override;
    void set_plan(const std::vector<uint8_t>& plan) override;
    void set_recording(bool on) override;
    void read_record(std::vector<double>* record) override;

protected:
    // One episode of the step phases; writes one EpisodeMetrics per community to `out`.
    virtual void run_episode(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) = 0;
    // After an episode (ledger on): its slots compacted and hashed into `ledger`.
    void commit_episode(int episode, EpisodeLedger* ledger, int keep_transactions_from);

    EnvParams p_;
    std::vector<char> fleet_buf_, signal_buf_;
    FleetView f_{};
    SignalsView sig_{};
    // "N threads", and the share of episodes the lane chooser ran on one (probes included).
    std::string thread_use() const;

    int threads_;
    ThreadTeam team_;  // threads_ lanes: the episodes' and the commit's threads
    LaneChooser lanes_;  // how many of them an episode uses

private:
    TransactionSlots slots_;              // this episode's transaction slots (ledger on)
    std::vector<Transaction> compacted_;  // its transactions in slot order
    std::vector<ledger::Digest> merkle_levels_;  // their Merkle tree's levels, kept between episodes
    std::vector<uint8_t> plan_;           // the plan policy's table (evaluation)
    std::vector<double> record_;          // the step record (evaluation)
};

}  // namespace v2g
