// layout.h: where every array of FleetView and SignalsView lives inside one flat buffer.
// The host builds the initial buffer; a backend copies it as one block (one cudaMemcpy on the
// GPU) and points a view into its own copy with the same function. The fleet's fields come from
// the lists in env_types.h, so the host image, the device image and the views cannot drift apart.
#pragma once
#include <cstddef>
#include "env/env_types.h"
#include "ledger/contracts.h"

namespace v2g {

struct LayoutCursor {
    char* base;       // nullptr while measuring
    size_t offset;
    static constexpr size_t kAlign = 256;  // a CUDA allocation's alignment: coalesced rows
    template <typename T>
    T* take(size_t count) {
        offset = (offset + kAlign - 1) / kAlign * kAlign;
        T* ptr = base ? reinterpret_cast<T*>(base + offset) : nullptr;
        offset += count * sizeof(T);
        return ptr;
    }
};

// The state part of the fleet buffer: every array of the lists in env_types.h, in order.
inline void take_fleet_state(const EnvParams& p, LayoutCursor& c, FleetView* f) {
    const size_t n = static_cast<size_t>(p.num_vehicles);
    const size_t nc = static_cast<size_t>(p.num_communities);
#define V2G_TAKE_PER_VEHICLE(type, name, elements) f->name = c.take<type>(n * (elements));
#define V2G_TAKE_PER_COMMUNITY(type, name, elements) f->name = c.take<type>(nc * (elements));
    V2G_VEHICLE_ARRAYS(V2G_TAKE_PER_VEHICLE)
    V2G_COMMUNITY_ARRAYS(V2G_TAKE_PER_COMMUNITY)
#undef V2G_TAKE_PER_VEHICLE
#undef V2G_TAKE_PER_COMMUNITY
    f->tx_slots = nullptr;  // the backend's own buffers
    f->tx_used = nullptr;
    f->plan = nullptr;
    f->step_record = nullptr;
}

// Points the state fields of *f into base, a copy of only the part before the Q-tables (the
// state_bytes of layout_fleet, as read_fleet(&state, state_bytes) gives it); no Q-tables.
inline void layout_fleet_state(const EnvParams& p, char* base, FleetView* f) {
    LayoutCursor c{base, 0};
    take_fleet_state(p, c, f);
    f->q = nullptr;
    f->q_bf16 = nullptr;
}

// Points every field of *f into base (or, with base == nullptr, only measures); returns bytes.
// *state_bytes (when given) receives the size of the part before the Q-tables.
inline size_t layout_fleet(const EnvParams& p, char* base, FleetView* f, size_t* state_bytes = nullptr) {
    LayoutCursor c{base, 0};
    const size_t q = static_cast<size_t>(num_q_tables(p)) * static_cast<size_t>(num_states(p)) * kNumActions;
    take_fleet_state(p, c, f);
    if (state_bytes) *state_bytes = c.offset;
    // Last: the bulk of the buffer, and a contiguous tail to copy.
    if (p.q_bf16) {
        f->q = nullptr;
        f->q_bf16 = c.take<uint16_t>(q);
    } else {
        f->q = c.take<float>(q);
        f->q_bf16 = nullptr;
    }
    return c.offset;
}

inline size_t layout_signals(const EnvParams& p, char* base, SignalsView* s) {
    LayoutCursor c{base, 0};
    const size_t n = static_cast<size_t>(p.signal_days) * static_cast<size_t>(p.steps_per_day);
    s->retail_price_per_kwh = c.take<float>(n);
    s->feed_in_price_per_kwh = c.take<float>(n);
    s->grid_load_kw = c.take<float>(n);
    s->dr_event = c.take<uint8_t>(n);
    s->price_level = c.take<uint8_t>(n);
    s->price_order = c.take<uint16_t>(n);
    s->pv_kw_per_kwp = c.take<float>(n);
    s->community_pv_kwp = c.take<float>(static_cast<size_t>(p.num_communities));
    s->community_limit_kw = c.take<float>(static_cast<size_t>(p.num_communities));
    s->contracts = c.take<Contract>(static_cast<size_t>(p.num_contracts));
    // Only a sessions table takes room (and alignment): without one the buffer is as before.
    s->session_table = p.session_days > 0 ? c.take<SessionRecord>(static_cast<size_t>(p.session_days) *
                                                                   static_cast<size_t>(p.num_vehicles))
                                          : nullptr;
    return c.offset;
}

// Mutable views for the host that builds the buffers (the kernels see const pointers).
struct SignalsHostView {
    float* retail_price_per_kwh;
    float* feed_in_price_per_kwh;
    float* grid_load_kw;
    uint8_t* dr_event;
    uint8_t* price_level;
    uint16_t* price_order;
    float* pv_kw_per_kwp;
    float* community_pv_kwp;
    float* community_limit_kw;
    Contract* contracts;
    SessionRecord* session_table;
};

inline SignalsHostView mutable_signals(const SignalsView& s) {
    return {const_cast<float*>(s.retail_price_per_kwh), const_cast<float*>(s.feed_in_price_per_kwh),
            const_cast<float*>(s.grid_load_kw), const_cast<uint8_t*>(s.dr_event),
            const_cast<uint8_t*>(s.price_level), const_cast<uint16_t*>(s.price_order),
            const_cast<float*>(s.pv_kw_per_kwp),
            const_cast<float*>(s.community_pv_kwp), const_cast<float*>(s.community_limit_kw),
            const_cast<Contract*>(s.contracts), const_cast<SessionRecord*>(s.session_table)};
}

}  // namespace v2g
