// sha256_ni.h: SHA-256 with the x86 SHA extensions (SHA-NI: sha256rnds2, sha256msg1/2), for the
// CPU's Merkle trees: a leaf of a transaction is one compression, a node two, and calling the
// block function on blocks built in place skips OpenSSL's streaming API (three SHA256_Update
// calls per node), and several messages go through at once. Compiled for the SHA extensions
// function by function (target attributes), so
// the binary still runs on CPUs without them: cpu_has_sha_ni() says, and merkle.cpp falls back
// to OpenSSL. tests/test_sha256.cpp checks every function against OpenSSL and sha256.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace v2g::ledger {

// CPUID leaf 7, EBX bit 29 (and SSE4.1, which the shuffles need).
bool cpu_has_sha_ni();

// FIPS 180-4 section 6.2.2: one compression of a 64-byte block into the state h. Only where
// cpu_has_sha_ni().
void sha256_ni_compress(uint32_t h[8], const uint8_t block[64]);

// RFC 6962 hashes, as sha256_leaf_one_block (len <= 54: one compression) and sha256_node (two).
void sha256_ni_leaf(const uint8_t* data, size_t len, uint8_t out[32]);
void sha256_ni_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);
// Many at once, four messages interleaved (the SHA unit's throughput, not one message's
// dependency chain, is then the bound): the leaves of n 48-byte records (out: n digests), and
// the nodes of `pairs` pairs of digests laid out as children[2i], children[2i + 1] (32 bytes each;
// out: `pairs` digests).
void sha256_ni_leaves48(const uint8_t* records, size_t n, uint8_t* out);
void sha256_ni_nodes(const uint8_t* children, size_t pairs, uint8_t* out);

}  // namespace v2g::ledger
