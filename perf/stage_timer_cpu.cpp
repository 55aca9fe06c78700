// stage_timer_cpu.cpp: the CPU side of stage_timer.h: the schedule (schedule.h) over the whole
// fleet on the problem's host buffers, a ThreadTeam of `threads` lanes (a barrier after each
// phase), with a hook on the first lane that reads steady_clock after each phase's barrier;
// then the ledger's compaction and Merkle root (the CPU backend's own functions); and the CPU
// copy test.
#include <omp.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>
#include "backends/host_backend.h"
#include "common/clock.h"
#include "env/layout.h"
#include "ledger/merkle.h"
#include "env/schedule.h"
#include "perf/stage_timer.h"

namespace v2g {
namespace {

// The schedule's hooks of a timed episode: each phase's wall time, added into a StageTiming.
struct PhaseClock {
    static constexpr bool kChoosesActions = false;
    StageTiming* timing;
    Clock::time_point last;
    void begin_episode(int) { last = Clock::now(); }
    void before_act(int, int) {}
    void after_phase(int phase, int, int) {
        const Clock::time_point now = Clock::now();
        timing->seconds[phase] += std::chrono::duration<double>(now - last).count();
        last = now;
    }
};

}  // namespace

StageTiming time_stages_cpu(Problem* problem, int threads, int first_episode, int warmup, int episodes, float epsilon) {
    const EnvParams& p = problem->params;
    FleetView f{};
    SignalsView sig{};
    layout_fleet(p, problem->fleet.data(), &f);
    layout_signals(p, problem->signals.data(), &sig);
    TransactionSlots slots;
    slots.attach(p, &f);
    std::vector<Transaction> compacted;
    std::vector<EpisodeMetrics> out(static_cast<size_t>(p.num_communities));
    std::vector<float> sums(static_cast<size_t>(p.num_communities) * kNumCommunitySums);
    StageTiming t;
    const auto timed = [&t](int stage, const auto& work) {
        const Clock::time_point t0 = Clock::now();
        work();
        t.seconds[stage] += seconds_since(t0);
    };
    ThreadTeam team(threads);  // the CPU backend's kind of team: lanes that block when they wait
    std::vector<ledger::Digest> levels;  // the Merkle levels, kept between episodes as the backend does
    for (int e = 0; e < warmup + episodes; ++e) {
        const int episode = first_episode + e;
        if (e == warmup) t = StageTiming{};  // the warm-up is not counted
        PhaseClock clock{&t, Clock::now()};
        if (threads <= 1) {
            run_episode_schedule(p, sig, f, 0, p.num_communities, episode, kPolicyLearn, epsilon, Lanes{}, NoSync{},
                                 clock, nullptr, out.data());
        } else {
            team.run([&](int lane) {
                run_episode_schedule(p, sig, f, 0, p.num_communities, episode, kPolicyLearn, epsilon,
                                     team_lanes(lane, team.size()), TeamBarrier{&team}, clock, sums.data(), out.data());
            });
        }
        if (p.ledger_enabled) {
            size_t tx = 0;
            timed(kStageCompact, [&] { tx = compact_transactions(slots, &compacted, team); });
            timed(kStageMerkle, [&] {
                ledger::merkle_root_fixed(reinterpret_cast<const uint8_t*>(compacted.data()), sizeof(Transaction), tx,
                                          team, ledger::Sha256Impl::fastest, &levels);
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
