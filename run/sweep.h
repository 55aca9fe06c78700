// sweep.h: a sweep file (docs/SWEEPS.md): a base config, fixed overrides, a grid and/or random
// samples over any config keys, and seeds, expanded into configurations. Every configuration is
// built and validated as a whole config here, so a malformed sweep is refused before anything
// trains. Knows nothing of HDF5 (sweep_file.h) or of running (sweep_run.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "config/config.h"

namespace v2g {

constexpr int kMaxSweepConfigs = 1000000;  // a typo in a grid should not plan a billion runs
constexpr const char* kVariantColumn = "variant";  // the runs table's column of [variants] names

// One value of a swept key, as the sweep file gave it.
struct SweepValue {
    std::string literal;  // as `--set key=literal` takes it (strings quoted)
    std::string text;     // for people: 0.2, dqn, true
    bool numeric = false;
    double number = 0.0;  // when numeric (booleans are 0/1 but not numeric)
};

// A swept key: one column of the runs table.
struct SweepParameter {
    std::string key;       // a config key, e.g. learning.alpha; run.seed for `seeds`; "variant"
    bool numeric = false;  // every value is a number (the column is float64, else a string)
};

struct SweepConfig {
    int index = 0;                         // 0-based, in expansion order
    std::string id;                        // r0000, r0001, ...: the run's name in the sweep file
    std::vector<SweepValue> values;        // one per SweepSpec::parameters
    std::vector<std::string> assignments;  // key=literal: [set], the variant's, then the swept values
    Config config;                         // base + assignments, validated
};

struct SweepSpec {
    std::string path;       // the sweep file
    std::string text;       // its contents
    std::string base_path;  // the base config, as the sweep file names it (relative to the sweep file)
    std::string base_text;  // its contents
    std::string name;       // [sweep] name, default: the sweep file's stem
    bool evaluate = false;  // run `v2g eval` on every trained configuration
    std::vector<std::string> fixed;           // the [set] assignments
    std::vector<SweepParameter> parameters;   // variant, grid keys, random keys (in file order), run.seed
    std::vector<SweepConfig> configs;
    std::string digest;     // SHA-256 hex of the sweep and base texts: same sweep, same digest
};

// "key=value" of each swept value of `c`, joined by `separator` ("" when nothing is swept).
std::string describe_values(const SweepSpec& spec, const SweepConfig& c, const std::string& separator = " ");

// Reads the sweep file and its base config. Throws InputError with one line naming the file,
// its line and column where known, and the entry at fault.
SweepSpec load_sweep(const std::string& path);
// The same from texts already read (a sweep file's stored copies, on resume).
SweepSpec load_sweep_text(const std::string& text, const std::string& path, const std::string& base_text,
                          const std::string& base_path);

// The i-th of n disjoint, contiguous slices of `count` configurations: [begin, end).
struct ShardRange {
    int begin = 0, end = 0;
};
ShardRange shard_range(int count, int shard, int shards);
// "i/n" (0 <= i < n) -> (i, n); throws InputError naming `what` otherwise.
void parse_shard(const std::string& text, const std::string& what, int* shard, int* shards);

}  // namespace v2g
