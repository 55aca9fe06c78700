// cli_test_helpers.h: running a command, the built `v2g` binary (V2G_CLI) above all, from a
// test: its exit status and what it printed. Shared by the end-to-end tests of the CLI.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace v2g::testing {

struct CommandResult {
    int status;          // exit status, or -1 when the command did not start or exit normally
    std::string output;  // its stdout (with stderr where the command line merges it)
};

// Runs `command` through the shell and collects its stdout.
inline CommandResult run_command(const std::string& command) {
    CommandResult r{-1, ""};
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
    const int raw = pclose(pipe);
    if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
    return r;
}

#ifdef V2G_CLI
// `v2g ARGS` (a shell fragment), stdout and stderr together.
inline CommandResult run_v2g(const std::string& args) {
    return run_command(std::string("'") + V2G_CLI + "' " + args + " 2>&1");
}
#endif

}  // namespace v2g::testing
