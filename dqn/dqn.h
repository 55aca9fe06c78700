// dqn.h: the deep Q-network learner (learning.policy = "dqn"). One MLP Q-network shared by
// every vehicle (parameter sharing) over the continuous observation of env/observation.h,
// a replay buffer, a target network (hard or Polyak updates), plain or double-DQN targets,
// Huber or MSE loss, gradient clipping, Adam. It runs as a Backend (backends/backend.h), so the
// trainer, the ledger, the results file and the CLI treat it like the tabular engine; it steps
// the environment phases of env/step.h on the host and the network with LibTorch on the CPU.
// The LibTorch parts live in dqn.cpp only (a build without LibTorch links dqn_stub.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "config/config.h"
#include "backends/agent_backend.h"
#include "backends/backend.h"

namespace v2g {

// Throws InputError, naming `what` and the reason, when this build cannot run a DQN (no
// LibTorch, or libv2g_dqn.so cannot be loaded).
void require_dqn(const std::string& what);
// The DQN backend for a problem built from `cfg` (learning.policy = "dqn"); InputError when
// this build has no LibTorch.
std::unique_ptr<Backend> make_dqn_backend(const Config& cfg, Problem problem);
// Writes the trained Q-network of a DQN backend as a TorchScript file: forward(obs [n, 12])
// -> Q [n, 5], loadable with torch.jit.load (Python) or torch::jit::load (C++).
void export_dqn_model(Backend& dqn_backend, const std::string& path);
// The online network's Q-values of observations [n * 12] -> [n * 5] (for tests and tools).
std::vector<float> dqn_q_values(Backend& dqn_backend, const std::vector<float>& observations);
// The price scale of the backend's observations (the series' largest retail price).
float dqn_price_scale(Backend& dqn_backend);
// An outside policy from a TorchScript file (`v2g eval --policy`): forward(observations
// [n, 12]) -> action scores [n, 5], the best-scoring action chosen. InputError naming the file
// when it is no such module, or when this build has no LibTorch.
ActionChooser load_script_policy(const std::string& path);

}  // namespace v2g
