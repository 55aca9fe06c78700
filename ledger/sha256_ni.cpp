// sha256_ni.cpp: see sha256_ni.h. The round structure is FIPS 180-4's, four rounds per step:
// sha256rnds2 does two rounds on the state held as the register pair (ABEF, CDGH), taking the
// two message+constant words from the low half of its third operand; sha256msg1 and sha256msg2
// compute the message schedule's sigma0 and sigma1 parts four words at a time (W[16..63]).
//
// Speed (docs/PERFORMANCE.md, "Ledger hashing"): the blocks of a node and of a 48-byte leaf are
// built in registers from the digests or the record by byte shifts, never stored and reloaded
// (a 16-byte load of bytes just stored one by one defeats store forwarding), and four messages
// are hashed at once with their rounds interleaved: one message's rounds are a dependency chain
// that leaves the SHA unit idle most of the time (one thread, this VM, 2026-12-04: 41.8-43.3 M
// compressions/s with two interleaved, 44.5-44.7 M with four).
#include "ledger/sha256_ni.h"

#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "ledger/sha256.h"

namespace v2g::ledger {

#if defined(__x86_64__)

bool cpu_has_sha_ni() {
    unsigned int a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1)) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 29)) != 0;  // bit_SHA
}

namespace {

#define V2G_SHA_NI __attribute__((target("sha,sse4.1")))
#define V2G_SHA_NI_INLINE __attribute__((target("sha,sse4.1"), always_inline)) inline

// The state in sha256rnds2's order: (A B E F) and (C D G H).
struct NiState {
    __m128i abef, cdgh;
};

V2G_SHA_NI_INLINE NiState to_ni(const uint32_t h[8]) {
    const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));
    const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4));
    const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    return {_mm_alignr_epi8(cdab, efgh, 8), _mm_blend_epi16(efgh, cdab, 0xF0)};
}

V2G_SHA_NI_INLINE void from_ni(const NiState& s, uint32_t h[8]) {
    const __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(feba, dchg, 0xF0));      // D C B A
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(dchg, feba, 8));  // H G F E
}

// The digest, big-endian words, from the state in rnds2's order.
V2G_SHA_NI_INLINE void store_digest(const NiState& s, uint8_t out[32]) {
    uint32_t h[8];
    from_ni(s, h);
    for (int i = 0; i < 8; ++i) sha256_store_be(h[i], out + 4 * i);
}

V2G_SHA_NI_INLINE NiState initial_state() {
    uint32_t h[8];
    sha256_initial_state(h);
    return to_ni(h);
}

// N independent compressions, their rounds interleaved. block[k][0..3]: message k's 64 bytes as
// four 16-byte registers in memory byte order.
template <int N>
V2G_SHA_NI_INLINE void compress(NiState* s, const __m128i (*block)[4]) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    NiState in[N];
    __m128i w[N][4];  // the schedule's last 16 words, four per register: w[k][g % 4] = W[4g .. 4g+3]
    for (int k = 0; k < N; ++k) in[k] = s[k];
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
        const __m128i kg = _mm_set_epi32(static_cast<int>(sha256_k(4 * g + 3)), static_cast<int>(sha256_k(4 * g + 2)),
                                         static_cast<int>(sha256_k(4 * g + 1)), static_cast<int>(sha256_k(4 * g)));
        for (int k = 0; k < N; ++k) {
            __m128i words;
            if (g < 4) {
                words = _mm_shuffle_epi8(block[k][g], byte_swap);
            } else {
                // W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16], t = 4g .. 4g+3.
                const __m128i w_minus_7 = _mm_alignr_epi8(w[k][(g - 1) & 3], w[k][(g - 2) & 3], 4);
                words = _mm_sha256msg2_epu32(
                    _mm_add_epi32(_mm_sha256msg1_epu32(w[k][(g - 4) & 3], w[k][(g - 3) & 3]), w_minus_7),
                    w[k][(g - 1) & 3]);
            }
            w[k][g & 3] = words;
            const __m128i wk = _mm_add_epi32(words, kg);
            s[k].cdgh = _mm_sha256rnds2_epu32(s[k].cdgh, s[k].abef, wk);                         // rounds 4g, 4g+1
            s[k].abef = _mm_sha256rnds2_epu32(s[k].abef, s[k].cdgh, _mm_shuffle_epi32(wk, 0x0E));  // 4g+2, 4g+3
        }
    }
    for (int k = 0; k < N; ++k) {
        s[k].abef = _mm_add_epi32(s[k].abef, in[k].abef);
        s[k].cdgh = _mm_add_epi32(s[k].cdgh, in[k].cdgh);
    }
}

V2G_SHA_NI_INLINE __m128i load16(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// A register whose byte 15 is `b` (the rest zero), to shift in front of a message.
V2G_SHA_NI_INLINE __m128i byte_at_15(uint8_t b) { return _mm_insert_epi8(_mm_setzero_si128(), b, 15); }

// The length field's register: bytes 8..15 the message's bits, big-endian.
V2G_SHA_NI_INLINE __m128i length_tail(uint64_t message_bytes) {
    const uint64_t bits = message_bytes * 8;
    return _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(bits)), 0);
}

// The two blocks of the node 0x01 || left || right (65 bytes).
V2G_SHA_NI_INLINE void node_blocks(const uint8_t* left, const uint8_t* right, __m128i first[4], __m128i second[4]) {
    const __m128i l0 = load16(left), l1 = load16(left + 16), r0 = load16(right), r1 = load16(right + 16);
    first[0] = _mm_alignr_epi8(l0, byte_at_15(kMerkleNodePrefix), 15);  // 0x01, left[0..14]
    first[1] = _mm_alignr_epi8(l1, l0, 15);                               // left[15..30]
    first[2] = _mm_alignr_epi8(r0, l1, 15);                               // left[31], right[0..14]
    first[3] = _mm_alignr_epi8(r1, r0, 15);                               // right[15..30]
    // right[31], 0x80, zeros, the length (520 bits).
    second[0] = _mm_alignr_epi8(_mm_cvtsi32_si128(0x80), r1, 15);
    second[1] = _mm_setzero_si128();
    second[2] = _mm_setzero_si128();
    second[3] = length_tail(1 + 2 * kSha256DigestBytes);
}

// The one block of the leaf 0x00 || record for a 48-byte record (49 bytes).
V2G_SHA_NI_INLINE void leaf48_block(const uint8_t* record, __m128i block[4]) {
    const __m128i d0 = load16(record), d1 = load16(record + 16), d2 = load16(record + 32);
    block[0] = _mm_alignr_epi8(d0, byte_at_15(kMerkleLeafPrefix), 15);  // 0x00, record[0..14]
    block[1] = _mm_alignr_epi8(d1, d0, 15);
    block[2] = _mm_alignr_epi8(d2, d1, 15);
    // record[47], 0x80, six zeros, the length (392 bits) in bytes 8..15.
    const __m128i tail = _mm_or_si128(_mm_cvtsi32_si128(0x80), _mm_srli_si128(length_tail(49), 1));
    block[3] = _mm_alignr_epi8(tail, d2, 15);
}

}  // namespace

V2G_SHA_NI void sha256_ni_compress(uint32_t h[8], const uint8_t block[64]) {
    NiState s = to_ni(h);
    const __m128i m[1][4] = {{load16(block), load16(block + 16), load16(block + 32), load16(block + 48)}};
    compress<1>(&s, m);
    from_ni(s, h);
}

V2G_SHA_NI void sha256_ni_leaf(const uint8_t* data, size_t len, uint8_t out[32]) {
    NiState s = initial_state();
    __m128i m[1][4];
    if (len == 48) {
        leaf48_block(data, m[0]);
    } else {  // any other length up to 54: the block through memory (rare: no ledger record)
        uint8_t block[kSha256BlockBytes] = {};
        block[0] = kMerkleLeafPrefix;
        if (len > 0) std::memcpy(block + 1, data, len);
        block[1 + len] = 0x80;
        const uint64_t bits = (1 + static_cast<uint64_t>(len)) * 8;
        for (size_t i = 0; i < kSha256LengthBytes; ++i) block[kSha256BlockBytes - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
        for (int j = 0; j < 4; ++j) m[0][j] = load16(block + 16 * j);
    }
    compress<1>(&s, m);
    store_digest(s, out);
}

// Groups of kInterleave messages, then the rest one by one.
constexpr int kInterleave = 4;

template <int N>
V2G_SHA_NI_INLINE void leaves48_group(const uint8_t* records, uint8_t* out) {
    NiState s[N];
    __m128i m[N][4];
    for (int k = 0; k < N; ++k) {
        s[k] = initial_state();
        leaf48_block(records + 48 * k, m[k]);
    }
    compress<N>(s, m);
    for (int k = 0; k < N; ++k) store_digest(s[k], out + 32 * k);
}

template <int N>
V2G_SHA_NI_INLINE void nodes_group(const uint8_t* children, uint8_t* out) {
    NiState s[N];
    __m128i first[N][4], second[N][4];
    for (int k = 0; k < N; ++k) {
        s[k] = initial_state();
        node_blocks(children + 64 * k, children + 64 * k + 32, first[k], second[k]);
    }
    compress<N>(s, first);
    compress<N>(s, second);
    for (int k = 0; k < N; ++k) store_digest(s[k], out + 32 * k);
}

V2G_SHA_NI void sha256_ni_leaves48(const uint8_t* records, size_t n, uint8_t* out) {
    size_t i = 0;
    for (; i + kInterleave <= n; i += kInterleave) leaves48_group<kInterleave>(records + 48 * i, out + 32 * i);
    for (; i < n; ++i) leaves48_group<1>(records + 48 * i, out + 32 * i);
}

V2G_SHA_NI void sha256_ni_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    NiState s = initial_state();
    __m128i first[1][4], second[1][4];
    node_blocks(left, right, first[0], second[0]);
    compress<1>(&s, first);
    compress<1>(&s, second);
    store_digest(s, out);
}

V2G_SHA_NI void sha256_ni_nodes(const uint8_t* children, size_t pairs, uint8_t* out) {
    size_t i = 0;
    for (; i + kInterleave <= pairs; i += kInterleave) nodes_group<kInterleave>(children + 64 * i, out + 32 * i);
    for (; i < pairs; ++i) nodes_group<1>(children + 64 * i, out + 32 * i);
}

#else  // not x86-64: never called (cpu_has_sha_ni is false); the portable code keeps it honest

bool cpu_has_sha_ni() { return false; }
void sha256_ni_compress(uint32_t h[8], const uint8_t block[64]) { sha256_compress(h, block); }
void sha256_ni_leaf(const uint8_t* data, size_t len, uint8_t out[32]) { sha256_leaf(data, len, out); }
void sha256_ni_leaves48(const uint8_t* records, size_t n, uint8_t* out) {
    for (size_t i = 0; i < n; ++i) sha256_leaf(records + 48 * i, 48, out + 32 * i);
}
void sha256_ni_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) { sha256_node(left, right, out); }
void sha256_ni_nodes(const uint8_t* children, size_t pairs, uint8_t* out) {
    for (size_t i = 0; i < pairs; ++i) sha256_node(children + 64 * i, children + 64 * i + 32, out + 32 * i);
}

#endif

}  // namespace v2g::ledger
