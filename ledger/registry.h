// registry.h: deploys the contract registry at genesis: one P2P market contract per community,
// then V2G-service contracts and charging tariffs, each covering a contiguous range of
// vehicles (the order contract_for() in contracts.h relies on).
#pragma once
#include <vector>
#include "ledger/contracts.h"

namespace v2g {

struct RegistryTerms {
    int contracts;                     // K, at least communities + 2
    int vehicles;
    int communities;
    int community_size;
    int32_t price_floor_micro_per_kwh;   // every contract's floor
    int32_t price_cap_micro_per_kwh;     // every contract's cap
    uint32_t energy_cap_wh_per_step;     // every contract's per-step energy cap
    uint32_t valid_from_episode;         // every contract's validity window [from, until)
    uint32_t valid_until_episode;
    int32_t charging_fixed_price_micro_per_kwh;  // < 0: charging tariffs are indexed to retail
};

struct Registry {
    std::vector<Contract> contracts;
    int v2g_first = 0, v2g_count = 0;
    int charging_first = 0, charging_count = 0;
};

// Throws std::invalid_argument when K is too small for the fleet.
Registry deploy_registry(const RegistryTerms& terms);

}  // namespace v2g
