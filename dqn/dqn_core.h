// dqn_core.h: the parts of the DQN (dqn/dqn.cpp) that tests check on their own: settings,
// the Q-network, the replay buffer, TD targets and target-network updates. LibTorch types:
// include only from dqn.cpp and tests/test_dqn.cpp (one torch translation unit each).
#pragma once
#include <torch/torch.h>
#include <cstdint>
#include <vector>
#include "config/config.h"

namespace v2g::dqn {

struct Settings {
    std::vector<int> hidden;      // hidden layer widths
    double learning_rate = 1e-3;
    int64_t batch_size = 64;
    int64_t buffer_size = 100000;
    int64_t learning_starts = 1000;
    int updates_per_step = 1;
    bool soft_update = false;     // Polyak (tau) instead of hard copies every target_period
    int target_period = 500;
    double tau = 0.005;
    bool double_q = true;
    bool huber = true;
    double grad_clip = 10.0;      // 0 = off
    double gamma = 0.95;
    uint64_t seed = 1;
};
Settings settings_from(const Config& cfg);

// MLP: obs_size -> hidden... (ReLU) -> 5 Q-values; weights drawn from `seed`.
torch::nn::Sequential make_q_network(int obs_size, const std::vector<int>& hidden, uint64_t seed);

// Fixed-capacity ring of transitions; the oldest are overwritten once full.
class ReplayBuffer {
public:
    ReplayBuffer(int64_t capacity, int obs_size);
    // Appends n transitions (obs [n, K], action [n] int64, reward [n], next_obs [n, K], done [n]).
    void push(const torch::Tensor& obs, const torch::Tensor& action, const torch::Tensor& reward,
              const torch::Tensor& next_obs, const torch::Tensor& done);
    int64_t size() const { return size_; }
    int64_t capacity() const { return capacity_; }
    int64_t next_slot() const { return next_; }
    struct Batch {
        torch::Tensor obs, action, reward, next_obs, done, index;
    };
    // n transitions drawn uniformly with replacement from those stored.
    Batch sample(int64_t n, torch::Generator& generator) const;
    const torch::Tensor& rewards() const { return reward_; }
    void save(torch::serialize::OutputArchive& a) const;
    void load(torch::serialize::InputArchive& a);

private:
    int64_t capacity_, size_ = 0, next_ = 0;
    torch::Tensor obs_, action_, reward_, next_obs_, done_;
};

// r + gamma (1 - done) Q_target(s', a*), a* = argmax Q_online(s') (double) or argmax Q_target.
torch::Tensor td_target(torch::nn::Sequential& online, torch::nn::Sequential& target, const torch::Tensor& reward,
                        const torch::Tensor& next_obs, const torch::Tensor& done, double gamma, bool double_q);

void hard_update(torch::nn::Sequential& target, torch::nn::Sequential& online);
// target <- tau online + (1 - tau) target, parameter by parameter.
void soft_update(torch::nn::Sequential& target, torch::nn::Sequential& online, double tau);

// The learner: networks, optimiser, replay, and its counters.
class Agent {
public:
    Agent(const Settings& s, int obs_size);
    torch::Tensor q_values(const torch::Tensor& obs);  // no gradient
    // One gradient step on a sampled batch (when enough is stored); returns the loss or NaN.
    double learn();
    ReplayBuffer& replay() { return replay_; }
    torch::nn::Sequential& online() { return online_; }
    int64_t gradient_steps() const { return gradient_steps_; }
    const Settings& settings() const { return s_; }
    // Everything learning depends on: both networks, Adam's moments, the replay buffer, the
    // sampling generator, the step counter; with the observation layout and network shape,
    // which load() checks (InputError naming the mismatch).
    std::vector<char> save();
    void load(const std::vector<char>& bytes);

private:
    Settings s_;
    torch::nn::Sequential online_, target_;
    torch::optim::Adam optimizer_;
    ReplayBuffer replay_;
    torch::Generator generator_;
    int64_t gradient_steps_ = 0;
};

}  // namespace v2g::dqn
