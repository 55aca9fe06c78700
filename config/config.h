// config.h: every setting of a run: one struct per TOML table, whose member names are the keys
// (`cfg.market.price_weight` is `market.price_weight`), generated with the registry
// (config_table.h) from one list of rows below.
// The TOML file has one table per group: [run] [time] [fleet] [battery] [sessions] [signals]
// [market] [grid] [learning] [results] [ledger] [dqn] [evaluation]; a key is written `group.name` on the command line
// (`--set learning.alpha=0.1`). Defaults: see docs/CONFIG.md, which lists the sources.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>
#include "config/choices.h"

namespace v2g {

// Every setting, group by group: X(group, type, name, default, limits, choices, help). The TOML
// key is `group.name` (a trailing underscore marks a C++ keyword: dqn.double_ is `dqn.double`),
// the member `cfg.group.name`. `limits` (an interval, config_table.h) and `choices` ("a|b|c",
// or nullptr) are what a number accepts; a setting that takes one of a few names has an enum
// type from choices.h, which brings its names. `help` is its one line for --help and
// docs/CONFIG.md (a test checks the two agree). A new setting is one row here.

// [run]
#define V2G_KEYS_RUN(X, g) \
    X(g, std::string, name, "v2g", any(), nullptr, \
      "label of the run in outputs") \
    X(g, uint64_t, seed, 1, at_least(0), nullptr, \
      "every random number derives from it") \
    X(g, int, episodes, 2000, closed(1, kMaxEpisodes), nullptr, \
      "episodes to train; one episode = one day") \
    X(g, ComputeDevice, device, ComputeDevice::auto_, any(), nullptr, \
      "compute backend") \
    X(g, int, threads, 0, closed(0, kMaxThreads), nullptr, \
      "CPU threads, 0 = all cores") \
    X(g, bool, adaptive_threads, true, any(), nullptr, \
      "the CPU backend runs an episode on one thread instead of all when it measures that faster")

// [time]
#define V2G_KEYS_TIME(X, g) \
    X(g, double, step_hours, 1.0, any(), "1|0.5|0.25", \
      "length of a step in hours") \
    X(g, int, day_start_hour, 12, closed(0, kLastHourOfDay), nullptr, \
      "clock hour at which an episode starts")

// [fleet]
#define V2G_KEYS_FLEET(X, g) \
    X(g, int, vehicles, 50, closed(1, kMaxVehicles), nullptr, \
      "vehicles in the fleet") \
    X(g, int, community_size, 50, closed(1, kMaxVehicles), nullptr, \
      "vehicles per community (P2P market); the last may be smaller") \
    X(g, FleetMix, mix, FleetMix::ev2gym, any(), nullptr, \
      "vehicle models: registration-weighted real models, or one model") \
    X(g, double, single_capacity_kwh, 60.0, open_closed(0, kMaxPackKwh), nullptr, \
      "pack capacity with mix = single (kWh)") \
    X(g, double, single_charge_kw, 11.0, open_closed(0, kMaxChargerKw), nullptr, \
      "charge power limit with mix = single (kW)") \
    X(g, double, single_discharge_kw, 11.0, open_closed(0, kMaxChargerKw), nullptr, \
      "discharge power limit with mix = single (kW)") \
    X(g, double, single_efficiency, 0.9, open_closed(0, 1), nullptr, \
      "one-way efficiency with mix = single") \
    X(g, double, initial_soc, 0.5, closed(0, 1), nullptr, \
      "SoC of every pack at the start, in [soc_min, soc_max]") \
    X(g, double, pv_kwp_per_vehicle, 2.0, closed(0, kMaxPvKwpPerVehicle), nullptr, \
      "community PV per member (kWp)") \
    X(g, double, consumption_kwh_per_km, 0.18, open_closed(0, kMaxConsumptionKwhPerKm), nullptr, \
      "driving energy per km, at the battery (kWh/km)") \
    X(g, bool, safety_layer, true, any(), nullptr, \
      "chargers override the policy to charge when waiting longer would miss the departure requirement")

// [battery]
#define V2G_KEYS_BATTERY(X, g) \
    X(g, double, soc_min, 0.1, closed(0, 1), nullptr, \
      "lowest SoC the controller uses") \
    X(g, double, soc_max, 0.9, closed(0, 1), nullptr, \
      "highest SoC the controller uses") \
    X(g, double, cell_temperature_c, 25.0, closed(kMinCellTemperatureC, kMaxCellTemperatureC), nullptr, \
      "cell temperature for calendar aging (deg C)") \
    X(g, double, initial_age_days, 365.0, closed(0, kMaxAgeDays), nullptr, \
      "pack age at the start (days)") \
    X(g, double, initial_full_cycles, 50.0, closed(0, kMaxFullCycles), nullptr, \
      "equivalent full cycles done before the start") \
    X(g, double, cost_per_kwh, 139.0, closed(0, kMaxBatteryCostPerKwh), nullptr, \
      "pack replacement cost per kWh") \
    X(g, double, end_of_life_loss, 0.2, open(0, 1), nullptr, \
      "capacity loss at which a pack is worn out (fraction)") \
    X(g, AgingHorizon, aging, AgingHorizon::day, any(), nullptr, \
      "day: every day starts from the fleet's configured age; lifetime: ageing carries across days, packs replaced at end of life")

// [sessions]
#define V2G_KEYS_SESSIONS(X, g) \
    X(g, SessionSource, model, SessionSource::ev2gym, any(), nullptr, \
      "daily plug-in sessions: fitted distributions, fixed times, or each vehicle's own from sessions.csv") \
    X(g, std::string, csv, "", any(), nullptr, \
      "CSV file of per-vehicle sessions with model = csv (docs/DATA.md, \"Sessions CSV\")") \
    X(g, ChargerType, charger, ChargerType::private_, any(), nullptr, \
      "charger type of the fitted session distributions") \
    X(g, double, fixed_arrival_hour, 18.0, closed_open(0, kHoursPerDay), nullptr, \
      "plug-in clock hour with model = fixed") \
    X(g, double, fixed_departure_hour, 7.0, closed_open(0, kHoursPerDay), nullptr, \
      "plug-out clock hour with model = fixed") \
    X(g, double, fixed_trip_kwh, 6.5, closed(0, kMaxTripKwh), nullptr, \
      "energy driven per day with model = fixed (kWh at the battery)") \
    X(g, double, daily_km, 36.4, closed(0, kMaxDailyKm), nullptr, \
      "mean distance driven per day (km)") \
    X(g, double, reserve_km, 50.0, closed(0, kMaxDailyKm), nullptr, \
      "range the driver wants left after the next trip, above battery.soc_min (km)")

// [signals]
#define V2G_KEYS_SIGNALS(X, g) \
    X(g, SignalSource, source, SignalSource::synthetic, any(), nullptr, \
      "price/load/PV series: built-in generators or CSV files") \
    X(g, int, days, 365, closed(1, kMaxSignalDays), nullptr, \
      "days of signals; episode e uses day e % days") \
    X(g, double, price_noise, -1.0, closed(-1, kMaxPriceNoise), nullptr, \
      "day-to-day price variation (log-sd); < 0 = fitted, 0 = none") \
    X(g, double, feed_in_ratio, 0.5, closed(0, 1), nullptr, \
      "feed-in price / retail price") \
    X(g, double, dr_load_quantile, 0.9, closed(0, 1), nullptr, \
      "grid stress (the load's daily shape x the day's level) above this quantile is a demand-response event") \
    X(g, int, first_weekday, 0, closed(0, kDaysPerWeek - 1), nullptr, \
      "weekday of the series' first day, 0 = Monday .. 6 = Sunday (weekend sessions)") \
    X(g, std::string, price_csv, "", any(), nullptr, \
      "CSV file with a retail price column") \
    X(g, std::string, price_column, "electricity_pricing", any(), nullptr, \
      "price column name (in signals.price_unit)") \
    X(g, std::string, load_csv, "", any(), nullptr, \
      "CSV file with a load column") \
    X(g, std::string, load_column, "non_shiftable_load", any(), nullptr, \
      "load column name (kWh per hour)") \
    X(g, std::string, pv_csv, "", any(), nullptr, \
      "CSV file with a PV column") \
    X(g, std::string, pv_column, "solar_generation", any(), nullptr, \
      "PV column name (W per kWp)") \
    /* These two list their values in the help, not as choices ("one of auto, ,, ;, tab" would  \
       be unreadable); csv_format() (csv_format.h), called by validate(), checks them. */       \
    X(g, std::string, csv_separator, "auto", any(), nullptr, \
      "field separator of the CSV files: auto (the one the header has), \",\", \";\" or tab") \
    X(g, std::string, csv_decimal, ".", any(), nullptr, \
      "decimal mark of the CSV numbers: \".\" or \",\" (not with csv_separator \",\")") \
    X(g, PriceUnitName, price_unit, PriceUnitName::usd_per_kwh, any(), nullptr, \
      "unit of the price column, converted to currency per kWh; its currency labels money") \
    X(g, std::string, timestamp_column, "", any(), nullptr, \
      "ISO 8601 time column of every CSV, checked to step by 1 h; \"\" = none")

// [market]
#define V2G_KEYS_MARKET(X, g) \
    X(g, double, price_weight, 0.5, closed(0, 1), nullptr, \
      "P2P price = feed_in + w (retail - feed_in)") \
    X(g, double, loss_fraction, 0.02, closed_open(0, 1), nullptr, \
      "share of P2P energy lost in distribution") \
    X(g, bool, unmatched_to_grid, true, any(), nullptr, \
      "unmatched P2P bids/offers trade with the grid (else unfilled)") \
    X(g, double, dr_price_per_kwh, 0.30, closed(0, kMaxPricePerKwh), nullptr, \
      "V2G payment per kWh during demand-response events") \
    X(g, double, unmet_penalty_per_kwh, 0.50, closed(0, kMaxPricePerKwh), nullptr, \
      "penalty per kWh short of the requirement at departure") \
    X(g, double, en_route_price_per_kwh, 0.69, closed(0, kMaxPricePerKwh), nullptr, \
      "public fast-charging price paid for a trip the battery cannot cover")

// [grid]
#define V2G_KEYS_GRID(X, g) \
    X(g, double, limit_kw_per_vehicle, 4.0, closed(0, kMaxLimitKwPerVehicle), nullptr, \
      "each community's grid connection limit per member (kW), imports and exports; 0 = no limit")

// [learning]
#define V2G_KEYS_LEARNING(X, g) \
    X(g, LearnerPolicy, policy, LearnerPolicy::tabular, any(), nullptr, \
      "learner: tabular Q-learning, or a DQN (needs a build with LibTorch)") \
    X(g, int, soc_bins, 10, closed(1, kMaxSocBins), nullptr, \
      "SoC bins of the tabular state") \
    X(g, int, time_bins, 24, closed(1, kMaxStepsPerDayConfig), nullptr, \
      "time-of-day bins of the tabular state (24: one per hour); must divide the steps per day") \
    X(g, int, price_levels, 3, closed(1, kMaxPriceLevels), nullptr, \
      "price levels of the tabular state (quantiles)") \
    X(g, PriceLevelBasis, price_level_basis, PriceLevelBasis::day, any(), nullptr, \
      "what the price level ranks: the day's mean retail price among the series' days, or each step's price among all steps") \
    X(g, int, deadline_levels, 1, closed(1, kMaxStepsPerDayConfig), nullptr, \
      "charging-slack levels in the tabular state: steps to spare before departure at full-power charging, clamped to levels - 1 (1 = off, the paper's state)") \
    X(g, int, forecast_levels, 1, closed(1, kMaxStepsPerDayConfig), nullptr, \
      "price-outlook levels in the tabular state: what learning.forecast_basis counts (day-ahead prices), clamped to levels - 1 (1 = off)") \
    X(g, ForecastBasis, forecast_basis, ForecastBasis::cheaper_steps, any(), nullptr, \
      "what the price outlook counts: the stay's steps left cheaper than now, or the steps time-of-use would still charge beyond those (needed - cheaper, 0 = it waits)") \
    X(g, bool, shaping, false, any(), nullptr, \
      "shape the tabular update with the potential -(least cost of the stay's remaining requirement at the day's prices) (Ng, Harada and Russell 1999); money and rewards reported stay unshaped") \
    X(g, QTableSharing, q_sharing, QTableSharing::vehicle, any(), nullptr, \
      "who owns a Q-table") \
    X(g, QPrecision, q_precision, QPrecision::fp32, any(), nullptr, \
      "how Q-values are stored: float32, or bfloat16 (half the memory; updates rounded to nearest even, docs/PERFORMANCE.md)") \
    X(g, double, q_init, -3.0, closed(-kMaxPricePerKwh, kMaxPricePerKwh), nullptr, \
      "every Q-value before training (0: optimistic when rewards are costs; below the typical return: untried actions are not preferred)") \
    X(g, double, alpha, 0.2, open_closed(0, 1), nullptr, \
      "learning rate") \
    X(g, double, gamma, 1.0, closed(0, 1), nullptr, \
      "discount per step") \
    X(g, double, epsilon, 0.8, closed(0, 1), nullptr, \
      "initial exploration rate") \
    X(g, double, epsilon_decay, 0.995, open_closed(0, 1), nullptr, \
      "epsilon multiplier per episode") \
    X(g, double, epsilon_min, 0.0, closed(0, 1), nullptr, \
      "epsilon floor, in [0, epsilon]")

// [results]
#define V2G_KEYS_RESULTS(X, g) \
    X(g, int, vehicle_stride, 100, closed(0, kMaxEpisodes), nullptr, \
      "episodes between per-vehicle snapshots (0 = the final only)") \
    X(g, int, q_stride, 500, closed(0, kMaxEpisodes), nullptr, \
      "episodes between Q-table snapshots (0 = the final only)") \
    X(g, int, checkpoint_every, 100, closed(0, kMaxEpisodes), nullptr, \
      "episodes between checkpoints (0 = only when stopped by a signal)")

// [ledger]
#define V2G_KEYS_LEDGER(X, g) \
    X(g, bool, enabled, true, any(), nullptr, \
      "enforce contracts, write and hash transactions, chain blocks") \
    X(g, int, contracts, 100, closed(0, kMaxContracts), nullptr, \
      "smart contracts deployed at genesis (at least communities + 2)") \
    X(g, double, price_floor_per_kwh, 0.0, closed(-1000, 1000), nullptr, \
      "every contract's price floor (currency/kWh)") \
    X(g, double, price_cap_per_kwh, 1.0, closed(-1000, 1000), nullptr, \
      "every contract's price cap (currency/kWh)") \
    X(g, double, energy_cap_kwh_per_step, 50.0, closed(0, 4e6), nullptr, \
      "every contract's energy cap per transfer per step (kWh)") \
    X(g, double, charging_fixed_price_per_kwh, -1.0, closed(-1, 1000), nullptr, \
      "charging tariffs' fixed price (currency/kWh); < 0 = indexed to the retail price") \
    X(g, int, valid_episodes, 0, closed(0, kMaxEpisodes), nullptr, \
      "contracts valid for episodes [0, N); 0 = forever") \
    X(g, StoredTransactions, store_transactions, StoredTransactions::last, any(), nullptr, \
      "transaction records kept in the ledger file")

// [dqn]
#define V2G_KEYS_DQN(X, g) \
    X(g, std::string, hidden, "64,64", any(), nullptr, \
      "hidden layer widths of the Q-network, comma separated (e.g. 64,64)") \
    X(g, double, learning_rate, 1e-3, open(0, 1), nullptr, \
      "Adam step size") \
    X(g, int, batch_size, 64, closed(1, kMaxDqnBatch), nullptr, \
      "transitions per gradient step") \
    X(g, int, buffer_size, 100000, closed(1, kMaxDqnBuffer), nullptr, \
      "replay buffer capacity (transitions)") \
    X(g, int, learning_starts, 1000, closed(0, kMaxDqnSteps), nullptr, \
      "transitions stored before the first gradient step") \
    X(g, int, updates_per_step, 1, closed(0, kMaxDqnBatch), nullptr, \
      "gradient steps per fleet step") \
    X(g, TargetUpdate, target_update, TargetUpdate::hard, any(), nullptr, \
      "target network updates: hard copies or soft (Polyak)") \
    X(g, int, target_period, 500, closed(1, kMaxDqnSteps), nullptr, \
      "gradient steps between hard target copies") \
    X(g, double, tau, 0.005, open_closed(0, 1), nullptr, \
      "Polyak factor of soft target updates") \
    X(g, bool, double_, true, any(), nullptr, \
      "double-DQN targets") \
    X(g, DqnLoss, loss, DqnLoss::huber, any(), nullptr, \
      "TD loss") \
    X(g, double, grad_clip, 10.0, closed(0, kMaxGradClip), nullptr, \
      "max gradient L2 norm, 0 = off")

// [evaluation]
#define V2G_KEYS_EVALUATION(X, g) \
    X(g, int, days, 30, closed(1, kMaxSignalDays), nullptr, \
      "held-out days every policy runs in `v2g eval`") \
    X(g, int, dp_energy_points, 101, closed(2, kMaxDpEnergyPoints), nullptr, \
      "stored-energy grid points of the dynamic-programming optimum") \
    X(g, int, check_days, 5, closed(0, kMaxSignalDays), nullptr, \
      "held-out days of the check that ends `v2g train` (learned vs the yardsticks and the oracle); 0 = none") \
    X(g, int, oracle_communities, 16, closed(1, kMaxOracleCommunities), nullptr, \
      "communities (the first ones) the LP oracle solves; the score compares policies on them") \
    X(g, std::string, faults, "all", any(), nullptr, \
      "fault scenarios: none, all, or a comma list of missing_vehicles, grid_outage, price_spike, lost_community") \
    X(g, double, fault_missing_share, 0.2, closed(0, 1), nullptr, \
      "share of vehicles away all day (missing_vehicles)") \
    X(g, double, fault_outage_start_hour, 18.0, closed_open(0, kHoursPerDay), nullptr, \
      "clock hour the grid outage / price spike begins") \
    X(g, double, fault_outage_hours, 3.0, closed(0, kHoursPerDay), nullptr, \
      "length of the grid outage / price spike (h)") \
    X(g, double, fault_spike_factor, 3.0, open_closed(0, kMaxSpikeFactor), nullptr, \
      "retail price multiplier during the price spike")

// The groups in file order: G(group, struct, its rows).
#define V2G_CONFIG_GROUPS(G) \
    G(run, RunConfig, V2G_KEYS_RUN) \
    G(time, TimeConfig, V2G_KEYS_TIME) \
    G(fleet, FleetConfig, V2G_KEYS_FLEET) \
    G(battery, BatteryConfig, V2G_KEYS_BATTERY) \
    G(sessions, SessionsConfig, V2G_KEYS_SESSIONS) \
    G(signals, SignalsConfig, V2G_KEYS_SIGNALS) \
    G(market, MarketConfig, V2G_KEYS_MARKET) \
    G(grid, GridConfig, V2G_KEYS_GRID) \
    G(learning, LearningConfig, V2G_KEYS_LEARNING) \
    G(results, ResultsConfig, V2G_KEYS_RESULTS) \
    G(ledger, LedgerConfig, V2G_KEYS_LEDGER) \
    G(dqn, DqnConfig, V2G_KEYS_DQN) \
    G(evaluation, EvaluationConfig, V2G_KEYS_EVALUATION)

// One struct per group, its members the rows' (`RunConfig`: name, seed, ...).
#define V2G_CONFIG_MEMBER(g, type, name, default_value, limits, choices, help) type name = default_value;
#define V2G_CONFIG_GROUP_STRUCT(g, Struct, KEYS) struct Struct { KEYS(V2G_CONFIG_MEMBER, g) };
V2G_CONFIG_GROUPS(V2G_CONFIG_GROUP_STRUCT)
#undef V2G_CONFIG_GROUP_STRUCT
#undef V2G_CONFIG_MEMBER

// Every setting: cfg.run, cfg.time, ... cfg.evaluation, one member per group.
struct Config {
#define V2G_CONFIG_GROUP_MEMBER(g, Struct, KEYS) Struct g;
    V2G_CONFIG_GROUPS(V2G_CONFIG_GROUP_MEMBER)
#undef V2G_CONFIG_GROUP_MEMBER

    int steps_per_day() const { return static_cast<int>(24.0 / time.step_hours + 0.5); }
};

// Reads a TOML file; unknown keys, wrong types and out-of-range values throw InputError with
// one line naming the file, line and key.
Config load_config(const std::string& path);
// The same for TOML text already in memory; `path` names it in errors.
Config load_config_text(const std::string& text, const std::string& path);
// A whole file as text; InputError naming it when it cannot be read.
std::string read_text_file(const std::string& path);
// Applies `group.key=value` overrides (from --set); errors name the override.
void apply_override(Config* cfg, const std::string& assignment);
// A command-line flag that sets one key (--seed sets run.seed): parsed and range-checked like
// --set, its error naming the flag as the user typed it. An empty value sets nothing.
void apply_flag(Config* cfg, const std::string& flag, const std::string& key, const std::string& value);
// Checks ranges and cross-field rules; throws InputError naming the key.
void validate(const Config& cfg);
// Every key with its current value as a TOML document, one [table] per group; loads back.
std::string dump_config(const Config& cfg);

// Every setting's value, typed, in dump_config's order (group by group), for writers of
// structured output (the --summary JSON).
struct ConfigValue {
    using Value = std::variant<bool, int, uint64_t, double, std::string>;
    std::string group;  // "learning"
    std::string name;   // "alpha"
    Value value;
};
std::vector<ConfigValue> config_values(const Config& cfg);
// `"s"` with the escapes TOML basic strings and JSON strings share: valid in both.
std::string quoted_string(const std::string& s);
// The Q-network's hidden widths from dqn.hidden ("64,64"); InputError naming the key.
std::vector<int> dqn_hidden_sizes(const std::string& text);
// The fault scenarios evaluation.faults names ("none" -> empty, "all" -> every one, in order).
std::vector<std::string> eval_fault_list(const std::string& faults);
// Every key and its one-line description, for --help and docs.
std::vector<std::pair<std::string, std::string>> config_keys();
// Each key's allowed values as docs/CONFIG.md gives them ("(0, 1]", "one of a, b"); numbers
// must have both bounds (`bounded`), so that nothing computed from them overflows.
struct KeyRange {
    std::string key;
    std::string allowed;
    bool numeric = false;
    bool bounded = false;
};
std::vector<KeyRange> config_key_ranges();

}  // namespace v2g
