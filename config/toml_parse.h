// toml_parse.h: reading TOML (toml++) with the CLI's error contract, for every TOML file v2g
// reads (configs, sweep files): one line, naming the file, line and column.
#pragma once
#include <toml++/toml.h>
#include <cstddef>
#include <string>

namespace v2g {

// What a TOML file v2g reads may hold, checked before toml++ parses it (toml_limits.cpp):
// configs and sweep files are a few kB, their keys a few dozen characters in two parts.
constexpr size_t kMaxTomlBytes = 1 << 20;
constexpr size_t kMaxTomlKeyChars = 256;
constexpr size_t kMaxTomlKeyParts = 8;
constexpr size_t kMaxTomlNesting = 16;
// Refuses (InputError, one line naming the file and line) a text over those limits.
void check_toml_limits(const std::string& text, const std::string& path);

// "path:line:column: ", the start of an error about that place.
std::string toml_where(const std::string& path, const toml::source_region& src);
// The shortest decimal text that reads back as the same double (0.2, not 0.20000000000000001).
std::string format_double(double v);
// The same as a TOML float literal: 1 becomes "1.0", which would otherwise read back as an integer.
std::string toml_double(double v);
// Parses `text` (read from `path`); a syntax error throws InputError on one line.
toml::table parse_toml(const std::string& text, const std::string& path);

}  // namespace v2g
