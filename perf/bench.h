// bench.h: `v2g bench`: times each stage of the engine (the step phases, the ledger's compaction
// and Merkle root, the results hand-off) and the fused training loop for one fleet on one
// device, and sets each against its roofline: bytes moved per unit (counted by
// perf/phase_traffic.h), the bandwidth that achieves, its share of the device's peak (a copy
// test the command runs), and which ceiling binds, memory or compute. The model is in
// docs/PERFORMANCE.md ("v2g bench").
#pragma once
#include <cstdio>
#include <string>
#include <vector>
#include "config/config.h"
#include "train/trainer.h"

namespace v2g {

// The command line of `v2g bench`; empty strings are flags not given.
struct BenchArgs {
    std::string config_path;        // optional: the defaults otherwise
    std::vector<std::string> sets;  // --set group.key=value, in order
    std::string vehicles;           // --vehicles N (fleet.vehicles)
    std::string device;             // --device auto|cpu|cuda (run.device)
    std::string threads;            // --threads N (run.threads)
    std::string episodes;           // --episodes N: timed episodes (not run.episodes)
    bool json = false;              // --json: the report as JSON on stdout
};

// One row of the report: a stage, the sum of the stages, or the fused loop.
struct StageReport {
    std::string name;                 // reset, act, market, apply, q_update, summarize, tx_compact, merkle,
                                      // hdf5_handoff, sum_of_stages, fused_loop
    std::string code;                 // what it runs
    std::string unit;                 // "env-step" (one vehicle, one step) or "leaf" (a Merkle leaf)
    double units = 0;                 // units processed while timed
    double seconds = 0;
    double rate = 0;                  // units per second
    double read_bytes_per_unit = 0;   // counted: perf/phase_traffic.h
    double write_bytes_per_unit = 0;
    double bandwidth = 0;             // bytes moved per second
    double peak_share = 0;            // bandwidth / the copy test's peak
    double memory_ceiling = 0;        // units/s if memory alone limited: peak / bytes per unit
    double compute_ceiling = 0;       // units/s with the data in cache (measured); 0 = not measured
    double hardware_ceiling = 0;      // units/s at the machine's own rate (merkle: SHA-NI); 0 = none
    std::string bound;                // "memory" or "compute": the lower ceiling
    double bound_share = 0;           // rate / the lower ceiling
};

struct BenchReport {
    std::string device, device_reason, backend;
    int vehicles = 0, communities = 0, community_size = 0, steps_per_episode = 0;
    int episodes = 0;                  // timed episodes (each path)
    int threads = 0;
    bool ledger = false;
    std::string q_sharing;
    double epsilon = 0;                // exploration of the timed episodes
    double peak_bandwidth = 0;         // bytes/s, the copy test
    double copy_test_bytes = 0;        // size of one copy
    std::string compute_ceiling_method;
    double sha_compressions_per_s = 0; // SHA-NI compressions/s on in-cache messages, one thread x threads; 0: not measured
    int handoff_stride_episodes = 0;   // episodes between hand-offs (results.checkpoint_every)
    std::string handoff_part;          // what one hand-off copies
    std::vector<StageReport> stages;   // the stages, then sum_of_stages and fused_loop
};

// Runs the benchmark for a validated config on the chosen device, `episodes` timed episodes.
BenchReport run_bench_report(const Config& cfg, const DeviceChoice& device, int episodes);
std::string bench_json(const BenchReport& report);
void print_bench(std::FILE* out, const BenchReport& report);

// `v2g bench`: returns the exit status; bad input throws InputError (the CLI prints it, exit 2).
int run_bench(const BenchArgs& args);

}  // namespace v2g
