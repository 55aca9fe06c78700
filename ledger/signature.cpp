// signature.cpp: see signature.h. OpenSSL's EVP interface for Ed25519 (one-shot
// EVP_DigestSign/EVP_DigestVerify: Ed25519 hashes the message itself, RFC 8032 5.1.6).
#include "ledger/signature.h"

#include <openssl/evp.h>
#include <cstring>
#include <memory>
#include <stdexcept>
#include "ledger/ledger_file.h"

namespace v2g {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

[[noreturn]] void openssl_failed(const char* what) { throw std::runtime_error(std::string("OpenSSL Ed25519: ") + what); }

SigningKey key_of(EVP_PKEY* pkey) {
    SigningKey k{};
    size_t n = sizeof k.secret;
    if (EVP_PKEY_get_raw_private_key(pkey, k.secret, &n) != 1 || n != sizeof k.secret) openssl_failed("private key");
    n = sizeof k.public_key;
    if (EVP_PKEY_get_raw_public_key(pkey, k.public_key, &n) != 1 || n != sizeof k.public_key) openssl_failed("public key");
    return k;
}

// tag || bytes, the message a signature covers.
template <size_t N>
void tagged(const char (&tag)[N], const void* bytes, size_t n, uint8_t* out) {
    std::memcpy(out, tag, N);
    std::memcpy(out + N, bytes, n);
}

}  // namespace

SigningKey new_signing_key() {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) openssl_failed("key generation");
    Pkey pkey(raw);
    return key_of(pkey.get());
}

SigningKey signing_key_from_secret(const uint8_t secret[kEd25519SecretBytes]) {
    Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, secret, kEd25519SecretBytes));
    if (!pkey) openssl_failed("private key");
    return key_of(pkey.get());
}

struct Ed25519Signer::Key {
    Pkey pkey;
};

Ed25519Signer::Ed25519Signer(const SigningKey& key)
    : key_(new Key{Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.secret, sizeof key.secret))}) {
    if (!key_->pkey) openssl_failed("private key");
}

Ed25519Signer::~Ed25519Signer() = default;

void Ed25519Signer::sign(const uint8_t* message, size_t bytes, uint8_t signature[kEd25519SignatureBytes]) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    size_t n = kEd25519SignatureBytes;
    if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
        EVP_DigestSign(md.get(), signature, &n, message, bytes) != 1 || n != kEd25519SignatureBytes)
        openssl_failed("signing");
}

bool ed25519_verify(const uint8_t public_key[kEd25519PublicBytes], const uint8_t* message, size_t bytes,
                    const uint8_t signature[kEd25519SignatureBytes]) {
    Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key, kEd25519PublicBytes));
    if (!pkey) return false;  // not a point on the curve: no signature can be valid
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) openssl_failed("verification");
    return EVP_DigestVerify(md.get(), signature, kEd25519SignatureBytes, message, bytes) == 1;
}

void sign_block(const Ed25519Signer& signer, const BlockHeader& block, uint8_t signature[kEd25519SignatureBytes]) {
    const Digest hash = block_hash(block);
    uint8_t message[sizeof kBlockSignatureTag + 32];
    tagged(kBlockSignatureTag, hash.bytes, 32, message);
    signer.sign(message, sizeof message, signature);
}

bool block_signature_ok(const uint8_t public_key[kEd25519PublicBytes], const BlockHeader& block,
                        const uint8_t signature[kEd25519SignatureBytes]) {
    const Digest hash = block_hash(block);
    uint8_t message[sizeof kBlockSignatureTag + 32];
    tagged(kBlockSignatureTag, hash.bytes, 32, message);
    return ed25519_verify(public_key, message, sizeof message, signature);
}

ChainHead signed_head(const Ed25519Signer& signer, const BlockHeader& tip, bool sealed) {
    ChainHead h{};
    h.height = tip.height;
    const Digest hash = block_hash(tip);
    std::memcpy(h.tip_hash, hash.bytes, 32);
    std::memcpy(h.run_id, tip.run_id, 32);
    h.episodes = tip.height;  // block e + 1 commits episode e
    h.sealed = sealed ? 1 : 0;
    uint8_t message[sizeof kHeadSignatureTag + offsetof(ChainHead, signature)];
    tagged(kHeadSignatureTag, &h, offsetof(ChainHead, signature), message);
    signer.sign(message, sizeof message, h.signature);
    return h;
}

bool head_signature_ok(const uint8_t public_key[kEd25519PublicBytes], const ChainHead& head) {
    uint8_t message[sizeof kHeadSignatureTag + offsetof(ChainHead, signature)];
    tagged(kHeadSignatureTag, &head, offsetof(ChainHead, signature), message);
    return ed25519_verify(public_key, message, sizeof message, head.signature);
}

}  // namespace v2g
