// test_thread_team.cpp: common/thread_team.h, the CPU backend's threads: every lane of a job runs
// once, on lanes 0..n-1 and lane 0 on the caller; the barrier orders phases; a lane's exception
// reaches the caller and leaves the team usable; thousands of short jobs and barriers neither
// hang nor lose work; and a Merkle root on a team has the bits of the OpenMP one. Built with
// ThreadSanitizer in CI (scripts/test.sh), like the lanes test.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/thread_team.h"
#include "ledger/merkle.h"

using v2g::ThreadTeam;

TEST(ThreadTeam, EveryLaneRunsOnceAndLaneZeroIsTheCaller) {
    for (int size : {1, 2, 3, 8}) {
        ThreadTeam team(size);
        EXPECT_EQ(team.size(), size);
        for (int lanes = 1; lanes <= size; ++lanes) {
            std::vector<int> runs(static_cast<size_t>(size), 0);
            std::thread::id lane0;
            team.run(lanes, [&](int lane) {
                runs[static_cast<size_t>(lane)] += 1;
                if (lane == 0) lane0 = std::this_thread::get_id();
            });
            for (int l = 0; l < size; ++l) EXPECT_EQ(runs[static_cast<size_t>(l)], l < lanes ? 1 : 0) << size << " " << lanes;
            EXPECT_EQ(lane0, std::this_thread::get_id());
        }
        EXPECT_THROW(team.run(size + 1, [](int) {}), std::invalid_argument);
        EXPECT_THROW(team.run(0, [](int) {}), std::invalid_argument);
    }
    EXPECT_EQ(ThreadTeam(0).size(), 1);
}

// set_active limits the lanes a job gets by default (the lane chooser's one-or-all), clamped to
// [1, threads()]; run(lanes, job) may still ask for up to threads(); barriers count the job's lanes.
TEST(ThreadTeam, ActiveLanesAreWhatAJobGetsByDefault) {
    ThreadTeam team(3);
    for (int active : {1, 2, 3}) {
        team.set_active(active);
        EXPECT_EQ(team.size(), active);
        EXPECT_EQ(team.threads(), 3);
        std::atomic<int> ran{0};
        team.run([&](int) {
            team.barrier();
            ran.fetch_add(1);
        });
        EXPECT_EQ(ran.load(), active);
    }
    team.set_active(1);
    std::atomic<int> ran{0};
    team.run(3, [&](int) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 3);
    team.set_active(0);
    EXPECT_EQ(team.size(), 1);
    team.set_active(9);
    EXPECT_EQ(team.size(), 3);
}

// Phase k: each lane writes its cell; after the barrier every lane reads all cells of phase k
// (a lane that ran ahead would overwrite a cell before it is read: the sums would differ).
TEST(ThreadTeam, BarrierSeparatesPhases) {
    for (int size : {2, 3, 4}) {
        ThreadTeam team(size);
        constexpr int kPhases = 2000;
        std::vector<long long> cell(static_cast<size_t>(size), 0), seen(static_cast<size_t>(size), 0);
        team.run([&](int lane) {
            for (int k = 1; k <= kPhases; ++k) {
                cell[static_cast<size_t>(lane)] = static_cast<long long>(k) * (lane + 1);
                team.barrier();
                long long sum = 0;
                for (int l = 0; l < size; ++l) sum += cell[static_cast<size_t>(l)];
                seen[static_cast<size_t>(lane)] += sum;
                team.barrier();
            }
        });
        const long long lanes_sum = static_cast<long long>(size) * (size + 1) / 2;
        const long long expected = lanes_sum * static_cast<long long>(kPhases) * (kPhases + 1) / 2;
        for (int l = 0; l < size; ++l) EXPECT_EQ(seen[static_cast<size_t>(l)], expected) << "lane " << l;
    }
}

TEST(ThreadTeam, AnExceptionReachesTheCallerAndTheTeamGoesOn) {
    ThreadTeam team(3);
    EXPECT_THROW(team.run([](int lane) {
        if (lane == 2) throw std::runtime_error("lane 2");
    }),
                 std::runtime_error);
    EXPECT_THROW(team.run([](int lane) {
        if (lane == 0) throw std::logic_error("lane 0");
    }),
                 std::logic_error);
    std::atomic<int> ran{0};
    team.run([&](int) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 3);
}

TEST(ThreadTeam, ManyShortJobsLoseNothing) {
    ThreadTeam team(2);
    std::atomic<long long> total{0};
    constexpr int kJobs = 20000;
    for (int j = 0; j < kJobs; ++j) {
        team.run(1 + j % 2, [&](int lane) { total.fetch_add(lane + 1); });
    }
    EXPECT_EQ(total.load(), (kJobs / 2) * 1LL + (kJobs / 2) * 3LL);
}

TEST(ThreadTeam, MerkleRootOnATeamIsTheOpenMpRoot) {
    std::mt19937_64 rng(3);
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{1023}, size_t{1024}, size_t{5000}}) {
        std::vector<uint8_t> records(n * 48);
        for (auto& b : records) b = static_cast<uint8_t>(rng());
        for (int size : {1, 2, 3}) {
            ThreadTeam team(size);
            EXPECT_EQ(v2g::ledger::merkle_root_fixed(records.data(), 48, n, team),
                      v2g::ledger::merkle_root_fixed(records.data(), 48, n, 1))
                << n << " leaves, " << size << " lanes";
        }
    }
}
