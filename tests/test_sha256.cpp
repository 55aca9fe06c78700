// SHA-256 (ledger/sha256.h, the portable V2G_HD code) against NIST's published vectors, and the
// portable code against OpenSSL on random messages of every length 0..1000, one-shot and fed to
// the streaming API in odd-sized chunks. Also the RFC 6962 leaf/node helpers and the block count.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/sha256.h"
#include "ledger/sha256_ni.h"

namespace v2g::ledger {
namespace {

constexpr size_t kMaxRandomLength = 1000;

std::string portable_hex(const std::string& msg) {
    uint8_t out[kSha256DigestBytes];
    sha256(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), out);
    return to_hex(out, sizeof out);
}

std::string openssl_hex(const uint8_t* data, size_t len) {
    uint8_t out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    EXPECT_EQ(EVP_Digest(data, len, out, &out_len, EVP_sha256(), nullptr), 1);
    EXPECT_EQ(out_len, kSha256DigestBytes);
    return to_hex(out, out_len);
}

// NIST: FIPS 180-2 appendix B / the CSRC "Cryptographic Standards and Guidelines: Examples with
// Intermediate Values" for SHA-256 (SHA256.pdf), also in the CAVP SHA-256 short/long message tests.
TEST(Sha256, NistVectors) {
    EXPECT_EQ(portable_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(portable_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 448 bits: the padding no longer fits in the first block, so two compressions.
    EXPECT_EQ(portable_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // 896 bits.
    EXPECT_EQ(portable_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
                           "mnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionAs) {
    const std::string msg(1000000, 'a');
    EXPECT_EQ(portable_hex(msg), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // The same through the streaming API in uneven pieces.
    Sha256Ctx c;
    sha256_init(&c);
    size_t done = 0, piece = 1;
    while (done < msg.size()) {
        const size_t take = std::min(piece, msg.size() - done);
        sha256_update(&c, reinterpret_cast<const uint8_t*>(msg.data()) + done, take);
        done += take;
        piece = piece * 3 % 1000 + 1;
    }
    uint8_t out[kSha256DigestBytes];
    sha256_final(&c, out);
    EXPECT_EQ(to_hex(out, sizeof out), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_EQ(c.compressions, sha256_blocks(msg.size()));
}

TEST(Sha256, PortableEqualsOpensslForEveryLengthUpTo1000) {
    std::mt19937_64 rng(20261124);
    std::vector<uint8_t> msg(kMaxRandomLength);
    const size_t chunk_sizes[] = {1, 3, 7, 63, 64, 65, 129};
    for (size_t len = 0; len <= kMaxRandomLength; ++len) {
        for (size_t i = 0; i < len; ++i) msg[i] = static_cast<uint8_t>(rng());
        const std::string want = openssl_hex(msg.data(), len);
        uint8_t out[kSha256DigestBytes];
        sha256(msg.data(), len, out);
        ASSERT_EQ(to_hex(out, sizeof out), want) << "one-shot, length " << len;
        // The wrapper's two implementations.
        ASSERT_EQ(to_hex(sha256_digest(msg.data(), len, Sha256Impl::portable)), want) << "length " << len;
        ASSERT_EQ(to_hex(sha256_digest(msg.data(), len, Sha256Impl::openssl)), want) << "length " << len;
        for (size_t chunk : chunk_sizes) {
            Sha256Ctx c;
            sha256_init(&c);
            for (size_t off = 0; off < len; off += chunk) sha256_update(&c, msg.data() + off, std::min(chunk, len - off));
            sha256_final(&c, out);
            ASSERT_EQ(to_hex(out, sizeof out), want) << "chunks of " << chunk << ", length " << len;
            ASSERT_EQ(c.compressions, sha256_blocks(len)) << "length " << len;
        }
    }
}

TEST(Sha256, BlockCounts) {
    EXPECT_EQ(sha256_blocks(0), 1u);
    EXPECT_EQ(sha256_blocks(55), 1u);  // 55 + 0x80 + 8-byte length = 64
    EXPECT_EQ(sha256_blocks(56), 2u);
    EXPECT_EQ(sha256_blocks(49), 1u);  // a leaf of a 48-byte transaction
    EXPECT_EQ(sha256_blocks(65), 2u);  // a node
    EXPECT_EQ(sha256_blocks(64), 2u);
    EXPECT_EQ(sha256_blocks(119), 2u);
    EXPECT_EQ(sha256_blocks(120), 3u);
}

TEST(Sha256, LeafAndNodeAreDomainSeparated) {
    std::mt19937_64 rng(5);
    for (size_t len = 0; len < 200; ++len) {
        std::vector<uint8_t> data(len), prefixed(len + 1);
        for (auto& b : data) b = static_cast<uint8_t>(rng());
        prefixed[0] = 0x00;
        if (len > 0) std::memcpy(prefixed.data() + 1, data.data(), len);  // memcpy of nullptr is UB
        uint8_t leaf[kSha256DigestBytes];
        sha256_leaf(data.data(), len, leaf);
        ASSERT_EQ(to_hex(leaf, sizeof leaf), openssl_hex(prefixed.data(), prefixed.size())) << len;
        ASSERT_EQ(leaf_hash(data.data(), len, Sha256Impl::openssl), leaf_hash(data.data(), len, Sha256Impl::portable));
    }
    for (int trial = 0; trial < 100; ++trial) {
        Digest l, r;
        for (auto& b : l.bytes) b = static_cast<uint8_t>(rng());
        for (auto& b : r.bytes) b = static_cast<uint8_t>(rng());
        uint8_t msg[1 + 2 * kSha256DigestBytes];
        msg[0] = 0x01;
        std::memcpy(msg + 1, l.bytes, 32);
        std::memcpy(msg + 1 + 32, r.bytes, 32);
        uint8_t node[kSha256DigestBytes];
        sha256_node(l.bytes, r.bytes, node);
        ASSERT_EQ(to_hex(node, sizeof node), openssl_hex(msg, sizeof msg));
        ASSERT_EQ(node_hash(l, r, Sha256Impl::openssl), node_hash(l, r, Sha256Impl::portable));
    }
}

// The GPU's ledger leaf (merkle_cuda.cu's transaction_leaf_kernel) builds its one block in
// registers: the same digest as the streaming context for every length it takes, and, for a
// 48-byte record, as OpenSSL. A wrong byte place (prefix, 0x80, length) changes every digest.
TEST(Sha256, OneBlockLeafEqualsTheStreamingLeafForEveryLengthUpTo54) {
    std::mt19937_64 rng(11);
    EXPECT_EQ(kSha256OneBlockLeafMaxBytes, 54u);
    for (size_t len = 0; len <= kSha256OneBlockLeafMaxBytes; ++len) {
        ASSERT_EQ(sha256_blocks(1 + len), 1u) << len;
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<uint8_t> data(len + 1);  // one spare byte that must not be read into the hash
            for (auto& b : data) b = static_cast<uint8_t>(rng());
            uint8_t streaming[kSha256DigestBytes], one_block[kSha256DigestBytes];
            sha256_leaf(data.data(), len, streaming);
            sha256_leaf_one_block(data.data(), len, one_block);
            ASSERT_EQ(to_hex(one_block, sizeof one_block), to_hex(streaming, sizeof streaming)) << len;
        }
    }
    std::vector<uint8_t> tx(48), prefixed(49, 0);
    for (auto& b : tx) b = static_cast<uint8_t>(rng());
    std::memcpy(prefixed.data() + 1, tx.data(), tx.size());
    uint8_t leaf[kSha256DigestBytes];
    sha256_leaf_one_block(tx.data(), tx.size(), leaf);
    EXPECT_EQ(to_hex(leaf, sizeof leaf), openssl_hex(prefixed.data(), prefixed.size()));
}

// ledger/sha256_ni.h, the CPU's default where it has the SHA extensions: its block function
// against sha256.h's for random states and blocks, its leaves and nodes against OpenSSL's, and
// `fastest` resolving to it; without the extensions, asking for it is an error.
TEST(Sha256, ShaNiAgreesWithOpensslAndThePortableCode) {
    if (!cpu_has_sha_ni()) {
        EXPECT_THROW(leaf_hash(nullptr, 0, Sha256Impl::sha_ni), std::runtime_error);
        GTEST_SKIP() << "this CPU has no SHA extensions";
    }
    std::mt19937_64 rng(17);
    for (int trial = 0; trial < 2000; ++trial) {
        uint8_t block[kSha256BlockBytes];
        uint32_t a[8], b[8];
        for (auto& x : block) x = static_cast<uint8_t>(rng());
        for (int i = 0; i < 8; ++i) a[i] = b[i] = static_cast<uint32_t>(rng());
        sha256_compress(a, block);
        sha256_ni_compress(b, block);
        ASSERT_EQ(std::memcmp(a, b, sizeof a), 0) << "trial " << trial;
    }
    for (size_t len = 0; len < 200; ++len) {  // one block up to 54 bytes, OpenSSL beyond
        std::vector<uint8_t> data(len + 1);
        for (auto& x : data) x = static_cast<uint8_t>(rng());
        ASSERT_EQ(leaf_hash(data.data(), len, Sha256Impl::sha_ni), leaf_hash(data.data(), len, Sha256Impl::openssl)) << len;
        ASSERT_EQ(leaf_hash(data.data(), len, Sha256Impl::fastest), leaf_hash(data.data(), len, Sha256Impl::openssl)) << len;
    }
    for (int trial = 0; trial < 200; ++trial) {
        Digest l, r;
        for (auto& x : l.bytes) x = static_cast<uint8_t>(rng());
        for (auto& x : r.bytes) x = static_cast<uint8_t>(rng());
        ASSERT_EQ(node_hash(l, r, Sha256Impl::sha_ni), node_hash(l, r, Sha256Impl::openssl));
    }
    std::vector<uint8_t> records(5000 * 48);
    for (auto& x : records) x = static_cast<uint8_t>(rng());
    // Every remainder of the groups of four messages hashed at once, at the leaves and the levels.
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{6}, size_t{7},
                     size_t{9}, size_t{1025}, size_t{1026}, size_t{1027}, size_t{5000}})
        ASSERT_EQ(merkle_root_fixed(records.data(), 48, n, 2, Sha256Impl::sha_ni),
                  merkle_root_fixed(records.data(), 48, n, 2, Sha256Impl::openssl))
            << n;
}

TEST(Hex, RoundTripAndClearErrors) {
    Digest d;
    for (int i = 0; i < 32; ++i) d.bytes[i] = static_cast<uint8_t>(i * 7 + 1);
    EXPECT_EQ(digest_from_hex(to_hex(d)), d);
    EXPECT_EQ(bytes_from_hex("00FFaB"), (std::vector<uint8_t>{0x00, 0xff, 0xab}));
    EXPECT_TRUE(bytes_from_hex("").empty());
    auto message = [](auto fn) {
        try {
            fn();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no exception");
    };
    EXPECT_EQ(message([] { bytes_from_hex("abc"); }), "bad hex: odd number of digits");
    EXPECT_EQ(message([] { bytes_from_hex("0g"); }), "bad hex: 'g' at position 2 is not a hex digit");
    EXPECT_EQ(message([] { digest_from_hex("00"); }), "bad digest: expected 64 hex digits, got 2");
    EXPECT_EQ(message([] { digest_from_hex(std::string(64, 'z')); }), "bad hex: 'z' at position 1 is not a hex digit");
}

}  // namespace
}  // namespace v2g::ledger
