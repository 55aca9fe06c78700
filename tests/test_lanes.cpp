// test_lanes.cpp: the episode schedule (env/schedule.h) shared by many lanes gives the bits
// of one lane. This is the path the CUDA kernels run (a block's threads over a community, a
// cooperative grid's threads over the fleet), run here by host threads with a barrier as the
// sync, so that it executes, and races between lanes show, without a GPU: the suite also builds
// this test with ThreadSanitizer (scripts/test.sh).
//
// For each table sharing, over spans of one community (the block path) and of the whole fleet
// (the grid path), learning episodes with the ledger, the connection limit, PV and the step
// record on run with 1 lane and with 2, 7, 32 and 64 lanes, items dealt round-robin (as on the
// GPU) and in contiguous blocks (as OpenMP's teams); the fleet buffer (state and Q-tables), the
// metrics, the Merkle roots of the episodes' transactions and the step record must be equal
// byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include "config/config.h"
#include "problem/problem.h"
#include "env/layout.h"
#include "env/schedule.h"
#include "env/transaction_slots.h"
#include "ledger/merkle.h"

namespace v2g {
namespace {

// The schedule's sync for host threads: a reusable barrier (generation counted).
class HostBarrier {
public:
    explicit HostBarrier(int threads) : threads_(threads) {}
    void wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        const uint64_t generation = generation_;
        if (++arrived_ == threads_) {
            arrived_ = 0;
            ++generation_;
            all_arrived_.notify_all();
            return;
        }
        all_arrived_.wait(lock, [&] { return generation_ != generation; });
    }

private:
    std::mutex mutex_;
    std::condition_variable all_arrived_;
    const int threads_;
    int arrived_ = 0;
    uint64_t generation_ = 0;
};

struct BarrierSync {
    HostBarrier* barrier;
    void operator()() const { barrier->wait(); }
};

enum class Span { kCommunity, kFleet };  // one community per schedule call, or the whole fleet

struct Outcome {
    std::vector<char> fleet;
    std::vector<EpisodeMetrics> metrics;       // [episode][community]
    std::vector<ledger::Digest> roots;         // [episode]
    std::vector<double> record;                // the last episode's step record
};

constexpr int kEpisodes = 2;
constexpr float kEpsilon = 0.3f;  // explores: many actions and transfers of every kind

Config lanes_config(QTableSharing sharing, double step_hours) {
    Config cfg;
    cfg.run.seed = 11;
    cfg.fleet.vehicles = 110;        // two full communities of 50 and one of 10
    cfg.fleet.community_size = 50;
    cfg.signals.days = 4;
    cfg.run.threads = 1;
    cfg.learning.q_sharing = sharing;
    cfg.time.step_hours = step_hours;  // 0.5 h: two steps per time bin, so one lane owns every row
    cfg.grid.limit_kw_per_vehicle = 2.0;  // tight: the connection limit cuts flows, every sum matters
    return cfg;
}

// A shared table's sort scratch (env/row_sort.h) for `tiles` tiles over the whole fleet.
struct SortScratch {
    std::vector<int> tile_counts, key_start, order;
    RowSortScratch view;
    SortScratch(const EnvParams& p, int tiles)
        : tile_counts(static_cast<size_t>(tiles) * row_sort_keys(p), 0),
          key_start(static_cast<size_t>(row_sort_keys(p)) + 1, 0),
          order(static_cast<size_t>(p.num_vehicles), -1) {
        view.tile_counts = tile_counts.data();
        view.key_start = key_start.data();
        view.order = order.data();
        view.tiles = tiles;
    }
};

// The episodes with `lanes` host threads (1: the calling thread, no barrier). `sort_tiles` > 0:
// a shared table over the fleet is updated through the counting sort with that many tiles (as
// the CUDA grid does), rather than by row owners.
Outcome run_with_lanes(const Problem& problem, Span span, int lane_count, bool strided, int sort_tiles = 0) {
    const EnvParams& p = problem.params;
    Outcome out;
    out.fleet = problem.fleet;
    std::vector<char> signals = problem.signals;
    FleetView f{};
    SignalsView sig{};
    layout_fleet(p, out.fleet.data(), &f);
    layout_signals(p, signals.data(), &sig);
    TransactionSlots slots;
    slots.attach(p, &f);
    out.record.assign(static_cast<size_t>(p.num_communities) * p.steps_per_day * kRecordFields, 0.0);
    f.step_record = out.record.data();
    out.metrics.resize(static_cast<size_t>(kEpisodes) * p.num_communities);
    out.roots.resize(kEpisodes);
    std::vector<float> sums(static_cast<size_t>(p.num_communities) * kNumCommunitySums);
    HostBarrier barrier(lane_count);
    const BarrierSync sync{&barrier};
    SortScratch sort(p, sort_tiles > 0 ? sort_tiles : 1);

    // The serial reference of the commit: slots in order, numbered and sealed, then the root.
    const auto commit = [&](int e) {
        std::vector<Transaction> records;
        for (size_t i = 0; i < slots.size(); ++i) {
            if (!slots.used[i]) continue;
            Transaction tx = slots.records[i];
            tx.sequence = static_cast<uint32_t>(records.size());
            tx.check = tx_check(tx);
            records.push_back(tx);
        }
        out.roots[static_cast<size_t>(e)] = ledger::merkle_root_fixed(
            reinterpret_cast<const uint8_t*>(records.data()), sizeof(Transaction), records.size(), 1);
    };
    const auto lane_main = [&](int lane) {
        Lanes lanes;
        lanes.lane = lane;
        lanes.count = lane_count;
        lanes.strided = strided;
        lanes.row_owners = lane_count;
        if (sort_tiles > 0 && span == Span::kFleet) lanes.row_sort = sort.view;
        NoHooks hooks;
        for (int e = 0; e < kEpisodes; ++e) {
            EpisodeMetrics* metrics = out.metrics.data() + static_cast<size_t>(e) * p.num_communities;
            if (span == Span::kFleet) {
                run_episode_schedule(p, sig, f, 0, p.num_communities, e, kPolicyLearn, kEpsilon, lanes, sync, hooks,
                                     sums.data(), metrics);
            } else {
                for (int c = 0; c < p.num_communities; ++c)
                    run_episode_schedule(p, sig, f, c, c + 1, e, kPolicyLearn, kEpsilon, lanes, sync, hooks,
                                         sums.data() + static_cast<size_t>(c) * kNumCommunitySums, metrics);
            }
            sync();
            if (lane == 0) commit(e);
            sync();
        }
    };
    std::vector<std::thread> threads;
    for (int lane = 1; lane < lane_count; ++lane) threads.emplace_back(lane_main, lane);
    lane_main(0);
    for (std::thread& t : threads) t.join();
    return out;
}

struct LaneCase {
    QTableSharing sharing;
    Span span;
    double step_hours;
};

class ScheduleLanes : public ::testing::TestWithParam<LaneCase> {};

TEST_P(ScheduleLanes, AnyNumberOfLanesGivesTheBitsOfOne) {
    const LaneCase& c = GetParam();
    const Problem problem = build_problem(lanes_config(c.sharing, c.step_hours));
    const Outcome one = run_with_lanes(problem, c.span, 1, false);
    int64_t transactions = 0;
    for (const EpisodeMetrics& m : one.metrics) transactions += m.tx_count;
    ASSERT_GT(transactions, 0) << "the reference wrote no transactions: nothing to compare";
    int64_t limit_steps = 0;
    for (const EpisodeMetrics& m : one.metrics) limit_steps += m.limit_steps;
    ASSERT_GT(limit_steps, 0) << "the connection limit never cut: its sums go untested";

    struct Split {
        int lanes;
        bool strided;
        int sort_tiles;  // > 0: the shared table's update through the counting sort
    };
    std::vector<Split> splits = {{2, false, 0}, {7, false, 0}, {7, true, 0}, {32, true, 0}, {64, true, 0}};
    // A table shared by the fleet also through the counting sort (the CUDA grid's update),
    // with one tile and with tiles of a few vehicles (most rows then span tiles).
    if (c.span == Span::kFleet && c.sharing == QTableSharing::fleet)
        for (const int tiles : {1, 3, 16})
            for (const Split s : {Split{1, false, tiles}, Split{7, false, tiles}, Split{32, true, tiles}}) splits.push_back(s);
    for (const Split s : splits) {
        SCOPED_TRACE(std::to_string(s.lanes) + (s.strided ? " lanes, round-robin" : " lanes, blocks") +
                     (s.sort_tiles > 0 ? ", sorted in " + std::to_string(s.sort_tiles) + " tiles" : ""));
        const Outcome many = run_with_lanes(problem, c.span, s.lanes, s.strided, s.sort_tiles);
        EXPECT_TRUE(many.fleet == one.fleet) << "fleet state or Q-tables differ";
        ASSERT_EQ(many.metrics.size(), one.metrics.size());
        EXPECT_EQ(std::memcmp(many.metrics.data(), one.metrics.data(), one.metrics.size() * sizeof(EpisodeMetrics)), 0)
            << "episode metrics differ";
        for (int e = 0; e < kEpisodes; ++e)
            EXPECT_EQ(ledger::to_hex(many.roots[e]), ledger::to_hex(one.roots[e])) << "Merkle root of episode " << e;
        EXPECT_TRUE(many.record == one.record) << "step record differs";
    }
}

INSTANTIATE_TEST_SUITE_P(
    Schedule, ScheduleLanes,
    ::testing::Values(LaneCase{QTableSharing::vehicle, Span::kCommunity, 1.0},
                      LaneCase{QTableSharing::community, Span::kCommunity, 1.0},
                      LaneCase{QTableSharing::community, Span::kCommunity, 0.5},
                      LaneCase{QTableSharing::vehicle, Span::kFleet, 1.0},
                      LaneCase{QTableSharing::community, Span::kFleet, 1.0},
                      LaneCase{QTableSharing::fleet, Span::kFleet, 1.0},
                      LaneCase{QTableSharing::fleet, Span::kFleet, 0.5}),
    [](const ::testing::TestParamInfo<LaneCase>& info) {
        return choice_name(info.param.sharing) +
               std::string(info.param.span == Span::kFleet ? "_over_fleet" : "_by_community") +
               (info.param.step_hours < 1.0 ? "_half_hour" : "_hourly");
    });

// The counting sort itself (env/row_sort.h), one lane: every key's run holds exactly the
// vehicles in states of that key, in vehicle order, whatever the tiles; the counts are left 0.
TEST(RowSort, EachKeysRunHoldsItsVehiclesInVehicleOrder) {
    Config cfg = lanes_config(QTableSharing::fleet, 1.0);
    cfg.learning.deadline_levels = 3;
    const Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    std::vector<char> fleet = problem.fleet;
    FleetView f{};
    layout_fleet(p, fleet.data(), &f);
    const int keys = row_sort_keys(p), step = 9;
    ASSERT_GT(keys, 4);
    for (const int tiles : {1, 3, 16, 200}) {
        SCOPED_TRACE(std::to_string(tiles) + " tiles");
        // States of one step, few keys (many ties), some vehicles unplugged (-1).
        for (int v = 0; v < p.num_vehicles; ++v) {
            const int k = (v * 7 + tiles) % 5;
            f.state[v] = v % 4 == 3 ? -1
                                    : state_index(p, static_cast<float>(k % 3) / 3.0f + 0.05f, step, k % p.price_levels,
                                                  k % p.deadline_levels);
        }
        SortScratch sort(p, tiles);
        const RowSortScratch& rs = sort.view;
        for (int t = 0; t < tiles; ++t) row_sort_count(p, f, rs, 0, p.num_vehicles, t);
        for (int k = 0; k < keys; ++k) row_sort_total(p, rs, k);
        row_sort_scan(p, rs);
        for (int t = 0; t < tiles; ++t) row_sort_place(p, f, rs, 0, p.num_vehicles, t);
        int live = 0;
        for (int k = 0; k < keys; ++k) {
            std::vector<int> expected;
            for (int v = 0; v < p.num_vehicles; ++v)
                if (f.state[v] >= 0 && row_sort_key(p, f.state[v]) == k) expected.push_back(v);
            const std::vector<int> run(sort.order.begin() + sort.key_start[k], sort.order.begin() + sort.key_start[k + 1]);
            EXPECT_EQ(run, expected) << "key " << k;
            live += static_cast<int>(expected.size());
        }
        EXPECT_EQ(sort.key_start[keys], live);
        EXPECT_TRUE(std::all_of(sort.tile_counts.begin(), sort.tile_counts.end(), [](int c) { return c == 0; }))
            << "the counts are not left at 0 for the next step";
    }
}

// A step's states map one to one onto the keys (a state without its time bin).
TEST(RowSort, KeysAreAStepsStatesOneToOne) {
    Config cfg = lanes_config(QTableSharing::fleet, 1.0);
    cfg.learning.deadline_levels = 3;
    cfg.learning.forecast_levels = 2;
    const EnvParams p = build_problem(cfg).params;
    ASSERT_EQ(num_states(p) % p.time_bins, 0);
    for (int step = 0; step < p.steps_per_day; step += 5) {
        std::vector<int> seen(static_cast<size_t>(row_sort_keys(p)), 0);
        for (int s = 0; s < num_states(p); ++s) {
            const int inner = num_states(p) / (p.soc_bins * p.time_bins);
            if (s / inner % p.time_bins != time_bin(p, step)) continue;
            const int k = row_sort_key(p, s);
            ASSERT_GE(k, 0);
            ASSERT_LT(k, row_sort_keys(p));
            ++seen[static_cast<size_t>(k)];
        }
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; })) << "step " << step;
    }
}

// About sqrt(vehicles) tiles, never more than vehicles / keys, at least one.
TEST(RowSort, TilesBalanceTheCountAgainstTheTotal) {
    const EnvParams p = build_problem(lanes_config(QTableSharing::fleet, 1.0)).params;
    const int keys = row_sort_keys(p);
    for (const int n : {0, 1, 50, keys * 3, 1000, 65536, 1000000, 10000000, 2000000000}) {
        const int root = static_cast<int>(std::floor(std::sqrt(static_cast<double>(n))));
        EXPECT_EQ(row_sort_tiles(p, n), std::max(1, std::min(root, n / keys))) << n << " vehicles";
    }
    EXPECT_EQ(row_sort_tiles(p, 1000000), 1000);
}

}  // namespace
}  // namespace v2g
