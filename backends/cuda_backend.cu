// cuda_backend.cu: the CUDA backend: the episode schedule's kernels (cuda_schedule.cuh) on the
// device's copy of the fleet, the same functions the CPU backend runs; per-vehicle and
// per-community tables one block per community, a fleet-shared table one cooperative grid. No
// host round trip inside an episode; the host reads back per-community metrics once per
// run_episodes call.
// Ledger: after each episode the used transaction slots are compacted on the device
// (cub::DeviceSelect::Flagged on their used flags, stable: slot order as on the CPU), numbered
// and sealed by a kernel, and hashed by the device Merkle hasher in the slots' buffer
// (cuda_compact.cuh); only the root and the count come back, and the records only when the run
// keeps them. Every buffer's size is device_memory.h's plan.
#include <cuda_runtime.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include "common/cuda_check.h"
#include "backends/cuda_compact.cuh"
#include "backends/cuda_schedule.cuh"
#include "backends/backend.h"
#include "backends/batch_launch.h"
#include "backends/device_memory.h"
#include "env/layout.h"
#include "ledger/merkle.h"

namespace v2g {
namespace {

__global__ void episode_by_community_kernel(EnvParams p, SignalsView sig, FleetView f, int episode, int mode,
                                            float epsilon, EpisodeMetrics* out) {
    NoHooks hooks;
    community_episode(p, sig, f, static_cast<int>(blockIdx.x), episode, mode, epsilon, hooks, out);
}

// A batch (batch_launch.h): one job per problem, its communities as blocks
// [first_block, first_block + communities) of one launch.
struct CommunityJob {
    EnvParams p;
    SignalsView sig;
    FleetView f;
    int episode;
    int mode;
    float epsilon;
    EpisodeMetrics* out;  // the problem's metrics of this episode, one per community
    int first_block;
};

// Napkin math: as episode_by_community_kernel per block; a block finds its job by binary search
// over the jobs' first blocks (log2(jobs) reads of 4 bytes) and reads the job's parameters and
// views (~1 KB) from global memory, through the cache, shared by the block's threads.
__global__ void batch_episode_kernel(const CommunityJob* jobs, int n_jobs) {
    const int b = blockIdx.x;
    int lo = 0, hi = n_jobs - 1;  // the last job whose first block is <= b
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (jobs[mid].first_block <= b) lo = mid;
        else hi = mid - 1;
    }
    // The job into shared memory, word by word by the whole block: read once from global memory,
    // then from shared memory, which no store of the episode can alias (so no reloads).
    __shared__ CommunityJob job;
    const uint32_t* from = reinterpret_cast<const uint32_t*>(&jobs[lo]);
    uint32_t* to = reinterpret_cast<uint32_t*>(&job);
    for (size_t w = threadIdx.x; w < sizeof(CommunityJob) / sizeof(uint32_t); w += blockDim.x) to[w] = from[w];
    __syncthreads();
    NoHooks hooks;
    community_episode(job.p, job.sig, job.f, b - job.first_block, job.episode, job.mode, job.epsilon, hooks, job.out);
}

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(const Problem& problem) : p_(problem.params) {
        // Every size comes from the plan (device_memory.h) that the CPU test and the docs check.
        if (p_.ledger_enabled) commit_ = std::make_unique<DeviceLedgerCommit>(static_cast<size_t>(slots_per_episode(p_)));
        plan_ = device_memory_plan(p_, 0, commit_ ? commit_->temp_bytes() : 0);
        fleet_bytes_ = device_allocation_bytes(plan_, "fleet");
        if (fleet_bytes_ != problem.fleet.size() || device_allocation_bytes(plan_, "signals") != problem.signals.size())
            throw std::logic_error("CUDA backend: the device memory plan disagrees with the problem's buffers");
        cuda_check(cudaMalloc(&fleet_dev_, fleet_bytes_), "cudaMalloc(fleet)");
        cuda_check(cudaMalloc(&signals_dev_, problem.signals.size()), "cudaMalloc(signals)");
        cuda_check(cudaMemcpy(fleet_dev_, problem.fleet.data(), fleet_bytes_, cudaMemcpyHostToDevice), "upload fleet");
        cuda_check(cudaMemcpy(signals_dev_, problem.signals.data(), problem.signals.size(), cudaMemcpyHostToDevice),
              "upload signals");
        layout_fleet(p_, fleet_dev_, &f_);
        layout_signals(p_, signals_dev_, &sig_);
        ensure_metrics_capacity(device_allocation_bytes(plan_, "metrics") / sizeof(EpisodeMetrics));
        if (p_.ledger_enabled) {
            n_slots_ = static_cast<size_t>(slots_per_episode(p_));
            slot_buffer_bytes_ = device_allocation_bytes(plan_, "tx slots");
            cuda_check(cudaMalloc(&slots_dev_, slot_buffer_bytes_), "cudaMalloc(tx slots)");
            cuda_check(cudaMalloc(&used_dev_, device_allocation_bytes(plan_, "tx used")), "cudaMalloc(tx used)");
            cuda_check(cudaMalloc(&compacted_dev_, device_allocation_bytes(plan_, "transactions")),
                       "cudaMalloc(transactions)");
            f_.tx_slots = slots_dev_;
            f_.tx_used = used_dev_;
        }
        if (p_.q_sharing == kQPerFleet) {
            fleet_blocks_ = fleet_grid_blocks<NoHooks>(p_);
            cuda_check(cudaMalloc(&fleet_sums_dev_, device_allocation_bytes(plan_, "market sums")),
                       "cudaMalloc(market sums)");
            row_sort_ = std::make_unique<DeviceRowSort>(p_, plan_);
        }
        cuda_check(cudaGetDevice(&device_), "cudaGetDevice");
        cudaDeviceProp prop{};
        cuda_check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
        device_name_ = prop.name;
    }
    ~CudaBackend() override {
        cudaFree(fleet_dev_);
        cudaFree(signals_dev_);
        cudaFree(metrics_dev_);
        cudaFree(slots_dev_);
        cudaFree(used_dev_);
        cudaFree(compacted_dev_);
        cudaFree(plan_dev_);
        cudaFree(record_dev_);
        cudaFree(fleet_sums_dev_);
    }

    std::string name() const override { return "cuda (" + device_name_ + ")"; }

    DeviceMemory device_memory() const override {
        DeviceMemory m;
        // The plan, with the metrics as they grew (a sweep's batch may run longer calls), and
        // the evaluation's buffers when set.
        m.allocated_bytes = device_memory_total(plan_) - device_allocation_bytes(plan_, "metrics") +
                            metrics_capacity_ * sizeof(EpisodeMetrics) + (plan_dev_ ? plan_bytes_ : 0) +
                            record_size_ * sizeof(double);
        size_t free_bytes = 0, total_bytes = 0;
        if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
            m.device_used_bytes = total_bytes - free_bytes;
            m.device_total_bytes = total_bytes;
        }
        return m;
    }

    void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon,
                      EpisodeMetrics* metrics, EpisodeLedger* ledger, int keep_transactions_from) override {
        const size_t per_episode = static_cast<size_t>(p_.num_communities);
        ensure_metrics_capacity(per_episode * count);
        const int nc = p_.num_communities;
        for (int i = 0; i < count; ++i) {
            const int episode = first_episode + i;
            EpisodeMetrics* out = metrics_dev_ + per_episode * i;
            if (p_.q_sharing != kQPerFleet)
                episode_by_community_kernel<<<nc, kThreadsPerCommunityBlock>>>(p_, sig_, f_, episode, mode,
                                                                               epsilon[i], out);
            else
                fleet_episode(episode, mode, epsilon[i], out);
            cuda_check(cudaGetLastError(), "episode launch");
            if (p_.ledger_enabled && ledger) commit(&ledger[i], episode >= keep_transactions_from);
        }
        cuda_check(cudaMemcpy(metrics, metrics_dev_, per_episode * count * sizeof(EpisodeMetrics),
                         cudaMemcpyDeviceToHost),
              "read metrics");
    }

    // For run_cuda_batch (below), which runs this backend's episodes among others'.
    const EnvParams& params() const { return p_; }
    const SignalsView& signals_view() const { return sig_; }
    const FleetView& fleet_view() const { return f_; }
    EpisodeMetrics* metrics_device(size_t n) {
        ensure_metrics_capacity(n);
        return metrics_dev_;
    }
    // A fleet-shared table's episode: one cooperative launch over the whole fleet.
    void fleet_episode(int episode, int mode, float epsilon, EpisodeMetrics* out) {
        launch_fleet_episode(fleet_blocks_, p_, sig_, f_, episode, mode, epsilon, fleet_sums_dev_,
                             row_sort_ ? row_sort_->scratch() : RowSortScratch{}, out,
                             NoHooks{});
    }
    void commit_episode(int episode, EpisodeLedger* ledger, int keep_transactions_from) {
        if (p_.ledger_enabled && ledger) commit(ledger, episode >= keep_transactions_from);
    }

    void read_fleet(std::vector<char>* fleet, size_t bytes) override {
        const size_t n = bytes < fleet_bytes_ ? bytes : fleet_bytes_;
        fleet->resize(n);
        cuda_check(cudaMemcpy(fleet->data(), fleet_dev_, n, cudaMemcpyDeviceToHost), "read fleet");
    }
    void write_fleet(const std::vector<char>& fleet) override {
        if (fleet.size() != fleet_bytes_) throw std::invalid_argument("write_fleet: size mismatch");
        cuda_check(cudaMemcpy(fleet_dev_, fleet.data(), fleet_bytes_, cudaMemcpyHostToDevice), "write fleet");
    }

    void set_plan(const std::vector<uint8_t>& plan) override {
        cudaFree(plan_dev_);
        plan_dev_ = nullptr;
        if (!plan.empty()) {
            cuda_check(cudaMalloc(&plan_dev_, plan.size()), "cudaMalloc(plan)");
            plan_bytes_ = plan.size();
            cuda_check(cudaMemcpy(plan_dev_, plan.data(), plan.size(), cudaMemcpyHostToDevice), "upload plan");
        }
        f_.plan = plan_dev_;
    }
    void set_recording(bool on) override {
        cudaFree(record_dev_);
        record_dev_ = nullptr;
        record_size_ = on ? static_cast<size_t>(p_.num_communities) * p_.steps_per_day * kRecordFields : 0;
        if (on) {
            cuda_check(cudaMalloc(&record_dev_, record_size_ * sizeof(double)), "cudaMalloc(step record)");
            cuda_check(cudaMemset(record_dev_, 0, record_size_ * sizeof(double)), "clear step record");
        }
        f_.step_record = record_dev_;
    }
    void read_record(std::vector<double>* record) override {
        record->resize(record_size_);
        if (record_size_ > 0)
            cuda_check(cudaMemcpy(record->data(), record_dev_, record_size_ * sizeof(double), cudaMemcpyDeviceToHost),
                  "read step record");
    }

private:
    void commit(EpisodeLedger* out, bool keep) {
        const auto t0 = std::chrono::steady_clock::now();
        commit_->compact(slots_dev_, used_dev_, compacted_dev_);
        commit_->hash(compacted_dev_, slots_dev_, slot_buffer_bytes_);
        const DeviceCommitResult r = commit_->read();  // the episode's one synchronisation
        std::memcpy(out->tx_root, r.root, sizeof out->tx_root);
        out->tx_count = static_cast<uint64_t>(r.count);
        out->transactions.clear();
        if (keep && r.count > 0) {
            out->transactions.resize(static_cast<size_t>(r.count));
            cuda_check(cudaMemcpy(out->transactions.data(), compacted_dev_, static_cast<size_t>(r.count) * sizeof(Transaction),
                             cudaMemcpyDeviceToHost), "read transactions");
        }
        out->commit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    // The metrics of a call: the plan's (max_episodes_per_call), grown if a caller asks for more.
    void ensure_metrics_capacity(size_t n) {
        if (n <= metrics_capacity_) return;
        cudaFree(metrics_dev_);
        metrics_dev_ = nullptr;
        cuda_check(cudaMalloc(&metrics_dev_, n * sizeof(EpisodeMetrics)), "cudaMalloc(metrics)");
        metrics_capacity_ = n;
    }

    EnvParams p_;
    char* fleet_dev_ = nullptr;
    char* signals_dev_ = nullptr;
    size_t fleet_bytes_ = 0;
    EpisodeMetrics* metrics_dev_ = nullptr;
    size_t metrics_capacity_ = 0;
    FleetView f_{};
    SignalsView sig_{};
    int device_ = 0;
    std::vector<DeviceAllocation> plan_;    // device_memory.h: what is allocated, by name
    Transaction* slots_dev_ = nullptr;      // this episode's transaction slots, then its Merkle levels
    uint8_t* used_dev_ = nullptr;           // per slot: 1 where its transfer happened this episode
    Transaction* compacted_dev_ = nullptr;  // its transactions in slot order
    std::unique_ptr<DeviceLedgerCommit> commit_;  // the compaction's scratch and the commit result
    size_t n_slots_ = 0, slot_buffer_bytes_ = 0;
    std::string device_name_;
    uint8_t* plan_dev_ = nullptr;           // the plan policy's table (evaluation)
    size_t plan_bytes_ = 0;
    double* record_dev_ = nullptr;          // the step record (evaluation)
    size_t record_size_ = 0;
    float* fleet_sums_dev_ = nullptr;       // the schedule's market sums (fleet-shared table)
    std::unique_ptr<DeviceRowSort> row_sort_;  // the fleet-shared update's counting sort (row_sort.h)
    unsigned int fleet_blocks_ = 0;         // its cooperative grid
};

}  // namespace

void run_cuda_batch(const std::vector<BatchRequest>& requests) {
    int episodes = 0;
    const std::vector<CudaBackend*> backends =
        batch_backends<CudaBackend>(requests, "run_cuda_batch", "CUDA", &episodes);
    std::vector<EpisodeMetrics*> metrics_dev(requests.size());
    for (size_t k = 0; k < requests.size(); ++k)
        metrics_dev[k] = backends[k]->metrics_device(static_cast<size_t>(backends[k]->params().num_communities) *
                                                     static_cast<size_t>(requests[k].count));
    CommunityJob* jobs_dev = nullptr;
    cuda_check(cudaMalloc(&jobs_dev, std::max<size_t>(requests.size(), 1) * sizeof(CommunityJob)), "cudaMalloc(batch jobs)");
    std::vector<CommunityJob> jobs;
    try {
        for (int i = 0; i < episodes; ++i) {
            // Episode i of every problem that has one: the community-local ones in one launch,
            // the fleet-shared ones in their own cooperative launches, then each one's ledger block.
            jobs.clear();
            int blocks = 0;
            for (size_t k = 0; k < requests.size(); ++k) {
                const BatchRequest& r = requests[k];
                const EnvParams& p = backends[k]->params();
                if (i >= r.count || p.q_sharing == kQPerFleet) continue;
                CommunityJob job;
                job.p = p;
                job.sig = backends[k]->signals_view();
                job.f = backends[k]->fleet_view();
                job.episode = r.first_episode + i;
                job.mode = r.mode;
                job.epsilon = r.epsilon[i];
                job.out = metrics_dev[k] + static_cast<size_t>(p.num_communities) * i;
                job.first_block = blocks;
                blocks += p.num_communities;
                jobs.push_back(job);
            }
            if (!jobs.empty()) {
                cuda_check(cudaMemcpy(jobs_dev, jobs.data(), jobs.size() * sizeof(CommunityJob), cudaMemcpyHostToDevice),
                      "upload batch jobs");
                batch_episode_kernel<<<blocks, kThreadsPerCommunityBlock>>>(jobs_dev, static_cast<int>(jobs.size()));
                cuda_check(cudaGetLastError(), "batch episode launch");
            }
            for (size_t k = 0; k < requests.size(); ++k) {
                const BatchRequest& r = requests[k];
                const EnvParams& p = backends[k]->params();
                if (i >= r.count || p.q_sharing != kQPerFleet) continue;
                backends[k]->fleet_episode(r.first_episode + i, r.mode, r.epsilon[i],
                                           metrics_dev[k] + static_cast<size_t>(p.num_communities) * i);
                cuda_check(cudaGetLastError(), "batch fleet episode launch");
            }
            for (size_t k = 0; k < requests.size(); ++k) {
                const BatchRequest& r = requests[k];
                if (i < r.count && r.ledger)
                    backends[k]->commit_episode(r.first_episode + i, &r.ledger[i], r.keep_transactions_from);
            }
        }
        for (size_t k = 0; k < requests.size(); ++k)
            cuda_check(cudaMemcpy(requests[k].metrics, metrics_dev[k],
                             static_cast<size_t>(backends[k]->params().num_communities) * requests[k].count *
                                 sizeof(EpisodeMetrics),
                             cudaMemcpyDeviceToHost),
                  "read batch metrics");
    } catch (...) {
        cudaFree(jobs_dev);
        throw;
    }
    cudaFree(jobs_dev);
}

std::unique_ptr<Backend> make_cuda_backend(const Problem& problem) {
    return std::make_unique<CudaBackend>(problem);
}

}  // namespace v2g
