// transaction_slots.h: the host's buffers for an episode's transaction slots and their used
// flags (FleetView::tx_slots, tx_used): sized for a problem, attached to a fleet view. The step
// phases write a slot only when its transfer happens and its flag every step; the compaction
// (backends/host_backend.h) reads the flags and copies the used slots in slot order.
#pragma once
#include <cstdint>
#include <vector>
#include "env/env_types.h"
#include "ledger/transaction.h"

namespace v2g {

struct TransactionSlots {
    std::vector<Transaction> records;  // [slot]: valid where used[slot] == 1
    std::vector<uint8_t> used;         // [slot]: 1 when that slot's transfer happened this episode

    size_t size() const { return used.size(); }

    // Room for every slot of an episode of p (none when p writes no ledger), and f pointed at it.
    void attach(const EnvParams& p, FleetView* f) {
        const size_t n = p.ledger_enabled ? static_cast<size_t>(slots_per_episode(p)) : 0;
        records.resize(n);
        used.assign(n, 0);
        f->tx_slots = n > 0 ? records.data() : nullptr;
        f->tx_used = n > 0 ? used.data() : nullptr;
    }
};

}  // namespace v2g
