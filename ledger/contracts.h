// contracts.h: smart contracts as the step phases see them: a fixed 48-byte record per
// contract (the registry committed in the genesis block) and the check every energy transfer
// passes before it executes. Each transfer is governed by exactly one contract, found by
// contract_for() (env/contract_legs.h): its community's P2P market contract for P2P legs, the vehicle's V2G-service
// contract for exports, its charging tariff for imports. A transfer that breaks the terms is
// rejected (nothing moves, nothing is paid) and counted by reason.
#pragma once
#include "common/hd.h"

namespace v2g {

enum ContractType : uint8_t {
    kContractP2PMarket = 1,       // a community's market: parties = its members
    kContractV2GService = 2,      // exports to the grid (DR tariff during events, else feed-in)
    kContractChargingTariff = 3,  // imports from the grid
};

enum PriceMode : uint8_t {
    kPriceIndexed = 0,  // the step's price (retail, export tariff, or market clearing price)
    kPriceFixed = 1,    // fixed_price_micro_per_kwh (not for P2P markets)
};

enum RejectReason : uint8_t {
    kAccepted = 0,
    kRejectEnergyCap = 1,   // more energy in one step than the contract allows
    kRejectValidity = 2,    // the episode is outside the contract's validity window
    kRejectPrice = 3,       // the applicable price is below the floor or above the cap
    kRejectParty = 4,       // the vehicle is not a party to the contract
};
constexpr int kNumRejectReasons = 5;  // index 0 (accepted) unused in counts

struct Contract {
    uint32_t id;                        // = its index in the registry
    uint8_t type;                       // ContractType
    uint8_t price_mode;                 // PriceMode
    uint16_t reserved;                  // 0
    uint32_t party_first;               // vehicles party_first..party_last (V2G, charging)
    uint32_t party_last;
    uint32_t community;                 // P2P: the community whose market it governs
    int32_t fixed_price_micro_per_kwh;
    int32_t price_floor_micro_per_kwh;
    int32_t price_cap_micro_per_kwh;
    uint32_t energy_cap_wh_per_step;
    uint32_t valid_from_episode;        // validity: [from, until)
    uint32_t valid_until_episode;
    uint32_t reserved2;                 // 0
};
static_assert(sizeof(Contract) == 48, "contract record is 48 bytes");

V2G_HD int32_t contract_price(const Contract& k, int32_t indexed_price_micro_per_kwh) {
    return k.price_mode == kPriceFixed ? k.fixed_price_micro_per_kwh : indexed_price_micro_per_kwh;
}

V2G_HD int check_contract(const Contract& k, int vehicle, int community, int episode, int64_t energy_wh,
                          int32_t price_micro_per_kwh) {
    const uint32_t e = static_cast<uint32_t>(episode), v = static_cast<uint32_t>(vehicle);
    if (e < k.valid_from_episode || e >= k.valid_until_episode) return kRejectValidity;
    const bool party = k.type == kContractP2PMarket ? static_cast<uint32_t>(community) == k.community
                                                    : v >= k.party_first && v <= k.party_last;
    if (!party) return kRejectParty;
    if (price_micro_per_kwh < k.price_floor_micro_per_kwh || price_micro_per_kwh > k.price_cap_micro_per_kwh)
        return kRejectPrice;
    const int64_t magnitude = energy_wh < 0 ? -energy_wh : energy_wh;
    if (magnitude > static_cast<int64_t>(k.energy_cap_wh_per_step)) return kRejectEnergyCap;
    return kAccepted;
}

V2G_HD int32_t to_micro_per_kwh(float price_per_kwh) {
    const double x = static_cast<double>(price_per_kwh) * 1.0e6;
    return static_cast<int32_t>(x >= 0 ? x + 0.5 : x - 0.5);
}

}  // namespace v2g
