// device_memory.cpp: the CUDA backend's allocations (device_memory.h), from layout.h's sizes and
// the ledger's slot count.
#include "backends/device_memory.h"

#include <algorithm>
#include <stdexcept>
#include "env/episode_metrics.h"
#include "env/layout.h"
#include "env/row_sort.h"
#include "env/step.h"
#include "ledger/merkle.h"
#include "ledger/transaction.h"

namespace v2g {

uint64_t tx_slot_buffer_bytes(const EnvParams& p) {
    if (!p.ledger_enabled) return 0;
    const uint64_t slots = static_cast<uint64_t>(slots_per_episode(p));
    return std::max<uint64_t>(slots * sizeof(Transaction), ledger::merkle_scratch_bytes(slots));
}

int max_episodes_per_call(const EnvParams& p) {
    const uint64_t per_episode = static_cast<uint64_t>(p.num_communities) * sizeof(EpisodeMetrics);
    const uint64_t fit = per_episode > 0 ? kMaxCallMetricsBytes / per_episode : kMaxEpisodesPerCall;
    return static_cast<int>(std::clamp<uint64_t>(fit, 1, kMaxEpisodesPerCall));
}

std::vector<DeviceAllocation> device_memory_plan(const EnvParams& p, int episodes_per_call, uint64_t select_temp_bytes) {
    if (episodes_per_call <= 0) episodes_per_call = max_episodes_per_call(p);
    FleetView fleet{};
    SignalsView signals{};
    size_t state_bytes = 0;
    const uint64_t fleet_bytes = layout_fleet(p, nullptr, &fleet, &state_bytes);
    std::vector<DeviceAllocation> plan;
    plan.push_back({"fleet", fleet_bytes, "per-vehicle state (" + std::to_string(state_bytes) + " B) and Q-tables"});
    plan.push_back({"signals", layout_signals(p, nullptr, &signals), "prices, load, PV, DR events, contracts"});
    plan.push_back({"metrics",
                    static_cast<uint64_t>(p.num_communities) * static_cast<uint64_t>(episodes_per_call) *
                        sizeof(EpisodeMetrics),
                    "one EpisodeMetrics per community per episode, " + std::to_string(episodes_per_call) +
                        (episodes_per_call == 1 ? " episode" : " episodes") + " per call"});
    if (p.q_sharing == kQPerFleet)
        plan.push_back({"market sums",
                        static_cast<uint64_t>(p.num_communities) * kNumCommunitySums * sizeof(float),
                        "the fleet-shared schedule's per-community sums"});
    if (p.q_sharing == kQPerFleet) {  // the update's counting sort (env/row_sort.h)
        const uint64_t keys = static_cast<uint64_t>(row_sort_keys(p));
        const int tiles = row_sort_tiles(p, p.num_vehicles);
        plan.push_back({"row sort counts", static_cast<uint64_t>(tiles) * keys * sizeof(int),
                        "the fleet-shared update's sort: " + std::to_string(tiles) + " tiles x " +
                            std::to_string(keys) + " keys of counts"});
        plan.push_back({"row sort starts", (keys + 1) * sizeof(int), "where each key's vehicles begin"});
        plan.push_back({"row sort order", static_cast<uint64_t>(p.num_vehicles) * sizeof(int),
                        "the vehicles sorted by state, each step"});
    }
    if (p.ledger_enabled) {
        const uint64_t slots = static_cast<uint64_t>(slots_per_episode(p));
        plan.push_back({"tx slots", tx_slot_buffer_bytes(p),
                        std::to_string(slots) + " transaction slots of an episode, then its Merkle levels"});
        plan.push_back({"tx used", slots * sizeof(uint8_t),
                        "one byte per slot: 1 where its transfer happened (only those slots are written)"});
        plan.push_back({"transactions", slots * sizeof(Transaction),
                        "the compacted transactions (room for every slot: the count is known on the device only)"});
        if (select_temp_bytes > 0)
            plan.push_back({"compaction scratch", select_temp_bytes, "CUB DeviceSelect's temporary storage"});
        plan.push_back({"commit result", sizeof(DeviceCommitResult), "the root and the count the host reads"});
    }
    return plan;
}

uint64_t device_memory_total(const std::vector<DeviceAllocation>& plan) {
    uint64_t total = 0;
    for (const DeviceAllocation& a : plan) total += a.bytes;
    return total;
}

uint64_t device_allocation_bytes(const std::vector<DeviceAllocation>& plan, const std::string& name) {
    for (const DeviceAllocation& a : plan)
        if (a.name == name) return a.bytes;
    throw std::logic_error("device memory plan: no allocation named '" + name + "'");
}

}  // namespace v2g
