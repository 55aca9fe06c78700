// dqn_loader.cpp: the DQN entry points of dqn.h in a build with LibTorch. The DQN itself is a
// shared library, libv2g_dqn.so (dqn/dqn.cpp), loaded on first use: linking LibTorch into
// the v2g binary would make every command (`v2g ledger root`, `v2g verify`, ...) pay its
// start-up, ~0.4 s, for a learner most runs do not use.
#include <dlfcn.h>
#include <cstdlib>
#include <limits.h>
#include <unistd.h>
#include <mutex>
#include <string>
#include "dqn/dqn.h"
#include "common/errors.h"

namespace v2g {
namespace {

constexpr const char* kLibraryName = "libv2g_dqn.so";

struct Library {
    Backend* (*make)(const Config*, Problem*) = nullptr;
    void (*q_values)(Backend*, const std::vector<float>*, std::vector<float>*) = nullptr;
    float (*price_scale)(Backend*) = nullptr;
    void (*export_model)(Backend*, const std::string*) = nullptr;
    void (*script_policy)(const std::string*, ActionChooser*) = nullptr;
    std::string error;  // why it could not be loaded
};

// The directory of the file this code is in: the v2g binary, or the Python module _v2g
// (build/python/), whose parent holds the library in a build tree.
std::string this_object_dir() {
    Dl_info info;
    if (!dladdr(reinterpret_cast<void*>(&this_object_dir), &info) || !info.dli_fname) return "";
    char resolved[PATH_MAX];
    if (!realpath(info.dli_fname, resolved)) return "";
    std::string s(resolved);
    return s.substr(0, s.rfind('/') + 1);
}

// The directory of the running executable, where the build puts the library too.
std::string executable_dir() {
    char path[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return "";
    path[n] = '\0';
    std::string s(path);
    return s.substr(0, s.rfind('/') + 1);
}

template <typename F>
void bind(void* handle, const char* name, F* out, std::string* error) {
    *out = reinterpret_cast<F>(dlsym(handle, name));
    if (!*out && error->empty()) *error = std::string("missing symbol ") + name;
}

const Library& library() {
    static Library lib;
    static std::once_flag once;
    std::call_once(once, [] {
        // Next to the executable (build/, or wherever v2g was installed with it), then the
        // loader's search path (LD_LIBRARY_PATH; tests that link it have it loaded already).
        void* handle = dlopen((executable_dir() + kLibraryName).c_str(), RTLD_NOW | RTLD_LOCAL);
        // From Python: beside the module _v2g, or one folder up (build/ for build/python/).
        if (!handle) handle = dlopen((this_object_dir() + kLibraryName).c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) handle = dlopen((this_object_dir() + "../" + kLibraryName).c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) handle = dlopen(kLibraryName, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* e = dlerror();
            lib.error = std::string("cannot load ") + kLibraryName + " (" + (e ? e : "not found") + ")";
            return;
        }
        bind(handle, "v2g_dqn_make_backend", &lib.make, &lib.error);
        bind(handle, "v2g_dqn_q_values", &lib.q_values, &lib.error);
        bind(handle, "v2g_dqn_price_scale", &lib.price_scale, &lib.error);
        bind(handle, "v2g_dqn_export", &lib.export_model, &lib.error);
        bind(handle, "v2g_dqn_script_policy", &lib.script_policy, &lib.error);
    });
    return lib;
}

const Library& loaded(const char* what) {
    const Library& lib = library();
    if (!lib.error.empty()) throw InputError(std::string(what) + ": the DQN library is unavailable: " + lib.error);
    return lib;
}

}  // namespace

void require_dqn(const std::string& what) { loaded(what.c_str()); }

std::unique_ptr<Backend> make_dqn_backend(const Config& cfg, Problem problem) {
    return std::unique_ptr<Backend>(loaded("learning.policy = 'dqn'").make(&cfg, &problem));
}

void export_dqn_model(Backend& dqn_backend, const std::string& path) {
    loaded("--model-out").export_model(&dqn_backend, &path);
}

std::vector<float> dqn_q_values(Backend& dqn_backend, const std::vector<float>& observations) {
    std::vector<float> q;
    loaded("dqn").q_values(&dqn_backend, &observations, &q);
    return q;
}

float dqn_price_scale(Backend& dqn_backend) { return loaded("dqn").price_scale(&dqn_backend); }

ActionChooser load_script_policy(const std::string& path) {
    ActionChooser choose;
    loaded(("--policy " + path).c_str()).script_policy(&path, &choose);
    return choose;
}

}  // namespace v2g
