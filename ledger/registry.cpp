// registry.cpp: see registry.h.
#include "ledger/registry.h"

#include <stdexcept>
#include <string>

namespace v2g {

Registry deploy_registry(const RegistryTerms& t) {
    const int tariffs = t.contracts - t.communities;
    if (tariffs < 2)
        throw std::invalid_argument("ledger.contracts = " + std::to_string(t.contracts) + ": need at least " +
                                    std::to_string(t.communities + 2) + " (one P2P market per community, " +
                                    "plus at least one V2G-service contract and one charging tariff)");
    Registry r;
    r.v2g_first = t.communities;
    r.v2g_count = std::min(tariffs / 2, t.vehicles);
    r.charging_first = r.v2g_first + r.v2g_count;
    r.charging_count = std::min(tariffs - tariffs / 2, t.vehicles);
    const int deployed = r.charging_first + r.charging_count;
    r.contracts.resize(static_cast<size_t>(deployed));
    const uint64_t n = static_cast<uint64_t>(t.vehicles);
    for (int id = 0; id < deployed; ++id) {
        Contract k = {};
        k.id = static_cast<uint32_t>(id);
        k.price_mode = kPriceIndexed;
        k.price_floor_micro_per_kwh = t.price_floor_micro_per_kwh;
        k.price_cap_micro_per_kwh = t.price_cap_micro_per_kwh;
        k.energy_cap_wh_per_step = t.energy_cap_wh_per_step;
        k.valid_from_episode = t.valid_from_episode;
        k.valid_until_episode = t.valid_until_episode;
        k.community = 0xFFFFFFFFu;
        if (id < t.communities) {
            k.type = kContractP2PMarket;
            k.community = static_cast<uint32_t>(id);
            k.party_first = static_cast<uint32_t>(id * t.community_size);
            k.party_last = static_cast<uint32_t>(std::min((id + 1) * t.community_size, t.vehicles) - 1);
        } else {
            const bool v2g = id < r.charging_first;
            const uint64_t j = static_cast<uint64_t>(id - (v2g ? r.v2g_first : r.charging_first));
            const uint64_t count = static_cast<uint64_t>(v2g ? r.v2g_count : r.charging_count);
            k.type = v2g ? kContractV2GService : kContractChargingTariff;
            if (!v2g && t.charging_fixed_price_micro_per_kwh >= 0) {
                k.price_mode = kPriceFixed;
                k.fixed_price_micro_per_kwh = t.charging_fixed_price_micro_per_kwh;
            }
            // The vehicles v with v * count / n == j, i.e. ceil(j n / count) .. ceil((j+1) n / count) - 1.
            k.party_first = static_cast<uint32_t>((j * n + count - 1) / count);
            k.party_last = static_cast<uint32_t>(((j + 1) * n + count - 1) / count - 1);
        }
        r.contracts[static_cast<size_t>(id)] = k;
    }
    return r;
}

}  // namespace v2g
