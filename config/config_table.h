// config_table.h: the registry of every setting, built from config.h's key lists: its TOML key,
// the Config member it sets, its one line of help (for --help and docs/CONFIG.md, which a test
// checks against it), its allowed range or choices, and the named bounds those ranges use.
// config.cpp walks it.
#pragma once
#include <cstdint>
#include <climits>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>
#include "config/config.h"
#include "env/env_types.h"  // kDaysPerWeek, kMaxPriceLevels

namespace v2g::config_table {


constexpr double kInf = std::numeric_limits<double>::infinity();

// TOML integers are signed 64-bit, so a seed above this could be set but not written back.
constexpr uint64_t kMaxSeed = static_cast<uint64_t>(INT64_MAX);
// Integral doubles below this print as integers ("60", not "6e+01"); beyond it, exponents.
constexpr double kMaxPlainInteger = 1e15;
// Largest SoC discretisation: far beyond any useful table, small enough that
// soc_bins * steps_per_day * price_levels stays well inside an int.
constexpr int kMaxSocBins = 1000;
// Signal series are indexed [day * steps_per_day + step] with ints; 100 years of days is
// far more than any run needs and keeps that index far from INT_MAX.
constexpr int kMaxSignalDays = 36600;
// DQN sizes: a batch and a buffer must fit in memory many times over.
constexpr int kMaxDqnBatch = 1 << 16;
constexpr int kMaxDqnWidth = 1 << 14;
constexpr int kMaxDqnBuffer = 1 << 28;
// More slack levels than steps in a day can never be told apart.
constexpr int kMaxStepsPerDayConfig = 96;
// The optimum's plan holds days x steps x points bytes per vehicle; beyond this the grid is
// finer than the float energy arithmetic of a step can tell apart anyway.
constexpr int kMaxDpEnergyPoints = 4001;
// Cell temperatures outside the usual Li-ion operating window would put the calendar-aging
// fit (Arrhenius in Kelvin) far outside the data it came from.
constexpr double kMinCellTemperatureC = -40.0;
constexpr double kMaxCellTemperatureC = 80.0;
constexpr double kHoursPerDay = 24.0;
constexpr int kLastHourOfDay = 23;
// Physical sanity bounds: far beyond any real value, small enough that float arithmetic on
// them stays finite (a price of 1e308 would make every reward -inf).
constexpr double kMaxConsumptionKwhPerKm = 10.0;   // a heavy truck uses ~1.5 kWh/km
constexpr double kMaxTripKwh = 10000.0;
constexpr double kMaxDailyKm = 10000.0;
constexpr double kMaxPricePerKwh = 1000.0;
constexpr double kMaxLimitKwPerVehicle = 10000.0;
// Bounds on the rest: physical or bookkeeping limits far beyond any real value, so that every
// number the engine computes from them stays finite (docs/CONFIG.md, "Bounds", says why each).
constexpr double kMaxEpisodes = 1e8;             // 270,000 years of days; the ledger's episode is uint32
constexpr double kMaxThreads = 1024;             // more than any one CPU's hardware threads (backends clamp
                                                 // to 4x this machine's cores anyway, train_run.cpp)
constexpr double kMaxVehicles = 1e8;             // world EV stock 2024: ~58 million (IEA Global EV Outlook 2025)
constexpr double kMaxPackKwh = 2000.0;           // the largest electric-truck packs are ~1 MWh
constexpr double kMaxChargerKw = 4000.0;         // the Megawatt Charging System goes to 3.75 MW
constexpr double kMaxPvKwpPerVehicle = 1000.0;   // a large home rooftop is 10-20 kWp
constexpr double kMaxAgeDays = 36500.0;          // a century
constexpr double kMaxFullCycles = 1e5;           // Li-ion cells wear out within ~10,000 full cycles
constexpr double kMaxBatteryCostPerKwh = 1e5;    // packs cost ~100-1,000 per kWh
constexpr double kMaxPriceNoise = 5.0;           // a log-sd of 5 already spans e^10 between days
constexpr double kMaxContracts = 1e7;            // contract ids are uint32; each is a registry leaf
constexpr double kMaxDqnSteps = 1e9;             // gradient steps and transitions: beyond any run, an int
constexpr double kMaxGradClip = 1e6;             // a gradient norm clip beyond this never acts
constexpr double kMaxSpikeFactor = 1000.0;       // a price spike of 1000x the retail price
// The LP oracle solves each community-day on the host; beyond this the check takes too long.
constexpr int kMaxOracleCommunities = 1 << 20;
// "did you mean": suggest a known key at most this many single-character edits away.
constexpr size_t kMaxSuggestionDistance = 2;

// A numeric interval; open ends exclude the bound. Infinite bounds mean "no bound".
struct Limits {
    double lo = -kInf;
    double hi = kInf;
    bool lo_open = false;
    bool hi_open = false;
};
inline Limits any() { return {}; }
inline Limits at_least(double lo) { return {lo, kInf, false, false}; }
inline Limits closed(double lo, double hi) { return {lo, hi, false, false}; }
inline Limits open_closed(double lo, double hi) { return {lo, hi, true, false}; }
inline Limits closed_open(double lo, double hi) { return {lo, hi, false, true}; }
inline Limits open(double lo, double hi) { return {lo, hi, true, true}; }

// Where a setting lives in a Config: a function returning the member's address (a pointer to a
// member of a member cannot be written in C++).
template <class T>
using Field = T* (*)(Config&);
// A choice setting (an enum of choices.h): its member's address, untyped, and its names. The
// registry reads and writes it by name, as text, so it needs no case per enum.
struct ChoiceField {
    void* (*address)(Config&);  // an enum with underlying type int
    const char* const* names;   // ChoiceNames<Enum>::names
    int count;
};
using Member = std::variant<Field<bool>, Field<int>, Field<uint64_t>, Field<double>, Field<std::string>, ChoiceField>;

// The value a setting's field holds in `cfg`; a choice's is its name.
template <class T>
const T& value_in(Field<T> field, const Config& cfg) { return *field(const_cast<Config&>(cfg)); }
std::string value_in(const ChoiceField& field, const Config& cfg);
// What a setting's value is read as and checked as: T, or a choice's name (std::string).
template <class M>
struct ValueOf;
template <class T>
struct ValueOf<Field<T>> { using type = T; };
template <>
struct ValueOf<ChoiceField> { using type = std::string; };
template <class M>
using value_type_of = typename ValueOf<M>::type;
// Stores `value` (already checked against the setting's range or choices) into `cfg`.
template <class T>
void store(Field<T> field, Config& cfg, const T& value) { *field(cfg) = value; }
void store(const ChoiceField& field, Config& cfg, const std::string& name);

// The registry entry of a row: the member's typed address, or for an enum its ChoiceField.
// The macro that builds the registry passes both forms of the same address.
template <class T>
Member make_member(Field<T> typed, void* (*untyped)(Config&)) {
    if constexpr (std::is_enum_v<T>) {
        static_assert(std::is_same_v<std::underlying_type_t<T>, int>, "ChoiceField reads and writes an int");
        return ChoiceField{untyped, ChoiceNames<T>::names, choice_count<T>()};
    } else {
        return typed;
    }
}

struct Setting {
    std::string key;      // "group.name"
    Member member;
    const char* help;     // one line, for --help and docs
    Limits limits;        // numbers only
    std::vector<std::string> choices;  // the allowed values (names, or numbers); empty = any
};

const std::vector<Setting>& settings();

}  // namespace v2g::config_table
