// config_table.cpp: see config_table.h.
#include "config/config_table.h"

namespace v2g::config_table {

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

        {"sessions.model", &Config::session_model, "daily plug-in sessions: fitted distributions, fixed times, or each vehicle's own from sessions.csv", any(), "ev2gym|fixed|csv"},
        {"sessions.csv", &Config::sessions_csv, "CSV file of per-vehicle sessions with model = csv (docs/DATA.md, \"Sessions CSV\")", any(), nullptr},
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
        // would be unreadable; csv_format() (csv_format.h) checks them, called by validate().
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

}  // namespace v2g::config_table
