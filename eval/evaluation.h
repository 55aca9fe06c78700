// evaluation.h: `v2g eval`: the trained policy and the yardsticks (initial, random,
// charge-on-arrival, time-of-use, the dynamic-programming plan, the LP oracle) on the same
// held-out days, on the run's backend, fault-free and under each configured fault; every metric
// of metrics.h per policy and day, the day series, the per-vehicle initial-vs-enhanced figures,
// and the score (learned - random) / (oracle - random) (docs/EVALUATION.md). Also the short
// check that ends `v2g train`. Knows nothing of files: results.h writes the result.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include <cmath>
#include "backends/agent_backend.h"
#include "config/config.h"
#include "eval/metrics.h"
#include "train/trainer.h"

namespace v2g {

// The policies in the order of /evaluation/policies. All but the oracle run on the backend with
// their PolicyMode; the oracle (eval/oracle.h) is solved on the host.
struct EvalPolicy {
    const char* name;
    PolicyMode mode;
    bool oracle = false;
    bool external = false;  // the outside policy (ExternalPolicy), appended after the oracle
};

// A policy from outside the engine (`v2g eval --policy model.pt`, Python's
// v2g.evaluate(policy=...)): scored beside the others as one more row of /evaluation/policies,
// named `name`, from the same trained state and on the same days (backends/agent_backend.h).
struct ExternalPolicy {
    std::string name;            // its row's name, e.g. "external"
    ActionChooser choose;        // observations -> actions (agent_backend.h)
};
const std::vector<EvalPolicy>& eval_policies();

// Indices into eval_policies() (and every [policy] axis below).
enum EvalPolicyIndex : int {
    kEvalLearned = 0,
    kEvalInitial = 1,
    kEvalRandom = 2,
    kEvalUncontrolled = 3,
    kEvalTimeOfUse = 4,
    kEvalDpPlan = 5,
    kEvalOracle = 6,
    kEvalExternal = 7,  // present only when an ExternalPolicy is evaluated
};
constexpr const char* kExternalPolicyName = "external";

// (learned - random) / (oracle - random) of the money per vehicle-day means: the share of the way
// from random to the oracle the learned policy goes (NaN when the oracle does not beat random).
double oracle_score(double learned, double random, double oracle);

struct ScenarioResult {
    std::string name;          // "" for the fault-free days, else the fault
    std::string description;
    std::vector<std::vector<DayMetrics>> metrics;  // [policy][day]
    // Money per vehicle-day of every policy over the oracle's communities, [policy][day]: the
    // score compares policies on the vehicles the oracle solved (all of them when it solved all).
    std::vector<std::vector<double>> oracle_set_money;
    double score = 0;          // oracle_score of the means over the days
    double external_score = std::nan("");  // the outside policy's oracle_score, when there is one
};

// Fleet flows per step in the day series, [policy][day][step][kFlowFields].
enum FlowField : int { kFlowImport = 0, kFlowExport, kFlowBought, kFlowSold, kFlowFields };

struct EvaluationResult {
    int first_episode = 0, days = 0, steps_per_day = 0, vehicles = 0, dp_energy_points = 0;
    double step_hours = 1.0;
    bool ledger = false;
    std::string device, backend, faults;
    std::vector<std::string> policies;
    std::vector<ScenarioResult> scenarios;  // [0]: fault-free
    // Fault-free day series, [day][step].
    std::vector<double> clock_hour, retail_price_per_kwh, feed_in_price_per_kwh, dr_event;
    std::vector<double> flows;              // [policy][day][step][kFlowFields] (kWh)
    std::vector<double> optimum_value_per_vehicle;  // [day]: the DP value, fleet mean
    int oracle_communities = 0, oracle_vehicles = 0;  // what the LP oracle solved (the first ones)
    // Per vehicle over the fault-free days: `initial` vs `learned` (the paper's Fig. 9).
    std::vector<double> initial_departure_met, enhanced_departure_met;
    std::vector<double> initial_money_per_day, enhanced_money_per_day;
    std::vector<double> initial_soh, enhanced_soh;
};

struct EvalProgress {
    std::string scenario;  // "fault-free" or the fault
    std::string policy;
    int runs_done = 0, runs_total = 0;  // (scenario, policy) pairs
    double elapsed_s = 0;
};

// Evaluates the trained fleet buffer (state and Q-tables after `first_episode` episodes) of a
// run with config `cfg`, for cfg.evaluation.days days under every fault of cfg.evaluation.faults.
// A DQN run (learning.policy = "dqn") also needs its network: `trained_learner`, the
// checkpoint's Backend::save_learner bytes; its `initial` policy is the untrained network.
// With `external`, its row follows the oracle's (kEvalExternal).
EvaluationResult run_evaluation(const Config& cfg, const std::vector<char>& trained_fleet, int first_episode,
                                const DeviceChoice& device,
                                const std::function<void(const EvalProgress&)>& on_progress = {},
                                const std::vector<char>& trained_learner = {},
                                const ExternalPolicy* external = nullptr);

// The check that ends `v2g train` (evaluation.check_days days after training, fault-free): the
// learned policy against random, charge-on-arrival and time-of-use on the whole fleet and the LP
// oracle on its communities.
struct TrainingCheck {
    int days = 0, first_episode = 0;
    double learned = 0, random = 0, uncontrolled = 0, time_of_use = 0, oracle = 0;  // money/vehicle/day
    double learned_departure_met = 0;   // departure_energy_met of the learned policy
    double score = 0;                   // oracle_score on the oracle's communities
    std::string best_yardstick;         // charge_on_arrival or time_of_use, the higher money
    double best_yardstick_money = 0;
    int oracle_communities = 0, communities = 0;
};
// on_progress, if set, hears before each of its five runs (scenario "held-out check") and once
// after the last (policy empty), as run_evaluation's does.
TrainingCheck run_training_check(const Config& cfg, const std::vector<char>& trained_fleet, int first_episode,
                                 const DeviceChoice& device, const std::vector<char>& trained_learner = {},
                                 const std::function<void(const EvalProgress&)>& on_progress = {});

// The fault scenario's description, and its changes to a problem (params and signals).
std::string describe_fault(const Config& cfg, const std::string& fault);
void apply_fault(const Config& cfg, const std::string& fault, Problem* problem);

}  // namespace v2g
