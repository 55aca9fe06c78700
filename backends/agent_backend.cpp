// agent_backend.cpp: see agent_backend.h.
#include "backends/agent_backend.h"

#include <stdexcept>
#include <vector>
#include "backends/host_backend.h"
#include "env/observation.h"
#include "env/schedule.h"

namespace v2g {
namespace {

class AgentBackend final : public HostBackend {
public:
    AgentBackend(Problem problem, ActionChooser choose, float day_start_hour, int threads)
        : HostBackend(std::move(problem), threads), choose_(std::move(choose)), day_start_hour_(day_start_hour) {
        price_scale_ = observation_price_scale(p_, sig_);
        obs_.resize(static_cast<size_t>(p_.num_vehicles) * kObservationSize);
        actions_.resize(static_cast<size_t>(p_.num_vehicles));
    }

    std::string name() const override { return "cpu (outside policy, 1 lane)"; }

private:
    struct ChooserHooks {
        static constexpr bool kChoosesActions = true;
        AgentBackend& self;
        void begin_episode(int) {}
        void before_act(int episode, int step) { self.choose(episode, step); }
        void after_phase(int, int, int) {}
    };

    void choose(int episode, int step) {
        const int n = p_.num_vehicles;
        observe_fleet(p_, sig_, f_, episode, step, price_scale_, day_start_hour_, obs_.data());
        choose_(obs_.data(), n, actions_.data());
        for (int v = 0; v < n; ++v) {
            if (actions_[v] >= kNumActions)
                throw std::runtime_error("the outside policy chose action " + std::to_string(actions_[v]) +
                                         " for vehicle " + std::to_string(v) + " (actions are 0.." +
                                         std::to_string(kNumActions - 1) + ")");
            f_.action[v] = actions_[v];
        }
    }

    void run_episode(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) override {
        if (mode == kPolicyGiven) {
            ChooserHooks hooks{*this};
            run_episode_schedule(p_, sig_, f_, 0, p_.num_communities, episode, kPolicyGiven, 0.0f, Lanes{}, NoSync{},
                                 hooks, nullptr, out);
        } else {
            NoHooks hooks;
            run_episode_schedule(p_, sig_, f_, 0, p_.num_communities, episode, mode, epsilon, Lanes{}, NoSync{},
                                 hooks, nullptr, out);
        }
    }

    ActionChooser choose_;
    float day_start_hour_;
    float price_scale_ = 1.0f;
    std::vector<float> obs_;
    std::vector<uint8_t> actions_;
};

}  // namespace

std::unique_ptr<Backend> make_agent_backend(Problem problem, ActionChooser choose, float day_start_hour,
                                            int threads) {
    return std::make_unique<AgentBackend>(std::move(problem), std::move(choose), day_start_hour,
                                          threads > 0 ? threads : 1);
}

}  // namespace v2g
