// dqn.cpp: see dqn.h and dqn_core.h. The environment runs on the host with the same step
// phases as every backend; per fleet step the network scores every vehicle's observation in one
// batch, the plugged-in vehicles' transitions go to the replay buffer, and
// dqn.updates_per_step gradient steps follow. Exploration draws come from Philox exactly as
// in the tabular learner, so a run is a pure function of its config (single-threaded torch).
#include "dqn/dqn.h"  // the Config/Problem/Backend types; the entry points are in dqn_loader.cpp

#include <torch/script.h>
#include <torch/torch.h>
#include <ATen/CPUGeneratorImpl.h>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include "dqn/dqn_core.h"
#include "common/errors.h"
#include "backends/agent_backend.h"
#include "backends/host_backend.h"
#include "env/layout.h"
#include "env/observation.h"
#include "env/schedule.h"

namespace v2g {
namespace dqn {

Settings settings_from(const Config& cfg) {
    Settings s;
    s.hidden = dqn_hidden_sizes(cfg.dqn.hidden);
    s.learning_rate = cfg.dqn.learning_rate;
    s.batch_size = cfg.dqn.batch_size;
    s.buffer_size = cfg.dqn.buffer_size;
    s.learning_starts = cfg.dqn.learning_starts;
    s.updates_per_step = cfg.dqn.updates_per_step;
    s.soft_update = cfg.dqn.target_update == TargetUpdate::soft;
    s.target_period = cfg.dqn.target_period;
    s.tau = cfg.dqn.tau;
    s.double_q = cfg.dqn.double_;
    s.huber = cfg.dqn.loss == DqnLoss::huber;
    s.grad_clip = cfg.dqn.grad_clip;
    s.gamma = cfg.learning.gamma;
    s.seed = cfg.run.seed;
    return s;
}

torch::nn::Sequential make_q_network(int obs_size, const std::vector<int>& hidden, uint64_t seed) {
    torch::manual_seed(seed);
    torch::nn::Sequential net;
    int width = obs_size;
    for (int h : hidden) {
        net->push_back(torch::nn::Linear(width, h));
        net->push_back(torch::nn::ReLU());
        width = h;
    }
    net->push_back(torch::nn::Linear(width, kNumActions));
    return net;
}

ReplayBuffer::ReplayBuffer(int64_t capacity, int obs_size)
    : capacity_(capacity),
      obs_(torch::zeros({capacity, obs_size})),
      action_(torch::zeros({capacity}, torch::kInt64)),
      reward_(torch::zeros({capacity})),
      next_obs_(torch::zeros({capacity, obs_size})),
      done_(torch::zeros({capacity})) {}

void ReplayBuffer::push(const torch::Tensor& obs, const torch::Tensor& action, const torch::Tensor& reward,
                        const torch::Tensor& next_obs, const torch::Tensor& done) {
    const int64_t n = obs.size(0);
    for (int64_t begin = 0; begin < n;) {
        // Up to the end of the ring, then wrap around to slot 0.
        const int64_t count = std::min(n - begin, capacity_ - next_);
        const auto dst = torch::indexing::Slice(next_, next_ + count);
        const auto src = torch::indexing::Slice(begin, begin + count);
        obs_.index_put_({dst}, obs.index({src}));
        action_.index_put_({dst}, action.index({src}));
        reward_.index_put_({dst}, reward.index({src}));
        next_obs_.index_put_({dst}, next_obs.index({src}));
        done_.index_put_({dst}, done.index({src}));
        next_ = (next_ + count) % capacity_;
        size_ = std::min(capacity_, size_ + count);
        begin += count;
    }
}

ReplayBuffer::Batch ReplayBuffer::sample(int64_t n, torch::Generator& generator) const {
    const torch::Tensor index = torch::randint(size_, {n}, generator, torch::kInt64);
    return {obs_.index_select(0, index), action_.index_select(0, index), reward_.index_select(0, index),
            next_obs_.index_select(0, index), done_.index_select(0, index), index};
}

void ReplayBuffer::save(torch::serialize::OutputArchive& a) const {
    a.write("obs", obs_);
    a.write("action", action_);
    a.write("reward", reward_);
    a.write("next_obs", next_obs_);
    a.write("done", done_);
    a.write("size_next", torch::tensor({size_, next_}, torch::kInt64));
}

void ReplayBuffer::load(torch::serialize::InputArchive& a) {
    torch::Tensor obs, action, reward, next_obs, done, size_next;
    a.read("obs", obs);
    a.read("action", action);
    a.read("reward", reward);
    a.read("next_obs", next_obs);
    a.read("done", done);
    a.read("size_next", size_next);
    if (!obs.sizes().equals(obs_.sizes()))
        throw InputError("the checkpoint's replay buffer holds " + std::to_string(obs.size(0)) + " x " +
                         std::to_string(obs.size(1)) + " observations, this config " + std::to_string(obs_.size(0)) +
                         " x " + std::to_string(obs_.size(1)) + " (dqn.buffer_size differs)");
    obs_ = obs;
    action_ = action;
    reward_ = reward;
    next_obs_ = next_obs;
    done_ = done;
    size_ = size_next[0].item<int64_t>();
    next_ = size_next[1].item<int64_t>();
}

torch::Tensor td_target(torch::nn::Sequential& online, torch::nn::Sequential& target, const torch::Tensor& reward,
                        const torch::Tensor& next_obs, const torch::Tensor& done, double gamma, bool double_q) {
    torch::NoGradGuard no_grad;
    const torch::Tensor q_next_target = target->forward(next_obs);
    const torch::Tensor best = double_q ? online->forward(next_obs).argmax(1, true) : q_next_target.argmax(1, true);
    const torch::Tensor bootstrap = q_next_target.gather(1, best).squeeze(1);
    return reward + gamma * (1.0 - done) * bootstrap;
}

void hard_update(torch::nn::Sequential& target, torch::nn::Sequential& online) {
    torch::NoGradGuard no_grad;
    auto t = target->parameters();
    auto o = online->parameters();
    for (size_t i = 0; i < t.size(); ++i) t[i].copy_(o[i]);
}

void soft_update(torch::nn::Sequential& target, torch::nn::Sequential& online, double tau) {
    torch::NoGradGuard no_grad;
    auto t = target->parameters();
    auto o = online->parameters();
    for (size_t i = 0; i < t.size(); ++i) t[i].mul_(1.0 - tau).add_(o[i], tau);
}

Agent::Agent(const Settings& s, int obs_size)
    : s_(s),
      online_(make_q_network(obs_size, s.hidden, s.seed)),
      target_(make_q_network(obs_size, s.hidden, s.seed)),
      optimizer_(online_->parameters(), torch::optim::AdamOptions(s.learning_rate)),
      replay_(s.buffer_size, obs_size),
      generator_(at::make_generator<at::CPUGeneratorImpl>(s.seed)) {
    hard_update(target_, online_);
}

namespace {

// The shape a checkpoint was made for: observation layout and size, and the network's widths.
torch::Tensor shape_tag(int obs_size, const std::vector<int>& hidden) {
    std::vector<int64_t> tag{kObservationLayoutVersion, obs_size};
    tag.insert(tag.end(), hidden.begin(), hidden.end());
    return torch::tensor(tag, torch::kInt64);
}

std::string describe_tag(const torch::Tensor& tag) {
    std::string s = "observation layout " + std::to_string(tag[0].item<int64_t>()) + " (" +
                    std::to_string(tag[1].item<int64_t>()) + " features), hidden ";
    for (int64_t i = 2; i < tag.size(0); ++i) s += (i > 2 ? "," : "") + std::to_string(tag[i].item<int64_t>());
    return s;
}

}  // namespace

std::vector<char> Agent::save() {
    torch::serialize::OutputArchive a;
    a.write("shape", shape_tag(kObservationSize, s_.hidden));
    torch::serialize::OutputArchive online, target, optimizer, replay;
    online_->save(online);
    target_->save(target);
    optimizer_.save(optimizer);
    replay_.save(replay);
    a.write("online", online);
    a.write("target", target);
    a.write("optimizer", optimizer);
    a.write("replay", replay);
    a.write("generator", generator_.get_state());
    a.write("gradient_steps", torch::tensor({gradient_steps_}, torch::kInt64));
    std::ostringstream out;
    a.save_to(out);
    const std::string bytes = out.str();
    return std::vector<char>(bytes.begin(), bytes.end());
}

void Agent::load(const std::vector<char>& bytes) {
    torch::serialize::InputArchive a;
    try {
        a.load_from(bytes.data(), bytes.size());
    } catch (const c10::Error& e) {
        throw InputError(std::string("the checkpoint's DQN state is unreadable (") + e.what_without_backtrace() + ")");
    }
    torch::Tensor shape;
    a.read("shape", shape);
    const torch::Tensor want = shape_tag(kObservationSize, s_.hidden);
    if (!shape.sizes().equals(want.sizes()) || !torch::equal(shape, want))
        throw InputError("the checkpoint's network was made for " + describe_tag(shape) + "; this build and config make " +
                         describe_tag(want));
    torch::serialize::InputArchive online, target, optimizer, replay;
    a.read("online", online);
    a.read("target", target);
    a.read("optimizer", optimizer);
    a.read("replay", replay);
    online_->load(online);
    target_->load(target);
    optimizer_.load(optimizer);
    replay_.load(replay);
    torch::Tensor generator_state, steps;
    a.read("generator", generator_state);
    a.read("gradient_steps", steps);
    generator_.set_state(generator_state);
    gradient_steps_ = steps[0].item<int64_t>();
}

torch::Tensor Agent::q_values(const torch::Tensor& obs) {
    torch::NoGradGuard no_grad;
    return online_->forward(obs);
}

double Agent::learn() {
    if (replay_.size() < std::max<int64_t>(s_.learning_starts, 1)) return std::nan("");
    const ReplayBuffer::Batch b = replay_.sample(s_.batch_size, generator_);
    const torch::Tensor target = td_target(online_, target_, b.reward, b.next_obs, b.done, s_.gamma, s_.double_q);
    const torch::Tensor q = online_->forward(b.obs).gather(1, b.action.unsqueeze(1)).squeeze(1);
    const torch::Tensor loss = s_.huber ? torch::smooth_l1_loss(q, target) : torch::mse_loss(q, target);
    optimizer_.zero_grad();
    loss.backward();
    if (s_.grad_clip > 0) torch::nn::utils::clip_grad_norm_(online_->parameters(), s_.grad_clip);
    optimizer_.step();
    ++gradient_steps_;
    if (s_.soft_update) soft_update(target_, online_, s_.tau);
    else if (gradient_steps_ % s_.target_period == 0) hard_update(target_, online_);
    return loss.item<double>();
}

}  // namespace dqn

namespace {

class DqnBackend final : public HostBackend {
public:
    DqnBackend(const Config& cfg, Problem problem)
        : HostBackend(std::move(problem), cfg.run.threads > 0 ? cfg.run.threads : 1, cfg.run.adaptive_threads),
          day_start_hour_(static_cast<float>(cfg.time.day_start_hour)),
          agent_(dqn::settings_from(cfg), kObservationSize) {
        torch::set_num_threads(threads_);
        price_scale_ = observation_price_scale(p_, sig_);
    }

    std::string name() const override {
        return "dqn on cpu (libtorch, " + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
    }

    dqn::Agent& agent() { return agent_; }
    void save_learner(std::vector<char>* state) override { *state = agent_.save(); }
    void load_learner(const std::vector<char>& state) override {
        if (state.empty()) throw InputError("the checkpoint has no DQN state (made by a tabular run?)");
        agent_.load(state);
    }
    float price_scale() const { return price_scale_; }

private:
    // Observations of every vehicle at `step`, [n, kObservationSize].
    torch::Tensor observe_all(int episode, int step) {
        torch::Tensor obs = torch::empty({p_.num_vehicles, kObservationSize});
        observe_fleet(p_, sig_, f_, episode, step, price_scale_, day_start_hour_, obs.data_ptr<float>());
        return obs;
    }

    // The schedule's hooks of a DQN episode: the network chooses every vehicle's action before
    // the act phase (explored with the tabular learner's random stream), and after the step
    // the plugged-in vehicles' transitions go to the replay buffer and the networks learn.
    struct NetworkHooks {
        static constexpr bool kChoosesActions = true;
        DqnBackend& self;
        PolicyMode mode;
        float epsilon;
        bool network;
        torch::Tensor obs;  // this step's observations
        void begin_episode(int) {}
        void before_act(int episode, int step) {
            if (!network) return;
            const EnvParams& p = self.p_;
            obs = self.observe_all(episode, step);
            const torch::Tensor greedy = self.agent_.q_values(obs).argmax(1);
            const int64_t* g = greedy.data_ptr<int64_t>();
            for (int v = 0; v < p.num_vehicles; ++v) {
                const Philox4 r = random4(p.seed, static_cast<uint32_t>(v), static_cast<uint32_t>(episode),
                                          static_cast<uint32_t>(step), RngPurpose::kExplore);
                const bool explore = mode != kPolicyGreedy && uniform01(r.v[0]) < epsilon;
                self.f_.action[v] = static_cast<uint8_t>(explore ? r.v[1] % kNumActions : g[v]);
            }
        }
        void after_phase(int phase, int episode, int step) {
            if (phase == kPhaseLearn && mode == kPolicyLearn) self.store_and_learn(episode, step, obs);
        }
    };

    void run_episode(int episode, PolicyMode mode, float epsilon, EpisodeMetrics* out) override {
        const bool network = mode == kPolicyLearn || mode == kPolicyGreedy || mode == kPolicyExplore;
        NetworkHooks hooks{*this, mode, epsilon, network, {}};
        // The whole fleet as one span on one lane: the network scores every vehicle at once.
        run_episode_schedule(p_, sig_, f_, 0, p_.num_communities, episode, network ? kPolicyGiven : mode, 0.0f,
                             Lanes{}, NoSync{}, hooks, nullptr, out);
    }

    // The plugged-in vehicles' transitions of this step into the replay buffer, then learning.
    void store_and_learn(int episode, int step, const torch::Tensor& obs) {
        std::vector<int64_t> rows, actions;
        std::vector<float> rewards, done;
        for (int v = 0; v < p_.num_vehicles; ++v) {
            if (f_.state[v] < 0) continue;  // not plugged in: no decision was made
            rows.push_back(v);
            actions.push_back(f_.action[v]);
            rewards.push_back(f_.reward[v]);
            done.push_back(f_.next_state[v] < 0 ? 1.0f : 0.0f);
        }
        if (!rows.empty()) {
            const int64_t m = static_cast<int64_t>(rows.size());
            const torch::Tensor index = torch::from_blob(rows.data(), {m}, torch::kInt64).clone();
            // The next observation (ignored by the target for terminal transitions).
            const torch::Tensor next = step + 1 < p_.steps_per_day ? observe_all(episode, step + 1).index_select(0, index)
                                                                 : torch::zeros({m, kObservationSize});
            agent_.replay().push(obs.index_select(0, index), torch::from_blob(actions.data(), {m}, torch::kInt64).clone(),
                                 torch::from_blob(rewards.data(), {m}).clone(), next,
                                 torch::from_blob(done.data(), {m}).clone());
        }
        for (int k = 0; k < agent_.settings().updates_per_step; ++k) agent_.learn();
    }

    float day_start_hour_;
    float price_scale_ = 1.0f;
    dqn::Agent agent_;
};

}  // namespace

// The library's entry points (dqn/dqn_loader.cpp looks them up with dlsym).
extern "C" Backend* v2g_dqn_make_backend(const Config* cfg, Problem* problem) {
    return new DqnBackend(*cfg, std::move(*problem));
}

namespace {

DqnBackend& as_dqn(Backend& backend) {
    auto* dqn_backend = dynamic_cast<DqnBackend*>(&backend);
    if (!dqn_backend) throw std::invalid_argument("not a DQN backend");
    return *dqn_backend;
}

}  // namespace

extern "C" void v2g_dqn_q_values(Backend* backend, const std::vector<float>* observations, std::vector<float>* q_out) {
    Backend& b = *backend;
    const std::vector<float>& obs_in = *observations;
    const int64_t n = static_cast<int64_t>(obs_in.size()) / kObservationSize;
    const torch::Tensor obs = torch::from_blob(const_cast<float*>(obs_in.data()), {n, kObservationSize});
    const torch::Tensor q = as_dqn(b).agent().q_values(obs).contiguous();
    q_out->assign(q.data_ptr<float>(), q.data_ptr<float>() + q.numel());
}

extern "C" float v2g_dqn_price_scale(Backend* backend) { return as_dqn(*backend).price_scale(); }

// An outside policy from a TorchScript file (`v2g eval --policy`): forward(observations [n, 12])
// -> action scores [n, 5]; the highest score is the action (ties: the lowest index, as the DQN's
// own greedy choice). A module that says its observation layout (as --model-out writes) must
// say this one's.
extern "C" void v2g_dqn_script_policy(const std::string* path_in, ActionChooser* out) {
    const std::string path = *path_in;
    auto module = std::make_shared<torch::jit::Module>();
    try {
        *module = torch::jit::load(path);
    } catch (const c10::Error& e) {
        std::string why = e.what_without_backtrace();
        why = why.substr(0, why.find('\n'));
        throw InputError("--policy " + path + ": not a TorchScript module (" + why + ")");
    }
    if (module->hasattr("observation_layout_version") &&
        module->attr("observation_layout_version").toInt() != kObservationLayoutVersion)
        throw InputError("--policy " + path + ": made for observation layout " +
                         std::to_string(module->attr("observation_layout_version").toInt()) + ", this build has " +
                         std::to_string(kObservationLayoutVersion));
    module->eval();
    *out = [module, path](const float* observations, int n, uint8_t* actions) {
        torch::NoGradGuard no_grad;
        const torch::Tensor obs = torch::from_blob(const_cast<float*>(observations), {n, kObservationSize});
        torch::Tensor scores;
        try {
            scores = module->forward({obs}).toTensor();
        } catch (const c10::Error& e) {
            std::string why = e.what_without_backtrace();
            why = why.substr(0, why.find('\n'));
            throw InputError("--policy " + path + ": forward(observations [" + std::to_string(n) + ", " +
                             std::to_string(kObservationSize) + "]) failed: " + why);
        }
        if (scores.dim() != 2 || scores.size(0) != n || scores.size(1) != kNumActions)
            throw InputError("--policy " + path + ": forward must return action scores [" + std::to_string(n) + ", " +
                             std::to_string(kNumActions) + "], it returned " + std::to_string(scores.dim()) + " dims");
        const torch::Tensor best = scores.to(torch::kFloat32).argmax(1).contiguous();
        const int64_t* b = best.data_ptr<int64_t>();
        for (int v = 0; v < n; ++v) actions[v] = static_cast<uint8_t>(b[v]);
    };
}

extern "C" void v2g_dqn_export(Backend* backend, const std::string* path_in) {
    const std::string& path = *path_in;
    DqnBackend* dqn_backend = &as_dqn(*backend);
    torch::nn::Sequential& net = dqn_backend->agent().online();
    // A TorchScript module with the same weights: linear layers with ReLU between them.
    torch::jit::Module m("V2GQNetwork");
    std::string body = "def forward(self, x):\n";
    int layer = 0;
    const auto params = net->named_parameters();
    std::vector<std::string> names;
    for (const auto& item : params) names.push_back(item.key());
    for (size_t i = 0; i + 1 < names.size(); i += 2, ++layer) {
        const std::string w = "w" + std::to_string(layer), b = "b" + std::to_string(layer);
        m.register_parameter(w, params[names[i]].detach().clone(), false);
        m.register_parameter(b, params[names[i + 1]].detach().clone(), false);
        body += "    x = torch.linear(x, self." + w + ", self." + b + ")\n";
        if (i + 2 < names.size()) body += "    x = torch.relu(x)\n";
    }
    body += "    return x\n";
    m.register_attribute("observation_layout_version", c10::IntType::get(), kObservationLayoutVersion);
    m.register_attribute("observation_size", c10::IntType::get(), static_cast<int64_t>(kObservationSize));
    m.define(body);
    try {
        m.save(path);
    } catch (const c10::Error& e) {
        throw InputError("--model-out " + path + ": cannot write (" + std::string(e.what_without_backtrace()) + ")");
    }
}

}  // namespace v2g
