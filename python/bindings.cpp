// bindings.cpp: the pybind11 module `_v2g` (build/python/_v2g*.so): launch a training run
// from Python. It calls `v2g train`'s own function in process (v2g::cli::run_train), so config
// validation, error lines and the --summary JSON are the CLI's own, with no temporary file or
// argv in between. Python's v2g.train() uses it when it imports.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <toml++/toml.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/numpy.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/errors.h"
#include "common/text_format.h"
#include "config/config.h"
#include "env/observation.h"
#include "dqn/dqn.h"
#include "eval/evaluation.h"
#include "run/train_run.h"
#include "run/vector_env.h"

namespace py = pybind11;

namespace {


// ---------------------------------------------------------------- dict -> TOML

toml::array to_array(const py::handle& list, const std::string& key);

// One config value. bool is checked before int because Python's bool is an int.
template <typename Insert>
void insert_value(const py::handle& v, const std::string& key, Insert insert) {
    if (py::isinstance<py::bool_>(v)) insert(v.cast<bool>());
    else if (py::isinstance<py::int_>(v)) insert(v.cast<int64_t>());
    else if (py::isinstance<py::float_>(v)) insert(v.cast<double>());
    else if (py::isinstance<py::str>(v)) insert(v.cast<std::string>());
    else if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) insert(to_array(v, key));
    else throw py::value_error("config key " + key + ": unsupported value type " +
                               std::string(py::str(v.get_type().attr("__name__"))));
}

toml::array to_array(const py::handle& list, const std::string& key) {
    toml::array a;
    for (const py::handle& v : list) insert_value(v, key, [&a](auto x) { a.push_back(std::move(x)); });
    return a;
}

// {"learning": {"alpha": 0.1}} and {"learning.alpha": 0.1} both give [learning] alpha = 0.1.
std::string config_toml(const py::dict& config) {
    toml::table root;
    const auto table_of = [&root](const std::string& group) -> toml::table& {
        if (!root.contains(group)) root.insert(group, toml::table{});
        toml::table* t = root[group].as_table();
        if (!t) throw py::value_error("config key " + group + ": expected a table");
        return *t;
    };
    for (const auto& [k, v] : config) {
        const std::string key = py::str(k);
        if (py::isinstance<py::dict>(v)) {
            toml::table& t = table_of(key);
            for (const auto& [sk, sv] : v.cast<py::dict>()) {
                const std::string sub = py::str(sk);
                insert_value(sv, key + "." + sub, [&t, &sub](auto x) { t.insert_or_assign(sub, std::move(x)); });
            }
        } else if (const size_t dot = key.find('.'); dot != std::string::npos) {
            toml::table& t = table_of(key.substr(0, dot));
            const std::string sub = key.substr(dot + 1);
            insert_value(v, key, [&t, &sub](auto x) { t.insert_or_assign(sub, std::move(x)); });
        } else {
            throw py::value_error("config key '" + key + "': expected a table (dict) or group.key");
        }
    }
    std::ostringstream os;
    os << root << "\n";
    return os.str();
}

// ---------------------------------------------------------------- running `v2g train`

// Sends fd 1 to /dev/null while quiet (the CLI prints its human summary there).
class StdoutMute {
public:
    explicit StdoutMute(bool mute) {
        if (!mute) return;
        std::fflush(stdout);
        saved_ = dup(STDOUT_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    ~StdoutMute() {
        if (saved_ < 0) return;
        std::fflush(stdout);
        dup2(saved_, STDOUT_FILENO);
        close(saved_);
    }

private:
    int saved_ = -1;
};

// A flag of `args` (v2g.train(..., args=[...])) and the TrainArgs field it sets: the flags of
// `v2g train` that take a value, and those that do not.
struct ValueFlag {
    const char* flag;
    std::string v2g::cli::TrainArgs::*field;
};
constexpr ValueFlag kValueFlags[] = {
    {"--episodes", &v2g::cli::TrainArgs::episodes}, {"--seed", &v2g::cli::TrainArgs::seed},
    {"--threads", &v2g::cli::TrainArgs::threads},   {"--device", &v2g::cli::TrainArgs::device},
    {"--out", &v2g::cli::TrainArgs::out_path},      {"--ledger", &v2g::cli::TrainArgs::ledger_path},
    {"--summary", &v2g::cli::TrainArgs::summary_path}, {"--model-out", &v2g::cli::TrainArgs::model_out},
};
struct SwitchFlag {
    const char* flag;
    bool v2g::cli::TrainArgs::*field;
};
constexpr SwitchFlag kSwitchFlags[] = {{"--force", &v2g::cli::TrainArgs::force},
                                       {"--quiet", &v2g::cli::TrainArgs::quiet},
                                       {"--memory-plan", &v2g::cli::TrainArgs::memory_plan}};

// `args` into `t`, as `v2g train` parses them (--set repeatable, "--flag=value" or "--flag value").
void apply_train_flags(const std::vector<std::string>& args, v2g::cli::TrainArgs* t) {
    for (size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i], value;
        const size_t eq = flag.find('=');
        const bool inline_value = flag.rfind("--", 0) == 0 && eq != std::string::npos;
        if (inline_value) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        const auto take_value = [&]() -> std::string {
            if (inline_value) return value;
            if (i + 1 >= args.size()) throw v2g::InputError("args: " + flag + " needs a value");
            return args[++i];
        };
        if (flag == "--set") {
            t->sets.push_back(take_value());
            continue;
        }
        bool known = false;
        for (const ValueFlag& f : kValueFlags)
            if (flag == f.flag) {
                t->*f.field = take_value();
                known = true;
            }
        for (const SwitchFlag& f : kSwitchFlags)
            if (flag == f.flag && !inline_value) {
                t->*f.field = true;
                known = true;
            }
        if (!known)
            throw v2g::InputError("args: '" + args[i] + "' is not a flag of v2g train here (--set, --episodes, --seed, "
                                  "--threads, --device, --out, --ledger, --summary, --model-out, --force, --quiet, "
                                  "--memory-plan)");
    }
}

// `v2g train` in process on the TOML text `toml_text` (named `source` in errors: the user's
// file, or "<config dict>"): the CLI's own checks, run and summary, with no file or argv in
// between. Returns the summary JSON as a dict. Bad input -> ValueError with the CLI's one
// line; any other failure -> RuntimeError. An empty device: the config's run.device.
py::dict train_toml(const std::string& toml_text, const std::string& out, const std::string& device,
                    bool quiet, const std::vector<std::string>& extra, const std::string& source) {
    v2g::cli::TrainArgs args;
    args.config_text = &toml_text;
    args.config_name = source.empty() ? "<config>" : source;
    std::string summary, input_error, failure;
    int status = 0;
    {
        py::gil_scoped_release release;  // training can take long: let other Python threads run
        StdoutMute mute(quiet);
        try {
            apply_train_flags(extra, &args);
            if (!device.empty()) args.device = device;
            if (!out.empty()) args.out_path = out;
            args.quiet = args.quiet || quiet;
            args.summary_text = &summary;
            status = v2g::cli::run_train(args);
        } catch (const v2g::InputError& e) {
            input_error = e.what();
        } catch (const std::exception& e) {
            failure = e.what();
        }
    }
    if (!input_error.empty()) throw py::value_error(v2g::error_line("error", input_error));
    if (!failure.empty()) throw std::runtime_error(v2g::error_line("internal error", failure));
    if (status != 0 && summary.empty())
        throw std::runtime_error("v2g train stopped with status " + std::to_string(status));
    if (summary.empty()) return py::dict();  // --memory-plan: nothing trained
    return py::module_::import("json").attr("loads")(summary).cast<py::dict>();
}

// ---------------------------------------------------------------- the vector environment

// The CLI's one error line for bad input, as `v2g train` prints it.
[[noreturn]] void raise_input_error(const std::string& what) { throw py::value_error(v2g::error_line("error", what)); }

// A config from TOML text (`source` names it in errors), `group.key=value` overrides applied
// in order as --set applies them, then the seed; validated. Bad input: ValueError.
v2g::Config vector_env_config(const std::string& toml_text, const std::string& source,
                              const std::vector<std::string>& overrides, py::object seed) {
    try {
        v2g::Config cfg = v2g::load_config_text(toml_text, source);
        for (const std::string& o : overrides) v2g::apply_override(&cfg, o);
        if (!seed.is_none()) v2g::apply_flag(&cfg, "seed", "run.seed", std::to_string(seed.cast<int64_t>()));
        v2g::validate(cfg);
        return cfg;
    } catch (const v2g::InputError& e) {
        raise_input_error(e.what());
    }
}

// A view of `count` x `width` values the env owns (valid until its next step), read-only:
// the env is the array's base, so the env lives as long as a view of it.
template <typename T>
py::array view(const T* data, int count, int width, py::handle owner) {
    std::vector<py::ssize_t> shape = {count}, strides = {static_cast<py::ssize_t>(sizeof(T) * width)};
    if (width > 1) {
        shape.push_back(width);
        strides.push_back(sizeof(T));
    }
    py::array a(py::dtype::of<T>(), shape, strides, data, owner);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

py::dict day_metrics(const v2g::VectorEnv& env) {
    const v2g::EpisodeMetrics& m = env.day_metrics();
    const double n = env.num_envs();
    py::dict d;
#define V2G_DAY_METRIC(member, type, merge, column, per, units, meaning) \
    if (column) d[column] = static_cast<double>(m.member) / (v2g::k##per ? n : 1.0);
    V2G_EPISODE_METRICS(V2G_DAY_METRIC)
#undef V2G_DAY_METRIC
    d["tx_count"] = m.tx_count;
    return d;
}

// ---------------------------------------------------------------- evaluating an outside policy

// The engine's chooser for a Python callable: policy(observations (n, 12) float32, a read-only
// view) -> actions (n,) integers in 0..4. Runs with the GIL held; a Python exception or a bad
// return stops the evaluation and reaches the caller.
v2g::ActionChooser python_chooser(py::object policy) {
    return [policy](const float* observations, int n, uint8_t* actions) {
        py::gil_scoped_acquire gil;
        py::capsule no_owner(observations, [](void*) {});
        py::array obs(py::dtype::of<float>(), {n, static_cast<int>(v2g::kObservationSize)}, {}, observations, no_owner);
        py::detail::array_proxy(obs.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
        const py::array chosen = py::array::ensure(policy(obs));
        if (!chosen || chosen.ndim() != 1 || chosen.shape(0) != n)
            throw py::value_error("policy: expected actions of shape (" + std::to_string(n) + ",) for observations (" +
                                  std::to_string(n) + ", " + std::to_string(v2g::kObservationSize) + ")");
        if (chosen.dtype().kind() != 'i' && chosen.dtype().kind() != 'u')
            throw py::value_error("policy: expected integer actions, got dtype " + std::string(py::str(chosen.dtype())));
        const auto a = chosen.cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
        const int64_t* x = a.data();
        for (int v = 0; v < n; ++v) {
            if (x[v] < 0 || x[v] >= v2g::kNumActions)
                throw py::value_error("policy: action " + std::to_string(x[v]) + " for vehicle " + std::to_string(v) +
                                      " is outside 0.." + std::to_string(v2g::kNumActions - 1));
            actions[v] = static_cast<uint8_t>(x[v]);
        }
    };
}

// `v2g eval RUN` (writing /evaluation into it), with an outside policy scored as the row
// `external` when `policy` is a callable or the path of a TorchScript module. Returns the
// fault-free means over the days: {"policies": [...], "metrics": {name: [per policy]},
// "score": ..., "external_score": ...}.
py::dict evaluate_run(const std::string& run_path, py::object policy, const std::string& days,
                      const std::string& faults, const std::vector<std::string>& sets) {
    v2g::EvaluationResult r;
    try {
        const v2g::Config cfg = v2g::eval_config(run_path, sets, days, faults, "", "");
        v2g::ExternalPolicy external{v2g::kExternalPolicyName, {}};
        if (py::isinstance<py::str>(policy)) external.choose = v2g::load_script_policy(policy.cast<std::string>());
        else if (!policy.is_none()) external.choose = python_chooser(policy);
        py::gil_scoped_release release;
        r = v2g::evaluate_results_file(run_path, cfg, {}, false, external.choose ? &external : nullptr);
    } catch (const v2g::InputError& e) {
        raise_input_error(e.what());
    }
    const v2g::ScenarioResult& base = r.scenarios.front();
    py::dict out;
    out["policies"] = r.policies;
    out["days"] = r.days;
    out["first_episode"] = r.first_episode;
    py::dict metrics;
    for (int k = 0; k < v2g::kMetricCount; ++k) {
        py::list per_policy;
        for (size_t p = 0; p < r.policies.size(); ++p) per_policy.append(v2g::mean_over_days(base.metrics[p], k));
        metrics[v2g::metric_table()[k].name] = per_policy;
    }
    out["metrics"] = metrics;
    out["score"] = base.score;
    out["external_score"] = base.external_score;
    return out;
}

}  // namespace

PYBIND11_MODULE(_v2g, m) {
    m.doc() = "v2g training from Python: the CLI's `v2g train` with a config dict (see python/README.md)";
    m.def("train",
          [](const py::dict& config, const std::string& out, const std::string& device, bool quiet,
             const std::vector<std::string>& args) {
              return train_toml(config_toml(config), out, device, quiet, args, "<config dict>");
          },
          py::arg("config"), py::arg("out") = "", py::arg("device") = "", py::arg("quiet") = true,
          py::arg("args") = std::vector<std::string>{},
          "Train a run from a config dict ({'learning': {'alpha': 0.1}, ...}); out: the HDF5 results "
          "file ('' for none). Returns the --summary JSON as a dict. ValueError on bad input (exit 2), "
          "RuntimeError on an internal failure (exit 1); the message is the CLI's error line.");
    m.def("train_toml", &train_toml, py::arg("toml"), py::arg("out") = "", py::arg("device") = "",
          py::arg("quiet") = true, py::arg("args") = std::vector<std::string>{}, py::arg("source") = "",
          "As train(), from the text of a TOML config; errors name it `source`.");
    m.def("config_toml", &config_toml, py::arg("config"), "The TOML text train() writes for a config dict.");
    py::class_<v2g::VectorEnv>(m, "VectorEnvCore",
                               "The engine stepped by an outside agent (python/v2g/vector_env.py wraps it).")
        .def(py::init([](const std::string& toml_text, const std::string& source,
                         const std::vector<std::string>& overrides, py::object seed, const std::string& out) {
                 const v2g::Config cfg = vector_env_config(toml_text, source, overrides, seed);
                 try {
                     py::gil_scoped_release release;
                     return std::make_unique<v2g::VectorEnv>(cfg, out, toml_text);
                 } catch (const v2g::InputError& e) {
                     raise_input_error(e.what());
                 }
             }),
             py::arg("toml"), py::arg("source"), py::arg("overrides") = std::vector<std::string>{},
             py::arg("seed") = py::none(), py::arg("out") = "")
        .def_property_readonly("days_planned", &v2g::VectorEnv::days_planned)
        .def("close", [](v2g::VectorEnv& env) {
            py::gil_scoped_release release;
            env.close();
        })
        .def_property_readonly("num_envs", &v2g::VectorEnv::num_envs)
        .def_property_readonly("steps_per_day", &v2g::VectorEnv::steps_per_day)
        .def_property_readonly("episode", &v2g::VectorEnv::episode)
        .def_property_readonly("step_index", &v2g::VectorEnv::step_index)
        .def_property_readonly("days_finished", &v2g::VectorEnv::days_finished)
        .def("reset",
             [](v2g::VectorEnv& env, int episode) {
                 py::gil_scoped_release release;
                 env.reset(episode);
             },
             py::arg("episode"))
        .def("step",
             [](v2g::VectorEnv& env, py::array_t<uint8_t, py::array::c_style> actions) {
                 if (actions.ndim() != 1 || actions.shape(0) != env.num_envs())
                     throw py::value_error("actions: expected shape (" + std::to_string(env.num_envs()) + ",)");
                 const uint8_t* a = actions.data();
                 py::gil_scoped_release release;
                 return env.step(a);
             },
             py::arg("actions"), "Runs one step with uint8 actions (checked by the caller); True at the day's end.")
        .def("observations", [](py::object self) {
            const auto& env = self.cast<const v2g::VectorEnv&>();
            return view(env.observations(), env.num_envs(), v2g::kObservationSize, self);
        })
        .def("rewards", [](py::object self) {
            const auto& env = self.cast<const v2g::VectorEnv&>();
            return view(env.rewards(), env.num_envs(), 1, self);
        })
        .def("reward_terms", [](py::object self) {
            const auto& env = self.cast<const v2g::VectorEnv&>();
            return view(env.reward_terms(), env.num_envs(), v2g::kNumRewardTerms, self);
        })
        .def("action_mask", [](py::object self) {
            const auto& env = self.cast<const v2g::VectorEnv&>();
            return view(env.action_mask(), env.num_envs(), v2g::kNumActions, self);
        })
        .def("day_metrics", &day_metrics, "The last finished day's fleet metrics, per vehicle as /episodes has them.")
        .def("day_merkle_root", [](const v2g::VectorEnv& env) {
            const v2g::EpisodeLedger& l = env.day_ledger();
            return py::bytes(reinterpret_cast<const char*>(l.tx_root), sizeof l.tx_root);
        });
    {
        py::list names;
        for (const char* name : v2g::kObservationFeatureNames) names.append(name);
        m.attr("OBSERVATION_FEATURES") = names;
    }
    m.attr("NUM_ACTIONS") = static_cast<int>(v2g::kNumActions);
    m.def("evaluate", &evaluate_run, py::arg("run"), py::arg("policy") = py::none(), py::arg("days") = "",
          py::arg("faults") = "", py::arg("sets") = std::vector<std::string>{},
          "v2g eval RUN (writes /evaluation): the learned policy, the yardsticks and the oracle, and `policy` "
          "(a callable observations -> actions, or a TorchScript path) as the row 'external'.");
    // The exit statuses of every v2g command (v2g/errors.py has the same, checked by the tests).
    m.attr("EXIT_FAILURE") = static_cast<int>(v2g::kExitFailure);
    m.attr("EXIT_BAD_INPUT") = static_cast<int>(v2g::kExitBadInput);
    m.attr("__version__") = V2G_VERSION;
}
