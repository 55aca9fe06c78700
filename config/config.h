// config.h: every setting of a run, in one struct, with its TOML key, default and unit.
// The TOML file has one table per group: [run] [time] [fleet] [battery] [sessions] [signals]
// [market] [grid] [learning] [results] [ledger] [dqn] [evaluation]; a key is written `group.name` on the command line
// (`--set learning.alpha=0.1`). Defaults: see docs/CONFIG.md, which lists the sources.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace v2g {

struct Config {
    // [run]
    std::string run_name = "v2g";          // run.name: label in outputs
    uint64_t seed = 1;                     // run.seed: every random number derives from it
    int episodes = 2000;                   // run.episodes: one episode = one day
    std::string device = "auto";           // run.device: auto | cpu | cuda
    int threads = 0;                       // run.threads: CPU threads, 0 = all cores

    // [time]
    double step_hours = 1.0;               // time.step_hours: 1, 0.5 or 0.25 (24/step_hours <= 96)
    int day_start_hour = 12;               // time.day_start_hour: episode window start (noon keeps
                                           //   overnight home sessions inside one episode)

    // [fleet]
    int vehicles = 50;                     // fleet.vehicles
    int community_size = 50;               // fleet.community_size: vehicles per P2P market
    std::string mix = "ev2gym";            // fleet.mix: ev2gym (registration-weighted real models)
                                           //   or "single" (one model, the fleet.single_* values)
    double single_capacity_kwh = 60.0;     // fleet.single_capacity_kwh
    double single_charge_kw = 11.0;        // fleet.single_charge_kw
    double single_discharge_kw = 11.0;     // fleet.single_discharge_kw
    double single_efficiency = 0.9;        // fleet.single_efficiency: one-way, charge and discharge
    double initial_soc = 0.5;              // fleet.initial_soc: SoC of every pack at the start
    double pv_kwp_per_vehicle = 2.0;       // fleet.pv_kwp_per_vehicle: community PV per member (kWp)
    double consumption_kwh_per_km = 0.18;  // fleet.consumption_kwh_per_km: driving energy at the
                                           //   battery (docs/MODEL.md, "Driving")
    bool safety_layer = true;              // fleet.safety_layer: chargers override the policy to
                                           //   charge when waiting longer would miss the departure
                                           //   requirement (overrides counted)

    // [battery]
    double soc_min = 0.1;                  // battery.soc_min: lowest SoC the controller uses
    double soc_max = 0.9;                  // battery.soc_max: highest SoC the controller uses
    double cell_temperature_c = 25.0;      // battery.cell_temperature_c: for calendar aging
    double initial_age_days = 365.0;       // battery.initial_age_days: pack age at the start; a
                                           //   year, so the t^0.75 calendar fade of a brand-new
                                           //   cell does not dominate the first episodes
    double initial_full_cycles = 50.0;     // battery.initial_full_cycles: equivalent full cycles
                                           //   already done (~ a year of driving: 15,000 km at
                                           //   0.18 kWh/km on a 60 kWh pack); avoids the sqrt(Q)
                                           //   cycle fade of a never-cycled cell
    double battery_cost_per_kwh = 139.0;   // battery.cost_per_kwh: pack replacement cost
    double end_of_life_loss = 0.2;         // battery.end_of_life_loss: capacity loss = worn out
    std::string aging = "day";             // battery.aging: day (every day starts from the fleet's
                                           //   age; its ageing is computed, costed, reported) |
                                           //   lifetime (ageing carries over; packs are replaced by
                                           //   ones of the configured age at end of life)

    // [sessions]
    std::string session_model = "ev2gym";  // sessions.model: ev2gym (fitted) | fixed | csv
    std::string sessions_csv;              // sessions.csv: per-vehicle sessions (model = csv)
    std::string charger = "private";       // sessions.charger: private | public | workplace
    double fixed_arrival_hour = 18.0;      // sessions.fixed_arrival_hour (clock hour)
    double fixed_departure_hour = 7.0;     // sessions.fixed_departure_hour (clock hour)
    double fixed_trip_kwh = 6.5;           // sessions.fixed_trip_kwh: energy driven per day (model = fixed)
    double daily_km = 36.4;                // sessions.daily_km: mean distance driven per day (CBS)
    double reserve_km = 50.0;              // sessions.reserve_km: range the driver wants left after
                                           //   the next day's trip, above battery.soc_min

    // [signals]
    std::string signal_source = "synthetic"; // signals.source: synthetic | csv
    int signal_days = 365;                 // signals.days: days generated (synthetic)
    double price_noise = -1.0;             // signals.price_noise: day-to-day price variation
                                           //   (log-sd); < 0 = the value fitted to the data, 0 = fixed
    double feed_in_ratio = 0.5;            // signals.feed_in_ratio: feed-in price / retail price
    double dr_load_quantile = 0.9;         // signals.dr_load_quantile: grid stress (the load's daily
                                           //   shape x the day's level) above this quantile of the
                                           //   series = demand-response event
    int first_weekday = 0;                 // signals.first_weekday: weekday of the series' first day
                                           //   (0 = Monday .. 6 = Sunday): weekend sessions
    std::string price_csv;                 // signals.price_csv: file with a retail price column
    std::string price_column = "electricity_pricing";   // signals.price_column (signals.price_unit)
    std::string load_csv;                  // signals.load_csv: file with a load column
    std::string load_column = "non_shiftable_load";      // signals.load_column (kWh per hour)
    std::string pv_csv;                    // signals.pv_csv: file with a PV column
    std::string pv_column = "solar_generation";          // signals.pv_column (W per kWp)
    std::string csv_separator = "auto";    // signals.csv_separator: auto (from the header) | , | ; | tab
    std::string csv_decimal = ".";         // signals.csv_decimal: . | , (not with csv_separator ",")
    std::string price_unit = "$/kWh";      // signals.price_unit: the price column's unit (CityLearn:
                                           //   US $/kWh), converted to currency per kWh on load;
                                           //   its currency labels money (currency_label, price_unit.h)
    std::string timestamp_column;          // signals.timestamp_column: ISO 8601 times checked to step
                                           //   by exactly one hour in every CSV; "" = none

    // [market]
    double p2p_price_weight = 0.5;         // market.price_weight: price = feed_in + w (retail - feed_in)
    double p2p_loss_fraction = 0.02;       // market.loss_fraction: distribution losses of P2P
    bool unmatched_to_grid = true;         // market.unmatched_to_grid: else unfilled
    double dr_price_per_kwh = 0.30;        // market.dr_price_per_kwh: V2G payment in DR events
    double unmet_penalty_per_kwh = 0.50;   // market.unmet_penalty_per_kwh
    double en_route_price_per_kwh = 0.69;  // market.en_route_price_per_kwh: fast charging bought on
                                           //   a trip the battery cannot cover (Fastned, NL, 2022)

    // [grid]
    double limit_kw_per_vehicle = 4.0;     // grid.limit_kw_per_vehicle: each community's connection
                                           //   limit per member (kW), imports and exports; 0 = none

    // [learning]
    std::string policy = "tabular";        // learning.policy: tabular | dqn (a build with LibTorch)
    int soc_bins = 10;                     // learning.soc_bins
    int time_bins = 24;                    // learning.time_bins: time-of-day bins of the state
                                           //   (24: hours; at most the steps per day, dividing them)
    int price_levels = 3;                  // learning.price_levels (quantiles of the price series)
    std::string price_level_basis = "day"; // learning.price_level_basis: day (the day's mean price
                                           //   among the series' days) | step (each step's price)
    int deadline_levels = 1;               // learning.deadline_levels: charging-slack levels in the
                                           //   state (1 = off: the paper's SoC x hour x price state)
    int forecast_levels = 1;               // learning.forecast_levels: price-outlook levels in the
                                           //   state: steps left in the stay cheaper than now
                                           //   (1 = off)
    std::string q_sharing = "vehicle";     // learning.q_sharing: vehicle | community | fleet
    std::string q_precision = "fp32";      // learning.q_precision: fp32 | bf16 (Q-values stored as bfloat16)
    double q_init = -3.0;                  // learning.q_init: every Q-value before training (about
                                           //   a vehicle-day's money: untried actions are not
                                           //   preferred to tried ones; docs/RESULTS.md)
    double alpha = 0.2;                    // learning.alpha: in (0, 1]
    double gamma = 1.0;                    // learning.gamma: in [0, 1] (1: the day's money, undiscounted)
    double epsilon = 0.8;                  // learning.epsilon: initial exploration, in [0, 1]
    double epsilon_decay = 0.995;          // learning.epsilon_decay: per episode, in (0, 1]
    double epsilon_min = 0.0;              // learning.epsilon_min: floor, in [0, epsilon]

    // [results]
    int vehicle_stride = 100;              // results.vehicle_stride: episodes between per-vehicle
                                           //   snapshots in the results file (0 = the final only)
    int q_stride = 500;                    // results.q_stride: episodes between Q-table snapshots
                                           //   (0 = the final only)
    int checkpoint_every = 100;            // results.checkpoint_every: episodes between checkpoints
                                           //   (0 = only when stopped by a signal)

    // [ledger]
    bool ledger_enabled = true;            // ledger.enabled: contracts enforced, transactions hashed
    int contracts = 100;                   // ledger.contracts: smart contracts deployed at genesis
                                           //   (paper: 100); at least communities + 2
    double contract_price_floor_per_kwh = 0.0;   // ledger.price_floor_per_kwh: every contract's floor
    double contract_price_cap_per_kwh = 1.0;     // ledger.price_cap_per_kwh: every contract's cap
    double contract_energy_cap_kwh = 50.0;       // ledger.energy_cap_kwh_per_step: per transfer
    double charging_fixed_price_per_kwh = -1.0;  // ledger.charging_fixed_price_per_kwh: charging
                                           //   tariffs at this fixed price; < 0 = indexed to retail
    int contract_valid_episodes = 0;       // ledger.valid_episodes: validity from episode 0; 0 = forever
    std::string store_transactions = "last";  // ledger.store_transactions: all | last | none (the
                                           //   records kept in the ledger file; roots always are)

    // [dqn] (learning.policy = "dqn", dqn/dqn.cpp, docs/DQN.md)
    std::string dqn_hidden = "64,64";      // dqn.hidden: hidden layer widths of the Q-network MLP
    double dqn_learning_rate = 1e-3;       // dqn.learning_rate: Adam step size
    int dqn_batch_size = 64;               // dqn.batch_size: transitions per gradient step
    int dqn_buffer_size = 100000;          // dqn.buffer_size: replay capacity (transitions)
    int dqn_learning_starts = 1000;        // dqn.learning_starts: transitions stored before learning
    int dqn_updates_per_step = 1;          // dqn.updates_per_step: gradient steps per fleet step
    std::string dqn_target_update = "hard";  // dqn.target_update: hard (copy every period) | soft
    int dqn_target_period = 500;           // dqn.target_period: gradient steps between hard copies
    double dqn_tau = 0.005;                // dqn.tau: Polyak factor of soft updates
    bool dqn_double = true;                // dqn.double: double DQN targets (van Hasselt et al. 2016)
    std::string dqn_loss = "huber";        // dqn.loss: huber | mse
    double dqn_grad_clip = 10.0;           // dqn.grad_clip: max gradient L2 norm, 0 = off

    // [evaluation] (`v2g eval`, docs/EVALUATION.md)
    int eval_days = 30;                    // evaluation.days: held-out days every policy runs
    int dp_energy_points = 101;            // evaluation.dp_energy_points: stored-energy grid of
                                           //   the dynamic-programming optimum (0.4 kWh steps on a
                                           //   50 kWh window)
    int check_days = 5;                    // evaluation.check_days: held-out days of the check that
                                           //   ends `v2g train` (learned vs the yardsticks); 0 = none
    int oracle_communities = 16;           // evaluation.oracle_communities: communities the LP oracle
                                           //   solves (the first ones); the score compares them
    std::string eval_faults = "all";       // evaluation.faults: none | all | a comma list of
                                           //   missing_vehicles, grid_outage, price_spike, lost_community
    double fault_missing_share = 0.2;      // evaluation.fault_missing_share: vehicles away all day
    double fault_outage_start_hour = 18.0; // evaluation.fault_outage_start_hour: clock hour the
                                           //   grid outage and the price spike begin (evening peak)
    double fault_outage_hours = 3.0;       // evaluation.fault_outage_hours: their length
    double fault_spike_factor = 3.0;       // evaluation.fault_spike_factor: retail price multiplier

    int steps_per_day() const { return static_cast<int>(24.0 / step_hours + 0.5); }
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
