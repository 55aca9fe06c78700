// oracle.h: the upper bound every policy is scored against (docs/EVALUATION.md, "The LP oracle"):
// the perfect-foresight optimum of one community's day, as EV2Gym scores its policies against a
// Gurobi optimum. Every vehicle's charging, discharging, P2P buying and selling at any power up to
// its charger's, knowing the day's prices, sessions, PV and demand-response events in advance,
// within the P2P market's balance (buyers receive what sellers and PV deliver less the
// distribution losses), the grid connection limit, the SoC bounds and the contracts' terms, with
// the ageing cost linearised: a linear programme solved by COIN-OR's Clp.
//
// What it owns: the programme (variables, rows, the linearised ageing), its successive
// re-linearisation, and the evaluation of the plan it finds in the environment's own physics
// (step.h age_pack for the ageing, the contracts' prices), whose money is what the oracle
// scores: the LP's own objective is an approximation of it (the cycle-ageing term).
//
// Host only; knows nothing of files or backends. A community-day of 50 vehicles and 24 steps is
// ~3,500 columns and ~1,400 rows; Clp's dual simplex solves it in a few milliseconds.
#pragma once
#include <vector>
#include "env/step.h"
#include "eval/metrics.h"

namespace v2g {

struct OracleOptions {
    // Linear programmes solved per community-day: the first prices cycle ageing at the day's
    // start (no throughput yet, no depth of cycle), each next one around the previous plan's
    // SoC path, throughput and depth of cycle (successive linearisation). The oracle's plan is
    // the pass whose plan earns most in the environment's physics.
    int passes = 4;
};

struct OracleDay {
    DayTotals totals;          // the plan's day in the environment's physics (this community)
    double lp_objective = 0;   // the chosen programme's own money (its linearised ageing)
    double plugged_money = 0;  // the plan's money over the plugged-in steps only, without the
                               // en-route charging of the morning: what the DP's value counts
    std::vector<double> step_bought_kwh, step_sold_kwh;  // P2P flows per step (the community)
    int passes = 0;
};

// Solves community c's day. f: host views of a fleet (its state part is enough) on which
// reset_vehicle(p, f, v, episode) has run for the community's vehicles today and nothing since;
// the plan's end state (stored energy, ageing) is written back into f, so the next day can start
// from it. Throws std::runtime_error when Clp does not find the optimum.
OracleDay solve_community_day(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c, int episode,
                              const OracleOptions& options = {});

}  // namespace v2g
