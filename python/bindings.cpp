// bindings.cpp: the pybind11 module `_v2g` (build/python/_v2g*.so): launch a training run
// from Python. It drives the very CLI the binary runs (v2g::run_cli), so flags, config
// validation, error lines and the --summary JSON are the CLI's own; only the config file
// and the summary file are temporary. Python's v2g.train() uses it when it imports.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <toml++/toml.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pybind11/numpy.h>

#include "cli/cli.h"
#include "common/errors.h"
#include "common/text_format.h"
#include "config/config.h"
#include "env/observation.h"
#include "dqn/dqn.h"
#include "eval/evaluation.h"
#include "run/train_run.h"
#include "run/vector_env.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

constexpr int kExitBadInput = 2;

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

// ---------------------------------------------------------------- running the CLI

// Sends fd 2 into a pipe for the duration of the run; a thread collects it (for the error
// message) and, when not quiet, passes it on to the real stderr so progress stays live.
class StderrTee {
public:
    explicit StderrTee(bool echo) : echo_(echo) {
        int p[2];
        if (pipe(p) != 0) throw std::runtime_error("v2g: cannot create a pipe for stderr");
        std::fflush(stderr);
        saved_ = dup(STDERR_FILENO);
        dup2(p[1], STDERR_FILENO);
        close(p[1]);
        reader_ = std::thread([this, r = p[0]] {
            char buf[4096];
            ssize_t n;
            while ((n = read(r, buf, sizeof buf)) > 0) {
                text_.append(buf, static_cast<size_t>(n));
                if (echo_) (void)!write(saved_, buf, static_cast<size_t>(n));
            }
            close(r);
        });
    }
    // Restores fd 2 (the pipe's last writer goes away, so the reader sees EOF) and returns
    // everything written.
    std::string finish() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            dup2(saved_, STDERR_FILENO);
            close(saved_);
            saved_ = -1;
            reader_.join();
        }
        return text_;
    }
    ~StderrTee() { finish(); }

private:
    bool echo_;
    int saved_ = -1;
    std::string text_;
    std::thread reader_;
};

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

// The CLI's last "v2g..." line (its one error line), else the last line.
std::string error_line(const std::string& text, int status) {
    std::string last, last_v2g;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        last = line;
        if (line.rfind("v2g", 0) == 0) last_v2g = line;
    }
    if (!last_v2g.empty()) return last_v2g;
    return last.empty() ? "v2g train exited with status " + std::to_string(status) : last;
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "v2g-train-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("v2g: cannot create a temporary directory");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Every mention of `from` in `text` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); !from.empty() && at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// `v2g train TMP.toml [--out OUT] [--device DEVICE] [--quiet] --summary TMP.json ARGS...`;
// returns the summary JSON as a dict. Exit 2 -> ValueError, other failures -> RuntimeError.
// Errors name the config as `source` (the user's file, or "<config dict>"), never the
// temporary file. An empty device: the config's run.device, as the CLI.
py::dict train_toml(const std::string& toml_text, const std::string& out, const std::string& device,
                    bool quiet, const std::vector<std::string>& extra, const std::string& source) {
    TempDir tmp;
    const std::string config_path = (tmp.path / "config.toml").string();
    const std::string summary_path = (tmp.path / "summary.json").string();
    {
        std::ofstream f(config_path);
        f << toml_text;
        if (!f) throw std::runtime_error("v2g: cannot write " + config_path);
    }
    std::vector<std::string> args = {"v2g", "train", config_path, "--summary", summary_path};
    if (!device.empty()) args.insert(args.end(), {"--device", device});
    if (!out.empty()) args.insert(args.end(), {"--out", out});
    if (quiet) args.push_back("--quiet");
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int status;
    std::string err;
    {
        py::gil_scoped_release release;  // training can take long: let other Python threads run
        StdoutMute mute(quiet);
        StderrTee tee(!quiet);
        status = v2g::run_cli(static_cast<int>(args.size()), argv.data());
        err = tee.finish();
    }
    if (!source.empty()) err = replaced(err, config_path, source);
    if (status == kExitBadInput) throw py::value_error(error_line(err, status));
    if (status != 0) throw std::runtime_error(error_line(err, status));

    std::ifstream f(summary_path);
    std::stringstream json;
    json << f.rdbuf();
    return py::module_::import("json").attr("loads")(json.str()).cast<py::dict>();
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
