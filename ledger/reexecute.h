// reexecute.h: a stored transaction re-checked against the contract it names, as `v2g verify`
// does for every transaction: the hashes prove the records were not changed after the run,
// this proves each record is one the contracts allow. A forger who holds the key (a run that
// never finished) can re-sign a block, but not make a payment that breaks its contract pass.
#pragma once
#include <string>
#include <vector>
#include "ledger/block.h"
#include "ledger/contracts.h"
#include "ledger/transaction.h"

namespace v2g {

// The contract type that governs each kind of transfer (env/step.h writes them so).
inline int contract_type_of(uint8_t kind) {
    switch (kind) {
        case kTxGridImport: case kTxUnmatchedImport: return kContractChargingTariff;
        case kTxGridExport: case kTxUnmatchedExport: return kContractV2GService;
        default: return kContractP2PMarket;  // P2P buy and sell, the community's PV sale
    }
}

// "" when `t` is a transfer its contract allows, else what is wrong with it.
inline std::string reexecute_transaction(const Transaction& t, const std::vector<Contract>& contracts) {
    if (t.contract >= contracts.size())
        return "names contract " + std::to_string(t.contract) + ", the registry has " + std::to_string(contracts.size());
    const Contract& k = contracts[t.contract];
    const std::string which = "contract " + std::to_string(t.contract);
    if (k.type != contract_type_of(t.kind)) return which + " is not of the type that governs this kind of transfer";
    // Parties: P2P legs trade in the market of the contract's community; grid legs are with
    // the grid, by a vehicle the contract covers.
    if (k.type == kContractP2PMarket) {
        if (t.counterparty != k.community) return "trades in community " + std::to_string(t.counterparty) + ", " + which + " governs community " + std::to_string(k.community);
        if ((t.kind == kTxPvSell) != (t.vehicle == kPartyCommunityPv)) return "a PV sale must be the community's, and only a PV sale is";
    } else {
        if (t.counterparty != kPartyGrid) return "a grid transfer whose counterparty is not the grid";
        if (t.vehicle < k.party_first || t.vehicle > k.party_last) return "vehicle " + std::to_string(t.vehicle) + " is not a party to " + which;
    }
    if (t.episode < k.valid_from_episode || t.episode >= k.valid_until_episode)
        return "episode " + std::to_string(t.episode) + " is outside " + which + "'s validity";
    // Direction: energy flows into the party for purchases and imports, out of it for sales.
    const bool inward = t.kind == kTxGridImport || t.kind == kTxUnmatchedImport || t.kind == kTxP2PBuy;
    if (t.energy_wh == 0 || (t.energy_wh > 0) != inward) return "energy " + std::to_string(t.energy_wh) + " Wh has the wrong sign for its kind";
    // The cap limits a member's transfer; the community's PV sale is its own generation.
    const int64_t magnitude = t.energy_wh < 0 ? -t.energy_wh : t.energy_wh;
    if (t.kind != kTxPvSell && magnitude > static_cast<int64_t>(k.energy_cap_wh_per_step))
        return std::to_string(magnitude) + " Wh in one step, above " + which + "'s cap of " + std::to_string(k.energy_cap_wh_per_step);
    if (k.type != kContractP2PMarket && k.price_mode == kPriceFixed && t.price_micro_per_kwh != k.fixed_price_micro_per_kwh)
        return "price " + std::to_string(t.price_micro_per_kwh) + " micro/kWh, " + which + " fixes " + std::to_string(k.fixed_price_micro_per_kwh);
    if (t.price_micro_per_kwh < k.price_floor_micro_per_kwh || t.price_micro_per_kwh > k.price_cap_micro_per_kwh)
        return "price " + std::to_string(t.price_micro_per_kwh) + " micro/kWh is outside " + which + "'s [" +
               std::to_string(k.price_floor_micro_per_kwh) + ", " + std::to_string(k.price_cap_micro_per_kwh) + "]";
    if (t.amount_micro != tx_amount_micro(t.energy_wh, t.price_micro_per_kwh))
        return "amount " + std::to_string(t.amount_micro) + " micro is not energy x price (" + std::to_string(tx_amount_micro(t.energy_wh, t.price_micro_per_kwh)) + ")";
    return "";
}

}  // namespace v2g
