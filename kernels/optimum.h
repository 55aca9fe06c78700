// optimum.h: the exact optimum of one vehicle's day in a discretised model, by dynamic
// programming (backward induction over stored energy x step), with a brute-force search and a
// policy evaluator in the same model to check it, and the discounted Q* of the same model for
// comparing learned Q-values. Host code (the evaluation solves plans on the host and the
// backends execute them with the plan policy, step.h kPolicyPlan).
//
// The model ("planning model", docs/EVALUATION.md): a step is the environment's own code
// (step.h request_transfer + apply_vehicle) applied to one vehicle, so limits, contracts,
// prices, losses, degradation and the departure penalty are the environment's. Three
// approximations make it a finite deterministic MDP over (grid point, step):
//   - the stored energy after a step is rounded to the nearest of p.plan_points levels from
//     soc_min to soc_max of usable capacity (step.h plan_point);
//   - the P2P market is taken as recorded (price, matched shares of offers and bids per step):
//     the vehicle is a price taker;
//   - degradation uses the day-start cell throughput and, as depth of cycle, the step's own
//     SoC swing (the environment uses the day's swing so far, a path-dependent quantity).
// Returns count only the steps the vehicle is plugged in: the part of the day's money the
// policy controls (calendar ageing of the unplugged hours accrues whatever it does).
//
// Cost: plan_points x stay steps x 5 transitions per vehicle-day, each one step of the
// environment (~0.3 us on one core): ~2 ms for 101 points and a 13-hour stay at hourly steps.
//
// Concurrency: a transition writes only the vehicle's own entries of the FleetView and its
// community's market entries, so vehicles of different communities may be solved in parallel
// on one host copy; vehicles of one community must run one after another.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>
#include "step.h"

namespace v2g {

// One vehicle's day. f is a host copy of the fleet state on which reset_vehicle(p, f,
// vehicle, episode) has run for this day, with f.tx_slots == nullptr (contracts are still
// checked when p.ledger_enabled). market: [step * 3 + {0 price, 1 sell ratio, 2 buy ratio}].
struct PlanContext {
    EnvParams p;
    SignalsView sig;
    FleetView f;
    int vehicle;
    int episode;
    const double* market;
};

constexpr int kPlanMarketFields = 3;

struct PlanTransition {
    double reward;           // money of the step (currency)
    float next_energy_kwh;   // stored energy after the step, on the grid
    int next_point;          // its grid point
    bool terminal;           // the step ended the stay (departure)
};

inline int plan_arrival(const PlanContext& c) { return c.f.arrival_step[c.vehicle]; }
inline int plan_departure(const PlanContext& c) { return c.f.departure_step[c.vehicle]; }

// One step of the model from any stored energy (on the grid or not).
inline PlanTransition plan_transition(const PlanContext& c, float energy_kwh, int step, int action) {
    const EnvParams& p = c.p;
    const FleetView& f = c.f;
    const int v = c.vehicle, com = v / p.community_size;
    // What a step writes, saved to be restored: the model leaves the day's state as it found it.
    const float saved_energy = f.energy_kwh[v], saved_low = f.soc_low_today[v], saved_high = f.soc_high_today[v];
    const float saved_thr = f.throughput_ah[v], saved_cal = f.calendar_loss[v], saved_cyc = f.cycle_loss[v];
    const float saved_soh = f.soh[v];
    const int32_t saved_state = f.state[v];

    const float usable = f.usable_kwh[v];
    const float soc = soc_of(energy_kwh, usable);
    f.energy_kwh[v] = energy_kwh;
    f.soc_low_today[v] = soc;   // depth of cycle: this step's own swing
    f.soc_high_today[v] = soc;
    f.state[v] = 0;             // plugged in
    request_transfer(p, c.sig, f, v, c.episode, step, action);
    f.market_price_per_kwh[com] = static_cast<float>(c.market[step * kPlanMarketFields + 0]);
    f.market_sell_ratio[com] = static_cast<float>(c.market[step * kPlanMarketFields + 1]);
    f.market_buy_ratio[com] = static_cast<float>(c.market[step * kPlanMarketFields + 2]);
    apply_vehicle(p, c.sig, f, v, c.episode, step);

    PlanTransition t;
    t.reward = f.reward[v];
    t.next_point = plan_point(p, f.energy_kwh[v], usable);
    t.next_energy_kwh = plan_energy_kwh(p, usable, t.next_point);
    t.terminal = step + 1 >= f.departure_step[v];

    f.energy_kwh[v] = saved_energy;
    f.soc_low_today[v] = saved_low;
    f.soc_high_today[v] = saved_high;
    f.throughput_ah[v] = saved_thr;
    f.calendar_loss[v] = saved_cal;
    f.cycle_loss[v] = saved_cyc;
    f.soh[v] = saved_soh;
    f.state[v] = saved_state;
    return t;
}

// Backward induction, undiscounted (the day's money, terminal at departure); ties go to the
// lowest action index. plan gets [step * plan_points + point] -> action (idle outside the
// stay). Returns the value from the vehicle's exact arrival energy, whose best action is
// stored at its own grid point of the arrival step (the grid point's argmax from the grid
// energy could differ by the rounding; the exact start is the state the day really begins in).
inline double solve_day(const PlanContext& c, std::vector<uint8_t>* plan,
                        std::vector<double>* values = nullptr) {
    const int G = c.p.plan_points, T = c.p.steps_per_day;
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    plan->assign(static_cast<size_t>(T) * static_cast<size_t>(G), kIdle);
    if (arrival >= departure) {
        if (values) values->assign(static_cast<size_t>(T + 1) * G, 0.0);
        return 0.0;
    }
    const float usable = c.f.usable_kwh[c.vehicle];
    // value[t][g]: best money from step t at grid point g; value[departure] = 0.
    std::vector<double> value(static_cast<size_t>(T + 1) * G, 0.0);
    for (int t = departure - 1; t >= arrival; --t) {
        for (int g = 0; g < G; ++g) {
            double best = 0.0;
            int best_a = -1;
            for (int a = 0; a < kNumActions; ++a) {
                const PlanTransition tr = plan_transition(c, plan_energy_kwh(c.p, usable, g), t, a);
                const double q = tr.reward + (tr.terminal ? 0.0 : value[static_cast<size_t>(t + 1) * G + tr.next_point]);
                if (best_a < 0 || q > best) {
                    best = q;
                    best_a = a;
                }
            }
            value[static_cast<size_t>(t) * G + g] = best;
            (*plan)[static_cast<size_t>(t) * G + g] = static_cast<uint8_t>(best_a);
        }
    }
    // The exact arrival energy.
    const float e0 = c.f.energy_kwh[c.vehicle];
    double best = 0.0;
    int best_a = -1;
    for (int a = 0; a < kNumActions; ++a) {
        const PlanTransition tr = plan_transition(c, e0, arrival, a);
        const double q = tr.reward + (tr.terminal ? 0.0 : value[static_cast<size_t>(arrival + 1) * G + tr.next_point]);
        if (best_a < 0 || q > best) {
            best = q;
            best_a = a;
        }
    }
    (*plan)[static_cast<size_t>(arrival) * G + plan_point(c.p, e0, usable)] = static_cast<uint8_t>(best_a);
    if (values) *values = std::move(value);
    return best;
}

// The model return of any policy (step, stored energy) -> action, from the exact arrival energy.
inline double evaluate_in_model(const PlanContext& c, const std::function<int(int step, float energy_kwh)>& policy) {
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    float energy = c.f.energy_kwh[c.vehicle];
    double total = 0.0;
    for (int t = arrival; t < departure; ++t) {
        const PlanTransition tr = plan_transition(c, energy, t, policy(t, energy));
        total += tr.reward;
        energy = tr.next_energy_kwh;
        if (tr.terminal) break;
    }
    return total;
}

// The plan of solve_day followed in the model (the executed plan's model return).
inline double follow_plan_in_model(const PlanContext& c, const std::vector<uint8_t>& plan) {
    const float usable = c.f.usable_kwh[c.vehicle];
    return evaluate_in_model(c, [&](int t, float e) {
        return static_cast<int>(plan[static_cast<size_t>(t) * c.p.plan_points + plan_point(c.p, e, usable)]);
    });
}

// The best return over every action sequence (5^k for k decisions): an independent check of
// solve_day, for small k only.
constexpr int kMaxBruteForceDecisions = 10;
inline double brute_force_day(const PlanContext& c) {
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    if (arrival >= departure) return 0.0;
    if (departure - arrival > kMaxBruteForceDecisions)
        throw std::invalid_argument("brute_force_day: more than 10 decisions");
    std::function<double(int, float)> best_from = [&](int t, float energy) {
        double best = 0.0;
        for (int a = 0; a < kNumActions; ++a) {
            const PlanTransition tr = plan_transition(c, energy, t, a);
            const double q = tr.reward + (tr.terminal ? 0.0 : best_from(t + 1, tr.next_energy_kwh));
            if (a == 0 || q > best) best = q;
        }
        return best;
    };
    return best_from(arrival, c.f.energy_kwh[c.vehicle]);
}

// Discounted Q* of the model: Q(t, g, a) = r + gamma max_a' Q(t + 1, g', a') (0 after the
// terminal step), [step][point][action]; zero outside the stay. With gamma = 1 its maxima
// are solve_day's grid values.
inline void optimal_q(const PlanContext& c, float gamma, std::vector<double>* q) {
    const int G = c.p.plan_points, T = c.p.steps_per_day;
    const int arrival = plan_arrival(c), departure = plan_departure(c);
    q->assign(static_cast<size_t>(T) * G * kNumActions, 0.0);
    const float usable = c.f.usable_kwh[c.vehicle];
    const auto at = [&](int t, int g, int a) -> double& {
        return (*q)[(static_cast<size_t>(t) * G + g) * kNumActions + a];
    };
    for (int t = departure - 1; t >= arrival; --t)
        for (int g = 0; g < G; ++g)
            for (int a = 0; a < kNumActions; ++a) {
                const PlanTransition tr = plan_transition(c, plan_energy_kwh(c.p, usable, g), t, a);
                double next = 0.0;
                if (!tr.terminal) {
                    next = at(t + 1, tr.next_point, 0);
                    for (int b = 1; b < kNumActions; ++b) next = std::max(next, at(t + 1, tr.next_point, b));
                }
                at(t, g, a) = tr.reward + static_cast<double>(gamma) * next;
            }
}

}  // namespace v2g
