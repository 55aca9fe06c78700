// transaction.h: the ledger's transaction record: 48 bytes, little-endian integers only, no
// floats, so every device writes and hashes the same bytes (docs/LEDGER.md has the layout).
// Records are written by the step phases (env/step.h) into per-vehicle slots, compacted
// in slot order, numbered, and hashed as Merkle leaves without leaving the device.
#pragma once
#include "common/hd.h"

namespace v2g {

enum TxKind : uint8_t {
    kTxNone = 0,               // an empty slot (never stored)
    kTxGridImport = 1,         // charge: grid -> vehicle
    kTxGridExport = 2,         // discharge: vehicle -> grid (V2G service)
    kTxP2PBuy = 3,             // vehicle bought in its community market
    kTxP2PSell = 4,            // vehicle sold in its community market
    kTxUnmatchedImport = 5,    // unmatched bid filled by the grid
    kTxUnmatchedExport = 6,    // unmatched offer sold to the grid
    kTxPvSell = 7,             // the community's PV sold in its market
};
constexpr uint8_t kTxKindMax = kTxPvSell;

constexpr uint32_t kPartyGrid = 0xFFFFFFFFu;      // counterparty: the grid operator
constexpr uint32_t kPartyCommunityPv = 0xFFFFFFFEu;  // vehicle field of a PV sale

// Field by field; the struct has no padding and x86/CUDA are little-endian, so its bytes are
// the documented record. static_asserts below pin the layout.
struct Transaction {
    uint32_t episode;
    uint32_t sequence;          // position in its block, set at compaction
    uint16_t step;
    uint8_t kind;               // TxKind
    uint8_t reserved;           // 0
    uint32_t vehicle;           // or kPartyCommunityPv
    uint32_t counterparty;      // kPartyGrid, or the community index for P2P legs
    uint32_t contract;          // id of the contract it executed under
    int64_t energy_wh;          // into the party (+) or out of it (-), at the meter
    int64_t amount_micro;       // paid by the party (+) or received (-), micro-currency units
    int32_t price_micro_per_kwh;// the price the contract applied
    uint32_t check;             // FNV-1a of bytes 0..43: names a damaged record in `v2g verify`
};
constexpr size_t kTransactionBytes = 48;  // one leaf of an episode's Merkle tree
static_assert(sizeof(Transaction) == kTransactionBytes, "transaction record is 48 bytes");
static_assert(offsetof(Transaction, energy_wh) == 24, "layout");
static_assert(offsetof(Transaction, check) == 44, "layout");

constexpr uint32_t kFnvOffset = 2166136261u;  // FNV-1a 32-bit (Fowler, Noll, Vo)
constexpr uint32_t kFnvPrime = 16777619u;
// FNV-1a over n bytes. Any change of one byte changes the result: each round (xor, then
// multiply by an odd number mod 2^32) is a bijection of the running value.
V2G_HD uint32_t fnv1a32(const uint8_t* b, size_t n) {
    uint32_t h = kFnvOffset;
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * kFnvPrime;
    return h;
}

// The record's check field: FNV-1a of every byte before it.
V2G_HD uint32_t tx_check(const Transaction& t) {
    return fnv1a32(reinterpret_cast<const uint8_t*>(&t), offsetof(Transaction, check));
}

// Sets the check field of n records, the same values as tx_check, four records at a time: one
// record's 44 rounds are a chain of dependent multiplies (~4 cycles each), so a record alone
// leaves the multiplier idle 3 cycles in 4; four independent chains keep it busy. The CPU
// compaction's dominant cost before (~60 ns per record on the development machine).
V2G_HD void seal_checks(Transaction* records, int64_t n) {
    constexpr int kChains = 4;
    constexpr size_t kCovered = offsetof(Transaction, check);
    int64_t i = 0;
    for (; i + kChains <= n; i += kChains) {
        uint32_t h[kChains];
        const uint8_t* b[kChains];
        for (int c = 0; c < kChains; ++c) {
            h[c] = kFnvOffset;
            b[c] = reinterpret_cast<const uint8_t*>(&records[i + c]);
        }
        for (size_t k = 0; k < kCovered; ++k)
            for (int c = 0; c < kChains; ++c) h[c] = (h[c] ^ b[c][k]) * kFnvPrime;
        for (int c = 0; c < kChains; ++c) records[i + c].check = h[c];
    }
    for (; i < n; ++i) records[i].check = tx_check(records[i]);
}

// Rounded to the nearest micro-unit, halves away from zero, in integers: every device agrees.
V2G_HD int64_t tx_amount_micro(int64_t energy_wh, int32_t price_micro_per_kwh) {
    const int64_t x = energy_wh * static_cast<int64_t>(price_micro_per_kwh);
    return x >= 0 ? (x + 500) / 1000 : -((-x + 500) / 1000);
}

// Nearest integer of a non-negative quantity (kWh -> Wh, currency -> micro), in double so a
// float's value is represented exactly before rounding.
V2G_HD int64_t round_to_int(double x) { return x >= 0 ? static_cast<int64_t>(x + 0.5) : -static_cast<int64_t>(-x + 0.5); }
constexpr double kWhPerKwh = 1000.0;
constexpr double kMicroPerUnit = 1.0e6;

}  // namespace v2g
