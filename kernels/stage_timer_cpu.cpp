// stage_timer_cpu.cpp: the CPU side of stage_timer.h: the step phases run one at a time over the
// problem's host buffers with the CPU backend's OpenMP partitioning, timed with steady_clock,
// then the ledger's compaction and Merkle root (the CPU backend's own functions); and the CPU
// copy test.
#include <omp.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>
#include "host_backend.h"
#include "layout.h"
#include "ledger/merkle.h"
#include "stage_timer.h"

namespace v2g {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// items [0, n) with `threads` threads, static schedule (as the CPU backend), or a plain loop.
template <typename F>
void for_items(int n, int threads, const F& f) {
    if (threads <= 1) {
        for (int i = 0; i < n; ++i) f(i);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < n; ++i) f(i);
}

}  // namespace

StageTiming time_stages_cpu(Problem* problem, int threads, int first_episode, int warmup, int episodes, float epsilon) {
    const EnvParams& p = problem->params;
    FleetView f{};
    SignalsView sig{};
    layout_fleet(p, problem->fleet.data(), &f);
    layout_signals(p, problem->signals.data(), &sig);
    std::vector<Transaction> slots, compacted;
    if (p.ledger_enabled) {
        slots.resize(static_cast<size_t>(slots_per_episode(p)));
        f.tx_slots = slots.data();
    }
    std::vector<EpisodeMetrics> out(static_cast<size_t>(p.num_communities));
    const int n = p.num_vehicles, nc = p.num_communities;
    const bool by_community = p.q_sharing != kQPerFleet;
    // A vehicle phase: whole communities per thread, or (fleet-shared table) vehicles per thread.
    const auto vehicles = [&](const auto& phase) {
        if (by_community)
            for_items(nc, threads, [&](int c) {
                for (int v = community_begin(p, c); v < community_end(p, c); ++v) phase(v);
            });
        else
            for_items(n, threads, phase);
    };
    StageTiming t;
    const auto timed = [&t](int stage, const auto& work) {
        const Clock::time_point t0 = Clock::now();
        work();
        t.seconds[stage] += seconds_since(t0);
    };
    for (int e = 0; e < warmup + episodes; ++e) {
        const int episode = first_episode + e;
        if (e == warmup) t = StageTiming{};  // the warm-up is not counted
        timed(kPhaseReset, [&] {
            for_items(nc, threads, [&](int c) { reset_community(f, c); });
            vehicles([&](int v) { reset_vehicle(p, f, v, episode); });
        });
        for (int step = 0; step < p.steps_per_day; ++step) {
            timed(kPhaseAct, [&] {
                vehicles([&](int v) { act_vehicle(p, sig, f, v, episode, step, kPolicyLearn, epsilon); });
            });
            timed(kPhaseMarket, [&] { for_items(nc, threads, [&](int c) { clear_community(p, sig, f, c, episode, step); }); });
            timed(kPhaseApply, [&] { vehicles([&](int v) { apply_vehicle(p, sig, f, v, episode, step); }); });
            timed(kPhaseLearn, [&] {
                if (by_community)  // per community in vehicle order: race-free for shared community tables too
                    vehicles([&](int v) { learn_vehicle(p, f, v); });
                else
                    for (int v = 0; v < n; ++v) learn_vehicle(p, f, v);
            });
        }
        timed(kPhaseSummarize, [&] { for_items(nc, threads, [&](int c) { out[c] = summarize_community(p, f, c); }); });
        if (p.ledger_enabled) {
            size_t tx = 0;
            timed(kStageCompact, [&] { tx = compact_transactions(slots, &compacted, threads); });
            timed(kStageMerkle, [&] {
                ledger::merkle_root_fixed(reinterpret_cast<const uint8_t*>(compacted.data()), sizeof(Transaction), tx,
                                          threads);
            });
            t.transactions += static_cast<int64_t>(tx);
        }
        ++t.episodes;
    }
    return t;
}

double copy_bandwidth_cpu(size_t bytes, int threads, int repeats) {
    // Uninitialised storage, so each thread's first touch (below) places its own slice.
    std::unique_ptr<char[]> src(new char[bytes]), dst(new char[bytes]);
    const auto slice = [bytes, threads](int t, size_t* begin, size_t* len) {
        *begin = bytes * static_cast<size_t>(t) / static_cast<size_t>(threads);
        *len = bytes * static_cast<size_t>(t + 1) / static_cast<size_t>(threads) - *begin;
    };
    constexpr int kFill = 1;  // any non-zero byte: pages must really exist
#pragma omp parallel num_threads(threads)
    {
        size_t b, len;
        slice(omp_get_thread_num(), &b, &len);
        std::memset(src.get() + b, kFill, len);
        std::memset(dst.get() + b, 0, len);
    }
    double best = 0.0;
    for (int r = 0; r < repeats; ++r) {
        const Clock::time_point t0 = Clock::now();
#pragma omp parallel num_threads(threads)
        {
            size_t b, len;
            slice(omp_get_thread_num(), &b, &len);
            std::memcpy(dst.get() + b, src.get() + b, len);
        }
        const double s = seconds_since(t0);
        if (s > 0) best = std::max(best, 2.0 * static_cast<double>(bytes) / s);
    }
    return best;
}

}  // namespace v2g
