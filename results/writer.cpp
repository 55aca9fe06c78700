// writer.cpp: the results file's writer (results.h ResultsWriter): creating a run's file,
// reopening a killed one for resume, the writer thread that takes the training's chunks,
// checkpoints in two slots, the signed ledger, and the final write.
#include "results/results.h"
#include "results/schema.h"

#include <malloc.h>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "env/layout.h"
#include "problem/price_unit.h"
#include "results/chunk_deflate.h"
#include "results/kill_point.h"

#ifndef V2G_GIT_COMMIT
#define V2G_GIT_COMMIT "unknown"
#endif

namespace v2g {

using namespace results_schema;

// HDF5's deflate filter allocates and frees zlib's ~270 kB of state for every chunk it
// compresses. On glibc each free shrank the writer thread's heap (madvise, a TLB shootdown that
// interrupts the training threads too) and the next allocation faulted the pages back in: in
// the paper's run that was a third of the writer's time. Freed memory up to kHeapTrimBytes now
// stays with the process (glibc's mallopt is process-wide; 64 MiB is nothing beside a fleet).
// Setting the trim threshold also freezes glibc's mmap threshold, which it would otherwise
// raise on its own up to 32 MiB as large blocks are freed: it is set to that ceiling, so
// blocks below it keep coming from the heap as before, and only larger ones are mapped.
namespace {
void keep_freed_heap() {
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
        mallopt(M_TRIM_THRESHOLD, kHeapTrimBytes);
    });
}
}  // namespace

// ---------------------------------------------------------------- the writer's handles

struct ResultsWriter::File {
    EnvParams p;
    Id file;
    Id status;
    std::vector<Id> episode_datasets;  // parallel to episode_fields()
    Id episode, epsilon, tx_count, tx_latency, rejected, env_steps_per_s;
    Id veh_episode, veh_soc, veh_soh, veh_reward, veh_unmet;
    Id q_episode, q_snapshots, q_final;
    Id blocks, tx_offset, tx_stored, transactions;
    Id signatures, head, public_key, signing_key;  // the chain's Ed25519 signatures (ledger/signature.h)
    SigningKey key{};
    std::unique_ptr<Ed25519Signer> signer;  // key, parsed once for the whole chain
    bool key_erased = false;  // a resumed finished run: its chain is sealed and stays as it is
    BlockHeader tip{};        // the newest block written
    Id ckpt_meta;
    Id day_episode;
    std::vector<Id> day;  // parallel to day_fields()
    Id ckpt_slot[kCheckpointSlots];
    Id ckpt_learner[kCheckpointSlots];  // the learner state of each slot (grows as needed)
    Id tx_type, block_type, meta_type;
    int64_t next_tx_offset = 0;
    int64_t checkpoint_sequence = 0;
    std::chrono::steady_clock::time_point flushed_at = std::chrono::steady_clock::now();
    hsize_t tables = 0, states = 0;
    // The final Q-tables' chunks are compressed on this many threads (chunk_deflate.h): the run
    // has stopped training by then, so its cores are free (run.threads; 0 = all of them).
    int final_write_threads = 1;

    void write_head(bool sealed) {
        const ChainHead h = signed_head(*signer, tip, sealed);
        ok(H5Dwrite(head, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, &h), "/ledger/head");
        ok(H5Dflush(head), "/ledger/head");
    }
    void append_block(const BlockHeader& b, int64_t stored, const Transaction* txs) {
        uint8_t sig[kEd25519SignatureBytes];
        sign_block(*signer, b, sig);
        append(blocks, block_type, &b, 1);
        append(signatures, H5T_NATIVE_UINT8, sig, 1);
        append(tx_offset, H5T_NATIVE_INT64, &next_tx_offset, 1);
        append(tx_stored, H5T_NATIVE_INT64, &stored, 1);
        append(transactions, tx_type, txs, static_cast<hsize_t>(stored));
        next_tx_offset += stored;
        tip = b;
    }
    // A finished run forgets its secret key: nobody, not even v2g, can sign another block.
    void erase_key() {
        const uint8_t zeros[kEd25519SecretBytes] = {};
        ok(H5Dwrite(signing_key, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros), "/ledger/signing_key");
        ok(H5Dflush(signing_key), "/ledger/signing_key");
    }

    void set_status(const std::string& s) {
        std::string padded = s;
        padded.resize(kStatusBytes, '\0');
        Id t = string_type(kStatusBytes);
        ok(H5Dwrite(status, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()), "status");
        H5Dflush(status);
    }
};

// Slot bytes first, then its description: a kill in between leaves a slot whose hash does not
// match its bytes, and the reader takes the other slot.
void write_checkpoint(ResultsWriter::File& f, int slot, CheckpointMeta m, const std::vector<char>& fleet,
                      const std::vector<char>& learner, const char* torn_kill_point = nullptr) {
    m.learner_bytes = learner.size();
    const ledger::Digest learner_sha = ledger::sha256_digest(reinterpret_cast<const uint8_t*>(learner.data()), learner.size());
    std::memcpy(m.learner_sha256, learner_sha.bytes, 32);
    const hsize_t learner_size = learner.size();
    ok(H5Dset_extent(f.ckpt_learner[slot], &learner_size), "checkpoint learner size");
    if (!learner.empty())
        ok(H5Dwrite(f.ckpt_learner[slot], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, learner.data()), "checkpoint learner");
    ok(H5Dflush(f.ckpt_learner[slot]), "checkpoint flush");
    ok(H5Dwrite(f.ckpt_slot[slot], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, fleet.data()), "checkpoint");
    ok(H5Dflush(f.ckpt_slot[slot]), "checkpoint flush");
    if (torn_kill_point) kill_point(torn_kill_point);
    const hsize_t start = static_cast<hsize_t>(slot), count = 1;
    Id file_space(ok(H5Dget_space(f.ckpt_meta), "space"));
    ok(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count, nullptr), "select");
    Id mem_space(ok(H5Screate_simple(1, &count, nullptr), "space"));
    ok(H5Dwrite(f.ckpt_meta, f.meta_type, mem_space, file_space, H5P_DEFAULT, &m), "checkpoint meta");
    ok(H5Dflush(f.ckpt_meta), "checkpoint flush");
}

// Creates the file with every group, dataset and attribute (SWMR cannot add any later).
void create_results_file(ResultsWriter::File& f, const std::string& path, const Config& cfg, const EnvParams& p,
                         const std::vector<Contract>& contracts, const RunInfo& info, const SigningKey& key) {
    quiet_hdf5();
    f.p = p;
    f.final_write_threads = cfg.run.threads > 0 ? cfg.run.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    {
        Id fapl = file_access();
        const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (id < 0) throw InputError(path + ": cannot write the results file");
        f.file = Id(id);
    }
    size_t fleet_bytes = 0;
    {
        FleetView measure{};
        fleet_bytes = layout_fleet(p, nullptr, &measure);
    }
    // A DQN run's policy is its network (/checkpoint/learner*, --model-out), not the tabular
    // tables its fleet buffer still carries unused: /qtables holds no table for it.
    f.tables = cfg.learning.policy == LearnerPolicy::dqn ? 0 : static_cast<hsize_t>(num_q_tables(p));
    f.states = static_cast<hsize_t>(num_states(p));
    const hsize_t n = static_cast<hsize_t>(p.num_vehicles);

    // Root attributes.
    attr_string(f.file, "schema_version", std::to_string(kSchemaMajor) + "." + std::to_string(kSchemaMinor));
    attr_string(f.file, "v2g_version", V2G_VERSION);
    attr_string(f.file, "git_commit", V2G_GIT_COMMIT);
    attr_string(f.file, "device", info.device);
    attr_string(f.file, "backend", info.backend);
    attr_string(f.file, "device_reason", info.device_reason);
    attr_number(f.file, "seed", H5T_NATIVE_UINT64, static_cast<uint64_t>(cfg.run.seed));
    attr_string(f.file, "start_time", info.start_time.empty() ? iso_now() : info.start_time);
    attr_string(f.file, "run_name", cfg.run.name);
    // Units say "currency" (currency/vehicle/day); this says which one (signals.price_unit).
    attr_string(f.file, "currency", currency_label(cfg));
    attr_number(f.file, "episodes_planned", H5T_NATIVE_INT64, static_cast<int64_t>(cfg.run.episodes));
    attr_number(f.file, "vehicles", H5T_NATIVE_INT64, static_cast<int64_t>(p.num_vehicles));
    attr_number(f.file, "communities", H5T_NATIVE_INT64, static_cast<int64_t>(p.num_communities));
    attr_number(f.file, "steps_per_episode", H5T_NATIVE_INT64, static_cast<int64_t>(p.steps_per_day));
    attr_number(f.file, "states", H5T_NATIVE_INT64, static_cast<int64_t>(f.states));
    attr_number(f.file, "actions", H5T_NATIVE_INT64, static_cast<int64_t>(kNumActions));
    attr_number(f.file, "q_tables", H5T_NATIVE_INT64, static_cast<int64_t>(f.tables));
    write_string_dataset(f.file, "/status", "running", kStatusBytes);
    f.status = Id(ok(H5Dopen2(f.file, "/status", H5P_DEFAULT), "/status"));

    // /config: the text twice (as given, as effective) and every key as an attribute.
    {
        Id g(ok(H5Gcreate2(f.file, "/config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/config"));
        const std::string effective = dump_config(cfg);
        write_string_dataset(g, "input_toml", info.input_toml, info.input_toml.size() + 1);
        write_string_dataset(g, "effective_toml", effective, effective.size() + 1);
        std::istringstream lines(effective);
        std::string line, group;
        while (std::getline(lines, line)) {
            if (line.size() > 2 && line.front() == '[') { group = line.substr(1, line.size() - 2); continue; }
            const size_t eq = line.find(" = ");
            if (eq == std::string::npos) continue;
            const std::string key = group + "." + line.substr(0, eq), value = line.substr(eq + 3);
            if (!value.empty() && value.front() == '"') attr_string(g, key.c_str(), value.substr(1, value.size() - 2));
            else if (value == "true" || value == "false") attr_number(g, key.c_str(), H5T_NATIVE_INT8, static_cast<int8_t>(value == "true"));
            else if (value.find_first_of(".eEin") != std::string::npos) attr_number(g, key.c_str(), H5T_NATIVE_DOUBLE, std::stod(value));
            else attr_number(g, key.c_str(), H5T_NATIVE_INT64, static_cast<int64_t>(std::stoll(value)));
        }
    }
    // /episodes
    {
        Id g(ok(H5Gcreate2(f.file, "/episodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/episodes"));
        for (const EpisodeField& e : episode_fields())
            f.episode_datasets.push_back(create_growing(g, e.name, H5T_NATIVE_DOUBLE, {}, e.units, kEpisodeChunkRows));
        f.episode = create_growing(g, "episode", H5T_NATIVE_INT64, {}, "1", kEpisodeChunkRows);
        f.epsilon = create_growing(g, "epsilon", H5T_NATIVE_DOUBLE, {}, "1", kEpisodeChunkRows);
        f.tx_count = create_growing(g, "tx_count", H5T_NATIVE_INT64, {}, "1", kEpisodeChunkRows);
        f.tx_latency = create_growing(g, "tx_latency_steps", H5T_NATIVE_INT64, {}, "step", kEpisodeChunkRows);
        attr_string(f.tx_latency, "meaning", "sum over the episode's transactions of the steps from decision to block");
        f.rejected = create_growing(g, "rejected", H5T_NATIVE_INT64, {kNumRejectReasons - 1}, "1", kEpisodeChunkRows);
        attr_string(f.rejected, "columns", "energy_cap, validity, price, party");
        f.env_steps_per_s = create_growing(g, "env_steps_per_s", H5T_NATIVE_DOUBLE, {}, "1/s", kEpisodeChunkRows);
    }
    // /vehicles
    {
        Id g(ok(H5Gcreate2(f.file, "/vehicles", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/vehicles"));
        f.veh_episode = create_growing(g, "episode", H5T_NATIVE_INT64, {}, "1", 64);
        attr_string(f.veh_episode, "meaning", "episodes completed when the row was taken");
        f.veh_soc = create_growing(g, "soc_end", H5T_NATIVE_FLOAT, {n}, "1", 1);
        f.veh_soh = create_growing(g, "soh", H5T_NATIVE_FLOAT, {n}, "1", 1);
        f.veh_reward = create_growing(g, "reward", H5T_NATIVE_FLOAT, {n}, "currency/day", 1);
        f.veh_unmet = create_growing(g, "unmet_kwh", H5T_NATIVE_FLOAT, {n}, "kWh", 1);
    }
    // /qtables
    {
        Id g(ok(H5Gcreate2(f.file, "/qtables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/qtables"));
        f.q_episode = create_growing(g, "episode", H5T_NATIVE_INT64, {}, "1", 64);
        attr_string(f.q_episode, "meaning", "episodes completed when the snapshot was taken");
        f.q_snapshots = create_growing(g, "q", H5T_NATIVE_FLOAT, {f.tables, f.states, kNumActions}, "currency", 1);
        f.q_final = create_fixed(g, "final", H5T_NATIVE_FLOAT, {f.tables, f.states, kNumActions}, "currency", true);
    }
    // /ledger
    {
        Id g(ok(H5Gcreate2(f.file, "/ledger", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/ledger"));
        f.tx_type = transaction_type();
        f.block_type = block_type();
        Id ctype = contract_type();
        Id c = create_fixed(g, "contracts", ctype, {static_cast<hsize_t>(contracts.size())}, "1");
        if (!contracts.empty()) ok(H5Dwrite(c, ctype, H5S_ALL, H5S_ALL, H5P_DEFAULT, contracts.data()), "contracts");
        f.blocks = create_growing(g, "blocks", f.block_type, {}, "1", 256, false);
        f.tx_offset = create_growing(g, "tx_offset", H5T_NATIVE_INT64, {}, "1", 1024);
        f.tx_stored = create_growing(g, "tx_stored", H5T_NATIVE_INT64, {}, "1", 1024);
        f.transactions = create_growing(g, "transactions", f.tx_type, {}, "1", kTxChunkRows);
        f.signatures = create_growing(g, "signatures", H5T_NATIVE_UINT8, {kEd25519SignatureBytes}, "1", 256, false);
        attr_string(f.signatures, "meaning", "Ed25519 signature of each block: over \"V2GBLK01\" + the block's SHA-256");
        f.head = create_fixed(g, "head", H5T_NATIVE_UINT8, {sizeof(ChainHead)}, "1");
        attr_string(f.head, "meaning", "the signed chain head (docs/LEDGER.md): height, tip hash, run id, episodes, "
                                       "sealed, Ed25519 signature; rewritten at every checkpoint and at the end");
        f.public_key = create_fixed(g, "public_key", H5T_NATIVE_UINT8, {kEd25519PublicBytes}, "1");
        attr_string(f.public_key, "meaning", "the run's Ed25519 public key (RFC 8032)");
        f.signing_key = create_fixed(g, "signing_key", H5T_NATIVE_UINT8, {kEd25519SecretBytes}, "1");
        attr_string(f.signing_key, "meaning", "the run's Ed25519 secret key while it can still be resumed; "
                                              "zeros once the run finished (its chain is then sealed)");
        f.key = key;
        f.signer = std::make_unique<Ed25519Signer>(key);
        ok(H5Dwrite(f.public_key, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, key.public_key), "/ledger/public_key");
        ok(H5Dwrite(f.signing_key, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, key.secret), "/ledger/signing_key");
        if (p.ledger_enabled) {
            // The genesis block: the same header the trainer's chain starts from.
            const LedgerWriter genesis("", contracts, run_id_of(cfg));
            f.append_block(genesis.tip(), 0, nullptr);
            f.write_head(false);
        }
    }
    // /day: fleet totals per step of one more day under the greedy policy (written at the end).
    {
        Id g(ok(H5Gcreate2(f.file, "/day", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/day"));
        const hsize_t steps = static_cast<hsize_t>(p.steps_per_day);
        for (const DayField& d : day_fields()) f.day.push_back(create_fixed(g, d.name, H5T_NATIVE_DOUBLE, {steps}, d.units));
        f.day_episode = create_fixed(g, "episode", H5T_NATIVE_INT64, {1}, "1");
        const int64_t none = -1;
        ok(H5Dwrite(f.day_episode, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &none), "/day/episode");
        attr_string(f.day_episode, "meaning", "the day traced (the episode after training); -1 until written");
    }
    // /checkpoint: two slots of the whole fleet buffer, contiguous (no filters: fast to rewrite).
    {
        Id g(ok(H5Gcreate2(f.file, "/checkpoint", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "/checkpoint"));
        f.meta_type = checkpoint_meta_type();
        f.ckpt_meta = create_fixed(g, "meta", f.meta_type, {kCheckpointSlots}, "1");
        CheckpointMeta empty[kCheckpointSlots] = {};
        for (CheckpointMeta& m : empty) m.next_episode = -1;
        ok(H5Dwrite(f.ckpt_meta, f.meta_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, empty), "checkpoint meta");
        for (int s = 0; s < kCheckpointSlots; ++s) {
            f.ckpt_slot[s] = create_fixed(g, ("slot" + std::to_string(s)).c_str(), H5T_NATIVE_UINT8,
                                          {static_cast<hsize_t>(fleet_bytes)}, "1");
            attr_string(f.ckpt_slot[s], "meaning", "the engine's fleet buffer (env/layout.h), raw");
            attr_string(f.ckpt_slot[s], "layout", fleet_layout_signature());
            constexpr hsize_t kLearnerChunkBytes = 1 << 20;
            f.ckpt_learner[s] = create_growing(g, ("learner" + std::to_string(s)).c_str(), H5T_NATIVE_UINT8, {}, "1",
                                               kLearnerChunkBytes, false);
            attr_string(f.ckpt_learner[s], "meaning", "the learner's own state (DQN: networks, optimiser, replay; "
                                                      "LibTorch archive); empty for the tabular learner");
        }
    }
}

ResultsWriter::ResultsWriter(const std::string& path, const Config& cfg, const EnvParams& p,
                             const std::vector<Contract>& contracts, const RunInfo& info)
    : path_(path), file_(std::make_unique<File>()) {
    // Built under a temporary name and put in place only once in SWMR mode: a reader polling
    // for the file never finds it half-made, nor holds it while SWMR writing starts.
    const std::string tmp = path + ".creating";
    create_results_file(*file_, tmp, cfg, p, contracts, info, new_signing_key());
    ok(H5Fstart_swmr_write(file_->file), "start SWMR");
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw InputError(path + ": cannot write the results file");
    }
    thread_ = std::thread([this] { writer_loop(); });
}

namespace {

// Copies the first `rows` rows of dataset `name` from one file to the other.
void copy_rows(hid_t from, hid_t to, const std::string& name, hsize_t rows) {
    if (rows == 0) return;
    Id src(ok(H5Dopen2(from, name.c_str(), H5P_DEFAULT), name.c_str()));
    Id dst(ok(H5Dopen2(to, name.c_str(), H5P_DEFAULT), name.c_str()));
    Id type(ok(H5Dget_type(src), "type"));
    Id space(ok(H5Dget_space(src), "space"));
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    rows = std::min(rows, dims[0]);
    std::vector<hsize_t> start(dims.size(), 0), count(dims);
    count[0] = rows;
    hsize_t elems = 1;
    for (hsize_t d : count) elems *= d;
    std::vector<char> buf(static_cast<size_t>(elems * H5Tget_size(type)));
    ok(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), "select");
    Id mem(ok(H5Screate_simple(rank, count.data(), nullptr), "space"));
    ok(H5Dread(src, type, mem, space, H5P_DEFAULT, buf.data()), ("read " + name).c_str());
    append(dst, type, buf.data(), rows);
}

hsize_t count_rows_upto(hid_t file, const char* name, int64_t episodes) {
    Id d(ok(H5Dopen2(file, name, H5P_DEFAULT), name));
    const std::vector<int64_t> taken = read_all<int64_t>(d, H5T_NATIVE_INT64);
    return static_cast<hsize_t>(std::count_if(taken.begin(), taken.end(), [&](int64_t e) { return e <= episodes; }));
}

}  // namespace

// A killed writer can leave chunks half-written past its last checkpoint, and HDF5 does not
// cut such a file back safely in place. So a resume writes a new file next to the old one,
// copies everything up to the checkpoint, and renames it over the old one: a kill during the
// resume itself leaves the old file as it was.
ResultsWriter::ResultsWriter(const std::string& path, const Config& cfg, const EnvParams& p,
                             const std::vector<Contract>& contracts, const RunInfo& info, const ResumeState& state)
    : path_(path), file_(std::make_unique<File>()) {
    quiet_hdf5();
    const std::string tmp = path + ".resume-tmp";
    Id old = open_for_reading(path);
    // Any HDF5 failure here is in the old file (a damaged one): a ResultsError naming the object.
    try {
        RunInfo kept = info;
        kept.input_toml = read_string_dataset(old, "/config/input_toml");
        kept.start_time = read_attr_string(old, "start_time");
        File& f = *file_;
        // The chain continues under the run's own key; a finished run's key is erased, and
        // then only its final chunk is written again (its chain, sealed, is copied as it is).
        SigningKey key{};
        {
            Id d(ok(H5Dopen2(old, "/ledger/signing_key", H5P_DEFAULT), "/ledger/signing_key"));
            ok(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, key.secret), "/ledger/signing_key");
        }
        const uint8_t zeros[kEd25519SecretBytes] = {};
        const bool erased = std::memcmp(key.secret, zeros, sizeof zeros) == 0;
        if (!erased) key = signing_key_from_secret(key.secret);
        create_results_file(f, tmp, cfg, p, contracts, kept, key);
        const int64_t done = state.next_episode;
        for (const EpisodeField& e : episode_fields()) copy_rows(old, f.file, "/episodes/" + std::string(e.name), done);
        for (const char* name : {"episode", "epsilon", "tx_count", "tx_latency_steps", "rejected", "env_steps_per_s"})
            copy_rows(old, f.file, "/episodes/" + std::string(name), done);
        const hsize_t vehicle_rows = count_rows_upto(old, "/vehicles/episode", done);
        for (const char* name : {"episode", "soc_end", "soh", "reward", "unmet_kwh"})
            copy_rows(old, f.file, "/vehicles/" + std::string(name), vehicle_rows);
        const hsize_t q_rows = count_rows_upto(old, "/qtables/episode", done);
        copy_rows(old, f.file, "/qtables/episode", q_rows);
        copy_rows(old, f.file, "/qtables/q", q_rows);
        if (p.ledger_enabled) {
            // The new file holds its genesis row already; copy the episode blocks after it.
            const std::vector<int64_t> offsets = read_ints_of(old, "/ledger/tx_offset");
            const std::vector<int64_t> stored = read_ints_of(old, "/ledger/tx_stored");
            const hsize_t blocks = static_cast<hsize_t>(done) + 1;
            if (offsets.size() < blocks || stored.size() < blocks)
                throw ResultsError(path + ": ledger rows before the checkpoint are missing");
            f.next_tx_offset = offsets[blocks - 1] + stored[blocks - 1];
            copy_rows(old, f.file, "/ledger/transactions", static_cast<hsize_t>(f.next_tx_offset));
            for (const char* name : {"/ledger/blocks", "/ledger/signatures", "/ledger/tx_offset", "/ledger/tx_stored"}) {
                truncate_rows(Id(ok(H5Dopen2(f.file, name, H5P_DEFAULT), name)), 0);
                copy_rows(old, f.file, name, blocks);
            }
            Id old_pub(ok(H5Dopen2(old, "/ledger/public_key", H5P_DEFAULT), "/ledger/public_key"));
            ok(H5Dread(old_pub, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, f.key.public_key), "/ledger/public_key");
            ok(H5Dwrite(f.public_key, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, f.key.public_key), "/ledger/public_key");
            f.tip = state.next_episode > 0 ? state.ledger_tip : f.tip;
            if (erased) {
                // Sealed: the old head is the chain's last word, provided it is at this tip.
                ChainHead head{};
                Id old_head(ok(H5Dopen2(old, "/ledger/head", H5P_DEFAULT), "/ledger/head"));
                ok(H5Dread(old_head, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, &head), "/ledger/head");
                if (!head.sealed || head.height != f.tip.height)
                    throw ResultsError(path + ": its signing key is erased but its chain is not sealed at the "
                                              "checkpoint: damaged, cannot resume it");
                ok(H5Dwrite(f.head, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, &head), "/ledger/head");
                f.erase_key();
                f.key_erased = true;
            } else {
                f.write_head(false);
            }
        }
        if (done > 0) {
            // The checkpoint we resume from, as this file's newest.
            CheckpointMeta m = {};
            m.next_episode = done;
            m.sequence = f.checkpoint_sequence = 1;
            m.fleet_bytes = state.fleet.size();
            const ledger::Digest sha =
                ledger::sha256_digest(reinterpret_cast<const uint8_t*>(state.fleet.data()), state.fleet.size());
            std::memcpy(m.fleet_sha256, sha.bytes, 32);
            m.ledger_tip = state.ledger_tip;
            write_checkpoint(f, 0, m, state.fleet, state.learner);
        }
        old.reset();
        ok(H5Fflush(f.file, H5F_SCOPE_GLOBAL), "flush");
        ok(H5Fstart_swmr_write(f.file), "start SWMR");
    } catch (const InputError&) {  // a ResultsError of the old file, or the new one cannot be written
        file_.reset();
        std::remove(tmp.c_str());
        throw;
    } catch (const std::runtime_error& e) {
        file_.reset();
        std::remove(tmp.c_str());
        throw ResultsError(path + ": cannot resume from it, damaged (" + e.what() + ")");
    }
    kill_point("resume.copied");
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw ResultsError(path + ": cannot replace it with the resumed file");
    thread_ = std::thread([this] { writer_loop(); });
}

ResultsWriter::~ResultsWriter() {
    try {
        if (!finished_) finish("interrupted");
    } catch (...) {
    }
}

void ResultsWriter::rethrow_if_failed() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_.empty()) throw std::runtime_error(path_ + ": results writer failed: " + error_);
}

void ResultsWriter::write_chunk(ChunkData chunk) {
    rethrow_if_failed();
    std::unique_lock<std::mutex> lock(mutex_);
    if (queue_.size() >= kQueueDepth) {
        // Both buffers are full: the disk is slower than training. Wait, and account for it.
        const auto t0 = std::chrono::steady_clock::now();
        cv_.wait(lock, [this] { return queue_.size() < kQueueDepth || !error_.empty(); });
        seconds_waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
}

void ResultsWriter::writer_loop() {
    keep_freed_heap();
    // One fleet-sized buffer for the trainer's snapshots, allocated and touched here while the
    // first episodes train on the other cores: fresh pages fault one by one (about 2 s per GB
    // on the project's machines), which would otherwise land in the training loop.
    {
        FleetView measure{};
        std::vector<char> spare(layout_fleet(file_->p, nullptr, &measure), 0);
        std::lock_guard<std::mutex> lock(mutex_);
        if (spare_.empty()) spare_.push_back(std::move(spare));
    }
    for (;;) {
        ChunkData chunk;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return !queue_.empty() || stop_; });
            if (queue_.empty()) return;
            chunk = std::move(queue_.front());
        }
        try {
            write_now(chunk);
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = e.what();
            queue_.clear();
            cv_.notify_all();
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (queue_.front().fleet.capacity() > 0 && spare_.size() < kQueueDepth)
            spare_.push_back(std::move(queue_.front().fleet));
        queue_.pop_front();
        cv_.notify_all();
    }
}

std::vector<char> ResultsWriter::spare_buffer() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (spare_.empty()) return {};
    std::vector<char> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
}

void ResultsWriter::write_now(const ChunkData& c) {
    File& f = *file_;
    const EnvParams& p = f.p;
    const hsize_t rows = c.metrics.size();
    const double n = static_cast<double>(p.num_vehicles);
    std::vector<double> values(rows);
    for (size_t k = 0; k < episode_fields().size(); ++k) {
        for (hsize_t i = 0; i < rows; ++i) values[i] = episode_fields()[k].value(c.metrics[i], n);
        append(f.episode_datasets[k], H5T_NATIVE_DOUBLE, values.data(), rows);
    }
    std::vector<int64_t> ints(rows);
    for (hsize_t i = 0; i < rows; ++i) ints[i] = c.first_episode + static_cast<int64_t>(i);
    append(f.episode, H5T_NATIVE_INT64, ints.data(), rows);
    for (hsize_t i = 0; i < rows; ++i) values[i] = c.epsilons[i];
    append(f.epsilon, H5T_NATIVE_DOUBLE, values.data(), rows);
    for (hsize_t i = 0; i < rows; ++i) ints[i] = c.metrics[i].tx_count;
    append(f.tx_count, H5T_NATIVE_INT64, ints.data(), rows);
    for (hsize_t i = 0; i < rows; ++i) ints[i] = c.metrics[i].tx_latency_steps;
    append(f.tx_latency, H5T_NATIVE_INT64, ints.data(), rows);
    std::vector<int64_t> rejected;
    for (const EpisodeMetrics& m : c.metrics)
        for (int r = 1; r < kNumRejectReasons; ++r) rejected.push_back(m.rejected[r]);
    append(f.rejected, H5T_NATIVE_INT64, rejected.data(), rows);
    std::fill(values.begin(), values.end(), c.env_steps_per_s);
    append(f.env_steps_per_s, H5T_NATIVE_DOUBLE, values.data(), rows);

    const int64_t done = c.first_episode + static_cast<int64_t>(rows);
    if (c.vehicle_snapshot) {
        append(f.veh_episode, H5T_NATIVE_INT64, &done, 1);
        append(f.veh_soc, H5T_NATIVE_FLOAT, c.soc_end.data(), 1);
        append(f.veh_soh, H5T_NATIVE_FLOAT, c.soh.data(), 1);
        append(f.veh_reward, H5T_NATIVE_FLOAT, c.reward.data(), 1);
        append(f.veh_unmet, H5T_NATIVE_FLOAT, c.unmet_kwh.data(), 1);
    }
    if ((c.q_snapshot || c.last) && f.tables > 0) {
        FleetView view{};
        layout_fleet(p, const_cast<char*>(c.fleet.data()), &view);
        // /qtables is float32 whatever the tables' precision: bfloat16 widens exactly.
        std::vector<float> widened;
        if (view.q_bf16) {
            widened.resize(static_cast<size_t>(f.tables * f.states * kNumActions));
            for (size_t i = 0; i < widened.size(); ++i) widened[i] = float_from_bf16(view.q_bf16[i]);
            view.q = widened.data();
        }
        if (c.q_snapshot) {
            append(f.q_episode, H5T_NATIVE_INT64, &done, 1);
            append(f.q_snapshots, H5T_NATIVE_FLOAT, view.q, 1);
        }
        if (c.last) write_deflated(f.q_final, H5T_NATIVE_FLOAT, view.q, f.final_write_threads);
    }
    if (c.day.episode >= 0) {
        for (size_t k = 0; k < day_fields().size(); ++k)
            ok(H5Dwrite(f.day[k], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, (c.day.*day_fields()[k].values).data()),
               day_fields()[k].name);
        const int64_t e = c.day.episode;
        ok(H5Dwrite(f.day_episode, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &e), "/day/episode");
    }
    for (size_t b = 0; b < c.blocks.size(); ++b)
        f.append_block(c.blocks[b], static_cast<int64_t>(c.stored_transactions[b].size()), c.stored_transactions[b].data());
    // Data first, then the checkpoint that points at it: a kill in between resumes from the
    // previous checkpoint and cuts the extra rows.
    if (c.last) kill_point("final.data");
    // Each flush compresses every dataset's partly filled chunk again, so a chunk that does not
    // end at a checkpoint is flushed only when a live reader (v2g watch, SWMR) has not seen new
    // rows for kLiveFlushSeconds; a kill resumes from the last checkpoint either way.
    const auto now = std::chrono::steady_clock::now();
    if (c.checkpoint || c.last || std::chrono::duration<double>(now - f.flushed_at).count() >= kLiveFlushSeconds) {
        ok(H5Fflush(f.file, H5F_SCOPE_GLOBAL), "flush");
        f.flushed_at = now;
    }
    if (c.last) kill_point("final.flushed");
    if (c.checkpoint) {
        const int slot = static_cast<int>(f.checkpoint_sequence % kCheckpointSlots);
        CheckpointMeta m = {};
        m.next_episode = done;
        m.sequence = ++f.checkpoint_sequence;
        m.fleet_bytes = c.fleet.size();
        const ledger::Digest sha = ledger::sha256_digest(reinterpret_cast<const uint8_t*>(c.fleet.data()), c.fleet.size());
        std::memcpy(m.fleet_sha256, sha.bytes, 32);
        m.ledger_tip = c.ledger_tip;
        write_checkpoint(f, slot, m, c.fleet, c.learner, c.last ? "final.checkpoint_torn" : nullptr);
        if (c.last) kill_point("final.checkpointed");
    }
    // The signed head follows the checkpoint: it never commits more than a resume keeps. The
    // last chunk seals the chain (unless a resumed finished run's sealed head stands).
    if ((c.checkpoint || c.last) && p.ledger_enabled && !f.key_erased) f.write_head(c.last);
    if (c.last) kill_point("final.head");
}

void ResultsWriter::finish(const std::string& status) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    finished_ = true;
    if (file_ && file_->file.get() >= 0) {
        if (error_.empty()) file_->set_status(status);
        kill_point("final.status");
        if (error_.empty() && status == "finished" && file_->p.ledger_enabled && !file_->key_erased) file_->erase_key();
        kill_point("final.key_erased");
        file_.reset();  // closes every handle, the file last
    }
    if (!error_.empty()) throw std::runtime_error(path_ + ": results writer failed: " + error_);
}

}  // namespace v2g
