// config_table.cpp: see config_table.h.
#include "config/config_table.h"

#include <cstring>
#include <stdexcept>

namespace v2g::config_table {

namespace {

// "dqn.double_" -> "dqn.double": a trailing underscore only keeps a member clear of a C++ keyword.
std::string key_of(const char* group, const char* name) {
    std::string key = std::string(group) + "." + name;
    if (key.back() == '_') key.pop_back();
    return key;
}

// A row's allowed values: its enum's names, or the row's "a|b|c" (numbers), or none.
std::vector<std::string> choices_of(const Member& member, const char* row_choices) {
    if (const auto* choice = std::get_if<ChoiceField>(&member)) return {choice->names, choice->names + choice->count};
    std::vector<std::string> out;
    if (!row_choices) return out;
    std::string item;
    for (const char* c = row_choices;; ++c) {
        if (*c == '|' || *c == '\0') {
            out.push_back(item);
            item.clear();
            if (*c == '\0') break;
        } else {
            item += *c;
        }
    }
    return out;
}

Setting make_setting(std::string key, Member member, const char* help, Limits limits, const char* row_choices) {
    std::vector<std::string> choices = choices_of(member, row_choices);
    return {std::move(key), member, help, limits, std::move(choices)};
}

}  // namespace

std::string value_in(const ChoiceField& field, const Config& cfg) {
    int index = 0;
    // memcpy, not a cast: the member is an enum, which an int* may not alias.
    std::memcpy(&index, field.address(const_cast<Config&>(cfg)), sizeof index);
    return field.names[index];
}

void store(const ChoiceField& field, Config& cfg, const std::string& name) {
    for (int i = 0; i < field.count; ++i)
        if (name == field.names[i]) {
            std::memcpy(field.address(cfg), &i, sizeof i);
            return;
        }
    throw std::logic_error("store: '" + name + "' is not a choice (range_problem checks first)");
}

// Each row's member is passed twice, typed and untyped, for make_member to pick (config_table.h).
#define V2G_SETTING(g, type, name, default_value, limits, choices, help)              \
    make_setting(key_of(#g, #name),                                                   \
                 make_member<type>(+[](Config& c) { return &c.g.name; },              \
                                   +[](Config& c) -> void* { return &c.g.name; }),    \
                 help, limits, choices),
#define V2G_GROUP_SETTINGS(g, Struct, KEYS) KEYS(V2G_SETTING, g)

const std::vector<Setting>& settings() {
    static const std::vector<Setting> kSettings = {V2G_CONFIG_GROUPS(V2G_GROUP_SETTINGS)};
    return kSettings;
}

#undef V2G_GROUP_SETTINGS
#undef V2G_SETTING

}  // namespace v2g::config_table
