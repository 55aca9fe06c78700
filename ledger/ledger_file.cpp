// ledger_file.cpp: see ledger_file.h.
#include "ledger/ledger_file.h"

#include "ledger/reexecute.h"

#include <cstring>
#include <fstream>

namespace v2g {
namespace {

constexpr char kFileMagic[8] = {'V', '2', 'G', 'L', 'E', 'D', 'G', '1'};
constexpr uint32_t kFileVersion = 1;

struct FileHeader {
    char magic[8];
    uint32_t version;
    uint32_t header_bytes;    // sizeof(BlockHeader)
    uint32_t tx_bytes;        // sizeof(Transaction)
    uint32_t contract_bytes;  // sizeof(Contract)
    uint64_t contract_count;
};
static_assert(sizeof(FileHeader) == 32, "file header is 32 bytes");

BlockHeader make_header(uint64_t height, const Digest& prev, const Digest& tx_root, const Digest& registry,
                        const Digest& run_id, uint32_t episode, uint32_t steps, uint64_t tx_count,
                        uint64_t rejected) {
    BlockHeader h = {};
    h.magic = kBlockMagic;
    h.version = kBlockVersion;
    h.height = height;
    std::memcpy(h.prev_hash, prev.bytes, 32);
    std::memcpy(h.tx_root, tx_root.bytes, 32);
    std::memcpy(h.registry_root, registry.bytes, 32);
    std::memcpy(h.run_id, run_id.bytes, 32);
    h.episode = episode;
    h.steps = steps;
    h.tx_count = tx_count;
    h.rejected = rejected;
    h.check = header_check(h);
    return h;
}

Digest digest_of(const uint8_t* bytes) {
    Digest d;
    std::memcpy(d.bytes, bytes, 32);
    return d;
}

std::string fail_at(VerifyReport* r, int64_t block, int64_t tx, const std::string& what) {
    r->ok = false;
    r->bad_block = block;
    r->bad_tx = tx;
    r->message = "block " + std::to_string(block) + (tx >= 0 ? ", transaction " + std::to_string(tx) : "") + ": " + what;
    return r->message;
}

// The signed head against the blocks and the results file's own counts. Returns the text the
// verdict ends with; on a fault, sets r's message (and ok = false).
std::string check_head(const LedgerData& d, VerifyReport* r) {
    const std::string key = "ed25519:" + ledger::to_hex(digest_of(d.public_key));
    r->signer = key;
    const auto fault = [r](int64_t block, const std::string& what) {
        fail_at(r, block, -1, what);
        return std::string();
    };
    const int64_t blocks = static_cast<int64_t>(d.blocks.size());
    if (!d.has_head) return fault(blocks - 1, "the chain has no signed head");
    const ChainHead& head = d.head;
    const int64_t top = static_cast<int64_t>(head.height);
    if (!head_signature_ok(d.public_key, head)) return fault(top, "the chain head's signature is bad");
    if (head.height >= d.blocks.size())
        return fault(blocks, "the chain is cut: the signed head is at block " + std::to_string(head.height) +
                                          ", the file ends at block " + std::to_string(blocks - 1));
    if (digest_of(head.tip_hash) != block_hash(d.blocks[head.height]) || std::memcmp(head.run_id, d.blocks[0].run_id, 32) != 0)
        return fault(top, "does not match the signed head (the block was rewritten)");
    if (head.episodes != head.height) return fault(top, "the signed head's episode count is not its height");
    const bool finished = d.status == "finished";
    if (head.sealed) {
        if (blocks - 1 > top) return fault(top + 1, "follows the sealed head (appended after the run finished)");
        if (d.episode_rows >= 0 && d.episode_rows != static_cast<int64_t>(head.episodes))
            return fault(top, "the sealed head commits " + std::to_string(head.episodes) + " episodes, /episodes has " +
                                           std::to_string(d.episode_rows));
        r->sealed = true;
        return ", sealed by " + key;
    }
    if (finished) return fault(top, "the run is marked finished but its chain is not sealed");
    if (d.episode_rows >= 0 && d.episode_rows < static_cast<int64_t>(head.episodes))
        return fault(top, "the signed head commits " + std::to_string(head.episodes) + " episodes, /episodes has only " +
                                       std::to_string(d.episode_rows));
    if (d.checkpoint_episodes >= 0 && d.checkpoint_episodes > static_cast<int64_t>(head.episodes))
        return fault(top, "the signed head is behind the checkpoints (episode " + std::to_string(d.checkpoint_episodes) +
                              " and later): an older head put back?");
    const int64_t after = blocks - 1 - top;
    return "; UNSEALED (the run did not finish): signed by " + key + ", verified up to its signed head at block " +
           std::to_string(top) + (after > 0 ? ", " + std::to_string(after) + " later blocks signed but past the head" : "");
}

}  // namespace

Digest block_hash(const BlockHeader& h) {
    return ledger::sha256_digest(reinterpret_cast<const uint8_t*>(&h), sizeof h);
}

Digest registry_root(const std::vector<Contract>& contracts) {
    return ledger::merkle_root_fixed(reinterpret_cast<const uint8_t*>(contracts.data()), sizeof(Contract),
                             contracts.size(), 1);
}

LedgerWriter::LedgerWriter(const std::string& path, const std::vector<Contract>& contracts, const Digest& run_id,
                           const BlockHeader* resume_tip)
    : path_(path), registry_root_(registry_root(contracts)), run_id_(run_id) {
    tip_ = resume_tip ? *resume_tip
                      : make_header(0, Digest{}, ledger::empty_tree_root(), registry_root_, run_id_, kGenesisEpisode, 0, 0, 0);
    if (path.empty()) return;
    if (resume_tip) throw std::runtime_error(path + ": a resumed run writes its chain to its results file only");
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw std::runtime_error(path + ": cannot write the ledger file");
    FileHeader fh = {};
    std::memcpy(fh.magic, kFileMagic, sizeof fh.magic);
    fh.version = kFileVersion;
    fh.header_bytes = sizeof(BlockHeader);
    fh.tx_bytes = sizeof(Transaction);
    fh.contract_bytes = sizeof(Contract);
    fh.contract_count = contracts.size();
    bool ok = std::fwrite(&fh, sizeof fh, 1, file_) == 1;
    if (!contracts.empty()) ok = ok && std::fwrite(contracts.data(), sizeof(Contract), contracts.size(), file_) == contracts.size();
    if (!ok) throw std::runtime_error(path + ": write failed");
    write_block(tip_, {});
    flush();
}

LedgerWriter::~LedgerWriter() {
    if (file_) std::fclose(file_);
}

void LedgerWriter::write_block(const BlockHeader& h, const std::vector<Transaction>& txs) {
    if (!file_) return;
    const uint64_t stored = txs.size();
    bool ok = std::fwrite(&h, sizeof h, 1, file_) == 1 && std::fwrite(&stored, sizeof stored, 1, file_) == 1;
    if (stored) ok = ok && std::fwrite(txs.data(), sizeof(Transaction), txs.size(), file_) == txs.size();
    if (!ok) throw std::runtime_error(path_ + ": write failed (disk full?)");
}

const BlockHeader& LedgerWriter::append(int episode, int steps, uint64_t rejected, const EpisodeLedger& block) {
    tip_ = make_header(tip_.height + 1, block_hash(tip_), digest_of(block.tx_root), registry_root_, run_id_,
                       static_cast<uint32_t>(episode), static_cast<uint32_t>(steps), block.tx_count, rejected);
    write_block(tip_, block.transactions);
    return tip_;
}

void LedgerWriter::flush() {
    if (!file_) return;
    if (std::fflush(file_) != 0) throw std::runtime_error(path_ + ": write failed (disk full?)");
}

LedgerData read_ledger(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw LedgerFormatError(path + ": cannot open");
    FileHeader fh = {};
    if (!in.read(reinterpret_cast<char*>(&fh), sizeof fh) || std::memcmp(fh.magic, kFileMagic, sizeof fh.magic) != 0)
        throw LedgerFormatError(path + ": not an HDF5 results file nor a v2g ledger file (bad magic)");
    if (fh.version != kFileVersion || fh.header_bytes != sizeof(BlockHeader) || fh.tx_bytes != sizeof(Transaction) ||
        fh.contract_bytes != sizeof(Contract))
        throw LedgerFormatError(path + ": ledger format version " + std::to_string(fh.version) +
                                " with these record sizes is not supported by this build (version " +
                                std::to_string(kFileVersion) + ")");
    LedgerData d;
    constexpr uint64_t kMaxContracts = 1ull << 32;
    if (fh.contract_count > kMaxContracts) throw LedgerFormatError(path + ": implausible contract count");
    d.contracts.resize(static_cast<size_t>(fh.contract_count));
    if (fh.contract_count &&
        !in.read(reinterpret_cast<char*>(d.contracts.data()), static_cast<std::streamsize>(fh.contract_count * sizeof(Contract))))
        throw LedgerFormatError(path + ": truncated in the contract registry");
    for (;;) {
        BlockHeader h;
        if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) {
            if (in.gcount() != 0) d.truncated = "the file ends inside the header of block " + std::to_string(d.blocks.size());
            break;
        }
        uint64_t stored = 0;
        if (!in.read(reinterpret_cast<char*>(&stored), sizeof stored)) {
            d.truncated = "the file ends after the header of block " + std::to_string(d.blocks.size());
            break;
        }
        std::vector<Transaction> txs;
        constexpr uint64_t kMaxStoredPerBlock = 1ull << 34;
        if (stored > kMaxStoredPerBlock) {
            d.truncated = "block " + std::to_string(d.blocks.size()) + " claims an implausible " + std::to_string(stored) +
                          " stored transactions";
            break;
        }
        txs.resize(static_cast<size_t>(stored));
        if (stored && !in.read(reinterpret_cast<char*>(txs.data()), static_cast<std::streamsize>(stored * sizeof(Transaction)))) {
            d.truncated = "the file ends inside the transactions of block " + std::to_string(d.blocks.size());
            break;
        }
        d.blocks.push_back(h);
        d.stored.push_back(stored > 0);
        d.transactions.push_back(std::move(txs));
    }
    return d;
}

VerifyReport verify_ledger(const LedgerData& d) {
    VerifyReport r;
    if (d.blocks.empty()) {
        fail_at(&r, 0, -1, d.truncated.empty() ? "no genesis block" : d.truncated);
        return r;
    }
    if (d.is_signed && digest_of(d.public_key) == Digest{}) {
        fail_at(&r, 0, -1, "the file holds no public key: its chain is unsigned (written before v2g signed "
                           "its ledgers, or the key was removed)");
        return r;
    }
    const Digest registry = registry_root(d.contracts);
    const BlockHeader& genesis = d.blocks[0];
    for (size_t i = 0; i < d.blocks.size(); ++i) {
        const BlockHeader& h = d.blocks[i];
        const int64_t b = static_cast<int64_t>(i);
        if (h.check != header_check(h)) { fail_at(&r, b, -1, "header damaged (its check field does not match)"); return r; }
        if (h.magic != kBlockMagic || h.version != kBlockVersion) { fail_at(&r, b, -1, "not a v2g block header"); return r; }
        if (h.height != i) { fail_at(&r, b, -1, "height " + std::to_string(h.height) + " at position " + std::to_string(i)); return r; }
        if (digest_of(h.registry_root) != registry) {
            fail_at(&r, b, -1, "contract registry root does not match the stored contracts");
            return r;
        }
        if (d.is_signed && (i >= d.signatures.size() || !block_signature_ok(d.public_key, h, d.signatures[i].data()))) {
            fail_at(&r, b, -1, i >= d.signatures.size() ? "no signature (a block added after the run?)"
                                                        : "bad signature: not signed by this run's key (rewritten, "
                                                          "appended, or replayed from another run)");
            return r;
        }
        if (i == 0) {
            if (digest_of(h.prev_hash) != Digest{} || h.episode != kGenesisEpisode || h.tx_count != 0) {
                fail_at(&r, 0, -1, "not a genesis block");
                return r;
            }
            continue;
        }
        if (digest_of(h.prev_hash) != block_hash(d.blocks[i - 1])) {
            fail_at(&r, b, -1, "previous-block hash does not match block " + std::to_string(i - 1));
            return r;
        }
        if (std::memcmp(h.run_id, genesis.run_id, 32) != 0) {
            fail_at(&r, b, -1, "run id differs from the genesis block's (a block from another run?)");
            return r;
        }
        if (h.episode != i - 1) {
            fail_at(&r, b, -1, "commits episode " + std::to_string(h.episode) + ", expected " + std::to_string(i - 1));
            return r;
        }
        if (!d.stored[i]) {
            if (h.tx_count != 0) ++r.blocks_without_transactions;
            continue;
        }
        const std::vector<Transaction>& txs = d.transactions[i];
        for (size_t j = 0; j < txs.size(); ++j) {
            const Transaction& t = txs[j];
            const int64_t k = static_cast<int64_t>(j);
            if (t.check != tx_check(t)) { fail_at(&r, b, k, "record damaged (its check field does not match)"); return r; }
            if (t.sequence != j) {
                fail_at(&r, b, k, "sequence number " + std::to_string(t.sequence) +
                                      " at this position (transactions swapped, dropped or inserted)");
                return r;
            }
            if (t.episode != h.episode || t.step >= h.steps || t.kind == kTxNone || t.kind > kTxKindMax) {
                fail_at(&r, b, k, "does not belong to this block (episode, step or kind)");
                return r;
            }
            const std::string breach = reexecute_transaction(t, d.contracts);
            if (!breach.empty()) {
                fail_at(&r, b, k, "breaks its contract: " + breach);
                return r;
            }
        }
        if (txs.size() != h.tx_count) {
            fail_at(&r, b, static_cast<int64_t>(std::min<uint64_t>(txs.size(), h.tx_count)),
                    std::to_string(txs.size()) + " transactions stored, the header commits " + std::to_string(h.tx_count));
            return r;
        }
        const Digest root = ledger::merkle_root_fixed(reinterpret_cast<const uint8_t*>(txs.data()), sizeof(Transaction), txs.size(), 0);
        if (root != digest_of(h.tx_root)) {
            fail_at(&r, b, -1, "its transactions do not hash to the header's Merkle root");
            return r;
        }
        r.transactions_checked += txs.size();
    }
    r.blocks = d.blocks.size();
    r.tip = block_hash(d.blocks.back());
    if (!d.truncated.empty()) {
        fail_at(&r, static_cast<int64_t>(d.blocks.size()), -1, d.truncated);
        return r;
    }
    std::string sealing;
    if (d.is_signed) {
        sealing = check_head(d, &r);
        if (!r.message.empty()) return r;
    }
    r.ok = true;
    r.message = "ledger verified: " + std::to_string(r.blocks) + " blocks (genesis + " + std::to_string(r.blocks - 1) +
                " episodes), " + std::to_string(r.transactions_checked) + " stored transactions re-hashed" +
                (r.blocks_without_transactions ? ", " + std::to_string(r.blocks_without_transactions) +
                                                     " blocks stored without their transactions (chain checked only)"
                                               : "") +
                ", tip " + ledger::to_hex(r.tip) + sealing;
    return r;
}

}  // namespace v2g
