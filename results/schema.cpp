// schema.cpp: see schema.h.
#include "results/results.h"
#include "results/schema.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <string>
#include <type_traits>
#include <vector>

namespace v2g::results_schema {

using namespace hdf5;  // results/hdf5_util.h

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

std::string fleet_layout_signature() {
    std::string s;
#define V2G_SIGNATURE_ENTRY(type, name, elements) \
    s += #name ":" + std::to_string(sizeof(type)) + "x" + std::to_string(elements) + ";";
    V2G_VEHICLE_ARRAYS(V2G_SIGNATURE_ENTRY)
    s += "|";  // then the per-community arrays
    V2G_COMMUNITY_ARRAYS(V2G_SIGNATURE_ENTRY)
#undef V2G_SIGNATURE_ENTRY
    return s;
}

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
                  hsize_t chunk_rows, bool compress) {
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
                bool chunked) {
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

namespace {

template <typename T>
T restored(double value) {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(std::llround(value));
    else return value;
}

}  // namespace

// Every metric of env/episode_metrics.h that has a column, in its order, then the derived ones.
const std::vector<EpisodeField>& episode_fields() {
#define V2G_METRIC_COLUMN(member, type, merge, column, per, units, meaning)                                  \
    {column, units,                                                                                         \
     [](const EpisodeMetrics& m, double n) { return static_cast<double>(m.member) / (k##per ? n : 1.0); }, \
     [](EpisodeMetrics* m, double value, double n) { m->member = restored<type>(k##per ? value * n : value); }},
    static const std::vector<EpisodeField> fields = [] {
        std::vector<EpisodeField> all = {V2G_EPISODE_METRICS(V2G_METRIC_COLUMN)};
        all.erase(std::remove_if(all.begin(), all.end(), [](const EpisodeField& f) { return f.name == nullptr; }),
                  all.end());
        all.push_back({"market_volume_kwh", "kWh/vehicle/day",
                       [](const EpisodeMetrics& m, double n) { return (m.p2p_sold_kwh + m.pv_sold_kwh) / n; }, nullptr});
        return all;
    }();
#undef V2G_METRIC_COLUMN
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

// Opens a results file for reading and checks its schema. A file its writer closed (finished,
// interrupted, evaluated) opens as an ordinary reader; only a live or killed one (marked open
// for SWMR writing) needs the SWMR reader. `closed` says which it was.
Id open_for_reading(const std::string& path, bool* closed) {
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

std::vector<int64_t> read_ints_of(hid_t file, const char* name) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return {};
    Id d(ok(H5Dopen2(file, name, H5P_DEFAULT), name));
    return read_all<int64_t>(d, H5T_NATIVE_INT64);
}

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
}  // namespace v2g::results_schema

namespace v2g {

bool is_hdf5_file(const std::string& path) { return hdf5::has_hdf5_signature(path); }

}  // namespace v2g
