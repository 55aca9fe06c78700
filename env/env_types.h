// env_types.h: the data every step function reads and writes, as plain structs that can be
// passed by value to a CUDA kernel or a CPU loop. EnvParams holds scalars and small tables;
// FleetView holds pointers to struct-of-arrays state (host memory on the CPU backend, device
// memory on the CUDA backend). Nothing here allocates or knows about files.
#pragma once
#include "common/hd.h"

namespace v2g {

struct Contract;     // ledger/contracts.h
struct Transaction;  // ledger/transaction.h

// The paper's five actions (Maghraby et al. 2025, sec. 3: charging, discharging, idling,
// selling, buying).
enum Action : uint8_t {
    kCharge = 0,     // grid -> EV at the charger's power limit
    kDischarge = 1,  // EV -> grid (V2G service; paid the demand-response tariff during DR events)
    kIdle = 2,       // nothing moves
    kSell = 3,       // offer energy in the community's P2P market
    kBuy = 4,        // bid for energy in the community's P2P market
};
constexpr int kNumActions = 5;

// Who owns a Q-table.
enum QSharing : int {
    kQPerVehicle = 0,    // the paper's choice: one table per EV
    kQPerCommunity = 1,  // one table per community, updated in vehicle order
    kQPerFleet = 2,      // one table for everyone, updated in vehicle order
};

// How actions are chosen in a launch.
enum PolicyMode : int {
    kPolicyLearn = 0,           // epsilon-greedy on Q, Q-learning updates on
    kPolicyGreedy = 1,          // argmax Q, no updates
    kPolicyRandom = 2,          // uniform over the five actions, no updates
    kPolicyChargeOnArrival = 3, // charge while plugged in until full (uncontrolled), from the P2P market when cheaper
    kPolicyTimeOfUse = 4,       // charge in the cheapest remaining steps that meet the requirement (P2P when cheaper)
    kPolicyPlan = 5,            // follow FleetView::plan (the dynamic-programming optimum)
    kPolicyExplore = 6,         // epsilon-greedy on Q, no updates (the untrained initial policy)
    kPolicyGiven = 7,           // the action already in FleetView::action (set by a deep policy)
};

constexpr int kMaxStepsPerDay = 96;   // 15-minute steps
constexpr int kMaxPriceLevels = 16;
constexpr int kQuantileCount = 21;    // inverse-CDF tables at p = 0, 5%, ..., 100%
constexpr int kDaysPerWeek = 7;
constexpr int kFirstWeekendDay = 5;    // weekdays count from Monday = 0: Saturday, Sunday are 5, 6

// One vehicle's session on one day of a sessions table (sessions.model = "csv"): episode steps
// of the window; arrival_step = kNoSession when the vehicle does not plug in that day.
constexpr int16_t kNoSession = -1;
struct SessionRecord {
    int16_t arrival_step;
    int16_t departure_step;  // exclusive
    float trip_kwh;          // energy driven before the arrival (at the battery)
    float required_soc;      // SoC wanted at departure; < 0: the model's (reserve + the next trip)
};

// Daily plug-in session and driving model: all tables are built on the host (problem/sessions.cpp,
// docs/DATA.md). A day's session is an arrival step (weekday or weekend distribution), a stay
// drawn from the connection-time quantiles scaled by the mean stay of that arrival time, and the
// day's trip (the driving before the arrival) drawn from trip_kwh_q, scaled by the relative
// energy of sessions starting at that arrival time. Or, with `table`, each vehicle's own day
// from a sessions table (problem/session_table.h).
struct SessionModel {
    int table;                                   // 1: every day from SignalsView::session_table (a CSV)
    int fixed;                                   // 1: every day uses the fixed_* values below
    int fixed_arrival_step;                      // episode step of plug-in
    int fixed_departure_step;                    // episode step of plug-out (exclusive)
    float fixed_trip_kwh;                        // energy driven per day
    int first_weekday;                           // weekday of signal day 0 (Monday = 0)
    float arrival_cdf[kMaxStepsPerDay];          // weekdays: P(arrival step <= k) over the episode window
    float weekend_arrival_cdf[kMaxStepsPerDay];  // Saturdays and Sundays, the same
    float stay_scale[kMaxStepsPerDay];           // [arrival step] mean stay at that arrival / overall mean
    float trip_scale[kMaxStepsPerDay];           // [arrival step] mean session energy at that arrival / overall
    float duration_hours_q[kQuantileCount];      // connection time quantiles (h), all arrivals
    float trip_kwh_q[kQuantileCount];            // daily trip energy quantiles (kWh at the battery)
    float reserve_kwh;                           // energy the driver wants left after the next trip
    float min_duration_steps;                    // shortest session kept (steps)
};

struct EnvParams {
    // --- time ---
    int steps_per_day;          // steps per episode (one day)
    float step_hours;           // length of a step (h)
    int signal_days;            // days of price/load/PV series; episode e uses day e % signal_days
    int session_days;           // days of the sessions table (0: none); episode e uses day e % session_days

    // --- fleet ---
    int num_vehicles;
    int community_size;         // vehicles per community (the last one may be smaller)
    int num_communities;

    // --- battery ---
    float soc_min;              // lowest SoC the controller may discharge to (fraction)
    float soc_max;              // highest SoC the controller may charge to (fraction)

    // --- degradation (Schmalstieg et al. 2014, see battery.h) ---
    float calendar_arrhenius;   // exp(-6976 K / T): precomputed on the host, T = cell temperature
    float cell_capacity_ah;     // capacity of the cell the model was fitted on (Ah)
    float battery_cost_per_kwh; // replacement cost of the pack (currency / kWh)
    float end_of_life_loss;     // capacity loss at which the pack is worn out (fraction)
    float initial_age_days;     // calendar age of every pack when the run begins (days)
    float initial_calendar_loss;// capacity lost to calendar ageing at that age (fraction)
    float initial_cycle_loss;   // ... and to the cycles done before it (fraction)
    float initial_throughput_ah;// cell charge throughput of those cycles (Ah)
    int lifetime_aging;         // 0: every day starts from the fleet's age (battery.aging = "day");
                                // 1: ageing carries across days, packs replaced at end of life

    // --- market and money ---
    float p2p_price_weight;     // clearing price = feed_in + w * (retail - feed_in)
    float p2p_loss_fraction;    // share of P2P energy lost in the community's distribution
    int unmatched_to_grid;      // 1: unmatched bids/offers trade with the grid; 0: unfilled
    float dr_price_per_kwh;     // paid for discharge during demand-response events
    float unmet_penalty_per_kwh;// charged per kWh short of the requirement at departure
    float en_route_price_per_kwh;// public fast charging bought on a trip the battery cannot cover

    // --- grid connection and the charger's safety layer ---
    int grid_limit_enabled;     // 1: each community's grid import and export are capped at its
                                //   connection limit (SignalsView::community_limit_kw)
    int safety_layer;           // 1: charge whenever waiting longer would make the departure
                                //   requirement unreachable (overrides counted)

    // --- learning ---
    int soc_bins;               // SoC discretisation of the tabular state
    int time_bins;              // time-of-day bins of the tabular state (steps_per_day: one per step)
    int price_levels;           // retail price discretisation of the tabular state
    int deadline_levels;        // charging-slack levels of the tabular state (1: off, the paper's state)
    int forecast_levels;        // price-outlook levels of the tabular state (1: off)
    int forecast_margin;        // 1: the outlook is the charge margin (learning.forecast_basis), 0: cheaper steps left
    int shaping;                // 1: the Q-update learns from learn_reward (learning.shaping)
    int q_sharing;              // QSharing
    int q_bf16;                 // 1: Q-values stored as bfloat16 (learning.q_precision), 0: float32
    float alpha;                // learning rate
    float gamma;                // discount per step
    uint64_t seed;

    // --- ledger (ledger/contracts.h for the registry's order) ---
    int ledger_enabled;             // 1: write a transaction per executed transfer
    int num_contracts;
    int v2g_contract_first, v2g_contract_count;
    int charging_contract_first, charging_contract_count;

    SessionModel sessions;

    // --- evaluation: fault injection (all off in training) and the plan policy ---
    float fault_missing_share;      // share of vehicles that never plug in (Philox per vehicle)
    int fault_community_offline;    // 1: community fault_community's vehicles never plug in
    int fault_community;
    int fault_outage_begin_step;    // grid down in [begin, end): no grid import or export
    int fault_outage_end_step;      //   (begin = end: no outage)
    int plan_points;                // stored-energy grid points of FleetView::plan (kPolicyPlan)
};

// Per-step signals for signal_days days, [day * steps_per_day + step].
struct SignalsView {
    const float* retail_price_per_kwh;
    const float* feed_in_price_per_kwh;
    const float* grid_load_kw;        // system load, for the record and for DR events
    const uint8_t* dr_event;          // 1 during a demand-response event
    const uint8_t* price_level;       // retail price level 0..price_levels-1
    const uint16_t* price_order;      // [day][k]: the day's steps by retail price, cheapest first (ties: earlier first)
    const float* pv_kw_per_kwp;       // PV output per kW peak installed
    const float* community_pv_kwp;    // [community] installed PV (kW peak)
    const float* community_limit_kw;  // [community] grid connection limit (kW), both directions
    const Contract* contracts;        // [num_contracts] the registry deployed at genesis
    const SessionRecord* session_table;  // [day * num_vehicles + vehicle], session_days days (sessions.model = "csv")
};

// The terms a step's reward is made of (FleetView::reward_terms), each in currency, as paid:
// reward = revenue - energy cost - degradation - unmet penalty (- en route, which the day's
// reset pays for the trip before arrival).
enum RewardTerm : int {
    kTermEnergyCost = 0,   // paid for energy bought
    kTermRevenue = 1,      // received for energy sold
    kTermDegradation = 2,  // capacity lost over the step, priced
    kTermUnmetPenalty = 3, // energy short of the requirement at departure, priced
    kTermEnRoute = 4,      // fast charging bought on the trip the battery could not cover
    kNumRewardTerms = 5,
};

// The fleet's arrays, each listed once: X(element type, name, elements per vehicle or per
// community). FleetView's members, the buffer layout (layout.h), the resets (step.h), the
// optimum's snapshot of a step (eval/optimum.h) and the byte counts (perf/phase_traffic.h) are
// generated from these lists. Arrays are [vehicle] (or [community]) unless noted; the order is
// the order in the fleet buffer.

// Per vehicle: constants of each vehicle's model.
#define V2G_VEHICLE_MODEL_ARRAYS(X)                                                                   \
    X(const float, capacity_kwh, 1)          /* nominal pack capacity */                            \
    X(const float, charge_kw, 1)             /* charger limit, grid side */                         \
    X(const float, discharge_kw, 1)          /* discharger limit, grid side */                      \
    X(const float, eta_charge, 1)            /* grid -> battery efficiency */                       \
    X(const float, eta_discharge, 1)         /* battery -> grid efficiency */

// Per vehicle: battery state, carried across episodes.
#define V2G_VEHICLE_BATTERY_ARRAYS(X)                                                                 \
    X(float, energy_kwh, 1)                  /* stored energy */                                    \
    X(float, usable_kwh, 1)                  /* capacity_kwh * soh, refreshed at each episode start */ \
    X(float, soh, 1)                         /* state of health = 1 - calendar_loss - cycle_loss */ \
    X(float, calendar_loss, 1)                                                                      \
    X(float, cycle_loss, 1)                                                                         \
    X(float, throughput_ah, 1)               /* cumulative cell charge throughput (Ah), for cycle aging */ \
    X(float, soc_low_today, 1)               /* SoC swing of the day, for the depth-of-cycle stress */ \
    X(float, soc_high_today, 1)                                                                     \
    X(float, pack_age_offset_days, 1)        /* lifetime ageing: the pack's age at episode e is this + e */

// Per vehicle: today's session.
#define V2G_VEHICLE_SESSION_ARRAYS(X)                                                                 \
    X(int32_t, arrival_step, 1)                                                                     \
    X(int32_t, departure_step, 1)            /* exclusive: unplugged from this step on */           \
    X(float, required_kwh, 1)                /* stored energy wanted at departure: the next trip + reserve */ \
    X(float, trip_kwh, 1)                    /* energy driven before today's arrival */

// Per vehicle: per-step scratch.
#define V2G_VEHICLE_STEP_ARRAYS(X)                                                                    \
    X(int32_t, state, 1)                     /* tabular state index, -1 when unplugged */           \
    X(uint8_t, action, 1)                    /* the policy's choice (what the Q-update learns from) */ \
    X(uint8_t, forced, 1)                    /* 1: the safety layer overrode it: the vehicle charged instead */ \
    X(float, grid_kwh, 1)                    /* charge (+) or discharge (-) request at the meter */ \
    X(float, offer_kwh, 1)                   /* P2P sell offer at the meter */                      \
    X(float, bid_kwh, 1)                     /* P2P buy bid at the meter */                         \
    X(float, reward, 1)                      /* reward of this step's decision */                   \
    X(float, learn_reward, 1)                /* what the Q-update learns from with learning.shaping: reward + shaping */ \
    X(float, potential, 1)                   /* learning.shaping: Phi of the state the vehicle acts in next (set at arrival by the day's reset) */ \
    X(int32_t, next_state, 1)                /* -1 when the decision ended the session (terminal) */

// Per vehicle: the sums its steps add to during a day, zeroed when the day starts.
#define V2G_VEHICLE_STEP_SUMS(X)                                                                      \
    X(float, ep_energy_cost, 1)              /* money paid for energy (grid and P2P) */             \
    X(float, ep_revenue, 1)                  /* money received (grid, DR, P2P) */                   \
    X(float, ep_degradation_cost, 1)         /* money value of SoH lost */                          \
    X(float, ep_unmet_penalty, 1)            /* money penalty for departure shortfall */            \
    X(float, ep_unmet_kwh, 1)                /* departure shortfall */                              \
    X(float, ep_grid_import_kwh, 1)                                                                 \
    X(float, ep_grid_export_kwh, 1)                                                                 \
    X(float, ep_p2p_bought_kwh, 1)           /* received from the market (at the meter) */          \
    X(float, ep_p2p_sold_kwh, 1)             /* delivered to the market (at the meter) */           \
    X(float, ep_conversion_loss_kwh, 1)      /* charger/inverter losses */                          \
    X(float, ep_curtailed_kwh, 1)            /* grid import and export cut by the community's connection limit */ \
    X(uint32_t, ep_safety_overrides, 1)      /* steps the safety layer overrode the policy's action */ \
    X(uint32_t, ep_rejected, kNumRejectReasons) /* [vehicle * kNumRejectReasons + reason] transfers rejected */

// Per vehicle: what the day's start settles (reset_vehicle sets each).
#define V2G_VEHICLE_DAY_START(X)                                                                      \
    X(float, ep_en_route_kwh, 1)             /* energy bought en route: the trip the battery could not cover */ \
    X(float, ep_en_route_cost, 1)            /* money paid for it at the fast-charging price */     \
    X(uint32_t, ep_pack_replaced, 1)         /* 1: the pack reached end of life and was replaced at this reset */ \
    X(float, ep_start_kwh, 1)                /* stored energy after arrival (after driving) */

// Per vehicle: the sums of its day's transactions (contract_legs.h), zeroed when the day starts.
#define V2G_VEHICLE_LEDGER_SUMS(X)                                                                    \
    X(int64_t, ep_ledger_wh, 1)              /* signed energy of the vehicle's transactions (+ = in) */ \
    X(int64_t, ep_ledger_micro, 1)           /* signed money of its transactions (+ = paid) */      \
    X(uint32_t, ep_tx_count, 1)              /* its transactions */                                 \
    X(uint32_t, ep_tx_latency_steps, 1)      /* sum over them of the steps until the block commits */

// Per community: this step's market outcome.
#define V2G_COMMUNITY_STEP_ARRAYS(X)                                                                  \
    X(float, market_price_per_kwh, 1)        /* uniform clearing price */                           \
    X(float, market_sell_ratio, 1)           /* share of each offer that was matched */             \
    X(float, market_buy_ratio, 1)            /* share of each bid that was matched */               \
    X(float, market_pv_kwh, 1)               /* PV delivered into the market */                     \
    X(float, grid_import_share, 1)           /* share of each grid import the connection limit lets through */ \
    X(float, grid_forced_share, 1)           /* the same for charging forced by the safety layer (served first) */ \
    X(float, grid_export_share, 1)           /* share of each grid export it lets through */

// Per community: the day's sums of the market and of the community PV's transactions, zeroed
// when the day starts.
#define V2G_COMMUNITY_DAY_SUMS(X)                                                                     \
    X(float, ep_pv_sold_kwh, 1)                                                                     \
    X(float, ep_market_loss_kwh, 1)                                                                 \
    X(uint32_t, ep_limit_steps, 1)           /* steps at which the connection limit cut imports or exports */ \
    X(int64_t, ep_pv_ledger_wh, 1)           /* the community PV's transactions, as the vehicle's ledger sums */ \
    X(int64_t, ep_pv_ledger_micro, 1)                                                               \
    X(uint32_t, ep_pv_tx_count, 1)                                                                  \
    X(uint32_t, ep_pv_tx_latency_steps, 1)

#define V2G_VEHICLE_ARRAYS(X)                                                                         \
    V2G_VEHICLE_MODEL_ARRAYS(X) V2G_VEHICLE_BATTERY_ARRAYS(X) V2G_VEHICLE_SESSION_ARRAYS(X)         \
    V2G_VEHICLE_STEP_ARRAYS(X) V2G_VEHICLE_STEP_SUMS(X) V2G_VEHICLE_DAY_START(X) V2G_VEHICLE_LEDGER_SUMS(X)
#define V2G_COMMUNITY_ARRAYS(X) V2G_COMMUNITY_STEP_ARRAYS(X) V2G_COMMUNITY_DAY_SUMS(X)

// Everything per vehicle and per community, struct of arrays: the lists above, then what the
// backend owns outside the fleet buffer.
struct FleetView {
#define V2G_FLEET_MEMBER(type, name, elements) type* name;
    V2G_VEHICLE_ARRAYS(V2G_FLEET_MEMBER)
    V2G_COMMUNITY_ARRAYS(V2G_FLEET_MEMBER)
#undef V2G_FLEET_MEMBER

    // Transaction slots of the current episode, owned by the backend (not in the fleet
    // buffer): [step * slots_per_step(p) + 2 * vehicle + leg], then one PV slot per community.
    // Null when no ledger is written (also in the optimum's single-vehicle model). A slot is
    // written only when its transfer happened; tx_used (one byte per slot, written every
    // step) says which did, so the empty slots cost a byte, not a 48-byte record.
    Transaction* tx_slots;
    uint8_t* tx_used;

    // The plan policy's table, owned by the backend (not in the fleet buffer):
    // [(vehicle * steps_per_day + step) * plan_points + energy grid point] -> action.
    const uint8_t* plan;

    // The step record (step.h record_community), owned by the backend; null: not recorded.
    double* step_record;

    // This step's reward terms, [vehicle * kNumRewardTerms + RewardTerm], written by
    // apply_vehicle for an outside agent (run/vector_env.h), owned by its driver; null: not
    // written.
    float* reward_terms;

    // Q-tables: [table][state][action], float32 (q) or bfloat16 bits (q_bf16): one of them is set
    float* q;
    uint16_t* q_bf16;
};

V2G_HD int num_states(const EnvParams& p) {
    return p.soc_bins * p.time_bins * p.price_levels * (p.deadline_levels > 1 ? p.deadline_levels : 1) *
           (p.forecast_levels > 1 ? p.forecast_levels : 1);
}

V2G_HD int num_q_tables(const EnvParams& p) {
    return p.q_sharing == kQPerVehicle ? p.num_vehicles
           : p.q_sharing == kQPerCommunity ? p.num_communities : 1;
}

V2G_HD int q_table_of(const EnvParams& p, int vehicle) {
    return p.q_sharing == kQPerVehicle ? vehicle
           : p.q_sharing == kQPerCommunity ? vehicle / p.community_size : 0;
}

// Two legs per vehicle (the action's transfer, and the grid fallback of an unmatched P2P
// bid or offer) plus the community's PV sale.
V2G_HD int64_t slots_per_step(const EnvParams& p) { return 2 * static_cast<int64_t>(p.num_vehicles) + p.num_communities; }
V2G_HD int64_t slots_per_episode(const EnvParams& p) { return slots_per_step(p) * p.steps_per_day; }

V2G_HD int community_begin(const EnvParams& p, int c) { return c * p.community_size; }
V2G_HD int community_end(const EnvParams& p, int c) {
    return min_i((c + 1) * p.community_size, p.num_vehicles);
}

V2G_HD int signal_index(const EnvParams& p, int episode, int step) {
    return (episode % p.signal_days) * p.steps_per_day + step;
}

V2G_HD float soc_of(float energy_kwh, float usable_kwh) {
    return usable_kwh > 0.0f ? energy_kwh / usable_kwh : 0.0f;
}

// Evaluation fault: no grid import or export during the outage window.
V2G_HD bool grid_down(const EnvParams& p, int step) {
    return step >= p.fault_outage_begin_step && step < p.fault_outage_end_step;
}

V2G_HD bool plugged_in(const FleetView& f, int v, int step) {
    return step >= f.arrival_step[v] && step < f.departure_step[v];
}

}  // namespace v2g
