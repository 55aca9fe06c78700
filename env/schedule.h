// schedule.h: the episode schedule, written once for every backend and every driver. An episode
// of a span of communities runs the step phases of step.h in this order:
//
//   reset (communities, vehicles)                                        | sync | after_phase(reset)
//   for each step:
//     [before_act: the driver chooses the actions (kPolicyGiven)]       | sync
//     act (vehicles)                                                     | sync | after_phase(act)
//     the market's sums (community x sum) | sync | clear (communities)   | sync | after_phase(market)
//       (with no more lanes than communities: sums and clearing per community, one sync)
//     apply (vehicles)                                                   | sync | after_phase(apply)
//     record (community x field), the Q-update                           | sync | after_phase(learn)
//       (a shared table sorted by state, row_sort.h: count | sync | total | sync | scan | sync |
//        place | sync | learn)
//   summarize (communities)                                              | sync | after_phase(summarize)
//
// The work of a phase is shared by `lanes` that run this same function side by side: a CUDA
// block's threads (lane = threadIdx.x, sync = __syncthreads()), a cooperative grid's threads
// (sync = the grid's barrier), an OpenMP team (sync = a barrier), host threads in the tests, or a
// single lane on the CPU (sync does nothing). Every item of a phase writes only its own vehicle's
// or community's entries and reads what earlier phases wrote, so the lanes may take the items in
// any order; every sum is still taken in vehicle order by whichever lane owns it, and a shared
// table's rows are owned by one lane each (step.h learn_rows; or, sorted, row_sort.h). Hence the same bits for any number
// of lanes, which tests/test_lanes.cpp checks with 1 to 64 lanes (and ThreadSanitizer).
//
// Hooks: a driver's places in the schedule, called on lane 0 only, between syncs.
//   begin_episode(episode): before the reset (the stage timers start their clock).
//   before_act(episode, step): chooses the actions into FleetView::action (the DQN, an outside
//     agent); run only when Hooks::kChoosesActions.
//   after_phase(phase, episode, step): sees the state after each phase (the day trace, the
//     stage timers, the DQN's replay and update).
#pragma once
#include "env/row_sort.h"
#include "env/step.h"

namespace v2g {

// The step phases in the order a step runs them (reset and summarize once an episode).
enum Phase : int {
    kPhaseReset = 0,      // reset_vehicle + reset_community   (per episode)
    kPhaseAct = 1,        // act_vehicle                       (per step)
    kPhaseMarket = 2,     // sum_community + clear_community   (per step)
    kPhaseApply = 3,      // apply_vehicle                     (per step)
    kPhaseLearn = 4,      // record_community, learn_vehicle   (per step)
    kPhaseSummarize = 5,  // summarize_community               (per episode)
    kNumPhases = 6,
};

// Which share of a phase's items this lane takes.
struct Lanes {
    int lane = 0;        // this lane, 0 .. count - 1
    int count = 1;       // lanes running the schedule together
    bool strided = false;  // items dealt round-robin (GPU: neighbouring threads, neighbouring
                           // items) or in contiguous blocks (CPU: one cache-friendly share each)
    int row_owners = 1;  // lanes that take part in a shared table's update (each reads every
                         // vehicle's state of the span): at most `count`
    RowSortScratch row_sort;  // set: a shared table's update sorts the vehicles by state instead
                              // (row_sort.h; the CUDA fleet grid), its scratch for this span only

    // Calls f(i) for the items of [begin, end) this lane owns.
    template <typename F>
    V2G_HD void each(int begin, int end, const F& f) const {
        if (strided) {
            for (int i = begin + lane; i < end; i += count) f(i);
            return;
        }
        const int64_t n = end - begin;
        const int first = begin + static_cast<int>(n * lane / count);
        const int last = begin + static_cast<int>(n * (lane + 1) / count);
        for (int i = first; i < last; ++i) f(i);
    }
};

// The schedule's hooks when a driver needs none.
struct NoHooks {
    static constexpr bool kChoosesActions = false;
    V2G_HD void begin_episode(int) {}
    V2G_HD void before_act(int, int) {}
    V2G_HD void after_phase(int, int, int) {}
};

// The sync of a single lane.
struct NoSync {
    V2G_HD void operator()() const {}
};

// One episode of communities [c_begin, c_end) (all of them for a fleet-shared table) under
// `mode` (PolicyMode; kPolicyLearn also updates the Q-tables) at `epsilon`. `sums` is scratch
// the lanes share, kNumCommunitySums floats per community of the span, used only with more lanes
// than communities (null otherwise); `out[c]` receives community c's metrics (indexed by
// community id).
#ifdef __CUDACC__
#pragma nv_exec_check_disable  // instantiated for the host with host-only syncs and hooks
#endif
template <typename Sync, typename Hooks>
V2G_HD void run_episode_schedule(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c_begin,
                                 int c_end, int episode, int mode, float epsilon, const Lanes& lanes,
                                 const Sync& sync, Hooks& hooks, float* sums, EpisodeMetrics* out) {
    const int v_begin = community_begin(p, c_begin), v_end = community_end(p, c_end - 1);
    const int communities = c_end - c_begin;
    const int n_sums = community_sums_used(p);
    // With more lanes than communities (a GPU block on one community, a grid on the fleet) the
    // market's sums and the record's totals are dealt one per lane; otherwise each lane takes
    // whole communities, and the extra sync is saved. The same bits either way.
    const bool split_sums = lanes.count > communities;
    const bool lead = lanes.lane == 0;
    const auto phase_done = [&](int phase, int step) {
        sync();
        if (lead) hooks.after_phase(phase, episode, step);
    };

    if (lead) hooks.begin_episode(episode);
    lanes.each(c_begin, c_end, [&](int c) { reset_community(f, c); });
    lanes.each(v_begin, v_end, [&](int v) { reset_vehicle(p, sig, f, v, episode); });
    phase_done(kPhaseReset, 0);
    for (int step = 0; step < p.steps_per_day; ++step) {
        if constexpr (Hooks::kChoosesActions) {
            if (lead) hooks.before_act(episode, step);
            sync();
        }
        lanes.each(v_begin, v_end, [&](int v) { act_vehicle(p, sig, f, v, episode, step, mode, epsilon); });
        phase_done(kPhaseAct, step);

        if (!split_sums) {  // a lane clears whole communities, its sums in one pass
            lanes.each(c_begin, c_end, [&](int c) { clear_community(p, sig, f, c, episode, step); });
        } else {  // more lanes than communities: one sum per lane, then the clearing
            lanes.each(0, communities * n_sums, [&](int item) {
                const int c = item / n_sums, k = item % n_sums;
                sum_community(p, f, c_begin + c, k, k + 1, sums + static_cast<size_t>(c) * kNumCommunitySums);
            });
            sync();
            lanes.each(c_begin, c_end, [&](int c) {
                clear_community_summed(p, sig, f, c, episode, step,
                                       sums + static_cast<size_t>(c - c_begin) * kNumCommunitySums);
            });
        }
        phase_done(kPhaseMarket, step);

        lanes.each(v_begin, v_end, [&](int v) { apply_vehicle(p, sig, f, v, episode, step); });
        phase_done(kPhaseApply, step);

        if (f.step_record && !split_sums) {
            lanes.each(c_begin, c_end, [&](int c) { record_community(p, f, c, step, f.step_record); });
        } else if (f.step_record) {  // its four running totals dealt out like the market's sums
            lanes.each(0, communities * kRecordFields, [&](int item) {
                const int c = c_begin + item / kRecordFields, k = item % kRecordFields;
                record_community_fields(p, f, c, step, k, k + 1, f.step_record);
            });
        }
        if (mode == kPolicyLearn) {
            if (p.q_sharing == kQPerVehicle) {
                lanes.each(v_begin, v_end, [&](int v) { learn_vehicle(p, f, v); });
            } else if (p.q_sharing == kQPerCommunity && communities > 1) {
                // A community's table in its vehicle order, a community per lane.
                lanes.each(c_begin, c_end, [&](int c) {
                    for (int v = community_begin(p, c); v < community_end(p, c); ++v) learn_vehicle(p, f, v);
                });
            } else if (lanes.row_sort.order && p.time_bins == p.steps_per_day) {
                // One table over the span, its vehicles sorted by state: a lane per live row.
                const RowSortScratch& rs = lanes.row_sort;
                const int keys = row_sort_keys(p);
                lanes.each(0, rs.tiles, [&](int t) { row_sort_count(p, f, rs, v_begin, v_end, t); });
                sync();
                lanes.each(0, keys, [&](int k) { row_sort_total(p, rs, k); });
                sync();
                if (lead) row_sort_scan(p, rs);
                sync();
                lanes.each(0, rs.tiles, [&](int t) { row_sort_place(p, f, rs, v_begin, v_end, t); });
                sync();
                lanes.each(0, keys, [&](int k) { row_sort_learn(p, f, rs, k); });
            } else {  // one table over the span (a community's, or the fleet's): rows owned by lanes
                const int owners = lanes.row_owners < lanes.count ? lanes.row_owners : lanes.count;
                learn_rows(p, f, v_begin, v_end, lanes.lane, owners);
            }
        }
        phase_done(kPhaseLearn, step);
    }
    lanes.each(c_begin, c_end, [&](int c) { out[c] = summarize_community(p, f, c); });
    phase_done(kPhaseSummarize, p.steps_per_day - 1);
}

}  // namespace v2g
