// RFC 6962 Merkle trees (ledger/merkle.h): the published Certificate Transparency test vectors,
// the level-by-level roots against the RFC's recursive definition (every size 0..300 and a few
// large ones), inclusion and consistency proofs for every index / size up to 64 against a
// recursive reference, tampered proofs rejected, CPU OpenSSL vs portable vs CUDA agreement, and
// `v2g ledger` (run_ledger_cli) on good and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "cli/ledger_cli.h"
#include "ledger/merkle.h"

namespace v2g::ledger {
namespace {

constexpr size_t kTxBytes = 40;        // the engine's transaction record size
constexpr size_t kExhaustiveSize = 300;
constexpr size_t kProofSize = 64;

// ---------------------------------------------------------------- published vectors
// From transparency-dev/merkle, proof/verify_test.go (the RFC 6962 vectors that Google's
// certificate-transparency C++/Go code and Trillian also publish): the leaf data, the roots of
// the trees of the first 1..8 leaves, and inclusion / consistency proofs. Their inclusion table
// numbers leaves from 1; converted to 0-based indices here.
const char* kLeafHex[] = {"",         "00",       "10",
                          "2021",     "3031",     "40414243",
                          "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const char* kEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char* kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

struct InclusionVector {
    size_t index, size;
    std::vector<const char*> path;
};
const InclusionVector kInclusion[] = {
    {0, 1, {}},
    {0, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
    size_t old_size, new_size;
    std::vector<const char*> proof;
};
const ConsistencyVector kConsistency[] = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<std::string> reference_leaves(size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) {
        const std::vector<uint8_t> b = bytes_from_hex(kLeafHex[i]);
        out.emplace_back(b.begin(), b.end());
    }
    return out;
}

std::vector<Digest> digests(const std::vector<const char*>& hex) {
    std::vector<Digest> out;
    for (const char* h : hex) out.push_back(digest_from_hex(h));
    return out;
}

TEST(MerkleVectors, RootsOfTheReferenceLeaves) {
    EXPECT_EQ(to_hex(merkle_root({})), kEmptyRoot);
    EXPECT_EQ(to_hex(empty_tree_root()), kEmptyRoot);
    for (size_t n = 1; n <= 8; ++n) {
        const auto leaves = reference_leaves(n);
        EXPECT_EQ(to_hex(merkle_root(leaves, Sha256Impl::openssl)), kRoots[n - 1]) << "size " << n;
        EXPECT_EQ(to_hex(merkle_root(leaves, Sha256Impl::portable)), kRoots[n - 1]) << "size " << n;
    }
}

TEST(MerkleVectors, InclusionProofs) {
    for (const InclusionVector& v : kInclusion) {
        const auto hashes = leaf_hashes(reference_leaves(v.size));
        const auto want = digests(v.path);
        EXPECT_EQ(inclusion_proof(hashes, v.index), want) << "leaf " << v.index << " of " << v.size;
        EXPECT_TRUE(verify_inclusion(hashes[v.index], v.index, v.size, want, digest_from_hex(kRoots[v.size - 1])));
    }
}

TEST(MerkleVectors, ConsistencyProofs) {
    const auto all = leaf_hashes(reference_leaves(8));
    for (const ConsistencyVector& v : kConsistency) {
        const std::vector<Digest> hashes(all.begin(), all.begin() + v.new_size);
        const auto want = digests(v.proof);
        EXPECT_EQ(consistency_proof(hashes, v.old_size), want) << v.old_size << " -> " << v.new_size;
        EXPECT_TRUE(verify_consistency(v.old_size, v.new_size, digest_from_hex(kRoots[v.old_size - 1]),
                                       digest_from_hex(kRoots[v.new_size - 1]), want))
            << v.old_size << " -> " << v.new_size;
    }
}

// ---------------------------------------------------------------- recursive references

size_t split_of(size_t n) {  // largest power of two < n, n >= 2
    size_t k = 1;
    while (2 * k < n) k *= 2;
    return k;
}

// RFC 6962 2.1.1 PATH(m, D[n]).
void reference_path(const Digest* d, size_t m, size_t n, std::vector<Digest>* out) {
    if (n <= 1) return;
    const size_t k = split_of(n);
    if (m < k) {
        reference_path(d, m, k, out);
        out->push_back(merkle_root_recursive(d + k, n - k));
    } else {
        reference_path(d + k, m - k, n - k, out);
        out->push_back(merkle_root_recursive(d, k));
    }
}

// RFC 6962 2.1.2 SUBPROOF(m, D[n], b).
void reference_subproof(const Digest* d, size_t m, size_t n, bool b, std::vector<Digest>* out) {
    if (m == n) {
        if (!b) out->push_back(merkle_root_recursive(d, n));
        return;
    }
    const size_t k = split_of(n);
    if (m <= k) {
        reference_subproof(d, m, k, b, out);
        out->push_back(merkle_root_recursive(d + k, n - k));
    } else {
        reference_subproof(d + k, m - k, n - k, false, out);
        out->push_back(merkle_root_recursive(d, k));
    }
}

std::vector<uint8_t> random_records(size_t n, size_t record_bytes, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> out(n * record_bytes);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

std::vector<Digest> record_hashes(const std::vector<uint8_t>& records, size_t record_bytes) {
    std::vector<Digest> out(records.size() / record_bytes);
    for (size_t i = 0; i < out.size(); ++i) out[i] = leaf_hash(records.data() + i * record_bytes, record_bytes);
    return out;
}

// ---------------------------------------------------------------- level by level == RFC

TEST(MerkleRoot, LevelByLevelEqualsRecursiveForEverySizeUpTo300) {
    const auto records = random_records(kExhaustiveSize, kTxBytes, 1);
    const auto hashes = record_hashes(records, kTxBytes);
    for (size_t n = 0; n <= kExhaustiveSize; ++n) {
        const Digest want = merkle_root_recursive(hashes.data(), n);
        const std::vector<Digest> prefix(hashes.begin(), hashes.begin() + n);
        ASSERT_EQ(merkle_root_from_leaf_hashes(prefix, 1, Sha256Impl::openssl), want) << "size " << n;
        ASSERT_EQ(merkle_root_from_leaf_hashes(prefix, 1, Sha256Impl::portable), want) << "size " << n;
        ASSERT_EQ(merkle_root_fixed(records.data(), kTxBytes, n, 1, Sha256Impl::openssl), want) << "size " << n;
        ASSERT_EQ(merkle_root_fixed(records.data(), kTxBytes, n, 2, Sha256Impl::portable), want) << "size " << n;
    }
}

TEST(MerkleRoot, LargeSizesAndAnyThreadCount) {
    std::mt19937_64 rng(2026);
    // Around a power of two (where the split changes) and a random size up to 10^6 (the Python
    // cross-check runs 10^6 itself through the CLI).
    const size_t sizes[] = {(size_t{1} << 16) - 1, (size_t{1} << 16) + 1,
                            300000 + static_cast<size_t>(rng() % 700001)};
    for (size_t n : sizes) {
        const auto records = random_records(n, kTxBytes, n);
        const auto hashes = record_hashes(records, kTxBytes);
        const Digest want = merkle_root_recursive(hashes.data(), n);
        for (int threads : {1, 2, 3}) {
            ASSERT_EQ(merkle_root_fixed(records.data(), kTxBytes, n, threads, Sha256Impl::openssl), want)
                << "size " << n << ", " << threads << " threads";
        }
        ASSERT_EQ(merkle_root_fixed(records.data(), kTxBytes, n, 2, Sha256Impl::portable), want) << "size " << n;
    }
}

TEST(MerkleRoot, RecordSizesSpanningBlocks) {
    // Leaves of 0, 1, 54/55 (the one-block limit with the prefix), 63, 64, 65 and 200 bytes.
    for (size_t bytes : {0, 1, 54, 55, 63, 64, 65, 200}) {
        const size_t n = 37;
        const auto records = random_records(n, bytes, bytes + 1);
        std::vector<Digest> hashes(n);
        for (size_t i = 0; i < n; ++i) hashes[i] = leaf_hash(records.data() + i * bytes, bytes, Sha256Impl::portable);
        const Digest want = merkle_root_recursive(hashes.data(), n);
        EXPECT_EQ(merkle_root_fixed(records.data(), bytes, n, 2, Sha256Impl::openssl), want) << bytes << " bytes";
        EXPECT_EQ(merkle_root_fixed(records.data(), bytes, n, 1, Sha256Impl::portable), want) << bytes << " bytes";
    }
}

// ---------------------------------------------------------------- proofs

TEST(MerkleProofs, InclusionForEveryIndexUpTo64AndTamperingFails) {
    const auto hashes = record_hashes(random_records(kProofSize, kTxBytes, 3), kTxBytes);
    Digest other;
    for (auto& b : other.bytes) b = 0x5a;
    for (size_t n = 0; n <= kProofSize; ++n) {
        const std::vector<Digest> tree(hashes.begin(), hashes.begin() + n);
        const Digest root = merkle_root_recursive(tree.data(), n);
        EXPECT_THROW(inclusion_proof(tree, n), std::out_of_range);
        for (size_t i = 0; i < n; ++i) {
            const auto path = inclusion_proof(tree, i);
            std::vector<Digest> want;
            reference_path(tree.data(), i, n, &want);
            ASSERT_EQ(path, want) << "leaf " << i << " of " << n;
            ASSERT_TRUE(verify_inclusion(tree[i], i, n, path, root)) << "leaf " << i << " of " << n;
            // Every tampering is caught.
            for (size_t j = 0; j < path.size(); ++j) {
                for (int bit : {0, 3, 7}) {
                    auto bad = path;
                    bad[j].bytes[j % 32] ^= static_cast<uint8_t>(1u << bit);
                    ASSERT_FALSE(verify_inclusion(tree[i], i, n, bad, root)) << i << "/" << n << " elem " << j;
                }
            }
            ASSERT_FALSE(verify_inclusion(other, i, n, path, root));
            ASSERT_FALSE(verify_inclusion(tree[i], i, n, path, other));
            ASSERT_FALSE(verify_inclusion(tree[i], n, n, path, root));
            // Another tree size: the verifier walks the path by (index, size), so a size whose
            // path has another length must fail. (A size with a path of the same shape may pass:
            // the size is bound to the root by whoever publishes them, as in RFC 9162.)
            for (size_t other_size : {n - 1, n + 1, 2 * n, n / 2}) {
                if (other_size == n || other_size <= i || other_size > kProofSize) continue;
                const std::vector<Digest> other_tree(hashes.begin(), hashes.begin() + other_size);
                if (inclusion_proof(other_tree, i).size() != path.size()) {
                    ASSERT_FALSE(verify_inclusion(tree[i], i, other_size, path, root)) << i << "/" << n;
                }
            }
            if (i > 0) {
                ASSERT_FALSE(verify_inclusion(tree[i], i - 1, n, path, root));
            }
            if (i + 1 < n) {
                ASSERT_FALSE(verify_inclusion(tree[i], i + 1, n, path, root));
            }
            auto longer = path;
            longer.push_back(root);
            ASSERT_FALSE(verify_inclusion(tree[i], i, n, longer, root));
            if (!path.empty()) {
                auto shorter = path;
                shorter.pop_back();
                ASSERT_FALSE(verify_inclusion(tree[i], i, n, shorter, root));
                auto front = path;
                front.insert(front.begin(), other);
                ASSERT_FALSE(verify_inclusion(tree[i], i, n, front, root));
            }
        }
    }
}

TEST(MerkleProofs, ConsistencyForEverySizePairUpTo64AndTamperingFails) {
    const auto hashes = record_hashes(random_records(kProofSize, kTxBytes, 4), kTxBytes);
    for (size_t n = 0; n <= kProofSize; ++n) {
        const std::vector<Digest> tree(hashes.begin(), hashes.begin() + n);
        const Digest new_root = merkle_root_recursive(tree.data(), n);
        EXPECT_THROW(consistency_proof(tree, n + 1), std::out_of_range);
        for (size_t m = 0; m <= n; ++m) {
            const Digest old_root = merkle_root_recursive(tree.data(), m);
            const auto proof = consistency_proof(tree, m);
            std::vector<Digest> want;
            if (m > 0 && m < n) reference_subproof(tree.data(), m, n, true, &want);
            ASSERT_EQ(proof, want) << m << " -> " << n;
            ASSERT_TRUE(verify_consistency(m, n, old_root, new_root, proof)) << m << " -> " << n;
            if (m == n) {
                continue;
            }
            if (m > 0) {
                ASSERT_FALSE(verify_consistency(m, n, new_root, old_root, proof)) << m << " -> " << n;
            }
            if (m == 0) {
                ASSERT_FALSE(verify_consistency(m, n, new_root, new_root, proof)) << "old root must be empty";
                continue;
            }
            for (size_t j = 0; j < proof.size(); ++j) {
                auto bad = proof;
                bad[j].bytes[0] ^= 0x10;
                ASSERT_FALSE(verify_consistency(m, n, old_root, new_root, bad)) << m << " -> " << n << " elem " << j;
            }
            ASSERT_FALSE(verify_consistency(m, n, old_root, new_root, {})) << m << " -> " << n;
            auto longer = proof;
            longer.push_back(new_root);
            ASSERT_FALSE(verify_consistency(m, n, old_root, new_root, longer)) << m << " -> " << n;
            auto shorter = proof;
            shorter.pop_back();
            ASSERT_FALSE(verify_consistency(m, n, old_root, new_root, shorter)) << m << " -> " << n;
            ASSERT_FALSE(verify_consistency(m + 1, n, old_root, new_root, proof)) << m << " -> " << n;
            if (n + 1 <= kProofSize) {  // as for inclusion: a proof of another length fails
                const std::vector<Digest> bigger(hashes.begin(), hashes.begin() + n + 1);
                if (consistency_proof(bigger, m).size() != proof.size()) {
                    ASSERT_FALSE(verify_consistency(m, n + 1, old_root, new_root, proof)) << m << " -> " << n;
                }
            }
            ASSERT_FALSE(verify_consistency(n, m, new_root, old_root, proof)) << "time travel " << m << " " << n;
        }
    }
}

// ---------------------------------------------------------------- CUDA

// GTEST_SKIP() returns from the function it is in, so this is a macro used in each test body.
#define SKIP_WITHOUT_GPU()                                                                    \
    do {                                                                                      \
        std::string why;                                                                      \
        if (!merkle_cuda_usable(&why)) GTEST_SKIP() << "no usable GPU, CUDA test skipped: " << why; \
    } while (0)

TEST(MerkleCuda, AgreesWithCpuForEverySizeUpTo300AndLargeOnes) {
    SKIP_WITHOUT_GPU();
    const auto records = random_records(kExhaustiveSize, kTxBytes, 9);
    for (size_t n = 0; n <= kExhaustiveSize; ++n)
        ASSERT_EQ(merkle_root_fixed_cuda(records.data(), kTxBytes, n),
                  merkle_root_fixed(records.data(), kTxBytes, n, 2, Sha256Impl::openssl))
            << "size " << n;
    for (size_t n : {size_t{1} << 20, size_t{1000003}}) {
        const auto big = random_records(n, kTxBytes, n);
        ASSERT_EQ(merkle_root_fixed_cuda(big.data(), kTxBytes, n),
                  merkle_root_fixed(big.data(), kTxBytes, n, 0, Sha256Impl::openssl))
            << "size " << n;
    }
    for (size_t bytes : {0, 1, 55, 64, 65, 200}) {
        const auto odd = random_records(77, bytes, bytes);
        ASSERT_EQ(merkle_root_fixed_cuda(odd.data(), bytes, 77),
                  merkle_root_fixed(odd.data(), bytes, 77, 1, Sha256Impl::portable))
            << bytes << "-byte records";
    }
}

// The episode commit's path: the count only on the device, the buffer larger than the tree
// (junk past the count), the levels planned for the buffer's size.
TEST(MerkleCuda, CountOnTheDeviceGivesTheRootOfTheCountedRecords) {
    SKIP_WITHOUT_GPU();
    const auto records = random_records(kExhaustiveSize, kTxBytes, 13);
    const auto check = [&](size_t n, size_t max_leaves) {
        ASSERT_EQ(merkle_root_fixed_cuda_counted(records.data(), kTxBytes, n, max_leaves),
                  merkle_root_fixed(records.data(), kTxBytes, n, 1, Sha256Impl::openssl))
            << n << " of " << max_leaves;
    };
    for (size_t max_leaves : {size_t{1}, size_t{2}, size_t{7}, size_t{64}})
        for (size_t n = 0; n <= max_leaves; ++n) check(n, max_leaves);
    for (size_t n : {0, 1, 2, 3, 127, 128, 129, 255, 256, 257, 299, 300}) check(n, kExhaustiveSize);
    const auto odd = random_records(40, 200, 3);
    ASSERT_EQ(merkle_root_fixed_cuda_counted(odd.data(), 200, 33, 40),
              merkle_root_fixed(odd.data(), 200, 33, 1, Sha256Impl::portable));
}

TEST(MerkleCuda, TooLittleScratchIsAnError) {
    SKIP_WITHOUT_GPU();
    EXPECT_THROW(merkle_root_fixed_device(nullptr, kTxBytes, 10, nullptr, merkle_scratch_bytes(10) - 1),
                 std::runtime_error);
}

TEST(MerkleCuda, WithoutGpuSaysWhy) {
    std::string why;
    if (merkle_cuda_usable(&why)) GTEST_SKIP() << "a GPU is usable here";
    EXPECT_FALSE(why.empty());
    const uint8_t rec[kTxBytes] = {};
    EXPECT_THROW(merkle_root_fixed_cuda(rec, kTxBytes, 1), std::runtime_error);
}

// ---------------------------------------------------------------- v2g ledger

struct CliResult {
    int status;
    std::string out, err;
};

CliResult run_cli(const std::vector<std::string>& args, const std::string& input) {
    std::istringstream in(input);
    std::ostringstream out, err;
    const int status = run_ledger_cli(args, in, out, err);
    return {status, out.str(), err.str()};
}

std::string reference_input(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += std::string(kLeafHex[i]) + "\n";
    return s;
}

size_t lines_of(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(LedgerCli, RootOfTheReferenceLeaves) {
    EXPECT_EQ(run_cli({"root"}, "").out, std::string(kEmptyRoot) + "\n");
    for (size_t n = 1; n <= 8; ++n) {
        const CliResult r = run_cli({"root"}, reference_input(n));
        EXPECT_EQ(r.status, 0);
        EXPECT_EQ(r.out, std::string(kRoots[n - 1]) + "\n") << "size " << n;
    }
    // CRLF, upper case and a missing final newline change nothing; "\n" is one empty leaf.
    EXPECT_EQ(run_cli({"root"}, "\r\n00\r\n10").out, std::string(kRoots[2]) + "\n");
    EXPECT_EQ(run_cli({"root"}, "\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696A6B6C6D6E6F")
                  .out,
              std::string(kRoots[7]) + "\n");
    EXPECT_EQ(run_cli({"root"}, "\n").out, std::string(kRoots[0]) + "\n");
}

TEST(LedgerCli, ProveAndCheckRoundTrip) {
    const std::string input = reference_input(8);
    for (size_t i = 0; i < 8; ++i) {
        const CliResult p = run_cli({"prove", "--index", std::to_string(i)}, input);
        ASSERT_EQ(p.status, 0) << p.err;
        EXPECT_NE(p.out.find("size 8\nroot " + std::string(kRoots[7]) + "\nindex " + std::to_string(i) + "\n"),
                  std::string::npos);
        const CliResult ok = run_cli({"check-proof", "--leaf", kLeafHex[i]}, p.out);
        EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
        EXPECT_EQ(lines_of(ok.out), 1u);
        // The wrong leaf, and a flipped digit in the path, are invalid (exit 1, one line).
        const CliResult wrong = run_cli({"check-proof", "--leaf", "ff"}, p.out);
        EXPECT_EQ(wrong.status, 1);
        EXPECT_EQ(lines_of(wrong.out), 1u);
        std::string tampered = p.out;
        const size_t at = tampered.find("path ") + 5;
        tampered[at] = tampered[at] == '0' ? '1' : '0';
        EXPECT_EQ(run_cli({"check-proof", "--leaf-hash", to_hex(leaf_hash(nullptr, 0))}, tampered).status, 1);
    }
    // The published path for leaf 5 of 8.
    const CliResult p = run_cli({"prove", "--index", "5"}, input);
    EXPECT_NE(p.out.find("path bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b\n"
                         "path ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0\n"
                         "path d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7\n"),
              std::string::npos)
        << p.out;
}

TEST(LedgerCli, ConsistencyRoundTrip) {
    const std::string input = reference_input(8);
    for (size_t m = 0; m <= 8; ++m) {
        const CliResult p = run_cli({"consistency", "--old", std::to_string(m)}, input);
        ASSERT_EQ(p.status, 0) << p.err;
        const CliResult ok = run_cli({"check-consistency"}, p.out);
        EXPECT_EQ(ok.status, 0) << m << ": " << ok.out << ok.err;
        if (m > 0 && m < 8) {
            std::string tampered = p.out;
            const size_t at = tampered.find("path ") + 5;
            tampered[at] = tampered[at] == 'a' ? 'b' : 'a';
            EXPECT_EQ(run_cli({"check-consistency"}, tampered).status, 1) << m;
        }
    }
}

void expect_bad_input(const std::vector<std::string>& args, const std::string& input, const std::string& fragment) {
    const CliResult r = run_cli(args, input);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(lines_of(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << "wanted '" << fragment << "' in: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(LedgerCli, BadInputIsOneLineAndExit2) {
    expect_bad_input({"root"}, "00\n10\nabc\n", "stdin:3: bad hex: odd number of digits");
    expect_bad_input({"root"}, "00\n0x10\n", "stdin:2: bad hex: 'x' at position 2 is not a hex digit");
    expect_bad_input({"root"}, "00 \n", "stdin:1: bad hex: ' '");
    expect_bad_input({"prove", "--index", "3"}, "00\n10\n", "--index 3 is out of range for a tree of 2 leaves");
    expect_bad_input({"prove", "--index", "0"}, "", "--index 0 is out of range for a tree of 0 leaves");
    expect_bad_input({"prove", "--index", "-1"}, "00\n", "--index: '-1' is not a non-negative integer");
    expect_bad_input({"prove", "--index", "99999999999999999999999"}, "00\n", "--index");
    expect_bad_input({"prove"}, "00\n", "--index");
    expect_bad_input({"prove", "--index"}, "00\n", "--index needs a value");
    expect_bad_input({"consistency", "--old", "3"}, "00\n", "--old 3 is larger than the tree's 1 leaves");
    expect_bad_input({"fly"}, "", "unknown ledger command 'fly'");
    expect_bad_input({}, "", "ledger needs a command");
    expect_bad_input({"root", "--bogus", "1"}, "", "unknown argument '--bogus'");
    expect_bad_input({"check-proof"}, "", "--leaf");
    expect_bad_input({"check-proof", "--leaf", "0"}, "", "--leaf: bad hex: odd number of digits");
    expect_bad_input({"check-proof", "--leaf", "00"}, "size 1\nroot zz\nindex 0\n", "stdin:2: bad hex");
    expect_bad_input({"check-proof", "--leaf", "00"}, "size 1\nindex 0\n", "stdin: missing 'root' line");
    expect_bad_input({"check-proof", "--leaf", "00"}, "size x\n", "stdin:1: size: 'x' is not a non-negative integer");
    expect_bad_input({"check-proof", "--leaf", "00"}, "garbage\n", "stdin:1: expected 'KEY VALUE'");
    expect_bad_input({"check-proof", "--leaf", "00"}, "colour blue\n", "stdin:1: unknown key 'colour'");
    expect_bad_input({"check-proof", "--leaf", "00", "--proof", "/nonexistent/proof"}, "", "/nonexistent/proof");
    expect_bad_input({"check-consistency"}, "old-size 1\nnew-size 2\nold-root 00\n", "stdin:3: bad digest");
}

}  // namespace
}  // namespace v2g::ledger
