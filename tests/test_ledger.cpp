// The ledger end to end: contracts enforced (each rejection reason; rejected transfers move
// nothing), committed transactions adding up exactly to the engine's integer totals, blocks
// chained and verifiable, and tampering of every kind caught and located.
#include <gtest/gtest.h>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/cli_test_helpers.h"
#include "tests/test_helpers.h"
#include "ledger/ledger_file.h"
#include "ledger/reexecute.h"
#include "ledger/signature.h"

namespace v2g {
namespace {

// ctest runs each test in its own process, several at once: names carry the process id.
std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "v2g_" + std::to_string(getpid()) + "_" + name;
}

// Trains cfg with the ledger written to `path` (all transactions stored unless cfg says
// otherwise) and returns the summary.
TrainSummary train_with_ledger(Config cfg, const std::string& path, int threads = 1) {
    Problem problem = build_problem(cfg);
    const EnvParams params = problem.params;
    LedgerOutput out{path, problem.contracts, run_id_of(cfg)};
    Trainer trainer(cfg, params, make_cpu_backend(std::move(problem), threads), std::move(out));
    return trainer.train();
}

Config ledger_config(uint64_t seed = 5) {
    Config cfg = testing::small_config(seed, 24, 8);
    cfg.run.episodes = 6;
    cfg.ledger.contracts = 12;
    cfg.ledger.store_transactions = StoredTransactions::all;
    cfg.learning.epsilon = 1.0;  // random actions: every kind of transfer happens
    cfg.learning.epsilon_decay = 1.0;
    return cfg;
}

// --- contracts ---------------------------------------------------------------------------

struct Rejections {
    int64_t by_reason[kNumRejectReasons] = {};
    LedgerData ledger;
};

Rejections run_and_read(const Config& cfg, const std::string& name) {
    const std::string path = temp_path(name);
    const TrainSummary s = train_with_ledger(cfg, path);
    Rejections r;
    for (int k = 0; k < kNumRejectReasons; ++k) r.by_reason[k] = s.rejected[k];
    r.ledger = read_ledger(path);
    EXPECT_TRUE(verify_ledger(r.ledger).ok);
    std::remove(path.c_str());
    return r;
}

TEST(Contracts, RegistryCoversEveryVehicleOnce) {
    Config cfg = ledger_config();
    const Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    ASSERT_EQ(problem.contracts.size(), 12u);
    for (int v = 0; v < p.num_vehicles; ++v) {
        for (ContractType type : {kContractP2PMarket, kContractV2GService, kContractChargingTariff}) {
            const Contract& k = problem.contracts[contract_for(p, v, type)];
            EXPECT_EQ(k.type, type);
            EXPECT_EQ(check_contract(k, v, v / p.community_size, 0, 0, 0), kAccepted) << "vehicle " << v;
        }
    }
}

TEST(Contracts, EnergyCapRejectsLargeTransfersAndOnlyThose) {
    Config cfg = ledger_config();
    cfg.ledger.energy_cap_kwh_per_step = 5.0;  // chargers deliver up to 11 kWh in an hour
    const Rejections r = run_and_read(cfg, "cap.ledger");
    EXPECT_GT(r.by_reason[kRejectEnergyCap], 0);
    EXPECT_EQ(r.by_reason[kRejectPrice] + r.by_reason[kRejectValidity] + r.by_reason[kRejectParty], 0);
    for (const auto& block : r.ledger.transactions)
        for (const Transaction& t : block) EXPECT_LE(std::llabs(t.energy_wh), 5000) << "a transfer over the cap executed";
}

TEST(Contracts, PriceOutsideFloorOrCapIsRejected) {
    Config cfg = ledger_config();
    cfg.ledger.price_cap_per_kwh = 0.02;  // below every retail and market price
    const Rejections r = run_and_read(cfg, "price.ledger");
    EXPECT_GT(r.by_reason[kRejectPrice], 0);
    for (const auto& block : r.ledger.transactions)
        for (const Transaction& t : block)
            if (t.kind != kTxPvSell) {
                EXPECT_LE(t.price_micro_per_kwh, 20000) << "kind " << int(t.kind);
            }
}

TEST(Contracts, FixedPriceTariffsChargeTheirPrice) {
    Config cfg = ledger_config();
    cfg.ledger.charging_fixed_price_per_kwh = 0.25;
    const Rejections r = run_and_read(cfg, "fixed.ledger");
    int imports = 0;
    for (const auto& block : r.ledger.transactions)
        for (const Transaction& t : block)
            if (t.kind == kTxGridImport || t.kind == kTxUnmatchedImport) {
                ++imports;
                EXPECT_EQ(t.price_micro_per_kwh, 250000);
                EXPECT_EQ(r.ledger.contracts[t.contract].price_mode, kPriceFixed);
            }
    EXPECT_GT(imports, 0);
}

TEST(Contracts, ExpiredContractsRejectEverything) {
    Config cfg = ledger_config();
    cfg.ledger.valid_episodes = 2;
    const Rejections r = run_and_read(cfg, "validity.ledger");
    EXPECT_GT(r.by_reason[kRejectValidity], 0);
    // Blocks 1 and 2 hold episodes 0 and 1; later episodes execute only PV sales (no vehicle
    // transfer passes its contract, so nothing is bought or sold either).
    for (size_t b = 3; b < r.ledger.blocks.size(); ++b) {
        EXPECT_EQ(r.ledger.transactions[b].size(), 0u) << "block " << b;
    }
    EXPECT_GT(r.ledger.transactions[1].size(), 0u);
}

// A party check, and that a rejected transfer moves neither energy nor money: one step by hand.
TEST(Contracts, NonPartiesAreRejectedAndNothingMoves) {
    testing::HostFleet host(ledger_config());
    const EnvParams& p = host.p;
    FleetView& f = host.f;
    const SignalsView& sig = host.sig;
    // Vehicle 0's charging tariff names other vehicles only.
    Contract* registry = const_cast<Contract*>(sig.contracts);
    Contract& tariff = registry[contract_for(p, 0, kContractChargingTariff)];
    tariff.party_first = 1000;
    tariff.party_last = 2000;
    for (int v = 0; v < p.num_vehicles; ++v) reset_vehicle(p, sig, f, v, 0);
    for (int c = 0; c < p.num_communities; ++c) reset_community(f, c);
    f.arrival_step[0] = 0;  // plugged in at step 0
    f.departure_step[0] = p.steps_per_day;
    f.energy_kwh[0] = 0.3f * f.usable_kwh[0];
    // Force `charge` for vehicle 0: a greedy policy on a Q-table that prefers it.
    float* q = f.q + 0;
    for (int s = 0; s < num_states(p); ++s) q[s * kNumActions + kCharge] = 1.0f;
    const float energy_before = f.energy_kwh[0];
    const size_t slot0 = static_cast<size_t>(tx_slot_index(p, 0, 0));
    host.slots.used[slot0] = 1;  // as a used slot of an earlier episode left it
    act_vehicle(p, sig, f, 0, 0, 0, kPolicyGreedy, 0.0f);
    for (int c = 0; c < p.num_communities; ++c) clear_community(p, sig, f, c, 0, 0);
    apply_vehicle(p, sig, f, 0, 0, 0);
    EXPECT_EQ(f.action[0], kCharge);
    EXPECT_EQ(f.ep_rejected[0 * kNumRejectReasons + kRejectParty], 1u);
    EXPECT_EQ(f.grid_kwh[0], 0.0f);
    EXPECT_EQ(f.energy_kwh[0], energy_before);
    EXPECT_EQ(f.ep_energy_cost[0], 0.0f);
    EXPECT_EQ(f.ep_tx_count[0], 0u);
    EXPECT_EQ(host.slots.used[slot0], 0);  // written by apply: no transaction
}

// --- transactions add up --------------------------------------------------------------------

TEST(Transactions, CommittedTotalsEqualTheEnginesExactly) {
    Config cfg = ledger_config(9);
    const std::string path = temp_path("totals.ledger");
    const TrainSummary s = train_with_ledger(cfg, path, 2);
    const LedgerData d = read_ledger(path);
    ASSERT_EQ(d.blocks.size(), static_cast<size_t>(cfg.run.episodes) + 1);
    for (int e = 0; e < cfg.run.episodes; ++e) {
        const EpisodeMetrics& m = s.episodes_metrics[static_cast<size_t>(e)];
        const std::vector<Transaction>& txs = d.transactions[static_cast<size_t>(e) + 1];
        int64_t wh = 0, micro = 0;
        for (const Transaction& t : txs) {
            wh += t.energy_wh;
            micro += t.amount_micro;
            EXPECT_EQ(t.amount_micro, tx_amount_micro(t.energy_wh, t.price_micro_per_kwh));
        }
        EXPECT_EQ(static_cast<int64_t>(txs.size()), m.tx_count) << "episode " << e;
        EXPECT_EQ(d.blocks[static_cast<size_t>(e) + 1].tx_count, txs.size());
        EXPECT_EQ(wh, m.ledger_energy_wh) << "episode " << e;
        EXPECT_EQ(micro, m.ledger_amount_micro) << "episode " << e;
        // And the integers are the float flows, rounded per transaction.
        const double flows_kwh = m.grid_import_kwh + m.p2p_bought_kwh - m.grid_export_kwh - m.p2p_sold_kwh - m.pv_sold_kwh;
        EXPECT_NEAR(static_cast<double>(wh), flows_kwh * 1000.0, 0.5 * static_cast<double>(txs.size()) + 1.0);
        const double money = m.energy_cost - m.revenue;  // PV revenue is the market's, not a vehicle's
        double pv_revenue_micro = 0;
        for (const Transaction& t : txs)
            if (t.kind == kTxPvSell) pv_revenue_micro += static_cast<double>(t.amount_micro);
        EXPECT_NEAR(static_cast<double>(micro) - pv_revenue_micro, money * 1e6,
                    1e-4 * std::abs(money) * 1e6 + static_cast<double>(txs.size()));
    }
    std::remove(path.c_str());
}

// The compaction's four-chain checks are tx_check's values, for every count of records (the
// tail after the last group of four included) and any record bytes.
TEST(Transactions, SealedChecksAreTxCheckForAnyCount) {
    for (int64_t n = 0; n <= 11; ++n) {
        std::vector<Transaction> records(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            uint8_t* b = reinterpret_cast<uint8_t*>(&records[static_cast<size_t>(i)]);
            for (size_t k = 0; k < sizeof(Transaction); ++k) b[k] = static_cast<uint8_t>(31 * i + 7 * k + 3);
        }
        seal_checks(records.data(), n);
        for (int64_t i = 0; i < n; ++i) {
            Transaction one = records[static_cast<size_t>(i)];
            one.check = 0;
            EXPECT_EQ(records[static_cast<size_t>(i)].check, tx_check(one)) << n << " records, record " << i;
        }
    }
}

TEST(Transactions, LedgerIsIdenticalForAnyThreadCount) {
    Config cfg = ledger_config(13);
    cfg.ledger.store_transactions = StoredTransactions::none;
    const TrainSummary one = train_with_ledger(cfg, "", 1);
    const TrainSummary two = train_with_ledger(cfg, "", 2);
    EXPECT_EQ(one.tip_hash, two.tip_hash);
    EXPECT_EQ(one.transactions, two.transactions);
    cfg.run.seed = 14;
    EXPECT_NE(train_with_ledger(cfg, "", 2).tip_hash, one.tip_hash);
}

// The run id (in every block header) commits to what decides the results: the device, the
// thread count and the lane choice do not, so the same run on other hardware has the same chain;
// any other key does.
TEST(Transactions, RunIdIgnoresWhereAndOnHowManyThreadsARunTrains) {
    const Config cfg = ledger_config(13);
    Config elsewhere = cfg;
    elsewhere.run.threads = 7;
    elsewhere.run.device = ComputeDevice::cuda;
    elsewhere.run.adaptive_threads = false;
    EXPECT_EQ(run_id_of(elsewhere), run_id_of(cfg));
    Config other = cfg;
    other.learning.alpha = 0.25;
    EXPECT_NE(run_id_of(other), run_id_of(cfg));
    other = cfg;
    other.run.name = "another";
    EXPECT_NE(run_id_of(other), run_id_of(cfg));
}

// --- tampering ------------------------------------------------------------------------------

class Tamper : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        path_ = new std::string(temp_path("tamper.ledger"));
        train_with_ledger(ledger_config(21), *path_);
        other_ = new std::string(temp_path("other.ledger"));
        train_with_ledger(ledger_config(22), *other_);
    }
    static void TearDownTestSuite() {
        std::remove(path_->c_str());
        std::remove(other_->c_str());
        delete path_;
        delete other_;
    }
    static std::string* path_;
    static std::string* other_;
};
std::string* Tamper::path_ = nullptr;
std::string* Tamper::other_ = nullptr;

TEST_F(Tamper, UntouchedLedgerVerifies) {
    const VerifyReport r = verify_ledger(read_ledger(*path_));
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.blocks, 7u);
    EXPECT_GT(r.transactions_checked, 0u);
}

TEST_F(Tamper, EveryByteOfATransactionIsCaught) {
    const LedgerData clean = read_ledger(*path_);
    const size_t block = 3;
    ASSERT_GT(clean.transactions[block].size(), 5u);
    const size_t tx = clean.transactions[block].size() / 2;
    for (size_t byte = 0; byte < sizeof(Transaction); ++byte) {
        LedgerData d = clean;
        reinterpret_cast<uint8_t*>(&d.transactions[block][tx])[byte] ^= 0x01;
        const VerifyReport r = verify_ledger(d);
        EXPECT_FALSE(r.ok) << "byte " << byte;
        EXPECT_EQ(r.bad_block, static_cast<int64_t>(block)) << "byte " << byte << ": " << r.message;
        EXPECT_EQ(r.bad_tx, static_cast<int64_t>(tx)) << "byte " << byte << ": " << r.message;
    }
}

TEST_F(Tamper, EveryByteOfEveryHeaderFieldIsCaught) {
    const LedgerData clean = read_ledger(*path_);
    for (size_t block : {size_t{0}, size_t{2}, clean.blocks.size() - 1}) {
        for (size_t byte = 0; byte < sizeof(BlockHeader); ++byte) {
            LedgerData d = clean;
            reinterpret_cast<uint8_t*>(&d.blocks[block])[byte] ^= 0x80;
            const VerifyReport r = verify_ledger(d);
            EXPECT_FALSE(r.ok) << "block " << block << " byte " << byte;
            EXPECT_EQ(r.bad_block, static_cast<int64_t>(block)) << "byte " << byte << ": " << r.message;
        }
    }
}

TEST_F(Tamper, SwappedDroppedAndReplacedAreCaught) {
    const LedgerData clean = read_ledger(*path_);
    const LedgerData other = read_ledger(*other_);
    struct Case {
        const char* what;
        std::function<void(LedgerData&)> tamper;
        int64_t bad_block;
        int64_t bad_tx;  // -1: the block is all the report can name
    };
    const Case cases[] = {
        {"swap two transactions", [](LedgerData& d) { std::swap(d.transactions[2][1], d.transactions[2][4]); }, 2, 1},
        {"drop one", [](LedgerData& d) { d.transactions[4].erase(d.transactions[4].begin() + 3); }, 4, 3},
        {"drop the last one", [](LedgerData& d) { d.transactions[4].pop_back(); }, 4, -1},
        {"replace a block with the same block of another run",
         [&](LedgerData& d) {
             d.blocks[3] = other.blocks[3];
             d.transactions[3] = other.transactions[3];
         },
         3, -1},
        {"replace a block with another block of the same run",
         [&](LedgerData& d) {
             d.blocks[3] = clean.blocks[5];
             d.transactions[3] = clean.transactions[5];
         },
         3, -1},
        {"a contract changed after genesis", [](LedgerData& d) { d.contracts[7].price_cap_micro_per_kwh += 1; }, 0, -1},
    };
    for (const Case& c : cases) {
        LedgerData d = clean;
        c.tamper(d);
        const VerifyReport r = verify_ledger(d);
        EXPECT_FALSE(r.ok) << c.what;
        EXPECT_EQ(r.bad_block, c.bad_block) << c.what << ": " << r.message;
        if (c.bad_tx >= 0) {
            EXPECT_EQ(r.bad_tx, c.bad_tx) << c.what << ": " << r.message;
        }
    }
}

// --- the CLI ----------------------------------------------------------------------------------

using CliRun = testing::CommandResult;
CliRun run(const std::string& args) { return testing::run_v2g(args); }

TEST_F(Tamper, VerifyCommandNamesTheBadBlockAndTransaction) {
    EXPECT_EQ(run("verify " + *path_).status, 0);
    LedgerData d = read_ledger(*path_);
    // Flip one byte of block 2's transaction 3 in the file itself.
    std::string bytes;
    {
        std::ifstream in(*path_, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const size_t registry = 32 + d.contracts.size() * sizeof(Contract);
    size_t at = registry;
    for (size_t b = 0; b < 2; ++b) at += sizeof(BlockHeader) + 8 + d.transactions[b].size() * sizeof(Transaction);
    at += sizeof(BlockHeader) + 8 + 3 * sizeof(Transaction) + 30;  // block 2, transaction 3, byte 30
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    const std::string bad = temp_path("bad.ledger");
    std::ofstream(bad, std::ios::binary) << bytes;
    const CliRun r = run("verify " + bad);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("block 2, transaction 3"), std::string::npos) << r.output;
    // Truncated: the blocks before the cut still verify, and the cut is named.
    std::ofstream(bad, std::ios::binary) << bytes.substr(0, at);
    const CliRun t = run("verify " + bad);
    EXPECT_EQ(t.status, 1) << t.output;
    EXPECT_NE(t.output.find("ends inside"), std::string::npos) << t.output;
    std::remove(bad.c_str());
}

TEST(VerifyCommand, ForeignOrMissingFilesAreBadInput) {
    const std::string foreign = temp_path("foreign.ledger");
    std::ofstream(foreign) << "this is not a ledger\n";
    const CliRun r = run("verify " + foreign);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("nor a v2g ledger file"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    const CliRun m = run("verify " + temp_path("does-not-exist.ledger"));
    EXPECT_EQ(m.status, 2) << m.output;
    std::remove(foreign.c_str());
}

TEST(VerifyCommand, PaperRunCommitsItsBlocksAndVerifies) {
    const std::string path = temp_path("paper.ledger");
    const CliRun t = run("train " + std::string(V2G_SOURCE_DIR) + "/experiments/paper.toml --device cpu --quiet --ledger " + path);
    ASSERT_EQ(t.status, 0) << t.output;
    EXPECT_NE(t.output.find("2000 blocks + genesis"), std::string::npos) << t.output;
    const LedgerData d = read_ledger(path);
    EXPECT_EQ(d.contracts.size(), 100u);
    EXPECT_EQ(d.blocks.size(), 2001u);
    const CliRun v = run("verify " + path);
    EXPECT_EQ(v.status, 0) << v.output;
    EXPECT_NE(v.output.find("2001 blocks"), std::string::npos) << v.output;
    std::remove(path.c_str());
}

// ---- Ed25519 (ledger/signature.h): RFC 8032 section 7.1, tests 1-3, through our wrapper.
std::vector<uint8_t> from_hex(const std::string& hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

TEST(Ed25519, Rfc8032TestVectors) {
    struct Vector {
        const char *secret, *public_key, *message, *signature;
    };
    const Vector vectors[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    };
    for (const Vector& v : vectors) {
        const SigningKey key = signing_key_from_secret(from_hex(v.secret).data());
        EXPECT_EQ(ledger::to_hex(key.public_key, 32), v.public_key);
        const std::vector<uint8_t> message = from_hex(v.message);
        // The signer, its key parsed once, signs the same bytes however often it is used.
        const Ed25519Signer signer(key);
        uint8_t sig[kEd25519SignatureBytes];
        signer.sign(message.data(), message.size(), sig);
        EXPECT_EQ(ledger::to_hex(sig, sizeof sig), v.signature);
        uint8_t again[kEd25519SignatureBytes];
        signer.sign(message.data(), message.size(), again);
        EXPECT_EQ(ledger::to_hex(again, sizeof again), v.signature);
        EXPECT_TRUE(ed25519_verify(key.public_key, message.data(), message.size(), from_hex(v.signature).data()));
        // One bit off anywhere: refused.
        sig[kEd25519SignatureBytes - 1] ^= 1;
        EXPECT_FALSE(ed25519_verify(key.public_key, message.data(), message.size(), sig));
    }
}

TEST(Ed25519, BlocksAndHeadsSignAndVerifyOnlyAsThemselves) {
    const SigningKey key = new_signing_key(), other = new_signing_key();
    EXPECT_NE(ledger::to_hex(key.public_key, 32), ledger::to_hex(other.public_key, 32));
    BlockHeader b{};
    b.magic = kBlockMagic;
    b.height = 7;
    b.check = header_check(b);
    const Ed25519Signer signer(key);
    uint8_t sig[kEd25519SignatureBytes];
    sign_block(signer, b, sig);
    EXPECT_TRUE(block_signature_ok(key.public_key, b, sig));
    EXPECT_FALSE(block_signature_ok(other.public_key, b, sig));
    BlockHeader changed = b;
    changed.rejected = 1;
    EXPECT_FALSE(block_signature_ok(key.public_key, changed, sig));
    ChainHead head = signed_head(signer, b, true);
    EXPECT_EQ(head.height, 7u);
    EXPECT_EQ(head.episodes, 7u);
    EXPECT_TRUE(head_signature_ok(key.public_key, head));
    head.sealed = 0;
    EXPECT_FALSE(head_signature_ok(key.public_key, head));
    // A key restored from its secret signs the same bytes (a resumed run continues its chain).
    const SigningKey restored = signing_key_from_secret(key.secret);
    uint8_t again[kEd25519SignatureBytes];
    sign_block(Ed25519Signer(restored), b, again);
    EXPECT_EQ(ledger::to_hex(again, sizeof again), ledger::to_hex(sig, sizeof sig));
}

// ---- re-execution (ledger/reexecute.h): each contract term, one forged record each.
TEST(Reexecute, EveryContractTermIsChecked) {
    Contract market{0, kContractP2PMarket, kPriceIndexed, 0, 0, 0, 0, 0, -1000000, 1000000, 10000, 0, 100, 0};
    Contract v2g{1, kContractV2GService, kPriceIndexed, 0, 0, 9, 0, 0, -1000000, 1000000, 10000, 0, 100, 0};
    Contract tariff{2, kContractChargingTariff, kPriceFixed, 0, 0, 9, 0, 200000, 0, 500000, 10000, 0, 100, 0};
    const std::vector<Contract> registry{market, v2g, tariff};
    Transaction t{};
    t.episode = 3;
    t.kind = kTxGridImport;
    t.vehicle = 4;
    t.counterparty = kPartyGrid;
    t.contract = 2;
    t.energy_wh = 5000;
    t.price_micro_per_kwh = 200000;
    t.amount_micro = tx_amount_micro(t.energy_wh, t.price_micro_per_kwh);
    EXPECT_EQ(reexecute_transaction(t, registry), "");
    auto breach = [&](auto change) {
        Transaction x = t;
        change(x);
        return reexecute_transaction(x, registry);
    };
    EXPECT_NE(breach([](Transaction& x) { x.amount_micro += 1; }).find("amount"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.contract = 9; }).find("the registry has 3"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.contract = 1; }).find("type"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.vehicle = 12; }).find("not a party"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.episode = 100; }).find("validity"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.energy_wh = -5000; x.amount_micro = -1000; }).find("sign"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.energy_wh = 20000; x.amount_micro = 4000; }).find("cap"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.price_micro_per_kwh = 300000; x.amount_micro = 1500; }).find("fixes"), std::string::npos);
    EXPECT_NE(breach([](Transaction& x) { x.counterparty = 0; }).find("counterparty"), std::string::npos);
    Transaction p = t;
    p.kind = kTxP2PBuy;
    p.contract = 0;
    p.counterparty = 1;
    p.price_micro_per_kwh = 2000000;
    p.amount_micro = tx_amount_micro(p.energy_wh, p.price_micro_per_kwh);
    EXPECT_NE(reexecute_transaction(p, registry).find("community 1"), std::string::npos);
    p.counterparty = 0;
    EXPECT_NE(reexecute_transaction(p, registry).find("outside contract 0's"), std::string::npos);
}

}  // namespace
}  // namespace v2g
