// episode_metrics.h: what an episode sums to, per community (summarize_community in step.h) and,
// merged, for the fleet: money, energy by route, ageing, the safety layer, the connection limit
// and the ledger.
#pragma once
#include "env/env_types.h"
#include "ledger/contracts.h"

namespace v2g {

// The list of what an episode sums to, written once: the struct, its merge, the /episodes
// columns of the results file (results/schema.cpp) and their reading back for a resume
// (results/reader.cpp) are generated from it. A new metric is one line here (and its sum in
// step.h summarize_community, and its line in docs/RESULTS.md).
//   X(member, type, merge, column, per, units, meaning)
//   merge:  Sum | Min | Max                      how two communities' values combine
//   column: the /episodes dataset, or nullptr    (stored elsewhere, or not stored)
//   per:    PerVehicle (the column is the fleet's value / vehicles) | AsIs
#define V2G_EPISODE_METRICS(X)                                                                                       \
    X(reward, double, Sum, "reward_mean", PerVehicle, "currency/vehicle/day", "money of the day (the reward less the en-route charging) summed over vehicles") \
    X(reward_min, double, Min, "reward_min", AsIs, "currency/vehicle/day", "lowest vehicle's money of the day")          \
    X(reward_max, double, Max, "reward_max", AsIs, "currency/vehicle/day", "highest vehicle's money of the day")         \
    X(energy_cost, double, Sum, "energy_cost", PerVehicle, "currency/vehicle/day", "paid for energy bought")             \
    X(revenue, double, Sum, "revenue", PerVehicle, "currency/vehicle/day", "received for energy sold")                   \
    X(degradation_cost, double, Sum, "degradation_cost", PerVehicle, "currency/vehicle/day", "capacity lost, priced")    \
    X(unmet_penalty, double, Sum, "unmet_penalty", PerVehicle, "currency/vehicle/day", "penalty for energy short at departure") \
    X(en_route_cost, double, Sum, "en_route_cost", PerVehicle, "currency/vehicle/day", "fast charging bought on trips the battery could not cover") \
    X(unmet_kwh, double, Sum, "unmet_kwh", PerVehicle, "kWh/vehicle/day", "energy short of the requirement at departure") \
    X(en_route_kwh, double, Sum, "en_route_kwh", PerVehicle, "kWh/vehicle/day", "energy charged en route")               \
    X(curtailed_kwh, double, Sum, "curtailed_kwh", PerVehicle, "kWh/vehicle/day", "grid import and export cut by the connection limit") \
    X(safety_overrides, int64_t, Sum, "safety_overrides", PerVehicle, "1/vehicle/day", "steps the safety layer overrode a policy's action") \
    X(limit_steps, int64_t, Sum, "limit_steps", AsIs, "1", "community steps at which the connection limit cut a flow")  \
    X(pack_replacements, int64_t, Sum, "pack_replacements", AsIs, "1", "packs replaced at end of life (battery.aging = lifetime)") \
    X(grid_import_kwh, double, Sum, "grid_import_kwh", PerVehicle, "kWh/vehicle/day", "energy from the grid")           \
    X(grid_export_kwh, double, Sum, "grid_export_kwh", PerVehicle, "kWh/vehicle/day", "energy to the grid")             \
    X(p2p_bought_kwh, double, Sum, "p2p_bought_kwh", PerVehicle, "kWh/vehicle/day", "energy bought on the P2P market")  \
    X(p2p_sold_kwh, double, Sum, "p2p_sold_kwh", PerVehicle, "kWh/vehicle/day", "energy sold on the P2P market")        \
    X(pv_sold_kwh, double, Sum, "pv_sold_kwh", PerVehicle, "kWh/vehicle/day", "community PV sold on the P2P market")    \
    X(conversion_loss_kwh, double, Sum, "conversion_loss_kwh", PerVehicle, "kWh/vehicle/day", "charger and battery losses") \
    X(market_loss_kwh, double, Sum, "market_loss_kwh", PerVehicle, "kWh/vehicle/day", "P2P distribution losses")        \
    X(soc_end, double, Sum, "soc_end_mean", PerVehicle, "1", "end-of-day SoC summed over vehicles")                    \
    X(soh, double, Sum, "soh_mean", PerVehicle, "1", "SoH summed over vehicles")                                        \
    X(soh_min, double, Min, "soh_min", AsIs, "1", "lowest SoH")                                                         \
    X(vehicles, int64_t, Sum, nullptr, AsIs, "1", "vehicles summed")                                                    \
    X(tx_count, int64_t, Sum, nullptr, AsIs, "1", "transactions written (ledger on; /episodes/tx_count)")               \
    X(tx_latency_steps, int64_t, Sum, nullptr, AsIs, "steps", "sum over them of steps from decision to commit")       \
    X(ledger_energy_wh, int64_t, Sum, nullptr, AsIs, "Wh", "signed sum of their energy (in - out)")                     \
    X(ledger_amount_micro, int64_t, Sum, nullptr, AsIs, "micro-currency", "signed sum of their money (paid - received)")

// The list's `per` column as a value (k##per): whether a column is the fleet's value / vehicles.
constexpr bool kPerVehicle = true;
constexpr bool kAsIs = false;

// Sums over one community (or, after merging, the fleet) for one episode.
struct EpisodeMetrics {
#define V2G_METRIC_MEMBER(member, type, merge, column, per, units, meaning) type member;
    V2G_EPISODE_METRICS(V2G_METRIC_MEMBER)
#undef V2G_METRIC_MEMBER
    int64_t rejected[kNumRejectReasons];  // transfers rejected, by RejectReason (/episodes/rejected)
};

template <typename T>
V2G_HD void merge_Sum(T* into, T x) { *into += x; }
template <typename T>
V2G_HD void merge_Min(T* into, T x) { *into = x < *into ? x : *into; }
template <typename T>
V2G_HD void merge_Max(T* into, T x) { *into = x > *into ? x : *into; }

V2G_HD void merge_metrics(EpisodeMetrics* into, const EpisodeMetrics& m) {
    if (into->vehicles == 0) { *into = m; return; }
    if (m.vehicles == 0) return;
#define V2G_METRIC_MERGE(member, type, merge, column, per, units, meaning) merge_##merge(&into->member, m.member);
    V2G_EPISODE_METRICS(V2G_METRIC_MERGE)
#undef V2G_METRIC_MERGE
    for (int r = 0; r < kNumRejectReasons; ++r) into->rejected[r] += m.rejected[r];
}

}  // namespace v2g
