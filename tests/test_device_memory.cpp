// test_device_memory.cpp: the CUDA backend's memory plan (backends/device_memory.h), checked on
// the CPU: it agrees with the buffers a problem really has, the ledger's slot buffer can hold
// the Merkle levels that reuse it, the scale configs fit the GPUs they are sized for, and the
// table in docs/PERFORMANCE.md ("Device memory") is the plan's own numbers.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "backends/device_memory.h"
#include "common/text_format.h"
#include "config/config.h"
#include "env/row_sort.h"
#include "ledger/merkle.h"
#include "ledger/transaction.h"
#include "problem/problem.h"
#include "tests/cli_test_helpers.h"
#include "tests/test_helpers.h"

using namespace v2g;
using v2g::testing::small_config;

namespace {

const std::string kSourceDir = V2G_SOURCE_DIR;

Config experiment(const std::string& name) { return load_config(kSourceDir + "/experiments/" + name); }

}  // namespace

TEST(DeviceMemory, PlanAgreesWithTheProblemsBuffers) {
    for (QTableSharing sharing : every_choice<QTableSharing>())
        for (bool ledger : {true, false}) {
            Config cfg = small_config(3, 37, 8);  // 5 communities, the last one short
            cfg.learning.q_sharing = sharing;
            cfg.ledger.enabled = ledger;
            const Problem problem = build_problem(cfg);
            const EnvParams& p = problem.params;
            SCOPED_TRACE(std::string(choice_name(sharing)) + (ledger ? ", ledger on" : ", ledger off"));
            const EnvParams alone = problem_params(cfg);
            EXPECT_EQ(alone.num_vehicles, p.num_vehicles);
            EXPECT_EQ(alone.num_communities, p.num_communities);
            EXPECT_EQ(alone.signal_days, p.signal_days);
            EXPECT_EQ(alone.num_contracts, p.num_contracts);
            EXPECT_EQ(device_memory_total(device_memory_plan(alone)), device_memory_total(device_memory_plan(p)));
            const auto plan = device_memory_plan(p, 3, 1000);
            EXPECT_EQ(device_allocation_bytes(plan, "fleet"), problem.fleet.size());
            EXPECT_EQ(device_allocation_bytes(plan, "signals"), problem.signals.size());
            EXPECT_EQ(device_allocation_bytes(plan, "metrics"), 3u * 5u * sizeof(EpisodeMetrics));
            EXPECT_EQ(device_allocation_bytes(device_memory_plan(p), "metrics"),
                      static_cast<uint64_t>(kMaxEpisodesPerCall) * 5u * sizeof(EpisodeMetrics));
            if (sharing == QTableSharing::fleet) {
                EXPECT_EQ(device_allocation_bytes(plan, "market sums"), 5u * kNumCommunitySums * sizeof(float));
                // The update's counting sort (env/row_sort.h): a count per tile and key, the
                // keys' starts, a slot per vehicle; a test-sized fleet has one tile.
                const uint64_t keys = static_cast<uint64_t>(num_states(p) / p.time_bins);
                EXPECT_EQ(row_sort_tiles(p, p.num_vehicles), 1);
                EXPECT_EQ(device_allocation_bytes(plan, "row sort counts"), keys * sizeof(int));
                EXPECT_EQ(device_allocation_bytes(plan, "row sort starts"), (keys + 1) * sizeof(int));
                EXPECT_EQ(device_allocation_bytes(plan, "row sort order"), 37u * sizeof(int));
            } else {
                EXPECT_THROW(device_allocation_bytes(plan, "market sums"), std::logic_error);
                EXPECT_THROW(device_allocation_bytes(plan, "row sort order"), std::logic_error);
            }
            if (!ledger) {
                EXPECT_THROW(device_allocation_bytes(plan, "tx slots"), std::logic_error);
                continue;
            }
            const uint64_t slots = static_cast<uint64_t>(slots_per_episode(p));
            EXPECT_EQ(slots, (2u * 37u + 5u) * static_cast<uint64_t>(p.steps_per_day));
            EXPECT_GE(device_allocation_bytes(plan, "tx slots"), slots * kTransactionBytes);
            EXPECT_GE(device_allocation_bytes(plan, "tx slots"), ledger::merkle_scratch_bytes(slots));
            EXPECT_EQ(device_allocation_bytes(plan, "transactions"), slots * kTransactionBytes);
            EXPECT_EQ(device_allocation_bytes(plan, "compaction scratch"), 1000u);
            EXPECT_THROW(device_allocation_bytes(device_memory_plan(p), "compaction scratch"), std::logic_error);
            uint64_t sum = 0;
            for (const DeviceAllocation& a : plan) sum += a.bytes;
            EXPECT_EQ(device_memory_total(plan), sum);
        }
}

// The Merkle levels of n leaves take 48 B per leaf for even n and 16 B more for odd n: the slot
// buffer is the larger of the two, never smaller than either.
TEST(DeviceMemory, SlotBufferHoldsTheMerkleLevelsForOddAndEvenSlotCounts) {
    for (int vehicles : {1, 2, 3, 50, 51}) {
        Config cfg = small_config(1, vehicles, 50);
        cfg.ledger.enabled = true;
        const EnvParams p = problem_params(cfg);
        const uint64_t slots = static_cast<uint64_t>(slots_per_episode(p));
        EXPECT_EQ(tx_slot_buffer_bytes(p), std::max<uint64_t>(slots * kTransactionBytes, ledger::merkle_scratch_bytes(slots)))
            << vehicles;
    }
    Config off = small_config();
    off.ledger.enabled = false;
    EXPECT_EQ(tx_slot_buffer_bytes(problem_params(off)), 0u);
}

// A large fleet's calls hold fewer episodes, so that their metrics stay within the bound.
TEST(DeviceMemory, EpisodesPerCallShrinkWithTheCommunities) {
    EnvParams p{};
    p.num_communities = 1;
    EXPECT_EQ(max_episodes_per_call(p), kMaxEpisodesPerCall);
    p.num_communities = 100000;  // the national fleet
    EXPECT_EQ(max_episodes_per_call(p), static_cast<int>(kMaxCallMetricsBytes / (100000 * sizeof(EpisodeMetrics))));
    EXPECT_LE(static_cast<uint64_t>(max_episodes_per_call(p)) * 100000 * sizeof(EpisodeMetrics), kMaxCallMetricsBytes);
    p.num_communities = 10000000;  // more than the bound holds for one episode: still one
    EXPECT_EQ(max_episodes_per_call(p), 1);
}

// The targets: scale_1e7 in an 80 GB GPU, the national fleet in 40 GB, each with a
// gigabyte to spare for the CUDA context and CUB's scratch.
TEST(DeviceMemory, ScaleConfigsFitTheGpusTheyAreSizedFor) {
    constexpr uint64_t kGB = 1000ull * 1000 * 1000;
    constexpr uint64_t kContextAndScratch = 1 * kGB;
    const std::map<std::string, uint64_t> budget = {
        {"scale_1e6.toml", 80 * kGB}, {"scale_1e7.toml", 80 * kGB}, {"national_fleet.toml", 40 * kGB}};
    for (const auto& [name, bytes] : budget) {
        const EnvParams p = problem_params(experiment(name));
        const uint64_t total = device_memory_total(device_memory_plan(p));
        EXPECT_LE(total + kContextAndScratch, bytes) << name << " needs " << human_bytes(static_cast<double>(total));
    }
}

// docs/PERFORMANCE.md's "Device memory" table: one row per config, each cell the plan's figure
// as `v2g train CONFIG --memory-plan` prints it.
TEST(DeviceMemory, DocsTableIsThePlan) {
    std::ifstream in(kSourceDir + "/docs/PERFORMANCE.md");
    ASSERT_TRUE(in) << "docs/PERFORMANCE.md";
    std::string line;
    bool in_section = false;
    int rows = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') in_section = line.find("# Device memory") != std::string::npos;
        if (!in_section || line.rfind("| experiments/", 0) != 0) continue;
        std::vector<std::string> cells;
        std::stringstream ss(line.substr(1));
        std::string cell;
        while (std::getline(ss, cell, '|')) {
            const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
            cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
        }
        ASSERT_EQ(cells.size(), 7u) << line;
        const std::string config = cells[0].substr(std::string("experiments/").size());
        SCOPED_TRACE(config);
        const EnvParams p = problem_params(experiment(config));
        const auto plan = device_memory_plan(p);
        const auto cell_of = [&](const char* name) {
            try {
                return human_bytes(static_cast<double>(device_allocation_bytes(plan, name)));
            } catch (const std::logic_error&) {
                return std::string("-");
            }
        };
        const uint64_t named = device_allocation_bytes(plan, "fleet") +
                               (p.ledger_enabled ? device_allocation_bytes(plan, "tx slots") +
                                                       device_allocation_bytes(plan, "transactions")
                                                 : 0);
        EXPECT_EQ(cells[1], std::to_string(p.num_vehicles));
        EXPECT_EQ(cells[2], cell_of("fleet"));
        EXPECT_EQ(cells[3], cell_of("tx slots"));
        EXPECT_EQ(cells[4], cell_of("transactions"));
        EXPECT_EQ(cells[5], human_bytes(static_cast<double>(device_memory_total(plan) - named)));
        EXPECT_EQ(cells[6], human_bytes(static_cast<double>(device_memory_total(plan))));
        ++rows;
    }
    EXPECT_GE(rows, 3) << "the Device memory table of docs/PERFORMANCE.md has a row per scale config";
}

// `v2g train CONFIG --memory-plan`: the plan's every buffer and its total, in bytes, and nothing
// trained (no results file, exit 0); with --resume it is refused with one line (exit 2).
TEST(DeviceMemory, MemoryPlanFlagPrintsThePlan) {
    const std::string config = kSourceDir + "/experiments/national_fleet.toml";
    const v2g::testing::CommandResult planned = v2g::testing::run_v2g("train '" + config + "' --memory-plan");
    const std::string& out = planned.output;
    ASSERT_EQ(planned.status, 0) << out;
    const auto plan = device_memory_plan(problem_params(load_config(config)));
    for (const DeviceAllocation& a : plan)
        EXPECT_NE(out.find(a.name + std::string(20 - a.name.size(), ' ') + " " +
                           std::string(14 - std::to_string(a.bytes).size(), ' ') + std::to_string(a.bytes)),
                  std::string::npos)
            << a.name << "\n" << out;
    EXPECT_NE(out.find(std::to_string(device_memory_total(plan))), std::string::npos) << out;
    EXPECT_NE(out.find("5000000 vehicles, 100000 communities, 100000 Q-tables, ledger on"), std::string::npos) << out;
    EXPECT_EQ(out.find("env-steps"), std::string::npos) << "--memory-plan trains nothing";

    const v2g::testing::CommandResult refused = v2g::testing::run_v2g("train --resume nosuch.h5 --memory-plan");
    EXPECT_EQ(refused.status, 2) << refused.output;
    EXPECT_EQ(refused.output, "v2g: error: --memory-plan: takes a CONFIG, not --resume\n");
}
