// cpu_backend.cpp: the CPU launcher of the episode schedule (schedule.h). Communities are
// independent within a step, so with per-vehicle or per-community Q-tables each lane of the team
// runs whole episodes of its communities, one lane each (cache-resident, no barriers). A
// fleet-shared table couples them: the fleet is one span whose phases the team shares as lanes,
// with a barrier between phases; its update runs on all threads, each owning a share of the
// table's rows, with the same result as the vehicle-ordered update (step.h learn_rows).
// With the ledger on, each episode's used transaction slots are compacted (two-pass prefix sum
// over the lanes' chunks of the used flags, slot order kept) and hashed (ledger/merkle.h: SHA-NI
// where the CPU has it, OpenSSL otherwise), on the backend's ThreadTeam (common/thread_team.h),
// whose waiting threads block instead of spinning.
#include <omp.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include "backends/batch_launch.h"
#include "backends/host_backend.h"
#include "common/clock.h"
#include "env/layout.h"
#include "ledger/merkle.h"
#include "env/schedule.h"

namespace v2g {

Lanes team_lanes(int lane, int lanes) {
    Lanes l;
    l.lane = lane;
    l.count = lanes;
    l.row_owners = lanes;
    return l;
}

size_t compact_transactions(const TransactionSlots& slots, std::vector<Transaction>* compacted, ThreadTeam& team) {
    std::vector<Transaction>& records = *compacted;
    const int64_t n_slots = static_cast<int64_t>(slots.size());
    const uint8_t* used = slots.used.data();
    const int chunks = team.size();
    std::vector<int64_t> offset(static_cast<size_t>(chunks) + 1, 0);
    team.run([&](int t) {
        const int64_t begin = n_slots * t / chunks, end = n_slots * (t + 1) / chunks;
        int64_t kept = 0;
        for (int64_t i = begin; i < end; ++i) kept += used[i];  // a byte per slot: vectorised
        offset[t + 1] = kept;
        team.barrier();
        if (t == 0) {
            for (int k = 0; k < chunks; ++k) offset[k + 1] += offset[k];
            // Room for the episode's transactions only (a resize never gives capacity back):
            // at 10^5 vehicles ~1 M records against 4.8 M slots.
            records.resize(static_cast<size_t>(offset[chunks]));
        }
        team.barrier();
        const Transaction* from = slots.records.data();
        Transaction* to = records.data();
        int64_t at = offset[t];
        for (int64_t i = begin; i < end; ++i) {
            if (!used[i]) continue;
            to[at] = from[i];
            to[at].sequence = static_cast<uint32_t>(at);
            ++at;
        }
        seal_checks(to + offset[t], at - offset[t]);  // the lane's records, four checks at a time
    });
    return static_cast<size_t>(offset[chunks]);
}

namespace {

// Commits an episode: compacts its slots and hashes the records (OpenSSL SHA-256, RFC 6962).
void commit_slots(const TransactionSlots& slots, std::vector<Transaction>* compacted, ThreadTeam& team,
                  std::vector<ledger::Digest>* levels, EpisodeLedger* out, bool keep) {
    const auto t0 = std::chrono::steady_clock::now();
    const size_t n = compact_transactions(slots, compacted, team);
    const std::vector<Transaction>& records = *compacted;
    const ledger::Digest root = ledger::merkle_root_fixed(reinterpret_cast<const uint8_t*>(records.data()),
                                          sizeof(Transaction), n, team, ledger::Sha256Impl::fastest, levels);
    std::memcpy(out->tx_root, root.bytes, sizeof out->tx_root);
    out->tx_count = n;
    out->transactions.clear();
    if (keep) out->transactions.assign(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(n));
    out->commit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

HostBackend::HostBackend(Problem problem, int threads, bool adaptive_threads)
    : p_(problem.params), fleet_buf_(std::move(problem.fleet)), signal_buf_(std::move(problem.signals)),
      threads_(threads), team_(threads), lanes_(threads, adaptive_threads) {
    layout_fleet(p_, fleet_buf_.data(), &f_);
    layout_signals(p_, signal_buf_.data(), &sig_);
    slots_.attach(p_, &f_);
}

void HostBackend::run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon,
                               EpisodeMetrics* metrics, EpisodeLedger* ledger, int keep_transactions_from) {
    for (int i = 0; i < count; ++i) {
        const int episode = first_episode + i;
        team_.set_active(lanes_.lanes());
        const Clock::time_point t0 = Clock::now();
        run_episode(episode, mode, epsilon[i], metrics + static_cast<size_t>(i) * p_.num_communities);
        if (ledger) commit_episode(episode, &ledger[i], keep_transactions_from);
        lanes_.record(seconds_since(t0));
    }
}

std::string HostBackend::thread_use() const {
    std::string s = std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads");
    const int64_t one = lanes_.episodes_on_one(), all = lanes_.episodes_on_all();
    if (threads_ > 1 && one > 0) {
        char share[64];
        std::snprintf(share, sizeof share, "; 1 thread for %.0f %% of episodes, chosen by measurement",
                      100.0 * static_cast<double>(one) / static_cast<double>(one + all));
        s += share;
    }
    return s;
}

void HostBackend::commit_episode(int episode, EpisodeLedger* ledger, int keep_transactions_from) {
    if (p_.ledger_enabled) commit_slots(slots_, &compacted_, team_, &merkle_levels_, ledger, episode >= keep_transactions_from);
}

void HostBackend::read_fleet(std::vector<char>* fleet, size_t bytes) {
    fleet->assign(fleet_buf_.begin(), fleet_buf_.begin() + static_cast<std::ptrdiff_t>(std::min(bytes, fleet_buf_.size())));
}

void HostBackend::write_fleet(const std::vector<char>& fleet) { std::copy(fleet.begin(), fleet.end(), fleet_buf_.begin()); }

void HostBackend::set_plan(const std::vector<uint8_t>& plan) {
    plan_ = plan;
    f_.plan = plan_.data();
}

void HostBackend::set_recording(bool on) {
    record_.assign(on ? static_cast<size_t>(p_.num_communities) * p_.steps_per_day * kRecordFields : 0, 0.0);
    f_.step_record = on ? record_.data() : nullptr;
}

void HostBackend::read_record(std::vector<double>* record) { *record = record_; }

namespace {

class CpuBackend final : public HostBackend {
public:
    CpuBackend(Problem problem, int threads, bool adaptive_threads)
        : HostBackend(std::move(problem), threads > 0 ? threads : omp_get_max_threads(), adaptive_threads) {}

    std::string name() const override { return "cpu (" + thread_use() + ")"; }

    // A batch (batch_launch.h) runs an episode as independent items: one per community, or the
    // whole fleet as one item when a fleet-shared table couples the communities.
    int batch_items() const { return p_.q_sharing == kQPerFleet ? 1 : p_.num_communities; }
    void run_batch_item(int item, int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        if (p_.q_sharing == kQPerFleet) run_episode_phased(episode, mode, epsilon, out);
        else run_community(item, episode, mode, epsilon, out);
    }
    int communities() const { return p_.num_communities; }
    using HostBackend::commit_episode;

private:
    void run_episode(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) override {
        if (p_.q_sharing == kQPerFleet)
            run_episode_phased(episode, mode, epsilon, out);
        else
            run_episode_by_community(episode, mode, epsilon, out);
    }

    // One community's episode on this thread: the schedule with a single lane.
    void run_community(int c, int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        NoHooks hooks;
        run_episode_schedule(p_, sig_, f_, c, c + 1, episode, mode, epsilon, Lanes{}, NoSync{}, hooks, nullptr, out);
    }

    // The communities in contiguous shares, one per lane, as OpenMP's static schedule split them
    // (each community's episode is independent of the split). No more lanes than communities.
    void run_episode_by_community(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        const int nc = p_.num_communities;
        const int lanes = std::max(1, std::min(team_.size(), nc));
        team_.run(lanes, [&](int lane) {
            const int begin = static_cast<int>(static_cast<int64_t>(nc) * lane / lanes);
            const int end = static_cast<int>(static_cast<int64_t>(nc) * (lane + 1) / lanes);
            for (int c = begin; c < end; ++c) run_community(c, episode, mode, epsilon, out);
        });
    }

    // A fleet-shared table couples the communities: the whole fleet is one span, its phases
    // shared by the team's lanes (contiguous shares), the team's barrier as the sync.
    void run_episode_phased(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        fleet_sums_.resize(static_cast<size_t>(p_.num_communities) * kNumCommunitySums);
        team_.run([&](int lane) {
            NoHooks hooks;
            run_episode_schedule(p_, sig_, f_, 0, p_.num_communities, episode, mode, epsilon,
                                 team_lanes(lane, team_.size()), TeamBarrier{&team_}, hooks, fleet_sums_.data(), out);
        });
    }

    std::vector<float> fleet_sums_;  // the schedule's market sums of a fleet-shared episode
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(Problem problem, int threads, bool adaptive_threads) {
    return std::make_unique<CpuBackend>(std::move(problem), threads, adaptive_threads);
}

void run_cpu_batch(const std::vector<BatchRequest>& requests, int threads) {
    struct Item {
        CpuBackend* backend;
        const BatchRequest* request;
        int item;
    };
    int episodes = 0;
    const std::vector<CpuBackend*> backends = batch_backends<CpuBackend>(requests, "run_cpu_batch", "CPU", &episodes);
    const int team = threads > 0 ? threads : omp_get_max_threads();
    std::vector<Item> items;
    for (int i = 0; i < episodes; ++i) {
        // Episode i of every request that has one: all their items in one loop. Items differ
        // in size (communities of other sizes, whole fleets), so threads take them dynamically.
        items.clear();
        for (size_t k = 0; k < requests.size(); ++k)
            if (i < requests[k].count)
                for (int c = 0; c < backends[k]->batch_items(); ++c) items.push_back({backends[k], &requests[k], c});
        const int64_t n = static_cast<int64_t>(items.size());
#pragma omp parallel for schedule(dynamic) num_threads(team)
        for (int64_t j = 0; j < n; ++j) {
            const Item& it = items[j];
            const BatchRequest& r = *it.request;
            it.backend->run_batch_item(it.item, r.first_episode + i, r.mode, r.epsilon[i],
                                       r.metrics + static_cast<size_t>(i) * it.backend->communities());
        }
        // Each request's ledger block: its own compaction and hashing, the requests in parallel.
        const int64_t m = static_cast<int64_t>(requests.size());
#pragma omp parallel for schedule(dynamic) num_threads(team)
        for (int64_t k = 0; k < m; ++k) {
            const BatchRequest& r = requests[k];
            if (i < r.count && r.ledger) backends[k]->commit_episode(r.first_episode + i, &r.ledger[i], r.keep_transactions_from);
        }
    }
}

}  // namespace v2g
