// schema.h: what the results file's parts share (results.h is the public face): the HDF5 record
// types (memory layout = file layout), the dataset helpers, the per-episode and per-day columns,
// the checkpoint record, and opening a file for reading with its schema checked. Internal to
// results/ (writer.cpp, reader.cpp, evaluation_output.cpp, schema.cpp).
#pragma once
#include <hdf5.h>
#include <cstdint>
#include <string>
#include <vector>
#include "env/episode_metrics.h"
#include "ledger/block.h"
#include "results/hdf5_util.h"
#include "train/day_trace.h"

namespace v2g::results_schema {

using namespace hdf5;  // results/hdf5_util.h


constexpr int kDeflateLevel = 1;  // fast: the writer shares the cores with training
constexpr hsize_t kEpisodeChunkRows = 1024;
constexpr hsize_t kTxChunkRows = 16384;
constexpr hsize_t kTargetChunkBytes = 4u << 20;  // 4 MiB chunks for the per-vehicle and Q data
constexpr size_t kStatusBytes = 16;
constexpr int kCheckpointSlots = 2;
constexpr size_t kQueueDepth = 2;  // double buffering
constexpr double kLiveFlushSeconds = 1.0;  // a live reader sees new rows at least this often
constexpr int kHeapTrimBytes = 64 << 20;   // freed heap kept by the process (writer.cpp keep_freed_heap)
constexpr int kMmapThresholdBytes = 32 << 20;  // glibc's own dynamic ceiling (DEFAULT_MMAP_THRESHOLD_MAX, 64-bit)

// A live file's metadata can be caught mid-update: a SWMR reader retries a read whose checksum
// fails. HDF5's default is 100 attempts, each a sleep, and on a damaged file every read fails:
// minutes per command. A few attempts cover a live writer's updates (they take microseconds).
constexpr unsigned kSwmrReadAttempts = 4;

// Compound types mirroring the fixed records.
Id u8_array(hsize_t n);
Id transaction_type();
Id block_type();
Id contract_type();

struct CheckpointMeta {
    int64_t next_episode;  // -1: empty slot
    int64_t sequence;      // higher = newer
    uint64_t fleet_bytes;
    uint8_t fleet_sha256[32];
    BlockHeader ledger_tip;
    uint64_t learner_bytes;      // the learner's own state (a DQN's networks, optimiser, replay); 0: none
    uint8_t learner_sha256[32];
};

Id checkpoint_meta_type();

// The fleet buffer's arrays in layout order, as "name:element bytes x elements;..." (from the
// lists in env/env_types.h): written beside each checkpoint slot and compared on resume, so a
// checkpoint of a build whose arrays differ (or stand in another order) is refused, not misread.
std::string fleet_layout_signature();

// An extendable dataset along axis 0, chunked and compressed, with a units attribute.
Id create_growing(hid_t loc, const char* name, hid_t type, std::vector<hsize_t> tail, const char* units,
                  hsize_t chunk_rows, bool compress = true);
Id create_fixed(hid_t loc, const char* name, hid_t type, std::vector<hsize_t> dims, const char* units,
                bool chunked = false);
hsize_t rows_of(hid_t d);
void append(hid_t d, hid_t mem_type, const void* data, hsize_t rows);
void truncate_rows(hid_t d, hsize_t rows);
template <typename T>
std::vector<T> read_all(hid_t d, hid_t mem_type) {
    const hsize_t n = rows_of(d);
    Id space(ok(H5Dget_space(d), "space"));
    const hssize_t elems = H5Sget_simple_extent_npoints(space);
    std::vector<T> out(static_cast<size_t>(elems));
    if (n > 0) ok(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read");
    return out;
}

// An int64 dataset whole, or empty when the file has none of that name.
std::vector<int64_t> read_ints_of(hid_t file, const char* name);

// The per-episode datasets (env/episode_metrics.h's columns, then derived ones): name, units,
// the value from fleet metrics, and the metric back from the value.
struct EpisodeField {
    const char* name;
    const char* units;
    double (*value)(const EpisodeMetrics& m, double vehicles);
    void (*restore)(EpisodeMetrics* m, double value, double vehicles);  // resume; nullptr: derived
};
const std::vector<EpisodeField>& episode_fields();

// The /day datasets: name, units, and the DayTrace member.
struct DayField {
    const char* name;
    const char* units;
    std::vector<double> DayTrace::*values;
};
const std::vector<DayField>& day_fields();

std::string iso_now();
Id file_access();

// Opens a results file for reading and checks its schema. A file its writer closed (finished,
// interrupted, evaluated) opens as an ordinary reader; only a live or killed one (marked open
// for SWMR writing) needs the SWMR reader. `closed` says which it was.
Id open_for_reading(const std::string& path, bool* closed = nullptr);

}  // namespace v2g::results_schema
