// train_run.cpp: see train_run.h.
#include "run/train_run.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include "dqn/dqn.h"
#include "common/errors.h"
#include "problem/problem.h"
#include "results/results.h"

namespace v2g {

namespace {
// The DQN has no GPU path yet (docs/DQN.md): --device cuda is refused, auto falls back.
DeviceChoice device_for(const Config& cfg) {
    DeviceChoice device = choose_device(cfg.run.device);
    if (cfg.learning.policy == LearnerPolicy::dqn && device.device == ComputeDevice::cuda) {
        if (cfg.run.device == ComputeDevice::cuda)
            throw InputError("--device cuda: the DQN runs on the CPU in this version");
        device = {ComputeDevice::cpu, "the DQN runs on the CPU in this version"};
    }
    return device;
}
}  // namespace

TrainRunResult run_training(const Config& cfg, const TrainRunOptions& opt) {
    const bool resuming = !opt.resume_path.empty();
    const bool dqn = cfg.learning.policy == LearnerPolicy::dqn;
    if (!opt.model_out.empty() && !dqn)
        throw InputError("--model-out " + opt.model_out + ": only a DQN run (learning.policy = \"dqn\") has a network to export");
    if (dqn) require_dqn("learning.policy = 'dqn'");
    if (!opt.ledger_path.empty() && !cfg.ledger.enabled)
        throw InputError("--ledger " + opt.ledger_path + ": the ledger is off (ledger.enabled = false)");

    if (!opt.ledger_path.empty()) {
        // The ledger file is opened when training starts: an unwritable path fails now, as
        // bad input, and a probe leaves no file behind.
        std::error_code ec;
        const bool existed = std::filesystem::exists(opt.ledger_path, ec);
        std::FILE* probe = std::fopen(opt.ledger_path.c_str(), "ab");
        if (!probe) throw InputError("--ledger " + opt.ledger_path + ": cannot write the ledger file");
        std::fclose(probe);
        if (!existed) std::remove(opt.ledger_path.c_str());
    }
    const DeviceChoice device = device_for(cfg);
    // The problem is built before the device line is printed, so a bad CSV (InputError from
    // the signal loader) is the only line on stderr.
    Problem problem = build_problem(cfg);
    const EnvParams params = problem.params;
    LedgerOutput ledger{opt.ledger_path, problem.contracts, run_id_of(cfg)};
    RunInfo info;
    info.input_toml = opt.input_toml;
    info.device = choice_name(device.device);
    info.device_reason = device.reason;
    const std::vector<Contract> contracts = problem.contracts;
    std::vector<char> signal_buffer = problem.signals;  // for the results file's traced day
    Trainer trainer(cfg, params,
                    opt.backend_factory ? opt.backend_factory(std::move(problem))
                    : dqn               ? make_dqn_backend(cfg, std::move(problem))
                                        : make_backend(device, std::move(problem), cfg.run.threads, cfg.run.adaptive_threads),
                    std::move(ledger));
    info.backend = trainer.backend().name();

    // The results file: created now (an unwritable path fails before training), or reopened.
    // The notices follow, so that bad input (a CSV, a damaged file) is the only line on stderr.
    std::unique_ptr<ResultsWriter> results;
    int resumed_at = -1;
    if (resuming) {
        ResumeState state = read_resume_state(opt.resume_path, params);
        resumed_at = state.next_episode;
        results = std::make_unique<ResultsWriter>(opt.resume_path, cfg, params, contracts, info, state);
        trainer.resume_from(std::move(state));
    } else if (!opt.out_path.empty()) {
        results = std::make_unique<ResultsWriter>(opt.out_path, cfg, params, contracts, info);
    }
    if (opt.notices) {
        std::fprintf(stderr, "device: %s (%s)\n", choice_name(device.device), device.reason.c_str());
        if (resuming)
            std::fprintf(stderr, "resume: %s from episode %d of %d\n", opt.resume_path.c_str(), resumed_at,
                         cfg.run.episodes);
    }
    if (results) {
        trainer.set_results(results.get(), SnapshotStrides{cfg.results.vehicle_stride, cfg.results.q_stride,
                                                           cfg.results.checkpoint_every});
        if (opt.day_trace) trainer.set_day_trace(std::move(signal_buffer), cfg.time.day_start_hour);
    }
    if (opt.chunk_per_episode) trainer.set_max_chunk_episodes(1);
    trainer.set_stop_flag(opt.stop);
    TrainRunResult out;
    out.device = device;
    out.summary = trainer.train(opt.on_progress);
    if (results) results->finish(out.summary.interrupted ? "interrupted" : "finished");
    if (opt.training_check && cfg.evaluation.check_days > 0 && !out.summary.interrupted &&
        out.summary.episodes_done == cfg.run.episodes) {
        std::vector<char> fleet, learner;
        trainer.backend().read_fleet(&fleet);
        trainer.backend().save_learner(&learner);
        out.check = run_training_check(cfg, fleet, cfg.run.episodes, device, learner, opt.on_check_progress);
        out.checked = true;
    }
    if (!opt.model_out.empty()) export_dqn_model(trainer.backend(), opt.model_out);
    return out;
}

Config eval_config(const std::string& run_path, const std::vector<std::string>& sets, const std::string& days,
                   const std::string& faults, const std::string& device, const std::string& threads) {
    const ResultsSummary saved = read_results_summary(run_path);
    if (saved.status != "finished" && saved.status != "interrupted")
        throw InputError(run_path + ": status '" + saved.status +
                         "': still training, or killed (continue it with v2g train --resume first)");
    Config cfg = load_config_text(saved.effective_toml, run_path + ":/config/effective_toml");
    for (const std::string& s : sets) {
        if (s.rfind("evaluation.", 0) != 0)
            throw InputError("--set " + s + ": eval takes only evaluation.* keys (the run's own config is fixed)");
        apply_override(&cfg, s);
    }
    apply_flag(&cfg, "--days", "evaluation.days", days);
    if (!faults.empty()) apply_override(&cfg, "evaluation.faults=" + quoted_string(faults));  // a bare list needs quotes
    apply_flag(&cfg, "--device", "run.device", device);
    apply_flag(&cfg, "--threads", "run.threads", threads);
    validate(cfg);
    return cfg;
}

EvaluationResult evaluate_results_file(const std::string& run_path, const Config& cfg,
                                       const std::function<void(const EvalProgress&)>& on_progress, bool notices,
                                       const ExternalPolicy* external) {
    const DeviceChoice device = device_for(cfg);
    const EnvParams params = build_problem(cfg).params;
    ResumeState trained = read_resume_state(run_path, params);
    if (trained.fleet.empty()) throw InputError(run_path + ": has no checkpoint of the trained state to evaluate");
    if (notices) {
        std::fprintf(stderr, "device: %s (%s)\n", choice_name(device.device), device.reason.c_str());
        std::fprintf(stderr, "eval: %s after %d episodes, %d days from episode %d, faults: %s\n", run_path.c_str(),
                     trained.next_episode, cfg.evaluation.days, trained.next_episode, cfg.evaluation.faults.c_str());
    }
    EvaluationResult r =
        run_evaluation(cfg, trained.fleet, trained.next_episode, device, on_progress, trained.learner, external);
    write_evaluation(run_path, r);
    return r;
}

}  // namespace v2g
