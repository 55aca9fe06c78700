// bench.cpp: `v2g bench`: the order of a benchmark (config -> flags -> device -> copy test ->
// compute ceilings -> stages -> fused loop -> hand-off), the roofline arithmetic of each row,
// and the report as a table or as JSON. The stages run through perf/stage_timer.h, the
// fused loop and the hand-off through the Backend the trainer uses; bytes come from
// perf/phase_traffic.h. The model is documented in docs/PERFORMANCE.md ("v2g bench").
#include "perf/bench.h"

#include <nlohmann/json.hpp>
#include "common/clock.h"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <limits>

#include "common/errors.h"
#include "env/layout.h"
#include "ledger/sha256_ni.h"
#include "perf/stage_timer.h"
#include "problem/problem.h"
#include "common/text_format.h"
#include "train/trainer.h"

namespace v2g {
namespace {


constexpr int kDefaultEpisodes = 3;                // timed episodes, each path
constexpr int kWarmupEpisodes = 1;                 // untimed first: fresh pages, caches, first launches
constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kCpuCopyBytes = 128 * kMiB;       // 4x this CPU's 32 MiB L3: from memory, not cache
constexpr size_t kCudaCopyBytes = 1024 * kMiB;     // 20x an H100's 50 MB L2
constexpr int kCopyRepeats = 5;                    // the best of these copies
constexpr size_t kCacheCopyBytes = 256 * 1024;     // in-cache copy (hand-off ceiling): 2 x 256 KiB in L2
constexpr int kCacheCopyRepeats = 200;
constexpr double kCeilingSeconds = 0.2;            // run the in-cache stages at least this long
constexpr int kCeilingBatchEpisodes = 16;
constexpr double kHandoffMemoryHeadroom = 1.25;    // the hand-off copy must fit in free memory with this margin
constexpr int kHandoffRepeats = 3;
constexpr size_t kShaCeilingPairs = 2048;          // 128 KiB of children, 64 KiB of digests: in L2
constexpr double kShaCeilingSeconds = 0.2;         // hash at least this long
constexpr int kShaCompressionsPerNode = 2;         // 0x01 || left || right: 65 bytes, two blocks




// The machine's SHA-256 rate for the Merkle stage: SHA-NI compressions per second of one
// thread hashing independent in-cache messages (sha256_ni_nodes, the tree's own kernel: two
// messages interleaved), so a tree's rate can be read as a share of what the core does at all.
// 0 where the CPU has no SHA extensions.
double sha_ni_compressions_per_second() {
    if (!ledger::cpu_has_sha_ni()) return 0.0;
    std::vector<uint8_t> children(kShaCeilingPairs * 64), digests(kShaCeilingPairs * 32);
    for (size_t i = 0; i < children.size(); ++i) children[i] = static_cast<uint8_t>(i * 131 + 7);
    ledger::sha256_ni_nodes(children.data(), kShaCeilingPairs, digests.data());  // warm: pages, caches
    int64_t rounds = 0;
    const Clock::time_point t0 = Clock::now();
    double seconds = 0;
    while (seconds < kShaCeilingSeconds) {
        ledger::sha256_ni_nodes(children.data(), kShaCeilingPairs, digests.data());
        children[0] ^= digests[0];  // each round depends on the last: nothing is optimised away
        ++rounds;
        seconds = seconds_since(t0);
    }
    return static_cast<double>(rounds) * kShaCeilingPairs * kShaCompressionsPerNode / seconds;
}

int parse_episodes(const std::string& text) {
    if (text.empty()) return kDefaultEpisodes;
    size_t used = 0;
    long v = 0;
    try {
        v = std::stol(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || v < 1 || v > std::numeric_limits<int>::max())
        throw InputError("--episodes " + text + ": expected a whole number of episodes >= 1");
    return static_cast<int>(v);
}

// Fills the roofline columns of a row from its units, seconds, bytes and compute ceiling.
void finish_row(StageReport* r, double peak) {
    r->rate = r->seconds > 0 ? r->units / r->seconds : 0.0;
    const double bytes = r->read_bytes_per_unit + r->write_bytes_per_unit;
    r->bandwidth = r->rate * bytes;
    r->peak_share = peak > 0 ? r->bandwidth / peak : 0.0;
    r->memory_ceiling = bytes > 0 ? peak / bytes : std::numeric_limits<double>::infinity();
    const bool compute_known = r->compute_ceiling > 0;
    const bool memory_binds = !compute_known || r->memory_ceiling <= r->compute_ceiling;
    r->bound = memory_binds ? "memory" : "compute";
    const double ceiling = memory_binds ? r->memory_ceiling : r->compute_ceiling;
    r->bound_share = std::isfinite(ceiling) && ceiling > 0 ? r->rate / ceiling : 0.0;
}

const char* const kStageNames[kNumTimedStages] = {"reset", "act", "market", "apply", "q_update", "summarize",
                                                  "tx_compact", "merkle"};
const char* const kStageCode[kNumTimedStages] = {
    "reset_vehicle + reset_community (once per episode)", "act_vehicle", "clear_community",
    "apply_vehicle (with the ledger: its two slots' used flags and the records of the transfers)", "learn_vehicle",
    "summarize_community (once per episode)", "compact_transactions (slots -> numbered records)",
    "merkle_root_fixed of the episode's records"};

// Units a stage processed: env-steps, or Merkle leaves.
double stage_units(const EnvParams& p, const StageTiming& t, int stage) {
    if (stage == kStageMerkle) return static_cast<double>(t.transactions);
    return static_cast<double>(p.num_vehicles) * p.steps_per_day * t.episodes;
}

// Bytes per unit of each timed stage, from the counted traffic of phase_traffic.h.
// `granule`: phase_traffic.h's kElementGranule on the CPU, kGpuSectorBytes on the GPU.
Traffic stage_traffic_total(const EnvParams& p, const StageTiming& t, int stage, int64_t granule) {
    Traffic total;
    const int64_t episodes = t.episodes;
    if (stage < kNumPhases) {
        const Traffic one = phase_traffic(p, static_cast<Phase>(stage), sizeof(EpisodeMetrics), granule);
        const bool per_episode = stage == kPhaseReset || stage == kPhaseSummarize;
        const int64_t calls = per_episode ? episodes : episodes * p.steps_per_day;
        total.read_bytes = one.read_bytes * calls;
        total.write_bytes = one.write_bytes * calls;
        if (stage == kPhaseApply && p.ledger_enabled) {
            // The used slots' records, counted per transaction (the few PV legs the market
            // writes included: phase_traffic.h emission_traffic).
            total.write_bytes += emission_traffic(t.transactions).write_bytes;
        }
    } else if (stage == kStageCompact) {
        total = compaction_traffic(slots_per_episode(p) * episodes, t.transactions);
    } else if (t.episodes > 0) {
        // The trees of the episodes differ a little in size; the mean tree's bytes stand for each.
        const int64_t mean_leaves = (t.transactions + episodes / 2) / episodes;
        const MerkleWork w = merkle_work(mean_leaves, static_cast<int64_t>(sizeof(Transaction)));
        total.read_bytes = w.traffic.read_bytes * episodes;
        total.write_bytes = w.traffic.write_bytes * episodes;
    }
    return total;
}

StageReport stage_row(const EnvParams& p, const StageTiming& t, int stage, int64_t granule) {
    StageReport r;
    r.name = kStageNames[stage];
    r.code = kStageCode[stage];
    r.unit = stage == kStageMerkle ? "leaf" : "env-step";
    r.units = stage_units(p, t, stage);
    r.seconds = t.seconds[stage];
    const Traffic total = stage_traffic_total(p, t, stage, granule);
    r.read_bytes_per_unit = r.units > 0 ? static_cast<double>(total.read_bytes) / r.units : 0.0;
    r.write_bytes_per_unit = r.units > 0 ? static_cast<double>(total.write_bytes) / r.units : 0.0;
    return r;
}

bool stage_runs(const EnvParams& p, int stage) { return p.ledger_enabled || stage < kNumPhases; }

// Free physical memory now (bytes).
double free_memory_bytes() {
    return static_cast<double>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

BenchReport run_bench_report(const Config& cfg, const DeviceChoice& device, int episodes) {
    const bool cuda = device.device == ComputeDevice::cuda;
    // Scattered Q accesses at the device's memory granule (phase_traffic.h): elements on the CPU,
    // 32-byte sectors on the GPU.
    const int64_t granule = cuda ? kGpuSectorBytes : kElementGranule;
    BenchReport rep;
    rep.device = choice_name(device.device);
    rep.device_reason = device.reason;
    rep.episodes = episodes;
    rep.threads = cuda ? 0 : (cfg.run.threads > 0 ? cpu_threads(cfg.run.threads) : omp_get_max_threads());
    rep.epsilon = cfg.learning.epsilon;
    rep.q_sharing = choice_name(cfg.learning.q_sharing);
    const float epsilon = static_cast<float>(cfg.learning.epsilon);

    // 1. The device's peak: the copy test.
    rep.copy_test_bytes = static_cast<double>(cuda ? kCudaCopyBytes : kCpuCopyBytes);
    rep.peak_bandwidth = cuda ? copy_bandwidth_cuda(kCudaCopyBytes, kCopyRepeats)
                              : copy_bandwidth_cpu(kCpuCopyBytes, rep.threads, kCopyRepeats);

    // 2. Compute ceilings (CPU): every stage on one community, one thread, data in L1/L2, run long
    //    enough to time; a stage's ceiling is its in-cache rate times the threads.
    StageTiming in_cache;
    EnvParams small_p{};
    double cache_copy_bandwidth = 0;
    if (!cuda) {
        Config small = cfg;
        small.fleet.vehicles = std::min(cfg.fleet.vehicles, cfg.fleet.community_size);
        small.run.threads = 1;
        Problem sp = build_problem(small);
        small_p = sp.params;
        double total = 0;
        int ceiling_episode = 0;
        while (total < kCeilingSeconds) {
            const StageTiming b = time_stages_cpu(&sp, 1, ceiling_episode, kWarmupEpisodes, kCeilingBatchEpisodes, epsilon);
            for (int s = 0; s < kNumTimedStages; ++s) {
                in_cache.seconds[s] += b.seconds[s];
                total += b.seconds[s];
            }
            in_cache.episodes += b.episodes;
            ceiling_episode += kWarmupEpisodes + b.episodes;
            in_cache.transactions += b.transactions;
        }
        cache_copy_bandwidth = copy_bandwidth_cpu(kCacheCopyBytes, 1, kCacheCopyRepeats);
        rep.sha_compressions_per_s = sha_ni_compressions_per_second() * rep.threads;
        rep.compute_ceiling_method = strprintf(
            "each stage on one community (%d vehicles) with its data in cache, one thread, %d episodes; x %d threads",
            small.fleet.vehicles, in_cache.episodes, rep.threads);
    } else {
        rep.compute_ceiling_method = "not measured on CUDA in this version (the memory ceiling is reported)";
    }

    // 3. The stages, one at a time, over the whole fleet.
    Problem problem = build_problem(cfg);
    const EnvParams p = problem.params;
    rep.vehicles = p.num_vehicles;
    rep.communities = p.num_communities;
    rep.community_size = p.community_size;
    rep.steps_per_episode = p.steps_per_day;
    rep.ledger = p.ledger_enabled != 0;
    const StageTiming st = cuda ? time_stages_cuda(problem, 0, kWarmupEpisodes, episodes, epsilon)
                                : time_stages_cpu(&problem, rep.threads, 0, kWarmupEpisodes, episodes, epsilon);
    const double env_steps = static_cast<double>(p.num_vehicles) * p.steps_per_day * episodes;
    const double leaves_per_env_step = env_steps > 0 ? static_cast<double>(st.transactions) / env_steps : 0.0;
    StageReport sum;
    sum.name = "sum_of_stages";
    sum.code = "the stages above but the hand-off, one after another";
    sum.unit = "env-step";
    sum.units = env_steps;
    double compute_time_per_env_step = 0;  // sum of the stages' in-cache times
    for (int s = 0; s < kNumTimedStages; ++s) {
        if (!stage_runs(p, s)) continue;
        StageReport r = stage_row(p, st, s, granule);
        if (!cuda) {
            const double small_units = stage_units(small_p, in_cache, s);
            r.compute_ceiling = in_cache.seconds[s] > 0 ? small_units / in_cache.seconds[s] * rep.threads : 0.0;
            // Per env-step: a Merkle leaf ceiling scales by the leaves each env-step emits.
            const double per_env_step = s == kStageMerkle ? leaves_per_env_step : 1.0;
            if (r.compute_ceiling > 0) compute_time_per_env_step += per_env_step / r.compute_ceiling;
            if (s == kStageMerkle && rep.sha_compressions_per_s > 0 && st.episodes > 0) {
                // The mean tree's compressions per leaf (3 - 2/n) at the machine's SHA-NI rate.
                const int64_t leaves = (st.transactions + st.episodes / 2) / st.episodes;
                const MerkleWork w = merkle_work(leaves, static_cast<int64_t>(sizeof(Transaction)));
                if (leaves > 0)
                    r.hardware_ceiling = rep.sha_compressions_per_s * static_cast<double>(leaves) /
                                         static_cast<double>(w.compressions);
            }
        }
        finish_row(&r, rep.peak_bandwidth);
        const double per_env_step = s == kStageMerkle ? leaves_per_env_step : 1.0;
        sum.seconds += r.seconds;
        sum.read_bytes_per_unit += r.read_bytes_per_unit * per_env_step;
        sum.write_bytes_per_unit += r.write_bytes_per_unit * per_env_step;
        rep.stages.push_back(r);
    }

    // 4. The fused loop: Backend::run_episodes, as the trainer calls it (after one warm-up episode).
    auto backend = cuda ? make_cuda_backend(problem) : make_cpu_backend(std::move(problem), rep.threads);
    rep.backend = backend->name();
    std::vector<EpisodeMetrics> metrics(static_cast<size_t>(p.num_communities) * episodes);
    std::vector<EpisodeLedger> blocks(rep.ledger ? static_cast<size_t>(episodes) : 0);
    std::vector<float> eps(static_cast<size_t>(episodes), epsilon);
    int next_episode = kWarmupEpisodes + episodes;
    backend->run_episodes(next_episode++, 1, kPolicyLearn, eps.data(), metrics.data(), rep.ledger ? blocks.data() : nullptr);
    const auto fused_run = [&] {
        backend->run_episodes(next_episode, episodes, kPolicyLearn, eps.data(), metrics.data(),
                              rep.ledger ? blocks.data() : nullptr);
    };
    StageReport fused;
    fused.name = "fused_loop";
    fused.code = "Backend::run_episodes (" + rep.backend + "), as training runs it";
    fused.unit = "env-step";
    fused.units = env_steps;
    if (cuda) {
        fused.seconds = time_cuda_region("fused_loop", fused_run);
    } else {
        const Clock::time_point t0 = Clock::now();
        fused_run();
        fused.seconds = seconds_since(t0);
    }
    int64_t fused_tx = 0;
    for (const EpisodeLedger& b : blocks) fused_tx += static_cast<int64_t>(b.tx_count);
    const int64_t mean_fused_tx = (fused_tx + episodes / 2) / episodes;
    const Traffic fused_traffic = fused_episode_traffic(p, sizeof(EpisodeMetrics), mean_fused_tx, granule);
    const double env_steps_per_episode = static_cast<double>(p.num_vehicles) * p.steps_per_day;
    fused.read_bytes_per_unit = static_cast<double>(fused_traffic.read_bytes) / env_steps_per_episode;
    fused.write_bytes_per_unit = static_cast<double>(fused_traffic.write_bytes) / env_steps_per_episode;

    // 5. The results hand-off: what the trainer copies out of the backend for the results writer
    //    at a checkpoint (the whole fleet buffer; Backend::read_fleet into a recycled buffer), once
    //    per results.checkpoint_every episodes; the state part only when a second copy of the
    //    whole buffer does not fit in free memory.
    size_t state_bytes = 0;
    FleetView measure{};
    const size_t fleet_bytes = layout_fleet(p, nullptr, &measure, &state_bytes);
    const bool whole = static_cast<double>(fleet_bytes) * kHandoffMemoryHeadroom < free_memory_bytes();
    const size_t handoff_bytes = whole ? fleet_bytes : state_bytes;
    rep.handoff_part = whole ? "the whole fleet buffer (state and Q-tables), as for a checkpoint"
                             : "the fleet's state part only: a second copy of the Q-tables does not fit in free memory";
    rep.handoff_stride_episodes = cfg.results.checkpoint_every > 0 ? cfg.results.checkpoint_every : cfg.run.episodes;
    std::vector<char> handoff;
    backend->read_fleet(&handoff, handoff_bytes);  // the recycled buffer: touched once, as the writer's
    StageReport h;
    h.name = "hdf5_handoff";
    h.code = "Backend::read_fleet into a recycled buffer (trainer -> results writer)";
    h.unit = "env-step";
    for (int i = 0; i < kHandoffRepeats; ++i) {
        const auto copy = [&] { backend->read_fleet(&handoff, handoff_bytes); };
        if (cuda) {
            h.seconds += time_cuda_region("hdf5_handoff", copy);
        } else {
            const Clock::time_point t0 = Clock::now();
            copy();
            h.seconds += seconds_since(t0);
        }
    }
    // One hand-off serves handoff_stride_episodes episodes of the whole fleet.
    h.units = kHandoffRepeats * env_steps_per_episode * rep.handoff_stride_episodes;
    const double handoff_units = env_steps_per_episode * rep.handoff_stride_episodes;
    h.read_bytes_per_unit = static_cast<double>(handoff_bytes) / handoff_units;
    h.write_bytes_per_unit = static_cast<double>(handoff_bytes) / handoff_units;
    if (!cuda) {
        // read_fleet copies on the calling thread: its ceiling is one thread's in-cache copy.
        const double bytes = h.read_bytes_per_unit + h.write_bytes_per_unit;
        h.compute_ceiling = bytes > 0 ? cache_copy_bandwidth / bytes : 0.0;
    }
    finish_row(&h, rep.peak_bandwidth);
    rep.stages.push_back(h);

    // The sum of the stages and the fused loop share the in-cache compute ceiling: the same phase
    // code, back to back.
    if (compute_time_per_env_step > 0) {
        sum.compute_ceiling = 1.0 / compute_time_per_env_step;
        fused.compute_ceiling = sum.compute_ceiling;
    }
    finish_row(&sum, rep.peak_bandwidth);
    finish_row(&fused, rep.peak_bandwidth);
    rep.stages.push_back(sum);
    rep.stages.push_back(fused);
    return rep;
}

std::string bench_json(const BenchReport& r) {
    nlohmann::ordered_json j = {
        {"v2g_version", V2G_VERSION},
        {"device", r.device},
        {"device_reason", r.device_reason},
        {"backend", r.backend},
        {"vehicles", r.vehicles},
        {"communities", r.communities},
        {"community_size", r.community_size},
        {"steps_per_episode", r.steps_per_episode},
        {"episodes", r.episodes},
        {"threads", r.threads},
        {"ledger", r.ledger},
        {"q_sharing", r.q_sharing},
        {"epsilon", r.epsilon},
        {"peak_bandwidth_bytes_per_s", r.peak_bandwidth},
        {"copy_test_bytes", r.copy_test_bytes},
        {"compute_ceiling_method", r.compute_ceiling_method},
        {"sha_ni_compressions_per_s", r.sha_compressions_per_s > 0 ? nlohmann::ordered_json(r.sha_compressions_per_s) : nullptr},
        {"handoff_stride_episodes", r.handoff_stride_episodes},
        {"handoff_part", r.handoff_part},
    };
    nlohmann::ordered_json& stages = j["stages"] = nlohmann::ordered_json::array();
    for (const StageReport& s : r.stages)
        stages.push_back({
            {"name", s.name},
            {"code", s.code},
            {"unit", s.unit},
            {"units", s.units},
            {"seconds", s.seconds},
            {"rate_per_s", s.rate},
            {"read_bytes_per_unit", s.read_bytes_per_unit},
            {"write_bytes_per_unit", s.write_bytes_per_unit},
            {"bytes_per_unit", s.read_bytes_per_unit + s.write_bytes_per_unit},
            {"bandwidth_bytes_per_s", s.bandwidth},
            {"peak_share", s.peak_share},
            {"memory_ceiling_per_s", s.memory_ceiling},
            {"compute_ceiling_per_s", s.compute_ceiling > 0 ? nlohmann::ordered_json(s.compute_ceiling) : nullptr},
            {"hardware_ceiling_per_s", s.hardware_ceiling > 0 ? nlohmann::ordered_json(s.hardware_ceiling) : nullptr},
            {"bound", s.bound},
            {"bound_share", s.bound_share},
        });
    return j.dump(2) + "\n";
}

void print_bench(std::FILE* out, const BenchReport& r) {
    constexpr double kPercent = 100.0;
    std::fprintf(out, "v2g bench      %d vehicles (%d communities of %d), %d steps per episode, %d timed episodes, "
                      "epsilon %.3g, ledger %s, Q-tables per %s\n",
                 r.vehicles, r.communities, r.community_size, r.steps_per_episode, r.episodes, r.epsilon,
                 r.ledger ? "on" : "off", r.q_sharing.c_str());
    std::fprintf(out, "device         %s (%s)\n", r.device.c_str(), r.device_reason.c_str());
    std::fprintf(out, "backend        %s\n", r.backend.c_str());
    std::fprintf(out, "peak           %sB/s: copy test of %s B, read + written counted, best of %d\n",
                 human_rate(r.peak_bandwidth).c_str(), human_rate(r.copy_test_bytes).c_str(), kCopyRepeats);
    std::fprintf(out, "compute        %s\n", r.compute_ceiling_method.c_str());
    std::fprintf(out, "hand-off       %s, once per %d episodes\n", r.handoff_part.c_str(), r.handoff_stride_episodes);
    std::fprintf(out, "\n%-14s %10s %12s %-9s %8s %10s %7s %12s %12s %-8s %7s\n", "stage", "time (s)", "rate (/s)",
                 "unit", "B/unit", "B/s", "%peak", "mem ceiling", "cmp ceiling", "bound", "%bound");
    for (const StageReport& s : r.stages) {
        if (s.name == "sum_of_stages") std::fprintf(out, "\n");
        std::fprintf(out, "%-14s %10.4g %12s %-9s %8.4g %10s %6.1f%% %12s %12s %-8s %6.1f%%\n", s.name.c_str(),
                     s.seconds, human_rate(s.rate).c_str(), s.unit.c_str(), s.read_bytes_per_unit + s.write_bytes_per_unit,
                     human_rate(s.bandwidth).c_str(), s.peak_share * kPercent, human_rate(s.memory_ceiling).c_str(),
                     s.compute_ceiling > 0 ? human_rate(s.compute_ceiling).c_str() : "n/a", s.bound.c_str(),
                     s.bound_share * kPercent);
    }
    for (const StageReport& s : r.stages)
        if (s.hardware_ceiling > 0)
            std::fprintf(out, "\nsha-ni         %s at %s leaves/s = %.1f%% of this machine's SHA-NI rate (%s "
                              "compressions/s: one thread hashing in-cache messages, x %d %s; %.3g compressions "
                              "per leaf)\n",
                         s.name.c_str(), human_rate(s.rate).c_str(), s.rate / s.hardware_ceiling * kPercent,
                         human_rate(r.sha_compressions_per_s).c_str(), r.threads, r.threads == 1 ? "thread" : "threads",
                         r.sha_compressions_per_s / s.hardware_ceiling);
    std::fprintf(out, "\nB/unit: bytes read + written per unit, counted field by field (perf/phase_traffic.h)%s; "
                      "reset and summarize run once per episode, the market once per community-step, all per "
                      "env-step. Ceilings in units/s; %%bound = rate / the lower ceiling (docs/PERFORMANCE.md).\n",
                 r.device == "cuda" ? ", Q rows in the 32-byte sectors they touch" : "");
}

int run_bench(const BenchArgs& args) {
    Config cfg;
    if (!args.config_path.empty()) cfg = load_config_text(read_text_file(args.config_path), args.config_path);
    for (const std::string& s : args.sets) apply_override(&cfg, s);
    apply_flag(&cfg, "--vehicles", "fleet.vehicles", args.vehicles);
    apply_flag(&cfg, "--device", "run.device", args.device);
    apply_flag(&cfg, "--threads", "run.threads", args.threads);
    const int episodes = parse_episodes(args.episodes);
    // A bigger fleet has more communities, and the ledger needs a contract per community (plus
    // two): raise ledger.contracts when --vehicles outgrew it, unless --set gave it.
    bool contracts_given = false;
    for (const std::string& s : args.sets) contracts_given |= s.rfind("ledger.contracts=", 0) == 0;
    const int communities = cfg.fleet.community_size > 0
                                ? (cfg.fleet.vehicles + cfg.fleet.community_size - 1) / cfg.fleet.community_size
                                : 0;
    constexpr int kContractsBeyondCommunities = 2;  // config/config.cpp: at least communities + 2
    const bool raise_contracts = !args.vehicles.empty() && !contracts_given && cfg.ledger.enabled &&
                                 cfg.ledger.contracts < communities + kContractsBeyondCommunities;
    if (raise_contracts) cfg.ledger.contracts = communities + kContractsBeyondCommunities;
    validate(cfg);
    if (cfg.learning.policy != LearnerPolicy::tabular)
        throw InputError("learning.policy = '" + std::string(choice_name(cfg.learning.policy)) +
                         "': v2g bench times the tabular engine only");
    const DeviceChoice device = choose_device(cfg.run.device);
    // Notes only once the input is known good: bad input prints exactly one line.
    if (raise_contracts)
        std::fprintf(stderr, "bench: ledger.contracts raised to %d (at least communities + 2)\n", cfg.ledger.contracts);
    std::fprintf(stderr, "device: %s (%s)\n", choice_name(device.device), device.reason.c_str());
    const BenchReport report = run_bench_report(cfg, device, episodes);
    if (args.json)
        std::fputs(bench_json(report).c_str(), stdout);
    else
        print_bench(stdout, report);
    std::fflush(stdout);
    return 0;
}

}  // namespace v2g
