// test_session_csv.cpp: sessions.model = "csv", each vehicle's own sessions: what a file is
// read into (steps of the episode window, days and dates, HH:MM, the optional requirement,
// battery and charger), every fault as one line naming the file and line, and the round trip
// of a drawn model through the CSV (`v2g sessions`), which trains bit-identically.
#include "tests/data_test_helpers.h"
#include "tests/test_helpers.h"
#include "problem/session_table.h"

namespace v2g {
namespace {

using namespace v2g::testing;

// Three vehicles, hourly steps from 12:00 (the default window).
Config csv_sessions_config(const std::string& path, int vehicles = 3) {
    Config cfg = small_config(5, vehicles, vehicles);
    cfg.sessions.model = SessionSource::csv;
    cfg.sessions.csv = path;
    return cfg;
}

TEST(SessionCsv, ReadsStepsDaysAndTheVehiclesOwnBattery) {
    const TempFile f("sessions.csv",
                     "vehicle,date,arrival_hour,departure_hour,trip_kwh,required_soc,capacity_kwh\n"
                     "car-a,2024-03-01,18:00,07:30,12.5,0.8,60\n"
                     "car-b,2024-03-01,19.5,8,3,0.6,52\n"
                     "car-c,2024-03-03,12:00,12:00,0,0.5,40\n"
                     "car-a,2024-03-03,13,14,7,0.9,60\n");
    const Config cfg = csv_sessions_config(f.path);
    const SessionTable t = read_session_table(cfg);
    ASSERT_EQ(t.vehicles, 3);
    EXPECT_EQ(t.vehicle_ids, (std::vector<std::string>{"car-a", "car-b", "car-c"}));
    ASSERT_EQ(t.days, 3);  // 1 and 3 March; the 2nd has no row
    const auto at = [&](int day, int v) { return t.records[static_cast<size_t>(day * 3 + v)]; };
    // Window from 12:00 in hourly steps: 18:00 is step 6, 07:30 rounds to 20 (19.5 -> 20).
    EXPECT_EQ(at(0, 0).arrival_step, 6);
    EXPECT_EQ(at(0, 0).departure_step, 20);
    EXPECT_FLOAT_EQ(at(0, 0).trip_kwh, 12.5f);
    EXPECT_FLOAT_EQ(at(0, 0).required_soc, 0.8f);
    EXPECT_EQ(at(0, 1).arrival_step, 8);  // 19.5 h: 7.5 steps, the nearest boundary up
    EXPECT_EQ(at(0, 2).arrival_step, kNoSession);
    for (int v = 0; v < 3; ++v) EXPECT_EQ(at(1, v).arrival_step, kNoSession);
    // 12:00 to 12:00: the whole window.
    EXPECT_EQ(at(2, 2).arrival_step, 0);
    EXPECT_EQ(at(2, 2).departure_step, 24);
    EXPECT_EQ(t.capacity_kwh, (std::vector<float>{60, 52, 40}));
    EXPECT_TRUE(t.charge_kw.empty() && t.discharge_kw.empty());

    // On the device: the table drives the day, the battery is the vehicle's own, the
    // requirement the row's SoC, a day without a row leaves the vehicle unplugged and undriven.
    HostFleet host(cfg);
    EXPECT_EQ(host.p.session_days, 3);
    EXPECT_FLOAT_EQ(host.f.capacity_kwh[1], 52.0f);
    reset_vehicle(host.p, host.sig, host.f, 0, 0);
    EXPECT_EQ(host.f.arrival_step[0], 6);
    EXPECT_EQ(host.f.departure_step[0], 20);
    EXPECT_FLOAT_EQ(host.f.trip_kwh[0], 12.5f);
    const float usable = host.f.usable_kwh[0];
    EXPECT_FLOAT_EQ(host.f.required_kwh[0], std::min(0.8f * usable, host.f.energy_kwh[0] + host.f.charge_kw[0] *
                                                     14.0f * host.f.eta_charge[0]));
    reset_vehicle(host.p, host.sig, host.f, 2, 1);  // day 1: no row
    EXPECT_EQ(host.f.arrival_step[2], host.p.steps_per_day);
    EXPECT_FLOAT_EQ(host.f.trip_kwh[2], 0.0f);
    // Past the file's days it starts over: episode 3 is day 0, episode 5 day 2.
    EXPECT_EQ(draw_session(host.p, host.sig, 0, 3).arrival_step, 6);
    EXPECT_EQ(draw_session(host.p, host.sig, 0, 5).arrival_step, 1);
}

TEST(SessionCsv, EveryFaultIsOneLineNamingTheFileAndLine) {
    const std::string head = "vehicle,day,arrival_hour,departure_hour,trip_kwh\n";
    const std::string ok_rows = "a,0,18,7,5\nb,0,18,7,5\nc,0,18,7,5\n";
    struct Case {
        const char* name;
        std::string text;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {"no_trip", "vehicle,day,arrival_hour,departure_hour\na,0,18,7\n", "no column 'trip_kwh'"},
        {"no_day", "vehicle,arrival_hour,departure_hour,trip_kwh\na,18,7,5\n", "no column 'day' or 'date'"},
        {"both", "vehicle,day,date,arrival_hour,departure_hour,trip_kwh\na,0,2024-01-01,18,7,5\n", "both 'day' and 'date'"},
        {"vehicles", head + "a,0,18,7,5\nb,0,18,7,5\n", "2 vehicles, but fleet.vehicles = 3"},
        {"twice", head + ok_rows + "b,0,9,10,1\n", ":5: vehicle 'b' has a second session on day 0 (line 3)"},
        {"hour", head + "a,0,25,7,5\nb,0,18,7,5\nc,0,18,7,5\n", ":2: '25' in column 'arrival_hour' is not a clock hour"},
        {"minutes", head + "a,0,18:75,7,5\nb,0,18,7,5\nc,0,18,7,5\n", ":2: '18:75' in column 'arrival_hour'"},
        {"order", head + "a,0,18,7,5\nb,0,20,19,5\nc,0,18,7,5\n", ":3: arrival 20, departure 19: no plugged-in step"},
        {"trip", head + "a,0,18,7,-1\nb,0,18,7,5\nc,0,18,7,5\n", ":2: trip_kwh = -1 is outside [0, 10000]"},
        {"number", head + "a,0,18,7,five\nb,0,18,7,5\nc,0,18,7,5\n", ":2: 'five' in column 'trip_kwh' is not a number"},
        {"day", head + "a,-1,18,7,5\nb,0,18,7,5\nc,0,18,7,5\n", ":2: day = -1 is not a day number"},
        {"date", "vehicle,date,arrival_hour,departure_hour,trip_kwh\na,2024-02-30,18,7,5\nb,2024-03-01,18,7,5\nc,2024-03-01,18,7,5\n", ":2: date '2024-02-30' is not a date"},
        {"soc", "vehicle,day,arrival_hour,departure_hour,trip_kwh,required_soc\na,0,18,7,5,1.2\nb,0,18,7,5,1\nc,0,18,7,5,1\n",
         ":2: required_soc = 1.2 is outside [0, 1]"},
        {"blank", std::string("vehicle,date,arrival_hour,departure_hour,trip_kwh,required_soc,capacity_kwh\n") +
                      "car-a,2024-03-01,18:00,07:30,12.5,0.8,60\ncar-b,2024-03-01,19.5,08,3,,\ncar-c,2024-03-02,12:00,12:00,0,0.5,40\n",
         ":3: empty value in column 'required_soc'"},
        {"battery", "vehicle,day,arrival_hour,departure_hour,trip_kwh,capacity_kwh\na,0,18,7,5,60\nb,0,18,7,5,50\nc,0,18,7,5,40\na,1,18,7,5,61\n",
         ":5: capacity_kwh = 61, but line 2 gives vehicle 'a' 60 (one value per vehicle)"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const TempFile f(std::string(c.name) + ".csv", c.text);
        const std::string msg = input_error_of([&] { build_problem(csv_sessions_config(f.path)); });
        EXPECT_TRUE(one_line(msg)) << msg;
        EXPECT_EQ(msg.rfind(f.path, 0), 0u) << msg;
        EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    }
    Config none = csv_sessions_config("");
    EXPECT_NE(input_error_of([&] { build_problem(none); }).find("sessions.csv is empty"), std::string::npos);
    Config missing = csv_sessions_config("/nonexistent/sessions.csv");
    EXPECT_NE(input_error_of([&] { build_problem(missing); }).find("/nonexistent/sessions.csv: cannot open"),
              std::string::npos);
}

// The fitted model's sessions written as a CSV (what `v2g sessions` writes) and read back give
// the same days, and a run on them is the same run: fleets, Q-tables and metrics bit-identical.
TEST(SessionCsv, AFittedModelRoundTripsThroughTheCsvAndTrainsTheSame) {
    for (double step_hours : {1.0, 0.25}) {
        SCOPED_TRACE(step_hours);
        Config fitted = small_config(11, 12, 4);
        fitted.time.step_hours = step_hours;
        fitted.run.episodes = 12;
        const EnvParams p = build_problem(fitted).params;
        const int days = fitted.run.episodes + 1;  // the last day's requirement looks at the next trip
        const std::vector<SessionRecord> records = draw_session_table(p, SignalsView{}, days);
        char* text = nullptr;
        size_t size = 0;
        std::FILE* out = open_memstream(&text, &size);
        write_session_csv(out, fitted, records, days, p.num_vehicles);
        std::fclose(out);
        const TempFile f("drawn.csv", std::string(text, size));
        std::free(text);

        Config from_csv = fitted;
        from_csv.sessions.model = SessionSource::csv;
        from_csv.sessions.csv = f.path;
        const SessionTable t = read_session_table(from_csv);
        ASSERT_EQ(t.days, days);
        for (size_t k = 0; k < records.size(); ++k) {
            EXPECT_EQ(t.records[k].arrival_step, records[k].arrival_step) << k;
            EXPECT_EQ(t.records[k].departure_step, records[k].departure_step) << k;
            EXPECT_EQ(t.records[k].trip_kwh, records[k].trip_kwh) << k;
        }
        const Trained a = train_cpu(fitted, 1), b = train_cpu(from_csv, 1);
        ASSERT_EQ(a.fleet.size(), b.fleet.size());
        EXPECT_TRUE(same_bytes(a.fleet.data(), b.fleet.data(), a.fleet.size()));
        EXPECT_EQ(a.summary.last.reward, b.summary.last.reward);
    }
}

}  // namespace
}  // namespace v2g
