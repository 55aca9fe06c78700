// phase_traffic.h: the bytes each stage of a training step moves, counted field by field. The
// tables below are the one place that says which FleetView arrays each phase of step.h reads
// and writes; `v2g bench` (perf/bench.cpp) turns them into bandwidths and bounds, and
// tests/test_bench.cpp checks them against a hand count. Whoever changes what a phase touches
// in step.h changes its table here.
//
// Counting rules (docs/PERFORMANCE.md, "v2g bench"):
// - Every distinct array element a phase reads counts once per invocation, every element it
//   writes counts once more (a read-modify-write counts twice). An element many items read (a
//   community's market price, read by each of its vehicles) counts once: this is the traffic of
//   the phase if nothing were in cache when it started, i.e. what a phase streaming over a
//   fleet far larger than the caches must move.
// - A phase's fields are those of its full path: a plugged-in vehicle that trades. Arrays are
//   struct-of-arrays and ~16 vehicles share a 64-byte line, so a field some vehicles of a line
//   touch is fetched for all of them.
// - Not counted: counters touched only on rare events (ep_rejected when a contract rejects a
//   transfer, ep_safety_overrides when the safety layer overrides, ep_limit_steps when the
//   connection limit cuts, a pack replacement's writes), and the read-only tables the whole fleet shares (signal series, contracts,
//   EnvParams: a few KB, resident in cache).
// - Q rows: act reads the row of the state (kNumActions floats); learn reads and writes Q(s, a)
//   and reads the row of the next state. On the GPU each costs the 32-byte sectors it touches
//   (kGpuSectorBytes, use_bytes): `v2g bench --device cuda` counts so.
// - Element sizes come from the FleetView member types, so a change of type changes the count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <utility>
#include "env/env_types.h"
#include "env/schedule.h"
#include "ledger/transaction.h"

namespace v2g {

// The phases (kPhase*, kNumPhases) are schedule.h's.
enum class Scope : uint8_t { kVehicle, kCommunity };  // one element per vehicle, or per community
// ledger on; deadline_levels > 1; the safety layer on or deadline_levels > 1; battery.aging
// = day; battery.aging = lifetime
enum class When : uint8_t { kAlways, kLedger, kDeadline, kSafetyOrDeadline, kDayAging, kLifetime };

struct FieldUse {
    const char* field;     // FleetView member (or "q" / "tx_used")
    size_t element_bytes;  // sizeof one element
    int elements;          // elements per vehicle or per community
    Scope scope;
    When when;
    int reads;             // 1: read
    int writes;            // 1: written
};

#define V2G_FLEET_ELEMENT(name) #name, sizeof(*std::declval<const FleetView&>().name)
#define V2G_READ(name, scope) {V2G_FLEET_ELEMENT(name), 1, Scope::scope, When::kAlways, 1, 0}
#define V2G_WRITE(name, scope) {V2G_FLEET_ELEMENT(name), 1, Scope::scope, When::kAlways, 0, 1}
#define V2G_UPDATE(name, scope) {V2G_FLEET_ELEMENT(name), 1, Scope::scope, When::kAlways, 1, 1}
#define V2G_IF(when_, name, scope, r, w) {V2G_FLEET_ELEMENT(name), 1, Scope::scope, When::when_, r, w}

// reset_vehicle (draw_session reads no fleet array) and reset_community.
inline constexpr FieldUse kResetFields[] = {
    V2G_READ(capacity_kwh, kVehicle), V2G_IF(kLifetime, soh, kVehicle, 1, 0),
    V2G_IF(kDayAging, soh, kVehicle, 0, 1), V2G_IF(kDayAging, calendar_loss, kVehicle, 0, 1),
    V2G_IF(kDayAging, cycle_loss, kVehicle, 0, 1), V2G_IF(kDayAging, throughput_ah, kVehicle, 0, 1),
    V2G_UPDATE(energy_kwh, kVehicle), V2G_READ(charge_kw, kVehicle), V2G_READ(eta_charge, kVehicle),
    V2G_WRITE(usable_kwh, kVehicle), V2G_WRITE(arrival_step, kVehicle), V2G_WRITE(departure_step, kVehicle),
    V2G_WRITE(trip_kwh, kVehicle), V2G_WRITE(required_kwh, kVehicle), V2G_WRITE(soc_low_today, kVehicle),
    V2G_WRITE(soc_high_today, kVehicle),
    // every entry of the day's sums is written (zeroed or set)
#define V2G_RESET_WRITES(type, name, elements) {V2G_FLEET_ELEMENT(name), elements, Scope::kVehicle, When::kAlways, 0, 1},
    V2G_VEHICLE_STEP_SUMS(V2G_RESET_WRITES) V2G_VEHICLE_DAY_START(V2G_RESET_WRITES) V2G_VEHICLE_LEDGER_SUMS(V2G_RESET_WRITES)
#undef V2G_RESET_WRITES
#define V2G_RESET_WRITES(type, name, elements) {V2G_FLEET_ELEMENT(name), elements, Scope::kCommunity, When::kAlways, 0, 1},
    V2G_COMMUNITY_DAY_SUMS(V2G_RESET_WRITES)
#undef V2G_RESET_WRITES
};

// act_vehicle in a learning episode: plugged_in, tabular_state (slack_level with deadlines),
// choose_action on the state's Q row, the safety layer (safe_action), request_transfer.
inline constexpr FieldUse kActFields[] = {
    V2G_READ(arrival_step, kVehicle), V2G_READ(departure_step, kVehicle), V2G_READ(energy_kwh, kVehicle),
    V2G_READ(usable_kwh, kVehicle), V2G_READ(charge_kw, kVehicle), V2G_READ(eta_charge, kVehicle),
    V2G_READ(discharge_kw, kVehicle), V2G_READ(eta_discharge, kVehicle),
    V2G_IF(kSafetyOrDeadline, required_kwh, kVehicle, 1, 0),
    {"q", sizeof(float), kNumActions, Scope::kVehicle, When::kAlways, 1, 0},  // the state's row
    V2G_WRITE(state, kVehicle), V2G_WRITE(action, kVehicle), V2G_WRITE(forced, kVehicle),
    V2G_WRITE(grid_kwh, kVehicle), V2G_WRITE(offer_kwh, kVehicle), V2G_WRITE(bid_kwh, kVehicle),
};

// clear_community: the community's offers, bids and grid requests summed in vehicle order, the
// market's outcome, the connection limit's shares, its PV sale and (ledger on) the PV leg's
// slot and sums.
inline constexpr FieldUse kMarketFields[] = {
    V2G_READ(offer_kwh, kVehicle), V2G_READ(bid_kwh, kVehicle), V2G_READ(grid_kwh, kVehicle), V2G_READ(forced, kVehicle),
    V2G_WRITE(market_price_per_kwh, kCommunity), V2G_WRITE(market_sell_ratio, kCommunity),
    V2G_WRITE(market_buy_ratio, kCommunity), V2G_WRITE(market_pv_kwh, kCommunity),
    V2G_WRITE(grid_import_share, kCommunity), V2G_WRITE(grid_forced_share, kCommunity),
    V2G_WRITE(grid_export_share, kCommunity),
    V2G_UPDATE(ep_pv_sold_kwh, kCommunity), V2G_UPDATE(ep_market_loss_kwh, kCommunity),
    {"tx_used", sizeof(uint8_t), 1, Scope::kCommunity, When::kLedger, 0, 1},  // the PV leg's flag
    V2G_IF(kLedger, ep_pv_ledger_wh, kCommunity, 1, 1), V2G_IF(kLedger, ep_pv_ledger_micro, kCommunity, 1, 1),
    V2G_IF(kLedger, ep_pv_tx_count, kCommunity, 1, 1), V2G_IF(kLedger, ep_pv_tx_latency_steps, kCommunity, 1, 1),
};

// apply_vehicle: energy within the connection limit's shares, money, the two ledger legs,
// degradation, departure, sums, reward and the next state (tabular_state again: slack_level with
// deadlines).
inline constexpr FieldUse kApplyFields[] = {
    V2G_READ(grid_kwh, kVehicle), V2G_READ(bid_kwh, kVehicle), V2G_READ(offer_kwh, kVehicle), V2G_READ(forced, kVehicle),
    V2G_READ(market_price_per_kwh, kCommunity), V2G_READ(market_buy_ratio, kCommunity),
    V2G_READ(market_sell_ratio, kCommunity), V2G_READ(grid_import_share, kCommunity),
    V2G_READ(grid_forced_share, kCommunity), V2G_READ(grid_export_share, kCommunity),
    V2G_READ(eta_charge, kVehicle), V2G_READ(eta_discharge, kVehicle),
    V2G_IF(kLifetime, pack_age_offset_days, kVehicle, 1, 0),
    V2G_READ(usable_kwh, kVehicle), V2G_UPDATE(energy_kwh, kVehicle), V2G_READ(capacity_kwh, kVehicle),
    V2G_UPDATE(soc_low_today, kVehicle), V2G_UPDATE(soc_high_today, kVehicle), V2G_UPDATE(throughput_ah, kVehicle),
    V2G_UPDATE(calendar_loss, kVehicle), V2G_UPDATE(cycle_loss, kVehicle), V2G_UPDATE(soh, kVehicle),
    V2G_READ(state, kVehicle), V2G_READ(departure_step, kVehicle), V2G_READ(required_kwh, kVehicle),
    V2G_IF(kDeadline, charge_kw, kVehicle, 1, 0),
    V2G_UPDATE(ep_energy_cost, kVehicle), V2G_UPDATE(ep_revenue, kVehicle), V2G_UPDATE(ep_degradation_cost, kVehicle),
    V2G_UPDATE(ep_unmet_penalty, kVehicle), V2G_UPDATE(ep_unmet_kwh, kVehicle),
    V2G_UPDATE(ep_grid_import_kwh, kVehicle), V2G_UPDATE(ep_grid_export_kwh, kVehicle),
    V2G_UPDATE(ep_p2p_bought_kwh, kVehicle), V2G_UPDATE(ep_p2p_sold_kwh, kVehicle),
    V2G_UPDATE(ep_conversion_loss_kwh, kVehicle), V2G_UPDATE(ep_curtailed_kwh, kVehicle),
    V2G_WRITE(reward, kVehicle), V2G_WRITE(next_state, kVehicle),
    {"tx_used", sizeof(uint8_t), 2, Scope::kVehicle, When::kLedger, 0, 1},  // the two legs' flags
    V2G_IF(kLedger, ep_ledger_wh, kVehicle, 1, 1), V2G_IF(kLedger, ep_ledger_micro, kVehicle, 1, 1),
    V2G_IF(kLedger, ep_tx_count, kVehicle, 1, 1), V2G_IF(kLedger, ep_tx_latency_steps, kVehicle, 1, 1),
};

// learn_vehicle: the transition, Q(s, a) updated, the next state's row for the bootstrap.
inline constexpr FieldUse kLearnFields[] = {
    V2G_READ(state, kVehicle), V2G_READ(action, kVehicle), V2G_READ(reward, kVehicle),
    V2G_READ(next_state, kVehicle),
    {"q", sizeof(float), 1, Scope::kVehicle, When::kAlways, 1, 1},            // Q(s, a)
    {"q", sizeof(float), kNumActions, Scope::kVehicle, When::kAlways, 1, 0},  // the next state's row
};

// summarize_community: every episode sum of its vehicles, SoC and SoH, the market's sums, and
// the community's EpisodeMetrics written out.
inline constexpr FieldUse kSummarizeFields[] = {
    V2G_READ(ep_revenue, kVehicle), V2G_READ(ep_energy_cost, kVehicle), V2G_READ(ep_degradation_cost, kVehicle),
    V2G_READ(ep_unmet_penalty, kVehicle), V2G_READ(ep_unmet_kwh, kVehicle), V2G_READ(ep_grid_import_kwh, kVehicle),
    V2G_READ(ep_grid_export_kwh, kVehicle), V2G_READ(ep_p2p_bought_kwh, kVehicle),
    V2G_READ(ep_p2p_sold_kwh, kVehicle), V2G_READ(ep_conversion_loss_kwh, kVehicle),
    V2G_READ(ep_en_route_cost, kVehicle), V2G_READ(ep_en_route_kwh, kVehicle), V2G_READ(ep_curtailed_kwh, kVehicle),
    V2G_READ(ep_safety_overrides, kVehicle), V2G_READ(ep_pack_replaced, kVehicle),
    V2G_READ(energy_kwh, kVehicle), V2G_READ(usable_kwh, kVehicle), V2G_READ(soh, kVehicle),
    V2G_READ(ep_tx_count, kVehicle), V2G_READ(ep_tx_latency_steps, kVehicle), V2G_READ(ep_ledger_wh, kVehicle),
    V2G_READ(ep_ledger_micro, kVehicle),
    {V2G_FLEET_ELEMENT(ep_rejected), kNumRejectReasons, Scope::kVehicle, When::kAlways, 1, 0},
    V2G_READ(ep_pv_sold_kwh, kCommunity), V2G_READ(ep_market_loss_kwh, kCommunity), V2G_READ(ep_limit_steps, kCommunity),
    V2G_READ(ep_pv_tx_count, kCommunity), V2G_READ(ep_pv_tx_latency_steps, kCommunity),
    V2G_READ(ep_pv_ledger_wh, kCommunity), V2G_READ(ep_pv_ledger_micro, kCommunity),
    // the community's EpisodeMetrics (step.h), written once
    {"metrics", 0, 1, Scope::kCommunity, When::kAlways, 0, 1},
};

#undef V2G_IF
#undef V2G_UPDATE
#undef V2G_WRITE
#undef V2G_READ
#undef V2G_FLEET_ELEMENT

struct Traffic {
    int64_t read_bytes = 0;
    int64_t write_bytes = 0;
    int64_t total() const { return read_bytes + write_bytes; }
};

// The fields of a phase.
inline std::pair<const FieldUse*, size_t> phase_fields(Phase phase) {
    switch (phase) {
        case kPhaseReset: return {kResetFields, sizeof kResetFields / sizeof kResetFields[0]};
        case kPhaseAct: return {kActFields, sizeof kActFields / sizeof kActFields[0]};
        case kPhaseMarket: return {kMarketFields, sizeof kMarketFields / sizeof kMarketFields[0]};
        case kPhaseApply: return {kApplyFields, sizeof kApplyFields / sizeof kApplyFields[0]};
        case kPhaseLearn: return {kLearnFields, sizeof kLearnFields / sizeof kLearnFields[0]};
        default: return {kSummarizeFields, sizeof kSummarizeFields / sizeof kSummarizeFields[0]};
    }
}

inline bool field_applies(const EnvParams& p, const FieldUse& u) {
    switch (u.when) {
        case When::kAlways: return true;
        case When::kLedger: return p.ledger_enabled != 0;
        case When::kDeadline: return p.deadline_levels > 1;
        case When::kSafetyOrDeadline: return p.safety_layer != 0 || p.deadline_levels > 1;
        case When::kDayAging: return p.lifetime_aging == 0;
        case When::kLifetime: return p.lifetime_aging != 0;
    }
    return false;
}

// Bytes one element of a use occupies ("metrics" is an EpisodeMetrics, defined in step.h,
// which this header does not include: the caller passes its size).
// The unit a device's memory moves for a scattered access (a Q row: each vehicle's state picks
// its own). kElementGranule counts the bytes of the elements, as the CPU model does (its
// fleet streams, and a hot Q row is often still in cache); the GPU's L2 and DRAM move 32-byte
// sectors, so there a scattered access costs every sector it touches: a 20-byte float32 Q row
// at a 20-byte stride touches 1.5 sectors on average (48 B), a 4-byte Q(s, a) one (32 B).
constexpr int64_t kElementGranule = 0;
constexpr int64_t kGpuSectorBytes = 32;

// Mean bytes moved, in whole granules, by an access of `bytes` at the start of row k of a table
// of rows `stride` bytes apart (the table aligned to the granule), over the rows' pattern: rows
// repeat their place in a granule every granule / gcd(stride, granule) rows. Rounded down.
inline int64_t scattered_access_bytes(int64_t bytes, int64_t stride, int64_t granule) {
    if (granule <= 0) return bytes;
    const int64_t period = granule / std::gcd(stride, granule);
    int64_t units = 0;
    for (int64_t k = 0; k < period; ++k) {
        const int64_t begin = k * stride, end = begin + bytes;
        units += (end + granule - 1) / granule - begin / granule;
    }
    return units * granule / period;
}

// Q-values are float32 or, with learning.q_precision = "bf16", 2-byte bfloat16. A Q access at a
// coarser granule than its elements costs the granules it touches (scattered_access_bytes).
inline int64_t use_bytes(const EnvParams& p, const FieldUse& u, size_t metrics_bytes, int64_t granule = kElementGranule) {
    const bool q = std::strcmp(u.field, "q") == 0;
    const size_t element = q && p.q_bf16 ? sizeof(uint16_t) : u.element_bytes ? u.element_bytes : metrics_bytes;
    const int64_t bytes = static_cast<int64_t>(element) * u.elements;
    if (!q || granule <= 0) return bytes;
    const int64_t row = static_cast<int64_t>(element) * kNumActions;
    // A whole row, or one Q(s, a): the mean over the actions' places in the row is the place of
    // the first action, as one element never straddles a granule (elements are aligned).
    return scattered_access_bytes(bytes, row, granule);
}

// Bytes one invocation of a phase over the whole fleet moves: one step for act, market, apply
// and learn; one episode for reset and summarize.
// `granule`: kElementGranule (the CPU model) or kGpuSectorBytes (use_bytes).
inline Traffic phase_traffic(const EnvParams& p, Phase phase, size_t metrics_bytes,
                             int64_t granule = kElementGranule) {
    Traffic t;
    const auto [fields, count] = phase_fields(phase);
    for (size_t i = 0; i < count; ++i) {
        const FieldUse& u = fields[i];
        if (!field_applies(p, u)) continue;
        const int64_t items = u.scope == Scope::kVehicle ? p.num_vehicles : p.num_communities;
        const int64_t bytes = items * use_bytes(p, u, metrics_bytes, granule);
        t.read_bytes += u.reads * bytes;
        t.write_bytes += u.writes * bytes;
    }
    return t;
}

// The compaction of one episode's slots (cpu_backend.cpp compact_transactions): the first pass
// sums every slot's used flag (a byte each; the second pass reads them again from cache), the
// second reads each used slot's record and writes it out. Only the used slots were written by
// the step (their records are counted with the episode: emission_traffic).
inline Traffic compaction_traffic(int64_t slots, int64_t transactions) {
    Traffic t;
    const int64_t record = static_cast<int64_t>(sizeof(Transaction));
    t.read_bytes = slots * static_cast<int64_t>(sizeof(uint8_t)) + transactions * record;
    t.write_bytes = transactions * record;
    return t;
}

// The records the step phases write into the used slots of an episode: one per transaction. A
// phase's field list cannot count them (they depend on how many transfers happen), so they are
// counted per episode, beside the compaction, not in apply's or the market's bytes per step.
inline Traffic emission_traffic(int64_t transactions) {
    Traffic t;
    t.write_bytes = transactions * static_cast<int64_t>(sizeof(Transaction));
    return t;
}

// SHA-256 blocks of one message of `bytes` bytes: the message, the 0x80 byte and the 8-byte
// length, padded to 64-byte blocks.
constexpr int64_t kShaBlockBytes = 64;
constexpr int64_t kShaPaddingBytes = 1 + 8;
inline int64_t sha256_blocks(int64_t bytes) { return (bytes + kShaPaddingBytes + kShaBlockBytes - 1) / kShaBlockBytes; }

constexpr int64_t kDigestBytes = 32;
constexpr int64_t kLeafPrefixBytes = 1;   // RFC 6962: 0x00 || record
constexpr int64_t kNodePrefixBytes = 1;   // RFC 6962: 0x01 || left || right

struct MerkleWork {
    Traffic traffic;
    int64_t compressions = 0;  // SHA-256 block compressions
};

// A level-by-level root of n records of leaf_bytes (ledger/merkle.cpp merkle_root_fixed): the
// leaves read and their digests written; every level reads its pairs and writes their parents,
// and an odd last node is copied up.
inline MerkleWork merkle_work(int64_t n, int64_t leaf_bytes) {
    MerkleWork w;
    if (n <= 0) return w;
    w.traffic.read_bytes = n * leaf_bytes;
    w.traffic.write_bytes = n * kDigestBytes;
    w.compressions = n * sha256_blocks(kLeafPrefixBytes + leaf_bytes);
    for (int64_t m = n; m > 1; m = m / 2 + m % 2) {
        const int64_t pairs = m / 2;
        w.traffic.read_bytes += pairs * 2 * kDigestBytes;
        w.traffic.write_bytes += pairs * kDigestBytes;
        w.compressions += pairs * sha256_blocks(kNodePrefixBytes + 2 * kDigestBytes);
        if (m % 2 == 1) {
            w.traffic.read_bytes += kDigestBytes;
            w.traffic.write_bytes += kDigestBytes;
        }
    }
    return w;
}

// The fused loop (CPU backend, run_episodes) keeps a community's state in cache for a whole
// episode, so per episode each field any phase touches is read once (if some phase reads it)
// and written once (if some phase writes it); the Q rows and the transaction slots are
// touched afresh every step (counted as every phase counts them); then the compaction and
// the Merkle root of the episode's transactions.
inline Traffic fused_episode_traffic(const EnvParams& p, size_t metrics_bytes, int64_t transactions,
                                     int64_t granule = kElementGranule) {
    Traffic t;
    struct Seen { const char* field; Scope scope; int reads, writes; int64_t bytes; };
    constexpr int kMaxFields = 128;
    Seen seen[kMaxFields];
    int n_seen = 0;
    const int64_t steps = p.steps_per_day;
    for (int ph = 0; ph < kNumPhases; ++ph) {
        const auto [fields, count] = phase_fields(static_cast<Phase>(ph));
        const bool per_step = ph != kPhaseReset && ph != kPhaseSummarize;
        for (size_t i = 0; i < count; ++i) {
            const FieldUse& u = fields[i];
            if (!field_applies(p, u)) continue;
            const int64_t items = u.scope == Scope::kVehicle ? p.num_vehicles : p.num_communities;
            const int64_t bytes = items * use_bytes(p, u, metrics_bytes, granule);
            const bool fresh_each_step = std::strcmp(u.field, "q") == 0;
            const bool slots = std::strcmp(u.field, "tx_used") == 0;
            if (fresh_each_step || slots) {  // Q rows and slot flags: as the phase counts them
                t.read_bytes += u.reads * bytes * (per_step ? steps : 1);
                t.write_bytes += u.writes * bytes * (per_step ? steps : 1);
                continue;
            }
            int k = 0;
            while (k < n_seen && !(seen[k].scope == u.scope && std::strcmp(seen[k].field, u.field) == 0)) ++k;
            if (k == n_seen) {
                if (n_seen == kMaxFields) continue;  // cannot happen: FleetView has fewer arrays
                seen[n_seen++] = {u.field, u.scope, 0, 0, bytes};
            }
            seen[k].reads |= u.reads;
            seen[k].writes |= u.writes;
        }
    }
    for (int k = 0; k < n_seen; ++k) {
        t.read_bytes += seen[k].reads * seen[k].bytes;
        t.write_bytes += seen[k].writes * seen[k].bytes;
    }
    if (p.ledger_enabled) {
        const Traffic c = compaction_traffic(slots_per_episode(p), transactions);
        const Traffic w = emission_traffic(transactions);
        const MerkleWork m = merkle_work(transactions, static_cast<int64_t>(sizeof(Transaction)));
        t.read_bytes += c.read_bytes + w.read_bytes + m.traffic.read_bytes;
        t.write_bytes += c.write_bytes + w.write_bytes + m.traffic.write_bytes;
    }
    return t;
}

}  // namespace v2g
