// ledger_cli.cpp: `v2g ledger root | prove | check-proof | consistency | check-consistency`
// (formats and exit statuses in ledger_cli.h). Every bad input becomes one line on stderr that
// names the source and line ("stdin:3: bad hex: odd number of digits") and exit status 2.
#include "cli/ledger_cli.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "ledger/merkle.h"

namespace v2g::ledger {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitBadInput = 2;

// A bad input, already worded for the user.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* kUsage =
    "usage: v2g ledger COMMAND [OPTIONS]   (hex leaves, one per line, on stdin)\n"
    "  root                               print the RFC 6962 Merkle root\n"
    "  prove --index I                    print the inclusion proof of leaf I\n"
    "  check-proof (--leaf HEX | --leaf-hash HEX) [--proof FILE]\n"
    "                                     verify an inclusion proof (stdin or FILE): exit 0 valid, 1 not\n"
    "  consistency --old M                print the consistency proof from the first M leaves\n"
    "  check-consistency [--proof FILE]   verify a consistency proof: exit 0 valid, 1 not\n"
    "Formats: docs/LEDGER.md, section \"Merkle trees and proofs\". Bad input: exit 2.\n";

// Splits text into lines: '\n' ends a line, a trailing '\r' is dropped, and a final '\n' does not
// start another line (so "" has no lines and "\n" has one empty line).
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::string read_all(std::istream& in) {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> read_leaves(std::istream& in) {
    std::vector<std::string> lines = split_lines(read_all(in));
    for (size_t i = 0; i < lines.size(); ++i) {
        try {
            const std::vector<uint8_t> b = bytes_from_hex(lines[i]);
            lines[i].assign(b.begin(), b.end());
        } catch (const std::invalid_argument& e) {
            throw BadInput("stdin:" + std::to_string(i + 1) + ": " + e.what());
        }
    }
    return lines;
}

// Options of the form --name VALUE after the command word.
struct Options {
    std::map<std::string, std::string> values;

    Options(const std::vector<std::string>& args, const std::vector<std::string>& allowed) {
        for (size_t i = 1; i < args.size(); ++i) {
            const std::string& a = args[i];
            bool known = false;
            for (const std::string& k : allowed) known = known || a == k;
            if (!known) throw BadInput("ledger " + args[0] + ": unknown argument '" + a + "' (see v2g ledger --help)");
            if (i + 1 >= args.size()) throw BadInput(a + " needs a value");
            if (values.count(a)) throw BadInput(a + " given twice");
            values[a] = args[++i];
        }
    }
    std::optional<std::string> get(const std::string& k) const {
        auto it = values.find(k);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    // The count `flag` gives, which the command cannot do without; `usage` says so.
    size_t required_count(const std::string& flag, const std::string& usage) const;
};

size_t parse_count(const std::string& flag, const std::string& v) {
    const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) throw BadInput(flag + ": '" + v + "' is not a non-negative integer");
    try {
        return std::stoull(v);
    } catch (const std::exception&) {
        throw BadInput(flag + ": '" + v + "' is too large");
    }
}

size_t Options::required_count(const std::string& flag, const std::string& usage) const {
    const auto v = get(flag);
    if (!v) throw BadInput(usage);
    return parse_count(flag, *v);
}

// A "key value" proof text: the source name for messages, and the lines by key in order.
struct ProofText {
    std::string source;
    std::map<std::string, std::pair<size_t, std::string>> single;  // key -> (line number, value)
    std::vector<std::pair<size_t, std::string>> path;

    std::string where(size_t line) const { return source + ":" + std::to_string(line); }

    const std::pair<size_t, std::string>& need(const std::string& key) const {
        auto it = single.find(key);
        if (it == single.end()) throw BadInput(source + ": missing '" + key + "' line");
        return it->second;
    }
    size_t count(const std::string& key) const {
        const auto& [line, v] = need(key);
        try {
            return parse_count(key, v);
        } catch (const BadInput& e) {
            throw BadInput(where(line) + ": " + e.what());
        }
    }
    Digest digest(const std::string& key) const {
        const auto& [line, v] = need(key);
        return digest_at(line, v);
    }
    Digest digest_at(size_t line, const std::string& v) const {
        try {
            return digest_from_hex(v);
        } catch (const std::invalid_argument& e) {
            throw BadInput(where(line) + ": " + e.what());
        }
    }
    std::vector<Digest> path_digests() const {
        std::vector<Digest> out;
        for (const auto& [line, v] : path) out.push_back(digest_at(line, v));
        return out;
    }
};

ProofText read_proof(std::istream& in, const std::optional<std::string>& file,
                     const std::vector<std::string>& keys) {
    ProofText p;
    std::string text;
    if (file) {
        std::ifstream f(*file, std::ios::binary);
        if (!f) throw BadInput(*file + ": cannot open");
        p.source = *file;
        text = read_all(f);
    } else {
        p.source = "stdin";
        text = read_all(in);
    }
    const std::vector<std::string> lines = split_lines(text);
    for (size_t i = 0; i < lines.size(); ++i) {
        const size_t line = i + 1;
        if (lines[i].empty()) continue;
        const size_t sp = lines[i].find(' ');
        if (sp == std::string::npos) throw BadInput(p.where(line) + ": expected 'KEY VALUE'");
        const std::string key = lines[i].substr(0, sp), value = lines[i].substr(sp + 1);
        if (key == "path") {
            p.path.emplace_back(line, value);
            continue;
        }
        bool known = false;
        for (const std::string& k : keys) known = known || k == key;
        if (!known) throw BadInput(p.where(line) + ": unknown key '" + key + "'");
        if (p.single.count(key)) throw BadInput(p.where(line) + ": '" + key + "' given twice");
        p.single[key] = {line, value};
    }
    return p;
}

int cmd_root(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
    Options opts(args, {});
    out << to_hex(merkle_root(read_leaves(in))) << "\n";
    return kExitOk;
}

int cmd_prove(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
    const size_t index = Options(args, {"--index"}).required_count("--index", "ledger prove needs --index I");
    const std::vector<Digest> hashes = leaf_hashes(read_leaves(in));
    if (index >= hashes.size())
        throw BadInput("--index " + std::to_string(index) + " is out of range for a tree of " +
                       std::to_string(hashes.size()) + " leaves");
    out << "size " << hashes.size() << "\n"
        << "root " << to_hex(merkle_root_from_leaf_hashes(hashes)) << "\n"
        << "index " << index << "\n"
        << "leaf " << to_hex(hashes[index]) << "\n";
    for (const Digest& d : inclusion_proof(hashes, index)) out << "path " << to_hex(d) << "\n";
    return kExitOk;
}

int cmd_check_proof(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
    Options opts(args, {"--leaf", "--leaf-hash", "--proof"});
    const auto leaf_data = opts.get("--leaf"), leaf_hash_arg = opts.get("--leaf-hash");
    if (leaf_data.has_value() == leaf_hash_arg.has_value())
        throw BadInput("ledger check-proof needs exactly one of --leaf HEX (the leaf's data) or --leaf-hash HEX");
    Digest leaf;
    try {
        if (leaf_data) {
            const std::vector<uint8_t> b = bytes_from_hex(*leaf_data);
            leaf = leaf_hash(b.data(), b.size());
        } else {
            leaf = digest_from_hex(*leaf_hash_arg);
        }
    } catch (const std::invalid_argument& e) {
        throw BadInput(std::string(leaf_data ? "--leaf" : "--leaf-hash") + ": " + e.what());
    }
    const ProofText p = read_proof(in, opts.get("--proof"), {"size", "root", "index", "leaf"});
    const size_t size = p.count("size"), index = p.count("index");
    const Digest root = p.digest("root");
    const std::vector<Digest> path = p.path_digests();
    if (p.single.count("leaf") && p.digest("leaf") != leaf) {
        out << "invalid: the proof is for leaf hash " << to_hex(p.digest("leaf")) << ", not " << to_hex(leaf) << "\n";
        return kExitInvalid;
    }
    if (!verify_inclusion(leaf, index, size, path, root)) {
        out << "invalid: the path does not prove leaf " << index << " in the tree of size " << size << " with root "
            << to_hex(root) << "\n";
        return kExitInvalid;
    }
    out << "valid: leaf " << index << " is in the tree of size " << size << " with root " << to_hex(root) << "\n";
    return kExitOk;
}

int cmd_consistency(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
    const size_t old_size = Options(args, {"--old"}).required_count("--old", "ledger consistency needs --old M");
    const std::vector<Digest> hashes = leaf_hashes(read_leaves(in));
    if (old_size > hashes.size())
        throw BadInput("--old " + std::to_string(old_size) + " is larger than the tree's " +
                       std::to_string(hashes.size()) + " leaves");
    const std::vector<Digest> old_hashes(hashes.begin(), hashes.begin() + old_size);
    out << "old-size " << old_size << "\n"
        << "new-size " << hashes.size() << "\n"
        << "old-root " << to_hex(merkle_root_from_leaf_hashes(old_hashes)) << "\n"
        << "new-root " << to_hex(merkle_root_from_leaf_hashes(hashes)) << "\n";
    for (const Digest& d : consistency_proof(hashes, old_size)) out << "path " << to_hex(d) << "\n";
    return kExitOk;
}

int cmd_check_consistency(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
    Options opts(args, {"--proof"});
    const ProofText p = read_proof(in, opts.get("--proof"), {"old-size", "new-size", "old-root", "new-root"});
    const size_t m = p.count("old-size"), n = p.count("new-size");
    const Digest old_root = p.digest("old-root"), new_root = p.digest("new-root");
    if (!verify_consistency(m, n, old_root, new_root, p.path_digests())) {
        out << "invalid: the proof does not show the tree of size " << m << " is a prefix of the tree of size " << n
            << "\n";
        return kExitInvalid;
    }
    out << "valid: the tree of size " << m << " (root " << to_hex(old_root) << ") is a prefix of the tree of size "
        << n << " (root " << to_hex(new_root) << ")\n";
    return kExitOk;
}

}  // namespace


int run_ledger_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
    try {
        if (args.empty())
            throw BadInput("ledger needs a command: root, prove, check-proof, consistency or check-consistency"
                           " (see v2g ledger --help)");
        if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            out << kUsage;
            return kExitOk;
        }
        const std::string& cmd = args[0];
        if (cmd == "root") return cmd_root(args, in, out);
        if (cmd == "prove") return cmd_prove(args, in, out);
        if (cmd == "check-proof") return cmd_check_proof(args, in, out);
        if (cmd == "consistency") return cmd_consistency(args, in, out);
        if (cmd == "check-consistency") return cmd_check_consistency(args, in, out);
        throw BadInput("unknown ledger command '" + cmd + "' (see v2g ledger --help)");
    } catch (const BadInput& e) {
        err << "v2g: error: " << e.what() << "\n";
        return kExitBadInput;
    } catch (const std::exception& e) {
        err << "v2g: internal error: " << e.what() << "\n";
        return kExitInvalid;
    }
}

}  // namespace v2g::ledger
