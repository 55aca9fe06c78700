// problem.h: turns a Config into the host images a backend runs (backends/backend.h Problem):
// fleet models drawn from the mix, initial battery state, session model, signal series with
// their price levels and demand-response events, community PV, zeroed Q-tables.
#pragma once
#include "config/config.h"
#include "backends/backend.h"

namespace v2g {

Problem build_problem(const Config& cfg);
// The parameters alone (sizes, sharing, ledger), without building the fleet: for sizing a run
// (backends/device_memory.h) before committing memory to it.
EnvParams problem_params(const Config& cfg);

}  // namespace v2g
