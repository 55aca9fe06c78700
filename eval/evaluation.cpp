// evaluation.cpp: see evaluation.h. Each scenario (fault-free, then each fault) gets its own
// Problem and backend; each policy starts from the same trained state and runs the days in a
// row, one episode per backend call, with the step record on. The DP's plans are solved on the
// host, day by day, from the backend's state at the start of that day; the LP oracle runs its
// days on a host copy of the trained state, each day from where its own plan left the fleet.
// On the CPU backend the scenarios run side by side, one thread each (scenario_lanes).
#include "eval/evaluation.h"
#include "common/clock.h"

#include <omp.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include "dqn/dqn.h"
#include "common/errors.h"
#include "env/layout.h"
#include "eval/optimum.h"
#include "eval/oracle.h"
#include "problem/problem.h"

namespace v2g {

const std::vector<EvalPolicy>& eval_policies() {
    static const std::vector<EvalPolicy> kPolicies = {
        {"learned", kPolicyGreedy},
        {"initial", kPolicyExplore},
        {"random", kPolicyRandom},
        {"charge_on_arrival", kPolicyChargeOnArrival},
        {"time_of_use", kPolicyTimeOfUse},
        {"optimal_dp", kPolicyPlan},
        {"oracle_lp", kPolicyGreedy, true},  // the mode is unused: solved on the host
    };
    return kPolicies;
}

double oracle_score(double learned, double random, double oracle) {
    return oracle > random ? (learned - random) / (oracle - random) : std::nan("");
}

namespace {

constexpr double kHoursPerDayD = 24.0;

// The [begin, end) steps of the outage / price-spike window; cut at the episode's end.
std::pair<int, int> fault_window(const Config& cfg) {
    const double from_start =
        std::fmod(cfg.evaluation.fault_outage_start_hour - cfg.time.day_start_hour + kHoursPerDayD, kHoursPerDayD);
    const int begin = static_cast<int>(std::lround(from_start / cfg.time.step_hours));
    const int length = static_cast<int>(std::lround(cfg.evaluation.fault_outage_hours / cfg.time.step_hours));
    return {std::min(begin, cfg.steps_per_day()), std::min(begin + length, cfg.steps_per_day())};
}


// Fleet flows per step of one day from the step record: the communities' running totals
// differenced step by step and summed over communities, [step][kFlowFields] (kWh).
std::vector<double> fleet_flows(const EnvParams& p, const std::vector<double>& record) {
    const int steps = p.steps_per_day;
    std::vector<double> flows(static_cast<size_t>(steps) * kFlowFields, 0.0);
    for (int c = 0; c < p.num_communities; ++c)
        for (int t = 0; t < steps; ++t) {
            const double* r = &record[(static_cast<size_t>(c) * steps + t) * kRecordFields];
            for (int k = 0; k < kFlowFields; ++k) {
                const int field = kRecordImportCum + k;  // the four running totals, in FlowField order
                flows[static_cast<size_t>(t) * kFlowFields + k] += r[field] - (t > 0 ? r[field - kRecordFields] : 0.0);
            }
        }
    return flows;
}

// Adds one community's (or any part of the fleet's) day totals to another's.
void add_totals(DayTotals* into, const DayTotals& d) {
    into->vehicles += d.vehicles;
    into->step_hours = d.step_hours;
    into->p2p_loss_fraction = d.p2p_loss_fraction;
    into->revenue += d.revenue;
    into->energy_cost += d.energy_cost;
    into->degradation_cost += d.degradation_cost;
    into->unmet_penalty += d.unmet_penalty;
    into->en_route_cost += d.en_route_cost;
    into->unmet_kwh += d.unmet_kwh;
    into->needed_kwh += d.needed_kwh;
    into->grid_import_kwh += d.grid_import_kwh;
    into->grid_export_kwh += d.grid_export_kwh;
    into->p2p_bought_kwh += d.p2p_bought_kwh;
    into->p2p_sold_kwh += d.p2p_sold_kwh;
    into->battery_in_kwh += d.battery_in_kwh;
    into->battery_out_kwh += d.battery_out_kwh;
    into->en_route_kwh += d.en_route_kwh;
    into->curtailed_kwh += d.curtailed_kwh;
    into->limit_steps += d.limit_steps;
    into->safety_overrides += d.safety_overrides;
    into->step_import_kwh.resize(d.step_import_kwh.size(), 0.0);
    into->step_export_kwh.resize(d.step_export_kwh.size(), 0.0);
    for (size_t t = 0; t < d.step_import_kwh.size(); ++t) {
        into->step_import_kwh[t] += d.step_import_kwh[t];
        into->step_export_kwh[t] += d.step_export_kwh[t];
    }
    into->dr_event = d.dr_event;
    into->ledger = d.ledger;
    into->tx_count += d.tx_count;
    into->tx_latency_steps += d.tx_latency_steps;
}

// What one policy's run of the days produced.
struct PolicyRun {
    std::vector<DayTotals> days;
    std::vector<std::vector<double>> record;  // [day]: the backend's step record
    std::vector<std::vector<double>> flows;   // [day]: fleet_flows of it
    std::vector<double> optimum_value;        // [day] (the plan policy only)
    std::vector<double> oracle_set_money;     // [day]: money per vehicle on the oracle's communities
    // per vehicle, summed over the days
    std::vector<double> needed_kwh, unmet_kwh, money;
    std::vector<float> soh_end;
};

class ScenarioRunner {
public:
    ScenarioRunner(const Config& cfg, Problem problem, const std::vector<char>& trained_fleet,
                   const std::vector<char>& trained_learner, int first_episode, const DeviceChoice& device,
                   const ExternalPolicy* external = nullptr)
        : cfg_(cfg), problem_(std::move(problem)), trained_(trained_fleet), trained_learner_(trained_learner),
          first_(first_episode) {
        p_ = problem_.params;
        FleetView measure{};
        const size_t bytes = layout_fleet(p_, nullptr, &measure, &state_bytes_);
        if (bytes != trained_.size())
            throw InputError("the run's fleet buffer has " + std::to_string(trained_.size()) + " bytes, its config needs " +
                             std::to_string(bytes) + " (a results file from another version?)");
        backend_ = cfg.learning.policy == LearnerPolicy::dqn ? make_dqn_backend(cfg, problem_)
                                                : make_backend(device, problem_, cfg.run.threads, cfg.run.adaptive_threads);
        backend_->save_learner(&initial_learner_);  // the untrained network (DQN), or nothing
        backend_->set_recording(true);
        backend_name_ = backend_->name();
        if (external) {
            external_backend_ = make_agent_backend(problem_, external->choose,
                                                   static_cast<float>(cfg.time.day_start_hour), cfg.run.threads);
            external_backend_->set_recording(true);
        }
        host_fleet_.assign(bytes, 0);
        layout_fleet(p_, host_fleet_.data(), &host_f_);
        layout_signals(p_, problem_.signals.data(), &host_sig_);
        threads_ = cfg.run.threads > 0 ? cfg.run.threads : omp_get_max_threads();
        oracle_communities_ = std::min(cfg.evaluation.oracle_communities, p_.num_communities);
        oracle_vehicles_ = community_end(p_, oracle_communities_ - 1);
    }

    int oracle_communities() const { return oracle_communities_; }
    int oracle_vehicles() const { return oracle_vehicles_; }

    const std::string& backend_name() const { return backend_name_; }
    const EnvParams& params() const { return p_; }
    SignalsView signals() const { return host_sig_; }

    // `learned_record`: the learned policy's step records of these days (the optimum's market).
    PolicyRun run(const EvalPolicy& policy, const std::vector<std::vector<double>>* learned_record) {
        Backend* backend = policy.external ? external_backend_.get() : backend_.get();
        if (policy.mode == kPolicyExplore) {  // the initial policy: the Q-tables training started from
            std::vector<char> start = trained_;
            std::copy(problem_.fleet.begin() + static_cast<std::ptrdiff_t>(state_bytes_), problem_.fleet.end(),
                      start.begin() + static_cast<std::ptrdiff_t>(state_bytes_));
            backend->write_fleet(start);
        } else {
            backend->write_fleet(trained_);
        }
        if (!policy.external)
            backend->load_learner(policy.mode == kPolicyExplore ? initial_learner_ : trained_learner_);
        const float epsilon = policy.mode == kPolicyExplore ? epsilon_for_episode(cfg_, 0) : 0.0f;
        const int n = p_.num_vehicles, nc = p_.num_communities;
        PolicyRun out;
        out.needed_kwh.assign(n, 0.0);
        out.unmet_kwh.assign(n, 0.0);
        out.money.assign(n, 0.0);
        std::vector<EpisodeMetrics> per_community(static_cast<size_t>(nc));
        std::vector<char> state;
        for (int d = 0; d < cfg_.evaluation.days; ++d) {
            const int episode = first_ + d;
            if (policy.mode == kPolicyPlan) out.optimum_value.push_back(plan_day(episode, (*learned_record)[d]));
            backend->run_episodes(episode, 1, policy.mode, &epsilon, per_community.data());
            out.record.emplace_back();
            backend->read_record(&out.record.back());
            backend->read_fleet(&state, state_bytes_);
            out.flows.push_back(fleet_flows(p_, out.record.back()));
            out.days.push_back(totals_of(episode, merge_communities(per_community.data(), nc), out.flows.back(), state,
                                         &out));
            out.oracle_set_money.push_back(
                merge_communities(per_community.data(), oracle_communities_).reward / oracle_vehicles_);
        }
        FleetView f{};
        layout_fleet_state(p_, state.data(), &f);
        out.soh_end.assign(f.soh, f.soh + n);
        return out;
    }

    // The LP oracle's days on its communities, from the trained state, each day from where its
    // own plan left the fleet. Communities are independent (solve_community_day touches only its
    // vehicles' entries), so they are solved in parallel and merged in community order.
    PolicyRun run_oracle() {
        std::vector<char> state(trained_.begin(), trained_.begin() + static_cast<std::ptrdiff_t>(state_bytes_));
        FleetView f{};
        layout_fleet_state(p_, state.data(), &f);
        const int n = p_.num_vehicles, steps = p_.steps_per_day, nc = oracle_communities_;
        PolicyRun out;
        out.needed_kwh.assign(n, 0.0);
        out.unmet_kwh.assign(n, 0.0);
        out.money.assign(n, 0.0);
        std::vector<OracleDay> days(static_cast<size_t>(nc));
        for (int d = 0; d < cfg_.evaluation.days; ++d) {
            const int episode = first_ + d;
            std::string failure;
#pragma omp parallel for schedule(dynamic) num_threads(threads_)
            for (int c = 0; c < nc; ++c) {
                try {
                    for (int v = community_begin(p_, c); v < community_end(p_, c); ++v) reset_vehicle(p_, host_sig_, f, v, episode);
                    days[static_cast<size_t>(c)] = solve_community_day(p_, host_sig_, f, c, episode);
                } catch (const std::exception& e) {
#pragma omp critical
                    failure = e.what();
                }
            }
            if (!failure.empty()) throw std::runtime_error(failure);
            DayTotals total;
            std::vector<double> flows(static_cast<size_t>(steps) * kFlowFields, 0.0);
            for (int c = 0; c < nc; ++c) {
                const OracleDay& od = days[static_cast<size_t>(c)];
                add_totals(&total, od.totals);
                for (int t = 0; t < steps; ++t) {
                    double* fl = &flows[static_cast<size_t>(t) * kFlowFields];
                    fl[kFlowImport] += od.totals.step_import_kwh[static_cast<size_t>(t)];
                    fl[kFlowExport] += od.totals.step_export_kwh[static_cast<size_t>(t)];
                    fl[kFlowBought] += od.step_bought_kwh[static_cast<size_t>(t)];
                    fl[kFlowSold] += od.step_sold_kwh[static_cast<size_t>(t)];
                }
            }
            out.oracle_set_money.push_back((total.revenue - total.energy_cost - total.degradation_cost -
                                            total.unmet_penalty - total.en_route_cost) /
                                           total.vehicles);
            out.days.push_back(std::move(total));
            out.flows.push_back(std::move(flows));
            out.record.emplace_back();
        }
        out.soh_end.assign(f.soh, f.soh + n);
        return out;
    }

private:
    // Solves every vehicle's day on the host from the backend's state and hands the plan over.
    // Returns the DP value, fleet mean per vehicle.
    double plan_day(int episode, const std::vector<double>& learned_record) {
        std::vector<char> state;
        backend_->read_fleet(&state, state_bytes_);
        std::copy(state.begin(), state.end(), host_fleet_.begin());
        const int n = p_.num_vehicles, nc = p_.num_communities, steps = p_.steps_per_day, points = p_.plan_points;
        const size_t per_vehicle = static_cast<size_t>(steps) * static_cast<size_t>(points);
        plan_.assign(static_cast<size_t>(n) * per_vehicle, kIdle);
        std::vector<double> value(static_cast<size_t>(nc), 0.0);
        // Communities touch disjoint memory of the host copy (optimum.h), so they run in parallel.
#pragma omp parallel num_threads(threads_)
        {
            std::vector<double> market(static_cast<size_t>(steps) * kPlanMarketFields);
            std::vector<uint8_t> plan;
#pragma omp for schedule(dynamic)
            for (int c = 0; c < nc; ++c) {
                for (int t = 0; t < steps; ++t) {
                    const double* r = &learned_record[(static_cast<size_t>(c) * steps + t) * kRecordFields];
                    // The record's market fields run in PlanMarketField order from kRecordPrice.
                    for (int k = 0; k < kPlanMarketFields; ++k) market[t * kPlanMarketFields + k] = r[kRecordPrice + k];
                }
                for (int v = community_begin(p_, c); v < community_end(p_, c); ++v) {
                    reset_vehicle(p_, host_sig_, host_f_, v, episode);
                    PlanContext ctx{p_, host_sig_, host_f_, v, episode, market.data()};
                    value[c] += solve_day(ctx, &plan);
                    std::copy(plan.begin(), plan.end(), plan_.begin() + static_cast<std::ptrdiff_t>(v * per_vehicle));
                }
            }
        }
        backend_->set_plan(plan_);
        double sum = 0.0;
        for (double x : value) sum += x;  // community order: the same sum on any thread count
        return sum / n;
    }

    DayTotals totals_of(int episode, const EpisodeMetrics& m, const std::vector<double>& flows,
                        const std::vector<char>& state, PolicyRun* run) const {
        DayTotals d;
        d.vehicles = p_.num_vehicles;
        d.step_hours = p_.step_hours;
        d.p2p_loss_fraction = p_.p2p_loss_fraction;
        d.revenue = m.revenue;
        d.energy_cost = m.energy_cost;
        d.degradation_cost = m.degradation_cost;
        d.unmet_penalty = m.unmet_penalty;
        d.en_route_cost = m.en_route_cost;
        d.en_route_kwh = m.en_route_kwh;
        d.curtailed_kwh = m.curtailed_kwh;
        d.limit_steps = static_cast<double>(m.limit_steps);
        d.safety_overrides = static_cast<double>(m.safety_overrides);
        d.unmet_kwh = m.unmet_kwh;
        d.grid_import_kwh = m.grid_import_kwh;
        d.grid_export_kwh = m.grid_export_kwh;
        d.p2p_bought_kwh = m.p2p_bought_kwh;
        d.p2p_sold_kwh = m.p2p_sold_kwh;
        d.ledger = p_.ledger_enabled != 0;
        d.tx_count = static_cast<double>(m.tx_count);
        d.tx_latency_steps = static_cast<double>(m.tx_latency_steps);
        // Per vehicle: needs, conversion, and the Fig. 9 sums (the state part of the buffer).
        FleetView f{};
        layout_fleet_state(p_, const_cast<char*>(state.data()), &f);
        for (int v = 0; v < p_.num_vehicles; ++v) {
            const double needed = std::max(0.0, static_cast<double>(f.required_kwh[v]) - f.ep_start_kwh[v]);
            const double meter_in = static_cast<double>(f.ep_grid_import_kwh[v]) + f.ep_p2p_bought_kwh[v];
            const double meter_out = static_cast<double>(f.ep_grid_export_kwh[v]) + f.ep_p2p_sold_kwh[v];
            d.needed_kwh += needed;
            d.battery_in_kwh += meter_in * f.eta_charge[v];
            d.battery_out_kwh += meter_out / f.eta_discharge[v];
            run->needed_kwh[v] += needed;
            run->unmet_kwh[v] += f.ep_unmet_kwh[v];
            run->money[v] += day_money(f, v);
        }
        const int steps = p_.steps_per_day;
        for (int t = 0; t < steps; ++t) {
            d.step_import_kwh.push_back(flows[static_cast<size_t>(t) * kFlowFields + kFlowImport]);
            d.step_export_kwh.push_back(flows[static_cast<size_t>(t) * kFlowFields + kFlowExport]);
        }
        d.dr_event.resize(steps);
        for (int t = 0; t < steps; ++t) d.dr_event[t] = host_sig_.dr_event[signal_index(p_, episode, t)];
        return d;
    }

    Config cfg_;
    Problem problem_;
    const std::vector<char>& trained_;
    const std::vector<char>& trained_learner_;
    std::vector<char> initial_learner_;
    int first_;
    EnvParams p_{};
    size_t state_bytes_ = 0;
    std::unique_ptr<Backend> backend_;
    std::unique_ptr<Backend> external_backend_;  // the outside policy's (agent_backend.h), if any
    std::string backend_name_;
    std::vector<char> host_fleet_;  // the optimum's host copy of the state
    FleetView host_f_{};
    SignalsView host_sig_{};
    std::vector<uint8_t> plan_;
    int threads_ = 1;
    int oracle_communities_ = 1, oracle_vehicles_ = 1;
};

// Means over days.
double mean_over(const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return v.empty() ? std::nan("") : sum / static_cast<double>(v.size());
}


}  // namespace

std::string describe_fault(const Config& cfg, const std::string& fault) {
    char buf[256];
    if (fault == "missing_vehicles")
        std::snprintf(buf, sizeof buf, "%.0f%% of vehicles (chosen by Philox) never plug in",
                      cfg.evaluation.fault_missing_share * 100);
    else if (fault == "grid_outage")
        std::snprintf(buf, sizeof buf, "no grid import or export for %.4g h from %.4g h (P2P still clears)",
                      cfg.evaluation.fault_outage_hours, cfg.evaluation.fault_outage_start_hour);
    else if (fault == "price_spike")
        std::snprintf(buf, sizeof buf, "retail price x %.4g for %.4g h from %.4g h", cfg.evaluation.fault_spike_factor,
                      cfg.evaluation.fault_outage_hours, cfg.evaluation.fault_outage_start_hour);
    else if (fault == "lost_community")
        std::snprintf(buf, sizeof buf, "community 0 offline all day (none of its vehicles plug in)");
    else
        throw InputError("evaluation.faults: unknown fault '" + fault + "'");
    return buf;
}

void apply_fault(const Config& cfg, const std::string& fault, Problem* problem) {
    EnvParams& p = problem->params;
    const auto [begin, end] = fault_window(cfg);
    if (fault == "missing_vehicles") {
        p.fault_missing_share = static_cast<float>(cfg.evaluation.fault_missing_share);
    } else if (fault == "grid_outage") {
        p.fault_outage_begin_step = begin;
        p.fault_outage_end_step = end;
    } else if (fault == "price_spike") {
        SignalsView sig{};
        layout_signals(p, problem->signals.data(), &sig);
        float* retail = const_cast<float*>(sig.retail_price_per_kwh);
        uint8_t* level = const_cast<uint8_t*>(sig.price_level);
        for (int day = 0; day < p.signal_days; ++day)
            for (int t = begin; t < end; ++t) {
                const size_t i = static_cast<size_t>(day) * p.steps_per_day + t;
                retail[i] *= static_cast<float>(cfg.evaluation.fault_spike_factor);
                // The learner sees a spike as the top price level (a fall as the lowest).
                level[i] = cfg.evaluation.fault_spike_factor >= 1.0 ? static_cast<uint8_t>(p.price_levels - 1) : 0;
            }
        order_day_prices(p, mutable_signals(sig));
    } else if (fault == "lost_community") {
        p.fault_community_offline = 1;
        p.fault_community = 0;
    } else {
        throw InputError("evaluation.faults: unknown fault '" + fault + "'");
    }
}

// How many scenarios run at once. They are independent (each its own Problem, backend and
// copies of the trained fleet), so on the CPU backend `run.threads` threads go further running
// that many scenarios side by side, one thread each, than one scenario at a time on all of them:
// no barrier between the threads, and a fleet of one community gives a backend's lanes nothing to
// share (measured: docs/PERFORMANCE.md, "Evaluation, scenarios side by side"). Not for the DQN or
// an outside policy (LibTorch's threads are one pool for the process), not on the GPU, and only
// while that many scenarios' fleet copies fit in a share of the machine's memory.
int scenario_lanes(const Config& cfg, const DeviceChoice& device, const ExternalPolicy* external, size_t scenarios,
                   size_t fleet_bytes) {
    const int threads = cfg.run.threads > 0 ? cfg.run.threads : omp_get_max_threads();
    if (device.device != ComputeDevice::cpu || cfg.learning.policy == LearnerPolicy::dqn || external || threads < 2)
        return 1;
    // A scenario holds the trained fleet four times: its problem's initial one, the host copy, the
    // backend's, and the initial policy's start. Ours: at most a quarter of the memory for them all.
    constexpr double kFleetCopiesPerScenario = 4.0, kMemoryShare = 0.25;
    const double ram_bytes = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    const double per_scenario = kFleetCopiesPerScenario * static_cast<double>(std::max<size_t>(fleet_bytes, 1));
    const int fit = static_cast<int>(std::min(1e6, kMemoryShare * ram_bytes / per_scenario));
    return std::max(1, std::min({threads, static_cast<int>(scenarios), fit}));
}

EvaluationResult run_evaluation(const Config& cfg, const std::vector<char>& trained_fleet, int first_episode,
                                const DeviceChoice& device, const std::function<void(const EvalProgress&)>& on_progress,
                                const std::vector<char>& trained_learner, const ExternalPolicy* external) {
    std::vector<EvalPolicy> policies = eval_policies();
    if (external) policies.push_back({external->name.c_str(), kPolicyGiven, false, true});
    const std::vector<std::string> faults = eval_fault_list(cfg.evaluation.faults);
    EvaluationResult res;
    res.first_episode = first_episode;
    res.days = cfg.evaluation.days;
    res.steps_per_day = cfg.steps_per_day();
    res.vehicles = cfg.fleet.vehicles;
    res.dp_energy_points = cfg.evaluation.dp_energy_points;
    res.step_hours = cfg.time.step_hours;
    res.ledger = cfg.ledger.enabled;
    res.device = choice_name(device.device);
    res.faults = faults.empty() ? "none" : "";
    for (const std::string& f : faults) res.faults += (res.faults.empty() ? "" : ",") + f;
    for (const EvalPolicy& pol : policies) res.policies.push_back(pol.name);

    const auto t0 = std::chrono::steady_clock::now();
    const size_t scenarios = faults.size() + 1;
    const int runs_total = static_cast<int>(scenarios * policies.size());
    const int lanes = scenario_lanes(cfg, device, external, scenarios, trained_fleet.size());
    Config scenario_cfg = cfg;  // with lanes > 1 each scenario's backend and solvers get one thread
    if (lanes > 1) scenario_cfg.run.threads = 1;
    std::mutex progress_mutex;  // the callback hears one report at a time, runs_done in order
    int runs_done = 0;
    res.scenarios.resize(scenarios);

    // Scenario s (0: fault-free, s: faults[s - 1]) into res.scenarios[s]; the fault-free one also
    // fills the day series, Fig. 9 and the backend's name. Each writes only its own slot.
    const auto evaluate_scenario = [&](size_t s) {
        Problem problem = build_problem(scenario_cfg);
        problem.params.plan_points = scenario_cfg.evaluation.dp_energy_points;
        ScenarioResult& scenario = res.scenarios[s];
        const std::string label = s == 0 ? "fault-free" : faults[s - 1];
        if (s > 0) {
            scenario.name = faults[s - 1];
            scenario.description = describe_fault(scenario_cfg, scenario.name);
            apply_fault(scenario_cfg, scenario.name, &problem);
        }
        ScenarioRunner runner(scenario_cfg, std::move(problem), trained_fleet, trained_learner, first_episode, device,
                              external);
        std::vector<PolicyRun> runs;
        for (const EvalPolicy& pol : policies) {
            if (on_progress) {
                std::lock_guard<std::mutex> lock(progress_mutex);
                on_progress({label, pol.name, runs_done, runs_total, seconds_since(t0)});
            }
            runs.push_back(pol.oracle ? runner.run_oracle() : runner.run(pol, runs.empty() ? nullptr : &runs[kEvalLearned].record));
            std::lock_guard<std::mutex> lock(progress_mutex);
            ++runs_done;
        }
        for (size_t k = 0; k < runs.size(); ++k) {
            std::vector<DayMetrics> per_day;
            for (int d = 0; d < cfg.evaluation.days; ++d)
                per_day.push_back(compute_day_metrics(runs[k].days[d], &runs[kEvalUncontrolled].days[d]));
            scenario.metrics.push_back(std::move(per_day));
            scenario.oracle_set_money.push_back(runs[k].oracle_set_money);
        }
        scenario.score = oracle_score(mean_over(runs[kEvalLearned].oracle_set_money),
                                      mean_over(runs[kEvalRandom].oracle_set_money),
                                      mean_over(runs[kEvalOracle].oracle_set_money));
        if (external)
            scenario.external_score = oracle_score(mean_over(runs[kEvalExternal].oracle_set_money),
                                                   mean_over(runs[kEvalRandom].oracle_set_money),
                                                   mean_over(runs[kEvalOracle].oracle_set_money));
        if (s != 0) return;
        // The fault-free days also give the day series and Fig. 9.
        res.backend = runner.backend_name();
        if (lanes > 1) res.backend += " per scenario, " + std::to_string(lanes) + " scenarios at a time";
        res.oracle_communities = runner.oracle_communities();
        res.oracle_vehicles = runner.oracle_vehicles();
        const EnvParams& p = runner.params();
        const SignalsView sig = runner.signals();
        for (int d = 0; d < cfg.evaluation.days; ++d)
            for (int t = 0; t < p.steps_per_day; ++t) {
                const int i = signal_index(p, first_episode + d, t);
                res.clock_hour.push_back(std::fmod(cfg.time.day_start_hour + t * cfg.time.step_hours, kHoursPerDayD));
                res.retail_price_per_kwh.push_back(sig.retail_price_per_kwh[i]);
                res.feed_in_price_per_kwh.push_back(sig.feed_in_price_per_kwh[i]);
                res.dr_event.push_back(sig.dr_event[i]);
            }
        for (const PolicyRun& run : runs)
            for (const std::vector<double>& day : run.flows) res.flows.insert(res.flows.end(), day.begin(), day.end());
        res.optimum_value_per_vehicle = runs[kEvalDpPlan].optimum_value;
        const auto per_vehicle = [&](const PolicyRun& run, std::vector<double>* met, std::vector<double>* money,
                                     std::vector<double>* soh) {
            for (int v = 0; v < p.num_vehicles; ++v) {
                met->push_back(run.needed_kwh[v] > 0.0 ? 1.0 - run.unmet_kwh[v] / run.needed_kwh[v] : 1.0);
                money->push_back(run.money[v] / cfg.evaluation.days);
                soh->push_back(run.soh_end[v]);
            }
        };
        per_vehicle(runs[kEvalInitial], &res.initial_departure_met, &res.initial_money_per_day, &res.initial_soh);
        per_vehicle(runs[kEvalLearned], &res.enhanced_departure_met, &res.enhanced_money_per_day, &res.enhanced_soh);
    };

    if (lanes == 1) {
        for (size_t s = 0; s < scenarios; ++s) evaluate_scenario(s);
    } else {
        // Each lane takes the next scenario not yet started; the first failure stops the others
        // from starting new ones and is rethrown here, as the serial loop would throw it.
        std::atomic<size_t> next{0};
        std::atomic<bool> failed{false};
        std::exception_ptr failure;
        std::mutex failure_mutex;
        std::vector<std::thread> workers;
        for (int lane = 0; lane < lanes; ++lane)
            workers.emplace_back([&] {
                for (size_t s = next++; s < scenarios && !failed; s = next++) {
                    try {
                        evaluate_scenario(s);
                    } catch (...) {
                        std::lock_guard<std::mutex> lock(failure_mutex);
                        if (!failure) failure = std::current_exception();
                        failed = true;
                    }
                }
            });
        for (std::thread& w : workers) w.join();
        if (failure) std::rethrow_exception(failure);
    }
    if (on_progress) on_progress({"", "", runs_done, runs_total, seconds_since(t0)});
    return res;
}

TrainingCheck run_training_check(const Config& cfg, const std::vector<char>& trained_fleet, int first_episode,
                                 const DeviceChoice& device, const std::vector<char>& trained_learner,
                                 const std::function<void(const EvalProgress&)>& on_progress) {
    Config c = cfg;
    c.evaluation.days = cfg.evaluation.check_days;
    Problem problem = build_problem(c);
    problem.params.plan_points = c.evaluation.dp_energy_points;
    const int communities = problem.params.num_communities;
    ScenarioRunner runner(c, std::move(problem), trained_fleet, trained_learner, first_episode, device);
    const std::vector<EvalPolicy>& all = eval_policies();
    const auto fleet_money = [](const PolicyRun& run) {
        double sum = 0.0;
        for (const DayTotals& d : run.days)
            sum += (d.revenue - d.energy_cost - d.degradation_cost - d.unmet_penalty - d.en_route_cost) / d.vehicles;
        return sum / static_cast<double>(run.days.size());
    };
    constexpr int kCheckRuns = 5;  // learned, random, uncontrolled, time-of-use, the LP oracle
    const auto t0 = std::chrono::steady_clock::now();
    int runs_done = 0;
    const auto next = [&](const std::string& policy) {
        if (!on_progress) return;
        EvalProgress pr;
        pr.scenario = "held-out check";
        pr.policy = policy;
        pr.runs_done = runs_done++;
        pr.runs_total = kCheckRuns;
        pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        on_progress(pr);
    };
    next(all[kEvalLearned].name);
    const PolicyRun learned = runner.run(all[kEvalLearned], nullptr);
    next(all[kEvalRandom].name);
    const PolicyRun random = runner.run(all[kEvalRandom], nullptr);
    next(all[kEvalUncontrolled].name);
    const PolicyRun uncontrolled = runner.run(all[kEvalUncontrolled], nullptr);
    next(all[kEvalTimeOfUse].name);
    const PolicyRun tou = runner.run(all[kEvalTimeOfUse], nullptr);
    next(all[kEvalOracle].name);
    const PolicyRun oracle = runner.run_oracle();
    next("");
    TrainingCheck out;
    out.days = c.evaluation.days;
    out.first_episode = first_episode;
    out.learned = fleet_money(learned);
    out.random = fleet_money(random);
    out.uncontrolled = fleet_money(uncontrolled);
    out.time_of_use = fleet_money(tou);
    out.oracle = mean_over(oracle.oracle_set_money);
    double unmet = 0.0, needed = 0.0;
    for (const DayTotals& d : learned.days) {
        unmet += d.unmet_kwh;
        needed += d.needed_kwh;
    }
    out.learned_departure_met = needed > 0.0 ? 1.0 - unmet / needed : 1.0;
    out.score = oracle_score(mean_over(learned.oracle_set_money), mean_over(random.oracle_set_money), out.oracle);
    out.best_yardstick = out.time_of_use >= out.uncontrolled ? all[kEvalTimeOfUse].name : all[kEvalUncontrolled].name;
    out.best_yardstick_money = std::max(out.time_of_use, out.uncontrolled);
    out.oracle_communities = runner.oracle_communities();
    out.communities = communities;
    return out;
}

}  // namespace v2g
