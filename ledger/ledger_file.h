// ledger_file.h: the run's chain on disk (until results move to HDF5), its writer, reader and
// verifier. File: a 32-byte file header, the contract registry, then per block its header, the
// number of transactions stored with it (all of them, or 0), and those records
// (docs/LEDGER.md). The writer appends and flushes block by block, so a killed run leaves a
// readable prefix.
#pragma once
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>
#include "ledger/block.h"
#include "ledger/episode_ledger.h"
#include "ledger/contracts.h"
#include "ledger/merkle.h"
#include "ledger/signature.h"

namespace v2g {

using ledger::Digest;

// A file that is not a v2g ledger, or a version this build cannot read: bad input (exit 2).
struct LedgerFormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Digest block_hash(const BlockHeader& h);
Digest registry_root(const std::vector<Contract>& contracts);

class LedgerWriter {
public:
    // Creates the file and writes the registry and the genesis block; an empty path keeps the
    // chain in memory only (headers are still built and hashed). Throws std::runtime_error
    // naming the path when it cannot be written.
    // With `resume_tip`, the chain continues from that header (no genesis is written).
    LedgerWriter(const std::string& path, const std::vector<Contract>& contracts, const Digest& run_id,
                 const BlockHeader* resume_tip = nullptr);
    ~LedgerWriter();
    LedgerWriter(const LedgerWriter&) = delete;
    LedgerWriter& operator=(const LedgerWriter&) = delete;
    // Appends the block of `episode`; its transactions are stored when `block.transactions`
    // holds them. Returns the new block's header.
    const BlockHeader& append(int episode, int steps, uint64_t rejected, const EpisodeLedger& block);
    void flush();
    const BlockHeader& tip() const { return tip_; }
    Digest tip_hash() const { return block_hash(tip_); }

private:
    void write_block(const BlockHeader& h, const std::vector<Transaction>& txs);
    std::string path_;
    std::FILE* file_ = nullptr;
    BlockHeader tip_{};
    Digest registry_root_{};
    Digest run_id_{};
};

struct LedgerData {
    std::vector<Contract> contracts;
    std::vector<BlockHeader> blocks;
    std::vector<std::vector<Transaction>> transactions;  // per block; empty when not stored
    std::vector<bool> stored;                            // per block: transactions stored
    std::string truncated;  // non-empty: where the file ended early (the blocks before are read)

    // A results file's chain is signed (signature.h); a --ledger file is not.
    bool is_signed = false;
    uint8_t public_key[kEd25519PublicBytes] = {};
    std::vector<std::array<uint8_t, kEd25519SignatureBytes>> signatures;  // per block
    bool has_head = false;
    ChainHead head{};
    // What the results file itself says, for the head to agree with.
    int64_t episode_rows = -1;        // rows of /episodes
    int64_t checkpoint_episodes = -1; // the older checkpoint slot's next episode; -1: none
    std::string status;               // "running", "interrupted", "finished"
};

// Throws LedgerFormatError for a missing, foreign or unsupported file.
LedgerData read_ledger(const std::string& path);

struct VerifyReport {
    bool ok = false;
    std::string message;     // one line: what holds, or the first fault found
    int64_t bad_block = -1;  // height of the first bad block
    int64_t bad_tx = -1;     // position of the first bad transaction in it, when known
    uint64_t blocks = 0;
    uint64_t transactions_checked = 0;
    uint64_t blocks_without_transactions = 0;
    Digest tip{};
    bool sealed = false;     // signed and sealed: the run finished, nothing may follow
    std::string signer;      // "ed25519:<public key hex>" for a signed chain
};

// Recomputes the registry root, every stored block's Merkle root, and the hash chain;
// re-executes every stored transaction against its contract (reexecute.h); for a signed chain
// checks every block's signature and the signed head against the blocks and the file's counts.
VerifyReport verify_ledger(const LedgerData& ledger);

}  // namespace v2g
