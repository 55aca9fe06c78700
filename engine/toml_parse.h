// toml_parse.h: reading TOML (toml++) with the CLI's error contract, for every TOML file v2g
// reads (configs, sweep files): one line, naming the file, line and column.
#pragma once
#include <toml++/toml.h>
#include <string>

namespace v2g {

// "path:line:column: ", the start of an error about that place.
std::string toml_where(const std::string& path, const toml::source_region& src);
// Parses `text` (read from `path`); a syntax error throws InputError on one line.
toml::table parse_toml(const std::string& text, const std::string& path);

}  // namespace v2g
