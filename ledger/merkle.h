// merkle.h: RFC 6962 / RFC 9162 Merkle trees over SHA-256: the 32-byte Digest, tree roots
// computed level by level in batch (CPU: OpenSSL or the portable sha256.h, OpenMP over the nodes
// of a level; CUDA: one thread per node, merkle_cuda.cu), inclusion proofs (audit paths) and
// consistency proofs with their RFC 9162 verification algorithms.
//
// The tree (RFC 6962 section 2.1, RFC 9162 section 2.1.1):
//   MTH({})      = SHA-256()                       (the empty tree)
//   MTH({d0})    = SHA-256(0x00 || d0)             (a leaf)
//   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = largest power of two < n.
// Level by level: level 0 holds the leaf hashes; level j+1 pairs nodes (2i, 2i+1) of level j,
// and an odd last node is carried up unchanged (never duplicated). Node i of level j is then the
// MTH of leaves [i 2^j, min((i+1) 2^j, n)): every node but the last is a complete subtree of 2^j
// leaves, so a pair covering s leaves with 2^j < s <= 2^(j+1) is split at k = 2^j, exactly the
// RFC's split. tests/test_merkle.cpp checks this against the recursive definition.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace v2g {
class ThreadTeam;
}

namespace v2g::ledger {

struct Digest {
    uint8_t bytes[32];
};
inline bool operator==(const Digest& a, const Digest& b) {
    for (int i = 0; i < 32; ++i)
        if (a.bytes[i] != b.bytes[i]) return false;
    return true;
}
inline bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }

// Lowercase hex, 64 characters.
std::string to_hex(const Digest& d);
std::string to_hex(const uint8_t* data, size_t len);
// Parses exactly 64 hex digits (either case). Throws std::invalid_argument naming the problem
// ("bad digest: expected 64 hex digits, got 63", "bad hex: 'g' at position 5 is not a hex digit").
Digest digest_from_hex(const std::string& hex);
// Parses any even number of hex digits (either case) into bytes; throws std::invalid_argument
// ("bad hex: odd number of digits", "bad hex: 'x' at position N is not a hex digit").
std::vector<uint8_t> bytes_from_hex(const std::string& hex);

// Which SHA-256 the CPU uses: `fastest` (the default: sha_ni where the CPU has the SHA
// extensions, else openssl), OpenSSL's (its own SHA-NI code behind the streaming API; the
// reference the tests hold the others to), the portable sha256.h (the GPU's code), or the
// block function of sha256_ni.h on blocks built in place (leaves up to 54 bytes and nodes; longer
// messages go to OpenSSL). Asking for sha_ni on a CPU without it throws std::runtime_error.
enum class Sha256Impl { fastest, openssl, portable, sha_ni };

Digest sha256_digest(const uint8_t* data, size_t len, Sha256Impl impl = Sha256Impl::fastest);
Digest leaf_hash(const uint8_t* data, size_t len, Sha256Impl impl = Sha256Impl::fastest);
Digest node_hash(const Digest& left, const Digest& right, Sha256Impl impl = Sha256Impl::fastest);
Digest empty_tree_root();  // SHA-256 of nothing

// Root of n fixed-size records laid out contiguously (leaf i = leaves[i*leaf_bytes ..]), level by
// level with `threads` OpenMP threads (0 = OpenMP's default). Same bits for any thread count.
Digest merkle_root_fixed(const uint8_t* leaves, size_t leaf_bytes, size_t n, int threads,
                         Sha256Impl impl = Sha256Impl::fastest);
// The same on a ThreadTeam's lanes (common/thread_team.h: the CPU backend's commit), whose
// threads block rather than spin between levels, the levels in *scratch when given (grown as
// needed and kept by the caller for the next root: no fresh pages per episode). Same bits.
Digest merkle_root_fixed(const uint8_t* leaves, size_t leaf_bytes, size_t n, ThreadTeam& team,
                         Sha256Impl impl = Sha256Impl::fastest, std::vector<Digest>* scratch = nullptr);
// Root of variable-size leaves (the CLI's input).
Digest merkle_root(const std::vector<std::string>& leaves, Sha256Impl impl = Sha256Impl::fastest);
// Leaf hashes of variable-size leaves, and the level-by-level root over given leaf hashes.
std::vector<Digest> leaf_hashes(const std::vector<std::string>& leaves, Sha256Impl impl = Sha256Impl::fastest);
Digest merkle_root_from_leaf_hashes(const std::vector<Digest>& leaf_hashes, int threads = 1,
                                    Sha256Impl impl = Sha256Impl::fastest);
// The RFC's recursive definition, literally (portable SHA-256): the reference the tests use.
Digest merkle_root_recursive(const Digest* leaf_hashes, size_t n);

// Inclusion proof (RFC 9162 2.1.3.1 / RFC 6962 2.1.1 PATH) of leaf `index` in the tree of all
// given leaves, bottom-up. Throws std::out_of_range when index >= leaf_hashes.size().
std::vector<Digest> inclusion_proof(const std::vector<Digest>& leaf_hashes, size_t index);
// RFC 9162 2.1.3.2: true iff `path` proves `leaf_hash` is leaf `index` of the tree of size
// `tree_size` with root `root`.
bool verify_inclusion(const Digest& leaf_hash, size_t index, size_t tree_size, const std::vector<Digest>& path,
                      const Digest& root);
// Consistency proof (RFC 9162 2.1.4.1 / RFC 6962 2.1.2 PROOF) that the tree of the first
// old_size leaves is a prefix of the tree of all leaves. Empty when old_size is 0 or all leaves.
// Throws std::out_of_range when old_size > leaf_hashes.size().
std::vector<Digest> consistency_proof(const std::vector<Digest>& leaf_hashes, size_t old_size);
// RFC 9162 2.1.4.2, plus the trivial cases: m == n needs an empty proof and equal roots; m == 0
// needs an empty proof and old_root = the empty tree's root; m > n never verifies.
bool verify_consistency(size_t old_size, size_t new_size, const Digest& old_root, const Digest& new_root,
                        const std::vector<Digest>& proof);

// ---- CUDA (merkle_cuda.cu; merkle_cuda_stub.cpp in a build without CUDA) ----

// Scratch the device root needs for n leaves: two ping-pong levels, n + ceil(n/2) digests.
size_t merkle_scratch_bytes(size_t n);
// Whether the CUDA Merkle hasher can run here; if not, why (same test as v2g::cuda_usable).
bool merkle_cuda_usable(std::string* why);
// Root of n fixed-size records already in device memory, hashed on the GPU level by level on the
// default stream; only the 32-byte root comes back to the host. device_scratch must hold
// merkle_scratch_bytes(n) bytes. Throws std::runtime_error on a CUDA error or too little scratch.
Digest merkle_root_fixed_device(const uint8_t* device_leaves, size_t leaf_bytes, size_t n, void* device_scratch,
                                size_t scratch_bytes);
// Root of the first *device_count records (an int64 in device memory, at most max_leaves) of
// device_leaves, written to device_root (a Digest in device memory): for an episode's
// transactions, whose count only the device knows. Nothing comes back and nothing synchronises:
// ceil(log2 max_leaves) + 2 launches on the default stream, each level's size computed on the
// device from the count. device_scratch must hold merkle_scratch_bytes(max_leaves) bytes.
void merkle_root_fixed_device_async(const uint8_t* device_leaves, size_t leaf_bytes, const int64_t* device_count,
                                    size_t max_leaves, void* device_scratch, size_t scratch_bytes,
                                    Digest* device_root);
// Convenience for tests and benchmarks: copies host records to the device, allocates scratch,
// calls merkle_root_fixed_device and frees everything.
Digest merkle_root_fixed_cuda(const uint8_t* host_leaves, size_t leaf_bytes, size_t n);
// The same through merkle_root_fixed_device_async: n records in a device buffer of max_leaves
// (the rest filled with junk that must not count), the count and the root on the device.
Digest merkle_root_fixed_cuda_counted(const uint8_t* host_leaves, size_t leaf_bytes, size_t n, size_t max_leaves);

}  // namespace v2g::ledger
