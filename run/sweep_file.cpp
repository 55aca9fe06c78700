// sweep_file.cpp: the sweep's HDF5 file and the merge of shards (see sweep_file.h).
#include "run/sweep_file.h"

#include <hdf5.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include "common/errors.h"
#include "results/hdf5_util.h"
#include "eval/metrics.h"

namespace v2g {
namespace {

using namespace hdf5;
namespace fs = std::filesystem;

constexpr const char* kSweepKind = "v2g-sweep";
constexpr const char* kMergedKind = "v2g-sweep-merged";
constexpr int kSweepSchemaMajor = 1;
constexpr int kSweepSchemaMinor = 0;
constexpr size_t kIdBytes = 16;      // r0000 .. r999999 and room to spare
constexpr size_t kValueBytes = 64;   // a swept string value (a policy, a fault list, a path)
constexpr size_t kStatusBytes = 16;
constexpr int kMetricWindow = 100;   // episodes in the first/last means, as the training summary

// The evaluation columns: the learned policy's metrics and every policy's money.
constexpr Metric kLearnedMetrics[] = {kMoneyPerVehicle, kUnmetKwhPerVehicle, kDepartureEnergyMet, kPeakImportKw,
                                      kEnergyEfficiency};

// The training columns: each a per-vehicle mean of one EpisodeMetrics field, over the first or
// the last min(100, episodes) episodes (as the training summary), or of the final episode.
enum class Over { kFirstWindow, kLastWindow, kFinalEpisode };
struct TrainingColumn {
    const char* name;
    double EpisodeMetrics::*field;
    Over over;
};
constexpr TrainingColumn kTrainingColumns[] = {
    {"reward_first", &EpisodeMetrics::reward, Over::kFirstWindow},
    {"reward_last", &EpisodeMetrics::reward, Over::kLastWindow},
    {"revenue_last", &EpisodeMetrics::revenue, Over::kLastWindow},
    {"energy_cost_last", &EpisodeMetrics::energy_cost, Over::kLastWindow},
    {"degradation_cost_last", &EpisodeMetrics::degradation_cost, Over::kLastWindow},
    {"unmet_penalty_last", &EpisodeMetrics::unmet_penalty, Over::kLastWindow},
    {"en_route_cost_last", &EpisodeMetrics::en_route_cost, Over::kLastWindow},
    {"unmet_kwh_last", &EpisodeMetrics::unmet_kwh, Over::kLastWindow},
    {"grid_import_kwh_last", &EpisodeMetrics::grid_import_kwh, Over::kLastWindow},
    {"grid_export_kwh_last", &EpisodeMetrics::grid_export_kwh, Over::kLastWindow},
    {"soc_end_final", &EpisodeMetrics::soc_end, Over::kFinalEpisode},  // mean end-of-episode SoC
    {"soh_final", &EpisodeMetrics::soh, Over::kFinalEpisode},          // mean SoH after the last episode
};
constexpr size_t kTrainingColumnCount = sizeof kTrainingColumns / sizeof kTrainingColumns[0];

// The runs table's compound type, from the spec alone: every shard of a sweep has the same.
struct Columns {
    struct Column {
        std::string name;
        hid_t type;   // H5T_NATIVE_INT64, H5T_NATIVE_DOUBLE, or a string of `bytes`
        size_t bytes;
        size_t offset;
        bool string;
    };
    std::vector<Column> columns;
    size_t row_bytes = 0;
    Id string16, string64;

    Columns() : string16(string_type(kIdBytes)), string64(string_type(kValueBytes)) {}
    void add(const std::string& name, hid_t type, size_t bytes, bool string) {
        columns.push_back({name, type, bytes, row_bytes, string});
        row_bytes += bytes;
    }
    Id compound() const {
        Id t(ok(H5Tcreate(H5T_COMPOUND, std::max<size_t>(row_bytes, 1)), "runs type"));
        for (const Column& c : columns) ok(H5Tinsert(t, c.name.c_str(), c.offset, c.type), c.name.c_str());
        return t;
    }
};

Columns runs_columns(const SweepSpec& spec) {
    Columns c;
    c.add("id", c.string16, kIdBytes, true);
    c.add("index", H5T_NATIVE_INT64, sizeof(int64_t), false);
    for (const SweepParameter& p : spec.parameters) {
        if (p.numeric) c.add(p.key, H5T_NATIVE_DOUBLE, sizeof(double), false);
        else c.add(p.key, c.string64, kValueBytes, true);
    }
    c.add("status", c.string16, kStatusBytes, true);
    c.add("episodes_done", H5T_NATIVE_INT64, sizeof(int64_t), false);
    for (const std::string& m : sweep_metric_names(spec.evaluate)) c.add(m, H5T_NATIVE_DOUBLE, sizeof(double), false);
    return c;
}

void put_string(char* at, const std::string& s, size_t bytes) {
    std::memset(at, 0, bytes);
    std::memcpy(at, s.data(), std::min(s.size(), bytes - 1));
}

// Packs rows [begin, end) of the spec into the runs table's bytes.
std::vector<char> pack_rows(const SweepSpec& spec, const Columns& cols, int begin, const std::vector<SweepRow>& rows) {
    std::vector<char> out(cols.row_bytes * rows.size());
    const size_t params = spec.parameters.size();
    for (size_t r = 0; r < rows.size(); ++r) {
        const SweepConfig& cfg = spec.configs[begin + r];
        char* row = out.data() + r * cols.row_bytes;
        size_t k = 0;
        put_string(row + cols.columns[k].offset, cfg.id, kIdBytes);
        ++k;
        const int64_t index = cfg.index;
        std::memcpy(row + cols.columns[k++].offset, &index, sizeof index);
        for (size_t p = 0; p < params; ++p, ++k) {
            if (spec.parameters[p].numeric) std::memcpy(row + cols.columns[k].offset, &cfg.values[p].number, sizeof(double));
            else put_string(row + cols.columns[k].offset, cfg.values[p].text, kValueBytes);
        }
        put_string(row + cols.columns[k++].offset, rows[r].status, kStatusBytes);
        std::memcpy(row + cols.columns[k++].offset, &rows[r].episodes_done, sizeof(int64_t));
        for (double m : rows[r].metrics) std::memcpy(row + cols.columns[k++].offset, &m, sizeof(double));
    }
    return out;
}

struct TimingRecord {
    char id[kIdBytes];
    double train_seconds, eval_seconds, env_steps_per_s;
};

Id timing_type() {
    Id t(ok(H5Tcreate(H5T_COMPOUND, sizeof(TimingRecord)), "timing type"));
    Id id = string_type(kIdBytes);
    ok(H5Tinsert(t, "id", HOFFSET(TimingRecord, id), id), "timing id");
    ok(H5Tinsert(t, "train_seconds", HOFFSET(TimingRecord, train_seconds), H5T_NATIVE_DOUBLE), "timing");
    ok(H5Tinsert(t, "eval_seconds", HOFFSET(TimingRecord, eval_seconds), H5T_NATIVE_DOUBLE), "timing");
    ok(H5Tinsert(t, "env_steps_per_s", HOFFSET(TimingRecord, env_steps_per_s), H5T_NATIVE_DOUBLE), "timing");
    return t;
}

void write_table(hid_t file, const char* name, hid_t type, const void* data, hsize_t rows) {
    Id space(ok(H5Screate_simple(1, &rows, nullptr), name));
    Id d(ok(H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name));
    if (rows > 0) ok(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), name);
}

std::string base_name(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string strip_h5(const std::string& path) {
    const std::string ext = ".h5";
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0
               ? path.substr(0, path.size() - ext.size())
               : path;
}

Id open_sweep(const std::string& path, std::string* kind) {
    quiet_hdf5();
    if (!has_hdf5_signature(path)) {
        std::ifstream probe(path);
        throw InputError(path + (probe ? ": not an HDF5 file" : ": cannot open"));
    }
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) throw InputError(path + ": unreadable HDF5 file");
    Id file(f);
    *kind = read_attr_string(file, "kind");
    if (*kind != kSweepKind && *kind != kMergedKind)
        throw InputError(path + ": not a v2g sweep file (written by v2g sweep)");
    const int major = std::atoi(read_attr_string(file, "sweep_schema_version").c_str());
    if (major > kSweepSchemaMajor)
        throw InputError(path + ": sweep schema " + read_attr_string(file, "sweep_schema_version") +
                         " is newer than this build reads: use a newer v2g");
    return file;
}

// What every sweep file says of its sweep: kind, schema, name, digest, the texts to rebuild it.
void write_identity(hid_t file, const char* kind, const SweepSpec& spec) {
    attr_string(file, "kind", kind);
    attr_string(file, "sweep_schema_version", std::to_string(kSweepSchemaMajor) + "." + std::to_string(kSweepSchemaMinor));
    attr_string(file, "name", spec.name);
    attr_string(file, "digest", spec.digest);
    attr_string(file, "sweep_path", spec.path);
    attr_string(file, "base_path", spec.base_path);
    attr_number<int64_t>(file, "configurations", H5T_NATIVE_INT64, static_cast<int64_t>(spec.configs.size()));
    attr_string(file, "evaluate", spec.evaluate ? "true" : "false");
    write_string_dataset(file, "sweep_toml", spec.text, spec.text.size() + 1);
    write_string_dataset(file, "base_toml", spec.base_text, spec.base_text.size() + 1);
}

}  // namespace

std::vector<std::string> sweep_metric_names(bool evaluate) {
    std::vector<std::string> names;
    for (const TrainingColumn& c : kTrainingColumns) names.emplace_back(c.name);
    if (!evaluate) return names;
    for (Metric m : kLearnedMetrics) names.push_back(std::string("learned_") + metric_table()[m].name);
    for (const EvalPolicy& p : eval_policies())
        if (std::string(p.name) != "learned") names.push_back(std::string(p.name) + "_money_per_vehicle");
    names.push_back("optimum_value_per_vehicle");
    return names;
}

void fill_training_metrics(const std::vector<EpisodeMetrics>& episodes, SweepRow* row) {
    if (row->metrics.size() < kTrainingColumnCount) row->metrics.resize(kTrainingColumnCount, std::nan(""));
    row->episodes_done = static_cast<int64_t>(episodes.size());
    if (episodes.empty()) return;
    const int n = static_cast<int>(episodes.size());
    const int window = std::min(kMetricWindow, n);
    const auto per_vehicle = [](const EpisodeMetrics& e, double EpisodeMetrics::*field) {
        return e.vehicles > 0 ? e.*field / static_cast<double>(e.vehicles) : 0.0;
    };
    for (size_t k = 0; k < kTrainingColumnCount; ++k) {
        const TrainingColumn& c = kTrainingColumns[k];
        if (c.over == Over::kFinalEpisode) {
            row->metrics[k] = per_vehicle(episodes.back(), c.field);
            continue;
        }
        const int from = c.over == Over::kFirstWindow ? 0 : n - window;
        double sum = 0.0;
        for (int e = from; e < from + window; ++e) sum += per_vehicle(episodes[e], c.field);
        row->metrics[k] = sum / window;
    }
}

void fill_evaluation_metrics(const EvaluationResult& r, SweepRow* row) {
    const size_t train = kTrainingColumnCount;
    row->metrics.resize(sweep_metric_names(true).size(), std::nan(""));
    const auto policy_mean = [&](const std::string& policy, Metric metric) {
        const auto it = std::find(r.policies.begin(), r.policies.end(), policy);
        if (it == r.policies.end() || r.scenarios.empty()) return std::nan("");
        double sum = 0.0;
        int n = 0;
        for (const DayMetrics& day : r.scenarios.front().metrics[it - r.policies.begin()])
            if (std::isfinite(day[metric])) {
                sum += day[metric];
                ++n;
            }
        return n > 0 ? sum / n : std::nan("");
    };
    size_t k = train;
    for (Metric m : kLearnedMetrics) row->metrics[k++] = policy_mean("learned", m);
    for (const EvalPolicy& p : eval_policies())
        if (std::string(p.name) != "learned") row->metrics[k++] = policy_mean(p.name, kMoneyPerVehicle);
    double optimum = 0.0;
    for (double v : r.optimum_value_per_vehicle) optimum += v;
    row->metrics[k] = r.optimum_value_per_vehicle.empty() ? std::nan("")
                                                           : optimum / static_cast<double>(r.optimum_value_per_vehicle.size());
}

std::string sweep_runs_dir(const std::string& sweep_path) { return strip_h5(sweep_path) + ".runs"; }

std::string shard_file_name(const std::string& out_path, int shard, int shards) {
    if (shards <= 1) return out_path;
    return strip_h5(out_path) + ".shard-" + std::to_string(shard) + "-of-" + std::to_string(shards) + ".h5";
}

void write_sweep_file(const std::string& path, const SweepSpec& spec, int shard, int shards,
                      const std::vector<SweepRow>& rows) {
    quiet_hdf5();
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), shard, shards);
    if (static_cast<int>(rows.size()) != range.end - range.begin) fail("sweep rows do not match the shard");
    const std::string tmp = path + ".tmp";
    {
        const hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (f < 0) throw InputError(path + ": cannot write");
        Id file(f);
        write_identity(file, kSweepKind, spec);
        attr_string(file, "shard", std::to_string(shard) + "/" + std::to_string(shards));
        attr_number<int64_t>(file, "first", H5T_NATIVE_INT64, range.begin);

        const Columns cols = runs_columns(spec);
        Id type = cols.compound();
        const std::vector<char> packed = pack_rows(spec, cols, range.begin, rows);
        write_table(file, "runs", type, packed.data(), rows.size());

        std::vector<TimingRecord> timing(rows.size());
        for (size_t r = 0; r < rows.size(); ++r) {
            put_string(timing[r].id, spec.configs[range.begin + r].id, kIdBytes);
            timing[r].train_seconds = rows[r].train_seconds;
            timing[r].eval_seconds = rows[r].eval_seconds;
            timing[r].env_steps_per_s = rows[r].env_steps_per_s;
        }
        Id ttype = timing_type();
        write_table(file, "timing", ttype, timing.data(), timing.size());

        // Each run's results file, linked where it exists: relative to this file's directory,
        // so the sweep's files can move together.
        Id group(ok(H5Gcreate2(file, "run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "run group"));
        const std::string dir = sweep_runs_dir(path);
        for (int i = range.begin; i < range.end; ++i) {
            const std::string id = spec.configs[i].id;
            if (!fs::exists(dir + "/" + id + ".h5")) continue;
            const std::string target = base_name(dir) + "/" + id + ".h5";
            ok(H5Lcreate_external(target.c_str(), "/", group, id.c_str(), H5P_DEFAULT, H5P_DEFAULT), "run link");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw InputError(path + ": cannot write (" + ec.message() + ")");
}

bool is_sweep_file(const std::string& path) {
    if (!has_hdf5_signature(path)) return false;
    quiet_hdf5();
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return false;
    Id file(f);
    const std::string kind = read_attr_string(file, "kind");
    return kind == kSweepKind || kind == kMergedKind;
}

SweepFile read_sweep_file(const std::string& path) {
    std::string kind;
    Id file = open_sweep(path, &kind);
    if (kind == kMergedKind)
        throw InputError(path + ": a merged view of shards (v2g merge): resume each shard's own file instead");
    SweepFile s;
    s.sweep_text = read_string_dataset(file, "sweep_toml");
    s.base_text = read_string_dataset(file, "base_toml");
    s.sweep_path = read_attr_string(file, "sweep_path");
    s.base_path = read_attr_string(file, "base_path");
    s.digest = read_attr_string(file, "digest");
    parse_shard(read_attr_string(file, "shard"), path + ": shard", &s.shard, &s.shards);
    s.first = static_cast<int>(read_attr_int(file, "first"));

    // The rows, read through the spec's own type: HDF5 matches the columns by name.
    const SweepSpec spec = load_sweep_text(s.sweep_text, s.sweep_path, s.base_text, s.base_path);
    if (spec.digest != s.digest) throw InputError(path + ": its stored sweep does not match its digest");
    const Columns cols = runs_columns(spec);
    Id type = cols.compound();
    Id d(ok(H5Dopen2(file, "runs", H5P_DEFAULT), "runs"));
    Id space(ok(H5Dget_space(d), "runs space"));
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), s.shard, s.shards);
    if (n != range.end - range.begin || s.first != range.begin) throw InputError(path + ": runs table does not match its shard");
    std::vector<char> bytes(cols.row_bytes * static_cast<size_t>(n));
    if (n > 0) ok(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "read runs");
    std::vector<TimingRecord> timing(static_cast<size_t>(n));
    Id ttype = timing_type();
    Id td(ok(H5Dopen2(file, "timing", H5P_DEFAULT), "timing"));
    if (n > 0) ok(H5Dread(td, ttype, H5S_ALL, H5S_ALL, H5P_DEFAULT, timing.data()), "read timing");
    const size_t params = spec.parameters.size();
    for (hssize_t r = 0; r < n; ++r) {
        const char* row = bytes.data() + r * cols.row_bytes;
        s.ids.push_back(std::string(row + cols.columns[0].offset, strnlen(row + cols.columns[0].offset, kIdBytes)));
        // Each row must be the configuration this build expands from the stored sweep: same id,
        // same swept values (a file from a v2g that expanded sweeps otherwise is refused).
        const SweepConfig& expected = spec.configs[range.begin + r];
        bool same = s.ids.back() == expected.id;
        for (size_t p = 0; p < params && same; ++p) {
            const char* at = row + cols.columns[2 + p].offset;
            if (spec.parameters[p].numeric) {
                double v;
                std::memcpy(&v, at, sizeof v);
                same = v == expected.values[p].number;
            } else {
                same = std::string(at, strnlen(at, kValueBytes)) == expected.values[p].text.substr(0, kValueBytes - 1);
            }
        }
        if (!same)
            throw InputError(path + ": row " + std::to_string(r) + " (" + s.ids.back() +
                             "): its id or swept values are not those of configuration " + expected.id +
                             " as this v2g expands the stored sweep (written by another version, or edited?)");
        SweepRow out;
        size_t k = 2 + params;
        out.status = std::string(row + cols.columns[k].offset, strnlen(row + cols.columns[k].offset, kStatusBytes));
        ++k;
        std::memcpy(&out.episodes_done, row + cols.columns[k++].offset, sizeof(int64_t));
        for (; k < cols.columns.size(); ++k) {
            double v;
            std::memcpy(&v, row + cols.columns[k].offset, sizeof v);
            out.metrics.push_back(v);
        }
        out.train_seconds = timing[r].train_seconds;
        out.eval_seconds = timing[r].eval_seconds;
        out.env_steps_per_s = timing[r].env_steps_per_s;
        s.rows.push_back(std::move(out));
    }
    return s;
}

MergeReport merge_sweep_files(const std::string& out_path, const std::vector<std::string>& shard_paths) {
    if (shard_paths.empty()) throw InputError("merge: no shard files given");
    struct Shard {
        std::string path;
        SweepFile file;
    };
    std::vector<Shard> shards;
    for (const std::string& p : shard_paths) {
        if (fs::exists(out_path) && fs::exists(p) && fs::equivalent(out_path, p))
            throw InputError("merge: " + p + " is also the output file");
        shards.push_back({p, read_sweep_file(p)});
    }
    const SweepFile& first = shards.front().file;
    for (const Shard& s : shards) {
        if (s.file.digest != first.digest)
            throw InputError("merge: " + s.path + " is from another sweep than " + shards.front().path +
                             " (sweep digest differs)");
        if (s.file.shards != first.shards)
            throw InputError("merge: " + s.path + " is shard " + std::to_string(s.file.shard) + "/" +
                             std::to_string(s.file.shards) + ", others are of " + std::to_string(first.shards));
    }
    std::sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) { return a.file.shard < b.file.shard; });
    for (size_t i = 1; i < shards.size(); ++i)
        if (shards[i].file.shard == shards[i - 1].file.shard)
            throw InputError("merge: " + shards[i - 1].path + " and " + shards[i].path + " are both shard " +
                             std::to_string(shards[i].file.shard) + "/" + std::to_string(first.shards));

    MergeReport report;
    report.shards = static_cast<int>(shards.size());
    const SweepSpec spec = load_sweep_text(first.sweep_text, first.sweep_path, first.base_text, first.base_path);
    report.configs = static_cast<int>(spec.configs.size());
    for (int i = 0, k = 0; i < first.shards; ++i) {
        if (k < static_cast<int>(shards.size()) && shards[k].file.shard == i) ++k;
        else report.missing.push_back(std::to_string(i) + "/" + std::to_string(first.shards));
    }

    quiet_hdf5();
    const fs::path out_dir = fs::absolute(out_path).parent_path();
    const auto relative_to_out = [&](const std::string& p) {
        return fs::absolute(p).lexically_normal().lexically_relative(out_dir.lexically_normal()).string();
    };
    const std::string tmp = out_path + ".tmp";
    {
        const hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (f < 0) throw InputError(out_path + ": cannot write");
        Id file(f);
        write_identity(file, kMergedKind, spec);
        std::string missing;
        for (const std::string& m : report.missing) missing += (missing.empty() ? "" : ",") + m;
        attr_string(file, "missing_shards", missing);

        // /runs and /timing: virtual datasets, each shard's rows mapped in, in shard order.
        hsize_t total = 0;
        for (const Shard& s : shards) total += s.file.rows.size();
        report.runs = static_cast<int>(total);
        const Columns cols = runs_columns(spec);
        Id runs_type = cols.compound();
        Id timing = timing_type();
        for (const auto& [name, type] : {std::pair<const char*, hid_t>{"runs", runs_type}, {"timing", timing}}) {
            Id vspace(ok(H5Screate_simple(1, &total, nullptr), name));
            Id dcpl(ok(H5Pcreate(H5P_DATASET_CREATE), name));
            hsize_t offset = 0;
            for (const Shard& s : shards) {
                const hsize_t rows = s.file.rows.size();
                if (rows == 0) continue;
                Id src(ok(H5Screate_simple(1, &rows, nullptr), name));
                ok(H5Sselect_hyperslab(vspace, H5S_SELECT_SET, &offset, nullptr, &rows, nullptr), name);
                ok(H5Pset_virtual(dcpl, vspace, relative_to_out(s.path).c_str(), name, src), name);
                offset += rows;
            }
            ok(H5Sselect_all(vspace), name);
            Id d(ok(H5Dcreate2(file, name, type, vspace, H5P_DEFAULT, dcpl, H5P_DEFAULT), name));
        }

        Id group(ok(H5Gcreate2(file, "run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "run group"));
        for (const Shard& s : shards) {
            const std::string dir = sweep_runs_dir(s.path);
            for (const std::string& id : s.file.ids) {
                if (!fs::exists(dir + "/" + id + ".h5")) continue;
                const std::string target = relative_to_out(dir + "/" + id + ".h5");
                ok(H5Lcreate_external(target.c_str(), "/", group, id.c_str(), H5P_DEFAULT, H5P_DEFAULT), "run link");
            }
        }
    }
    std::error_code ec;
    fs::rename(tmp, out_path, ec);
    if (ec) throw InputError(out_path + ": cannot write (" + ec.message() + ")");
    return report;
}

}  // namespace v2g
