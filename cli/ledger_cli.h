// ledger_cli.h: the `v2g ledger` subcommands (RFC 6962 roots and proofs of hex-encoded leaves),
// as a function of (arguments, stdin, stdout, stderr) so tests can drive it without a process.
//
//   v2g ledger root                      leaves on stdin -> the root (lowercase hex) on stdout
//   v2g ledger prove --index I           leaves on stdin -> an inclusion proof (format below)
//   v2g ledger check-proof (--leaf HEX | --leaf-hash HEX) [--proof FILE]
//                                        proof on stdin (or FILE) -> "valid: ..." exit 0,
//                                        "invalid: ..." exit 1
//   v2g ledger consistency --old M       leaves on stdin -> a consistency proof (format below)
//   v2g ledger check-consistency [--proof FILE]
//                                        proof on stdin (or FILE) -> exit 0 valid, 1 invalid
//
// Leaves: one per line, hex (either case); an empty line is an empty leaf; a final newline does
// not start another leaf; a trailing CR is ignored; no input at all is the empty tree.
// Inclusion proof, one "key value" per line:   Consistency proof:
//   size N                                       old-size M
//   root HEX                                     new-size N
//   index I                                      old-root HEX
//   leaf HEX     (the leaf hash; optional)       new-root HEX
//   path HEX     (0 or more, bottom-up)          path HEX     (0 or more)
// Exit status: 0 done / valid, 1 proof invalid, 2 bad input (one line on stderr naming the line).
// Documented in docs/LEDGER.md, section "Merkle trees and proofs".
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace v2g::ledger {

// args: the words after `ledger` (e.g. {"prove", "--index", "3"}).
int run_ledger_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace v2g::ledger
