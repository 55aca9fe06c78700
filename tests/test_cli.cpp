// test_cli.cpp: the built `v2g` binary end to end: help and version, every kind of bad input
// (unknown key, wrong type, out-of-range values, TOML syntax error, bad --set, bad flags,
// missing files, bad CSV cells) exits with status 2 and exactly one line naming the key or
// file:line; a small run succeeds, honours override precedence and writes its JSON summary.
#include <gtest/gtest.h>

#include "common/cuda_device.h"
#include "common/text_format.h"
#include "tests/cli_test_helpers.h"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using Result = v2g::testing::CommandResult;  // status, stdout and stderr together
using v2g::testing::run_v2g;

// The v2g binary with `args` (a shell fragment), run in directory `dir`.
Result run_v2g_in(const std::string& dir, const std::string& args) {
    return v2g::testing::run_command("cd '" + dir + "' && '" + V2G_CLI + "' " + args + " 2>&1");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

bool one_line(const std::string& s) {
    return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1;
}

// A private temp directory for the files of one test, removed at the end.
class TempDir {
public:
    TempDir() {
        char templ[] = "/tmp/v2g_test_cli_XXXXXX";
        const char* made = mkdtemp(templ);
        if (!made) throw std::runtime_error("mkdtemp failed");
        path_ = made;
    }
    ~TempDir() {
        const std::string cmd = "rm -rf '" + path_ + "'";
        if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", path_.c_str());
    }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p) << text;
        return p;
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A config small and quick enough for many runs in the suite.
const char* kTinyConfig =
    "[run]\nepisodes = 50\ndevice = \"cpu\"\nthreads = 1\n"
    "[fleet]\nvehicles = 4\ncommunity_size = 4\nmix = \"single\"\n"
    "[sessions]\nmodel = \"fixed\"\n"
    "[signals]\ndays = 2\n";

// Asserts the v2g run failed as bad input with one line that contains every `parts`.
void expect_bad_input(const Result& r, std::initializer_list<std::string> parts) {
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(one_line(r.output)) << "not exactly one line:\n" << r.output;
    EXPECT_EQ(r.output.rfind("v2g: error: ", 0), 0u) << r.output;
    for (const std::string& p : parts) EXPECT_TRUE(contains(r.output, p)) << "missing '" << p << "' in " << r.output;
}

// Numbers in the CLI's tables: exact zeros as 0, plain digits where they read, the exponent
// only where plain digits would be all zeros or too wide.
TEST(TextFormat, TableNumbers) {
    EXPECT_EQ(v2g::table_number(0.0), "0");
    EXPECT_EQ(v2g::table_number(-0.0), "0");
    EXPECT_EQ(v2g::table_number(std::nan("")), "n/a");
    EXPECT_EQ(v2g::table_number(-3.9321), "-3.932");
    EXPECT_EQ(v2g::table_number(1.0), "1");
    EXPECT_EQ(v2g::table_number(164.7), "164.7");
    EXPECT_EQ(v2g::table_number(0.8946), "0.8946");
    EXPECT_EQ(v2g::table_number(0.0012), "0.0012");
    EXPECT_EQ(v2g::table_number(7.503e-05), "7.5e-05");
    EXPECT_EQ(v2g::table_number(1.431e-08), "1.43e-08");
    EXPECT_EQ(v2g::table_number(123456.0), "123456");
    EXPECT_EQ(v2g::table_number(2.5e7), "2.5e+07");
}

TEST(TextFormat, TablesAlignTheirColumns) {
    char* text = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    v2g::print_table(out, {{"policy", "money"}, {"learned", "-3.9"}, {"oracle_lp", "-3.17"}}, {true}, 2);
    std::fclose(out);
    EXPECT_EQ(std::string(text, size), "  policy     money\n  learned     -3.9\n  oracle_lp  -3.17\n");
    std::free(text);
}

TEST(Cli, HelpListsTrain) {
    const Result r = run_v2g("--help");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "train")) << r.output;
}

TEST(Cli, LedgerHelpIsOneUsageBlock) {
    const Result r = run_v2g("ledger --help");
    EXPECT_EQ(r.status, 0) << r.output;
    size_t usages = 0;
    for (size_t at = 0; (at = r.output.find("sage:", at)) != std::string::npos; ++at) ++usages;
    EXPECT_EQ(usages, 1u) << r.output;
    EXPECT_TRUE(contains(r.output, "check-consistency")) << r.output;
}

TEST(Cli, TrainHelpListsOptionsAndPointsAtTheKeyDocs) {
    const Result r = run_v2g("train --help");
    EXPECT_EQ(r.status, 0) << r.output;
    for (const char* flag : {"--set", "--device", "--seed", "--episodes", "--threads", "--summary", "--quiet"})
        EXPECT_TRUE(contains(r.output, flag)) << flag;
    EXPECT_TRUE(contains(r.output, "docs/CONFIG.md")) << r.output;
}

TEST(Cli, Version) {
    const Result r = run_v2g("--version");
    EXPECT_EQ(r.status, 0) << r.output;
    // The version and commit, then the CUDA line (scripts/gpu-check's first stage prints it).
    const std::string first = std::string("v2g ") + V2G_VERSION + " (commit " + V2G_GIT_COMMIT + ")\n";
    EXPECT_EQ(r.output.substr(0, first.size()), first) << r.output;
    EXPECT_EQ(r.output.substr(first.size()), v2g::cuda_description() + "\n");
    EXPECT_TRUE(contains(r.output, "CUDA")) << r.output;
}

TEST(Cli, KeysListsEveryGroup) {
    const Result r = run_v2g("keys");
    EXPECT_EQ(r.status, 0) << r.output;
    for (const char* key : {"run.seed", "learning.alpha", "ledger.contracts", "signals.price_csv"})
        EXPECT_TRUE(contains(r.output, key)) << key;
}

TEST(Cli, UnknownKey) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", "[learning]\nalpha = 0.1\nalhpa = 0.2\n");
    expect_bad_input(run_v2g("train " + cfg), {cfg + ":3:1: unknown key 'learning.alhpa'", "did you mean"});
}

// A wrong type, values out of range, a TOML syntax error: one line naming file:line:column.
TEST(Cli, BadValuesAndSyntax) {
    TempDir dir;
    struct Case {
        const char* toml;
        const char* expected;
    };
    const Case cases[] = {
        {"[fleet]\nmix = \"single\"\nsingle_capacity_kwh = -60.0\n", ":3:23: fleet.single_capacity_kwh = -60"},
        {"[learning]\nalpha = 0.0\n", ":2:9: learning.alpha = 0 is out of range: must be (0, 1]"},
        {"[learning]\nalpha = 1.2\n", "learning.alpha = 1.2 is out of range"},
        {"[learning]\nepsilon = 1.5\n", ":2:11: learning.epsilon = 1.5 is out of range: must be [0, 1]"},
        {"[learning]\nepsilon = -0.5\n", "learning.epsilon = -0.5 is out of range"},
        {"[fleet]\nvehicles = 0\n", ":2:12: fleet.vehicles = 0 is out of range: must be [1, 100000000]"},
        {"[learning]\nalpha = \"fast\"\n", ":2:9: learning.alpha must be a number, got string"},
        {"[run]\ndevice = \"gpu\"\n", ":2:10: run.device = 'gpu' is not allowed: one of auto, cpu, cuda"},
        {"[fleet]\nvehicles = 8\n[learning\nalpha = 0.1\n", ":3:"},
    };
    for (const Case& c : cases) {
        const std::string cfg = dir.write("c.toml", c.toml);
        SCOPED_TRACE(c.toml);
        // ":line:col: ..." must follow the file's name at once.
        expect_bad_input(run_v2g("train " + cfg), {c.expected[0] == ':' ? cfg + c.expected : c.expected});
    }
}

TEST(Cli, CrossKeyRuleAfterOverrides) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    expect_bad_input(run_v2g("train " + cfg + " --set battery.soc_min=0.95"),
                     {"battery.soc_min = 0.95 must be below battery.soc_max = 0.9"});
    expect_bad_input(run_v2g("train " + cfg + " --set learning.policy=dqn --set dqn.hidden=64,x"),
                     {"dqn.hidden = '64,x'"});
    expect_bad_input(run_v2g("train " + cfg + " --set dqn.loss=l1"), {"dqn.loss = 'l1'", "huber, mse"});
    expect_bad_input(run_v2g("train " + cfg + " --set dqn.hiden=64"), {"dqn.hiden", "did you mean 'dqn.hidden'"});
    expect_bad_input(run_v2g("train " + cfg + " --model-out " + dir.file("m.pt")), {"--model-out", "only a DQN run"});
}

TEST(Cli, BadSet) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    expect_bad_input(run_v2g("train " + cfg + " --set learning.alpha=x"), {"--set learning.alpha=x: not a number"});
    expect_bad_input(run_v2g("train " + cfg + " --set foo=1"), {"--set foo=1: unknown key 'foo'"});
    expect_bad_input(run_v2g("train " + cfg + " --set learning.alpha"), {"--set learning.alpha: expected"});
    expect_bad_input(run_v2g("train " + cfg + " --set learning.alpha=5"), {"learning.alpha = 5 is out of range"});
}

TEST(Cli, LongInputIsShortenedInTheErrorLine) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    const std::string key(100000, 'q');
    const Result r = run_v2g("train " + cfg + " --set " + key + "=1");
    expect_bad_input(r, {"unknown key 'qqqq", "...qqqq"});
    EXPECT_LE(r.output.size(), 200u + std::string("v2g: error: \n").size()) << r.output.substr(0, 300);
}

TEST(Cli, UnwritableLedgerPathIsBadInputAndLeavesNothing) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    const std::string missing_dir = dir.file("no/such/dir/ledger.bin");
    expect_bad_input(run_v2g("train " + cfg + " --ledger " + missing_dir + " --quiet"),
                     {"--ledger " + missing_dir + ": cannot write the ledger file"});
    // A path that can be written is probed and, when it did not exist, not left behind when a
    // later input (here the price file, read after the probe) is bad.
    const std::string fresh = dir.file("ledger.bin");
    const std::string csv = dir.file("missing.csv");
    expect_bad_input(run_v2g("train " + cfg + " --ledger " + fresh + " --set signals.source=csv --set signals.price_csv=" +
                             csv + " --quiet"),
                     {csv + ": cannot open"});
    EXPECT_FALSE(std::ifstream(fresh).good());
}

TEST(Cli, BadFlagValues) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    expect_bad_input(run_v2g("train " + cfg + " --device gpu"), {"--device gpu:", "run.device = 'gpu'"});
    expect_bad_input(run_v2g("train " + cfg + " --seed abc"), {"--seed abc: not an integer"});
    expect_bad_input(run_v2g("train " + cfg + " --episodes 0"), {"--episodes 0:", "run.episodes = 0"});
    expect_bad_input(run_v2g("train " + cfg + " --threads -2"), {"--threads -2:", "run.threads = -2"});
}

TEST(Cli, ParseErrors) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    expect_bad_input(run_v2g("train " + cfg + " --no-such-flag"), {"--no-such-flag"});
    expect_bad_input(run_v2g("train"), {"CONFIG"});
    expect_bad_input(run_v2g(""), {"subcommand"});
    expect_bad_input(run_v2g("fly"), {"fly"});
}

TEST(Cli, MissingConfigFile) {
    TempDir dir;
    const std::string missing = dir.file("nope.toml");
    expect_bad_input(run_v2g("train " + missing), {missing + ": cannot open"});
}

TEST(Cli, UnwritableSummary) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    const std::string out = dir.file("no/such/dir/s.json");
    expect_bad_input(run_v2g("train " + cfg + " --summary " + out), {out + ": cannot write"});
}

// A CSV given through the config with a missing or non-numeric cell: the loader's InputError
// (file:line) reaches the user as exit 2 and one line.
TEST(Cli, BadCsvCells) {
    TempDir dir;
    struct Case {
        const char* name;
        int bad_line;  // 1-based, the header is line 1
        const char* cell;
    };
    for (const Case& c : {Case{"missing", 5, ""}, Case{"text", 7, "abc"}}) {
        SCOPED_TRACE(c.name);
        std::string text = "electricity_pricing\n";
        for (int line = 2; line <= 49; ++line) text += (line == c.bad_line ? std::string(c.cell) : "0.25") + "\n";
        const std::string csv = dir.write(std::string(c.name) + ".csv", text);
        const std::string cfg = dir.write("c.toml", std::string(kTinyConfig) +
                                                        "source = \"csv\"\nprice_csv = \"" + csv + "\"\n");
        expect_bad_input(run_v2g("train " + cfg + " --quiet"), {csv + ":" + std::to_string(c.bad_line) + ":"});
    }
}

TEST(Cli, SmallRunSummaryAndPrecedence) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    const std::string json = dir.file("summary.json");
    // File says 50 episodes; --set says 40 then 30 (the later wins); --episodes beats --set.
    const Result r = run_v2g("train " + cfg +
                             " --set run.episodes=40 --set run.episodes=30 --set run.name=\"tiny run\""
                             " --episodes 20 --seed 5 --quiet --summary " + json);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.rfind("device: cpu (", 0), 0u) << r.output;
    EXPECT_TRUE(contains(r.output, "episodes       20\n")) << r.output;
    EXPECT_TRUE(contains(r.output, "vehicles       4")) << r.output;
    EXPECT_TRUE(contains(r.output, "first 20 episodes")) << r.output;
    EXPECT_TRUE(contains(r.output, "final SoC")) << r.output;
    EXPECT_TRUE(contains(r.output, "final SoH")) << r.output;
    EXPECT_FALSE(contains(r.output, "train:")) << "--quiet printed progress:\n" << r.output;

    const std::string s = read_file(json);
    EXPECT_TRUE(contains(s, "\"episodes\": 20,")) << s;
    EXPECT_TRUE(contains(s, "\"run_name\": \"tiny run\",")) << s;
    EXPECT_TRUE(contains(s, "\"seed\": 5")) << s;
    EXPECT_TRUE(contains(s, "\"config_toml\": \"[run]\\nname = \\\"tiny run\\\"\\nseed = 5\\n")) << s;
    // 20 per-episode rewards: 19 separators in the array.
    const size_t begin = s.find("\"episode_reward_per_vehicle\": [");
    ASSERT_NE(begin, std::string::npos) << s;
    const std::string rewards = s.substr(begin, s.find(']', begin) - begin);
    EXPECT_EQ(std::count(rewards.begin(), rewards.end(), ','), 19) << rewards;
}

TEST(Cli, PlainProgressWhenNotATerminal) {
    TempDir dir;
    const std::string cfg = dir.write("c.toml", kTinyConfig);
    const Result r = run_v2g("train " + cfg);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "train: 100%  50/50 episodes")) << r.output;
    EXPECT_FALSE(contains(r.output, "\r")) << "a bar for a pipe";
}

}  // namespace

namespace {

// `v2g sessions` writes what a model draws as a sessions CSV; the shipped example is such a
// file, and the example experiment trains on it from the repository root.
TEST(Cli, SessionsWritesTheDrawnSessionsAndTheExampleTrainsOnThem) {
    TempDir dir;
    const std::string config = dir.write("tiny.toml", kTinyConfig);
    Result r = run_v2g("sessions '" + config + "' --days 3");
    ASSERT_EQ(r.status, 0) << r.output;
    std::stringstream lines(r.output);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "vehicle,day,arrival_hour,departure_hour,trip_kwh");
    int rows = 0;
    while (std::getline(lines, line)) {
        ++rows;
        EXPECT_TRUE(contains(line, ",18,7,6.5")) << line;  // the fixed model's defaults
    }
    EXPECT_EQ(rows, 3 * 4);
    const std::string csv = dir.file("s.csv");
    r = run_v2g("sessions '" + config + "' --days 2 --out '" + csv + "'");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "2 days x 4 vehicles")) << r.output;
    // Read back by sessions.model = csv (tests/test_session_csv.cpp checks it trains the same).
    r = run_v2g("train '" + config + "' --episodes 1 --set sessions.model=csv --set sessions.csv='" + csv + "'");
    EXPECT_EQ(r.status, 0) << r.output;
    expect_bad_input(run_v2g("sessions '" + config + "' --days 0"), {"--days 0"});
    expect_bad_input(run_v2g("sessions '" + config + "' --set sessions.model=csv"), {"sessions.csv is empty"});
}

// The experiments that read the shipped data files, run from the repository root (their
// paths are relative to it), a few episodes each.
Result run_at_root(const std::string& args) {
    return run_v2g_in(std::string(V2G_SOURCE_DIR), args);
}

TEST(Cli, ExperimentsOnTheShippedDataFilesTrain) {
    Result r = run_at_root("train experiments/paper_sessions_csv.toml --episodes 20 --device cpu --quiet");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "sessions       experiments/sessions_paper_14days.csv has 14 days, repeated")) << r.output;
    r = run_at_root("train experiments/paper_citylearn.toml --episodes 20 --device cpu --quiet");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "held-out check")) << r.output;
}

}  // namespace
