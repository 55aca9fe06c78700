// trainer.cpp: the training loop on the host side: epsilon schedule, episode chunks sized so
// progress arrives a few times a second, fleet metrics merged in community order (so the
// numbers do not depend on thread count or device), and the final summary.
#include "train/trainer.h"
#include "common/clock.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <thread>
#include "common/errors.h"
#include "env/layout.h"

namespace v2g {
namespace {

constexpr double kProgressIntervalS = 0.25;  // aim for this much work per chunk
constexpr int kSummaryWindow = 100;          // "first/last 100 episodes" in the summary


}  // namespace

DeviceChoice choose_device(ComputeDevice requested) {
    std::string why;
    if (requested == ComputeDevice::cpu) return {ComputeDevice::cpu, "requested with --device cpu"};
    const bool usable = cuda_usable(&why);
    if (requested == ComputeDevice::cuda) {
        if (!usable) throw InputError("--device cuda: " + why);
        return {ComputeDevice::cuda, "requested with --device cuda; " + why};
    }
    if (usable) return {ComputeDevice::cuda, "auto: " + why};
    return {ComputeDevice::cpu, "auto: no usable GPU (" + why + ")"};
}

int cpu_threads(int requested) {
    // Beyond a few threads per core they only contend for the cores (and OpenMP reserves a
    // stack for each): results do not depend on the count, so a larger request is clamped.
    constexpr int kThreadsPerCore = 4;
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const int cap = kThreadsPerCore * cores;
    if (requested <= cap) return requested;
    static std::once_flag told;
    std::call_once(told, [&] {
        std::fprintf(stderr, "threads: run.threads = %d, using %d (%d per core on this machine's %d cores; results do "
                             "not depend on it)\n", requested, cap, kThreadsPerCore, cores);
    });
    return cap;
}

std::unique_ptr<Backend> make_backend(const DeviceChoice& choice, Problem problem, int threads, bool adaptive_threads) {
    if (choice.device == ComputeDevice::cuda) return make_cuda_backend(problem);
    return make_cpu_backend(std::move(problem), cpu_threads(threads), adaptive_threads);
}

float epsilon_for_episode(const Config& cfg, int episode) {
    const double eps = cfg.learning.epsilon * std::pow(cfg.learning.epsilon_decay, static_cast<double>(episode));
    return static_cast<float>(std::max(cfg.learning.epsilon_min, eps));
}

EpisodeMetrics merge_communities(const EpisodeMetrics* per_community, int communities) {
    EpisodeMetrics fleet{};
    for (int c = 0; c < communities; ++c) merge_metrics(&fleet, per_community[c]);
    return fleet;
}

Digest run_id_of(const Config& cfg) {
    // Where and on how many threads a run trains cannot change its results (the parity,
    // determinism and lanes tests), so neither changes its chain: those keys at their defaults.
    Config what = cfg;
    const Config defaults;
    what.run.device = defaults.run.device;
    what.run.threads = defaults.run.threads;
    what.run.adaptive_threads = defaults.run.adaptive_threads;
    const std::string text = dump_config(what);
    return ledger::sha256_digest(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

Trainer::Trainer(const Config& cfg, const EnvParams& params, std::unique_ptr<Backend> backend, LedgerOutput ledger)
    : cfg_(cfg), params_(params), ledger_(std::move(ledger)), backend_(std::move(backend)) {}

void Trainer::set_results(ResultsSink* sink, SnapshotStrides strides) {
    sink_ = sink;
    strides_ = strides;
}

void Trainer::resume_from(ResumeState state) {
    if (state.next_episode == 0) return;  // nothing done yet: an ordinary start
    backend_->write_fleet(state.fleet);
    backend_->load_learner(state.learner);
    resume_ = std::move(state);
    resuming_ = true;
}

namespace {

bool due(int episodes_done, int stride) { return stride > 0 && episodes_done % stride == 0; }

// The next episode count at which some stride is due: chunks end there.
int next_stop(int done, const SnapshotStrides& s, int total) {
    int stop = total;
    for (int stride : {s.vehicle, s.q, s.checkpoint})
        if (stride > 0) stop = std::min(stop, (done / stride + 1) * stride);
    return stop;
}

// Per-vehicle summaries of the episode the fleet buffer has just finished.
void fill_vehicle_snapshot(const EnvParams& p, const FleetView& f, ChunkData* c) {
    const size_t n = static_cast<size_t>(p.num_vehicles);
    c->soc_end.resize(n);
    c->soh.resize(n);
    c->reward.resize(n);
    c->unmet_kwh.resize(n);
    for (size_t v = 0; v < n; ++v) {
        c->soc_end[v] = soc_of(f.energy_kwh[v], f.usable_kwh[v]);
        c->soh[v] = f.soh[v];
        c->reward[v] = static_cast<float>(day_money(f, v));
        c->unmet_kwh[v] = f.ep_unmet_kwh[v];
    }
}

// This process's peak resident set: what a fleet of this size needs of host memory.
int64_t peak_rss_bytes() {
    constexpr int64_t kBytesPerKilobyte = 1024;  // getrusage reports ru_maxrss in KiB on Linux
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return static_cast<int64_t>(usage.ru_maxrss) * kBytesPerKilobyte;
}

}  // namespace

TrainSummary Trainer::train(const std::function<void(const TrainProgress&)>& on_progress) {
    const EnvParams& p = params_;
    TrainSummary sum;
    sum.backend = backend_->name();
    sum.episodes = cfg_.run.episodes;
    sum.vehicles = p.num_vehicles;
    sum.steps_per_day = p.steps_per_day;
    const double steps_per_episode = static_cast<double>(p.num_vehicles) * p.steps_per_day;
    size_t state_bytes = 0;
    {
        FleetView measure{};
        sum.fleet_bytes = layout_fleet(p, nullptr, &measure, &state_bytes);
        SignalsView signals{};
        sum.signal_bytes = layout_signals(p, nullptr, &signals);
        // The Q-tables are the buffer's tail; the rest (with its alignment padding) is state.
        sum.q_table_bytes = static_cast<size_t>(num_q_tables(p)) * static_cast<size_t>(num_states(p)) * kNumActions *
                            (p.q_bf16 ? sizeof(uint16_t) : sizeof(float));
        sum.fleet_state_bytes = sum.fleet_bytes - sum.q_table_bytes;
    }

    std::vector<EpisodeMetrics> per_community;
    std::vector<float> eps;
    // The ledger: without a file the blocks are still hashed and chained (in memory).
    sum.ledger = p.ledger_enabled != 0;
    std::vector<EpisodeLedger> blocks;
    std::unique_ptr<LedgerWriter> writer;
    if (sum.ledger) {
        writer = std::make_unique<LedgerWriter>(ledger_.path, ledger_.contracts, ledger_.run_id,
                                                resuming_ ? &resume_.ledger_tip : nullptr);
        sum.ledger_path = ledger_.path;
    }
    const int keep_from = cfg_.ledger.store_transactions == StoredTransactions::all    ? 0
                          : cfg_.ledger.store_transactions == StoredTransactions::last ? cfg_.run.episodes - 1
                                                              : INT_MAX;
    const int start = resuming_ ? resume_.next_episode : 0;
    if (resuming_) {
        sum.episodes_metrics = resume_.metrics;
        sum.epsilons = resume_.epsilons;
    }
    double commit_seconds = 0, latency_seconds = 0;
    int blocks_this_session = 0;
    const auto t0 = std::chrono::steady_clock::now();
    int chunk = 1;
    std::vector<char> fleet;
    for (int first = start; first < cfg_.run.episodes;) {
        const int count = std::min(chunk, next_stop(first, strides_, cfg_.run.episodes) - first);
        eps.resize(count);
        for (int i = 0; i < count; ++i) eps[i] = epsilon_for_episode(cfg_, first + i);
        per_community.resize(static_cast<size_t>(count) * p.num_communities);
        const auto tc = std::chrono::steady_clock::now();
        blocks.resize(sum.ledger ? static_cast<size_t>(count) : 0);
        backend_->run_episodes(first, count, kPolicyLearn, eps.data(), per_community.data(),
                               sum.ledger ? blocks.data() : nullptr, keep_from);
        const double chunk_s = seconds_since(tc);
        ChunkData out;
        bool out_checkpointed = false;
        out.first_episode = first;
        out.env_steps_per_s = chunk_s > 0 ? steps_per_episode * count / chunk_s : 0.0;
        for (int i = 0; i < count; ++i) {
            const EpisodeMetrics m =
                merge_communities(per_community.data() + static_cast<size_t>(i) * p.num_communities, p.num_communities);
            sum.episodes_metrics.push_back(m);
            sum.epsilons.push_back(eps[i]);
            out.metrics.push_back(m);
            out.epsilons.push_back(eps[i]);
            if (!sum.ledger) continue;
            uint64_t rejected = 0;
            for (int r = 1; r < kNumRejectReasons; ++r) rejected += static_cast<uint64_t>(m.rejected[r]);
            out.blocks.push_back(writer->append(first + i, p.steps_per_day, rejected, blocks[i]));
            out.stored_transactions.push_back(std::move(blocks[i].transactions));
            commit_seconds += blocks[i].commit_seconds;
            // A block commits when its episode's compute and its hashing are done: on average
            // one chunk's share of wall time.
            latency_seconds += chunk_s / count;
            ++blocks_this_session;
        }
        if (sum.ledger) writer->flush();
        first += count;
        out.last = first == cfg_.run.episodes;
        if (sink_) {
            // The final chunk always brings per-vehicle data and the final Q-tables (written once,
            // as /qtables/final, unless a snapshot row is due anyway), and a checkpoint: the
            // trained state that `v2g eval` starts every policy from.
            out.vehicle_snapshot = due(first, strides_.vehicle) || out.last;
            out.q_snapshot = due(first, strides_.q);
            out.checkpoint = due(first, strides_.checkpoint) || out.last;
            if (out.vehicle_snapshot || out.q_snapshot || out.checkpoint || out.last) {
                out.fleet = sink_->spare_buffer();
                backend_->read_fleet(&out.fleet, out.q_snapshot || out.checkpoint || out.last ? SIZE_MAX : state_bytes);
                FleetView f{};
                layout_fleet(p, out.fleet.data(), &f);
                if (out.vehicle_snapshot) fill_vehicle_snapshot(p, f, &out);
                if (out.checkpoint && sum.ledger) out.ledger_tip = writer->tip();
                if (out.checkpoint) backend_->save_learner(&out.learner);
                if (out.last && !trace_signals_.empty())
                    out.day = trace_day(p, out.fleet, trace_signals_, cfg_.run.episodes, day_start_hour_);
            }
            out_checkpointed = out.checkpoint;
            sink_->write_chunk(std::move(out));
        }
        if (stop_ && stop_->load() && first < cfg_.run.episodes) {
            // Interrupted: leave a checkpoint at this episode unless the chunk just wrote one.
            if (sink_ && !out_checkpointed) {
                ChunkData ckpt;
                ckpt.first_episode = first;
                ckpt.checkpoint = true;
                ckpt.fleet = sink_->spare_buffer();
                backend_->read_fleet(&ckpt.fleet);
                backend_->save_learner(&ckpt.learner);
                if (sum.ledger) ckpt.ledger_tip = writer->tip();
                sink_->write_chunk(std::move(ckpt));
            }
            sum.interrupted = true;
            break;
        }
        // Grow the chunk until a chunk takes about kProgressIntervalS.
        const int max_chunk = std::min(max_chunk_, max_episodes_per_call(p));
        if (chunk_s < kProgressIntervalS / 2 && chunk < max_chunk) chunk = std::min(2 * chunk, max_chunk);
        if (on_progress) {
            const double elapsed = seconds_since(t0);
            TrainProgress pr;
            pr.episodes_done = first;
            pr.episodes_total = cfg_.run.episodes;
            pr.elapsed_s = elapsed;
            pr.env_steps_per_s = elapsed > 0 ? steps_per_episode * (first - start) / elapsed : 0.0;
            pr.mean_reward = sum.episodes_metrics.back().reward / p.num_vehicles;
            pr.epsilon = eps.back();
            on_progress(pr);
        }
    }
    if (sink_ && resuming_ && start == cfg_.run.episodes) {
        // Killed after its final checkpoint (every episode is in the file) but perhaps before
        // /qtables/final, /day or the status were on disk: write the final chunk again from the
        // checkpointed state. Its per-episode, per-vehicle, snapshot and ledger rows were copied.
        ChunkData out;
        out.first_episode = start;
        out.last = true;
        out.fleet = sink_->spare_buffer();
        backend_->read_fleet(&out.fleet);
        if (!trace_signals_.empty())
            out.day = trace_day(p, out.fleet, trace_signals_, cfg_.run.episodes, day_start_hour_);
        sink_->write_chunk(std::move(out));
    }
    sum.seconds = seconds_since(t0);
    sum.peak_rss_bytes = peak_rss_bytes();
    sum.device_memory = backend_->device_memory();
    sum.backend = backend_->name();  // again: a CPU backend adds how many threads its episodes used
    const int done = static_cast<int>(sum.episodes_metrics.size());
    sum.episodes_done = done;
    sum.first_episode = start;
    sum.env_steps_per_s = sum.seconds > 0 ? steps_per_episode * (done - start) / sum.seconds : 0.0;
    if (sink_) sum.writer_wait_seconds = sink_->seconds_waited();
    if (sum.ledger) {
        double latency_steps = 0;
        for (const EpisodeMetrics& m : sum.episodes_metrics) {
            sum.transactions += static_cast<uint64_t>(m.tx_count);
            latency_steps += static_cast<double>(m.tx_latency_steps);
            for (int r = 1; r < kNumRejectReasons; ++r) sum.rejected[r] += m.rejected[r];
        }
        sum.blocks = sum.episodes_metrics.size();
        sum.transactions_per_s = sum.seconds > 0 ? static_cast<double>(sum.transactions) / sum.seconds : 0.0;
        if (blocks_this_session > 0) {
            sum.commit_seconds_per_block = commit_seconds / blocks_this_session;
            sum.latency_seconds_per_block = latency_seconds / blocks_this_session;
        }
        sum.latency_steps = sum.transactions ? latency_steps / static_cast<double>(sum.transactions) : 0.0;
        sum.tip_hash = ledger::to_hex(writer->tip_hash());
    }

    sum.window = std::min(kSummaryWindow, done);
    for (int i = 0; i < sum.window; ++i) {
        const EpisodeMetrics& last = sum.episodes_metrics[static_cast<size_t>(done - sum.window + i)];
        sum.mean_reward_first += sum.episodes_metrics[i].reward;
        sum.mean_reward_last += last.reward;
#define V2G_METRIC_ADD(member, type, merge, column, per, units, meaning) \
    sum.last.member += static_cast<double>(last.member);
        V2G_EPISODE_METRICS(V2G_METRIC_ADD)
#undef V2G_METRIC_ADD
    }
    const double per_episode = std::max(1.0, static_cast<double>(sum.window));
    const double per_vehicle_episode = per_episode * p.num_vehicles;
    sum.mean_reward_first /= per_vehicle_episode;
    sum.mean_reward_last /= per_vehicle_episode;
#define V2G_METRIC_MEAN_OF(member, type, merge, column, per, units, meaning) \
    sum.last.member /= k##per ? per_vehicle_episode : per_episode;
    V2G_EPISODE_METRICS(V2G_METRIC_MEAN_OF)
#undef V2G_METRIC_MEAN_OF

    backend_->read_fleet(&fleet, state_bytes);
    FleetView f{};
    layout_fleet(p, fleet.data(), &f);
    sum.soc_min = sum.soh_min = 1e300;
    sum.soc_max = sum.soh_max = -1e300;
    for (int v = 0; v < p.num_vehicles; ++v) {
        const double soc = soc_of(f.energy_kwh[v], f.usable_kwh[v]), soh = f.soh[v];
        sum.soc_mean += soc;
        sum.soh_mean += soh;
        sum.soc_min = std::min(sum.soc_min, soc);
        sum.soc_max = std::max(sum.soc_max, soc);
        sum.soh_min = std::min(sum.soh_min, soh);
        sum.soh_max = std::max(sum.soh_max, soh);
    }
    sum.soc_mean /= p.num_vehicles;
    sum.soh_mean /= p.num_vehicles;
    return sum;
}

}  // namespace v2g
