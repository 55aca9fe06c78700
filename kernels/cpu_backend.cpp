// cpu_backend.cpp: the CPU launcher of the step phases. Communities are independent within a
// step, so with per-vehicle or per-community Q-tables each OpenMP thread runs whole episodes
// of its communities (cache-resident, no barriers). A fleet-shared table forces a barrier
// between phases and a vehicle-ordered update, exactly as the CUDA backend does.
#include <omp.h>
#include <algorithm>
#include "backend.h"
#include "layout.h"

namespace v2g {
namespace {

class CpuBackend final : public Backend {
public:
    CpuBackend(Problem problem, int threads)
        : p_(problem.params), fleet_buf_(std::move(problem.fleet)), signal_buf_(std::move(problem.signals)),
          threads_(threads > 0 ? threads : omp_get_max_threads()) {
        layout_fleet(p_, fleet_buf_.data(), &f_);
        layout_signals(p_, signal_buf_.data(), &sig_);
    }

    std::string name() const override { return "cpu (" + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)"); }

    void run_episodes(int first_episode, int count, PolicyMode mode, const float* epsilon,
                      EpisodeMetrics* metrics) override {
        for (int i = 0; i < count; ++i) {
            EpisodeMetrics* out = metrics + static_cast<size_t>(i) * p_.num_communities;
            if (p_.q_sharing == kQPerFleet)
                run_episode_phased(first_episode + i, mode, epsilon[i], out);
            else
                run_episode_by_community(first_episode + i, mode, epsilon[i], out);
        }
    }

    void read_fleet(std::vector<char>* fleet) override { *fleet = fleet_buf_; }
    void write_fleet(const std::vector<char>& fleet) override {
        std::copy(fleet.begin(), fleet.end(), fleet_buf_.begin());
    }

private:
    void run_community(int c, int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        const int begin = community_begin(p_, c), end = community_end(p_, c);
        const bool learn = mode == kPolicyLearn;
        reset_community(f_, c);
        for (int v = begin; v < end; ++v) reset_vehicle(p_, f_, v, episode);
        for (int step = 0; step < p_.steps_per_day; ++step) {
            for (int v = begin; v < end; ++v) act_vehicle(p_, sig_, f_, v, episode, step, mode, epsilon);
            clear_community(p_, sig_, f_, c, episode, step);
            for (int v = begin; v < end; ++v) apply_vehicle(p_, sig_, f_, v, episode, step);
            if (learn)
                for (int v = begin; v < end; ++v) learn_vehicle(p_, f_, v);
        }
        out[c] = summarize_community(p_, f_, c);
    }

    void run_episode_by_community(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
#pragma omp parallel for schedule(static) num_threads(threads_)
        for (int c = 0; c < p_.num_communities; ++c) run_community(c, episode, mode, epsilon, out);
    }

    void run_episode_phased(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) {
        const int n = p_.num_vehicles, nc = p_.num_communities;
#pragma omp parallel num_threads(threads_)
        {
#pragma omp for schedule(static)
            for (int c = 0; c < nc; ++c) reset_community(f_, c);
#pragma omp for schedule(static)
            for (int v = 0; v < n; ++v) reset_vehicle(p_, f_, v, episode);
            for (int step = 0; step < p_.steps_per_day; ++step) {
#pragma omp for schedule(static)
                for (int v = 0; v < n; ++v) act_vehicle(p_, sig_, f_, v, episode, step, mode, epsilon);
#pragma omp for schedule(static)
                for (int c = 0; c < nc; ++c) clear_community(p_, sig_, f_, c, episode, step);
#pragma omp for schedule(static)
                for (int v = 0; v < n; ++v) apply_vehicle(p_, sig_, f_, v, episode, step);
                if (mode == kPolicyLearn) {
#pragma omp single
                    for (int v = 0; v < n; ++v) learn_vehicle(p_, f_, v);
                }
            }
#pragma omp for schedule(static)
            for (int c = 0; c < nc; ++c) out[c] = summarize_community(p_, f_, c);
        }
    }

    EnvParams p_;
    std::vector<char> fleet_buf_, signal_buf_;
    FleetView f_{};
    SignalsView sig_{};
    int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(Problem problem, int threads) {
    return std::make_unique<CpuBackend>(std::move(problem), threads);
}

}  // namespace v2g
