// bindings.cpp: the pybind11 module `_v2g` (build/python/_v2g*.so): launch a training run
// from Python. It drives the very CLI the binary runs (v2g::run_cli), so flags, config
// validation, error lines and the --summary JSON are the CLI's own; only the config file
// and the summary file are temporary. Python's v2g.train() uses it when it imports.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <toml++/toml.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"

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

// `v2g train TMP.toml [--out OUT] --device DEVICE [--quiet] --summary TMP.json ARGS...`;
// returns the summary JSON as a dict. Exit 2 -> ValueError, other failures -> RuntimeError.
py::dict train_toml(const std::string& toml_text, const std::string& out, const std::string& device,
                    bool quiet, const std::vector<std::string>& extra) {
    TempDir tmp;
    const std::string config_path = (tmp.path / "config.toml").string();
    const std::string summary_path = (tmp.path / "summary.json").string();
    {
        std::ofstream f(config_path);
        f << toml_text;
        if (!f) throw std::runtime_error("v2g: cannot write " + config_path);
    }
    std::vector<std::string> args = {"v2g", "train", config_path, "--device", device, "--summary", summary_path};
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
    if (status == kExitBadInput) throw py::value_error(error_line(err, status));
    if (status != 0) throw std::runtime_error(error_line(err, status));

    std::ifstream f(summary_path);
    std::stringstream json;
    json << f.rdbuf();
    return py::module_::import("json").attr("loads")(json.str()).cast<py::dict>();
}

}  // namespace

PYBIND11_MODULE(_v2g, m) {
    m.doc() = "v2g training from Python: the CLI's `v2g train` with a config dict (see python/README.md)";
    m.def("train",
          [](const py::dict& config, const std::string& out, const std::string& device, bool quiet,
             const std::vector<std::string>& args) { return train_toml(config_toml(config), out, device, quiet, args); },
          py::arg("config"), py::arg("out") = "", py::arg("device") = "cpu", py::arg("quiet") = true,
          py::arg("args") = std::vector<std::string>{},
          "Train a run from a config dict ({'learning': {'alpha': 0.1}, ...}); out: the HDF5 results "
          "file ('' for none). Returns the --summary JSON as a dict. ValueError on bad input (exit 2), "
          "RuntimeError on an internal failure (exit 1); the message is the CLI's error line.");
    m.def("train_toml", &train_toml, py::arg("toml"), py::arg("out") = "", py::arg("device") = "cpu",
          py::arg("quiet") = true, py::arg("args") = std::vector<std::string>{},
          "As train(), from the text of a TOML config.");
    m.def("config_toml", &config_toml, py::arg("config"), "The TOML text train() writes for a config dict.");
    m.attr("__version__") = V2G_VERSION;
}
