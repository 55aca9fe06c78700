// episode_metrics.h: what an episode sums to, per community (summarize_community in step.h) and,
// merged, for the fleet: money, energy by route, ageing, the safety layer, the connection limit
// and the ledger.
#pragma once
#include "env_types.h"
#include "ledger/contracts.h"

namespace v2g {

// Sums over one community (or, after merging, the fleet) for one episode.
struct EpisodeMetrics {
    double reward;            // sum over vehicles of the episode reward
    double reward_min;        // lowest vehicle episode reward
    double reward_max;        // highest vehicle episode reward
    double energy_cost;
    double revenue;
    double degradation_cost;
    double unmet_penalty;
    double unmet_kwh;
    double grid_import_kwh;
    double grid_export_kwh;
    double p2p_bought_kwh;
    double p2p_sold_kwh;
    double pv_sold_kwh;
    double market_loss_kwh;
    double conversion_loss_kwh;
    double en_route_cost;     // fast charging bought on trips the battery could not cover
    double en_route_kwh;
    double curtailed_kwh;     // grid import and export cut by the connection limit
    double soc_end;           // sum of end-of-episode SoC
    double soh;               // sum of SoH
    double soh_min;
    int64_t vehicles;
    int64_t safety_overrides;  // steps the safety layer overrode a policy's action
    int64_t limit_steps;       // community steps at which the connection limit cut a flow
    int64_t pack_replacements; // packs replaced at end of life (battery.aging = "lifetime")
    // ledger (zero when the ledger is off)
    int64_t tx_count;                        // transactions written
    int64_t tx_latency_steps;                // sum over them of steps from decision to commit
    int64_t ledger_energy_wh;                // signed sum of their energy (in - out)
    int64_t ledger_amount_micro;             // signed sum of their money (paid - received)
    int64_t rejected[kNumRejectReasons];     // transfers rejected, by RejectReason
};

V2G_HD void merge_metrics(EpisodeMetrics* into, const EpisodeMetrics& m) {
    if (into->vehicles == 0) { *into = m; return; }
    if (m.vehicles == 0) return;
    into->reward += m.reward;
    into->reward_min = m.reward_min < into->reward_min ? m.reward_min : into->reward_min;
    into->reward_max = m.reward_max > into->reward_max ? m.reward_max : into->reward_max;
    into->energy_cost += m.energy_cost;
    into->revenue += m.revenue;
    into->degradation_cost += m.degradation_cost;
    into->unmet_penalty += m.unmet_penalty;
    into->unmet_kwh += m.unmet_kwh;
    into->grid_import_kwh += m.grid_import_kwh;
    into->grid_export_kwh += m.grid_export_kwh;
    into->p2p_bought_kwh += m.p2p_bought_kwh;
    into->p2p_sold_kwh += m.p2p_sold_kwh;
    into->pv_sold_kwh += m.pv_sold_kwh;
    into->market_loss_kwh += m.market_loss_kwh;
    into->conversion_loss_kwh += m.conversion_loss_kwh;
    into->en_route_cost += m.en_route_cost;
    into->en_route_kwh += m.en_route_kwh;
    into->curtailed_kwh += m.curtailed_kwh;
    into->soc_end += m.soc_end;
    into->soh += m.soh;
    into->soh_min = m.soh_min < into->soh_min ? m.soh_min : into->soh_min;
    into->vehicles += m.vehicles;
    into->safety_overrides += m.safety_overrides;
    into->limit_steps += m.limit_steps;
    into->pack_replacements += m.pack_replacements;
    into->tx_count += m.tx_count;
    into->tx_latency_steps += m.tx_latency_steps;
    into->ledger_energy_wh += m.ledger_energy_wh;
    into->ledger_amount_micro += m.ledger_amount_micro;
    for (int r = 0; r < kNumRejectReasons; ++r) into->rejected[r] += m.rejected[r];
}

}  // namespace v2g
