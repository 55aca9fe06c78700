// problem.h: turns a Config into the host images a backend runs (backends/backend.h Problem):
// fleet models drawn from the mix, initial battery state, session model, signal series with
// their price levels and demand-response events, community PV, zeroed Q-tables.
#pragma once
#include "config/config.h"
#include "backends/backend.h"
#include "env/layout.h"

namespace v2g {

Problem build_problem(const Config& cfg);
// The parameters alone (sizes, sharing, ledger), without building the fleet: for sizing a run
// (backends/device_memory.h) before committing memory to it.
EnvParams problem_params(const Config& cfg);
// SignalsView::price_order from the retail prices: each day's steps cheapest first, ties
// earlier first (again after a fault changes the prices).
void order_day_prices(const EnvParams& p, const SignalsHostView& s);

}  // namespace v2g
