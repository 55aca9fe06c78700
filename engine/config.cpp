// config.cpp: the registry of every setting (TOML key, member of Config, help, allowed values)
// and everything that walks it: loading a TOML file, `--set` overrides, range checks, the
// TOML dump and the key list. A new setting is one line in kSettings (plus its Config member
// and a line in docs/CONFIG.md, which a test enforces).
#include "config.h"
#include "toml_parse.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "csv_signals.h"
#include "errors.h"
#include "kernels/env_types.h"

namespace v2g {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// TOML integers are signed 64-bit, so a seed above this could be set but not written back.
constexpr uint64_t kMaxSeed = static_cast<uint64_t>(INT64_MAX);
// Integral doubles below this print as integers ("60", not "6e+01"); beyond it, exponents.
constexpr double kMaxPlainInteger = 1e15;
// Largest SoC discretisation: far beyond any useful table, small enough that
// soc_bins * steps_per_day * price_levels stays well inside an int.
constexpr int kMaxSocBins = 1000;
// Signal series are indexed [day * steps_per_day + step] with ints; 100 years of days is
// far more than any run needs and keeps that index far from INT_MAX.
constexpr int kMaxSignalDays = 36600;
// DQN sizes: a batch and a buffer must fit in memory many times over.
constexpr int kMaxDqnBatch = 1 << 16;
constexpr int kMaxDqnWidth = 1 << 14;
constexpr int kMaxDqnBuffer = 1 << 28;
// More slack levels than steps in a day can never be told apart.
constexpr int kMaxStepsPerDayConfig = 96;
// The optimum's plan holds days x steps x points bytes per vehicle; beyond this the grid is
// finer than the float energy arithmetic of a step can tell apart anyway.
constexpr int kMaxDpEnergyPoints = 4001;
// Cell temperatures outside the usual Li-ion operating window would put the calendar-aging
// fit (Arrhenius in Kelvin) far outside the data it came from.
constexpr double kMinCellTemperatureC = -40.0;
constexpr double kMaxCellTemperatureC = 80.0;
constexpr double kHoursPerDay = 24.0;
constexpr int kLastHourOfDay = 23;
// Physical sanity bounds: far beyond any real value, small enough that float arithmetic on
// them stays finite (a price of 1e308 would make every reward -inf).
constexpr double kMaxConsumptionKwhPerKm = 10.0;   // a heavy truck uses ~1.5 kWh/km
constexpr double kMaxTripKwh = 10000.0;
constexpr double kMaxDailyKm = 10000.0;
constexpr double kMaxPricePerKwh = 1000.0;
constexpr double kMaxLimitKwPerVehicle = 10000.0;
// Bounds on the rest: physical or bookkeeping limits far beyond any real value, so that every
// number the engine computes from them stays finite (docs/CONFIG.md, "Bounds", says why each).
constexpr double kMaxEpisodes = 1e8;             // 270,000 years of days; the ledger's episode is uint32
constexpr double kMaxThreads = 1024;             // more than any one CPU's hardware threads (backends clamp
                                                 // to 4x this machine's cores anyway, train_run.cpp)
constexpr double kMaxVehicles = 1e8;             // world EV stock 2024: ~58 million (IEA Global EV Outlook 2025)
constexpr double kMaxPackKwh = 2000.0;           // the largest electric-truck packs are ~1 MWh
constexpr double kMaxChargerKw = 4000.0;         // the Megawatt Charging System goes to 3.75 MW
constexpr double kMaxPvKwpPerVehicle = 1000.0;   // a large home rooftop is 10-20 kWp
constexpr double kMaxAgeDays = 36500.0;          // a century
constexpr double kMaxFullCycles = 1e5;           // Li-ion cells wear out within ~10,000 full cycles
constexpr double kMaxBatteryCostPerKwh = 1e5;    // packs cost ~100-1,000 per kWh
constexpr double kMaxPriceNoise = 5.0;           // a log-sd of 5 already spans e^10 between days
constexpr double kMaxContracts = 1e7;            // contract ids are uint32; each is a registry leaf
constexpr double kMaxDqnSteps = 1e9;             // gradient steps and transitions: beyond any run, an int
constexpr double kMaxGradClip = 1e6;             // a gradient norm clip beyond this never acts
constexpr double kMaxSpikeFactor = 1000.0;       // a price spike of 1000x the retail price
// The LP oracle solves each community-day on the host; beyond this the check takes too long.
constexpr int kMaxOracleCommunities = 1 << 20;
// "did you mean": suggest a known key at most this many single-character edits away.
constexpr size_t kMaxSuggestionDistance = 2;

// A numeric interval; open ends exclude the bound. Infinite bounds mean "no bound".
struct Limits {
    double lo = -kInf;
    double hi = kInf;
    bool lo_open = false;
    bool hi_open = false;
};
Limits any() { return {}; }
Limits at_least(double lo) { return {lo, kInf, false, false}; }
Limits closed(double lo, double hi) { return {lo, hi, false, false}; }
Limits open_closed(double lo, double hi) { return {lo, hi, true, false}; }
Limits closed_open(double lo, double hi) { return {lo, hi, false, true}; }
Limits open(double lo, double hi) { return {lo, hi, true, true}; }

using Member = std::variant<bool Config::*, int Config::*, uint64_t Config::*, double Config::*,
                            std::string Config::*>;

struct Setting {
    const char* key;      // "group.name"
    Member member;
    const char* help;     // one line, for --help and docs
    Limits limits;        // numbers only
    const char* choices;  // "a|b|c": the allowed values (strings or numbers); nullptr = any
};

// clang-format off
const std::vector<Setting>& settings() {
    static const std::vector<Setting> kSettings = {
        {"run.name", &Config::run_name, "label of the run in outputs", any(), nullptr},
        {"run.seed", &Config::seed, "every random number derives from it", at_least(0), nullptr},
        {"run.episodes", &Config::episodes, "episodes to train; one episode = one day", closed(1, kMaxEpisodes), nullptr},
        {"run.device", &Config::device, "compute backend", any(), "auto|cpu|cuda"},
        {"run.threads", &Config::threads, "CPU threads, 0 = all cores", closed(0, kMaxThreads), nullptr},

        {"time.step_hours", &Config::step_hours, "length of a step in hours", any(), "1|0.5|0.25"},
        {"time.day_start_hour", &Config::day_start_hour, "clock hour at which an episode starts", closed(0, kLastHourOfDay), nullptr},

        {"fleet.vehicles", &Config::vehicles, "vehicles in the fleet", closed(1, kMaxVehicles), nullptr},
        {"fleet.community_size", &Config::community_size, "vehicles per community (P2P market); the last may be smaller", closed(1, kMaxVehicles), nullptr},
        {"fleet.mix", &Config::mix, "vehicle models: registration-weighted real models, or one model", any(), "ev2gym|single"},
        {"fleet.single_capacity_kwh", &Config::single_capacity_kwh, "pack capacity with mix = single (kWh)", open_closed(0, kMaxPackKwh), nullptr},
        {"fleet.single_charge_kw", &Config::single_charge_kw, "charge power limit with mix = single (kW)", open_closed(0, kMaxChargerKw), nullptr},
        {"fleet.single_discharge_kw", &Config::single_discharge_kw, "discharge power limit with mix = single (kW)", open_closed(0, kMaxChargerKw), nullptr},
        {"fleet.single_efficiency", &Config::single_efficiency, "one-way efficiency with mix = single", open_closed(0, 1), nullptr},
        {"fleet.initial_soc", &Config::initial_soc, "SoC of every pack at the start, in [soc_min, soc_max]", closed(0, 1), nullptr},
        {"fleet.pv_kwp_per_vehicle", &Config::pv_kwp_per_vehicle, "community PV per member (kWp)", closed(0, kMaxPvKwpPerVehicle), nullptr},
        {"fleet.consumption_kwh_per_km", &Config::consumption_kwh_per_km, "driving energy per km, at the battery (kWh/km)", open_closed(0, kMaxConsumptionKwhPerKm), nullptr},
        {"fleet.safety_layer", &Config::safety_layer, "chargers override the policy to charge when waiting longer would miss the departure requirement", any(), nullptr},

        {"battery.soc_min", &Config::soc_min, "lowest SoC the controller uses", closed(0, 1), nullptr},
        {"battery.soc_max", &Config::soc_max, "highest SoC the controller uses", closed(0, 1), nullptr},
        {"battery.cell_temperature_c", &Config::cell_temperature_c, "cell temperature for calendar aging (deg C)", closed(kMinCellTemperatureC, kMaxCellTemperatureC), nullptr},
        {"battery.initial_age_days", &Config::initial_age_days, "pack age at the start (days)", closed(0, kMaxAgeDays), nullptr},
        {"battery.initial_full_cycles", &Config::initial_full_cycles, "equivalent full cycles done before the start", closed(0, kMaxFullCycles), nullptr},
        {"battery.cost_per_kwh", &Config::battery_cost_per_kwh, "pack replacement cost per kWh", closed(0, kMaxBatteryCostPerKwh), nullptr},
        {"battery.end_of_life_loss", &Config::end_of_life_loss, "capacity loss at which a pack is worn out (fraction)", open(0, 1), nullptr},
        {"battery.aging", &Config::aging, "day: every day starts from the fleet's configured age; lifetime: ageing carries across days, packs replaced at end of life", any(), "day|lifetime"},

        {"sessions.model", &Config::session_model, "daily plug-in sessions: fitted distributions or fixed times", any(), "ev2gym|fixed"},
        {"sessions.charger", &Config::charger, "charger type of the fitted session distributions", any(), "private|public|workplace"},
        {"sessions.fixed_arrival_hour", &Config::fixed_arrival_hour, "plug-in clock hour with model = fixed", closed_open(0, kHoursPerDay), nullptr},
        {"sessions.fixed_departure_hour", &Config::fixed_departure_hour, "plug-out clock hour with model = fixed", closed_open(0, kHoursPerDay), nullptr},
        {"sessions.fixed_trip_kwh", &Config::fixed_trip_kwh, "energy driven per day with model = fixed (kWh at the battery)", closed(0, kMaxTripKwh), nullptr},
        {"sessions.daily_km", &Config::daily_km, "mean distance driven per day (km)", closed(0, kMaxDailyKm), nullptr},
        {"sessions.reserve_km", &Config::reserve_km, "range the driver wants left after the next trip, above battery.soc_min (km)", closed(0, kMaxDailyKm), nullptr},

        {"signals.source", &Config::signal_source, "price/load/PV series: built-in generators or CSV files", any(), "synthetic|csv"},
        {"signals.days", &Config::signal_days, "days of signals; episode e uses day e % days", closed(1, kMaxSignalDays), nullptr},
        {"signals.price_noise", &Config::price_noise, "day-to-day price variation (log-sd); < 0 = fitted, 0 = none", closed(-1, kMaxPriceNoise), nullptr},
        {"signals.feed_in_ratio", &Config::feed_in_ratio, "feed-in price / retail price", closed(0, 1), nullptr},
        {"signals.dr_load_quantile", &Config::dr_load_quantile, "grid stress (the load's daily shape x the day's level) above this quantile is a demand-response event", closed(0, 1), nullptr},
        {"signals.first_weekday", &Config::first_weekday, "weekday of the series' first day, 0 = Monday .. 6 = Sunday (weekend sessions)", closed(0, kDaysPerWeek - 1), nullptr},
        {"signals.price_csv", &Config::price_csv, "CSV file with a retail price column", any(), nullptr},
        {"signals.price_column", &Config::price_column, "price column name (in signals.price_unit)", any(), nullptr},
        {"signals.load_csv", &Config::load_csv, "CSV file with a load column", any(), nullptr},
        {"signals.load_column", &Config::load_column, "load column name (kWh per hour)", any(), nullptr},
        {"signals.pv_csv", &Config::pv_csv, "CSV file with a PV column", any(), nullptr},
        {"signals.pv_column", &Config::pv_column, "PV column name (W per kWp)", any(), nullptr},
        // The two below list their values in the help, not as choices: "one of auto, ,, ;, tab"
        // would be unreadable; csv_format() (csv_signals.h) checks them, called by validate().
        {"signals.csv_separator", &Config::csv_separator, "field separator of the CSV files: auto (the one the header has), \",\", \";\" or tab", any(), nullptr},
        {"signals.csv_decimal", &Config::csv_decimal, "decimal mark of the CSV numbers: \".\" or \",\" (not with csv_separator \",\")", any(), nullptr},
        {"signals.price_unit", &Config::price_unit, "unit of the price column, converted to currency per kWh; its currency labels money", any(), "$/kWh|$/MWh|EUR/kWh|EUR/MWh|ct/kWh"},
        {"signals.timestamp_column", &Config::timestamp_column, "ISO 8601 time column of every CSV, checked to step by 1 h; \"\" = none", any(), nullptr},

        {"market.price_weight", &Config::p2p_price_weight, "P2P price = feed_in + w (retail - feed_in)", closed(0, 1), nullptr},
        {"market.loss_fraction", &Config::p2p_loss_fraction, "share of P2P energy lost in distribution", closed_open(0, 1), nullptr},
        {"market.unmatched_to_grid", &Config::unmatched_to_grid, "unmatched P2P bids/offers trade with the grid (else unfilled)", any(), nullptr},
        {"market.dr_price_per_kwh", &Config::dr_price_per_kwh, "V2G payment per kWh during demand-response events", closed(0, kMaxPricePerKwh), nullptr},
        {"market.unmet_penalty_per_kwh", &Config::unmet_penalty_per_kwh, "penalty per kWh short of the requirement at departure", closed(0, kMaxPricePerKwh), nullptr},
        {"market.en_route_price_per_kwh", &Config::en_route_price_per_kwh, "public fast-charging price paid for a trip the battery cannot cover", closed(0, kMaxPricePerKwh), nullptr},

        {"grid.limit_kw_per_vehicle", &Config::limit_kw_per_vehicle, "each community's grid connection limit per member (kW), imports and exports; 0 = no limit", closed(0, kMaxLimitKwPerVehicle), nullptr},

        {"learning.policy", &Config::policy, "learner: tabular Q-learning, or a DQN (needs a build with LibTorch)", any(), "tabular|dqn"},
        {"learning.soc_bins", &Config::soc_bins, "SoC bins of the tabular state", closed(1, kMaxSocBins), nullptr},
        {"learning.time_bins", &Config::time_bins, "time-of-day bins of the tabular state (24: one per hour); must divide the steps per day", closed(1, kMaxStepsPerDayConfig), nullptr},
        {"learning.price_levels", &Config::price_levels, "price levels of the tabular state (quantiles)", closed(1, kMaxPriceLevels), nullptr},
        {"learning.price_level_basis", &Config::price_level_basis, "what the price level ranks: the day's mean retail price among the series' days, or each step's price among all steps", any(), "day|step"},
        {"learning.deadline_levels", &Config::deadline_levels, "charging-slack levels in the tabular state: steps to spare before departure at full-power charging, clamped to levels - 1 (1 = off, the paper's state)", closed(1, kMaxStepsPerDayConfig), nullptr},
        {"learning.forecast_levels", &Config::forecast_levels, "price-outlook levels in the tabular state: steps left in the stay with a lower retail price than now (day-ahead prices), clamped to levels - 1 (1 = off)", closed(1, kMaxStepsPerDayConfig), nullptr},
        {"learning.q_sharing", &Config::q_sharing, "who owns a Q-table", any(), "vehicle|community|fleet"},
        {"learning.q_precision", &Config::q_precision, "how Q-values are stored: float32, or bfloat16 (half the memory; updates rounded to nearest even, docs/PERFORMANCE.md)", any(), "fp32|bf16"},
        {"learning.q_init", &Config::q_init, "every Q-value before training (0: optimistic when rewards are costs; below the typical return: untried actions are not preferred)", closed(-kMaxPricePerKwh, kMaxPricePerKwh), nullptr},
        {"learning.alpha", &Config::alpha, "learning rate", open_closed(0, 1), nullptr},
        {"learning.gamma", &Config::gamma, "discount per step", closed(0, 1), nullptr},
        {"learning.epsilon", &Config::epsilon, "initial exploration rate", closed(0, 1), nullptr},
        {"learning.epsilon_decay", &Config::epsilon_decay, "epsilon multiplier per episode", open_closed(0, 1), nullptr},
        {"learning.epsilon_min", &Config::epsilon_min, "epsilon floor, in [0, epsilon]", closed(0, 1), nullptr},

        {"results.vehicle_stride", &Config::vehicle_stride, "episodes between per-vehicle snapshots (0 = the final only)", closed(0, kMaxEpisodes), nullptr},
        {"results.q_stride", &Config::q_stride, "episodes between Q-table snapshots (0 = the final only)", closed(0, kMaxEpisodes), nullptr},
        {"results.checkpoint_every", &Config::checkpoint_every, "episodes between checkpoints (0 = only when stopped by a signal)", closed(0, kMaxEpisodes), nullptr},
        {"ledger.enabled", &Config::ledger_enabled, "enforce contracts, write and hash transactions, chain blocks", any(), nullptr},
        {"ledger.contracts", &Config::contracts, "smart contracts deployed at genesis (at least communities + 2)", closed(0, kMaxContracts), nullptr},
        {"ledger.price_floor_per_kwh", &Config::contract_price_floor_per_kwh, "every contract's price floor (currency/kWh)", closed(-1000, 1000), nullptr},
        {"ledger.price_cap_per_kwh", &Config::contract_price_cap_per_kwh, "every contract's price cap (currency/kWh)", closed(-1000, 1000), nullptr},
        {"ledger.energy_cap_kwh_per_step", &Config::contract_energy_cap_kwh, "every contract's energy cap per transfer per step (kWh)", closed(0, 4e6), nullptr},
        {"ledger.charging_fixed_price_per_kwh", &Config::charging_fixed_price_per_kwh, "charging tariffs' fixed price (currency/kWh); < 0 = indexed to the retail price", closed(-1, 1000), nullptr},
        {"ledger.valid_episodes", &Config::contract_valid_episodes, "contracts valid for episodes [0, N); 0 = forever", closed(0, kMaxEpisodes), nullptr},
        {"ledger.store_transactions", &Config::store_transactions, "transaction records kept in the ledger file", any(), "all|last|none"},

        {"dqn.hidden", &Config::dqn_hidden, "hidden layer widths of the Q-network, comma separated (e.g. 64,64)", any(), nullptr},
        {"dqn.learning_rate", &Config::dqn_learning_rate, "Adam step size", open(0, 1), nullptr},
        {"dqn.batch_size", &Config::dqn_batch_size, "transitions per gradient step", closed(1, kMaxDqnBatch), nullptr},
        {"dqn.buffer_size", &Config::dqn_buffer_size, "replay buffer capacity (transitions)", closed(1, kMaxDqnBuffer), nullptr},
        {"dqn.learning_starts", &Config::dqn_learning_starts, "transitions stored before the first gradient step", closed(0, kMaxDqnSteps), nullptr},
        {"dqn.updates_per_step", &Config::dqn_updates_per_step, "gradient steps per fleet step", closed(0, kMaxDqnBatch), nullptr},
        {"dqn.target_update", &Config::dqn_target_update, "target network updates: hard copies or soft (Polyak)", any(), "hard|soft"},
        {"dqn.target_period", &Config::dqn_target_period, "gradient steps between hard target copies", closed(1, kMaxDqnSteps), nullptr},
        {"dqn.tau", &Config::dqn_tau, "Polyak factor of soft target updates", open_closed(0, 1), nullptr},
        {"dqn.double", &Config::dqn_double, "double-DQN targets", any(), nullptr},
        {"dqn.loss", &Config::dqn_loss, "TD loss", any(), "huber|mse"},
        {"dqn.grad_clip", &Config::dqn_grad_clip, "max gradient L2 norm, 0 = off", closed(0, kMaxGradClip), nullptr},

        {"evaluation.days", &Config::eval_days, "held-out days every policy runs in `v2g eval`", closed(1, kMaxSignalDays), nullptr},
        {"evaluation.dp_energy_points", &Config::dp_energy_points, "stored-energy grid points of the dynamic-programming optimum", closed(2, kMaxDpEnergyPoints), nullptr},
        {"evaluation.check_days", &Config::check_days, "held-out days of the check that ends `v2g train` (learned vs the yardsticks and the oracle); 0 = none", closed(0, kMaxSignalDays), nullptr},
        {"evaluation.oracle_communities", &Config::oracle_communities, "communities (the first ones) the LP oracle solves; the score compares policies on them", closed(1, kMaxOracleCommunities), nullptr},
        {"evaluation.faults", &Config::eval_faults, "fault scenarios: none, all, or a comma list of missing_vehicles, grid_outage, price_spike, lost_community", any(), nullptr},
        {"evaluation.fault_missing_share", &Config::fault_missing_share, "share of vehicles away all day (missing_vehicles)", closed(0, 1), nullptr},
        {"evaluation.fault_outage_start_hour", &Config::fault_outage_start_hour, "clock hour the grid outage / price spike begins", closed_open(0, kHoursPerDay), nullptr},
        {"evaluation.fault_outage_hours", &Config::fault_outage_hours, "length of the grid outage / price spike (h)", closed(0, kHoursPerDay), nullptr},
        {"evaluation.fault_spike_factor", &Config::fault_spike_factor, "retail price multiplier during the price spike", open_closed(0, kMaxSpikeFactor), nullptr},
    };
    return kSettings;
}
// clang-format on

// ---------------------------------------------------------------- small helpers

std::string group_of(const std::string& key) { return key.substr(0, key.find('.')); }
std::string name_of(const std::string& key) {
    const size_t dot = key.find('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

const Setting* find_setting(const std::string& key) {
    for (const Setting& s : settings())
        if (key == s.key) return &s;
    return nullptr;
}

bool is_group(const std::string& name) {
    for (const Setting& s : settings())
        if (group_of(s.key) == name) return true;
    return false;
}

std::vector<std::string> groups_in_order() {
    std::vector<std::string> out;
    for (const Setting& s : settings()) {
        const std::string g = group_of(s.key);
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    }
    return out;
}

std::vector<std::string> split_choices(const char* choices) {
    std::vector<std::string> out;
    if (!choices) return out;
    std::string item;
    for (const char* c = choices;; ++c) {
        if (*c == '|' || *c == '\0') {
            out.push_back(item);
            item.clear();
            if (*c == '\0') break;
        } else {
            item += *c;
        }
    }
    return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
// transpositions ("alhpa" -> "alpha" is one edit).
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within reach, or "".
std::string suggestion(const std::string& unknown, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_d = kMaxSuggestionDistance + 1;
    for (const std::string& c : candidates) {
        // The distance is at least the difference in length: skip the table for those (a
        // megabyte-long key would otherwise cost minutes).
        const size_t gap = unknown.size() > c.size() ? unknown.size() - c.size() : c.size() - unknown.size();
        size_t d = gap > kMaxSuggestionDistance ? gap : edit_distance(unknown, c);
        // The right name in the wrong table ("fleet.alpha") is as good as a typo.
        if (d > 1 && unknown.find('.') != std::string::npos && name_of(unknown) == name_of(c)) d = 1;
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

// Keys that were renamed: an old config names the new key in its error.
struct RenamedKey {
    const char* old_key;
    const char* new_key;
    const char* why;
};
constexpr RenamedKey kRenamedKeys[] = {
    {"sessions.fixed_demand_kwh", "sessions.fixed_trip_kwh", "the energy driven per day (docs/MODEL.md, \"Driving\")"},
};

std::string key_suggestion(const std::string& unknown) {
    for (const RenamedKey& r : kRenamedKeys)
        if (unknown == r.old_key) return std::string(" (renamed: '") + r.new_key + "', " + r.why + ")";
    std::vector<std::string> keys;
    for (const Setting& s : settings()) keys.emplace_back(s.key);
    return suggestion(unknown, keys);
}

}  // namespace

// Shortest decimal form that reads back as the same double (0.2, not 0.20000000000000001).
std::string format_double(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < kMaxPlainInteger) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    for (int precision = 1; precision <= std::numeric_limits<double>::max_digits10; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

// As a TOML float: "1" would read back as an integer, so it becomes "1.0".
std::string toml_double(double v) {
    std::string s = format_double(v);
    if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

namespace {

std::string limits_text(const Limits& l) {
    const bool has_lo = std::isfinite(l.lo), has_hi = std::isfinite(l.hi);
    if (has_lo && has_hi)
        return std::string(l.lo_open ? "(" : "[") + format_double(l.lo) + ", " + format_double(l.hi) +
               (l.hi_open ? ")" : "]");
    if (has_lo) return std::string(l.lo_open ? "> " : ">= ") + format_double(l.lo);
    if (has_hi) return std::string(l.hi_open ? "< " : "<= ") + format_double(l.hi);
    return "any";
}

std::string choices_text(const char* choices) {
    std::string out;
    for (const std::string& c : split_choices(choices)) out += (out.empty() ? "" : ", ") + c;
    return "one of " + out;
}

bool within(double v, const Limits& l) {
    // Written so that NaN fails every test.
    const bool lo_ok = l.lo_open ? v > l.lo : v >= l.lo;
    const bool hi_ok = l.hi_open ? v < l.hi : v <= l.hi;
    return lo_ok && hi_ok;
}

template <typename T>
constexpr bool is_number_v = std::is_same_v<T, int> || std::is_same_v<T, uint64_t> || std::is_same_v<T, double>;

// The one-line complaint about a value outside its setting's range or choices, or "".
template <typename T>
std::string range_problem(const Setting& s, const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
        if (!s.choices) return "";
        for (const std::string& c : split_choices(s.choices))
            if (v == c) return "";
        return std::string(s.key) + " = '" + v + "' is not allowed: " + choices_text(s.choices);
    } else if constexpr (std::is_same_v<T, bool>) {
        return "";
    } else {
        const double d = static_cast<double>(v);
        std::string value_text;
        if constexpr (std::is_same_v<T, double>) value_text = format_double(v);
        else value_text = std::to_string(v);
        if constexpr (std::is_same_v<T, double>) {
            if (!std::isfinite(d)) return std::string(s.key) + " = " + value_text + " must be a finite number";
            // A subnormal (below ~2.2e-308) loses precision in every product and does not
            // survive the round trip through the config text: no setting means one.
            if (std::fpclassify(d) == FP_SUBNORMAL)
                return std::string(s.key) + " = " + value_text + " is subnormal (too close to 0 to compute with): use 0 or a normal number";
        }
        if constexpr (std::is_same_v<T, uint64_t>) {
            // Checked exactly: INT64_MAX is not representable as a double.
            if (v > kMaxSeed)
                return std::string(s.key) + " = " + value_text + " is out of range: must be <= " +
                       std::to_string(kMaxSeed) + " (the largest TOML integer)";
        }
        if (s.choices) {
            for (const std::string& c : split_choices(s.choices))
                if (d == std::strtod(c.c_str(), nullptr)) return "";
            return std::string(s.key) + " = " + value_text + " is not allowed: " + choices_text(s.choices);
        }
        if (!within(d, s.limits))
            return std::string(s.key) + " = " + value_text + " is out of range: must be " + limits_text(s.limits);
        return "";
    }
}

std::string range_problem_of(const Setting& s, const Config& cfg) {
    return std::visit([&](auto m) { return range_problem(s, cfg.*m); }, s.member);
}

const char* expected_type(const Member& m) {
    switch (m.index()) {
        case 0: return "a boolean (true or false)";
        case 1: return "an integer";
        case 2: return "a non-negative integer";
        case 3: return "a number";
        default: return "a string";
    }
}

std::string type_docs_name(const Member& m) {
    switch (m.index()) {
        case 0: return "bool";
        case 1: return "integer";
        case 2: return "integer";
        case 3: return "number";
        default: return "string";
    }
}

const char* toml_type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::table: return "table";
        case toml::node_type::array: return "array";
        case toml::node_type::string: return "string";
        case toml::node_type::integer: return "integer";
        case toml::node_type::floating_point: return "float";
        case toml::node_type::boolean: return "boolean";
        case toml::node_type::date: return "date";
        case toml::node_type::time: return "time";
        case toml::node_type::date_time: return "date-time";
        default: return "nothing";
    }
}

std::string value_text(const Setting& s, const Config& cfg) {
    return std::visit(
        [&](auto m) -> std::string {
            using T = std::decay_t<decltype(cfg.*m)>;
            const T& v = cfg.*m;
            if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, double>) return toml_double(v);
            else if constexpr (std::is_same_v<T, std::string>) return quoted_string(v);
            else return std::to_string(v);
        },
        s.member);
}

// ---------------------------------------------------------------- TOML file


// Stores one TOML value into its setting, checking type, integer range and the setting's own
// range. Throws InputError prefixed with `loc`.
void store_toml(Config* cfg, const Setting& s, const toml::node& node, const std::string& loc) {
    const std::string got = toml_type_name(node.type());
    const auto wrong_type = [&] {
        return InputError(loc + s.key + " must be " + expected_type(s.member) + ", got " + got);
    };
    std::visit(
        [&](auto m) {
            using T = std::decay_t<decltype(cfg->*m)>;
            T value{};
            if constexpr (std::is_same_v<T, bool>) {
                if (!node.is_boolean()) throw wrong_type();
                value = *node.value<bool>();
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (!node.is_string()) throw wrong_type();
                value = *node.value<std::string>();
            } else if constexpr (std::is_same_v<T, double>) {
                // Integers are numbers too (alpha = 1); a float is never an integer.
                if (node.is_integer()) value = static_cast<double>(*node.value_exact<int64_t>());
                else if (node.is_floating_point()) value = *node.value_exact<double>();
                else throw wrong_type();
            } else {
                if (!node.is_integer()) throw wrong_type();
                const int64_t raw = *node.value_exact<int64_t>();
                const bool fits = std::is_same_v<T, int> ? (raw >= INT_MIN && raw <= INT_MAX) : raw >= 0;
                if (!fits)
                    throw InputError(loc + s.key + " = " + std::to_string(raw) + " is out of range: must be " +
                                     limits_text(s.limits));
                value = static_cast<T>(raw);
            }
            const std::string problem = range_problem(s, value);
            if (!problem.empty()) throw InputError(loc + problem);
            cfg->*m = value;
        },
        s.member);
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    const size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string read_text_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": cannot open (a directory)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open");
    // Checked before reading: a config is a few kB, and a huge file should not be read whole.
    const auto bytes = std::filesystem::file_size(path, ec);
    if (!ec && bytes > kMaxTomlBytes)
        throw InputError(path + ": " + std::to_string(bytes) + " bytes; a TOML file may have at most " +
                         std::to_string(kMaxTomlBytes));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw InputError(path + ": cannot read");
    return text.str();
}

Config load_config(const std::string& path) { return load_config_text(read_text_file(path), path); }

std::string toml_where(const std::string& path, const toml::source_region& src) {
    return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column) + ": ";
}

toml::table parse_toml(const std::string& text, const std::string& path) {
    check_toml_limits(text, path);
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        // toml++ descriptions can span lines; the CLI promises one.
        std::string msg(e.description());
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        throw InputError(toml_where(path, e.source()) + msg);
    }
}

Config load_config_text(const std::string& text, const std::string& path) {
    const toml::table root = parse_toml(text, path);

    Config cfg;
    std::vector<std::string> groups = groups_in_order();
    for (auto&& [group_key, group_node] : root) {
        const std::string group(group_key.str());
        if (!is_group(group)) {
            // A top-level `alpha = 1` is as likely a misplaced key as a misspelt table.
            const Setting* misplaced = nullptr;
            for (const Setting& s : settings())
                if (name_of(s.key) == group) misplaced = &s;
            const std::string hint = misplaced ? " (did you mean '" + std::string(misplaced->key) + "'?)"
                                               : suggestion(group, groups);
            throw InputError(toml_where(path, group_key.source()) + "unknown key '" + group + "'" + hint);
        }
        const toml::table* table = group_node.as_table();
        if (!table)
            throw InputError(toml_where(path, group_key.source()) + group + " must be a table, got " +
                             toml_type_name(group_node.type()));
        for (auto&& [name_key, node] : *table) {
            const std::string full = group + "." + std::string(name_key.str());
            const Setting* s = find_setting(full);
            if (!s)
                throw InputError(toml_where(path, name_key.source()) + "unknown key '" + full + "'" +
                                 key_suggestion(full));
            store_toml(&cfg, *s, node, toml_where(path, node.source()));
        }
    }
    return cfg;
}

void apply_flag(Config* cfg, const std::string& flag, const std::string& key, const std::string& value) {
    if (value.empty()) return;
    const std::string assignment = key + "=" + value;
    try {
        apply_override(cfg, assignment);
    } catch (const InputError& e) {
        std::string msg = e.what();
        const std::string prefix = "--set " + assignment + ": ";
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
        throw InputError(flag + " " + value + ": " + msg);
    }
}

void apply_override(Config* cfg, const std::string& assignment) {
    const std::string prefix = "--set " + assignment + ": ";
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos) throw InputError(prefix + "expected group.key=value");
    const std::string key = trim(assignment.substr(0, eq));
    const std::string text = trim(assignment.substr(eq + 1));
    const Setting* s = find_setting(key);
    if (!s) throw InputError(prefix + "unknown key '" + key + "'" + key_suggestion(key));

    std::visit(
        [&](auto m) {
            using T = std::decay_t<decltype(cfg->*m)>;
            T value{};
            if constexpr (std::is_same_v<T, bool>) {
                if (text == "true") value = true;
                else if (text == "false") value = false;
                else throw InputError(prefix + "not a boolean (true or false)");
            } else if constexpr (std::is_same_v<T, std::string>) {
                // Quotes are optional; shells often eat them anyway.
                const bool quoted = text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
                                    text.back() == text.front();
                value = quoted ? text.substr(1, text.size() - 2) : text;
            } else if constexpr (std::is_same_v<T, double>) {
                char* end = nullptr;
                errno = 0;
                value = std::strtod(text.c_str(), &end);
                if (text.empty() || *end != '\0') throw InputError(prefix + "not a number");
                if (errno == ERANGE && std::isinf(value)) throw InputError(prefix + "number out of range");
            } else {
                char* end = nullptr;
                errno = 0;
                // strtoull would quietly wrap "-1"; parse signed and check the sign instead.
                const long long raw = std::strtoll(text.c_str(), &end, 10);
                if (text.empty() || *end != '\0') throw InputError(prefix + "not an integer");
                const bool fits = errno != ERANGE &&
                                  (std::is_same_v<T, int> ? (raw >= INT_MIN && raw <= INT_MAX) : raw >= 0);
                if (!fits) throw InputError(prefix + "out of range: must be " + limits_text(s->limits));
                value = static_cast<T>(raw);
            }
            const std::string problem = range_problem(*s, value);
            if (!problem.empty()) throw InputError(prefix + problem);
            cfg->*m = value;
        },
        s->member);
}

namespace {
const char* const kEvalFaults[] = {"missing_vehicles", "grid_outage", "price_spike", "lost_community"};
}  // namespace

std::vector<int> dqn_hidden_sizes(const std::string& text) {
    std::vector<int> sizes;
    std::string item;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != ',') {
            if (text[i] != ' ') item += text[i];
            continue;
        }
        char* end = nullptr;
        const long n = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || n < 1 || n > kMaxDqnWidth)
            throw InputError("dqn.hidden = '" + text + "': expected comma-separated layer widths in [1, " +
                             std::to_string(kMaxDqnWidth) + "], e.g. \"64,64\"");
        sizes.push_back(static_cast<int>(n));
        item.clear();
    }
    return sizes;
}

std::vector<std::string> eval_fault_list(const std::string& faults) {
    std::vector<std::string> out;
    if (faults == "none") return out;
    if (faults == "all") return std::vector<std::string>(std::begin(kEvalFaults), std::end(kEvalFaults));
    std::string item;
    std::vector<std::string> known(std::begin(kEvalFaults), std::end(kEvalFaults));
    for (size_t i = 0; i <= faults.size(); ++i) {
        if (i < faults.size() && faults[i] != ',') {
            if (faults[i] != ' ') item += faults[i];
            continue;
        }
        if (std::find(known.begin(), known.end(), item) == known.end())
            throw InputError("evaluation.faults: unknown fault '" + item + "'" + suggestion(item, known) +
                             "; use none, all, or a comma list of missing_vehicles, grid_outage, price_spike, lost_community");
        if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
        item.clear();
    }
    return out;
}

void validate(const Config& cfg) {
    for (const Setting& s : settings()) {
        const std::string problem = range_problem_of(s, cfg);
        if (!problem.empty()) throw InputError(problem);
    }
    eval_fault_list(cfg.eval_faults);
    csv_format(cfg);  // signals.csv_separator and csv_decimal, and the pair
    const auto num = [](double v) { return format_double(v); };
    dqn_hidden_sizes(cfg.dqn_hidden);
    if (!(cfg.soc_min < cfg.soc_max))
        throw InputError("battery.soc_min = " + num(cfg.soc_min) + " must be below battery.soc_max = " +
                         num(cfg.soc_max));
    if (!(cfg.initial_soc >= cfg.soc_min && cfg.initial_soc <= cfg.soc_max))
        throw InputError("fleet.initial_soc = " + num(cfg.initial_soc) +
                         " is out of range: must be in [battery.soc_min, battery.soc_max] = [" + num(cfg.soc_min) +
                         ", " + num(cfg.soc_max) + "]");
    if (!(cfg.epsilon_min <= cfg.epsilon))
        throw InputError("learning.epsilon_min = " + num(cfg.epsilon_min) +
                         " is out of range: must be in [0, learning.epsilon] = [0, " + num(cfg.epsilon) + "]");
    if (cfg.steps_per_day() > kMaxStepsPerDay)
        throw InputError("time.step_hours = " + num(cfg.step_hours) + " gives more than " +
                         std::to_string(kMaxStepsPerDay) + " steps per day");
    // The kernels index states and signal steps with int; the ranges above keep these far
    // below INT_MAX, and this keeps it so if a range is ever widened.
    if (cfg.steps_per_day() % cfg.time_bins != 0)
        throw InputError("learning.time_bins = " + std::to_string(cfg.time_bins) + " must divide the " +
                         std::to_string(cfg.steps_per_day()) + " steps of a day (time.step_hours = " +
                         num(cfg.step_hours) + ")");
    const int64_t states = int64_t{cfg.soc_bins} * cfg.time_bins * cfg.price_levels * cfg.deadline_levels *
                           cfg.forecast_levels;
    if (states > INT_MAX)
        throw InputError("learning.soc_bins * learning.time_bins * learning.price_levels * learning.deadline_levels * "
                         "learning.forecast_levels = " + std::to_string(states) +
                         " states: too many");
    if (!(cfg.contract_price_floor_per_kwh <= cfg.contract_price_cap_per_kwh))
        throw InputError("ledger.price_floor_per_kwh = " + num(cfg.contract_price_floor_per_kwh) +
                         " must not exceed ledger.price_cap_per_kwh = " + num(cfg.contract_price_cap_per_kwh));
    const int64_t communities = (int64_t{cfg.vehicles} + cfg.community_size - 1) / cfg.community_size;
    if (cfg.ledger_enabled && cfg.contracts < communities + 2)
        throw InputError("ledger.contracts = " + std::to_string(cfg.contracts) + " is too few: " +
                         std::to_string(communities) + " communities need one P2P contract each, plus at least one "
                         "V2G-service contract and one charging tariff (>= " + std::to_string(communities + 2) + ")");
    const int64_t signal_steps = int64_t{cfg.signal_days} * cfg.steps_per_day();
    if (signal_steps > INT_MAX)
        throw InputError("signals.days = " + std::to_string(cfg.signal_days) + " gives too many signal steps");
}

std::string dump_config(const Config& cfg) {
    std::string out;
    for (const std::string& group : groups_in_order()) {
        out += (out.empty() ? "[" : "\n[") + group + "]\n";
        for (const Setting& s : settings())
            if (group_of(s.key) == group) out += name_of(s.key) + " = " + value_text(s, cfg) + "\n";
    }
    return out;
}

std::vector<KeyRange> config_key_ranges() {
    std::vector<KeyRange> out;
    for (const Setting& s : settings()) {
        KeyRange r;
        r.key = s.key;
        r.allowed = s.choices ? choices_text(s.choices) : limits_text(s.limits);
        r.numeric = s.member.index() >= 1 && s.member.index() <= 3;
        r.bounded = s.choices || (std::isfinite(s.limits.lo) && std::isfinite(s.limits.hi)) ||
                    s.member.index() == 2;  // uint64 (run.seed): <= INT64_MAX, checked exactly
        out.push_back(r);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> config_keys() {
    std::vector<std::pair<std::string, std::string>> out;
    const Config defaults;
    for (const Setting& s : settings()) {
        const std::string allowed = s.choices ? choices_text(s.choices) : limits_text(s.limits);
        std::string line = std::string(s.help) + " (" + type_docs_name(s.member);
        if (allowed != "any") line += ", " + allowed;
        line += ", default " + value_text(s, defaults) + ")";
        out.emplace_back(s.key, line);
    }
    return out;
}

std::string quoted_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\f': out += "\\f"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

}  // namespace v2g
