// block.h: a block header of the run's hash chain: 176 bytes, little-endian, documented in
// docs/LEDGER.md. Block hash = SHA-256 of these bytes. Block 0 (genesis) commits the contract
// registry; block e + 1 commits episode e's transactions.
#pragma once
#include <cstddef>
#include <cstdint>
#include "ledger/transaction.h"

namespace v2g {

constexpr uint32_t kBlockMagic = 0x42473256u;  // "V2GB" read little-endian
constexpr uint32_t kBlockVersion = 1;
constexpr uint32_t kGenesisEpisode = 0xFFFFFFFFu;

struct BlockHeader {
    uint32_t magic;              // kBlockMagic
    uint32_t version;            // kBlockVersion
    uint64_t height;             // 0 = genesis
    uint8_t prev_hash[32];       // hash of block height - 1; zeros for genesis
    uint8_t tx_root[32];         // RFC 6962 root of the block's transactions
    uint8_t registry_root[32];   // RFC 6962 root of the contract registry (same in every block)
    uint8_t run_id[32];          // SHA-256 of the run's full config
    uint32_t episode;            // the episode it commits; kGenesisEpisode for genesis
    uint32_t steps;              // steps of that episode
    uint64_t tx_count;           // transactions committed
    uint64_t rejected;           // transfers rejected by their contracts in the episode
    uint32_t reserved;           // 0
    uint32_t check;              // FNV-1a of bytes 0..171: names a damaged header in `v2g verify`
};
static_assert(sizeof(BlockHeader) == 176, "block header is 176 bytes");
static_assert(offsetof(BlockHeader, check) == 172, "layout");

inline uint32_t header_check(const BlockHeader& h) {
    return fnv1a32(reinterpret_cast<const uint8_t*>(&h), offsetof(BlockHeader, check));
}

}  // namespace v2g
