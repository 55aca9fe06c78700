// test_config.cpp: the config registry: loading TOML, every kind of bad input (unknown key,
// wrong type, out of range, syntax error, bad --set), overrides, validation rules, the dump
// round trip, and that docs/CONFIG.md documents every key.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#include <algorithm>
#include <unistd.h>

#include "config/config.h"
#include "config/config_table.h"
#include "common/errors.h"
#include "train/trainer.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

// A TOML file in the temp directory, removed when the test ends.
class TempToml {
public:
    explicit TempToml(const std::string& text) {
        char name[] = "/tmp/v2g_test_config_XXXXXX.toml";
        const int fd = mkstemps(name, 5);
        if (fd < 0) throw std::runtime_error("mkstemps failed");
        close(fd);
        path_ = name;
        std::ofstream(path_) << text;
    }
    ~TempToml() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The InputError message of f(), or "" when it does not throw one.
template <typename F>
std::string input_error(F f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

std::string load_error(const std::string& toml) {
    TempToml file(toml);
    const std::string msg = input_error([&] { load_config(file.path()); });
    // Every message about a file names the file.
    if (!msg.empty()) {
        EXPECT_EQ(msg.rfind(file.path(), 0), 0u) << msg;
    }
    return msg;
}

// Loading `toml` fails with a message that contains `part`.
void expect_load_error(const std::string& toml, const std::string& part) {
    const std::string msg = load_error(toml);
    EXPECT_TRUE(msg.find(part) != std::string::npos) << "loading:\n" << toml << "gave: " << msg;
}

std::string override_error(const std::string& assignment) {
    Config cfg;
    return input_error([&] { apply_override(&cfg, assignment); });
}

std::string validate_error(const Config& cfg) {
    return input_error([&] { validate(cfg); });
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Config, DefaultsAreValid) { EXPECT_EQ(validate_error(Config{}), ""); }

// The registry is generated from config.h's rows: every key is `group.name` of the member it
// sets, inside that group's struct, and no two keys share a member.
TEST(Config, EveryKeyIsItsMembersGroupAndName) {
    Config cfg;
    const char* base = reinterpret_cast<const char*>(&cfg);
    std::vector<const char*> addresses;
    for (const config_table::Setting& s : config_table::settings()) {
        const char* at = std::visit(
            [&](auto field) {
                if constexpr (std::is_same_v<decltype(field), config_table::ChoiceField>)
                    return reinterpret_cast<const char*>(field.address(cfg));
                else
                    return reinterpret_cast<const char*>(field(cfg));
            },
            s.member);
        ASSERT_TRUE(at >= base && at < base + sizeof cfg) << s.key;
        EXPECT_EQ(std::count(addresses.begin(), addresses.end(), at), 0) << s.key << " shares a member";
        addresses.push_back(at);
    }
    EXPECT_EQ(addresses.size(), config_table::settings().size());
    // Spot checks of the group and name, one per kind of member; dqn.double's member is
    // `double_` (a C++ keyword), the only key with the trailing underscore dropped.
    apply_override(&cfg, "market.price_weight=0.25");
    EXPECT_EQ(cfg.market.price_weight, 0.25);
    apply_override(&cfg, "run.seed=7");
    EXPECT_EQ(cfg.run.seed, 7u);
    apply_override(&cfg, "sessions.model=fixed");
    EXPECT_EQ(cfg.sessions.model, SessionSource::fixed);
    apply_override(&cfg, "dqn.double=false");
    EXPECT_FALSE(cfg.dqn.double_);
    EXPECT_THROW(apply_override(&cfg, "dqn.double_=false"), InputError);
    for (const config_table::Setting& s : config_table::settings()) EXPECT_NE(s.key.back(), '_') << s.key;
}

TEST(Config, LoadsKnownKeys) {
    TempToml file(
        "[fleet]\nvehicles = 8\nmix = \"single\"\n"
        "[learning]\nalpha = 1          # an integer is a number\nepsilon = 0.25\n"
        "[market]\nunmatched_to_grid = false\n"
        "[run]\nseed = 42\n");
    const Config cfg = load_config(file.path());
    EXPECT_EQ(cfg.fleet.vehicles, 8);
    EXPECT_EQ(cfg.fleet.mix, FleetMix::single);
    EXPECT_EQ(cfg.learning.alpha, 1.0);
    EXPECT_EQ(cfg.learning.epsilon, 0.25);
    EXPECT_FALSE(cfg.market.unmatched_to_grid);
    EXPECT_EQ(cfg.run.seed, 42u);
    EXPECT_EQ(cfg.learning.gamma, Config{}.learning.gamma);  // untouched keys keep their defaults
}

TEST(Config, DottedKeysAtTopLevel) {
    TempToml file("learning.alpha = 0.5\n");
    EXPECT_EQ(load_config(file.path()).learning.alpha, 0.5);
}

// Unknown keys and tables: the error names file:line:column and the key, and suggests a known
// key only when one is close.
TEST(Config, UnknownKeysNameFileLineKeyAndSuggest) {
    struct Case {
        const char* what;
        const char* toml;
        const char* says;
        const char* suggestion;  // nullptr: none may be offered
    };
    const Case cases[] = {
        {"a misspelt key", "[learning]\nalpha = 0.1\nalhpa = 0.2\n", ":3:1: unknown key 'learning.alhpa'",
         "did you mean 'learning.alpha'"},
        {"nothing close", "[fleet]\nzzzzzzzzzzzz = 1\n", "unknown key 'fleet.zzzzzzzzzzzz'", nullptr},
        {"a key in the wrong table", "[fleet]\nalpha = 0.1\n", "unknown key 'fleet.alpha'",
         "did you mean 'learning.alpha'"},
        {"a misspelt table", "[lerning]\nalpha = 0.1\n", ":1:2: unknown key 'lerning'", "did you mean 'learning'"},
    };
    for (const Case& c : cases) {
        const std::string msg = load_error(c.toml);
        EXPECT_TRUE(contains(msg, c.says)) << c.what << ": " << msg;
        if (c.suggestion) {
            EXPECT_TRUE(contains(msg, c.suggestion)) << c.what << ": " << msg;
        } else {
            EXPECT_FALSE(contains(msg, "did you mean")) << c.what << ": " << msg;
        }
    }
}

TEST(Config, GroupThatIsNotATable) {
    expect_load_error("learning = 3\n", "learning must be a table, got integer");
}

TEST(Config, WrongTypeNamesKeyAndTypes) {
    expect_load_error("[learning]\nalpha = \"high\"\n", ":2:9: learning.alpha must be a number, got string");
    expect_load_error("[fleet]\nvehicles = 8.5\n", "fleet.vehicles must be an integer, got float");
    expect_load_error("[market]\nunmatched_to_grid = 1\n",
                      "market.unmatched_to_grid must be a boolean (true or false), got integer");
    expect_load_error("[run]\nname = 7\n", "run.name must be a string, got integer");
}

TEST(Config, IntegerOverflow) {
    expect_load_error("[fleet]\nvehicles = 99999999999\n", ":2:12: fleet.vehicles = 99999999999 is out of range");
    expect_load_error("[run]\nseed = -1\n", "run.seed = -1 is out of range");
}

TEST(Config, OutOfRangeInFileNamesLineKeyValueAndRange) {
    expect_load_error("[fleet]\nmix = \"single\"\nsingle_capacity_kwh = -60\n",
                      ":3:23: fleet.single_capacity_kwh = -60 is out of range: must be (0, 2000]");
    expect_load_error("[learning]\nalpha = 1.5\n", "learning.alpha = 1.5 is out of range: must be (0, 1]");
    expect_load_error("[learning]\nalpha = 0\n", "learning.alpha = 0 is out of range: must be (0, 1]");
    expect_load_error("[learning]\nepsilon = -0.1\n", "learning.epsilon = -0.1 is out of range: must be [0, 1]");
    expect_load_error("[learning]\nepsilon = 1.01\n", "learning.epsilon = 1.01 is out of range");
    expect_load_error("[fleet]\nvehicles = 0\n", ":2:12: fleet.vehicles = 0 is out of range: must be [1, 100000000]");
    expect_load_error("[learning]\nq_sharing = \"everyone\"\n",
                      "learning.q_sharing = 'everyone' is not allowed: one of vehicle, community, fleet");
    expect_load_error("[learning]\ngamma = nan\n", "learning.gamma = nan must be a finite number");
}

TEST(Config, SyntaxErrorNamesFileLineColumn) {
    const std::string msg = load_error("[learning]\nalpha = 0.1\ngamma = = 3\n");
    EXPECT_TRUE(contains(msg, ":3:")) << msg;
    EXPECT_FALSE(contains(msg, "\n")) << msg;
    EXPECT_TRUE(contains(load_error("[learning]\nalpha = 0.1\nalpha = 0.2\n"), ":3:")) << "duplicate key";
}

TEST(Config, MissingFile) {
    const std::string path = "/nonexistent/dir/v2g.toml";
    EXPECT_EQ(input_error([&] { load_config(path); }), path + ": cannot open");
}

TEST(Config, Overrides) {
    Config cfg;
    apply_override(&cfg, "learning.alpha=0.5");
    apply_override(&cfg, "fleet.vehicles = 7");
    apply_override(&cfg, "fleet.mix=\"single\"");
    apply_override(&cfg, "run.name='my run'");
    apply_override(&cfg, "run.device=cpu");
    apply_override(&cfg, "market.unmatched_to_grid=false");
    apply_override(&cfg, "learning.gamma=1");  // integer text for a number
    apply_override(&cfg, "run.seed=18446744073709551");
    apply_override(&cfg, "signals.price_csv=");
    EXPECT_EQ(cfg.learning.alpha, 0.5);
    EXPECT_EQ(cfg.fleet.vehicles, 7);
    EXPECT_EQ(cfg.fleet.mix, FleetMix::single);
    EXPECT_EQ(cfg.run.name, "my run");
    EXPECT_EQ(cfg.run.device, ComputeDevice::cpu);
    EXPECT_FALSE(cfg.market.unmatched_to_grid);
    EXPECT_EQ(cfg.learning.gamma, 1.0);
    EXPECT_EQ(cfg.run.seed, 18446744073709551u);
    EXPECT_EQ(cfg.signals.price_csv, "");
}

TEST(Config, LaterOverrideWinsOverEarlierAndOverFile) {
    TempToml file("[learning]\nalpha = 0.3\n");
    Config cfg = load_config(file.path());
    apply_override(&cfg, "learning.alpha=0.4");
    apply_override(&cfg, "learning.alpha=0.6");
    EXPECT_EQ(cfg.learning.alpha, 0.6);
}

TEST(Config, BadOverrides) {
    EXPECT_EQ(override_error("learning.alpha=x"), "--set learning.alpha=x: not a number");
    EXPECT_EQ(override_error("foo=1"), "--set foo=1: unknown key 'foo'");
    EXPECT_EQ(override_error("learning.alhpa=0.1"),
              "--set learning.alhpa=0.1: unknown key 'learning.alhpa' (did you mean 'learning.alpha'?)");
    EXPECT_EQ(override_error("learning.alpha"), "--set learning.alpha: expected group.key=value");
    EXPECT_EQ(override_error("fleet.vehicles=1.5"), "--set fleet.vehicles=1.5: not an integer");
    EXPECT_EQ(override_error("fleet.vehicles=99999999999"),
              "--set fleet.vehicles=99999999999: out of range: must be [1, 100000000]");
    EXPECT_EQ(override_error("run.seed=-1"), "--set run.seed=-1: out of range: must be >= 0");
    EXPECT_EQ(override_error("market.unmatched_to_grid=yes"),
              "--set market.unmatched_to_grid=yes: not a boolean (true or false)");
    EXPECT_TRUE(contains(override_error("learning.alpha=2"), "learning.alpha = 2 is out of range: must be (0, 1]"));
    // A choice is an enum, so a name outside it is refused where it is read, naming the choices.
    EXPECT_EQ(override_error("run.device=gpu"),
              "--set run.device=gpu: run.device = 'gpu' is not allowed: one of auto, cpu, cuda");
    EXPECT_TRUE(contains(override_error("dqn.loss=l1"), "dqn.loss = 'l1' is not allowed: one of huber, mse"));
    EXPECT_TRUE(contains(override_error("learning.policy=sarsa"), "learning.policy = 'sarsa' is not allowed"));
    EXPECT_TRUE(contains(override_error("sessions.model=x"),
                         "sessions.model = 'x' is not allowed: one of ev2gym, fixed, csv"));
    EXPECT_TRUE(contains(override_error("sessions.charger=x"), "one of private, public, workplace"));
    EXPECT_TRUE(contains(override_error("fleet.mix=x"), "fleet.mix = 'x' is not allowed"));
    EXPECT_TRUE(contains(override_error("signals.source=x"), "signals.source = 'x' is not allowed"));
    EXPECT_TRUE(contains(override_error("signals.price_unit=$/GJ"), "one of $/kWh, $/MWh, EUR/kWh, EUR/MWh, ct/kWh"));
    EXPECT_TRUE(contains(override_error("learning.alpha=0.1x"), "not a number"));
    EXPECT_TRUE(contains(override_error("learning.alpha="), "not a number"));
}

TEST(Config, ValidateRanges) {
    const auto bad = [](void (*edit)(Config&)) {
        Config cfg;
        edit(cfg);
        return validate_error(cfg);
    };
    EXPECT_TRUE(contains(bad([](Config& c) { c.fleet.vehicles = 0; }), "fleet.vehicles = 0"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.fleet.community_size = 0; }), "fleet.community_size = 0"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.run.episodes = 0; }), "run.episodes = 0"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.fleet.single_capacity_kwh = -1; }), "fleet.single_capacity_kwh = -1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.fleet.single_efficiency = 1.1; }), "fleet.single_efficiency = 1.1"));
    EXPECT_TRUE(
        contains(bad([](Config& c) { c.learning.alpha = 0; }), "learning.alpha = 0 is out of range: must be (0, 1]"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.gamma = -0.5; }), "learning.gamma = -0.5"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.epsilon = 2; }), "learning.epsilon = 2"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.epsilon_decay = 0; }), "learning.epsilon_decay = 0"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.epsilon_min = 0.9; }),
                         "learning.epsilon_min = 0.9 is out of range: must be in [0, learning.epsilon] = [0, 0.8]"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.battery.soc_min = 0.9, c.battery.soc_max = 0.5; }),
                         "battery.soc_min = 0.9 must be below battery.soc_max = 0.5"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.fleet.initial_soc = 0.05; }), "fleet.initial_soc = 0.05"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.time.step_hours = 2; }),
                         "time.step_hours = 2 is not allowed: one of 1, 0.5, 0.25"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.time.day_start_hour = 24; }), "time.day_start_hour = 24"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.soc_bins = 1001; }), "learning.soc_bins = 1001"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.learning.price_levels = 17; }), "learning.price_levels = 17"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.dqn.hidden = "64,x"; }), "dqn.hidden = '64,x'"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.dqn.hidden = ""; }), "dqn.hidden = ''"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.dqn.hidden = "0"; }), "dqn.hidden = '0'"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.market.loss_fraction = 1; }), "market.loss_fraction = 1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.market.price_weight = 1.5; }), "market.price_weight = 1.5"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.ledger.contracts = -1; }), "ledger.contracts = -1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.run.threads = -1; }), "run.threads = -1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.market.dr_price_per_kwh = -1; }), "market.dr_price_per_kwh = -1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.market.unmet_penalty_per_kwh = -1; }), "market.unmet_penalty_per_kwh"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.battery.end_of_life_loss = 1; }), "battery.end_of_life_loss = 1"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.signals.days = 0; }), "signals.days = 0"));
    EXPECT_TRUE(contains(bad([](Config& c) { c.run.seed = UINT64_MAX; }), "run.seed = 18446744073709551615"));
    // Edges that are allowed.
    EXPECT_EQ(bad([](Config& c) { c.learning.alpha = 1; }), "");
    EXPECT_EQ(bad([](Config& c) { c.learning.epsilon = 0, c.learning.epsilon_min = 0; }), "");
    EXPECT_EQ(bad([](Config& c) { c.time.step_hours = 0.25; }), "");
    EXPECT_EQ(bad([](Config& c) { c.fleet.initial_soc = c.battery.soc_max; }), "");
}

TEST(Config, DumpRoundTrips) {
    Config cfg;
    cfg.run.name = "quote \" backslash \\ tab \t newline \n é";
    cfg.learning.alpha = 0.1 + 0.2;  // not a short decimal: needs all 17 digits
    cfg.learning.gamma = 1.0;        // must stay a float in TOML
    cfg.fleet.vehicles = 12345;
    cfg.run.seed = 9000000000000000000u;
    cfg.market.unmatched_to_grid = false;
    cfg.signals.price_noise = -1e-300;
    cfg.signals.price_csv = "/tmp/a b.csv";
    const std::string dumped = dump_config(cfg);
    TempToml file(dumped);
    const Config back = load_config(file.path());
    EXPECT_EQ(dump_config(back), dumped);
    EXPECT_EQ(back.run.name, cfg.run.name);
    EXPECT_EQ(back.learning.alpha, cfg.learning.alpha);
    EXPECT_EQ(back.run.seed, cfg.run.seed);
    EXPECT_EQ(back.signals.price_noise, cfg.signals.price_noise);
    EXPECT_TRUE(contains(dumped, "[learning]\n"));
    EXPECT_TRUE(contains(dumped, "gamma = 1.0\n"));
    EXPECT_TRUE(contains(dumped, "epsilon = 0.8\n"));
}

TEST(Config, DumpListsEveryKey) {
    const std::string dumped = dump_config(Config{});
    for (const auto& [key, help] : config_keys()) {
        const std::string name = key.substr(key.find('.') + 1);
        EXPECT_TRUE(contains(dumped, "\n" + name + " = ")) << key;
        EXPECT_FALSE(help.empty()) << key;
    }
}

TEST(Config, KeysAreUniqueAndGrouped) {
    const auto keys = config_keys();
    EXPECT_GE(keys.size(), 50u);
    for (size_t i = 0; i < keys.size(); ++i)
        for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i].first, keys[j].first);
}

// The value of `key` in a dump: the text after "name = " in the key's table.
std::string dumped_value(const std::string& dump, const std::string& key) {
    const std::string group = key.substr(0, key.find('.')), name = key.substr(key.find('.') + 1);
    const size_t table = dump.find("[" + group + "]\n");
    const size_t line = dump.find("\n" + name + " = ", table);
    if (table == std::string::npos || line == std::string::npos) return "";
    const size_t begin = line + name.size() + 4;
    return dump.substr(begin, dump.find('\n', begin) - begin);
}

TEST(Config, EveryKeyIsDocumentedWithItsDefault) {
    const std::string path = std::string(V2G_SOURCE_DIR) + "/docs/CONFIG.md";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot open " << path;
    std::string text, line;
    std::vector<std::string> rows;
    while (std::getline(in, line)) {
        text += line + "\n";
        rows.push_back(line);
    }
    const std::string defaults = dump_config(Config{});
    for (const auto& [key, help] : config_keys()) {
        // The key's table row: "| `key` | type | `default` | range | meaning |".
        const std::string head = "| `" + key + "` |";
        const std::string* row = nullptr;
        for (const std::string& r : rows)
            if (r.rfind(head, 0) == 0) row = &r;
        ASSERT_NE(row, nullptr) << key << " has no row in docs/CONFIG.md";
        const std::string value = dumped_value(defaults, key);
        ASSERT_FALSE(value.empty()) << key;
        EXPECT_TRUE(contains(*row, "| `" + value + "` |")) << key << ": docs/CONFIG.md does not give the default "
                                                            << value;
    }
}

TEST(Config, ExperimentConfigsLoadAndValidate) {
    for (const char* name : {"paper.toml", "paper_shared_q.toml", "paper_shared_q_15min.toml", "paper_dqn.toml",
                             "small_deterministic.toml"}) {
        const std::string path = std::string(V2G_SOURCE_DIR) + "/experiments/" + name;
        Config cfg;
        ASSERT_EQ(input_error([&] { cfg = load_config(path); }), "") << name;
        EXPECT_EQ(validate_error(cfg), "") << name;
    }
    const Config paper = load_config(std::string(V2G_SOURCE_DIR) + "/experiments/paper.toml");
    EXPECT_EQ(paper.fleet.vehicles, 50);
    EXPECT_EQ(paper.run.episodes, 2000);
    EXPECT_EQ(paper.learning.alpha, 0.2);
    EXPECT_EQ(paper.learning.epsilon, 0.8);
    EXPECT_EQ(paper.learning.epsilon_decay, 0.995);
    EXPECT_EQ(paper.ledger.contracts, 100);
    EXPECT_EQ(paper.fleet.community_size, 50);
    EXPECT_EQ(paper.learning.q_sharing, QTableSharing::vehicle);
}

// experiments/small_deterministic.toml is the learning test's instance in file form.
TEST(Config, SmallDeterministicMatchesTheLearningTest) {
    Config expected = testing::deterministic_config();
    // The schedule tests/test_learning.cpp sets on top of deterministic_config().
    expected.run.episodes = 1500;
    expected.learning.epsilon = 1.0;
    expected.learning.epsilon_decay = 0.997;
    Config loaded = load_config(std::string(V2G_SOURCE_DIR) + "/experiments/small_deterministic.toml");
    loaded.run.name = expected.run.name;  // a label only
    EXPECT_EQ(dump_config(loaded), dump_config(expected));
}

// Every number a config can set has both bounds (so that nothing computed from it overflows or
// turns into inf/NaN), and docs/CONFIG.md gives exactly the range the engine checks.
TEST(Config, EveryNumberIsBoundedAndDocumentedWithItsRange) {
    const std::string path = std::string(V2G_SOURCE_DIR) + "/docs/CONFIG.md";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot open " << path;
    std::vector<std::string> rows;
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    int numbers = 0;
    for (const KeyRange& r : config_key_ranges()) {
        if (r.numeric) {
            ++numbers;
            EXPECT_TRUE(r.bounded) << r.key << " = " << r.allowed << " has no upper or lower bound";
        }
        if (r.key == "run.seed") continue;  // uint64, checked exactly against 2^63 - 1 (the docs say so)
        if (r.allowed == "any" && !r.numeric) continue;  // strings and booleans: the docs describe them
        const std::string head = "| `" + r.key + "` |";
        bool found = false;
        for (const std::string& row : rows) {
            if (row.rfind(head, 0) != 0) continue;
            found = true;
            // "| `key` | type | `default` | range | meaning |": the fourth column.
            std::vector<std::string> cols;
            std::stringstream cells(row.substr(1));
            for (std::string c; std::getline(cells, c, '|');) cols.push_back(c);
            ASSERT_GE(cols.size(), 4u) << row;
            const std::string range = cols[3].substr(1, cols[3].size() - 2);
            std::string expected = r.allowed;
            if (expected.rfind("one of ", 0) == 0) {
                // "one of a, b" is written "`a`, `b`" in the docs.
                std::string listed, item;
                std::stringstream items(expected.substr(7));
                while (std::getline(items, item, ',')) {
                    if (!item.empty() && item[0] == ' ') item = item.substr(1);
                    listed += (listed.empty() ? "`" : ", `") + item + "`";
                }
                expected = listed;
            }
            // The docs may add a cross-key rule after the range: "[0, 1], below `soc_max`".
            const bool same = range == expected || range.rfind(expected + ", ", 0) == 0;
            EXPECT_TRUE(same) << r.key << ": docs/CONFIG.md gives '" << range << "', the engine checks " << expected;
        }
        EXPECT_TRUE(found) << r.key << " has no row in docs/CONFIG.md";
    }
    EXPECT_GT(numbers, 60);
}

TEST(Config, SubnormalAndHugeNumbersAreRefused) {
    EXPECT_TRUE(contains(override_error("fleet.single_capacity_kwh=5e-324"), "subnormal"))
        << override_error("fleet.single_capacity_kwh=5e-324");
    EXPECT_TRUE(contains(override_error("learning.alpha=1e-310"), "subnormal"));
    for (const char* a : {"fleet.pv_kwp_per_vehicle=1e308", "battery.cost_per_kwh=1e308", "market.dr_price_per_kwh=1e308",
                          "evaluation.fault_spike_factor=1e308", "battery.initial_age_days=1e308",
                          "signals.price_noise=1e308", "dqn.grad_clip=1e308", "fleet.single_charge_kw=1e308",
                          "run.episodes=2000000000", "run.threads=100000", "fleet.vehicles=2000000000",
                          "ledger.contracts=2000000000", "dqn.target_period=2000000000"})
        EXPECT_TRUE(contains(override_error(a), "out of range")) << a << ": " << override_error(a);
    // 0 and ordinary small numbers still pass.
    EXPECT_EQ(override_error("fleet.pv_kwp_per_vehicle=0"), "");
    EXPECT_EQ(override_error("learning.alpha=1e-300"), "");
}

TEST(Config, TomlTextsOverTheLimitsAreRefusedWithOneLine) {
    std::string deep = "[a";
    for (int i = 0; i < 200000; ++i) deep += ".a";  // used to overflow the parser's stack
    deep += "]\n";
    EXPECT_TRUE(contains(load_error(deep), ":1: a table name of more than 8 dotted parts")) << load_error(deep).substr(0, 200);
    EXPECT_TRUE(contains(load_error("a.b.c.d.e.f.g.h.i = 1\n"), "a key of more than 8 dotted parts"));
    EXPECT_TRUE(contains(load_error("[run]\n" + std::string(300, 'k') + " = 1\n"), ":2: a key longer than 256"));
    EXPECT_TRUE(contains(load_error("x = " + std::string(17, '[') + std::string(17, ']') + "\n"), "nested more than 16 deep"));
    std::string inline_tables = "x = ";
    for (int i = 0; i < 17; ++i) inline_tables += "{a = ";
    inline_tables += "1" + std::string(17, '}') + "\n";
    EXPECT_TRUE(contains(load_error(inline_tables), "nested more than 16 deep"));
    EXPECT_TRUE(contains(load_error("t = { " + std::string(300, 'k') + " = 1 }\n"), "a key longer than 256"));
    EXPECT_TRUE(contains(load_error("# " + std::string(2 << 20, 'x') + "\n"), "bytes; a TOML file may have at most 1048576"));
}

TEST(Config, TheLimitScanReadsStringsCommentsAndTablesAsToml) {
    // Dots, brackets and quotes inside strings and comments are not keys or nesting.
    const std::string ok =
        "# [a.b.c.d.e.f.g.h.i.j] in a comment\n"
        "[run]   # [[[[[[[[[[[[[[[[[[[[\n"
        "name = \"a.b.c.d.e.f.g.h.i.j [[[[[[[[[[[[[[[[[[[[ \\\" ]]\"\n"
        "'seed' = 3\n"
        "[\"fleet\"]\n"
        "vehicles = 8\n"
        "[learning]\n"
        "\"alpha\" = 0.1\n";
    EXPECT_EQ(load_error(ok), "");
    EXPECT_EQ(load_error("[run]\nname = \"\"\"one [[[[[[[[[[[[[[[[[[[[ \"\" two\na.b.c.d.e.f.g.h.i.j = 1\"\"\"\n"), "");
    EXPECT_EQ(load_error("[run]\nname = '''[[[[[[[[[[[[[[[[[[[[\n''' # ]]\n"), "");
}

TEST(Config, AHugeUnknownKeyIsReportedWithoutASuggestion) {
    const std::string key(100000, 'q');
    const std::string msg = override_error(key + "=1");
    EXPECT_TRUE(contains(msg, "unknown key")) << msg.substr(0, 200);
    EXPECT_FALSE(contains(msg, "did you mean"));
}

TEST(Config, ThreadRequestsBeyondTheMachineAreClamped) {
    EXPECT_EQ(cpu_threads(0), 0);
    EXPECT_EQ(cpu_threads(1), 1);
    const int cap = 4 * std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    EXPECT_EQ(cpu_threads(cap), cap);
    EXPECT_EQ(cpu_threads(1024), std::min(1024, cap));
}

}  // namespace
}  // namespace v2g
