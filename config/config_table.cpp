// config_table.cpp: see config_table.h.
#include "config/config_table.h"

namespace v2g::config_table {

namespace {

// "dqn.double_" -> "dqn.double": a trailing underscore only keeps a member clear of a C++ keyword.
std::string key_of(const char* group, const char* name) {
    std::string key = std::string(group) + "." + name;
    if (key.back() == '_') key.pop_back();
    return key;
}

}  // namespace

#define V2G_SETTING(g, type, name, default_value, limits, choices, help) \
    {key_of(#g, #name), Member(+[](Config& c) { return &c.g.name; }), help, limits, choices},
#define V2G_GROUP_SETTINGS(g, Struct, KEYS) KEYS(V2G_SETTING, g)

const std::vector<Setting>& settings() {
    static const std::vector<Setting> kSettings = {V2G_CONFIG_GROUPS(V2G_GROUP_SETTINGS)};
    return kSettings;
}

#undef V2G_GROUP_SETTINGS
#undef V2G_SETTING

}  // namespace v2g::config_table
