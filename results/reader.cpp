// reader.cpp: reading a results file back (results.h): the summary, the ledger with its
// signatures, and the state a resume starts from.
#include "results/results.h"
#include "results/schema.h"

#include <string>
#include <vector>

#include "env/layout.h"

namespace v2g {

using namespace results_schema;

// ---------------------------------------------------------------- readers

namespace {

std::vector<double> read_doubles(hid_t file, const char* name) {
    Id d(ok(H5Dopen2(file, name, H5P_DEFAULT), name));
    return read_all<double>(d, H5T_NATIVE_DOUBLE);
}

bool has_group(hid_t file, const char* name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

}  // namespace

ResultsSummary read_results_summary(const std::string& path) {
    ResultsSummary s;
    Id file = open_for_reading(path, &s.closed);
    try {
        s.schema_version = read_attr_string(file, "schema_version");
        s.status = read_string_dataset(file, "/status");
        s.device = read_attr_string(file, "device");
        s.backend = read_attr_string(file, "backend");
        s.start_time = read_attr_string(file, "start_time");
        s.git_commit = read_attr_string(file, "git_commit");
        s.v2g_version = read_attr_string(file, "v2g_version");
        s.episodes_planned = read_attr_int(file, "episodes_planned");
        s.vehicles = read_attr_int(file, "vehicles");
        if (!has_group(file, "/config") || !has_group(file, "/episodes"))
            throw ResultsError(path + ": not a v2g results file (no /config or /episodes)");
        Id cfg(ok(H5Gopen2(file, "/config", H5P_DEFAULT), "/config"));
        s.effective_toml = read_string_dataset(cfg, "effective_toml");
        const std::vector<int64_t> episodes = read_ints_of(file, "/episodes/episode");
        s.episodes_done = static_cast<int64_t>(episodes.size());
        if (s.episodes_done > 0) {
            for (const EpisodeField& e : episode_fields()) {
                const std::vector<double> v = read_doubles(file, ("/episodes/" + std::string(e.name)).c_str());
                if (!v.empty()) s.last_episode.emplace_back(e.name, v.back());
            }
            const std::vector<double> eps = read_doubles(file, "/episodes/epsilon");
            if (!eps.empty()) s.last_episode.emplace_back("epsilon", eps.back());
        }
        s.ledger_blocks = static_cast<int64_t>(read_ints_of(file, "/ledger/tx_offset").size());
        if (has_group(file, "/checkpoint")) {
            Id meta(ok(H5Dopen2(file, "/checkpoint/meta", H5P_DEFAULT), "checkpoint"));
            Id type = checkpoint_meta_type();
            std::vector<CheckpointMeta> m(kCheckpointSlots);
            if (H5Dread(meta, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data()) >= 0)
                for (const CheckpointMeta& x : m) s.checkpoint_episode = std::max(s.checkpoint_episode, x.next_episode);
        }
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const ResultsError*>(&e)) throw;
        throw ResultsError(path + ": unreadable results file (" + e.what() + ")");
    }
    return s;
}

std::string results_public_key(const std::string& path) {
    Id file = open_for_reading(path);
    if (H5Lexists(file, "/ledger/public_key", H5P_DEFAULT) <= 0) return "";
    uint8_t key[kEd25519PublicBytes] = {};
    Id d(ok(H5Dopen2(file, "/ledger/public_key", H5P_DEFAULT), "/ledger/public_key"));
    ok(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, key), "/ledger/public_key");
    return ledger::to_hex(key, sizeof key);
}

LedgerData read_ledger_from_results(const std::string& path) {
    Id file = open_for_reading(path);
    LedgerData d;
    try {
        Id ctype = contract_type(), btype = block_type(), ttype = transaction_type();
        Id contracts(ok(H5Dopen2(file, "/ledger/contracts", H5P_DEFAULT), "/ledger/contracts"));
        d.contracts = read_all<Contract>(contracts, ctype);
        Id blocks(ok(H5Dopen2(file, "/ledger/blocks", H5P_DEFAULT), "/ledger/blocks"));
        d.blocks = read_all<BlockHeader>(blocks, btype);
        const std::vector<int64_t> offset = read_ints_of(file, "/ledger/tx_offset");
        const std::vector<int64_t> stored = read_ints_of(file, "/ledger/tx_stored");
        Id txs(ok(H5Dopen2(file, "/ledger/transactions", H5P_DEFAULT), "/ledger/transactions"));
        const std::vector<Transaction> all = read_all<Transaction>(txs, ttype);
        // A live file may show a block before its bookkeeping rows: keep what is complete.
        const size_t n = std::min({d.blocks.size(), offset.size(), stored.size()});
        d.blocks.resize(n);
        for (size_t b = 0; b < n; ++b) {
            const size_t from = static_cast<size_t>(offset[b]), count = static_cast<size_t>(stored[b]);
            if (from + count > all.size()) {
                d.truncated = "block " + std::to_string(b) + "'s transactions are missing from the file";
                d.blocks.resize(b);
                break;
            }
            d.transactions.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(from),
                                        all.begin() + static_cast<std::ptrdiff_t>(from + count));
            d.stored.push_back(count > 0);
        }
        // The signatures, the head and the file's own counts (ledger/signature.h). A results
        // file's chain must be signed: one without a key is reported as unsigned by verify.
        d.is_signed = true;
        const auto read_bytes = [&](const char* name, void* out, size_t bytes) {
            if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return false;
            Id ds(ok(H5Dopen2(file, name, H5P_DEFAULT), name));
            Id space(ok(H5Dget_space(ds), name));
            if (static_cast<size_t>(H5Sget_simple_extent_npoints(space)) != bytes) return false;
            ok(H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), name);
            return true;
        };
        read_bytes("/ledger/public_key", d.public_key, sizeof d.public_key);
        d.has_head = read_bytes("/ledger/head", &d.head, sizeof d.head);
        if (H5Lexists(file, "/ledger/signatures", H5P_DEFAULT) > 0) {
            Id ds(ok(H5Dopen2(file, "/ledger/signatures", H5P_DEFAULT), "/ledger/signatures"));
            const std::vector<uint8_t> sigs = read_all<uint8_t>(ds, H5T_NATIVE_UINT8);
            d.signatures.resize(sigs.size() / kEd25519SignatureBytes);
            for (size_t i = 0; i < d.signatures.size(); ++i)
                std::memcpy(d.signatures[i].data(), sigs.data() + i * kEd25519SignatureBytes, kEd25519SignatureBytes);
        }
        d.episode_rows = static_cast<int64_t>(read_ints_of(file, "/episodes/episode").size());
        d.status = read_string_dataset(file, "/status");
        Id meta(ok(H5Dopen2(file, "/checkpoint/meta", H5P_DEFAULT), "/checkpoint/meta"));
        Id mtype = checkpoint_meta_type();
        std::vector<CheckpointMeta> m(kCheckpointSlots);
        ok(H5Dread(meta, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data()), "/checkpoint/meta");
        // The head is written after each checkpoint, so it is at least at the older of the two.
        for (const CheckpointMeta& x : m)
            if (x.next_episode >= 0)
                d.checkpoint_episodes = d.checkpoint_episodes < 0 ? x.next_episode : std::min(d.checkpoint_episodes, x.next_episode);
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const ResultsError*>(&e)) throw;
        throw ResultsError(path + ": unreadable ledger in the results file (" + e.what() + ")");
    }
    return d;
}

namespace {
ResumeState read_resume_state_from(hid_t file, const std::string& path, const EnvParams& p);
}  // namespace

ResumeState read_resume_state(const std::string& path, const EnvParams& p) {
    Id file = open_for_reading(path);
    try {
        return read_resume_state_from(file, path, p);
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const InputError*>(&e)) throw;
        throw ResultsError(path + ": unreadable checkpoint or episodes, damaged (" + e.what() + ")");
    }
}

namespace {
ResumeState read_resume_state_from(hid_t file, const std::string& path, const EnvParams& p) {
    ResumeState st;
    Id meta_d(ok(H5Dopen2(file, "/checkpoint/meta", H5P_DEFAULT), "checkpoint"));
    Id type = checkpoint_meta_type();
    std::vector<CheckpointMeta> meta(kCheckpointSlots);
    ok(H5Dread(meta_d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, meta.data()), "checkpoint meta");
    std::vector<int> order{0, 1};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return meta[a].sequence > meta[b].sequence; });
    size_t fleet_bytes = 0;
    {
        FleetView measure{};
        fleet_bytes = layout_fleet(p, nullptr, &measure);
    }
    for (int slot : order) {
        const CheckpointMeta& m = meta[static_cast<size_t>(slot)];
        if (m.next_episode < 0) continue;
        if (m.fleet_bytes != fleet_bytes)
            throw ResultsError(path + ": its checkpoint does not match this build's state layout (" +
                               std::to_string(m.fleet_bytes) + " bytes, expected " + std::to_string(fleet_bytes) + ")");
        Id blob(ok(H5Dopen2(file, ("/checkpoint/slot" + std::to_string(slot)).c_str(), H5P_DEFAULT), "checkpoint"));
        const std::string layout = read_attr_string(blob, "layout");  // absent in files of older builds
        if (!layout.empty() && layout != fleet_layout_signature())
            throw ResultsError(path + ": its checkpoint does not match this build's state layout (the fleet's arrays "
                               "differ: written by another version of v2g)");
        std::vector<char> fleet(fleet_bytes);
        if (H5Dread(blob, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, fleet.data()) < 0) continue;
        const ledger::Digest sha = ledger::sha256_digest(reinterpret_cast<const uint8_t*>(fleet.data()), fleet.size());
        if (std::memcmp(sha.bytes, m.fleet_sha256, 32) != 0) continue;  // torn write: use the other slot
        std::vector<char> learner(m.learner_bytes);
        if (m.learner_bytes > 0) {
            const std::string name = "/checkpoint/learner" + std::to_string(slot);
            if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) continue;
            Id d(ok(H5Dopen2(file, name.c_str(), H5P_DEFAULT), "checkpoint learner"));
            if (rows_of(d) != m.learner_bytes) continue;
            if (H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, learner.data()) < 0) continue;
            const ledger::Digest lsha = ledger::sha256_digest(reinterpret_cast<const uint8_t*>(learner.data()), learner.size());
            if (std::memcmp(lsha.bytes, m.learner_sha256, 32) != 0) continue;
        }
        st.learner = std::move(learner);
        st.next_episode = static_cast<int>(m.next_episode);
        st.fleet = std::move(fleet);
        st.ledger_tip = m.ledger_tip;
        break;
    }
    // No complete checkpoint yet (killed early): the run starts over from its initial state,
    // which the config alone determines.
    if (st.fleet.empty()) return st;
    // The fleet-level metrics of the episodes before it, from /episodes (what the summary needs).
    const size_t n = static_cast<size_t>(st.next_episode);
    const double vehicles = static_cast<double>(p.num_vehicles);
    std::vector<std::vector<double>> cols;
    for (const EpisodeField& e : episode_fields()) cols.push_back(read_doubles(file, ("/episodes/" + std::string(e.name)).c_str()));
    const std::vector<double> eps = read_doubles(file, "/episodes/epsilon");
    const std::vector<int64_t> tx = read_ints_of(file, "/episodes/tx_count");
    const std::vector<int64_t> rej = read_ints_of(file, "/episodes/rejected");
    const std::vector<int64_t> latency = read_ints_of(file, "/episodes/tx_latency_steps");
    if (eps.size() < n || tx.size() < n) throw ResultsError(path + ": episodes before the checkpoint are missing");
    for (size_t k = 0; k < cols.size(); ++k)
        if (cols[k].size() < n)
            throw ResultsError(path + ": /episodes/" + episode_fields()[k].name + " misses episodes before the checkpoint");
    for (size_t i = 0; i < n; ++i) {
        EpisodeMetrics m{};
        m.vehicles = p.num_vehicles;
        for (size_t k = 0; k < episode_fields().size(); ++k)
            if (episode_fields()[k].restore) episode_fields()[k].restore(&m, cols[k][i], vehicles);
        m.tx_count = tx[i];
        m.tx_latency_steps = i < latency.size() ? latency[i] : 0;
        for (int r = 1; r < kNumRejectReasons; ++r) m.rejected[r] = rej[i * (kNumRejectReasons - 1) + static_cast<size_t>(r - 1)];
        st.metrics.push_back(m);
        st.epsilons.push_back(static_cast<float>(eps[i]));
    }
    return st;
}
}  // namespace

}  // namespace v2g
