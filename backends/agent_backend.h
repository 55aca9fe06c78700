// agent_backend.h: a host backend whose policy comes from outside the engine (a TorchScript
// module, a Python callable): before every act phase it hands every vehicle's observation
// (env/observation.h) to a chooser and steps the actions it returns, on the one episode
// schedule; the built-in modes (the yardsticks) run as on the CPU backend. `v2g eval --policy`
// and Python's v2g.evaluate(policy=...) score it through it.
#pragma once
#include <functional>
#include <memory>
#include "backends/backend.h"

namespace v2g {

// Chooses actions[v] in 0..kNumActions-1 for each of `n` vehicles from their observations
// [n * kObservationSize] (away vehicles' choices are ignored). Throws to stop the episode.
using ActionChooser = std::function<void(const float* observations, int n, uint8_t* actions)>;

// Runs `problem` on the host, one lane over the whole fleet; kPolicyGiven asks the chooser,
// any other mode runs the engine's own policy. day_start_hour: the clock hour of step 0.
std::unique_ptr<Backend> make_agent_backend(Problem problem, ActionChooser choose, float day_start_hour,
                                            int threads);

}  // namespace v2g
