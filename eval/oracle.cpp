// oracle.cpp: see oracle.h. The programme of one community-day, in Clp's column-major form:
//
//   columns, per vehicle v and step t of its stay [arrival, departure):
//     c  grid import at the meter (kWh)      b  P2P energy received at the meter
//     x  grid export at the meter            s  P2P energy delivered at the meter
//     e  stored energy after the step
//   and per plugged-in vehicle u, the energy short of the requirement at departure.
//   rows:
//     battery   e(t) - e(t-1) - eta_c (c + b) + (x + s) / eta_d = 0    (e(arrival-1) = E0)
//     charger   (c + b) / (P_charge dt) + (x + s) / (P_discharge dt) <= 1
//               (one charger: a step may share its time between importing and exporting)
//     departure u + e(departure - 1) >= required
//     market    (1 - loss) sum_v s <= sum_v b <= (1 - loss) (sum_v s + PV)   per step
//               (buyers receive what sellers and PV deliver less the losses; a seller is paid
//               for what buyers take, its unmatched rest being a grid export x)
//     limit     sum_v c <= L dt,  sum_v x <= L dt                      per step (grid.limit on)
//   maximise  sum (prices x flows) - ageing - penalty u
//
// Prices are the environment's: the contracts' leg prices in micro-units (step.h
// leg_price_micro), the P2P clearing price (sellers) and that price over (1 - loss) (buyers);
// a leg its contract would reject at any energy (validity, party, price) is bounded to 0, and
// every leg to the contract's energy cap. The environment's charger moves energy one way per
// step; the programme may share a step's time between both ways, which is what alternating
// steps of the environment achieve on average (charge in one step, discharge in the next). Calendar ageing is linear in the step's mean SoC
// (Schmalstieg's alpha is linear in the cell voltage, our OCV linear in SoC), so it is exact,
// including the steps before arrival (at the arrival energy) and after departure (at the
// departure energy). Cycle ageing (beta(V, DoD) x the increment of sqrt(Q)) is priced per kWh
// of battery throughput around a reference path: the day's start for the first programme, the
// previous plan for the next ones.
#include "eval/oracle.h"

#include <coin/Clp_C_Interface.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

namespace v2g {
namespace {

constexpr double kMicroD = 1.0e-6;
constexpr int kColumnsPerStep = 5;
enum StepColumn : int { kColImport = 0, kColBought = 1, kColExport = 2, kColSold = 3, kColEnergy = 4 };
// A throughput below this (kWh) is priced by the secant over it, so a pack with no throughput
// yet (sqrt(Q) has an infinite slope at 0) still gets a finite marginal cycle cost.
constexpr double kMinReferenceThroughputKwh = 1.0;
constexpr double kBindingTolerance = 1e-6;  // a limit row within this of its bound binds

struct Vehicle {
    int v = 0;
    int arrival = 0, departure = 0;  // the stay [arrival, departure); empty when absent
    int first_column = 0;            // its step columns, then its unmet column
    int unmet_column = -1;
    double e0 = 0, required = 0, lo = 0, hi = 0;
    double eta_c = 1, eta_d = 1, charge_kwh = 0, discharge_kwh = 0;
    int col(int t, StepColumn k) const { return first_column + (t - arrival) * kColumnsPerStep + k; }
};

struct Programme {
    std::vector<double> lower, upper, objective;            // per column
    std::vector<std::vector<std::pair<int, double>>> cols;  // per column: (row, value)
    std::vector<double> row_lower, row_upper;
    int add_column(double lo, double hi) {
        lower.push_back(lo);
        upper.push_back(hi);
        objective.push_back(0.0);
        cols.emplace_back();
        return static_cast<int>(lower.size()) - 1;
    }
    int add_row(double lo, double hi) {
        row_lower.push_back(lo);
        row_upper.push_back(hi);
        return static_cast<int>(row_lower.size()) - 1;
    }
    void set(int row, int col, double value) { cols[static_cast<size_t>(col)].push_back({row, value}); }
};

struct ClpDeleter {
    void operator()(Clp_Simplex* m) const { Clp_deleteModel(m); }
};

// Money per unit of stored-energy-step of calendar ageing: the cost of step t's calendar loss is
// k0[t] + k1[t] x (mean SoC of the step); returned as (k0, k1).
std::pair<double, double> calendar_cost(const EnvParams& p, const FleetView& f, int v, int episode, int t) {
    const double day_age = pack_age_days(p, f, v, episode);
    const double day_fraction = static_cast<double>(p.step_hours) / kHoursPerDay;
    const double a0 = day_age + t * day_fraction, a1 = day_age + (t + 1) * day_fraction;
    const double dt075 = std::pow(a1, 0.75) - std::pow(a0, 0.75);
    const double scale = kCalScale * static_cast<double>(p.calendar_arrhenius) * dt075;
    const double price = static_cast<double>(p.battery_cost_per_kwh) * f.capacity_kwh[v] / p.end_of_life_loss;
    // alpha_cap = (7.543 V - 23.75) 1e6 arrhenius, V = 3.4 + 0.8 SoC: positive for any SoC >= 0.
    return {price * scale * (kCalVoltageSlope * kOcvEmptyV - kCalVoltageOffset),
            price * scale * kCalVoltageSlope * kOcvSpanV};
}

// The leg prices of one vehicle and step, as apply_vehicle charges them (currency/kWh), and
// whether each leg's contract admits it at all.
struct Prices {
    double import = 0, export_ = 0, buy = 0, sell = 0;
    bool import_ok = true, export_ok = true, p2p_ok = true;
    double import_cap = 1e300, export_cap = 1e300, p2p_cap = 1e300;  // the contracts' energy caps (kWh)
};

Prices leg_prices(const EnvParams& p, const SignalsView& sig, int v, int episode, int t) {
    Prices out;
    const int idx = signal_index(p, episode, t);
    const float retail = sig.retail_price_per_kwh[idx], feed_in = sig.feed_in_price_per_kwh[idx];
    const float market = market_price(retail, feed_in, p.p2p_price_weight);
    const int32_t import_micro = leg_price_micro(p, sig, v, kContractChargingTariff, to_micro_per_kwh(retail));
    const int32_t export_micro = leg_price_micro(
        p, sig, v, kContractV2GService, to_micro_per_kwh(sig.dr_event[idx] ? p.dr_price_per_kwh : feed_in));
    const int32_t market_micro = to_micro_per_kwh(market);
    out.import = import_micro * kMicroD;
    out.export_ = export_micro * kMicroD;
    out.sell = market_micro * kMicroD;
    out.buy = to_micro_per_kwh(market / (1.0f - p.p2p_loss_fraction)) * kMicroD;
    if (p.ledger_enabled) {
        const int community = v / p.community_size;
        const auto admits = [&](ContractType type, int32_t price, double* cap) {
            const Contract& k = sig.contracts[contract_for(p, v, type)];
            *cap = k.energy_cap_wh_per_step / static_cast<double>(kWhPerKwh);
            return check_contract(k, v, community, episode, 0, price) == kAccepted;
        };
        out.import_ok = admits(kContractChargingTariff, import_micro, &out.import_cap);
        out.export_ok = admits(kContractV2GService, export_micro, &out.export_cap);
        out.p2p_ok = admits(kContractP2PMarket, market_micro, &out.p2p_cap);
    }
    return out;
}

// The reference path the cycle ageing is linearised around: per vehicle and step of the stay,
// the mean SoC of the step, the day's SoC swing up to it and the cell throughput before it.
struct Reference {
    std::vector<std::vector<double>> soc_mean, swing, throughput_ah, step_ah;
};

// Money per kWh of battery throughput of vehicle x at step t, around the reference.
double cycle_cost_per_kwh(const EnvParams& p, const FleetView& f, const Vehicle& x, const Reference& r, size_t i,
                          int t) {
    const size_t k = static_cast<size_t>(t - x.arrival);
    const double voltage = kOcvEmptyV + kOcvSpanV * r.soc_mean[i][k];
    const double dv = voltage - kCycVoltageRef;
    const double beta = kCycVoltageCurv * dv * dv + kCycBase + kCycDod * r.swing[i][k];
    const double ah_per_kwh = p.cell_capacity_ah / static_cast<double>(f.capacity_kwh[x.v]);
    const double q0 = r.throughput_ah[i][k];
    const double dq = std::max(r.step_ah[i][k], kMinReferenceThroughputKwh * ah_per_kwh);
    const double dsqrt_per_ah = (std::sqrt(q0 + dq) - std::sqrt(q0)) / dq;
    const double price = static_cast<double>(p.battery_cost_per_kwh) * f.capacity_kwh[x.v] / p.end_of_life_loss;
    return price * beta * dsqrt_per_ah * ah_per_kwh;
}

// The plan in the environment's physics: flows as planned, ageing as age_pack computes it,
// money at the legs' prices; the state it leaves (stored energy, ageing) is written into f.
void evaluate_plan(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c, int episode,
                   const std::vector<Vehicle>& fleet, const std::vector<double>& solution, OracleDay* day) {
    const int T = p.steps_per_day;
    const double dt = p.step_hours;
    DayTotals& d = day->totals;
    d = DayTotals{};
    day->plugged_money = 0.0;
    d.vehicles = community_end(p, c) - community_begin(p, c);
    d.step_hours = p.step_hours;
    d.p2p_loss_fraction = p.p2p_loss_fraction;
    d.step_import_kwh.assign(static_cast<size_t>(T), 0.0);
    d.step_export_kwh.assign(static_cast<size_t>(T), 0.0);
    day->step_bought_kwh.assign(static_cast<size_t>(T), 0.0);
    day->step_sold_kwh.assign(static_cast<size_t>(T), 0.0);
    d.dr_event.resize(static_cast<size_t>(T));
    for (int t = 0; t < T; ++t) d.dr_event[static_cast<size_t>(t)] = sig.dr_event[signal_index(p, episode, t)];
    const auto flow = [&](const Vehicle& x, int t, StepColumn k) {
        return std::max(0.0, solution[static_cast<size_t>(x.col(t, k))]);
    };
    for (const Vehicle& x : fleet) {
        const int v = x.v;
        d.en_route_cost += f.ep_en_route_cost[v];
        d.en_route_kwh += f.ep_en_route_kwh[v];
        d.needed_kwh += std::max(0.0, x.required - x.e0);
        double plugged_money = 0.0;
        float energy = f.energy_kwh[v];
        for (int t = 0; t < T; ++t) {
            const bool plugged = t >= x.arrival && t < x.departure;
            double in = 0, out = 0;
            if (plugged) {
                const Prices pr = leg_prices(p, sig, v, episode, t);
                const double imp = flow(x, t, kColImport), bought = flow(x, t, kColBought);
                const double exp = flow(x, t, kColExport), sold = flow(x, t, kColSold);
                const double cost = imp * pr.import + bought * pr.buy, revenue = exp * pr.export_ + sold * pr.sell;
                d.energy_cost += cost;
                d.revenue += revenue;
                plugged_money += revenue - cost;
                d.grid_import_kwh += imp;
                d.grid_export_kwh += exp;
                d.p2p_bought_kwh += bought;
                d.p2p_sold_kwh += sold;
                d.step_import_kwh[static_cast<size_t>(t)] += imp;
                d.step_export_kwh[static_cast<size_t>(t)] += exp;
                day->step_bought_kwh[static_cast<size_t>(t)] += bought;
                day->step_sold_kwh[static_cast<size_t>(t)] += sold;
                in = x.eta_c * (imp + bought);
                out = (exp + sold) / x.eta_d;
                d.battery_in_kwh += in;
                d.battery_out_kwh += out;
            }
            const float e1 = plugged ? static_cast<float>(std::clamp(energy + in - out, x.lo, x.hi)) : energy;
            const double degradation = age_pack(p, f, v, episode, t, energy, e1, static_cast<float>(in + out));
            d.degradation_cost += degradation;
            if (plugged) plugged_money -= degradation;
            energy = e1;
            if (plugged && t + 1 == x.departure) {
                const double unmet = std::max(0.0, x.required - static_cast<double>(energy));
                d.unmet_kwh += unmet;
                d.unmet_penalty += unmet * p.unmet_penalty_per_kwh;
                plugged_money -= unmet * p.unmet_penalty_per_kwh;
            }
        }
        f.energy_kwh[v] = energy;
        day->plugged_money += plugged_money;
    }
    if (p.grid_limit_enabled) {
        const double cap = static_cast<double>(sig.community_limit_kw[c]) * dt;
        const double at_cap = cap - kBindingTolerance * std::max(1.0, cap);
        for (int t = 0; t < T; ++t)
            d.limit_steps += d.step_import_kwh[static_cast<size_t>(t)] >= at_cap ||
                             d.step_export_kwh[static_cast<size_t>(t)] >= at_cap;
    }
}

// The vehicles' entries a plan's evaluation writes, to try a plan and undo it.
struct VehicleState {
    float energy, soc_low, soc_high, throughput, calendar, cycle, soh;
};
std::vector<VehicleState> save_state(const FleetView& f, const std::vector<Vehicle>& fleet) {
    std::vector<VehicleState> out;
    for (const Vehicle& x : fleet)
        out.push_back({f.energy_kwh[x.v], f.soc_low_today[x.v], f.soc_high_today[x.v], f.throughput_ah[x.v],
                       f.calendar_loss[x.v], f.cycle_loss[x.v], f.soh[x.v]});
    return out;
}
void restore_state(const FleetView& f, const std::vector<Vehicle>& fleet, const std::vector<VehicleState>& saved) {
    for (size_t i = 0; i < fleet.size(); ++i) {
        const int v = fleet[i].v;
        const VehicleState& s = saved[i];
        f.energy_kwh[v] = s.energy;
        f.soc_low_today[v] = s.soc_low;
        f.soc_high_today[v] = s.soc_high;
        f.throughput_ah[v] = s.throughput;
        f.calendar_loss[v] = s.calendar;
        f.cycle_loss[v] = s.cycle;
        f.soh[v] = s.soh;
    }
}

double day_money_of(const DayTotals& d) {
    return d.revenue - d.energy_cost - d.degradation_cost - d.unmet_penalty - d.en_route_cost;
}

}  // namespace

OracleDay solve_community_day(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c, int episode,
                              const OracleOptions& options) {
    const int T = p.steps_per_day;
    const double dt = p.step_hours;
    const double keep = 1.0 - static_cast<double>(p.p2p_loss_fraction);
    const int begin = community_begin(p, c), end = community_end(p, c);

    // Columns: each vehicle's stay.
    Programme lp;
    std::vector<Vehicle> fleet;
    for (int v = begin; v < end; ++v) {
        Vehicle x;
        x.v = v;
        x.arrival = f.arrival_step[v];
        x.departure = std::max(x.arrival, static_cast<int>(f.departure_step[v]));
        x.e0 = f.energy_kwh[v];
        x.required = f.required_kwh[v];
        const double usable = f.usable_kwh[v];
        x.lo = std::min<double>(p.soc_min * usable, x.e0);
        x.hi = std::max<double>(p.soc_max * usable, x.e0);
        x.eta_c = f.eta_charge[v];
        x.eta_d = f.eta_discharge[v];
        x.charge_kwh = f.charge_kw[v] * dt;
        x.discharge_kwh = f.discharge_kw[v] * dt;
        x.first_column = static_cast<int>(lp.lower.size());
        for (int t = x.arrival; t < x.departure; ++t) {
            const Prices pr = leg_prices(p, sig, v, episode, t);
            const bool grid = !grid_down(p, t);
            const double in_cap = grid && pr.import_ok ? std::min(x.charge_kwh, pr.import_cap) : 0.0;
            const double out_cap = grid && pr.export_ok ? std::min(x.discharge_kwh, pr.export_cap) : 0.0;
            lp.add_column(0.0, in_cap);                                                 // c
            lp.add_column(0.0, pr.p2p_ok ? std::min(x.charge_kwh, pr.p2p_cap) : 0.0);   // b
            lp.add_column(0.0, out_cap);                                                // x
            lp.add_column(0.0, pr.p2p_ok ? std::min(x.discharge_kwh, pr.p2p_cap) : 0.0);// s
            lp.add_column(x.lo, x.hi);                                                  // e
            lp.objective[x.col(t, kColImport)] = -pr.import;
            lp.objective[x.col(t, kColBought)] = -pr.buy;
            lp.objective[x.col(t, kColExport)] = pr.export_;
            lp.objective[x.col(t, kColSold)] = pr.sell;
        }
        if (x.arrival < x.departure) {
            x.unmet_column = lp.add_column(0.0, 1e300);
            lp.objective[x.unmet_column] = -static_cast<double>(p.unmet_penalty_per_kwh);
        }
        fleet.push_back(x);
    }

    // Rows.
    for (const Vehicle& x : fleet) {
        for (int t = x.arrival; t < x.departure; ++t) {
            const double rhs = t == x.arrival ? x.e0 : 0.0;
            const int battery = lp.add_row(rhs, rhs);
            lp.set(battery, x.col(t, kColEnergy), 1.0);
            if (t > x.arrival) lp.set(battery, x.col(t - 1, kColEnergy), -1.0);
            lp.set(battery, x.col(t, kColImport), -x.eta_c);
            lp.set(battery, x.col(t, kColBought), -x.eta_c);
            lp.set(battery, x.col(t, kColExport), 1.0 / x.eta_d);
            lp.set(battery, x.col(t, kColSold), 1.0 / x.eta_d);
            // One charger: the step's time split between importing and exporting. A direction
            // the vehicle cannot use at all is bounded to 0 (the column bounds above).
            const int charger = lp.add_row(-1e300, 1.0);
            if (x.charge_kwh > 0.0) {
                lp.set(charger, x.col(t, kColImport), 1.0 / x.charge_kwh);
                lp.set(charger, x.col(t, kColBought), 1.0 / x.charge_kwh);
            }
            if (x.discharge_kwh > 0.0) {
                lp.set(charger, x.col(t, kColExport), 1.0 / x.discharge_kwh);
                lp.set(charger, x.col(t, kColSold), 1.0 / x.discharge_kwh);
            }
        }
        if (x.unmet_column >= 0) {
            const int departure = lp.add_row(x.required, 1e300);
            lp.set(departure, x.unmet_column, 1.0);
            lp.set(departure, x.col(x.departure - 1, kColEnergy), 1.0);
        }
    }
    for (int t = 0; t < T; ++t) {
        const double pv = static_cast<double>(sig.community_pv_kwp[c]) * sig.pv_kw_per_kwp[signal_index(p, episode, t)] * dt;
        const int market = lp.add_row(-1e300, keep * pv);
        const int matched = lp.add_row(-1e300, 0.0);
        int limit_in = -1, limit_out = -1;
        if (p.grid_limit_enabled) {
            const double cap = static_cast<double>(sig.community_limit_kw[c]) * dt;
            limit_in = lp.add_row(-1e300, cap);
            limit_out = lp.add_row(-1e300, cap);
        }
        for (const Vehicle& x : fleet) {
            if (t < x.arrival || t >= x.departure) continue;
            lp.set(market, x.col(t, kColBought), 1.0);
            lp.set(market, x.col(t, kColSold), -keep);
            lp.set(matched, x.col(t, kColSold), keep);
            lp.set(matched, x.col(t, kColBought), -1.0);
            if (limit_in >= 0) {
                lp.set(limit_in, x.col(t, kColImport), 1.0);
                lp.set(limit_out, x.col(t, kColExport), 1.0);
            }
        }
    }

    // Calendar ageing: exact, on the stored-energy columns (and a constant for the steps before
    // arrival, which no plan changes).
    std::vector<double> base_objective = lp.objective;
    for (const Vehicle& x : fleet) {
        if (x.arrival >= x.departure) continue;
        const double usable = f.usable_kwh[x.v];
        for (int t = x.arrival; t < T; ++t) {
            const double k1 = calendar_cost(p, f, x.v, episode, t).second / usable;
            // Step t's mean SoC: (e(t-1) + e(t)) / 2 in the stay, e(departure - 1) after it.
            if (t < x.departure) {
                base_objective[x.col(t, kColEnergy)] -= 0.5 * k1;
                if (t > x.arrival) base_objective[x.col(t - 1, kColEnergy)] -= 0.5 * k1;
            } else {
                base_objective[x.col(x.departure - 1, kColEnergy)] -= k1;
            }
        }
    }

    // The model, column-major.
    std::vector<CoinBigIndex> start{0};
    std::vector<int> index;
    std::vector<double> value;
    for (const auto& col : lp.cols) {
        for (const auto& [row, v] : col) {
            index.push_back(row);
            value.push_back(v);
        }
        start.push_back(static_cast<CoinBigIndex>(index.size()));
    }
    const int columns = static_cast<int>(lp.lower.size()), rows = static_cast<int>(lp.row_lower.size());
    OracleDay day;
    std::vector<double> solution(static_cast<size_t>(columns), 0.0), best_solution = solution;
    double best_money = -1e300, best_objective = 0.0;
    const std::vector<VehicleState> start_state = save_state(f, fleet);
    if (columns > 0) {
        std::unique_ptr<Clp_Simplex, ClpDeleter> model(Clp_newModel());
        Clp_setLogLevel(model.get(), 0);
        Clp_loadProblem(model.get(), columns, rows, start.data(), index.data(), value.data(), lp.lower.data(),
                        lp.upper.data(), base_objective.data(), lp.row_lower.data(), lp.row_upper.data());
        Clp_setOptimizationDirection(model.get(), -1.0);  // maximise money
        Reference ref;
        for (const Vehicle& x : fleet) {  // the day's start: no throughput, no swing
            const size_t n = static_cast<size_t>(x.departure - x.arrival);
            const double soc = soc_of(static_cast<float>(x.e0), f.usable_kwh[x.v]);
            ref.soc_mean.emplace_back(n, soc);
            ref.swing.emplace_back(n, 0.0);
            ref.throughput_ah.emplace_back(n, static_cast<double>(f.throughput_ah[x.v]));
            ref.step_ah.emplace_back(n, 0.0);
        }
        const int passes = std::max(1, options.passes);
        for (int pass = 0; pass < passes; ++pass) {
            std::vector<double> objective = base_objective;
            for (size_t i = 0; i < fleet.size(); ++i) {
                const Vehicle& x = fleet[i];
                for (int t = x.arrival; t < x.departure; ++t) {
                    const double k = cycle_cost_per_kwh(p, f, x, ref, i, t);
                    objective[x.col(t, kColImport)] -= k * x.eta_c;
                    objective[x.col(t, kColBought)] -= k * x.eta_c;
                    objective[x.col(t, kColExport)] -= k / x.eta_d;
                    objective[x.col(t, kColSold)] -= k / x.eta_d;
                }
            }
            Clp_chgObjCoefficients(model.get(), objective.data());
            if (pass == 0) Clp_dual(model.get(), 0);
            else Clp_primal(model.get(), 0);  // warm start from the last basis
            if (Clp_status(model.get()) != 0)
                throw std::runtime_error("the LP oracle: Clp status " + std::to_string(Clp_status(model.get())) +
                                         " for community " + std::to_string(c) + " on episode " +
                                         std::to_string(episode));
            const double* sol = Clp_getColSolution(model.get());
            std::copy(sol, sol + columns, solution.begin());
            day.passes = pass + 1;
            // This plan as the environment scores it; kept when it is the best so far. (A plan
            // linearised around a path with little cycling can cycle more than pays.)
            OracleDay trial;
            evaluate_plan(p, sig, f, c, episode, fleet, solution, &trial);
            restore_state(f, fleet, start_state);
            if (day_money_of(trial.totals) > best_money) {
                best_money = day_money_of(trial.totals);
                best_solution = solution;
                best_objective = Clp_objectiveValue(model.get());
            }
            // The next reference: this plan's path.
            for (size_t i = 0; i < fleet.size(); ++i) {
                const Vehicle& x = fleet[i];
                const double usable = f.usable_kwh[x.v];
                double e = x.e0, q = f.throughput_ah[x.v];
                double low = soc_of(static_cast<float>(x.e0), f.usable_kwh[x.v]), high = low;
                for (int t = x.arrival; t < x.departure; ++t) {
                    const size_t k = static_cast<size_t>(t - x.arrival);
                    const double e1 = solution[static_cast<size_t>(x.col(t, kColEnergy))];
                    const double in = x.eta_c * (solution[x.col(t, kColImport)] + solution[x.col(t, kColBought)]);
                    const double out = (solution[x.col(t, kColExport)] + solution[x.col(t, kColSold)]) / x.eta_d;
                    low = std::min(low, e1 / usable);
                    high = std::max(high, e1 / usable);
                    ref.soc_mean[i][k] = 0.5 * (e + e1) / usable;
                    ref.swing[i][k] = high - low;
                    ref.throughput_ah[i][k] = q;
                    ref.step_ah[i][k] = (in + out) / f.capacity_kwh[x.v] * p.cell_capacity_ah;
                    q += ref.step_ah[i][k];
                    e = e1;
                }
            }
        }
    }

    // The best of the passes' plans, as the environment's physics scores them, is the oracle's.
    restore_state(f, fleet, start_state);
    evaluate_plan(p, sig, f, c, episode, fleet, best_solution, &day);
    day.lp_objective = best_objective;
    return day;
}

}  // namespace v2g
