// cli.h: the `v2g` command line (subcommands, flags, progress display, summary output, exit
// statuses). main() only calls run_cli; tests drive the built binary.
#pragma once

namespace v2g {

// Parses argv, runs the subcommand and returns the process exit status: 0 success,
// 2 bad input (config, CSV, flags; one line on stderr), 1 internal failure.
int run_cli(int argc, char** argv);

}  // namespace v2g
