// problem.cpp: Config -> Problem (host images of the fleet and the signals, see layout.h).
// Everything random here (which EV model each vehicle is) comes from Philox, so a Problem is a
// pure function of the Config.
#include "problem/problem.h"

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <string>
#include "common/errors.h"
#include "problem/fleet_mix.h"
#include "env/layout.h"
#include "ledger/registry.h"
#include "problem/session_table.h"
#include "problem/sessions.h"
#include "problem/signals.h"

namespace v2g {
namespace {

// Schmalstieg et al. 2014 fitted their model on a Sanyo UR18650E cell of 2.05 Ah.
constexpr float kSchmalstiegCellAh = 2.05f;
constexpr double kKelvinAtZeroCelsius = 273.15;
// Depth of cycle assumed for the cycles a pack did before the run (typical daily driving).
constexpr double kInitialDod = 0.3;

// Edges of `levels` equally populated price levels: the (k/levels)-quantiles, k = 1..levels-1.
std::vector<float> quantile_edges(std::vector<float> values, int levels) {
    std::sort(values.begin(), values.end());
    std::vector<float> edges;
    for (int k = 1; k < levels; ++k) {
        const size_t i = std::min(values.size() - 1, values.size() * static_cast<size_t>(k) / levels);
        edges.push_back(values[i]);
    }
    return edges;
}

double quantile(std::vector<float> values, double q) {
    std::sort(values.begin(), values.end());
    const size_t i = std::min(values.size() - 1, static_cast<size_t>(q * static_cast<double>(values.size())));
    return values[i];
}

// The ageing state of a pack of the fleet's configured age (battery.initial_age_days and
// initial_full_cycles), host-side in double: calendar loss at a mean SoC of fleet.initial_soc,
// cycle loss at a mid-range stress (that mean SoC, depth of cycle kInitialDod), cell throughput
// two cell capacities per full cycle. Every day starts from it in the default ageing mode.
void set_fleet_age(const Config& cfg, EnvParams* p) {
    const double v_start = cell_voltage(static_cast<float>(cfg.fleet.initial_soc));
    const double alpha_cap = std::max(0.0, (kCalVoltageSlope * v_start - kCalVoltageOffset) * kCalScale *
                                               static_cast<double>(p->calendar_arrhenius));
    p->initial_calendar_loss = static_cast<float>(alpha_cap * std::pow(cfg.battery.initial_age_days, 0.75));
    const double throughput_ah = cfg.battery.initial_full_cycles * 2.0 * p->cell_capacity_ah;
    const double dv = v_start - kCycVoltageRef;
    const double beta_cap = kCycVoltageCurv * dv * dv + kCycBase + kCycDod * kInitialDod;
    p->initial_cycle_loss = static_cast<float>(beta_cap * std::sqrt(throughput_ah));
    p->initial_throughput_ah = static_cast<float>(throughput_ah);
}

// The fleet mix's models, each vehicle's battery and charger replaced by its own where a
// sessions CSV gives them.
void fill_fleet(const Config& cfg, const EnvParams& p, const SessionTable& sessions, FleetView* f) {
    const std::vector<EvModel> models = fleet_mix(cfg);
    double total_weight = 0.0;
    for (const EvModel& m : models) total_weight += m.weight;
    for (int v = 0; v < p.num_vehicles; ++v) {
        const double u = uniform01(random4(p.seed, static_cast<uint32_t>(v), 0, 0, RngPurpose::kFleetModel).v[0]) *
                         total_weight;
        size_t k = 0;
        double acc = models[0].weight;
        while (k + 1 < models.size() && u >= acc) acc += models[++k].weight;
        const EvModel& m = models[k];
        // A sessions CSV's own battery and charger of the vehicle, where it gives them.
        const auto own = [&](const std::vector<float>& values, float model_value) {
            return values.empty() ? model_value : values[static_cast<size_t>(v)];
        };
        const_cast<float*>(f->capacity_kwh)[v] = own(sessions.capacity_kwh, m.capacity_kwh);
        const_cast<float*>(f->charge_kw)[v] = own(sessions.charge_kw, m.charge_kw);
        const_cast<float*>(f->discharge_kw)[v] = own(sessions.discharge_kw, m.discharge_kw);
        const_cast<float*>(f->eta_charge)[v] = m.eta_charge;
        const_cast<float*>(f->eta_discharge)[v] = m.eta_discharge;
        restore_fleet_age(p, *f, v);
        f->pack_age_offset_days[v] = p.initial_age_days;
        f->usable_kwh[v] = f->capacity_kwh[v] * f->soh[v];
        f->energy_kwh[v] = static_cast<float>(cfg.fleet.initial_soc) * f->usable_kwh[v];
    }
}

}  // namespace

namespace {

// The parameters of cfg's problem, and what they were computed from that build_problem needs
// again: the contract registry, the signal series and the sessions table (sessions.model = csv).
EnvParams make_params(const Config& cfg, std::vector<Contract>* contracts, SignalSeries* series_out,
                      SessionTable* sessions) {
    EnvParams p{};
    p.steps_per_day = cfg.steps_per_day();
    p.step_hours = static_cast<float>(cfg.time.step_hours);
    p.num_vehicles = cfg.fleet.vehicles;
    p.community_size = std::min(cfg.fleet.community_size, cfg.fleet.vehicles);
    p.num_communities = (cfg.fleet.vehicles + p.community_size - 1) / p.community_size;
    p.soc_min = static_cast<float>(cfg.battery.soc_min);
    p.soc_max = static_cast<float>(cfg.battery.soc_max);
    p.calendar_arrhenius =
        static_cast<float>(std::exp(-kCalActivationK / (cfg.battery.cell_temperature_c + kKelvinAtZeroCelsius)));
    p.cell_capacity_ah = kSchmalstiegCellAh;
    p.battery_cost_per_kwh = static_cast<float>(cfg.battery.cost_per_kwh);
    p.end_of_life_loss = static_cast<float>(cfg.battery.end_of_life_loss);
    p.initial_age_days = static_cast<float>(cfg.battery.initial_age_days);
    set_fleet_age(cfg, &p);
    p.lifetime_aging = cfg.battery.aging == AgingHorizon::lifetime ? 1 : 0;
    p.p2p_price_weight = static_cast<float>(cfg.market.price_weight);
    p.p2p_loss_fraction = static_cast<float>(cfg.market.loss_fraction);
    p.unmatched_to_grid = cfg.market.unmatched_to_grid ? 1 : 0;
    p.dr_price_per_kwh = static_cast<float>(cfg.market.dr_price_per_kwh);
    p.unmet_penalty_per_kwh = static_cast<float>(cfg.market.unmet_penalty_per_kwh);
    p.en_route_price_per_kwh = static_cast<float>(cfg.market.en_route_price_per_kwh);
    p.grid_limit_enabled = cfg.grid.limit_kw_per_vehicle > 0.0 ? 1 : 0;
    p.safety_layer = cfg.fleet.safety_layer ? 1 : 0;
    p.soc_bins = cfg.learning.soc_bins;
    p.time_bins = cfg.learning.time_bins;
    p.price_levels = cfg.learning.price_levels;
    p.deadline_levels = cfg.learning.deadline_levels;
    p.forecast_levels = cfg.learning.forecast_levels;
    p.forecast_margin = cfg.learning.forecast_basis == ForecastBasis::charge_margin ? 1 : 0;
    p.shaping = cfg.learning.shaping ? 1 : 0;
    p.q_sharing = cfg.learning.q_sharing == QTableSharing::community ? kQPerCommunity
                  : cfg.learning.q_sharing == QTableSharing::fleet   ? kQPerFleet
                                                        : kQPerVehicle;
    p.q_bf16 = cfg.learning.q_precision == QPrecision::bf16 ? 1 : 0;
    p.alpha = static_cast<float>(cfg.learning.alpha);
    p.gamma = static_cast<float>(cfg.learning.gamma);
    p.seed = cfg.run.seed;
    p.sessions = build_session_model(cfg);
    if (p.sessions.table) {
        *sessions = read_session_table(cfg);
        p.session_days = sessions->days;
    }

    p.ledger_enabled = cfg.ledger.enabled ? 1 : 0;
    if (cfg.ledger.enabled) {
        RegistryTerms terms{};
        terms.contracts = cfg.ledger.contracts;
        terms.vehicles = p.num_vehicles;
        terms.communities = p.num_communities;
        terms.community_size = p.community_size;
        terms.price_floor_micro_per_kwh = to_micro_per_kwh(static_cast<float>(cfg.ledger.price_floor_per_kwh));
        terms.price_cap_micro_per_kwh = to_micro_per_kwh(static_cast<float>(cfg.ledger.price_cap_per_kwh));
        terms.energy_cap_wh_per_step = static_cast<uint32_t>(std::llround(cfg.ledger.energy_cap_kwh_per_step * 1000.0));
        terms.charging_fixed_price_micro_per_kwh =
            cfg.ledger.charging_fixed_price_per_kwh < 0
                ? -1
                : to_micro_per_kwh(static_cast<float>(cfg.ledger.charging_fixed_price_per_kwh));
        terms.valid_from_episode = 0;
        terms.valid_until_episode =
            cfg.ledger.valid_episodes > 0 ? static_cast<uint32_t>(cfg.ledger.valid_episodes) : 0xFFFFFFFFu;
        Registry registry;
        try {
            registry = deploy_registry(terms);
        } catch (const std::invalid_argument& e) {
            throw InputError(e.what());
        }
        *contracts = registry.contracts;
        p.num_contracts = static_cast<int>(registry.contracts.size());
        p.v2g_contract_first = registry.v2g_first;
        p.v2g_contract_count = registry.v2g_count;
        p.charging_contract_first = registry.charging_first;
        p.charging_contract_count = registry.charging_count;
    }

    *series_out = make_signals(cfg);
    const SignalSeries& series = *series_out;
    if (series.steps_per_day != p.steps_per_day || series.days < 1)
        throw InputError("signals: series has " + std::to_string(series.days) + " days of " +
                         std::to_string(series.steps_per_day) + " steps, need >= 1 day of " +
                         std::to_string(p.steps_per_day));
    p.signal_days = series.days;
    return p;
}

}  // namespace

EnvParams problem_params(const Config& cfg) {
    std::vector<Contract> contracts;
    SignalSeries series;
    SessionTable sessions;
    return make_params(cfg, &contracts, &series, &sessions);
}

Problem build_problem(const Config& cfg) {
    Problem problem;
    SignalSeries series;
    SessionTable sessions;
    problem.params = make_params(cfg, &problem.contracts, &series, &sessions);
    const EnvParams& p = problem.params;

    // Memory: refuse a fleet that cannot fit rather than die in the allocator.
    FleetView measure{};
    const size_t fleet_bytes = layout_fleet(p, nullptr, &measure);
    const double ram_bytes = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    if (static_cast<double>(fleet_bytes) > 0.8 * ram_bytes)
        throw InputError("fleet.vehicles = " + std::to_string(cfg.fleet.vehicles) + ": state and Q-tables need " +
                         std::to_string(fleet_bytes >> 20) + " MiB, more than this machine's memory allows "
                         "(share Q-tables with learning.q_sharing or shrink the state)");

    problem.fleet.assign(fleet_bytes, 0);
    FleetView f{};
    layout_fleet(p, problem.fleet.data(), &f);
    fill_fleet(cfg, p, sessions, &f);
    // The Q-tables before training: every value learning.q_init (in the tables' precision).
    const size_t q_values = static_cast<size_t>(num_q_tables(p)) * static_cast<size_t>(num_states(p)) * kNumActions;
    const float q_init = static_cast<float>(cfg.learning.q_init);
    if (p.q_bf16) std::fill(f.q_bf16, f.q_bf16 + q_values, bf16_from_float(q_init));
    else std::fill(f.q, f.q + q_values, q_init);

    SignalsView sv{};
    problem.signals.assign(layout_signals(p, nullptr, &sv), 0);
    layout_signals(p, problem.signals.data(), &sv);
    const SignalsHostView s = mutable_signals(sv);
    const size_t n = series.retail_price_per_kwh.size();
    // The learner's price level (learning.price_level_basis): the day's mean retail price among
    // the series' days, the same for every step of a day; or each step's price among all steps.
    const int steps = p.steps_per_day;
    std::vector<float> basis = series.retail_price_per_kwh;
    if (cfg.learning.price_level_basis == PriceLevelBasis::day)
        for (int d = 0; d < p.signal_days; ++d) {
            double sum = 0.0;
            for (int t = 0; t < steps; ++t) sum += series.retail_price_per_kwh[static_cast<size_t>(d) * steps + t];
            for (int t = 0; t < steps; ++t) basis[static_cast<size_t>(d) * steps + t] = static_cast<float>(sum / steps);
        }
    const std::vector<float> edges = quantile_edges(basis, p.price_levels);
    const double dr_threshold_kw = quantile(series.grid_stress_kw, cfg.signals.dr_load_quantile);
    for (size_t i = 0; i < n; ++i) {
        s.retail_price_per_kwh[i] = series.retail_price_per_kwh[i];
        s.feed_in_price_per_kwh[i] = series.feed_in_price_per_kwh[i];
        s.grid_load_kw[i] = series.grid_load_kw[i];
        s.pv_kw_per_kwp[i] = series.pv_kw_per_kwp[i];
        s.dr_event[i] = series.grid_stress_kw[i] > dr_threshold_kw ? 1 : 0;
        int level = 0;
        while (level < p.price_levels - 1 && basis[i] > edges[level]) ++level;
        s.price_level[i] = static_cast<uint8_t>(level);
    }
    order_day_prices(p, s);
    std::copy(problem.contracts.begin(), problem.contracts.end(), s.contracts);
    std::copy(sessions.records.begin(), sessions.records.end(), s.session_table);
    for (int c = 0; c < p.num_communities; ++c) {
        const float members = static_cast<float>(community_end(p, c) - community_begin(p, c));
        s.community_pv_kwp[c] = static_cast<float>(cfg.fleet.pv_kwp_per_vehicle) * members;
        s.community_limit_kw[c] = static_cast<float>(cfg.grid.limit_kw_per_vehicle) * members;
    }
    return problem;
}

void order_day_prices(const EnvParams& p, const SignalsHostView& s) {
    const size_t steps = static_cast<size_t>(p.steps_per_day);
    for (size_t d = 0; d < static_cast<size_t>(p.signal_days); ++d) {
        uint16_t* order = s.price_order + d * steps;
        const float* price = s.retail_price_per_kwh + d * steps;
        for (size_t t = 0; t < steps; ++t) order[t] = static_cast<uint16_t>(t);
        std::stable_sort(order, order + steps, [price](uint16_t a, uint16_t b) { return price[a] < price[b]; });
    }
}

}  // namespace v2g
