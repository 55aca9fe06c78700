// episode_ledger.h: one episode's block content as a backend hands it to the chain
// (ledger_file.h): the root of its transactions, their count, and the records themselves when kept.
#pragma once
#include <cstdint>
#include <vector>
#include "ledger/transaction.h"

namespace v2g {

// One episode's block content as a backend produces it: the episode's transactions compacted
// in slot order (step, then vehicle, then PV) and numbered, hashed on the device that wrote
// them (RFC 6962 Merkle root), and copied to the host only when asked to keep them.
struct EpisodeLedger {
    uint8_t tx_root[32];
    uint64_t tx_count = 0;
    double commit_seconds = 0;               // compaction + hashing, wall time
    std::vector<Transaction> transactions;   // empty unless kept
};

}  // namespace v2g
