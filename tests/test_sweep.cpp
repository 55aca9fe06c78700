// test_sweep.cpp: the sweep file (run/sweep.h): expansion order, ids and values of a grid
// x random samples x seeds and of named variants, the random samples' determinism, shards, and
// every kind of malformed sweep refused with one line naming the entry (the CLI test of "before
// any training" is tests/test_sweep.py).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/errors.h"
#include "run/sweep.h"

namespace v2g {
namespace {

const char* kBase = R"(
[run]
name = "base"
episodes = 10
[fleet]
vehicles = 8
community_size = 8
)";

SweepSpec spec_of(const std::string& text) { return load_sweep_text(text, "s.toml", kBase, "base.toml"); }

std::string error_of(const std::string& text) {
    try {
        spec_of(text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

std::string value_of(const SweepSpec& s, const SweepConfig& c, const std::string& key) {
    for (size_t p = 0; p < s.parameters.size(); ++p)
        if (s.parameters[p].key == key) return c.values[p].text;
    return "?";
}

TEST(Sweep, GridTimesSamplesTimesSeedsInOrder) {
    const SweepSpec s = spec_of(R"(
[sweep]
base = "base.toml"
seeds = [5, 6]
[set]
"run.episodes" = 20
[grid]
"learning.alpha" = [0.1, 0.2, 0.3]
learning.gamma = [0.9, 0.99]
[random]
count = 2
"learning.epsilon_decay" = { uniform = [0.9, 0.99] }
)");
    ASSERT_EQ(s.configs.size(), 3u * 2u * 2u * 2u);
    ASSERT_EQ(s.parameters.size(), 4u);
    EXPECT_EQ(s.parameters[0].key, "learning.alpha");  // grid keys in key order
    EXPECT_EQ(s.parameters[1].key, "learning.gamma");
    EXPECT_EQ(s.parameters[2].key, "learning.epsilon_decay");
    EXPECT_EQ(s.parameters[3].key, "run.seed");
    for (const SweepParameter& p : s.parameters) EXPECT_TRUE(p.numeric) << p.key;
    // The seed varies fastest, then the sample, then the last grid key, then the first.
    EXPECT_EQ(s.configs[0].id, "r0000");
    EXPECT_EQ(s.configs[23].id, "r0023");
    EXPECT_EQ(value_of(s, s.configs[0], "run.seed"), "5");
    EXPECT_EQ(value_of(s, s.configs[1], "run.seed"), "6");
    EXPECT_EQ(value_of(s, s.configs[0], "learning.epsilon_decay"), value_of(s, s.configs[1], "learning.epsilon_decay"));
    EXPECT_NE(value_of(s, s.configs[0], "learning.epsilon_decay"), value_of(s, s.configs[2], "learning.epsilon_decay"));
    EXPECT_EQ(value_of(s, s.configs[3], "learning.gamma"), "0.9");
    EXPECT_EQ(value_of(s, s.configs[4], "learning.gamma"), "0.99");
    EXPECT_EQ(value_of(s, s.configs[7], "learning.alpha"), "0.1");
    EXPECT_EQ(value_of(s, s.configs[8], "learning.alpha"), "0.2");
    EXPECT_EQ(value_of(s, s.configs[23], "learning.alpha"), "0.3");
    // Every configuration is the base with its values applied, and no two are the same.
    std::set<std::string> distinct;
    for (const SweepConfig& c : s.configs) {
        EXPECT_EQ(c.config.run.episodes, 20);  // [set]
        EXPECT_EQ(c.config.fleet.vehicles, 8);   // the base
        EXPECT_DOUBLE_EQ(c.config.learning.alpha, std::stod(value_of(s, c, "learning.alpha")));
        EXPECT_DOUBLE_EQ(c.config.learning.gamma, std::stod(value_of(s, c, "learning.gamma")));
        EXPECT_EQ(c.config.run.seed, std::stoull(value_of(s, c, "run.seed")));
        const double decay = c.config.learning.epsilon_decay;
        EXPECT_GE(decay, 0.9);
        EXPECT_LT(decay, 0.99);
        std::string key;
        for (const std::string& a : c.assignments) key += a + ";";
        distinct.insert(key);
    }
    EXPECT_EQ(distinct.size(), s.configs.size());
}

TEST(Sweep, RandomSamplesAreDeterministicAndFollowTheirSeed) {
    const std::string text = R"(
[sweep]
base = "base.toml"
[random]
count = 50
seed = 11
"learning.alpha" = { log_uniform = [0.01, 0.5] }
"learning.soc_bins" = { int = [3, 5] }
"learning.policy" = { choice = ["tabular"] }
)";
    const SweepSpec a = spec_of(text), b = spec_of(text);
    ASSERT_EQ(a.configs.size(), 50u);
    std::set<int> bins;
    for (size_t i = 0; i < a.configs.size(); ++i) {
        EXPECT_EQ(a.configs[i].assignments, b.configs[i].assignments);
        EXPECT_GE(a.configs[i].config.learning.alpha, 0.01);
        EXPECT_LE(a.configs[i].config.learning.alpha, 0.5);
        bins.insert(a.configs[i].config.learning.soc_bins);
    }
    EXPECT_EQ(bins, (std::set<int>{3, 4, 5}));  // inclusive integer bounds, all hit in 50 draws
    std::string other = text;
    other.replace(other.find("seed = 11"), 9, "seed = 12");
    const SweepSpec c = spec_of(other);
    EXPECT_NE(a.configs[0].config.learning.alpha, c.configs[0].config.learning.alpha);
    EXPECT_NE(a.digest, c.digest);
    EXPECT_EQ(a.digest, b.digest);
}

TEST(Sweep, VariantsAreTheOutermostAxisWithTheirOwnKeys) {
    const SweepSpec s = spec_of(R"(
[sweep]
base = "base.toml"
[variants.fast]
"learning.alpha" = 0.5
"run.name" = "fast"
[variants.slow]
"learning.alpha" = 0.05
[grid]
"learning.gamma" = [0.9, 0.95]
)");
    ASSERT_EQ(s.configs.size(), 4u);
    EXPECT_EQ(s.parameters[0].key, kVariantColumn);
    EXPECT_FALSE(s.parameters[0].numeric);
    EXPECT_EQ(value_of(s, s.configs[0], kVariantColumn), "fast");
    EXPECT_EQ(value_of(s, s.configs[1], kVariantColumn), "fast");
    EXPECT_EQ(value_of(s, s.configs[2], kVariantColumn), "slow");
    EXPECT_DOUBLE_EQ(s.configs[1].config.learning.alpha, 0.5);
    EXPECT_EQ(s.configs[1].config.run.name, "fast");
    EXPECT_DOUBLE_EQ(s.configs[3].config.learning.alpha, 0.05);
    EXPECT_EQ(s.configs[3].config.run.name, "base");
    EXPECT_DOUBLE_EQ(s.configs[3].config.learning.gamma, 0.95);
}

TEST(Sweep, MalformedSweepsAreRefusedNamingTheEntry) {
    struct Case {
        const char* text;
        std::vector<const char*> expected;  // every fragment must be in the message
    };
    const std::vector<Case> cases = {
        {"[sweep]\nbase = \"base.toml\"\nbogus = 1\n", {"s.toml:3:1", "[sweep] bogus"}},
        {"[sweep]\nbase = \"base.toml\"\n[gird]\n\"learning.alpha\" = [0.1]\n", {"s.toml:3", "unknown section [gird]"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid]\n\"learning.alpah\" = [0.1]\n", {"s.toml:4", "learning.alpah", "unknown key"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid]\n\"learning.alpha\" = []\n", {"s.toml:4", "learning.alpha", "empty list"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid]\n\"learning.alpha\" = [0.1, 3]\n", {"s.toml:4", "learning.alpha = 3", "(0, 1]"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid]\n\"learning.alpha\" = 0.1\n", {"learning.alpha", "list of values"}},
        {"[sweep]\nbase = \"base.toml\"\n[set]\n\"learning.alpha\" = 0.1\n[grid]\n\"learning.alpha\" = [0.2]\n",
         {"learning.alpha", "[set]", "[grid]"}},
        {"[sweep]\nbase = \"base.toml\"\n[random]\ncount = 3\n\"learning.alpha\" = { normal = [0, 1] }\n",
         {"[random] learning.alpha", "uniform"}},
        {"[sweep]\nbase = \"base.toml\"\n[random]\ncount = 3\n\"learning.alpha\" = { uniform = [0.5, 0.1] }\n",
         {"[random] learning.alpha", "low <= high"}},
        {"[sweep]\nbase = \"base.toml\"\n[random]\n\"learning.alpha\" = { uniform = [0.1, 0.5] }\n", {"count = N"}},
        {"[sweep]\nbase = \"base.toml\"\n[random]\ncount = 4\n\"learning.alpha\" = { uniform = [0.5, 2.0] }\n",
         {"[random]", "learning.alpha", "(0, 1]"}},
        {"[sweep]\nbase = \"base.toml\"\nseeds = [-1]\n", {"[sweep] seeds", ">= 0"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid]\n\"battery.soc_max\" = [0.9, 0.05]\n",
         {"configuration r0001", "battery.soc_max=0.05", "battery.soc_min"}},  // a whole-config rule
        {"[sweep]\nbase = \"base.toml\"\n[grid]\na = [1,2,3,4,5,6,7,8,9,10]\nb = [1,2,3,4,5,6,7,8,9,10]\n"
         "c = [1,2,3,4,5,6,7,8,9,10]\nd = [1,2,3,4,5,6,7,8,9,10]\ne = [1,2,3,4,5,6,7,8,9,10]\n"
         "f = [1,2,3,4,5,6,7,8,9,10]\ng = [1,2,3,4,5,6,7,8,9,10]\n", {"unknown key"}},
        {"[sweep]\nbase = \"base.toml\"\n[variants.a]\n", {"[variants] a", "table of config keys"}},
        {"[sweep]\nbase = \"base.toml\"\n[grid\n", {"s.toml:3"}},  // TOML syntax
    };
    for (const Case& c : cases) {
        const std::string msg = error_of(c.text);
        EXPECT_FALSE(msg.empty()) << "accepted:\n" << c.text;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        for (const char* fragment : c.expected) EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    }
}

TEST(Sweep, TooManyConfigurationsAreRefusedBeforeBuildingThem) {
    std::string text = "[sweep]\nbase = \"base.toml\"\n[grid]\n";
    const char* keys[] = {"learning.alpha", "learning.gamma", "learning.epsilon", "learning.epsilon_decay"};
    for (const char* k : keys) {
        text += std::string("\"") + k + "\" = [";
        for (int i = 1; i <= 40; ++i) text += (i > 1 ? ", " : "") + std::to_string(i / 41.0);
        text += "]\n";
    }
    const std::string msg = error_of(text);
    EXPECT_NE(msg.find("2560000 configurations"), std::string::npos) << msg;
}

TEST(Sweep, ShardsAreDisjointAndCoverEverything) {
    for (int count : {0, 1, 7, 8, 1000})
        for (int shards : {1, 2, 3, 4, 9}) {
            int next = 0;
            for (int i = 0; i < shards; ++i) {
                const ShardRange r = shard_range(count, i, shards);
                EXPECT_EQ(r.begin, next);
                EXPECT_GE(r.end, r.begin);
                EXPECT_LE(r.end - r.begin, count / shards + 1);
                next = r.end;
            }
            EXPECT_EQ(next, count);
        }
    int i = -1, n = -1;
    parse_shard("2/4", "--shard", &i, &n);
    EXPECT_EQ(i, 2);
    EXPECT_EQ(n, 4);
    for (const char* bad : {"4/4", "-1/4", "1", "1/0", "a/b", "1/4x", "1/"})
        EXPECT_THROW(parse_shard(bad, "--shard", &i, &n), InputError) << bad;
}

}  // namespace
}  // namespace v2g
