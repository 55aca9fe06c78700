// signature.h: Ed25519 signatures (RFC 8032, through OpenSSL) that anchor a run's chain. Each
// run has a key pair of its own: every block hash is signed, and a signed head (the height,
// tip hash and episode count the chain has reached) is written at every checkpoint and at the
// end. Hashes alone let a forger cut, append or rewrite blocks and recompute every hash; with
// the signatures they would need the run's secret key, which a finished run erases.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include "ledger/block.h"

namespace v2g {

constexpr size_t kEd25519SecretBytes = 32;     // RFC 8032 5.1.5: the 32-byte private key (seed)
constexpr size_t kEd25519PublicBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

struct SigningKey {
    uint8_t secret[kEd25519SecretBytes];
    uint8_t public_key[kEd25519PublicBytes];
};

// A fresh key pair from OpenSSL's random generator. Throws std::runtime_error if it fails.
SigningKey new_signing_key();
// The key pair of a stored secret (a resumed run continues with its own key).
SigningKey signing_key_from_secret(const uint8_t secret[kEd25519SecretBytes]);

// Signs with one key, parsed once. OpenSSL derives the public point from the secret each time
// a key is loaded, which costs about as much as a signature, so a run's writer keeps one signer
// for its whole chain instead of loading the key for every block. The only signing path.
class Ed25519Signer {
public:
    explicit Ed25519Signer(const SigningKey& key);  // throws std::runtime_error if OpenSSL fails
    ~Ed25519Signer();
    Ed25519Signer(const Ed25519Signer&) = delete;
    Ed25519Signer& operator=(const Ed25519Signer&) = delete;
    void sign(const uint8_t* message, size_t bytes, uint8_t signature[kEd25519SignatureBytes]) const;

private:
    struct Key;  // the parsed OpenSSL key (signature.cpp)
    std::unique_ptr<Key> key_;
};

bool ed25519_verify(const uint8_t public_key[kEd25519PublicBytes], const uint8_t* message, size_t bytes,
                    const uint8_t signature[kEd25519SignatureBytes]);

// What a block signature signs: "V2GBLK01" then the block's SHA-256 hash (40 bytes). The tag
// keeps a block signature from ever passing as a head's, and the other way round.
constexpr char kBlockSignatureTag[8] = {'V', '2', 'G', 'B', 'L', 'K', '0', '1'};
void sign_block(const Ed25519Signer& signer, const BlockHeader& block, uint8_t signature[kEd25519SignatureBytes]);
bool block_signature_ok(const uint8_t public_key[kEd25519PublicBytes], const BlockHeader& block,
                        const uint8_t signature[kEd25519SignatureBytes]);

// The chain's signed head: 152 bytes, little-endian (docs/LEDGER.md). The signature covers
// "V2GHEAD1" followed by the 88 bytes before it.
constexpr char kHeadSignatureTag[8] = {'V', '2', 'G', 'H', 'E', 'A', 'D', '1'};
struct ChainHead {
    uint64_t height;                           // the last block it covers
    uint8_t tip_hash[32];                      // that block's hash
    uint8_t run_id[32];                        // the run's id (as in every block header)
    uint64_t episodes;                         // episodes completed = blocks after genesis
    uint32_t sealed;                           // 1: the run finished; no block may follow
    uint32_t reserved;                         // 0
    uint8_t signature[kEd25519SignatureBytes];
};
static_assert(sizeof(ChainHead) == 152, "the chain head is 152 bytes");
static_assert(offsetof(ChainHead, signature) == 88, "layout");

ChainHead signed_head(const Ed25519Signer& signer, const BlockHeader& tip, bool sealed);
bool head_signature_ok(const uint8_t public_key[kEd25519PublicBytes], const ChainHead& head);

}  // namespace v2g
