// sha256.h: SHA-256 (FIPS 180-4, section 6.2) written once as V2G_HD code, so the CUDA Merkle
// kernels and the CPU reference run the very same function. Also the RFC 6962 / RFC 9162
// domain-separated hashes of a Merkle tree: leaf = SHA-256(0x00 || data), node =
// SHA-256(0x01 || left || right).
//
// This is the portable implementation: the GPU's and the reference. On the CPU the fast path is
// OpenSSL (SHA-NI), see merkle.cpp; tests/test_sha256.cpp checks that both agree.
//
// Napkin math (compressions = 64-byte blocks after padding: message + 0x80 + 8-byte length):
//   blocks(len) = (len + 9 + 63) / 64
//   leaf of a 48-byte transaction: 1 + 48 = 49 bytes       -> 1 compression
//   leaf of up to 54 bytes of data:                         -> 1 compression
//   node: 1 + 32 + 32 = 65 bytes                            -> 2 compressions
//   tree of n leaves (n - 1 nodes): n + 2 (n - 1) ~ 3n compressions for 48-byte records.
// One compression is 64 rounds of ~20 32-bit integer ops plus the 48-word message schedule.
#pragma once
#include <cstddef>
#include <cstdint>
#include "common/hd.h"

namespace v2g::ledger {

constexpr size_t kSha256BlockBytes = 64;   // one compression consumes a 512-bit block
constexpr size_t kSha256DigestBytes = 32;  // 256-bit output
constexpr size_t kSha256LengthBytes = 8;   // the message length field of the padding (bits, big-endian)
constexpr size_t kSha256Rounds = 64;
constexpr uint8_t kMerkleLeafPrefix = 0x00;  // RFC 6962 section 2.1: leaf hash domain separator
constexpr uint8_t kMerkleNodePrefix = 0x01;  // ... and interior node domain separator

// Compressions SHA-256 runs for a message of `len` bytes (padding adds 0x80 and the length).
V2G_HD constexpr uint64_t sha256_blocks(uint64_t len) {
    return (len + 1 + kSha256LengthBytes + kSha256BlockBytes - 1) / kSha256BlockBytes;
}

// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes. One list, two copies: the device copy lives in constant memory, where all
// threads of a warp reading the same round constant is a broadcast.
#define V2G_SHA256_K_LIST                                                                           \
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,      \
        0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,  \
        0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,  \
        0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,  \
        0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,  \
        0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,  \
        0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,  \
        0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,  \
        0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,  \
        0xc67178f2u

#if defined(__CUDACC__)
// `static`: each translation unit that includes this gets its own copy, so no relocatable
// device code is needed.
static __constant__ uint32_t kSha256KDevice[kSha256Rounds] = {V2G_SHA256_K_LIST};
#endif
static constexpr uint32_t kSha256KHost[kSha256Rounds] = {V2G_SHA256_K_LIST};

V2G_HD uint32_t sha256_k(int i) {
#if defined(__CUDA_ARCH__)
    return kSha256KDevice[i];
#else
    return kSha256KHost[i];
#endif
}

// FIPS 180-4 section 5.3.3: the initial hash value H(0).
V2G_HD void sha256_initial_state(uint32_t h[8]) {
    h[0] = 0x6a09e667u;
    h[1] = 0xbb67ae85u;
    h[2] = 0x3c6ef372u;
    h[3] = 0xa54ff53au;
    h[4] = 0x510e527fu;
    h[5] = 0x9b05688cu;
    h[6] = 0x1f83d9abu;
    h[7] = 0x5be0cd19u;
}

V2G_HD uint32_t sha256_rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
V2G_HD uint32_t sha256_load_be(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
V2G_HD void sha256_store_be(uint32_t x, uint8_t* p) {
    p[0] = uint8_t(x >> 24);
    p[1] = uint8_t(x >> 16);
    p[2] = uint8_t(x >> 8);
    p[3] = uint8_t(x);
}

// FIPS 180-4 section 6.2.2: one compression of a block, given as its 16 big-endian message words,
// into the state h. The message schedule is kept in w as a rolling window of 16 words (W[t]
// depends on W[t-2], W[t-7], W[t-15], W[t-16]), which keeps a GPU thread's state in registers.
V2G_HD void sha256_compress_words(uint32_t h[8], uint32_t w[16]) {
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int t = 0; t < int(kSha256Rounds); ++t) {
        uint32_t wt;
        if (t < 16) {
            wt = w[t];
        } else {
            const uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
            const uint32_t s0 = sha256_rotr(w15, 7) ^ sha256_rotr(w15, 18) ^ (w15 >> 3);
            const uint32_t s1 = sha256_rotr(w2, 17) ^ sha256_rotr(w2, 19) ^ (w2 >> 10);
            wt = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
            w[t & 15] = wt;
        }
        const uint32_t big_s1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
        const uint32_t ch = (e & f) ^ (~e & g);
        const uint32_t t1 = hh + big_s1 + ch + sha256_k(t) + wt;
        const uint32_t big_s0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
        const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const uint32_t t2 = big_s0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

// One compression of a 64-byte block into the state h.
V2G_HD void sha256_compress(uint32_t h[8], const uint8_t block[kSha256BlockBytes]) {
    uint32_t w[16];
    for (int t = 0; t < 16; ++t) w[t] = sha256_load_be(block + 4 * t);
    sha256_compress_words(h, w);
}

// A streaming context: init, any number of updates of any sizes, final.
struct Sha256Ctx {
    uint32_t h[8];
    uint8_t buf[kSha256BlockBytes];  // a partial block waiting for more input
    uint32_t buf_len;
    uint64_t total_len;     // bytes fed so far (the padding encodes it in bits)
    uint64_t compressions;  // counted for the benchmarks: cheap, one add per block
};

V2G_HD void sha256_init(Sha256Ctx* c) {
    sha256_initial_state(c->h);
    c->buf_len = 0;
    c->total_len = 0;
    c->compressions = 0;
}

V2G_HD void sha256_update(Sha256Ctx* c, const uint8_t* data, size_t len) {
    c->total_len += len;
    if (c->buf_len > 0) {  // top up the pending partial block first
        while (len > 0 && c->buf_len < kSha256BlockBytes) {
            c->buf[c->buf_len++] = *data++;
            --len;
        }
        if (c->buf_len < kSha256BlockBytes) return;
        sha256_compress(c->h, c->buf);
        ++c->compressions;
        c->buf_len = 0;
    }
    while (len >= kSha256BlockBytes) {  // whole blocks straight from the input, no copy
        sha256_compress(c->h, data);
        ++c->compressions;
        data += kSha256BlockBytes;
        len -= kSha256BlockBytes;
    }
    for (size_t i = 0; i < len; ++i) c->buf[i] = data[i];
    c->buf_len = uint32_t(len);
}

// FIPS 180-4 section 5.1.1 padding: 0x80, zeros, then the length in bits as 64-bit big-endian.
V2G_HD void sha256_final(Sha256Ctx* c, uint8_t out[kSha256DigestBytes]) {
    const uint64_t bits = c->total_len * 8;
    uint32_t n = c->buf_len;
    c->buf[n++] = 0x80;
    if (n > kSha256BlockBytes - kSha256LengthBytes) {  // no room for the length: one more block
        while (n < kSha256BlockBytes) c->buf[n++] = 0;
        sha256_compress(c->h, c->buf);
        ++c->compressions;
        n = 0;
    }
    while (n < kSha256BlockBytes - kSha256LengthBytes) c->buf[n++] = 0;
    for (int i = 0; i < int(kSha256LengthBytes); ++i)
        c->buf[kSha256BlockBytes - 1 - i] = uint8_t(bits >> (8 * i));
    sha256_compress(c->h, c->buf);
    ++c->compressions;
    for (int i = 0; i < 8; ++i) sha256_store_be(c->h[i], out + 4 * i);
}

// One-shot SHA-256 of a message.
V2G_HD void sha256(const uint8_t* data, size_t len, uint8_t out[kSha256DigestBytes]) {
    Sha256Ctx c;
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

// RFC 6962 section 2.1: the hash of a leaf, SHA-256(0x00 || data).
V2G_HD void sha256_leaf(const uint8_t* data, size_t len, uint8_t out[kSha256DigestBytes]) {
    Sha256Ctx c;
    sha256_init(&c);
    const uint8_t prefix = kMerkleLeafPrefix;
    sha256_update(&c, &prefix, 1);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

// The longest leaf whose hash is one compression: prefix byte + data + 0x80 + 8-byte length <= 64.
constexpr size_t kSha256OneBlockLeafMaxBytes = kSha256BlockBytes - kSha256LengthBytes - 2;  // 54

// sha256_leaf for len <= kSha256OneBlockLeafMaxBytes (a 48-byte transaction), its one padded
// block built straight into the 16 message words: every index into w is a constant once the
// loops unroll, so on the GPU the block lives in registers (no stack frame), unlike the
// streaming context's byte buffer. tests/test_sha256.cpp checks it against sha256_leaf.
V2G_HD void sha256_leaf_one_block(const uint8_t* data, size_t len, uint8_t out[kSha256DigestBytes]) {
    const uint64_t bits = (1 + static_cast<uint64_t>(len)) * 8;
    constexpr int kLengthAt = int(kSha256BlockBytes - kSha256LengthBytes);  // byte 56
    uint32_t w[16];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int t = 0; t < 16; ++t) {
        uint32_t word = 0;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int k = 0; k < 4; ++k) {
            const int i = 4 * t + k;  // the byte's place in the block: prefix, data, 0x80, zeros, length
            uint32_t byte = 0;
            if (i == 0) byte = kMerkleLeafPrefix;
            else if (i <= int(len)) byte = data[i - 1];
            else if (i == int(len) + 1) byte = 0x80;
            else if (i >= kLengthAt) byte = uint32_t(uint8_t(bits >> (8 * (int(kSha256BlockBytes) - 1 - i))));
            word = (word << 8) | byte;
        }
        w[t] = word;
    }
    uint32_t h[8];
    sha256_initial_state(h);
    sha256_compress_words(h, w);
    for (int i = 0; i < 8; ++i) sha256_store_be(h[i], out + 4 * i);
}

// RFC 6962 section 2.1: the hash of an interior node, SHA-256(0x01 || left || right).
// Built directly as its two padded blocks (65 bytes of message), without the streaming buffer.
V2G_HD void sha256_node(const uint8_t left[kSha256DigestBytes], const uint8_t right[kSha256DigestBytes],
                        uint8_t out[kSha256DigestBytes]) {
    constexpr uint64_t kNodeBits = (1 + 2 * kSha256DigestBytes) * 8;  // 520
    uint8_t block[kSha256BlockBytes];
    block[0] = kMerkleNodePrefix;
    for (size_t i = 0; i < kSha256DigestBytes; ++i) block[1 + i] = left[i];
    for (size_t i = 0; i < kSha256DigestBytes - 1; ++i) block[1 + kSha256DigestBytes + i] = right[i];
    uint32_t h[8];
    sha256_initial_state(h);
    sha256_compress(h, block);
    // Second block: the last byte of `right`, the 0x80 terminator, zeros, the length in bits.
    block[0] = right[kSha256DigestBytes - 1];
    block[1] = 0x80;
    for (size_t i = 2; i < kSha256BlockBytes - kSha256LengthBytes; ++i) block[i] = 0;
    for (int i = 0; i < int(kSha256LengthBytes); ++i)
        block[kSha256BlockBytes - 1 - i] = uint8_t(kNodeBits >> (8 * i));
    sha256_compress(h, block);
    for (int i = 0; i < 8; ++i) sha256_store_be(h[i], out + 4 * i);
}

}  // namespace v2g::ledger
