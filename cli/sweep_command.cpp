// sweep_command.cpp: `v2g sweep` (a grid of configurations, sharded by hand or by a Slurm job
// array, with its progress display) and `v2g merge` (shards into one file).
#include "cli/commands.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/text_format.h"

namespace v2g::cli {

// ---------------------------------------------------------------- sweep

// Slurm job arrays: task i of n runs shard i/n, read from the environment when --shard is not
// given. The array must be contiguous (e.g. --array=0-3): the shard is ID - MIN.
bool shard_from_slurm(int* shard, int* shards) {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) return false;
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    const long first = min ? std::atol(min) : 0;
    const std::string text = std::to_string(std::atol(id) - first) + "/" + count;
    parse_shard(text, "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT =", shard, shards);
    return true;
}

class SweepDisplay {
public:
    explicit SweepDisplay(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}
    void operator()(const SweepProgress& p) {
        if (quiet_) return;
        const auto now = std::chrono::steady_clock::now();
        const double since = std::chrono::duration<double>(now - last_).count();
        const bool milestone = p.stage == "done";
        if (!milestone && printed_ && since < (tty_ ? kTtyRefreshS : kPlainIntervalS)) return;
        last_ = now;
        printed_ = true;
        std::string line = strprintf("%d/%d configurations", p.done, p.total);
        if (!p.id.empty())
            line += strprintf("  %s %s", p.id.c_str(),
                              p.stage == "train" ? strprintf("episode %d/%d", p.episode, p.episodes).c_str()
                                                 : p.stage.c_str());
        line += strprintf("  %s env-steps/s  elapsed %s  ETA %s", human_rate(p.env_steps_per_s).c_str(),
                          human_duration(p.elapsed_s).c_str(), human_duration(p.eta_s).c_str());
        if (tty_) std::fprintf(stderr, "\r[sweep] %s\x1b[K", line.c_str());
        else std::fprintf(stderr, "sweep: %s\n", line.c_str());
        std::fflush(stderr);
    }
    void end() {
        if (!quiet_ && tty_ && printed_) std::fprintf(stderr, "\n");
    }

private:
    bool quiet_, tty_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point last_{};
};

void print_sweep_plan(const SweepSpec& spec, int shard, int shards) {
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), shard, shards);
    std::printf("sweep          %s: %zu configurations (base %s%s)\n", spec.name.c_str(), spec.configs.size(),
                spec.base_path.c_str(), spec.evaluate ? ", each evaluated" : "");
    if (shards > 1) std::printf("shard          %d/%d: configurations %d..%d\n", shard, shards, range.begin, range.end - 1);
    for (const std::string& a : spec.fixed) std::printf("fixed          %s\n", a.c_str());
    for (int i = range.begin; i < range.end; ++i) {
        const SweepConfig& c = spec.configs[i];
        std::printf("%-14s %s  (%d episodes, %d vehicles, %s)\n", c.id.c_str(), describe_values(spec, c).c_str(),
                    c.config.run.episodes, c.config.fleet.vehicles, choice_name(c.config.learning.policy));
    }
}

int run_sweep_command(const SweepArgs& args) {
    const bool resuming = !args.resume_path.empty();
    SweepSpec spec;
    int shard = 0, shards = 1;
    std::string out_path;
    if (resuming) {
        if (!args.sweep_path.empty() || !args.out_path.empty() || !args.shard.empty() || args.list)
            throw InputError("--resume " + args.resume_path + ": takes the sweep file's own sweep and shard; only "
                             "--device, --threads, --batch and --quiet may be given");
        const SweepFile saved = read_sweep_file(args.resume_path);
        spec = load_sweep_text(saved.sweep_text, saved.sweep_path, saved.base_text, saved.base_path);
        shard = saved.shard;
        shards = saved.shards;
        out_path = args.resume_path;
    } else {
        if (args.sweep_path.empty()) throw InputError("sweep: a SWEEP.toml file (or --resume OUT.h5) is required");
        spec = load_sweep(args.sweep_path);
        if (!args.shard.empty()) parse_shard(args.shard, "--shard", &shard, &shards);
        else if (shard_from_slurm(&shard, &shards))
            std::fprintf(stderr, "shard: %d/%d (from the Slurm job array)\n", shard, shards);
        if (args.list) {
            print_sweep_plan(spec, shard, shards);
            return 0;
        }
        if (args.out_path.empty()) throw InputError("sweep: --out OUT.h5 is required (or --list)");
        out_path = shard_file_name(args.out_path, shard, shards);
        check_new_sweep_output(out_path);
    }
    SweepRunOptions options;
    options.out_path = out_path;
    options.shard = shard;
    options.shards = shards;
    options.resume = resuming;
    options.device = args.device;
    options.threads = args.threads;
    if (args.batch < 1) throw InputError("--batch " + std::to_string(args.batch) + ": must be at least 1");
    options.batch = args.batch;
    StopOnSignals signals;
    options.stop = &g_stop_requested;
    SweepDisplay display(args.quiet);
    options.on_progress = [&display](const SweepProgress& p) { display(p); };
    const ShardRange range = shard_range(static_cast<int>(spec.configs.size()), shard, shards);
    std::fprintf(stderr, "sweep: %s, configurations %d..%d of %zu%s -> %s\n", spec.name.c_str(), range.begin,
                 range.end - 1, spec.configs.size(), resuming ? " (resumed)" : "", out_path.c_str());
    const SweepOutcome outcome = run_sweep(spec, options);
    display.end();

    // The table: every row of the shard, or the best ones when there are many, by the evaluated
    // money when the sweep evaluates, else by the final reward.
    const SweepFile file = read_sweep_file(out_path);
    const std::vector<std::string> names = sweep_metric_names(spec.evaluate);
    const std::string rank_by = spec.evaluate ? "learned_money_per_vehicle" : "reward_last";
    const size_t key = std::find(names.begin(), names.end(), rank_by) - names.begin();
    std::vector<int> order(file.rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    constexpr size_t kShownRows = 20;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const double va = file.rows[a].metrics[key], vb = file.rows[b].metrics[key];
        return std::isfinite(va) && (!std::isfinite(vb) || va > vb);
    });
    if (order.size() > kShownRows) order.resize(kShownRows);
    std::printf("sweep          %s: %d of %d configurations done (%d this session, %s)\n", spec.name.c_str(),
                outcome.kept + outcome.trained, outcome.configs, outcome.trained, human_duration(outcome.seconds).c_str());
    std::vector<std::string> shown = {"reward_last"};
    if (spec.evaluate) shown.push_back(rank_by);
    print_sweep_rows(spec, file, order, shown);
    std::printf("results        %s (runs table /runs; each run's results in %s/)\n", out_path.c_str(),
                sweep_runs_dir(out_path).c_str());
    if (outcome.interrupted) {
        std::fprintf(stderr, "interrupted: continue with v2g sweep --resume %s\n", out_path.c_str());
        return 128 + g_stop_signal.load();
    }
    return 0;
}

int run_merge_command(const std::string& out_path, const std::vector<std::string>& shards) {
    const MergeReport r = merge_sweep_files(out_path, shards);
    std::printf("merged         %d shards, %d of %d configurations -> %s (virtual datasets: nothing copied)\n",
                r.shards, r.runs, r.configs, out_path.c_str());
    if (!r.missing.empty()) {
        std::string list;
        for (const std::string& m : r.missing) list += (list.empty() ? "" : ", ") + m;
        std::fprintf(stderr, "merge: shards missing: %s (merge again when they are done)\n", list.c_str());
    }
    return 0;
}

}  // namespace v2g::cli
