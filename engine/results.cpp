// results.cpp: the HDF5 results file (see results.h, docs/RESULTS.md).
#include "results.h"

#include <hdf5.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include "hdf5_util.h"
#include "kill_point.h"
#include "kernels/layout.h"
#include "ledger/signature.h"
#include "price_unit.h"

#ifndef V2G_GIT_COMMIT
#define V2G_GIT_COMMIT "unknown"
#endif

namespace v2g {
namespace {

constexpr int kDeflateLevel = 1;  // fast: the writer shares the cores with training
constexpr hsize_t kEpisodeChunkRows = 1024;
constexpr hsize_t kTxChunkRows = 16384;
constexpr hsize_t kTargetChunkBytes = 4u << 20;  // 4 MiB chunks for the per-vehicle and Q data
constexpr size_t kStatusBytes = 16;
constexpr int kCheckpointSlots = 2;
constexpr size_t kQueueDepth = 2;  // double buffering

using namespace hdf5;  // engine/hdf5_util.h

// Compound types mirroring the fixed records (memory layout = file layout, little-endian).
Id u8_array(hsize_t n) { return Id(ok(H5Tarray_create2(H5T_NATIVE_UINT8, 1, &n), "array type")); }

Id transaction_type() {
    Id t(ok(H5Tcreate(H5T_COMPOUND, sizeof(Transaction)), "transaction type"));
    H5Tinsert(t, "episode", HOFFSET(Transaction, episode), H5T_NATIVE_UINT32);
    H5Tinsert(t, "sequence", HOFFSET(Transaction, sequence), H5T_NATIVE_UINT32);
    H5Tinsert(t, "step", HOFFSET(Transaction, step), H5T_NATIVE_UINT16);
    H5Tinsert(t, "kind", HOFFSET(Transaction, kind), H5T_NATIVE_UINT8);
    H5Tinsert(t, "reserved", HOFFSET(Transaction, reserved), H5T_NATIVE_UINT8);
    H5Tinsert(t, "vehicle", HOFFSET(Transaction, vehicle), H5T_NATIVE_UINT32);
    H5Tinsert(t, "counterparty", HOFFSET(Transaction, counterparty), H5T_NATIVE_UINT32);
    H5Tinsert(t, "contract", HOFFSET(Transaction, contract), H5T_NATIVE_UINT32);
    H5Tinsert(t, "energy_wh", HOFFSET(Transaction, energy_wh), H5T_NATIVE_INT64);
    H5Tinsert(t, "amount_micro", HOFFSET(Transaction, amount_micro), H5T_NATIVE_INT64);
    H5Tinsert(t, "price_micro_per_kwh", HOFFSET(Transaction, price_micro_per_kwh), H5T_NATIVE_INT32);
    H5Tinsert(t, "check", HOFFSET(Transaction, check), H5T_NATIVE_UINT32);
    return t;
}

Id block_type() {
    Id t(ok(H5Tcreate(H5T_COMPOUND, sizeof(BlockHeader)), "block type"));
    Id h32 = u8_array(32);
    H5Tinsert(t, "magic", HOFFSET(BlockHeader, magic), H5T_NATIVE_UINT32);
    H5Tinsert(t, "version", HOFFSET(BlockHeader, version), H5T_NATIVE_UINT32);
    H5Tinsert(t, "height", HOFFSET(BlockHeader, height), H5T_NATIVE_UINT64);
    H5Tinsert(t, "prev_hash", HOFFSET(BlockHeader, prev_hash), h32);
    H5Tinsert(t, "tx_root", HOFFSET(BlockHeader, tx_root), h32);
    H5Tinsert(t, "registry_root", HOFFSET(BlockHeader, registry_root), h32);
    H5Tinsert(t, "run_id", HOFFSET(BlockHeader, run_id), h32);
    H5Tinsert(t, "episode", HOFFSET(BlockHeader, episode), H5T_NATIVE_UINT32);
    H5Tinsert(t, "steps", HOFFSET(BlockHeader, steps), H5T_NATIVE_UINT32);
    H5Tinsert(t, "tx_count", HOFFSET(BlockHeader, tx_count), H5T_NATIVE_UINT64);
    H5Tinsert(t, "rejected", HOFFSET(BlockHeader, rejected), H5T_NATIVE_UINT64);
    H5Tinsert(t, "reserved", HOFFSET(BlockHeader, reserved), H5T_NATIVE_UINT32);
    H5Tinsert(t, "check", HOFFSET(BlockHeader, check), H5T_NATIVE_UINT32);
    return t;
}

Id contract_type() {
    Id t(ok(H5Tcreate(H5T_COMPOUND, sizeof(Contract)), "contract type"));
    H5Tinsert(t, "id", HOFFSET(Contract, id), H5T_NATIVE_UINT32);
    H5Tinsert(t, "type", HOFFSET(Contract, type), H5T_NATIVE_UINT8);
    H5Tinsert(t, "price_mode", HOFFSET(Contract, price_mode), H5T_NATIVE_UINT8);
    H5Tinsert(t, "reserved", HOFFSET(Contract, reserved), H5T_NATIVE_UINT16);
    H5Tinsert(t, "party_first", HOFFSET(Contract, party_first), H5T_NATIVE_UINT32);
    H5Tinsert(t, "party_last", HOFFSET(Contract, party_last), H5T_NATIVE_UINT32);
    H5Tinsert(t, "community", HOFFSET(Contract, community), H5T_NATIVE_UINT32);
    H5Tinsert(t, "fixed_price_micro_per_kwh", HOFFSET(Contract, fixed_price_micro_per_kwh), H5T_NATIVE_INT32);
    H5Tinsert(t, "price_floor_micro_per_kwh", HOFFSET(Contract, price_floor_micro_per_kwh), H5T_NATIVE_INT32);
    H5Tinsert(t, "price_cap_micro_per_kwh", HOFFSET(Contract, price_cap_micro_per_kwh), H5T_NATIVE_INT32);
    H5Tinsert(t, "energy_cap_wh_per_step", HOFFSET(Contract, energy_cap_wh_per_step), H5T_NATIVE_UINT32);
    H5Tinsert(t, "valid_from_episode", HOFFSET(Contract, valid_from_episode), H5T_NATIVE_UINT32);
    H5Tinsert(t, "valid_until_episode", HOFFSET(Contract, valid_until_episode), H5T_NATIVE_UINT32);
    H5Tinsert(t, "reserved2", HOFFSET(Contract, reserved2), H5T_NATIVE_UINT32);
    return t;
}

// A checkpoint slot's description, written after the slot's bytes: a kill during either
// write leaves a slot whose hash does not match, and the other slot is used.
struct CheckpointMeta {
    int64_t next_episode;  // -1: empty slot
    int64_t sequence;      // higher = newer
    uint64_t fleet_bytes;
    uint8_t fleet_sha256[32];
    BlockHeader ledger_tip;
    uint64_t learner_bytes;      // the learner's own state (a DQN's networks, optimiser, replay); 0: none
    uint8_t learner_sha256[32];
};

Id checkpoint_meta_type() {
    Id t(ok(H5Tcreate(H5T_COMPOUND, sizeof(CheckpointMeta)), "checkpoint type"));
    Id h32 = u8_array(32);
    Id tip = block_type();
    H5Tinsert(t, "next_episode", HOFFSET(CheckpointMeta, next_episode), H5T_NATIVE_INT64);
    H5Tinsert(t, "sequence", HOFFSET(CheckpointMeta, sequence), H5T_NATIVE_INT64);
    H5Tinsert(t, "fleet_bytes", HOFFSET(CheckpointMeta, fleet_bytes), H5T_NATIVE_UINT64);
    H5Tinsert(t, "fleet_sha256", HOFFSET(CheckpointMeta, fleet_sha256), h32);
    H5Tinsert(t, "ledger_tip", HOFFSET(CheckpointMeta, ledger_tip), tip);
    H5Tinsert(t, "learner_bytes", HOFFSET(CheckpointMeta, learner_bytes), H5T_NATIVE_UINT64);
    H5Tinsert(t, "learner_sha256", HOFFSET(CheckpointMeta, learner_sha256), h32);
    return t;
}

// An extendable dataset along axis 0, chunked and compressed, with a units attribute.
Id create_growing(hid_t loc, const char* name, hid_t type, std::vector<hsize_t> tail, const char* units,
                  hsize_t chunk_rows, bool compress = true) {
    std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk{chunk_rows};
    for (hsize_t d : tail) {
        dims.push_back(d);
        maxdims.push_back(d);
    }
    // Rows of a big tail (per-vehicle data, Q-tables) are split into ~kTargetChunkBytes pieces.
    const hsize_t elem = H5Tget_size(type);
    hsize_t budget = std::max<hsize_t>(1, kTargetChunkBytes / std::max<hsize_t>(1, elem));
    for (size_t i = 0; i < tail.size(); ++i) {
        hsize_t inner = 1;
        for (size_t j = i + 1; j < tail.size(); ++j) inner *= tail[j];
        chunk.push_back(std::max<hsize_t>(1, std::min(tail[i], budget / std::max<hsize_t>(1, inner))));
    }
    if (!tail.empty()) chunk[0] = 1;
    Id space(ok(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()), name));
    Id dcpl(ok(H5Pcreate(H5P_DATASET_CREATE), "dcpl"));
    ok(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), name);
    if (compress) {
        ok(H5Pset_shuffle(dcpl), name);
        ok(H5Pset_deflate(dcpl, kDeflateLevel), name);
    }
    Id d(ok(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name));
    attr_string(d, "units", units);
    return d;
}

Id create_fixed(hid_t loc, const char* name, hid_t type, std::vector<hsize_t> dims, const char* units,
                bool chunked = false) {
    Id space(ok(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), name));
    Id dcpl(ok(H5Pcreate(H5P_DATASET_CREATE), "dcpl"));
    if (chunked) {
        std::vector<hsize_t> chunk(dims);
        hsize_t inner = 1;
        for (size_t j = 1; j < dims.size(); ++j) inner *= dims[j];
        chunk[0] = std::max<hsize_t>(1, std::min(dims[0], kTargetChunkBytes / H5Tget_size(type) / std::max<hsize_t>(1, inner)));
        ok(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), name);
        ok(H5Pset_shuffle(dcpl), name);
        ok(H5Pset_deflate(dcpl, kDeflateLevel), name);
    }
    Id d(ok(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name));
    attr_string(d, "units", units);
    return d;
}

hsize_t rows_of(hid_t d) {
    Id space(ok(H5Dget_space(d), "space"));
    hsize_t dims[H5S_MAX_RANK];
    ok(H5Sget_simple_extent_dims(space, dims, nullptr), "dims");
    return dims[0];
}

// Appends `rows` rows to an extendable dataset.
void append(hid_t d, hid_t mem_type, const void* data, hsize_t rows) {
    if (rows == 0) return;
    Id space(ok(H5Dget_space(d), "space"));
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<hsize_t> start(dims.size(), 0), count(dims);
    start[0] = dims[0];
    count[0] = rows;
    dims[0] += rows;
    ok(H5Dset_extent(d, dims.data()), "extend");
    Id file_space(ok(H5Dget_space(d), "space"));
    ok(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), "select");
    Id mem_space(ok(H5Screate_simple(rank, count.data(), nullptr), "mem space"));
    ok(H5Dwrite(d, mem_type, mem_space, file_space, H5P_DEFAULT, data), "append");
}

void truncate_rows(hid_t d, hsize_t rows) {
    Id space(ok(H5Dget_space(d), "space"));
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    if (dims[0] <= rows) return;
    dims[0] = rows;
    ok(H5Dset_extent(d, dims.data()), "truncate");
}

template <typename T>
std::vector<T> read_all(hid_t d, hid_t mem_type) {
    const hsize_t n = rows_of(d);
    Id space(ok(H5Dget_space(d), "space"));
    const hssize_t elems = H5Sget_simple_extent_npoints(space);
    std::vector<T> out(static_cast<size_t>(elems));
    if (n > 0) ok(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read");
    return out;
}

// The per-episode datasets: name, units, and how to get the value from fleet metrics.
struct EpisodeField {
    const char* name;
    const char* units;
    double (*value)(const EpisodeMetrics& m, double vehicles);
};

const std::vector<EpisodeField>& episode_fields() {
    static const std::vector<EpisodeField> fields = {
        {"reward_mean", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.reward / n; }},
        {"reward_min", "currency/vehicle/day", [](const EpisodeMetrics& m, double) { return m.reward_min; }},
        {"reward_max", "currency/vehicle/day", [](const EpisodeMetrics& m, double) { return m.reward_max; }},
        {"energy_cost", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.energy_cost / n; }},
        {"revenue", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.revenue / n; }},
        {"degradation_cost", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.degradation_cost / n; }},
        {"unmet_penalty", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.unmet_penalty / n; }},
        {"en_route_cost", "currency/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.en_route_cost / n; }},
        {"unmet_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.unmet_kwh / n; }},
        {"en_route_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.en_route_kwh / n; }},
        {"curtailed_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.curtailed_kwh / n; }},
        {"safety_overrides", "1/vehicle/day",
         [](const EpisodeMetrics& m, double n) { return static_cast<double>(m.safety_overrides) / n; }},
        {"limit_steps", "1", [](const EpisodeMetrics& m, double) { return static_cast<double>(m.limit_steps); }},
        {"pack_replacements", "1", [](const EpisodeMetrics& m, double) { return static_cast<double>(m.pack_replacements); }},
        {"grid_import_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.grid_import_kwh / n; }},
        {"grid_export_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.grid_export_kwh / n; }},
        {"p2p_bought_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.p2p_bought_kwh / n; }},
        {"p2p_sold_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.p2p_sold_kwh / n; }},
        {"pv_sold_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.pv_sold_kwh / n; }},
        {"market_volume_kwh", "kWh/vehicle/day",
         [](const EpisodeMetrics& m, double n) { return (m.p2p_sold_kwh + m.pv_sold_kwh) / n; }},
        {"conversion_loss_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.conversion_loss_kwh / n; }},
        {"market_loss_kwh", "kWh/vehicle/day", [](const EpisodeMetrics& m, double n) { return m.market_loss_kwh / n; }},
        {"soc_end_mean", "1", [](const EpisodeMetrics& m, double n) { return m.soc_end / n; }},
        {"soh_mean", "1", [](const EpisodeMetrics& m, double n) { return m.soh / n; }},
        {"soh_min", "1", [](const EpisodeMetrics& m, double) { return m.soh_min; }},
    };
    return fields;
}

std::string iso_now() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

Id file_access() {
    Id fapl(ok(H5Pcreate(H5P_FILE_ACCESS), "fapl"));
    ok(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "libver");  // SWMR needs it
    return fapl;
}

// A live file's metadata can be caught mid-update: a SWMR reader retries a read whose checksum
// fails. HDF5's default is 100 attempts, each a sleep, and on a damaged file every read fails:
// minutes per command. A few attempts cover a live writer's updates (they take microseconds).
constexpr unsigned kSwmrReadAttempts = 4;

// Opens a results file for reading and checks its schema. A file its writer closed (finished,
// interrupted, evaluated) opens as an ordinary reader; only a live or killed one (marked open
// for SWMR writing) needs the SWMR reader. `closed` says which it was.
Id open_for_reading(const std::string& path, bool* closed = nullptr) {
    quiet_hdf5();
    {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) throw ResultsError(path + ": cannot open");
    }
    if (!has_hdf5_signature(path)) throw ResultsError(path + ": not an HDF5 file");
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (closed) *closed = f >= 0;
    if (f < 0) {
        Id fapl = file_access();
        ok(H5Pset_metadata_read_attempts(fapl, kSwmrReadAttempts), "metadata read attempts");
        f = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    }
    if (f < 0) throw ResultsError(path + ": unreadable HDF5 file (truncated or damaged)");
    Id file(f);
    std::string version;
    try {
        version = read_attr_string(file, "schema_version");
    } catch (const std::runtime_error& e) {
        throw ResultsError(path + ": unreadable schema_version attribute (" + e.what() + ")");
    }
    if (version.empty()) throw ResultsError(path + ": not a v2g results file (no schema_version)");
    const int major = std::atoi(version.c_str());
    if (major > kSchemaMajor)
        throw ResultsError(path + ": results schema " + version + " is newer than this build reads (" +
                           std::to_string(kSchemaMajor) + ".x): use a newer v2g");
    return file;
}

}  // namespace

bool is_hdf5_file(const std::string& path) { return has_hdf5_signature(path); }

// The /day datasets: name, units, and the DayTrace member.
struct DayField {
    const char* name;
    const char* units;
    std::vector<double> DayTrace::*values;
};

const std::vector<DayField>& day_fields() {
    static const std::vector<DayField> fields = {
        {"clock_hour", "h", &DayTrace::clock_hour},
        {"retail_price_per_kwh", "currency/kWh", &DayTrace::retail_price_per_kwh},
        {"feed_in_price_per_kwh", "currency/kWh", &DayTrace::feed_in_price_per_kwh},
        {"grid_load_kw", "kW", &DayTrace::grid_load_kw},
        {"dr_event", "1", &DayTrace::dr_event},
        {"pv_kw", "kW", &DayTrace::pv_kw},
        {"grid_import_kwh", "kWh", &DayTrace::grid_import_kwh},
        {"grid_export_kwh", "kWh", &DayTrace::grid_export_kwh},
        {"p2p_bought_kwh", "kWh", &DayTrace::p2p_bought_kwh},
        {"p2p_sold_kwh", "kWh", &DayTrace::p2p_sold_kwh},
        {"pv_sold_kwh", "kWh", &DayTrace::pv_sold_kwh},
        {"soc_mean", "1", &DayTrace::soc_mean},
        {"plugged_in", "1", &DayTrace::plugged_in},
    };
    return fields;
}

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
    hsize_t tables = 0, states = 0;

    void write_head(bool sealed) {
        const ChainHead h = signed_head(key, tip, sealed);
        ok(H5Dwrite(head, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, &h), "/ledger/head");
        ok(H5Dflush(head), "/ledger/head");
    }
    void append_block(const BlockHeader& b, int64_t stored, const Transaction* txs) {
        uint8_t sig[kEd25519SignatureBytes];
        sign_block(key, b, sig);
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

std::vector<int64_t> read_ints_of(hid_t file, const char* name) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return {};
    Id d(ok(H5Dopen2(file, name, H5P_DEFAULT), name));
    return read_all<int64_t>(d, H5T_NATIVE_INT64);
}

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
    f.tables = cfg.policy == "dqn" ? 0 : static_cast<hsize_t>(num_q_tables(p));
    f.states = static_cast<hsize_t>(num_states(p));
    const hsize_t n = static_cast<hsize_t>(p.num_vehicles);

    // Root attributes.
    attr_string(f.file, "schema_version", std::to_string(kSchemaMajor) + "." + std::to_string(kSchemaMinor));
    attr_string(f.file, "v2g_version", V2G_VERSION);
    attr_string(f.file, "git_commit", V2G_GIT_COMMIT);
    attr_string(f.file, "device", info.device);
    attr_string(f.file, "backend", info.backend);
    attr_string(f.file, "device_reason", info.device_reason);
    attr_number(f.file, "seed", H5T_NATIVE_UINT64, static_cast<uint64_t>(cfg.seed));
    attr_string(f.file, "start_time", info.start_time.empty() ? iso_now() : info.start_time);
    attr_string(f.file, "run_name", cfg.run_name);
    // Units say "currency" (currency/vehicle/day); this says which one (signals.price_unit).
    attr_string(f.file, "currency", currency_label(cfg));
    attr_number(f.file, "episodes_planned", H5T_NATIVE_INT64, static_cast<int64_t>(cfg.episodes));
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
            attr_string(f.ckpt_slot[s], "meaning", "the engine's fleet buffer (kernels/layout.h), raw");
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
        if (c.last) ok(H5Dwrite(f.q_final, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, view.q), "final Q");
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
    ok(H5Fflush(f.file, H5F_SCOPE_GLOBAL), "flush");
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
    auto col = [&](const char* name) -> const std::vector<double>& {
        for (size_t k = 0; k < episode_fields().size(); ++k)
            if (std::strcmp(episode_fields()[k].name, name) == 0) return cols[k];
        throw std::logic_error(name);
    };
    for (size_t i = 0; i < n; ++i) {
        EpisodeMetrics m{};
        m.vehicles = p.num_vehicles;
        m.reward = col("reward_mean")[i] * vehicles;
        m.reward_min = col("reward_min")[i];
        m.reward_max = col("reward_max")[i];
        m.energy_cost = col("energy_cost")[i] * vehicles;
        m.revenue = col("revenue")[i] * vehicles;
        m.degradation_cost = col("degradation_cost")[i] * vehicles;
        m.unmet_penalty = col("unmet_penalty")[i] * vehicles;
        m.unmet_kwh = col("unmet_kwh")[i] * vehicles;
        m.en_route_cost = col("en_route_cost")[i] * vehicles;
        m.en_route_kwh = col("en_route_kwh")[i] * vehicles;
        m.curtailed_kwh = col("curtailed_kwh")[i] * vehicles;
        m.safety_overrides = std::llround(col("safety_overrides")[i] * vehicles);
        m.limit_steps = std::llround(col("limit_steps")[i]);
        m.pack_replacements = std::llround(col("pack_replacements")[i]);
        m.grid_import_kwh = col("grid_import_kwh")[i] * vehicles;
        m.grid_export_kwh = col("grid_export_kwh")[i] * vehicles;
        m.p2p_bought_kwh = col("p2p_bought_kwh")[i] * vehicles;
        m.p2p_sold_kwh = col("p2p_sold_kwh")[i] * vehicles;
        m.pv_sold_kwh = col("pv_sold_kwh")[i] * vehicles;
        m.soh = col("soh_mean")[i] * vehicles;
        m.soh_min = col("soh_min")[i];
        m.soc_end = col("soc_end_mean")[i] * vehicles;
        m.tx_count = tx[i];
        m.tx_latency_steps = i < latency.size() ? latency[i] : 0;
        for (int r = 1; r < kNumRejectReasons; ++r) m.rejected[r] = rej[i * (kNumRejectReasons - 1) + static_cast<size_t>(r - 1)];
        st.metrics.push_back(m);
        st.epsilons.push_back(static_cast<float>(eps[i]));
    }
    return st;
}
}  // namespace

// ---------------------------------------------------------------- evaluation

namespace {

void write_doubles(hid_t loc, const char* name, const std::vector<double>& values, std::vector<hsize_t> dims,
                   const char* units, const char* definition = nullptr) {
    hsize_t n = 1;
    for (hsize_t d : dims) n *= d;
    if (n != values.size()) fail(std::string(name) + ": " + std::to_string(values.size()) + " values for its shape");
    Id d = create_fixed(loc, name, H5T_IEEE_F64LE, dims, units);
    if (definition) attr_string(d, "definition", definition);
    if (n > 0) ok(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), name);
}

// /…/metrics/NAME [policies, days] for one scenario.
void write_metrics(hid_t loc, const ScenarioResult& s, hsize_t policies, hsize_t days) {
    Id g(ok(H5Gcreate2(loc, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "metrics"));
    for (int k = 0; k < kMetricCount; ++k) {
        std::vector<double> values;
        for (const std::vector<DayMetrics>& per_day : s.metrics)
            for (const DayMetrics& m : per_day) values.push_back(m[k]);
        const MetricInfo& info = metric_table()[k];
        write_doubles(g, info.name, values, {policies, days}, info.unit, info.definition);
    }
    std::vector<double> money;
    for (const std::vector<double>& per_day : s.oracle_set_money) money.insert(money.end(), per_day.begin(), per_day.end());
    write_doubles(loc, "oracle_set_money_per_vehicle", money, {policies, days}, "currency/vehicle/day",
                  "money per vehicle-day on the LP oracle's communities (the score's)");
    attr_number(loc, "score", H5T_IEEE_F64LE, s.score);
}

}  // namespace

void write_evaluation(const std::string& path, const EvaluationResult& r) {
    quiet_hdf5();
    { open_for_reading(path); }  // the same checks and messages as every reader
    Id fapl = file_access();
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl));
    if (file < 0) throw ResultsError(path + ": cannot open for writing (read-only, or a writer still has it open)");
    constexpr const char* kNew = "evaluation_new";
    if (H5Lexists(file, kNew, H5P_DEFAULT) > 0) ok(H5Ldelete(file, kNew, H5P_DEFAULT), "delete evaluation_new");
    {
        Id g(ok(H5Gcreate2(file, kNew, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kNew));
        const hsize_t np = r.policies.size(), nd = static_cast<hsize_t>(r.days), nt = static_cast<hsize_t>(r.steps_per_day);
        const hsize_t nv = static_cast<hsize_t>(r.vehicles);
        attr_number(g, "days", H5T_STD_I64LE, static_cast<int64_t>(r.days));
        attr_number(g, "first_episode", H5T_STD_I64LE, static_cast<int64_t>(r.first_episode));
        attr_number(g, "dp_energy_points", H5T_STD_I64LE, static_cast<int64_t>(r.dp_energy_points));
        attr_number(g, "vehicles", H5T_STD_I64LE, static_cast<int64_t>(r.vehicles));
        attr_number(g, "ledger", H5T_STD_I64LE, static_cast<int64_t>(r.ledger ? 1 : 0));
        attr_number(g, "step_hours", H5T_IEEE_F64LE, r.step_hours);
        attr_number(g, "oracle_communities", H5T_STD_I64LE, static_cast<int64_t>(r.oracle_communities));
        attr_number(g, "oracle_vehicles", H5T_STD_I64LE, static_cast<int64_t>(r.oracle_vehicles));
        attr_string(g, "device", r.device);
        attr_string(g, "backend", r.backend);
        attr_string(g, "faults", r.faults);
        attr_string(g, "created_utc", iso_now());
        size_t longest = 1;
        for (const std::string& s : r.policies) longest = std::max(longest, s.size() + 1);
        {
            Id t = string_type(longest);
            Id d = create_fixed(g, "policies", t, {np}, "1");
            std::vector<char> names(np * longest, '\0');
            for (size_t i = 0; i < np; ++i) std::memcpy(&names[i * longest], r.policies[i].data(), r.policies[i].size());
            ok(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names.data()), "policies");
        }
        write_metrics(g, r.scenarios.at(0), np, nd);
        {
            Id day(ok(H5Gcreate2(g, "day", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "day"));
            write_doubles(day, "clock_hour", r.clock_hour, {nd, nt}, "h");
            write_doubles(day, "retail_price_per_kwh", r.retail_price_per_kwh, {nd, nt}, "currency/kWh");
            write_doubles(day, "feed_in_price_per_kwh", r.feed_in_price_per_kwh, {nd, nt}, "currency/kWh");
            write_doubles(day, "dr_event", r.dr_event, {nd, nt}, "1");
            const char* names[kFlowFields] = {"grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh"};
            for (int k = 0; k < kFlowFields; ++k) {
                std::vector<double> v;
                for (size_t i = static_cast<size_t>(k); i < r.flows.size(); i += kFlowFields) v.push_back(r.flows[i]);
                write_doubles(day, names[k], v, {np, nd, nt}, "kWh");
            }
        }
        write_doubles(g, "optimum_value_per_vehicle", r.optimum_value_per_vehicle, {nd}, "currency/vehicle/day",
                      "the dynamic-programming optimum's value of the plugged-in steps, fleet mean");
        write_doubles(g, "initial_departure_met", r.initial_departure_met, {nv}, "1");
        write_doubles(g, "enhanced_departure_met", r.enhanced_departure_met, {nv}, "1");
        write_doubles(g, "initial_money_per_day", r.initial_money_per_day, {nv}, "currency/day");
        write_doubles(g, "enhanced_money_per_day", r.enhanced_money_per_day, {nv}, "currency/day");
        write_doubles(g, "initial_soh", r.initial_soh, {nv}, "1");
        write_doubles(g, "enhanced_soh", r.enhanced_soh, {nv}, "1");
        Id faults(ok(H5Gcreate2(g, "faults", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "faults"));
        for (size_t s = 1; s < r.scenarios.size(); ++s) {
            const ScenarioResult& sc = r.scenarios[s];
            Id fg(ok(H5Gcreate2(faults, sc.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), sc.name.c_str()));
            attr_string(fg, "description", sc.description);
            write_metrics(fg, sc, np, nd);
        }
    }
    if (H5Lexists(file, "evaluation", H5P_DEFAULT) > 0) ok(H5Ldelete(file, "evaluation", H5P_DEFAULT), "delete evaluation");
    ok(H5Lmove(file, kNew, file, "evaluation", H5P_DEFAULT, H5P_DEFAULT), "move evaluation");
    ok(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush");
}

}  // namespace v2g
