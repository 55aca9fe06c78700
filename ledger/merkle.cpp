// merkle.cpp: the CPU side of merkle.h: hex helpers, SHA-256 through OpenSSL (low-level API; uses
// SHA-NI where the CPU has it) or the portable sha256.h, level-by-level roots with OpenMP or a
// ThreadTeam over the nodes of a level, the recursive reference, and RFC 9162 inclusion /
// consistency proofs.
#include "ledger/merkle.h"

#include <omp.h>
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init & co., see openssl_hash below
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "common/thread_team.h"
#include "ledger/sha256.h"
#include "ledger/sha256_ni.h"
#include "ledger/transaction.h"

namespace v2g::ledger {
namespace {

constexpr size_t kDigestHexDigits = 2 * sizeof(Digest::bytes);
// Below this many nodes a level is hashed on one thread: waking the team costs more.
constexpr size_t kParallelMinNodes = 1024;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string printable(char c) {
    if (c >= ' ' && c <= '~') return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
    return buf;
}

// ---- OpenSSL's SHA-256 ----
// The low-level SHA256_Init/Update/Final, not EVP: for the 41- and 65-byte messages of a tree,
// EVP's per-message dispatch costs more than the hashing (measured on this machine: ~58 ns vs
// ~135 ns per 41-byte leaf). They are deprecated in OpenSSL 3 but present, and run the same
// SHA-NI block function. Stack contexts: thread-safe without any per-thread state.

// SHA-256(prefix || a || b), the prefix optional. False on an OpenSSL failure.
bool openssl_hash(bool has_prefix, uint8_t prefix, const uint8_t* a, size_t alen, const uint8_t* b, size_t blen,
                  uint8_t out[kSha256DigestBytes]) {
    SHA256_CTX c;
    return SHA256_Init(&c) == 1 && (!has_prefix || SHA256_Update(&c, &prefix, 1) == 1) &&
           (alen == 0 || SHA256_Update(&c, a, alen) == 1) && (blen == 0 || SHA256_Update(&c, b, blen) == 1) &&
           SHA256_Final(out, &c) == 1;
}

void check_openssl(bool ok) {
    if (!ok) throw std::runtime_error("OpenSSL: SHA-256 failed");
}

// `fastest` made concrete for this CPU (asked once), and sha_ni refused where it cannot run.
Sha256Impl resolve(Sha256Impl impl) {
    static const bool has_sha_ni = cpu_has_sha_ni();
    if (impl == Sha256Impl::fastest) return has_sha_ni ? Sha256Impl::sha_ni : Sha256Impl::openssl;
    if (impl == Sha256Impl::sha_ni && !has_sha_ni)
        throw std::runtime_error("SHA-256: sha_ni asked for, but this CPU has no SHA extensions");
    return impl;
}

// Hashes one leaf / node with a resolved implementation; returns false on an OpenSSL failure
// (parallel regions must not throw, so the callers collect failures and throw afterwards).
bool hash_leaf_into(const uint8_t* data, size_t len, Sha256Impl impl, Digest* out) {
    if (impl == Sha256Impl::portable) {
        sha256_leaf(data, len, out->bytes);
        return true;
    }
    if (impl == Sha256Impl::sha_ni && len <= kSha256OneBlockLeafMaxBytes) {
        sha256_ni_leaf(data, len, out->bytes);
        return true;
    }
    return openssl_hash(true, kMerkleLeafPrefix, data, len, nullptr, 0, out->bytes);
}

bool hash_node_into(const Digest& l, const Digest& r, Sha256Impl impl, Digest* out) {
    if (impl == Sha256Impl::portable) {
        sha256_node(l.bytes, r.bytes, out->bytes);
        return true;
    }
    if (impl == Sha256Impl::sha_ni) {
        sha256_ni_node(l.bytes, r.bytes, out->bytes);
        return true;
    }
    return openssl_hash(true, kMerkleNodePrefix, l.bytes, sizeof l.bytes, r.bytes, sizeof r.bytes, out->bytes);
}

int team_size(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

// How a level's nodes are shared out: body(i) for i in [0, n), each i once, on OpenMP threads
// or on a ThreadTeam's lanes (contiguous shares), serially when the n items hold fewer than
// kParallelMinNodes nodes (`grain` nodes each). Returns whether every body(i) returned true
// (OpenSSL's status).
struct OmpFor {
    int team;
    template <typename Body>
    bool operator()(size_t n, size_t grain, const Body& body) const {
        bool ok = true;
        const long long nn = static_cast<long long>(n);
#pragma omp parallel for num_threads(team) schedule(static) reduction(&& : ok) if (n * grain >= kParallelMinNodes)
        for (long long i = 0; i < nn; ++i) ok = body(static_cast<size_t>(i)) && ok;
        return ok;
    }
};

struct TeamFor {
    ThreadTeam* team;
    template <typename Body>
    bool operator()(size_t n, size_t grain, const Body& body) const {
        const int lanes = n * grain >= kParallelMinNodes ? team->size() : 1;
        std::vector<char> ok(static_cast<size_t>(lanes), 1);
        team->run(lanes, [&](int lane) {
            const size_t begin = n * static_cast<size_t>(lane) / static_cast<size_t>(lanes);
            const size_t end = n * static_cast<size_t>(lane + 1) / static_cast<size_t>(lanes);
            bool all = true;  // one write per lane: the lanes' flags share a cache line
            for (size_t i = begin; i < end; ++i) all = body(i) && all;
            ok[static_cast<size_t>(lane)] = all ? 1 : 0;
        });
        return std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
    }
};

// SHA-NI hashes its messages kShaNiBatch at a time (sha256_ni.h: two interleaved), so its bodies
// take batches; the others take one node each. hash(first, count) hashes items [first, first + count).
constexpr size_t kShaNiBatch = 64;
static_assert(sizeof(Digest) == kSha256DigestBytes, "digests are contiguous 32-byte arrays");

template <typename For, typename Hash>
void in_batches(const For& parallel_for, size_t n, const Hash& hash) {
    parallel_for((n + kShaNiBatch - 1) / kShaNiBatch, kShaNiBatch, [&](size_t j) {
        const size_t first = j * kShaNiBatch;
        hash(first, std::min(kShaNiBatch, n - first));
        return true;
    });
}

// Reduces level 0 (m digests in `cur`) to the root, ping-ponging between cur (>= m digests) and
// nxt (>= ceil(m/2) digests). Pairs (2i, 2i+1); an odd last node moves up unchanged.
template <typename For>
Digest reduce_levels(Digest* cur, Digest* nxt, size_t m, const For& parallel_for, Sha256Impl impl) {
    if (m == 0) return empty_tree_root();
    bool ok = true;
    while (m > 1) {
        const size_t pairs = m / 2;
        if (impl == Sha256Impl::sha_ni) {
            in_batches(parallel_for, pairs,
                       [&](size_t first, size_t count) { sha256_ni_nodes(cur[2 * first].bytes, count, nxt[first].bytes); });
        } else {
            ok = parallel_for(pairs, 1, [&](size_t i) { return hash_node_into(cur[2 * i], cur[2 * i + 1], impl, &nxt[i]); }) &&
                 ok;
        }
        if (m % 2 == 1) nxt[pairs] = cur[m - 1];
        m = pairs + m % 2;
        std::swap(cur, nxt);
    }
    check_openssl(ok);
    return cur[0];
}

// `scratch` (may be null): the caller's buffer for the levels, kept between roots, since fresh
// pages cost more than the hashing on some machines (2^20 leaves: 18 vs 58 M compressions/s here).
template <typename For>
Digest root_of_records(const uint8_t* leaves, size_t leaf_bytes, size_t n, const For& parallel_for, Sha256Impl impl,
                       std::vector<Digest>* scratch = nullptr) {
    if (n == 0) return empty_tree_root();
    std::vector<Digest> local;
    std::vector<Digest>& levels = scratch ? *scratch : local;
    if (levels.size() < n + (n + 1) / 2) levels.resize(n + (n + 1) / 2);
    Digest* a = levels.data();
    Digest* b = a + n;
    if (impl == Sha256Impl::sha_ni && leaf_bytes == kTransactionBytes) {  // the ledger's records
        in_batches(parallel_for, n, [&](size_t first, size_t count) {
            sha256_ni_leaves48(leaves + first * leaf_bytes, count, a[first].bytes);
        });
    } else {
        check_openssl(parallel_for(n, 1, [&](size_t i) {
            return hash_leaf_into(leaves + i * leaf_bytes, leaf_bytes, impl, &a[i]);
        }));
    }
    return reduce_levels(a, b, n, parallel_for, impl);
}

size_t largest_power_of_two_below(size_t n) {  // n >= 2
    size_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

// Root of a slice of leaf hashes, level by level on this thread.
Digest slice_root(const Digest* hashes, size_t n) {
    if (n == 0) return empty_tree_root();
    std::vector<Digest> a(hashes, hashes + n), b((n + 1) / 2);
    return reduce_levels(a.data(), b.data(), n, OmpFor{1}, resolve(Sha256Impl::fastest));
}

// RFC 6962 2.1.2 SUBPROOF(m, D[n], b) over leaf hashes.
void subproof(const Digest* d, size_t m, size_t n, bool complete, std::vector<Digest>* out) {
    if (m == n) {
        if (!complete) out->push_back(slice_root(d, n));
        return;
    }
    const size_t k = largest_power_of_two_below(n);
    if (m <= k) {
        subproof(d, m, k, complete, out);
        out->push_back(slice_root(d + k, n - k));
    } else {
        subproof(d + k, m - k, n - k, false, out);
        out->push_back(slice_root(d, k));
    }
}

bool is_power_of_two(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace

// ---------------------------------------------------------------- hex

std::string to_hex(const uint8_t* data, size_t len) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s(2 * len, '0');
    for (size_t i = 0; i < len; ++i) {
        s[2 * i] = kDigits[data[i] >> 4];
        s[2 * i + 1] = kDigits[data[i] & 0xf];
    }
    return s;
}

std::string to_hex(const Digest& d) { return to_hex(d.bytes, sizeof d.bytes); }

std::vector<uint8_t> bytes_from_hex(const std::string& hex) {
    for (size_t i = 0; i < hex.size(); ++i)
        if (hex_value(hex[i]) < 0)
            throw std::invalid_argument("bad hex: " + printable(hex[i]) + " at position " + std::to_string(i + 1) +
                                        " is not a hex digit");
    if (hex.size() % 2 != 0) throw std::invalid_argument("bad hex: odd number of digits");
    std::vector<uint8_t> out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<uint8_t>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
    return out;
}

Digest digest_from_hex(const std::string& hex) {
    const std::vector<uint8_t> b = bytes_from_hex(hex);
    if (hex.size() != kDigestHexDigits)
        throw std::invalid_argument("bad digest: expected " + std::to_string(kDigestHexDigits) + " hex digits, got " +
                                    std::to_string(hex.size()));
    Digest d;
    std::copy(b.begin(), b.end(), d.bytes);
    return d;
}

// ---------------------------------------------------------------- single hashes

Digest sha256_digest(const uint8_t* data, size_t len, Sha256Impl impl) {
    Digest d;
    if (resolve(impl) == Sha256Impl::portable)
        sha256(data, len, d.bytes);
    else
        check_openssl(openssl_hash(false, 0, data, len, nullptr, 0, d.bytes));
    return d;
}

Digest leaf_hash(const uint8_t* data, size_t len, Sha256Impl impl) {
    Digest d;
    check_openssl(hash_leaf_into(data, len, resolve(impl), &d));
    return d;
}

Digest node_hash(const Digest& left, const Digest& right, Sha256Impl impl) {
    Digest d;
    check_openssl(hash_node_into(left, right, resolve(impl), &d));
    return d;
}

Digest empty_tree_root() {
    Digest d;
    sha256(nullptr, 0, d.bytes);
    return d;
}

// ---------------------------------------------------------------- roots

Digest merkle_root_fixed(const uint8_t* leaves, size_t leaf_bytes, size_t n, int threads, Sha256Impl impl) {
    return root_of_records(leaves, leaf_bytes, n, OmpFor{team_size(threads)}, resolve(impl));
}

Digest merkle_root_fixed(const uint8_t* leaves, size_t leaf_bytes, size_t n, ThreadTeam& team, Sha256Impl impl,
                         std::vector<Digest>* scratch) {
    return root_of_records(leaves, leaf_bytes, n, TeamFor{&team}, resolve(impl), scratch);
}

std::vector<Digest> leaf_hashes(const std::vector<std::string>& leaves, Sha256Impl impl) {
    impl = resolve(impl);
    std::vector<Digest> out(leaves.size());
    for (size_t i = 0; i < leaves.size(); ++i)
        check_openssl(hash_leaf_into(reinterpret_cast<const uint8_t*>(leaves[i].data()), leaves[i].size(), impl,
                                     &out[i]));
    return out;
}

Digest merkle_root_from_leaf_hashes(const std::vector<Digest>& hashes, int threads, Sha256Impl impl) {
    if (hashes.empty()) return empty_tree_root();
    std::vector<Digest> a(hashes), b((hashes.size() + 1) / 2);
    return reduce_levels(a.data(), b.data(), a.size(), OmpFor{team_size(threads)}, resolve(impl));
}

Digest merkle_root(const std::vector<std::string>& leaves, Sha256Impl impl) {
    return merkle_root_from_leaf_hashes(leaf_hashes(leaves, impl), 1, impl);
}

Digest merkle_root_recursive(const Digest* h, size_t n) {
    if (n == 0) return empty_tree_root();
    if (n == 1) return h[0];
    const size_t k = largest_power_of_two_below(n);
    return node_hash(merkle_root_recursive(h, k), merkle_root_recursive(h + k, n - k), Sha256Impl::portable);
}

// ---------------------------------------------------------------- proofs

std::vector<Digest> inclusion_proof(const std::vector<Digest>& hashes, size_t index) {
    if (index >= hashes.size())
        throw std::out_of_range("leaf index " + std::to_string(index) + " is out of range for a tree of " +
                                std::to_string(hashes.size()) + " leaves");
    // Walk up the levels: the sibling of node i is i ^ 1 when it exists; a missing sibling means
    // node i is the odd last node, carried up, and contributes nothing to the path.
    std::vector<Digest> path;
    std::vector<Digest> level(hashes);
    size_t i = index;
    while (level.size() > 1) {
        const size_t sibling = i ^ 1;
        if (sibling < level.size()) path.push_back(level[sibling]);
        std::vector<Digest> up(level.size() / 2 + level.size() % 2);
        for (size_t p = 0; p < level.size() / 2; ++p) up[p] = node_hash(level[2 * p], level[2 * p + 1]);
        if (level.size() % 2 == 1) up.back() = level.back();
        level.swap(up);
        i /= 2;
    }
    return path;
}

namespace {

// One step of RFC 9162's proof walk (2.1.3.2 and 2.1.4.2): whether the next proof node is the
// left sibling of the running hash, and the node indices fn, sn moved up past it (past every
// level where the running hash is a left child with no right sibling, when it is).
bool proof_node_is_left(uint64_t* fn, uint64_t* sn) {
    const bool left = (*fn & 1) || *fn == *sn;
    if (left) {
        while (!(*fn & 1) && *fn != 0) {
            *fn >>= 1;
            *sn >>= 1;
        }
    }
    *fn >>= 1;
    *sn >>= 1;
    return left;
}

}  // namespace

bool verify_inclusion(const Digest& leaf, size_t index, size_t tree_size, const std::vector<Digest>& path,
                      const Digest& root) {
    // RFC 9162 section 2.1.3.2, step by step.
    if (index >= tree_size) return false;
    uint64_t fn = index, sn = tree_size - 1;
    Digest r = leaf;
    for (const Digest& p : path) {
        if (sn == 0) return false;
        r = proof_node_is_left(&fn, &sn) ? node_hash(p, r) : node_hash(r, p);
    }
    return sn == 0 && r == root;
}

std::vector<Digest> consistency_proof(const std::vector<Digest>& hashes, size_t old_size) {
    const size_t n = hashes.size();
    if (old_size > n)
        throw std::out_of_range("old size " + std::to_string(old_size) + " is larger than the tree's " +
                                std::to_string(n) + " leaves");
    std::vector<Digest> proof;
    if (old_size == 0 || old_size == n) return proof;  // RFC 9162 2.1.4.1: nothing to prove
    subproof(hashes.data(), old_size, n, true, &proof);
    return proof;
}

bool verify_consistency(size_t m, size_t n, const Digest& old_root, const Digest& new_root,
                        const std::vector<Digest>& proof) {
    if (m > n) return false;
    if (m == n) return proof.empty() && old_root == new_root;
    if (m == 0) return proof.empty() && old_root == empty_tree_root();
    // RFC 9162 section 2.1.4.2, step by step.
    if (proof.empty()) return false;
    std::vector<Digest> path;
    if (is_power_of_two(m)) path.push_back(old_root);
    path.insert(path.end(), proof.begin(), proof.end());
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    Digest fr = path[0], sr = path[0];
    for (size_t j = 1; j < path.size(); ++j) {
        const Digest& c = path[j];
        if (sn == 0) return false;
        if (proof_node_is_left(&fn, &sn)) {
            fr = node_hash(c, fr);
            sr = node_hash(c, sr);
        } else {
            sr = node_hash(sr, c);
        }
    }
    return fr == old_root && sr == new_root && sn == 0;
}

size_t merkle_scratch_bytes(size_t n) { return (n + (n + 1) / 2) * sizeof(Digest); }

}  // namespace v2g::ledger
