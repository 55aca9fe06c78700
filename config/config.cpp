// config.cpp: everything that walks the registry of settings (config_table.h): loading a TOML
// file, `--set` overrides, range checks, the TOML dump and the key list.
#include "config/config.h"
#include "config/toml_parse.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "config/config_table.h"
#include "config/csv_format.h"
#include "common/errors.h"
#include "env/env_types.h"

namespace v2g {
namespace {

using namespace config_table;


// ---------------------------------------------------------------- small helpers

std::string group_of(const std::string& key) { return key.substr(0, key.find('.')); }
std::string name_of(const std::string& key) {
    const size_t dot = key.find('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

const Setting* find_setting(const std::string& key) {
    for (const Setting& s : settings())
        if (key == s.key) return &s;
    return nullptr;
}

bool is_group(const std::string& name) {
    for (const Setting& s : settings())
        if (group_of(s.key) == name) return true;
    return false;
}

std::vector<std::string> groups_in_order() {
    std::vector<std::string> out;
    for (const Setting& s : settings()) {
        const std::string g = group_of(s.key);
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    }
    return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
// transpositions ("alhpa" -> "alpha" is one edit).
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within reach, or "".
std::string suggestion(const std::string& unknown, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_d = kMaxSuggestionDistance + 1;
    for (const std::string& c : candidates) {
        // The distance is at least the difference in length: skip the table for those (a
        // megabyte-long key would otherwise cost minutes).
        const size_t gap = unknown.size() > c.size() ? unknown.size() - c.size() : c.size() - unknown.size();
        size_t d = gap > kMaxSuggestionDistance ? gap : edit_distance(unknown, c);
        // The right name in the wrong table ("fleet.alpha") is as good as a typo.
        if (d > 1 && unknown.find('.') != std::string::npos && name_of(unknown) == name_of(c)) d = 1;
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

// Keys that were renamed: an old config names the new key in its error.
struct RenamedKey {
    const char* old_key;
    const char* new_key;
    const char* why;
};
constexpr RenamedKey kRenamedKeys[] = {
    {"sessions.fixed_demand_kwh", "sessions.fixed_trip_kwh", "the energy driven per day (docs/MODEL.md, \"Driving\")"},
};

std::string key_suggestion(const std::string& unknown) {
    for (const RenamedKey& r : kRenamedKeys)
        if (unknown == r.old_key) return std::string(" (renamed: '") + r.new_key + "', " + r.why + ")";
    std::vector<std::string> keys;
    for (const Setting& s : settings()) keys.emplace_back(s.key);
    return suggestion(unknown, keys);
}

}  // namespace

// Shortest decimal form that reads back as the same double (0.2, not 0.20000000000000001).
std::string format_double(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < kMaxPlainInteger) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    for (int precision = 1; precision <= std::numeric_limits<double>::max_digits10; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

// As a TOML float: "1" would read back as an integer, so it becomes "1.0".
std::string toml_double(double v) {
    std::string s = format_double(v);
    if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

namespace {

std::string limits_text(const Limits& l) {
    const bool has_lo = std::isfinite(l.lo), has_hi = std::isfinite(l.hi);
    if (has_lo && has_hi)
        return std::string(l.lo_open ? "(" : "[") + format_double(l.lo) + ", " + format_double(l.hi) +
               (l.hi_open ? ")" : "]");
    if (has_lo) return std::string(l.lo_open ? "> " : ">= ") + format_double(l.lo);
    if (has_hi) return std::string(l.hi_open ? "< " : "<= ") + format_double(l.hi);
    return "any";
}

std::string choices_text(const std::vector<std::string>& choices) {
    std::string out;
    for (const std::string& c : choices) out += (out.empty() ? "" : ", ") + c;
    return "one of " + out;
}

bool within(double v, const Limits& l) {
    // Written so that NaN fails every test.
    const bool lo_ok = l.lo_open ? v > l.lo : v >= l.lo;
    const bool hi_ok = l.hi_open ? v < l.hi : v <= l.hi;
    return lo_ok && hi_ok;
}

template <typename T>
constexpr bool is_number_v = std::is_same_v<T, int> || std::is_same_v<T, uint64_t> || std::is_same_v<T, double>;

// The one-line complaint about a value outside its setting's range or choices, or "".
template <typename T>
std::string range_problem(const Setting& s, const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
        if (s.choices.empty()) return "";
        for (const std::string& c : s.choices)
            if (v == c) return "";
        return std::string(s.key) + " = '" + v + "' is not allowed: " + choices_text(s.choices);
    } else if constexpr (std::is_same_v<T, bool>) {
        return "";
    } else {
        const double d = static_cast<double>(v);
        std::string value_text;
        if constexpr (std::is_same_v<T, double>) value_text = format_double(v);
        else value_text = std::to_string(v);
        if constexpr (std::is_same_v<T, double>) {
            if (!std::isfinite(d)) return std::string(s.key) + " = " + value_text + " must be a finite number";
            // A subnormal (below ~2.2e-308) loses precision in every product and does not
            // survive the round trip through the config text: no setting means one.
            if (std::fpclassify(d) == FP_SUBNORMAL)
                return std::string(s.key) + " = " + value_text + " is subnormal (too close to 0 to compute with): use 0 or a normal number";
        }
        if constexpr (std::is_same_v<T, uint64_t>) {
            // Checked exactly: INT64_MAX is not representable as a double.
            if (v > kMaxSeed)
                return std::string(s.key) + " = " + value_text + " is out of range: must be <= " +
                       std::to_string(kMaxSeed) + " (the largest TOML integer)";
        }
        if (!s.choices.empty()) {
            for (const std::string& c : s.choices)
                if (d == std::strtod(c.c_str(), nullptr)) return "";
            return std::string(s.key) + " = " + value_text + " is not allowed: " + choices_text(s.choices);
        }
        if (!within(d, s.limits))
            return std::string(s.key) + " = " + value_text + " is out of range: must be " + limits_text(s.limits);
        return "";
    }
}

std::string range_problem_of(const Setting& s, const Config& cfg) {
    return std::visit([&](auto m) { return range_problem(s, value_in(m, cfg)); }, s.member);
}

const char* expected_type(const Member& m) {
    switch (m.index()) {
        case 0: return "a boolean (true or false)";
        case 1: return "an integer";
        case 2: return "a non-negative integer";
        case 3: return "a number";
        default: return "a string";
    }
}

std::string type_docs_name(const Member& m) {
    switch (m.index()) {
        case 0: return "bool";
        case 1: return "integer";
        case 2: return "integer";
        case 3: return "number";
        default: return "string";
    }
}

const char* toml_type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::table: return "table";
        case toml::node_type::array: return "array";
        case toml::node_type::string: return "string";
        case toml::node_type::integer: return "integer";
        case toml::node_type::floating_point: return "float";
        case toml::node_type::boolean: return "boolean";
        case toml::node_type::date: return "date";
        case toml::node_type::time: return "time";
        case toml::node_type::date_time: return "date-time";
        default: return "nothing";
    }
}

std::string value_text(const Setting& s, const Config& cfg) {
    return std::visit(
        [&](auto m) -> std::string {
            const auto& v = value_in(m, cfg);
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, double>) return toml_double(v);
            else if constexpr (std::is_same_v<T, std::string>) return quoted_string(v);
            else return std::to_string(v);
        },
        s.member);
}

// ---------------------------------------------------------------- TOML file


// Stores one TOML value into its setting, checking type, integer range and the setting's own
// range. Throws InputError prefixed with `loc`.
void store_toml(Config* cfg, const Setting& s, const toml::node& node, const std::string& loc) {
    const std::string got = toml_type_name(node.type());
    const auto wrong_type = [&] {
        return InputError(loc + s.key + " must be " + expected_type(s.member) + ", got " + got);
    };
    std::visit(
        [&](auto m) {
            using T = value_type_of<decltype(m)>;
            T value{};
            if constexpr (std::is_same_v<T, bool>) {
                if (!node.is_boolean()) throw wrong_type();
                value = *node.value<bool>();
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (!node.is_string()) throw wrong_type();
                value = *node.value<std::string>();
            } else if constexpr (std::is_same_v<T, double>) {
                // Integers are numbers too (alpha = 1); a float is never an integer.
                if (node.is_integer()) value = static_cast<double>(*node.value_exact<int64_t>());
                else if (node.is_floating_point()) value = *node.value_exact<double>();
                else throw wrong_type();
            } else {
                if (!node.is_integer()) throw wrong_type();
                const int64_t raw = *node.value_exact<int64_t>();
                const bool fits = std::is_same_v<T, int> ? (raw >= INT_MIN && raw <= INT_MAX) : raw >= 0;
                if (!fits)
                    throw InputError(loc + s.key + " = " + std::to_string(raw) + " is out of range: must be " +
                                     limits_text(s.limits));
                value = static_cast<T>(raw);
            }
            const std::string problem = range_problem(s, value);
            if (!problem.empty()) throw InputError(loc + problem);
            store(m, *cfg, value);
        },
        s.member);
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    const size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string read_text_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": cannot open (a directory)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open");
    // Checked before reading: a config is a few kB, and a huge file should not be read whole.
    const auto bytes = std::filesystem::file_size(path, ec);
    if (!ec && bytes > kMaxTomlBytes)
        throw InputError(path + ": " + std::to_string(bytes) + " bytes; a TOML file may have at most " +
                         std::to_string(kMaxTomlBytes));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw InputError(path + ": cannot read");
    return text.str();
}

Config load_config(const std::string& path) { return load_config_text(read_text_file(path), path); }

std::string toml_where(const std::string& path, const toml::source_region& src) {
    return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column) + ": ";
}

toml::table parse_toml(const std::string& text, const std::string& path) {
    check_toml_limits(text, path);
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        // toml++ descriptions can span lines; the CLI promises one.
        std::string msg(e.description());
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        throw InputError(toml_where(path, e.source()) + msg);
    }
}

Config load_config_text(const std::string& text, const std::string& path) {
    const toml::table root = parse_toml(text, path);

    Config cfg;
    std::vector<std::string> groups = groups_in_order();
    for (auto&& [group_key, group_node] : root) {
        const std::string group(group_key.str());
        if (!is_group(group)) {
            // A top-level `alpha = 1` is as likely a misplaced key as a misspelt table.
            const Setting* misplaced = nullptr;
            for (const Setting& s : settings())
                if (name_of(s.key) == group) misplaced = &s;
            const std::string hint = misplaced ? " (did you mean '" + std::string(misplaced->key) + "'?)"
                                               : suggestion(group, groups);
            throw InputError(toml_where(path, group_key.source()) + "unknown key '" + group + "'" + hint);
        }
        const toml::table* table = group_node.as_table();
        if (!table)
            throw InputError(toml_where(path, group_key.source()) + group + " must be a table, got " +
                             toml_type_name(group_node.type()));
        for (auto&& [name_key, node] : *table) {
            const std::string full = group + "." + std::string(name_key.str());
            const Setting* s = find_setting(full);
            if (!s)
                throw InputError(toml_where(path, name_key.source()) + "unknown key '" + full + "'" +
                                 key_suggestion(full));
            store_toml(&cfg, *s, node, toml_where(path, node.source()));
        }
    }
    return cfg;
}

void apply_flag(Config* cfg, const std::string& flag, const std::string& key, const std::string& value) {
    if (value.empty()) return;
    const std::string assignment = key + "=" + value;
    try {
        apply_override(cfg, assignment);
    } catch (const InputError& e) {
        std::string msg = e.what();
        const std::string prefix = "--set " + assignment + ": ";
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
        throw InputError(flag + " " + value + ": " + msg);
    }
}

void apply_override(Config* cfg, const std::string& assignment) {
    const std::string prefix = "--set " + assignment + ": ";
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos) throw InputError(prefix + "expected group.key=value");
    const std::string key = trim(assignment.substr(0, eq));
    const std::string text = trim(assignment.substr(eq + 1));
    const Setting* s = find_setting(key);
    if (!s) throw InputError(prefix + "unknown key '" + key + "'" + key_suggestion(key));

    std::visit(
        [&](auto m) {
            using T = value_type_of<decltype(m)>;
            T value{};
            if constexpr (std::is_same_v<T, bool>) {
                if (text == "true") value = true;
                else if (text == "false") value = false;
                else throw InputError(prefix + "not a boolean (true or false)");
            } else if constexpr (std::is_same_v<T, std::string>) {
                // Quotes are optional; shells often eat them anyway.
                const bool quoted = text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
                                    text.back() == text.front();
                value = quoted ? text.substr(1, text.size() - 2) : text;
            } else if constexpr (std::is_same_v<T, double>) {
                char* end = nullptr;
                errno = 0;
                value = std::strtod(text.c_str(), &end);
                if (text.empty() || *end != '\0') throw InputError(prefix + "not a number");
                if (errno == ERANGE && std::isinf(value)) throw InputError(prefix + "number out of range");
            } else {
                char* end = nullptr;
                errno = 0;
                // strtoull would quietly wrap "-1"; parse signed and check the sign instead.
                const long long raw = std::strtoll(text.c_str(), &end, 10);
                if (text.empty() || *end != '\0') throw InputError(prefix + "not an integer");
                const bool fits = errno != ERANGE &&
                                  (std::is_same_v<T, int> ? (raw >= INT_MIN && raw <= INT_MAX) : raw >= 0);
                if (!fits) throw InputError(prefix + "out of range: must be " + limits_text(s->limits));
                value = static_cast<T>(raw);
            }
            const std::string problem = range_problem(*s, value);
            if (!problem.empty()) throw InputError(prefix + problem);
            store(m, *cfg, value);
        },
        s->member);
}

namespace {
const char* const kEvalFaults[] = {"missing_vehicles", "grid_outage", "price_spike", "lost_community"};
}  // namespace

std::vector<int> dqn_hidden_sizes(const std::string& text) {
    std::vector<int> sizes;
    std::string item;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != ',') {
            if (text[i] != ' ') item += text[i];
            continue;
        }
        char* end = nullptr;
        const long n = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || n < 1 || n > kMaxDqnWidth)
            throw InputError("dqn.hidden = '" + text + "': expected comma-separated layer widths in [1, " +
                             std::to_string(kMaxDqnWidth) + "], e.g. \"64,64\"");
        sizes.push_back(static_cast<int>(n));
        item.clear();
    }
    return sizes;
}

std::vector<std::string> eval_fault_list(const std::string& faults) {
    std::vector<std::string> out;
    if (faults == "none") return out;
    if (faults == "all") return std::vector<std::string>(std::begin(kEvalFaults), std::end(kEvalFaults));
    std::string item;
    std::vector<std::string> known(std::begin(kEvalFaults), std::end(kEvalFaults));
    for (size_t i = 0; i <= faults.size(); ++i) {
        if (i < faults.size() && faults[i] != ',') {
            if (faults[i] != ' ') item += faults[i];
            continue;
        }
        if (std::find(known.begin(), known.end(), item) == known.end())
            throw InputError("evaluation.faults: unknown fault '" + item + "'" + suggestion(item, known) +
                             "; use none, all, or a comma list of missing_vehicles, grid_outage, price_spike, lost_community");
        if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
        item.clear();
    }
    return out;
}

void validate(const Config& cfg) {
    for (const Setting& s : settings()) {
        const std::string problem = range_problem_of(s, cfg);
        if (!problem.empty()) throw InputError(problem);
    }
    eval_fault_list(cfg.evaluation.faults);
    csv_format(cfg);  // signals.csv_separator and csv_decimal, and the pair
    const auto num = [](double v) { return format_double(v); };
    dqn_hidden_sizes(cfg.dqn.hidden);
    if (!(cfg.battery.soc_min < cfg.battery.soc_max))
        throw InputError("battery.soc_min = " + num(cfg.battery.soc_min) + " must be below battery.soc_max = " +
                         num(cfg.battery.soc_max));
    if (!(cfg.fleet.initial_soc >= cfg.battery.soc_min && cfg.fleet.initial_soc <= cfg.battery.soc_max))
        throw InputError("fleet.initial_soc = " + num(cfg.fleet.initial_soc) +
                         " is out of range: must be in [battery.soc_min, battery.soc_max] = [" +
                         num(cfg.battery.soc_min) + ", " + num(cfg.battery.soc_max) + "]");
    if (!(cfg.learning.epsilon_min <= cfg.learning.epsilon))
        throw InputError("learning.epsilon_min = " + num(cfg.learning.epsilon_min) +
                         " is out of range: must be in [0, learning.epsilon] = [0, " + num(cfg.learning.epsilon) + "]");
    if (cfg.learning.shaping && cfg.learning.policy != LearnerPolicy::tabular)
        throw InputError("learning.shaping = true shapes the tabular update only; learning.policy = \"" +
                         std::string(choice_name(cfg.learning.policy)) + "\" does not use it");
    if (cfg.steps_per_day() > kMaxStepsPerDay)
        throw InputError("time.step_hours = " + num(cfg.time.step_hours) + " gives more than " +
                         std::to_string(kMaxStepsPerDay) + " steps per day");
    // The kernels index states and signal steps with int; the ranges above keep these far
    // below INT_MAX, and this keeps it so if a range is ever widened.
    if (cfg.steps_per_day() % cfg.learning.time_bins != 0)
        throw InputError("learning.time_bins = " + std::to_string(cfg.learning.time_bins) + " must divide the " +
                         std::to_string(cfg.steps_per_day()) + " steps of a day (time.step_hours = " +
                         num(cfg.time.step_hours) + ")");
    const int64_t states = int64_t{cfg.learning.soc_bins} * cfg.learning.time_bins * cfg.learning.price_levels *
                           cfg.learning.deadline_levels * cfg.learning.forecast_levels;
    if (states > INT_MAX)
        throw InputError("learning.soc_bins * learning.time_bins * learning.price_levels * learning.deadline_levels * "
                         "learning.forecast_levels = " + std::to_string(states) +
                         " states: too many");
    if (!(cfg.ledger.price_floor_per_kwh <= cfg.ledger.price_cap_per_kwh))
        throw InputError("ledger.price_floor_per_kwh = " + num(cfg.ledger.price_floor_per_kwh) +
                         " must not exceed ledger.price_cap_per_kwh = " + num(cfg.ledger.price_cap_per_kwh));
    const int64_t communities = (int64_t{cfg.fleet.vehicles} + cfg.fleet.community_size - 1) / cfg.fleet.community_size;
    if (cfg.ledger.enabled && cfg.ledger.contracts < communities + 2)
        throw InputError("ledger.contracts = " + std::to_string(cfg.ledger.contracts) + " is too few: " +
                         std::to_string(communities) + " communities need one P2P contract each, plus at least one "
                         "V2G-service contract and one charging tariff (>= " + std::to_string(communities + 2) + ")");
    const int64_t signal_steps = int64_t{cfg.signals.days} * cfg.steps_per_day();
    if (signal_steps > INT_MAX)
        throw InputError("signals.days = " + std::to_string(cfg.signals.days) + " gives too many signal steps");
}

std::string dump_config(const Config& cfg) {
    std::string out;
    for (const std::string& group : groups_in_order()) {
        out += (out.empty() ? "[" : "\n[") + group + "]\n";
        for (const Setting& s : settings())
            if (group_of(s.key) == group) out += name_of(s.key) + " = " + value_text(s, cfg) + "\n";
    }
    return out;
}

std::vector<ConfigValue> config_values(const Config& cfg) {
    std::vector<ConfigValue> out;
    for (const std::string& group : groups_in_order())
        for (const Setting& s : settings())
            if (group_of(s.key) == group)
                out.push_back({group, name_of(s.key),
                               std::visit([&cfg](auto member) -> ConfigValue::Value { return value_in(member, cfg); },
                                          s.member)});
    return out;
}

std::vector<KeyRange> config_key_ranges() {
    std::vector<KeyRange> out;
    for (const Setting& s : settings()) {
        KeyRange r;
        r.key = s.key;
        r.allowed = !s.choices.empty() ? choices_text(s.choices) : limits_text(s.limits);
        r.numeric = s.member.index() >= 1 && s.member.index() <= 3;
        r.bounded = !s.choices.empty() || (std::isfinite(s.limits.lo) && std::isfinite(s.limits.hi)) ||
                    s.member.index() == 2;  // uint64 (run.seed): <= INT64_MAX, checked exactly
        out.push_back(r);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> config_keys() {
    std::vector<std::pair<std::string, std::string>> out;
    const Config defaults;
    for (const Setting& s : settings()) {
        const std::string allowed = !s.choices.empty() ? choices_text(s.choices) : limits_text(s.limits);
        std::string line = std::string(s.help) + " (" + type_docs_name(s.member);
        if (allowed != "any") line += ", " + allowed;
        line += ", default " + value_text(s, defaults) + ")";
        out.emplace_back(s.key, line);
    }
    return out;
}

std::string quoted_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\f': out += "\\f"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

}  // namespace v2g
