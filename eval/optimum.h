// optimum.h: the exact optimum of one vehicle's day in a discretised model of it, by dynamic
// programming (backward induction over stored energy x step), with an exhaustive search and a
// policy evaluator in the same model to check it, and the model's discounted Q* to compare
// learned Q-values with. Host code only (plain inline functions, no V2G_HD): the evaluation
// solves one plan per vehicle and day on the host and the backends execute the plans with the
// plan policy (step.h kPolicyPlan); docs/EVALUATION.md, "The dynamic-programming optimum".
//
// What it owns: the planning model's transition (plan_transition), and everything built on it:
// solve_day (value and plan), brute_force_day, evaluate_in_model / follow_plan_in_model,
// optimal_q, and plan_context (views of a host copy of a problem's buffers).
//
// The model. A step of the model IS the environment's step code (step.h request_transfer +
// apply_vehicle) applied to the one vehicle, so charger limits, SoC bounds, efficiencies,
// contracts (p.ledger_enabled), prices, DR tariffs, grid outages, P2P losses, degradation and the
// departure penalty are the environment's own, not a re-implementation that could drift; so is
// the charger's safety layer (step.h safe_action), which overrides the model's choices as it
// overrides any policy's. Three
// approximations turn a vehicle's day into a finite deterministic MDP over (grid point, step):
//   - snapping: the stored energy after a step is rounded to the nearest of p.plan_points equally
//     spaced levels from soc_min to soc_max of usable capacity (step.h plan_point and
//     plan_energy_kwh, the grid the plan policy reads). Only the day's first state, the exact
//     energy at arrival, is off the grid;
//   - price taker: the P2P market of each step is taken as recorded (clearing price, matched
//     shares of offers and of bids, the shares the connection limit let through), e.g. from the
//     learned policy's evaluation run; the vehicle's own choice does not move it. With the market recorded from the very step it is applied to,
//     the model's step equals the environment's (tests/test_optimum.cpp);
//   - Markov degradation: the cell throughput is the day-start value at every step, and the depth
//     of cycle is the step's own SoC swing (the environment uses the day's swing so far and the
//     throughput so far, both path dependent). At the arrival step both agree exactly.
// Returns are undiscounted sums (the day's money, the learner's objective) over the plugged-in
// steps arrival <= t < departure only: that is the part of the day's money the policy controls.
// The environment's reward of an unplugged step is its calendar-ageing cost, which no action
// changes; compare a model return with the environment's money over the plugged-in steps only.
//
// Memory and concurrency: plan_transition writes, and restores before it returns, the vehicle's
// own entries of the FleetView and its community's six market entries (price, sell and buy
// ratios, the connection limit's three shares); it never writes a ledger slot (it drops f.tx_slots). Vehicles of different communities
// therefore touch disjoint memory and may be solved in parallel on one host copy; vehicles of one
// community share their community's market entries and must be solved one after another.
//
// Cost, napkin math: a transition is one environment step of one vehicle, a few hundred
// arithmetic operations (six square roots of the degradation model, contract checks, the
// learner's state index) plus ~40 saved and restored fields: ~0.1 us on one core. solve_day makes
// plan_points x stay steps x kNumActions transitions: 101 x 24 x 5 = 12,120 for a whole day at
// hourly steps, ~1 ms (measured 1.1-1.5 ms, and ~0.5 ms for the fitted sessions' mean stay of
// 9 hours; tests/test_optimum.cpp SolveTimeOfAnHourlyDay prints it): a 50-vehicle fleet's day
// in ~30 ms on one core. Memory: a (steps + 1) x plan_points table of doubles (20 KB for
// 101 x 24). brute_force_day makes ~5^k x 5/4 transitions for k decisions (0.5 M for k = 8),
// hence its limit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "backends/backend.h"
#include "env/layout.h"
#include "env/step.h"

namespace v2g {

// The recorded market: [step * kPlanMarketFields + field].
enum PlanMarketField : int {
    kPlanMarketPrice = 0,      // clearing price (currency/kWh, seller side)
    kPlanMarketSellRatio = 1,  // matched share of each offer
    kPlanMarketBuyRatio = 2,   // matched share of each bid
    kPlanMarketForcedShare = 3,// share of safety-forced grid charging the connection limit let through
    kPlanMarketImportShare = 4,// ... of the other grid imports
    kPlanMarketExportShare = 5,// ... of the grid exports
};
constexpr int kPlanMarketFields = 6;
// The step record (step.h RecordField) holds the same fields in the same order from kRecordPrice,
// so a recorded step copies over field by field.
static_assert(kRecordSellRatio - kRecordPrice == kPlanMarketSellRatio &&
                  kRecordBuyRatio - kRecordPrice == kPlanMarketBuyRatio &&
                  kRecordForcedShare - kRecordPrice == kPlanMarketForcedShare &&
                  kRecordImportShare - kRecordPrice == kPlanMarketImportShare &&
                  kRecordExportShare - kRecordPrice == kPlanMarketExportShare &&
                  kRecordFields - kRecordPrice == kPlanMarketFields,
              "the step record's market fields and PlanMarketField must match");

constexpr int kMinPlanPoints = 2;            // soc_min and soc_max at least
constexpr int kMaxBruteForceDecisions = 10;  // 5^10 ~ 1e7 action sequences

// One vehicle's day. f is a host copy of the fleet state on which reset_vehicle(p, f, vehicle,
// episode) has run for this day and nothing since (the stored energy is the arrival energy; SoH,
// calendar and cycle loss and throughput are the day-start values). Contracts are checked when
// p.ledger_enabled; no ledger is written (f.tx_slots is ignored). p.plan_points >= 2.
// market: [steps_per_day * kPlanMarketFields], see PlanMarketField.
struct PlanContext {
    EnvParams p;
    SignalsView sig;
    FleetView f;
    int vehicle;
    int episode;
    const double* market;
};

struct PlanTransition {
    double reward;               // money of the step (currency): the environment's reward
    float next_energy_kwh;       // stored energy after the step, snapped to the grid
    int next_point;              // its grid point
    bool terminal;               // the step ended the stay (step + 1 == departure)
    float energy_after_kwh;      // stored energy after the step before snapping
};

inline int plan_arrival(const PlanContext& c) { return c.f.arrival_step[c.vehicle]; }
inline int plan_departure(const PlanContext& c) { return c.f.departure_step[c.vehicle]; }
inline int plan_community(const PlanContext& c) { return c.vehicle / c.p.community_size; }

// Index of (step, point) in a plan or a value table; of (step, point, action) in optimal_q's.
inline size_t plan_index(const EnvParams& p, int step, int point) {
    return static_cast<size_t>(step) * static_cast<size_t>(p.plan_points) + static_cast<size_t>(point);
}
inline size_t plan_q_index(const EnvParams& p, int step, int point, int action) {
    return plan_index(p, step, point) * kNumActions + static_cast<size_t>(action);
}

// Views of a host copy of a problem's buffers, for planning. `fleet`: the caller's copy of a
// fleet buffer laid out for p (the whole buffer, or only its state part, layout_fleet's
// state_bytes: then f.q is null); `signals`: a signals buffer for p. The context points into
// both, which must outlive it, and writes into `fleet` only while a transition runs. The
// caller runs reset_vehicle(ctx.p, ctx.f, vehicle, episode) once per vehicle and day before
// solving it (not here: a second reset would drive the vehicle a second time).
inline PlanContext plan_context(const EnvParams& p, std::vector<char>* fleet, const std::vector<char>& signals,
                                int vehicle, int episode, const double* market) {
    FleetView measure{};
    SignalsView measure_sig{};
    size_t state_bytes = 0;
    const size_t fleet_bytes = layout_fleet(p, nullptr, &measure, &state_bytes);
    if (fleet->size() < state_bytes)
        throw std::invalid_argument("plan_context: the fleet buffer has " + std::to_string(fleet->size()) +
                                    " bytes, its state part needs " + std::to_string(state_bytes));
    if (signals.size() < layout_signals(p, nullptr, &measure_sig))
        throw std::invalid_argument("plan_context: the signals buffer is smaller than its layout");
    PlanContext c{p, SignalsView{}, FleetView{}, vehicle, episode, market};
    layout_fleet(p, fleet->data(), &c.f);
    if (fleet->size() < fleet_bytes) {  // the state part only
        c.f.q = nullptr;
        c.f.q_bf16 = nullptr;
    }
    layout_signals(p, const_cast<char*>(signals.data()), &c.sig);
    return c;
}

// The same for a Problem's signals (problem.params.plan_points must be set).
inline PlanContext plan_context(const Problem& problem, std::vector<char>* fleet, int vehicle, int episode,
                                const double* market) {
    return plan_context(problem.params, fleet, problem.signals, vehicle, episode, market);
}

namespace plan_detail {

// Everything a step of one vehicle may write: the vehicle's battery state, its step arrays and
// day sums, and its community's market (the lists of env_types.h; an entry the step leaves
// alone comes back as it was).
#define V2G_PLAN_VEHICLE_ARRAYS(X) V2G_VEHICLE_BATTERY_ARRAYS(X) V2G_VEHICLE_STEP_ARRAYS(X) V2G_VEHICLE_STEP_SUMS(X)
struct Snapshot {
#define V2G_SNAPSHOT_MEMBER(type, name, elements) std::remove_const_t<type> name[elements];
    V2G_PLAN_VEHICLE_ARRAYS(V2G_SNAPSHOT_MEMBER)
    V2G_COMMUNITY_STEP_ARRAYS(V2G_SNAPSHOT_MEMBER)
#undef V2G_SNAPSHOT_MEMBER
};

// Copies between the vehicle's (or the community's) entries of the fleet and the snapshot.
#define V2G_COPY_ENTRIES(to, from, elements) \
    for (int k = 0; k < (elements); ++k) to = from;
#define V2G_SAVE_VEHICLE(type, name, elements) V2G_COPY_ENTRIES(s.name[k], f.name[v * (elements) + k], elements)
#define V2G_SAVE_COMMUNITY(type, name, elements) V2G_COPY_ENTRIES(s.name[k], f.name[c * (elements) + k], elements)
#define V2G_RESTORE_VEHICLE(type, name, elements) V2G_COPY_ENTRIES(f.name[v * (elements) + k], s.name[k], elements)
#define V2G_RESTORE_COMMUNITY(type, name, elements) V2G_COPY_ENTRIES(f.name[c * (elements) + k], s.name[k], elements)

inline Snapshot save(const FleetView& f, int v, int c) {
    Snapshot s;
    V2G_PLAN_VEHICLE_ARRAYS(V2G_SAVE_VEHICLE)
    V2G_COMMUNITY_STEP_ARRAYS(V2G_SAVE_COMMUNITY)
    return s;
}

inline void restore(const FleetView& f, int v, int c, const Snapshot& s) {
    V2G_PLAN_VEHICLE_ARRAYS(V2G_RESTORE_VEHICLE)
    V2G_COMMUNITY_STEP_ARRAYS(V2G_RESTORE_COMMUNITY)
}
#undef V2G_COPY_ENTRIES
#undef V2G_SAVE_VEHICLE
#undef V2G_SAVE_COMMUNITY
#undef V2G_RESTORE_VEHICLE
#undef V2G_RESTORE_COMMUNITY

// The episode accumulators a step adds to, zeroed so that a transition starts from a clean day
// (no reward depends on them; they are restored afterwards).
inline void zero_accumulators(const FleetView& f, int v) { clear_day_sums(f, v); }

inline void check_context(const PlanContext& c, const char* who) {
    const auto fail = [who](const std::string& what) { throw std::invalid_argument(std::string(who) + ": " + what); };
    if (c.p.plan_points < kMinPlanPoints)
        fail("plan_points = " + std::to_string(c.p.plan_points) + ", needs at least " + std::to_string(kMinPlanPoints));
    if (c.vehicle < 0 || c.vehicle >= c.p.num_vehicles) fail("vehicle " + std::to_string(c.vehicle) + " out of range");
    if (c.market == nullptr) fail("no recorded market");
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    if (arrival < 0 || departure < 0 || arrival > c.p.steps_per_day || departure > c.p.steps_per_day)
        fail("session [" + std::to_string(arrival) + ", " + std::to_string(departure) + ") outside the day");
}

}  // namespace plan_detail

// One step of the model from any stored energy (on the grid or not) at a step of the stay
// (arrival <= step < departure), with any action. The vehicle is put in the model's state
// (plugged in, the given energy, a fresh day's SoC swing at that energy, clean accumulators),
// steps through request_transfer, the recorded market of `step` and apply_vehicle, and is
// restored as it was found.
inline PlanTransition plan_transition(const PlanContext& c, float energy_kwh, int step, int action) {
    const EnvParams& p = c.p;
    FleetView f = c.f;
    f.tx_slots = nullptr;  // the model never writes the ledger
    const int v = c.vehicle, com = plan_community(c);
    const plan_detail::Snapshot saved = plan_detail::save(f, v, com);

    const float usable = f.usable_kwh[v];
    const float soc = soc_of(energy_kwh, usable);
    f.energy_kwh[v] = energy_kwh;
    f.soc_low_today[v] = soc;  // depth of cycle: this step's own swing (Markov)
    f.soc_high_today[v] = soc;
    plan_detail::zero_accumulators(f, v);
    f.state[v] = 0;            // plugged in (any state >= 0: the departure penalty applies)
    bool forced = false;       // the charger's safety layer acts on the model's choices too
    const int executed = safe_action(p, c.sig, f, v, c.episode, step, action, &forced);
    f.forced[v] = forced ? 1 : 0;
    request_transfer(p, c.sig, f, v, c.episode, step, executed);
    const double* m = c.market + static_cast<size_t>(step) * kPlanMarketFields;
    f.market_price_per_kwh[com] = static_cast<float>(m[kPlanMarketPrice]);
    f.market_sell_ratio[com] = static_cast<float>(m[kPlanMarketSellRatio]);
    f.market_buy_ratio[com] = static_cast<float>(m[kPlanMarketBuyRatio]);
    f.grid_forced_share[com] = static_cast<float>(m[kPlanMarketForcedShare]);
    f.grid_import_share[com] = static_cast<float>(m[kPlanMarketImportShare]);
    f.grid_export_share[com] = static_cast<float>(m[kPlanMarketExportShare]);
    apply_vehicle(p, c.sig, f, v, c.episode, step);

    PlanTransition t;
    t.reward = static_cast<double>(f.reward[v]);
    t.energy_after_kwh = f.energy_kwh[v];
    t.next_point = plan_point(p, t.energy_after_kwh, usable);
    t.next_energy_kwh = plan_energy_kwh(p, usable, t.next_point);
    t.terminal = step + 1 == f.departure_step[v];

    plan_detail::restore(f, v, com, saved);
    return t;
}

namespace plan_detail {

// The best action from `energy` at `step` against the values of step + 1 (ties: lowest index).
struct Choice {
    double value;
    int action;
};

inline Choice best_action(const PlanContext& c, float energy_kwh, int step, const double* next_values) {
    Choice best{0.0, -1};
    for (int a = 0; a < kNumActions; ++a) {
        const PlanTransition tr = plan_transition(c, energy_kwh, step, a);
        const double q = tr.reward + (tr.terminal ? 0.0 : next_values[tr.next_point]);
        if (best.action < 0 || q > best.value) best = Choice{q, a};
    }
    return best;
}

inline double brute_force_from(const PlanContext& c, float energy_kwh, int step) {
    double best = 0.0;
    for (int a = 0; a < kNumActions; ++a) {
        const PlanTransition tr = plan_transition(c, energy_kwh, step, a);
        const double q = tr.reward + (tr.terminal ? 0.0 : brute_force_from(c, tr.next_energy_kwh, step + 1));
        if (a == 0 || q > best) best = q;
    }
    return best;
}

}  // namespace plan_detail

// Backward induction, undiscounted, V(., departure) = 0:
//   V(g, t) = max_a [ r(E_g, t, a) + V(next point, t + 1) ]   for t = departure - 1 .. arrival,
// ties to the lowest action index. *plan gets [step * plan_points + point] -> the argmax
// (kIdle outside the stay: all idle for a vehicle that never plugs in). Returns the value of the
// EXACT arrival energy E0 (not snapped): max_a [ r(E0, arrival, a) + V(next, arrival + 1) ].
// That action is stored at the arrival step's entry of E0's grid point, replacing the grid
// point's own argmax where the two differ (the entry is read only from E0 on the day it was
// solved for: the plan policy at arrival sees the exact E0, which snaps to that point).
// *values (optional) gets the grid values [(steps_per_day + 1) * plan_points] (zero outside the
// stay); its arrival row holds the grid points' values, not E0's.
inline double solve_day(const PlanContext& c, std::vector<uint8_t>* plan, std::vector<double>* values = nullptr) {
    plan_detail::check_context(c, "solve_day");
    const EnvParams& p = c.p;
    const int G = p.plan_points, T = p.steps_per_day;
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    plan->assign(static_cast<size_t>(T) * static_cast<size_t>(G), static_cast<uint8_t>(kIdle));
    std::vector<double> value(static_cast<size_t>(T + 1) * static_cast<size_t>(G), 0.0);
    double result = 0.0;
    if (arrival < departure) {
        const float usable = c.f.usable_kwh[c.vehicle];
        for (int t = departure - 1; t >= arrival; --t) {
            const double* next = &value[plan_index(p, t + 1, 0)];
            for (int g = 0; g < G; ++g) {
                const plan_detail::Choice best = plan_detail::best_action(c, plan_energy_kwh(p, usable, g), t, next);
                value[plan_index(p, t, g)] = best.value;
                (*plan)[plan_index(p, t, g)] = static_cast<uint8_t>(best.action);
            }
        }
        const float e0 = c.f.energy_kwh[c.vehicle];
        const plan_detail::Choice start = plan_detail::best_action(c, e0, arrival, &value[plan_index(p, arrival + 1, 0)]);
        (*plan)[plan_index(p, arrival, plan_point(p, e0, usable))] = static_cast<uint8_t>(start.action);
        result = start.value;
    }
    if (values) *values = std::move(value);
    return result;
}

// The model return of any policy, a callable (int step, float energy_kwh) -> action, from the
// exact arrival energy. Rewards are summed from the last step back, as solve_day adds them, so a
// policy that follows the plan scores exactly solve_day's value.
template <typename Policy>
double evaluate_in_model(const PlanContext& c, Policy&& policy) {
    plan_detail::check_context(c, "evaluate_in_model");
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    std::vector<double> rewards;
    float energy = c.f.energy_kwh[c.vehicle];
    for (int t = arrival; t < departure; ++t) {
        const int a = static_cast<int>(policy(t, energy));
        if (a < 0 || a >= kNumActions)
            throw std::invalid_argument("evaluate_in_model: the policy chose action " + std::to_string(a));
        const PlanTransition tr = plan_transition(c, energy, t, a);
        rewards.push_back(tr.reward);
        energy = tr.next_energy_kwh;
    }
    double total = 0.0;
    for (auto r = rewards.rbegin(); r != rewards.rend(); ++r) total = *r + total;
    return total;
}

// solve_day's plan followed in the model (the entry of the snapped point at each step).
inline double follow_plan_in_model(const PlanContext& c, const std::vector<uint8_t>& plan) {
    const float usable = c.f.usable_kwh[c.vehicle];
    return evaluate_in_model(c, [&](int t, float e) {
        return static_cast<int>(plan[plan_index(c.p, t, plan_point(c.p, e, usable))]);
    });
}

// The best return over every action sequence (5^k for k decisions) from the exact arrival
// energy, by recursive enumeration without memoisation or grid indices: an independent check
// of solve_day. Throws std::invalid_argument beyond kMaxBruteForceDecisions decisions.
inline double brute_force_day(const PlanContext& c) {
    plan_detail::check_context(c, "brute_force_day");
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    if (arrival >= departure) return 0.0;
    if (departure - arrival > kMaxBruteForceDecisions)
        throw std::invalid_argument("brute_force_day: " + std::to_string(departure - arrival) +
                                    " decisions, more than " + std::to_string(kMaxBruteForceDecisions));
    return plan_detail::brute_force_from(c, c.f.energy_kwh[c.vehicle], arrival);
}

// Discounted Q* of the model on the grid: Q(t, g, a) = r(E_g, t, a) + gamma max_a' Q(t + 1, g', a')
// (no continuation after the terminal step), *q of shape [steps_per_day][plan_points][5]
// (plan_q_index), zero outside the stay. With gamma = 1 its row maxima are solve_day's grid
// values and its first argmax solve_day's plan (the arrival entry of E0's point excepted).
inline void optimal_q(const PlanContext& c, float gamma, std::vector<double>* q) {
    plan_detail::check_context(c, "optimal_q");
    const EnvParams& p = c.p;
    const int G = p.plan_points, T = p.steps_per_day;
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    q->assign(static_cast<size_t>(T) * static_cast<size_t>(G) * kNumActions, 0.0);
    const float usable = c.f.usable_kwh[c.vehicle];
    const double discount = static_cast<double>(gamma);
    for (int t = departure - 1; t >= arrival; --t)
        for (int g = 0; g < G; ++g)
            for (int a = 0; a < kNumActions; ++a) {
                const PlanTransition tr = plan_transition(c, plan_energy_kwh(p, usable, g), t, a);
                double next = 0.0;
                if (!tr.terminal) {
                    const double* row = &(*q)[plan_q_index(p, t + 1, tr.next_point, 0)];
                    next = *std::max_element(row, row + kNumActions);
                }
                (*q)[plan_q_index(p, t, g, a)] = tr.reward + discount * next;
            }
}

}  // namespace v2g
