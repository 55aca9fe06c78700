// sweep.cpp: the sweep file: parsing, checks and expansion (see sweep.h, docs/SWEEPS.md).
#include "run/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include "common/errors.h"
#include "common/text_format.h"
#include "config/toml_parse.h"
#include "common/philox.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"

namespace v2g {
namespace {

constexpr int kMinIdDigits = 4;              // r0000: ids sort as text up to 10^4 configurations
constexpr uint64_t kDefaultRandomSeed = 0;   // [random] seed when not given
constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;

// A scalar TOML value as a swept value; throws for tables, arrays, dates.
SweepValue value_of(const toml::node& node, const std::string& loc) {
    SweepValue v;
    if (const auto* s = node.as_string()) {
        v.text = s->get();
        v.literal = quoted_string(v.text);
    } else if (const auto* i = node.as_integer()) {
        v.text = v.literal = std::to_string(i->get());
        v.numeric = true;
        v.number = static_cast<double>(i->get());
    } else if (const auto* f = node.as_floating_point()) {
        if (!std::isfinite(f->get())) throw InputError(loc + "not a finite number");
        v.text = v.literal = toml_double(f->get());
        v.numeric = true;
        v.number = f->get();
    } else if (const auto* b = node.as_boolean()) {
        v.text = v.literal = b->get() ? "true" : "false";
    } else {
        throw InputError(loc + "expected a string, number or boolean");
    }
    return v;
}

// Flattens [grid] / [set] / [random] into dotted keys: both "learning.alpha" = ... and
// learning.alpha = ... (a nested table in TOML) name the same key. A [random] distribution
// ({ uniform = [a, b] }) is a leaf.
bool is_distribution(const toml::table& t) {
    if (t.size() != 1) return false;
    const std::string k(t.begin()->first.str());
    return k == "uniform" || k == "log_uniform" || k == "int" || k == "choice";
}

void flatten_keys(const toml::table& table, const std::string& prefix, bool distributions,
                  std::vector<std::pair<std::string, const toml::node*>>* out,
                  std::vector<toml::source_region>* where_of) {
    for (auto&& [k, node] : table) {
        const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        const toml::table* sub = node.as_table();
        if (sub && !(distributions && is_distribution(*sub))) {
            flatten_keys(*sub, key, distributions, out, where_of);
            continue;
        }
        out->emplace_back(key, &node);
        where_of->push_back(k.source());
    }
}

bool before(const toml::source_region& a, const toml::source_region& b) {
    return a.begin.line != b.begin.line ? a.begin.line < b.begin.line : a.begin.column < b.begin.column;
}

// The keys in the order the file lists them (toml++ iterates a table in key order): a sweep's
// axes and columns follow the file.
void flatten(const toml::table& table, const std::string& prefix, bool distributions,
             std::vector<std::pair<std::string, const toml::node*>>* out,
             std::vector<toml::source_region>* where_of) {
    std::vector<std::pair<std::string, const toml::node*>> keys;
    std::vector<toml::source_region> at;
    flatten_keys(table, prefix, distributions, &keys, &at);
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return before(at[a], at[b]); });
    for (size_t i : order) {
        out->push_back(keys[i]);
        where_of->push_back(at[i]);
    }
}

// Checks that `key` is a config key and that `value` is acceptable for it, on its own.
void check_assignment(const std::string& key, const SweepValue& value, const std::string& loc) {
    Config probe;
    try {
        apply_override(&probe, key + "=" + value.literal);
    } catch (const InputError& e) {
        std::string msg = e.what();
        const std::string prefix = "--set " + key + "=" + value.literal + ": ";
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
        throw InputError(loc + key + " = " + value.text + ": " + msg);
    }
}

uint32_t philox_word(uint64_t seed, uint32_t sample, uint32_t parameter, uint32_t word) {
    Philox4 ctr;
    ctr.v[0] = sample;
    ctr.v[1] = parameter;
    ctr.v[2] = 0;
    ctr.v[3] = 0;
    return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)).v[word];
}

// Uniform in [0, 1) with 53 random bits, from one Philox block per (sample, parameter).
double uniform53(uint64_t seed, uint32_t sample, uint32_t parameter) {
    const uint64_t hi = philox_word(seed, sample, parameter, 0) >> 5;  // 27 bits
    const uint64_t lo = philox_word(seed, sample, parameter, 1) >> 6;  // 26 bits
    return static_cast<double>((hi << 26) | lo) * kTwoPowMinus53;
}

struct RandomKey {
    std::string key, kind, loc;
    double low = 0, high = 0;          // uniform, log_uniform, int
    std::vector<SweepValue> choices;   // choice
};

SweepValue draw(const RandomKey& r, double u) {
    if (r.kind == "choice") {
        const size_t i = std::min(r.choices.size() - 1, static_cast<size_t>(u * static_cast<double>(r.choices.size())));
        return r.choices[i];
    }
    SweepValue v;
    v.numeric = true;
    if (r.kind == "int") {
        const double span = r.high - r.low + 1.0;
        v.number = r.low + std::min(span - 1.0, std::floor(u * span));
        v.literal = v.text = std::to_string(static_cast<long long>(v.number));
        return v;
    }
    v.number = r.kind == "uniform" ? r.low + u * (r.high - r.low)
                                   : std::exp(std::log(r.low) + u * (std::log(r.high) - std::log(r.low)));
    v.literal = v.text = toml_double(v.number);
    return v;
}

RandomKey parse_distribution(const std::string& key, const toml::node& node, const std::string& loc) {
    RandomKey r;
    r.key = key;
    r.loc = loc;
    const toml::table* t = node.as_table();
    if (!t || !is_distribution(*t))
        throw InputError(loc + "[random] " + key +
                         ": expected { uniform = [a, b] }, { log_uniform = [a, b] }, { int = [a, b] } or "
                         "{ choice = [...] }");
    r.kind = std::string(t->begin()->first.str());
    const toml::array* a = t->begin()->second.as_array();
    if (!a || a->empty()) throw InputError(loc + "[random] " + key + ": " + r.kind + " needs a non-empty list");
    if (r.kind == "choice") {
        for (const toml::node& n : *a) r.choices.push_back(value_of(n, loc + "[random] " + key + ": "));
        return r;
    }
    if (a->size() != 2) throw InputError(loc + "[random] " + key + ": " + r.kind + " needs [low, high]");
    const auto number = [&](const toml::node& n) {
        if (r.kind == "int" && !n.is_integer())
            throw InputError(loc + "[random] " + key + ": int bounds must be integers");
        if (!n.is_number()) throw InputError(loc + "[random] " + key + ": bounds must be numbers");
        return n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
    };
    r.low = number((*a)[0]);
    r.high = number((*a)[1]);
    if (!(r.low <= r.high) || !std::isfinite(r.low) || !std::isfinite(r.high))
        throw InputError(loc + "[random] " + key + ": needs low <= high, got [" + toml_double(r.low) + ", " +
                         toml_double(r.high) + "]");
    if (r.kind == "log_uniform" && r.low <= 0)
        throw InputError(loc + "[random] " + key + ": log_uniform bounds must be > 0");
    return r;
}

std::string digest_of(const std::string& a, const std::string& b) {
    using namespace ledger;
    Sha256Ctx c;
    sha256_init(&c);
    const uint64_t n = a.size();
    sha256_update(&c, reinterpret_cast<const uint8_t*>(&n), sizeof n);  // no (a, b) split collides
    sha256_update(&c, reinterpret_cast<const uint8_t*>(a.data()), a.size());
    sha256_update(&c, reinterpret_cast<const uint8_t*>(b.data()), b.size());
    Digest d;
    sha256_final(&c, d.bytes);
    return to_hex(d);
}

std::string directory_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::string stem_of(const std::string& path) {
    std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    const size_t dot = name.rfind('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

SweepSpec load_sweep(const std::string& path) {
    const std::string text = read_text_file(path);
    const toml::table root = parse_toml(text, path);
    const toml::node* base = root.at_path("sweep.base").node();
    if (!base || !base->is_string()) throw InputError(path + ": [sweep] base = \"CONFIG.toml\" is required");
    const std::string base_path = base->as_string()->get();
    const std::string resolved = base_path.empty() || base_path[0] == '/' ? base_path : directory_of(path) + base_path;
    std::string base_text;
    try {
        base_text = read_text_file(resolved);
    } catch (const InputError& e) {
        throw InputError(toml_where(path, base->source()) + "[sweep] base: " + e.what());
    }
    return load_sweep_text(text, path, base_text, base_path);
}

SweepSpec load_sweep_text(const std::string& text, const std::string& path, const std::string& base_text,
                          const std::string& base_path) {
    SweepSpec spec;
    spec.path = path;
    spec.text = text;
    spec.base_path = base_path;
    spec.base_text = base_text;
    spec.name = stem_of(path);
    spec.digest = digest_of(text, base_text);
    const toml::table root = parse_toml(text, path);
    // The base config must be a good config on its own: its errors name its own file.
    const Config base = load_config_text(base_text, base_path);

    std::vector<int64_t> seeds;
    std::vector<std::pair<std::string, const toml::node*>> fixed, grid, random;
    std::vector<toml::source_region> fixed_at, grid_at, random_at;
    std::vector<std::string> variant_names;
    std::vector<std::vector<std::pair<std::string, const toml::node*>>> variant_keys;
    std::vector<std::vector<toml::source_region>> variant_at;
    int64_t random_count = 0;
    uint64_t random_seed = kDefaultRandomSeed;
    for (auto&& [k, node] : root) {
        const std::string section(k.str());
        const std::string loc = toml_where(path, k.source());
        const toml::table* t = node.as_table();
        if (!t) throw InputError(loc + "unknown top-level key '" + section + "' (sections: sweep, set, variants, grid, random)");
        if (section == "sweep") {
            for (auto&& [sk, sn] : *t) {
                const std::string key(sk.str());
                const std::string sloc = toml_where(path, sk.source()) + "[sweep] " + key + ": ";
                if (key == "base") continue;
                if (key == "name") {
                    if (!sn.is_string() || sn.as_string()->get().empty()) throw InputError(sloc + "expected a non-empty string");
                    spec.name = sn.as_string()->get();
                } else if (key == "evaluate") {
                    if (!sn.is_boolean()) throw InputError(sloc + "expected true or false");
                    spec.evaluate = sn.as_boolean()->get();
                } else if (key == "seeds") {
                    const toml::array* a = sn.as_array();
                    if (!a || a->empty()) throw InputError(sloc + "expected a non-empty list of integers");
                    for (const toml::node& s : *a) {
                        if (!s.is_integer() || s.as_integer()->get() < 0)
                            throw InputError(sloc + "seeds must be integers >= 0");
                        seeds.push_back(s.as_integer()->get());
                    }
                } else {
                    throw InputError(toml_where(path, sk.source()) + "unknown key '[sweep] " + key +
                                     "' (keys: base, name, evaluate, seeds)");
                }
            }
        } else if (section == "set") {
            flatten(*t, "", false, &fixed, &fixed_at);
        } else if (section == "grid") {
            flatten(*t, "", false, &grid, &grid_at);
        } else if (section == "variants") {
            std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order;
            for (auto&& [vk, vn] : *t) in_file_order.emplace_back(&vk, &vn);
            std::stable_sort(in_file_order.begin(), in_file_order.end(),
                             [](const auto& a, const auto& b) { return before(a.first->source(), b.first->source()); });
            for (const auto& [vkp, vnp] : in_file_order) {
                const toml::key& vk = *vkp;
                const toml::node& vn = *vnp;
                const toml::table* vt = vn.as_table();
                if (!vt || vt->empty())
                    throw InputError(toml_where(path, vk.source()) + "[variants] " + std::string(vk.str()) +
                                     ": expected a table of config keys, e.g. [variants." + std::string(vk.str()) + "]");
                variant_names.emplace_back(vk.str());
                variant_keys.emplace_back();
                variant_at.emplace_back();
                flatten(*vt, "", false, &variant_keys.back(), &variant_at.back());
            }
        } else if (section == "random") {
            for (auto&& [rk, rn] : *t) {
                const std::string key(rk.str());
                const std::string rloc = toml_where(path, rk.source()) + "[random] " + key + ": ";
                if (key == "count") {
                    if (!rn.is_integer() || rn.as_integer()->get() < 1 || rn.as_integer()->get() > kMaxSweepConfigs)
                        throw InputError(rloc + "expected an integer in [1, " + std::to_string(kMaxSweepConfigs) + "]");
                    random_count = rn.as_integer()->get();
                } else if (key == "seed") {
                    if (!rn.is_integer() || rn.as_integer()->get() < 0) throw InputError(rloc + "expected an integer >= 0");
                    random_seed = static_cast<uint64_t>(rn.as_integer()->get());
                }
            }
            // The rest are the sampled keys (count and seed are the table's own settings).
            flatten(*t, "", true, &random, &random_at);
            for (size_t i = random.size(); i-- > 0;)
                if (random[i].first == "count" || random[i].first == "seed") {
                    random.erase(random.begin() + static_cast<std::ptrdiff_t>(i));
                    random_at.erase(random_at.begin() + static_cast<std::ptrdiff_t>(i));
                }
            if (random_count == 0) throw InputError(loc + "[random] count = N is required");
            if (random.empty()) throw InputError(loc + "[random] names no key to sample");
        } else {
            throw InputError(loc + "unknown section [" + section + "] (sections: sweep, set, variants, grid, random)");
        }
    }

    // Each key once: a key both fixed and swept would be ambiguous.
    std::map<std::string, std::string> seen;
    const auto claim = [&](const std::string& key, const std::string& section, const std::string& loc) {
        const auto [it, fresh] = seen.emplace(key, section);
        if (!fresh) throw InputError(loc + key + " appears in both [" + it->second + "] and [" + section + "]");
    };

    for (size_t i = 0; i < fixed.size(); ++i) {
        const std::string loc = toml_where(path, fixed_at[i]) + "[set] ";
        claim(fixed[i].first, "set", loc);
        const SweepValue v = value_of(*fixed[i].second, loc + fixed[i].first + ": ");
        check_assignment(fixed[i].first, v, loc);
        spec.fixed.push_back(fixed[i].first + "=" + v.literal);
    }

    // Named variants: the outermost axis, each a set of overrides of its own (a DQN and a
    // table, say, each with the keys it needs). A key may appear in several variants.
    std::vector<std::vector<std::string>> variant_assignments(variant_names.size());
    std::map<std::string, bool> variant_claimed;
    for (size_t v = 0; v < variant_names.size(); ++v)
        for (size_t i = 0; i < variant_keys[v].size(); ++i) {
            const std::string loc = toml_where(path, variant_at[v][i]) + "[variants." + variant_names[v] + "] ";
            const std::string& key = variant_keys[v][i].first;
            if (!variant_claimed[key]) claim(key, "variants", loc);
            variant_claimed[key] = true;
            const SweepValue value = value_of(*variant_keys[v][i].second, loc + key + ": ");
            check_assignment(key, value, loc);
            variant_assignments[v].push_back(key + "=" + value.literal);
        }
    if (!variant_names.empty()) spec.parameters.push_back({kVariantColumn, false});

    // The grid's axes, in the file's order, the last varying fastest.
    std::vector<std::vector<SweepValue>> axes;
    for (size_t i = 0; i < grid.size(); ++i) {
        const std::string loc = toml_where(path, grid_at[i]) + "[grid] ";
        const std::string& key = grid[i].first;
        claim(key, "grid", loc);
        const toml::array* a = grid[i].second->as_array();
        if (!a) throw InputError(loc + key + ": expected a list of values");
        if (a->empty()) throw InputError(loc + key + ": empty list of values (the grid would have no configuration)");
        std::vector<SweepValue> values;
        for (const toml::node& n : *a) {
            values.push_back(value_of(n, loc + key + ": "));
            check_assignment(key, values.back(), loc);
        }
        axes.push_back(std::move(values));
        spec.parameters.push_back({key, false});
    }
    std::vector<RandomKey> randoms;
    for (size_t i = 0; i < random.size(); ++i) {
        const std::string loc = toml_where(path, random_at[i]);
        claim(random[i].first, "random", loc + "[random] ");
        randoms.push_back(parse_distribution(random[i].first, *random[i].second, loc));
        spec.parameters.push_back({random[i].first, false});
    }
    if (!seeds.empty()) {
        claim("run.seed", "sweep", path + ": [sweep] seeds: ");
        spec.parameters.push_back({"run.seed", true});
    }

    // How many: grid x samples x seeds, checked before anything is built.
    double planned = variant_names.empty() ? 1.0 : static_cast<double>(variant_names.size());
    for (const auto& axis : axes) planned *= static_cast<double>(axis.size());
    if (random_count > 0) planned *= static_cast<double>(random_count);
    if (!seeds.empty()) planned *= static_cast<double>(seeds.size());
    if (planned > kMaxSweepConfigs)
        throw InputError(path + ": the sweep expands to " + strprintf("%.0f", planned) + " configurations (at most " +
                         std::to_string(kMaxSweepConfigs) + ")");
    const int count = static_cast<int>(planned);

    // The random samples: one draw per (sample, key), from Philox keyed by [random] seed, so the
    // samples do not move when another key is added or the grid changes.
    std::vector<std::vector<SweepValue>> samples(std::max<int64_t>(random_count, 1));
    for (int64_t s = 0; s < random_count; ++s)
        for (size_t r = 0; r < randoms.size(); ++r) {
            samples[s].push_back(draw(randoms[r], uniform53(random_seed, static_cast<uint32_t>(s), static_cast<uint32_t>(r))));
            check_assignment(randoms[r].key, samples[s].back(), randoms[r].loc + "[random] ");
        }
    const int seed_count = seeds.empty() ? 1 : static_cast<int>(seeds.size());
    const int sample_count = static_cast<int>(samples.size());

    int digits = kMinIdDigits;
    for (int n = count - 1; n >= 10000; n /= 10) ++digits;
    spec.configs.reserve(count);
    for (int index = 0; index < count; ++index) {
        SweepConfig c;
        c.index = index;
        const std::string number = std::to_string(index);
        c.id = "r" + std::string(static_cast<size_t>(std::max(0, digits - static_cast<int>(number.size()))), '0') + number;
        // index = ((variant * grid points + grid point) * samples + sample) * seeds + seed
        int rest = index;
        const int seed_i = rest % seed_count;
        rest /= seed_count;
        const int sample_i = rest % sample_count;
        rest /= sample_count;
        std::vector<SweepValue> grid_values(axes.size());
        for (size_t a = axes.size(); a-- > 0;) {
            grid_values[a] = axes[a][rest % axes[a].size()];
            rest /= static_cast<int>(axes[a].size());
        }
        c.values.clear();
        c.assignments = spec.fixed;
        if (!variant_names.empty()) {
            const int variant_i = rest;
            SweepValue v;
            v.literal = quoted_string(variant_names[variant_i]);
            v.text = variant_names[variant_i];
            c.values.push_back(v);
            c.assignments.insert(c.assignments.end(), variant_assignments[variant_i].begin(),
                                 variant_assignments[variant_i].end());
        }
        c.values.insert(c.values.end(), grid_values.begin(), grid_values.end());
        if (random_count > 0) c.values.insert(c.values.end(), samples[sample_i].begin(), samples[sample_i].end());
        if (!seeds.empty()) {
            SweepValue v;
            v.literal = v.text = std::to_string(seeds[seed_i]);
            v.numeric = true;
            v.number = static_cast<double>(seeds[seed_i]);
            c.values.push_back(v);
        }
        for (size_t p = variant_names.empty() ? 0 : 1; p < spec.parameters.size(); ++p)
            c.assignments.push_back(spec.parameters[p].key + "=" + c.values[p].literal);
        c.config = base;
        for (const std::string& a : c.assignments) apply_override(&c.config, a);
        try {
            validate(c.config);
        } catch (const InputError& e) {
            const std::string which = describe_values(spec, c, ", ");
            throw InputError(path + ": configuration " + c.id + " (" + (which.empty() ? "the base" : which) +
                             "): " + e.what());
        }
        spec.configs.push_back(std::move(c));
    }
    for (size_t p = 0; p < spec.parameters.size(); ++p) {
        bool numeric = true;
        for (const SweepConfig& c : spec.configs) numeric = numeric && c.values[p].numeric;
        spec.parameters[p].numeric = numeric;
    }
    return spec;
}

std::string describe_values(const SweepSpec& spec, const SweepConfig& c, const std::string& separator) {
    std::string out;
    for (size_t p = 0; p < spec.parameters.size(); ++p)
        out += (p ? separator : "") + spec.parameters[p].key + "=" + c.values[p].text;
    return out;
}

ShardRange shard_range(int count, int shard, int shards) {
    const int64_t n = count;
    return {static_cast<int>(n * shard / shards), static_cast<int>(n * (shard + 1) / shards)};
}

void parse_shard(const std::string& text, const std::string& what, int* shard, int* shards) {
    const size_t slash = text.find('/');
    const auto bad = [&] {
        return InputError(what + " " + text + ": expected i/n with 0 <= i < n (the i-th of n slices)");
    };
    if (slash == std::string::npos) throw bad();
    char* end = nullptr;
    const long i = std::strtol(text.c_str(), &end, 10);
    if (end != text.c_str() + slash) throw bad();
    const long n = std::strtol(text.c_str() + slash + 1, &end, 10);
    if (*end != '\0' || slash + 1 == text.size()) throw bad();
    if (n < 1 || i < 0 || i >= n || n > kMaxSweepConfigs) throw bad();
    *shard = static_cast<int>(i);
    *shards = static_cast<int>(n);
}

}  // namespace v2g
