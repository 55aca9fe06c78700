// cli.h: the `v2g` command line (subcommands, flags, progress display, summary output, exit
// statuses). main() only calls run_cli; tests drive the built binary.
#pragma once
#include <string>

namespace v2g {

// Parses argv, runs the subcommand and returns the process exit status: 0 success,
// 2 bad input (config, CSV, flags; one line on stderr), 1 internal failure.
int run_cli(int argc, char** argv);

// The one line the CLI prints for an error: "v2g: KIND: MESSAGE", on one line, long words cut
// in the middle to at most 200 characters (Python's ValueErrors carry the same line).
std::string error_line(const char* kind, std::string message);

}  // namespace v2g
