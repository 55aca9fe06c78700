// test_bench.cpp: `v2g bench`. The bytes each stage moves (perf/phase_traffic.h) against a
// count made by hand from step.h for a tiny fleet (3 vehicles in communities of 2, 24 steps);
// the command's report: every stage with its bound and share, in the table and in the JSON,
// and the counted bytes in it; bad input exits with status 2 and one line. No test here
// asserts a time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "perf/phase_traffic.h"
#include "ledger/sha256_ni.h"
#include "env/step.h"
#include "tests/cli_test_helpers.h"

namespace {

using v2g::EnvParams;
using v2g::Traffic;

constexpr int64_t R = v2g::kNumRejectReasons;                             // ep_rejected elements per vehicle
constexpr int64_t M = static_cast<int64_t>(sizeof(v2g::EpisodeMetrics));  // one community's metrics

// 3 vehicles, communities of 2 (so 2 communities, the last of 1), one day of 24 hourly steps.
EnvParams tiny_fleet(bool ledger, int deadline_levels = 1) {
    EnvParams p{};
    p.num_vehicles = 3;
    p.community_size = 2;
    p.num_communities = 2;
    p.steps_per_day = 24;
    p.ledger_enabled = ledger ? 1 : 0;
    p.deadline_levels = deadline_levels;
    return p;
}

Traffic phase(const EnvParams& p, v2g::Phase ph) { return v2g::phase_traffic(p, ph, sizeof(v2g::EpisodeMetrics)); }

TEST(BenchTraffic, ActByHand) {
    // Per vehicle, read: arrival_step, departure_step, energy_kwh, usable_kwh, charge_kw, eta_charge,
    // discharge_kw, eta_discharge (8 x 4 B) + the state's Q row (5 x 4 B) = 52 B;
    // written: state 4, action 1, forced 1, grid_kwh 4, offer_kwh 4, bid_kwh 4 = 18 B.
    const Traffic t = phase(tiny_fleet(true), v2g::kPhaseAct);
    EXPECT_EQ(t.read_bytes, 3 * 52);
    EXPECT_EQ(t.write_bytes, 3 * 18);
    // With charging-slack levels, slack_level also reads required_kwh; so does the safety layer.
    EXPECT_EQ(phase(tiny_fleet(true, 3), v2g::kPhaseAct).read_bytes, 3 * (52 + 4));
    EnvParams safety = tiny_fleet(true);
    safety.safety_layer = 1;
    EXPECT_EQ(phase(safety, v2g::kPhaseAct).read_bytes, 3 * (52 + 4));
    safety.deadline_levels = 3;  // one read of required_kwh serves both
    EXPECT_EQ(phase(safety, v2g::kPhaseAct).read_bytes, 3 * (52 + 4));
}

TEST(BenchTraffic, MarketByHand) {
    // Per vehicle read: offer_kwh, bid_kwh, grid_kwh 12, forced 1 = 13 B. Per community: written
    // price, sell ratio, buy ratio, PV, the connection limit's import, forced and export shares
    // = 28 B; read and written pv_sold, market_loss = 8 B each way; ledger: the PV
    // slot's used flag (1 B written; its record only when PV is sold: emission_traffic) and
    // pv_ledger_wh 8, pv_ledger_micro 8, pv_tx_count 4, pv_tx_latency_steps 4 (24 B each way).
    const Traffic on = phase(tiny_fleet(true), v2g::kPhaseMarket);
    EXPECT_EQ(on.read_bytes, 3 * 13 + 2 * (8 + 24));
    EXPECT_EQ(on.write_bytes, 2 * (28 + 8 + 1 + 24));
    const Traffic off = phase(tiny_fleet(false), v2g::kPhaseMarket);
    EXPECT_EQ(off.read_bytes, 3 * 13 + 2 * 8);
    EXPECT_EQ(off.write_bytes, 2 * (28 + 8));
}

TEST(BenchTraffic, ApplyByHand) {
    // Per vehicle read: grid, bid, offer 12; forced 1; eta_charge, eta_discharge, usable 12;
    // energy 4; capacity 4; soc_low, soc_high, throughput, calendar, cycle, soh 24; state,
    // departure, required 12; the ten episode sums and the curtailed energy 44; ledger sums (wh 8,
    // micro 8, count 4, latency 4) 24 = 137 B. Written: energy 4; the six battery fields 24; the
    // eleven sums 44; reward 4; next_state 4; the two slots' used flags 2 (a slot's 48-byte
    // record only when its transfer happens: emission_traffic); ledger sums 24 = 106 B. Per
    // community read: the market's price, buy ratio and sell ratio and the connection limit's
    // three shares, 24 B.
    const Traffic on = phase(tiny_fleet(true), v2g::kPhaseApply);
    EXPECT_EQ(on.read_bytes, 3 * 137 + 2 * 24);
    EXPECT_EQ(on.write_bytes, 3 * 106);
    const Traffic off = phase(tiny_fleet(false), v2g::kPhaseApply);
    EXPECT_EQ(off.read_bytes, 3 * (137 - 24) + 2 * 24);
    EXPECT_EQ(off.write_bytes, 3 * (106 - 2 - 24));
    // With charging-slack levels the next state's slack_level reads charge_kw too; with lifetime
    // ageing the pack's age offset is read.
    EXPECT_EQ(phase(tiny_fleet(true, 3), v2g::kPhaseApply).read_bytes, 3 * (137 + 4) + 2 * 24);
    EnvParams lifetime = tiny_fleet(true);
    lifetime.lifetime_aging = 1;
    EXPECT_EQ(phase(lifetime, v2g::kPhaseApply).read_bytes, 3 * (137 + 4) + 2 * 24);
}

TEST(BenchTraffic, LearnByHand) {
    // Per vehicle read: state 4, action 1, reward 4, next_state 4, Q(s,a) 4, the next row 20 = 37 B;
    // written: Q(s,a) 4 B.
    const Traffic t = phase(tiny_fleet(true), v2g::kPhaseLearn);
    EXPECT_EQ(t.read_bytes, 3 * 37);
    EXPECT_EQ(t.write_bytes, 3 * 4);
    // bfloat16 tables: Q(s,a) 2 B and the next row 10 B: 25 B read, 2 B written; act's row 10 B.
    EnvParams bf16 = tiny_fleet(true);
    bf16.q_bf16 = 1;
    EXPECT_EQ(phase(bf16, v2g::kPhaseLearn).read_bytes, 3 * 25);
    EXPECT_EQ(phase(bf16, v2g::kPhaseLearn).write_bytes, 3 * 2);
    EXPECT_EQ(phase(bf16, v2g::kPhaseAct).read_bytes, 3 * (52 - 10));
}

TEST(BenchTraffic, ResetAndSummarizeByHand) {
    // reset_vehicle (ageing "day") reads capacity, energy, charge_kw, eta_charge = 16 B; writes
    // the fleet's age into soh, calendar, cycle, throughput (16), energy, usable, arrival,
    // departure, trip, required, soc_low, soc_high (32), the ten sums, the curtailed energy and
    // the override count (48), the R rejection counters (4R), the en-route energy and cost and the
    // replacement flag (12), ep_start 4, ep_ledger_wh 8, ep_ledger_micro 8, ep_tx_count 4,
    // ep_tx_latency_steps 4 = 136 + 4R B. reset_community writes pv_sold,
    // market_loss, limit_steps (12), pv_ledger_wh 8, micro 8, count 4, latency 4 = 36 B.
    const Traffic reset = phase(tiny_fleet(true), v2g::kPhaseReset);
    EXPECT_EQ(reset.read_bytes, 3 * 16);
    EXPECT_EQ(reset.write_bytes, 3 * (136 + 4 * R) + 2 * 36);
    // Lifetime ageing reads SoH (a replacement's writes are rare and not counted).
    EnvParams lifetime = tiny_fleet(true);
    lifetime.lifetime_aging = 1;
    EXPECT_EQ(phase(lifetime, v2g::kPhaseReset).read_bytes, 3 * 20);
    EXPECT_EQ(phase(lifetime, v2g::kPhaseReset).write_bytes, 3 * (120 + 4 * R) + 2 * 36);
    // summarize_community reads per vehicle the ten sums 40, the en-route cost and energy, the
    // curtailed energy, the override count and the replacement flag 20, energy, usable, soh 12,
    // tx count 4, latency 4, ledger wh 8, micro 8, the R counters 4R = 96 + 4R B; per community
    // pv_sold, market_loss, limit_steps, pv_tx_count, pv latency (20) and pv wh, micro (16) = 36 B;
    // writes its metrics.
    const Traffic sum = phase(tiny_fleet(true), v2g::kPhaseSummarize);
    EXPECT_EQ(sum.read_bytes, 3 * (96 + 4 * R) + 2 * 36);
    EXPECT_EQ(sum.write_bytes, 2 * M);
}

TEST(BenchTraffic, CompactionAndMerkleByHand) {
    // 10 slots, 4 used: every slot's used flag read (1 B), the 4 records read and written out;
    // the step wrote the 4 records, nothing for the 6 empty slots.
    const Traffic c = v2g::compaction_traffic(10, 4);
    EXPECT_EQ(c.read_bytes, 10 * 1 + 4 * 48);
    EXPECT_EQ(c.write_bytes, 4 * 48);
    EXPECT_EQ(v2g::emission_traffic(4).write_bytes, 4 * 48);
    EXPECT_EQ(v2g::emission_traffic(4).read_bytes, 0);
    // 5 leaves of 48 B: leaves read 240, digests written 160; level of 5: 2 pairs (read 128,
    // write 64) and the odd node copied up (32, 32); level of 3: 1 pair (64, 32) and a copy
    // (32, 32); level of 2: 1 pair (64, 32). Compressions: 5 leaves x 1 (49 B + padding fits
    // one block) + 4 nodes x 2 (65 B) = 13 = 3n - 2.
    const v2g::MerkleWork m = v2g::merkle_work(5, 48);
    EXPECT_EQ(m.traffic.read_bytes, 240 + 128 + 32 + 64 + 32 + 64);
    EXPECT_EQ(m.traffic.write_bytes, 160 + 64 + 32 + 32 + 32 + 32);
    EXPECT_EQ(m.compressions, 13);
    EXPECT_EQ(v2g::merkle_work(1, 48).traffic.read_bytes, 48);
    EXPECT_EQ(v2g::merkle_work(0, 48).compressions, 0);
}

TEST(BenchTraffic, FusedEpisodeByHand) {
    // Ledger off. Each per-vehicle field once per episode: read if any phase reads it, written if
    // any writes it. Read: capacity, soh, energy, charge_kw, eta_charge, discharge_kw, eta_discharge,
    // usable, arrival, departure, required (44); soc_low, soc_high (8); the ten sums and the
    // curtailed energy (44); ep_ledger_wh, micro (16); tx count, latency (8); state 4, action 1,
    // forced 1; grid, offer, bid (12); reward, next_state (8); throughput, calendar, cycle (12);
    // en-route energy and cost, override count, replacement flag (16) = 174 + 4R (the counters).
    // Written: soh, energy, usable, arrival, departure, trip, required (28); soc_low, soc_high
    // (8); the eleven sums and the override count (48); ep_start 4; ledger sums (16); tx (8);
    // state 4, action 1, forced 1; grid, offer, bid (12); reward, next_state (8); throughput,
    // calendar, cycle (12); en-route energy and cost, replacement flag (12) = 162 + 4R.
    // Q every step: act reads a row (20), learn reads Q(s,a) and the next row (24) and writes 4.
    // Per community read: price, sell, buy ratios (12); the limit's three shares (12); pv_sold,
    // market_loss (8); limit_steps (4); the PV ledger sums (24) = 60; written: those 60 +
    // market_pv_kwh 4 + its metrics.
    const EnvParams p = tiny_fleet(false);
    const Traffic t = v2g::fused_episode_traffic(p, sizeof(v2g::EpisodeMetrics), 0);
    EXPECT_EQ(t.read_bytes, 3 * (174 + 4 * R) + 3 * 24 * 44 + 2 * 60);
    EXPECT_EQ(t.write_bytes, 3 * (162 + 4 * R) + 3 * 24 * 4 + 2 * (64 + M));
    // Ledger on: the slots' used flags every step (2 per vehicle written in apply, 1 per
    // community in the market, a byte each), the records of the episode's transactions, the
    // ledger sums of apply and the market (already counted once an episode), then the compaction
    // of the episode's slots and the Merkle root of its transactions.
    const EnvParams q = tiny_fleet(true);
    const int64_t tx = 7;
    const Traffic on = v2g::fused_episode_traffic(q, sizeof(v2g::EpisodeMetrics), tx);
    const Traffic c = v2g::compaction_traffic(v2g::slots_per_episode(q), tx);
    const v2g::MerkleWork m = v2g::merkle_work(tx, 48);
    EXPECT_EQ(on.read_bytes, t.read_bytes + c.read_bytes + m.traffic.read_bytes);
    EXPECT_EQ(on.write_bytes,
              t.write_bytes + 24 * (3 * 2 + 2) * 1 + tx * 48 + c.write_bytes + m.traffic.write_bytes);
}

// The GPU's 32-byte sectors. A float32 Q row (20 B at a 20-byte stride) starts at 0, 20, 8, 28,
// 16, 4, 24, 12 within a sector, 8 rows in all; 4 of them cross a sector boundary: 12 sectors
// for 8 rows, 48 B each. One Q(s, a) is one sector. A bf16 row (10 B at a 10-byte stride):
// 16 rows, starts 0, 10, 20, 30, 8, ... of which 30, 28, 26, 24 cross (24 + 4 would not): 20
// sectors for 16 rows, 40 B. A row padded to 32 B: one sector each.
TEST(BenchTraffic, ScatteredAccessesCostWholeSectorsOnTheGpu) {
    using v2g::kGpuSectorBytes;
    using v2g::scattered_access_bytes;
    EXPECT_EQ(scattered_access_bytes(20, 20, kGpuSectorBytes), 48);
    EXPECT_EQ(scattered_access_bytes(4, 20, kGpuSectorBytes), 32);
    EXPECT_EQ(scattered_access_bytes(10, 10, kGpuSectorBytes), 40);
    EXPECT_EQ(scattered_access_bytes(20, 32, kGpuSectorBytes), 32);
    EXPECT_EQ(scattered_access_bytes(20, 20, v2g::kElementGranule), 20);
    // The learn phase per vehicle: the CPU model reads Q(s,a) and the next row (24 B) and writes
    // Q(s,a) (4 B); the GPU reads 32 + 48 and writes 32. Act: the row, 20 vs 48 B.
    const EnvParams p = tiny_fleet(false);
    const int64_t n = p.num_vehicles;
    const Traffic learn_cpu = v2g::phase_traffic(p, v2g::kPhaseLearn, sizeof(v2g::EpisodeMetrics));
    const Traffic learn_gpu = v2g::phase_traffic(p, v2g::kPhaseLearn, sizeof(v2g::EpisodeMetrics), kGpuSectorBytes);
    EXPECT_EQ(learn_gpu.read_bytes - learn_cpu.read_bytes, n * ((32 + 48) - (4 + 20)));
    EXPECT_EQ(learn_gpu.write_bytes - learn_cpu.write_bytes, n * (32 - 4));
    const Traffic act_cpu = v2g::phase_traffic(p, v2g::kPhaseAct, sizeof(v2g::EpisodeMetrics));
    const Traffic act_gpu = v2g::phase_traffic(p, v2g::kPhaseAct, sizeof(v2g::EpisodeMetrics), kGpuSectorBytes);
    EXPECT_EQ(act_gpu.read_bytes - act_cpu.read_bytes, n * (48 - 20));
    EXPECT_EQ(act_gpu.write_bytes, act_cpu.write_bytes);
}

// ------------------------------------------------------------------ the command

struct Result {
    int status;
    std::string out;  // stdout only
    std::string err;  // stderr only
};

Result run_v2g(const std::string& args) {
    char err_path[] = "/tmp/v2g_test_bench_XXXXXX";
    const int fd = mkstemp(err_path);
    if (fd >= 0) close(fd);
    const v2g::testing::CommandResult run =
        v2g::testing::run_command(std::string("'") + V2G_CLI + "' " + args + " 2>'" + err_path + "'");
    Result r{run.status, run.output, ""};
    std::ifstream err(err_path, std::ios::binary);
    r.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    std::remove(err_path);
    return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
bool one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1; }

const char* const kRows[] = {"reset", "act", "market", "apply", "q_update", "summarize", "tx_compact", "merkle",
                             "hdf5_handoff", "sum_of_stages", "fused_loop"};

// A small, quick benchmark: 100 vehicles, one timed episode.
const char* const kSmall = "bench --vehicles 100 --episodes 1 --device cpu --threads 2";

TEST(BenchCommand, TablePrintsEveryStageWithItsBoundAndShare) {
    const Result r = run_v2g(kSmall);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "device: cpu")) << r.err;
    EXPECT_TRUE(contains(r.out, "peak ")) << r.out;
    for (const char* row : kRows) {
        std::istringstream lines(r.out);
        std::string line;
        bool found = false;
        while (std::getline(lines, line)) {
            if (line.rfind(std::string(row) + " ", 0) != 0) continue;
            found = true;
            const bool bound = contains(line, " memory ") || contains(line, " compute ");
            EXPECT_TRUE(bound) << line;
            EXPECT_TRUE(line.size() > 1 && line.back() == '%') << line;  // the share of its bound
        }
        EXPECT_TRUE(found) << "no row " << row << " in\n" << r.out;
    }
}

TEST(BenchCommand, JsonHasEveryStageAndTheCountedBytes) {
    const Result r = run_v2g(std::string(kSmall) + " --json");
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);  // throws (and fails) on anything but JSON
    EXPECT_EQ(j.at("device"), "cpu");
    EXPECT_EQ(j.at("vehicles"), 100);
    EXPECT_EQ(j.at("communities"), 2);
    EXPECT_EQ(j.at("episodes"), 1);
    EXPECT_EQ(j.at("threads"), 2);
    EXPECT_EQ(j.at("ledger"), true);
    EXPECT_TRUE(j.at("peak_bandwidth_bytes_per_s").is_number());
    EXPECT_TRUE(j.at("compute_ceiling_method").is_string());
    EXPECT_TRUE(j.at("handoff_part").is_string());
    ASSERT_TRUE(j.at("stages").is_array());
    const auto stage = [&j](const char* name) {
        for (const nlohmann::json& s : j.at("stages"))
            if (s.at("name") == name) return s;
        return nlohmann::json();
    };
    for (const char* row : kRows) {
        const nlohmann::json s = stage(row);
        ASSERT_TRUE(s.is_object()) << row << " missing in\n" << r.out;
        for (const char* key : {"seconds", "rate_per_s", "bytes_per_unit", "bandwidth_bytes_per_s", "peak_share",
                                "memory_ceiling_per_s", "compute_ceiling_per_s", "bound_share"})
            EXPECT_TRUE(s.contains(key)) << row << ": " << key;
        EXPECT_TRUE(s.at("bound") == "memory" || s.at("bound") == "compute") << s.dump();
    }
    // The act row carries the counted bytes: 56 read (the safety layer is on by default) and 18
    // written per env-step (ActByHand).
    const nlohmann::json act = stage("act");
    EXPECT_EQ(act.at("read_bytes_per_unit"), 56) << act.dump();
    EXPECT_EQ(act.at("write_bytes_per_unit"), 18) << act.dump();
    // The machine's SHA-NI rate where the CPU has it, and the Merkle row's ceiling from it
    // (present and positive; how the rates compare is a benchmark's business, not a test's).
    if (v2g::ledger::cpu_has_sha_ni()) {
        ASSERT_TRUE(j.at("sha_ni_compressions_per_s").is_number()) << r.out;
        EXPECT_GT(j.at("sha_ni_compressions_per_s").get<double>(), 0.0);
        const nlohmann::json merkle = stage("merkle");
        ASSERT_TRUE(merkle.at("hardware_ceiling_per_s").is_number()) << merkle.dump();
        EXPECT_GT(merkle.at("hardware_ceiling_per_s").get<double>(), 0.0);
    } else {
        EXPECT_TRUE(j.at("sha_ni_compressions_per_s").is_null());
    }
}

TEST(BenchCommand, BadInputExitsTwoWithOneLine) {
    for (const char* args : {"bench --vehicles 0", "bench --vehicles many", "bench --episodes 0",
                             "bench --device gpu", "bench --threads -1", "bench --set fleet.nope=1",
                             "bench /nonexistent/bench.toml"}) {
        const Result r = run_v2g(args);
        EXPECT_EQ(r.status, 2) << args << ": " << r.out << r.err;
        EXPECT_TRUE(one_line(r.err)) << args << ": " << r.err;
        EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
    }
    EXPECT_TRUE(contains(run_v2g("bench --episodes 0").err, "--episodes 0"));
    EXPECT_TRUE(contains(run_v2g("bench --vehicles 0").err, "--vehicles 0"));
}

TEST(BenchCommand, CudaWithoutAGpuExitsTwoAndAutoFallsBack) {
    std::string why;
    if (v2g::cuda_usable(&why)) GTEST_SKIP() << "a GPU is usable here: " << why;
    const Result r = run_v2g("bench --device cuda --vehicles 100");
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_TRUE(contains(r.err, "--device cuda")) << r.err;
    const Result a = run_v2g("bench --device auto --vehicles 100 --episodes 1 --json");
    EXPECT_EQ(a.status, 0) << a.err;
    EXPECT_TRUE(contains(a.err, "device: cpu (auto: no usable GPU")) << a.err;
    EXPECT_TRUE(contains(a.out, "\"device\": \"cpu\"")) << a.out;
}

}  // namespace
