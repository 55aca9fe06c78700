// contract_legs.h: how the step phases meet the ledger: the contract that governs a vehicle's
// transfer, the price its leg pays, the check before a transfer executes (counted by reason when
// rejected), and the transaction slot each leg is written into (only when energy moved).
#pragma once
#include "env/env_types.h"
#include "ledger/contracts.h"
#include "ledger/transaction.h"

namespace v2g {

// Registry order: P2P contracts for communities 0..C-1, then V2G-service contracts, then
// charging tariffs, each spread evenly over the vehicles in index order.
V2G_HD uint32_t contract_for(const EnvParams& p, int vehicle, ContractType type) {
    const uint64_t v = static_cast<uint64_t>(vehicle), n = static_cast<uint64_t>(p.num_vehicles);
    switch (type) {
        case kContractP2PMarket: return static_cast<uint32_t>(vehicle / p.community_size);
        case kContractV2GService:
            return static_cast<uint32_t>(p.v2g_contract_first + v * p.v2g_contract_count / n);
        default: return static_cast<uint32_t>(p.charging_contract_first + v * p.charging_contract_count / n);
    }
}

// The price a leg pays: its contract's (fixed or the indexed one) when the ledger is on.
V2G_HD int32_t leg_price_micro(const EnvParams& p, const SignalsView& sig, int v, ContractType type,
                               int32_t indexed_micro) {
    return p.ledger_enabled ? contract_price(sig.contracts[contract_for(p, v, type)], indexed_micro) : indexed_micro;
}

// Checks a transfer against its contract; counts and returns the reason when rejected.
V2G_HD int admit_transfer(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                          ContractType type, float energy_kwh, int32_t price_micro) {
    if (!p.ledger_enabled || energy_kwh <= 0.0f) return kAccepted;
    const Contract& k = sig.contracts[contract_for(p, v, type)];
    const int reason = check_contract(k, v, v / p.community_size, episode,
                                      round_to_int(static_cast<double>(energy_kwh) * kWhPerKwh), price_micro);
    if (reason != kAccepted) f.ep_rejected[v * kNumRejectReasons + reason] += 1;
    return reason;
}

V2G_HD int64_t tx_slot_index(const EnvParams& p, int step, int64_t index_in_step) {
    return static_cast<int64_t>(step) * slots_per_step(p) + index_in_step;
}

// Running sums of one party's transactions in the episode.
struct LedgerSums {
    int64_t* wh;
    int64_t* micro;
    uint32_t* count;
    uint32_t* latency_steps;  // a block commits after the episode's last step
};

// Writes one leg into slot `slot` and adds it to the sums when energy moved; marks the slot
// used or not either way (an unused slot keeps whatever an earlier step left in it).
V2G_HD void write_leg(const EnvParams& p, const FleetView& f, int64_t slot, int episode, int step, uint8_t kind,
                      uint32_t party, uint32_t counterparty, uint32_t contract, int64_t energy_wh,
                      int32_t price_micro, const LedgerSums& sums) {
    f.tx_used[slot] = energy_wh != 0;
    if (energy_wh != 0) {
        Transaction t = {};
        t.episode = static_cast<uint32_t>(episode);
        t.step = static_cast<uint16_t>(step);
        t.kind = kind;
        t.vehicle = party;
        t.counterparty = counterparty;
        t.contract = contract;
        t.energy_wh = energy_wh;
        t.price_micro_per_kwh = price_micro;
        t.amount_micro = tx_amount_micro(energy_wh, price_micro);
        *sums.wh += energy_wh;
        *sums.micro += t.amount_micro;
        *sums.count += 1;
        *sums.latency_steps += static_cast<uint32_t>(p.steps_per_day - step);
        f.tx_slots[slot] = t;
    }
}

}  // namespace v2g
