// session_table.cpp: the sessions CSV (session_table.h) read into per-day, per-vehicle records
// of episode steps, checked row by row, and written back by `v2g sessions`.
#include "problem/session_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/text_format.h"
#include "config/config_table.h"
#include "config/csv_format.h"
#include "problem/csv_reader.h"
#include "problem/csv_timestamps.h"
#include "problem/sessions.h"
#include "env/session.h"

namespace v2g {
namespace {

constexpr double kHoursPerDay = 24.0;
// A table is days x vehicles records on the device: more than this (1.2 GB) is a mistake,
// not a study (a year of 100,000 vehicles is 36.5 M).
constexpr double kMaxSessionRecords = 1e8;

std::string at(const CsvColumns& t, size_t row) { return t.path + ":" + std::to_string(t.lines[row]) + ": "; }

// "18.5" or "18:30" as a clock hour in [0, 24).
double clock_hour(const CsvColumns& t, size_t column, size_t row) {
    const std::string& text = t.cells[column][row];
    double hour = 0.0;
    const size_t colon = text.find(':');
    bool ok = false;
    if (colon == std::string::npos) {
        ok = parse_csv_number(text, t.format.decimal, &hour);
    } else {
        double h = 0.0, m = 0.0;
        ok = parse_csv_number(text.substr(0, colon), '.', &h) && parse_csv_number(text.substr(colon + 1), '.', &m) &&
             h == std::floor(h) && m == std::floor(m) && m >= 0 && m < kSecondsPerHour / kSecondsPerMinute &&
             text.size() - colon - 1 == 2;
        hour = h + m * kSecondsPerMinute / kSecondsPerHour;
    }
    if (!ok || !(hour >= 0.0 && hour < kHoursPerDay))
        throw InputError(at(t, row) + "'" + shortened(text) + "' in column '" + t.names[column] +
                         "' is not a clock hour (a number in [0, 24) or HH:MM)");
    return hour;
}

double number_in(const CsvColumns& t, const std::vector<double>& values, size_t column, size_t row, double lo,
                 double hi, bool lo_open = false) {
    const double v = values[row];
    if ((lo_open ? v > lo : v >= lo) && v <= hi) return v;
    throw InputError(at(t, row) + t.names[column] + " = " + strprintf("%g", v) + " is outside " + (lo_open ? "(" : "[") +
                     strprintf("%g", lo) + ", " + strprintf("%g", hi) + "]");
}

// Day numbers of the rows: the `day` column as it is, or the `date` column as days since the
// file's earliest date.
std::vector<long> day_numbers(const CsvColumns& t, size_t day_col, size_t date_col) {
    const size_t rows = t.lines.size();
    std::vector<long> days(rows);
    if (t.present[day_col]) {
        const std::vector<double> v = csv_numbers(t, day_col);
        for (size_t r = 0; r < rows; ++r) {
            if (v[r] != std::floor(v[r]) || v[r] < 0 || v[r] > kMaxSessionRecords)
                throw InputError(at(t, r) + "day = " + t.cells[day_col][r] + " is not a day number (0, 1, 2, ...)");
            days[r] = static_cast<long>(v[r]);
        }
        return days;
    }
    std::vector<double> seconds(rows);
    for (size_t r = 0; r < rows; ++r) {
        const std::string& text = t.cells[date_col][r];
        IsoTime when{};
        if (text.size() != 10 || !parse_iso_time(text + "T00:00", &when))
            throw InputError(at(t, r) + "date '" + shortened(text) + "' is not a date (YYYY-MM-DD)");
        seconds[r] = static_cast<double>(wall_clock_seconds(when));
    }
    double first = seconds[0];
    for (double s : seconds) first = std::min(first, s);
    for (size_t r = 0; r < rows; ++r) days[r] = std::lround((seconds[r] - first) / (kHoursPerDay * kSecondsPerHour));
    return days;
}

// A per-vehicle column (battery, charger): one value per vehicle, the same on each of its rows.
std::vector<float> per_vehicle(const CsvColumns& t, size_t column, const std::vector<int>& vehicle_of_row,
                               int vehicles, double lo, double hi) {
    if (!t.present[column]) return {};
    const std::vector<double> v = csv_numbers(t, column);
    std::vector<float> out(static_cast<size_t>(vehicles), -1.0f);
    std::vector<size_t> first_row(static_cast<size_t>(vehicles), 0);
    for (size_t r = 0; r < v.size(); ++r) {
        const float value = static_cast<float>(number_in(t, v, column, r, lo, hi, true));
        const size_t k = static_cast<size_t>(vehicle_of_row[r]);
        if (out[k] < 0.0f) {
            out[k] = value;
            first_row[k] = r;
        } else if (out[k] != value) {
            throw InputError(at(t, r) + t.names[column] + " = " + t.cells[column][r] + ", but line " +
                             std::to_string(t.lines[first_row[k]]) + " gives vehicle '" +
                             t.cells[0][r] + "' " + t.cells[column][first_row[k]] + " (one value per vehicle)");
        }
    }
    return out;
}

}  // namespace

SessionTable read_session_table(const Config& cfg) {
    if (cfg.sessions.csv.empty()) throw InputError("sessions.csv is empty: sessions.model = csv needs a file");
    using C = SessionColumns;
    const CsvColumns t = read_csv_columns(cfg.sessions.csv, {C::kVehicle, C::kArrival, C::kDeparture, C::kTrip},
                                          {C::kDay, C::kDate, C::kRequiredSoc, C::kCapacity, C::kChargeKw,
                                           C::kDischargeKw},
                                          csv_format(cfg));
    enum Col : size_t { kVehicle, kArrival, kDeparture, kTrip, kDay, kDate, kRequired, kCapacity, kCharge, kDischarge };
    if (!t.present[kDay] && !t.present[kDate])
        throw InputError(cfg.sessions.csv + ": no column 'day' or 'date' (the day of each session)");
    if (t.present[kDay] && t.present[kDate])
        throw InputError(cfg.sessions.csv + ": both 'day' and 'date' columns: give one");
    const int steps = checked_steps_per_day(cfg);
    const size_t rows = t.lines.size();

    SessionTable table;
    std::map<std::string, int> index;
    std::vector<int> vehicle_of_row(rows);
    for (size_t r = 0; r < rows; ++r) {
        const std::string& id = t.cells[kVehicle][r];
        if (id.empty()) throw InputError(at(t, r) + "empty value in column 'vehicle'");
        const auto found = index.emplace(id, static_cast<int>(table.vehicle_ids.size()));
        if (found.second) table.vehicle_ids.push_back(id);
        vehicle_of_row[r] = found.first->second;
    }
    table.vehicles = static_cast<int>(table.vehicle_ids.size());
    if (table.vehicles != cfg.fleet.vehicles)
        throw InputError(cfg.sessions.csv + ": " + std::to_string(table.vehicles) + " vehicles, but fleet.vehicles = " +
                         std::to_string(cfg.fleet.vehicles) + " (the file must name every vehicle of the fleet)");

    const std::vector<long> day = day_numbers(t, kDay, kDate);
    long last_day = 0;
    for (long d : day) last_day = std::max(last_day, d);
    if (static_cast<double>(last_day + 1) * table.vehicles > kMaxSessionRecords)
        throw InputError(cfg.sessions.csv + ": " + std::to_string(last_day + 1) + " days x " +
                         std::to_string(table.vehicles) + " vehicles is more than " + strprintf("%.0e", kMaxSessionRecords) +
                         " sessions");
    table.days = static_cast<int>(last_day + 1);
    table.records.assign(static_cast<size_t>(table.days) * static_cast<size_t>(table.vehicles),
                         SessionRecord{kNoSession, kNoSession, 0.0f, -1.0f});
    const std::vector<double> trip = csv_numbers(t, kTrip);
    const std::vector<double> required = t.present[kRequired] ? csv_numbers(t, kRequired) : std::vector<double>{};
    std::vector<size_t> row_of(table.records.size(), rows);
    for (size_t r = 0; r < rows; ++r) {
        const size_t k = static_cast<size_t>(day[r]) * static_cast<size_t>(table.vehicles) +
                         static_cast<size_t>(vehicle_of_row[r]);
        if (row_of[k] != rows)
            throw InputError(at(t, r) + "vehicle '" + t.cells[kVehicle][r] + "' has a second session on day " +
                             std::to_string(day[r]) + " (line " + std::to_string(t.lines[row_of[k]]) +
                             "): one a day");
        row_of[k] = r;
        const double arrival_hour = clock_hour(t, kArrival, r), departure_hour = clock_hour(t, kDeparture, r);
        const int arrival = window_step_of_clock_hour(cfg, arrival_hour);
        int departure = window_step_of_clock_hour(cfg, departure_hour);
        if (departure == 0) departure = steps;  // leaving at the window's start is leaving at its end
        if (arrival >= steps || departure <= arrival)
            throw InputError(at(t, r) + "arrival " + t.cells[kArrival][r] + ", departure " + t.cells[kDeparture][r] +
                             ": no plugged-in step in the episode window from " +
                             strprintf("%g", static_cast<double>(cfg.time.day_start_hour)) +
                             " h (time.day_start_hour; steps of " + strprintf("%g", cfg.time.step_hours) +
                             " h): the departure must come after the arrival, within 24 h of the window's start");
        SessionRecord& rec = table.records[k];
        rec.arrival_step = static_cast<int16_t>(arrival);
        rec.departure_step = static_cast<int16_t>(departure);
        rec.trip_kwh = static_cast<float>(number_in(t, trip, kTrip, r, 0.0, config_table::kMaxTripKwh));
        rec.required_soc = required.empty() ? -1.0f : static_cast<float>(number_in(t, required, kRequired, r, 0.0, 1.0));
    }
    table.capacity_kwh = per_vehicle(t, kCapacity, vehicle_of_row, table.vehicles, 0.0, config_table::kMaxPackKwh);
    table.charge_kw = per_vehicle(t, kCharge, vehicle_of_row, table.vehicles, 0.0, config_table::kMaxChargerKw);
    table.discharge_kw = per_vehicle(t, kDischarge, vehicle_of_row, table.vehicles, 0.0, config_table::kMaxChargerKw);
    return table;
}

std::string session_reuse_note(const Config& cfg, int first_held_out_episode) {
    if (cfg.sessions.model != SessionSource::csv) return "";
    const int session_days = read_session_table(cfg).days;
    if (first_held_out_episode < session_days) return "";
    return "sessions       " + cfg.sessions.csv + " has " + std::to_string(session_days) +
           " days, repeated (episode e is day e % " + std::to_string(session_days) +
           "): the held-out days reuse sessions the training saw (their prices are new); give more days for an "
           "out-of-sample test";
}

std::vector<SessionRecord> draw_session_table(const EnvParams& p, const SignalsView& sig, int days) {
    std::vector<SessionRecord> records;
    records.reserve(static_cast<size_t>(days) * static_cast<size_t>(p.num_vehicles));
    for (int d = 0; d < days; ++d)
        for (int v = 0; v < p.num_vehicles; ++v) {
            const Session s = draw_session(p, sig, v, d);
            const bool plugged = s.arrival_step < p.steps_per_day;
            records.push_back({plugged ? static_cast<int16_t>(s.arrival_step) : kNoSession,
                               static_cast<int16_t>(s.departure_step), s.trip_kwh, s.required_soc});
        }
    return records;
}

void write_session_csv(std::FILE* out, const Config& cfg, const std::vector<SessionRecord>& records, int days,
                       int vehicles) {
    using C = SessionColumns;
    std::fprintf(out, "%s,%s,%s,%s,%s\n", C::kVehicle, C::kDay, C::kArrival, C::kDeparture, C::kTrip);
    const auto hour_of_step = [&](int step) {
        return std::fmod(static_cast<double>(cfg.time.day_start_hour) + step * cfg.time.step_hours, kHoursPerDay);
    };
    for (int d = 0; d < days; ++d)
        for (int v = 0; v < vehicles; ++v) {
            const SessionRecord& r = records[static_cast<size_t>(d) * static_cast<size_t>(vehicles) + static_cast<size_t>(v)];
            if (r.arrival_step == kNoSession) continue;
            std::fprintf(out, "%d,%d,%.10g,%.10g,%.9g\n", v, d, hour_of_step(r.arrival_step),
                         hour_of_step(r.departure_step), static_cast<double>(r.trip_kwh));
        }
}

}  // namespace v2g
