// session_table.h: owns sessions.model = "csv": each vehicle's own plug-in sessions, read from
// sessions.csv (one row per vehicle and day; the format: docs/DATA.md, "Sessions CSV") into the
// table the device reads (SignalsView::session_table), with the vehicles' own battery and
// charger where the file gives them. Every fault is one InputError naming the file and line.
#pragma once
#include <cstdio>
#include <string>
#include <vector>
#include "config/config.h"
#include "env/env_types.h"

namespace v2g {

struct SessionTable {
    int days = 0;                              // day 0 = the file's first day (or date)
    int vehicles = 0;
    std::vector<SessionRecord> records;        // [day * vehicles + vehicle]; kNoSession: no row
    std::vector<std::string> vehicle_ids;      // [vehicle]: the file's ids, in order of appearance
    // [vehicle] from the optional columns; empty when the file has none (the fleet mix's values).
    std::vector<float> capacity_kwh, charge_kw, discharge_kw;
};

// The column names of a sessions CSV.
struct SessionColumns {
    static constexpr const char* kVehicle = "vehicle";
    static constexpr const char* kDay = "day";        // 0, 1, ... (or kDate)
    static constexpr const char* kDate = "date";      // YYYY-MM-DD (or kDay)
    static constexpr const char* kArrival = "arrival_hour";
    static constexpr const char* kDeparture = "departure_hour";
    static constexpr const char* kTrip = "trip_kwh";
    static constexpr const char* kRequiredSoc = "required_soc";   // optional
    static constexpr const char* kCapacity = "capacity_kwh";      // optional, per vehicle
    static constexpr const char* kChargeKw = "charge_kw";         // optional, per vehicle
    static constexpr const char* kDischargeKw = "discharge_kw";   // optional, per vehicle
};

// Reads cfg.sessions.csv for a fleet of cfg.fleet.vehicles vehicles in episode windows of
// cfg.time.step_hours from cfg.time.day_start_hour (the CSV format keys of signals apply).
SessionTable read_session_table(const Config& cfg);

// A sessions CSV's days repeat (episode e is day e % days): when days held out from training
// (from first_held_out_episode on) fall on days the training already saw, a one-line note
// saying so, for the summaries of `v2g train` and `v2g eval`; "" otherwise (or for another
// model, without reading anything).
std::string session_reuse_note(const Config& cfg, int first_held_out_episode);

// The sessions `days` days of p's model give every vehicle (day-major, as SessionTable
// records; a day the vehicle does not plug in is kNoSession): what `v2g sessions` writes.
std::vector<SessionRecord> draw_session_table(const EnvParams& p, const SignalsView& sig, int days);

// A session table as the CSV read_session_table reads (arrival and departure as clock hours,
// trip_kwh exact to the float): what `v2g sessions` writes, so that a drawn model round-trips.
void write_session_csv(std::FILE* out, const Config& cfg, const std::vector<SessionRecord>& records, int days,
                       int vehicles);

}  // namespace v2g
