// test_csv_signals.cpp: the CSV signals (signals.source = "csv"): the CityLearn files, units,
// physical ranges, timestamps and daylight saving, the CLI's one line on a bad file; and the
// demand-response events of both sources.
#include "tests/cli_test_helpers.h"
#include "tests/data_test_helpers.h"

namespace v2g {
namespace {

using namespace v2g::testing;

// ------------------------------------------------------------------------------ CSV signals

// Item 4 of the model: demand-response events come from the grid-stress signal (the load's mean
// daily shape x each day's mean load, what a feeder of many households sees), so they fall in
// the peak hours of high-load days, not on one building's noisy hours: the building load's own
// hourly noise (the old definition) put ~45 % of them in 17:00-22:00 and ~6 % in the night
// (01:00-05:00, 30 summer days measured); the grid stress puts most in the evening and almost
// none at night, on fewer days, and they are still the configured share of steps.
TEST(SyntheticSignals, DemandResponseEventsAreThePeakHoursOfGridStress) {
    for (SignalSource source : every_choice<SignalSource>()) {
        Config cfg;
        cfg.signals.source = source;
        if (cfg.signals.source == SignalSource::csv) {
            cfg.signals.price_csv = kPricing;
            cfg.signals.load_csv = kBuilding;
        }
        const Problem problem = build_problem(cfg);
        const EnvParams& p = problem.params;
        SignalsView sig{};
        std::vector<char> buffer = problem.signals;
        layout_signals(p, buffer.data(), &sig);
        int events = 0, evening = 0, night = 0, days = 0;
        for (int d = 0; d < p.signal_days; ++d) {
            bool any = false;
            for (int t = 0; t < p.steps_per_day; ++t) {
                if (!sig.dr_event[d * p.steps_per_day + t]) continue;
                any = true;
                ++events;
                const int clock = static_cast<int>(std::fmod(cfg.time.day_start_hour + t * cfg.time.step_hours, 24.0));
                evening += clock >= 17 && clock < 22;
                night += clock >= 1 && clock < 5;
            }
            days += any;
        }
        const double steps = static_cast<double>(p.signal_days) * p.steps_per_day;
        EXPECT_NEAR(events / steps, 1.0 - cfg.signals.dr_load_quantile, 0.02) << source;
        EXPECT_GT(evening, 0.55 * events) << source << ": " << evening << " of " << events << " in the evening";
        EXPECT_LT(night, 0.03 * events) << source << ": " << night << " of " << events << " at night";
        EXPECT_LT(days, 0.8 * p.signal_days) << source << ": events on " << days << " days";
    }
}

TEST(CsvSignals, CityLearnPriceLoadPv) {
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = kPricing;
    cfg.signals.load_csv = kBuilding;
    cfg.signals.pv_csv = kBuilding;
    const SignalSeries s = make_signals(cfg);
    EXPECT_EQ(s.days, 364);  // (8760 - 12) / 24 whole windows from noon
    ASSERT_EQ(s.retail_price_per_kwh.size(), 364u * 24u);
    const std::vector<double> price = read_csv_column(kPricing, "electricity_pricing");
    const std::vector<double> load = read_csv_column(kBuilding, "non_shiftable_load");
    const std::vector<double> pv = read_csv_column(kBuilding, "solar_generation");
    for (int d : {0, 100, 363})
        for (int k : {0, 5, 23}) {
            const size_t row = static_cast<size_t>(d) * 24 + 12 + k;
            const size_t i = static_cast<size_t>(d) * 24 + k;
            EXPECT_FLOAT_EQ(s.retail_price_per_kwh[i], static_cast<float>(price[row]));
            EXPECT_FLOAT_EQ(s.grid_load_kw[i], static_cast<float>(load[row]));
            EXPECT_FLOAT_EQ(s.pv_kw_per_kwp[i], static_cast<float>(pv[row] / 1000.0));
        }
}

TEST(CsvSignals, EmptyLoadAndPvPathsUseSynthetic) {
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = kPricing;
    cfg.time.step_hours = 0.5;
    cfg.time.day_start_hour = 0;
    const SignalSeries s = make_signals(cfg);
    EXPECT_EQ(s.days, 365);
    ASSERT_EQ(s.grid_load_kw.size(), 365u * 48u);
    ASSERT_EQ(s.pv_kw_per_kwp.size(), 365u * 48u);
    const std::vector<double> price = read_csv_column(kPricing, "electricity_pricing");
    EXPECT_FLOAT_EQ(s.retail_price_per_kwh[2 * 17], static_cast<float>(price[17]));
    EXPECT_FLOAT_EQ(s.retail_price_per_kwh[2 * 17 + 1], static_cast<float>(price[17]));
    EXPECT_GT(s.grid_load_kw[0], 0.0f);
}

TEST(CsvSignals, PriceFileRequired) {
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    const std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_TRUE(one_line(msg));
    EXPECT_NE(msg.find("signals.price_csv"), std::string::npos) << msg;
}

TEST(CsvSignals, ErrorsNameTheFile) {
    TempFile f("short.csv", "electricity_pricing\n0.1\n0.2\n");
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = f.path;
    const std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg.rfind(f.path + ":", 0), 0u) << msg;  // too short for one window
    cfg.signals.price_csv = kPricing;
    cfg.signals.load_csv = kBuilding;
    cfg.signals.load_column = "no_such_column";
    const std::string msg2 = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg2.rfind(kBuilding + ": no column 'no_such_column'", 0), 0u) << msg2;
}

// --------------------------------------------------------------- CSV units, ranges, times

TEST(CsvSignals, EurPerMwhIsConvertedToPerKwh) {
    TempFile per_kwh("per_kwh.csv", price_export(48, {}));
    Export mwh;
    mwh.scale = 1000.0;
    TempFile per_mwh("per_mwh.csv", price_export(48, mwh));
    Export cents;
    cents.scale = 100.0;
    TempFile per_ct("per_ct.csv", price_export(48, cents));
    Config a = csv_config(per_kwh.path);
    a.signals.price_unit = PriceUnitName::eur_per_kwh;
    Config b = csv_config(per_mwh.path);
    b.signals.price_unit = PriceUnitName::eur_per_mwh;
    Config c = csv_config(per_ct.path);
    c.signals.price_unit = PriceUnitName::eur_ct_per_kwh;
    const SignalSeries sa = make_signals(a), sb = make_signals(b), sc = make_signals(c);
    ASSERT_EQ(sb.retail_price_per_kwh.size(), sa.retail_price_per_kwh.size());
    for (size_t i = 0; i < sa.retail_price_per_kwh.size(); ++i) {
        EXPECT_FLOAT_EQ(sb.retail_price_per_kwh[i], sa.retail_price_per_kwh[i]) << i;
        EXPECT_FLOAT_EQ(sc.retail_price_per_kwh[i], sa.retail_price_per_kwh[i]) << i;
        EXPECT_FLOAT_EQ(sb.feed_in_price_per_kwh[i], sa.feed_in_price_per_kwh[i]) << i;
    }
    EXPECT_FLOAT_EQ(sa.retail_price_per_kwh[5], 0.125f);
    // The currency label outputs carry.
    EXPECT_EQ(currency_label(b), "EUR");
    EXPECT_EQ(currency_label(c), "EUR");
    EXPECT_EQ(currency_label(csv_config(per_kwh.path)), "$");
    Config synthetic;
    // No CSV prices: the synthetic ones are CityLearn's dollars.
    synthetic.signals.price_unit = PriceUnitName::eur_per_mwh;
    EXPECT_EQ(currency_label(synthetic), "$");
    // The MWh file read as the default $/kWh is refused: 100 $/kWh is no price.
    EXPECT_EQ(input_error_of([&] { make_signals(csv_config(per_mwh.path)); }),
              per_mwh.path + ":2: price 100 $/kWh is outside [-5, 10] $/kWh (wrong signals.price_unit?)");
}

// Before: 1e300 was read and became inf as a float; a load or PV in the wrong unit went through.
TEST(CsvSignals, PhysicalRangesAreChecked) {
    // 48 rows: long enough for a window, so that only the value can be at fault.
    const auto rows = [](const std::string& header, const std::string& bad) {
        std::string text = header + "\n1\n" + bad + "\n";
        for (int r = 2; r < 48; ++r) text += "0.5\n";
        return text;
    };
    TempFile huge("huge.csv", rows("price", "1e300"));
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = huge.path;
    cfg.signals.price_column = "price";
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }),
              huge.path + ":3: price 1e+300 $/kWh is outside [-5, 10] $/kWh (wrong signals.price_unit?)");
    cfg.signals.price_unit = PriceUnitName::eur_per_mwh;
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }),
              huge.path + ":3: price 1e+300 EUR/MWh (1e+297 EUR/kWh) is outside [-5, 10] EUR/kWh (wrong signals.price_unit?)");
    // Negative prices are real (day-ahead markets clear down to -500 EUR/MWh).
    Export negative;
    negative.scale = -1.0;
    TempFile below("negative.csv", price_export(48, negative));
    EXPECT_LT(make_signals(csv_config(below.path)).retail_price_per_kwh[0], 0.0f);
    // The price file plus one more series: `file`, read from its column `column`.
    const auto error_with = [](std::string SignalsConfig::*csv, std::string SignalsConfig::*column,
                               const TempFile& file, const char* name) {
        Config cfg = csv_config(kPricing);
        cfg.signals.price_column = "electricity_pricing";
        cfg.signals.*csv = file.path;
        cfg.signals.*column = name;
        return input_error_of([&] { make_signals(cfg); });
    };
    TempFile load("load.csv", rows("load", "-1"));
    EXPECT_EQ(error_with(&SignalsConfig::load_csv, &SignalsConfig::load_column, load, "load"),
              load.path + ":3: load -1 kW is outside [0, 1e+10] kW (the column must be kWh per hour, i.e. kW)");
    TempFile pv("pv.csv", rows("pv", "2000"));
    EXPECT_EQ(error_with(&SignalsConfig::pv_csv, &SignalsConfig::pv_column, pv, "pv"),
              pv.path + ":3: PV 2000 W per kWp is outside [0, 1500] W per kWp (the column must be W per kW peak)");
}

TEST(CsvSignals, SeparatorDecimalAndUnitKeys) {
    Config cfg;
    cfg.signals.csv_separator = ",";
    cfg.signals.csv_decimal = ",";
    std::string msg = input_error_of([&] { validate(cfg); });
    EXPECT_EQ(msg.rfind("signals.csv_decimal = \",\" with signals.csv_separator = \",\" is ambiguous", 0), 0u) << msg;
    cfg = Config{};
    cfg.signals.csv_separator = "|";
    EXPECT_EQ(input_error_of([&] { validate(cfg); }),
              "signals.csv_separator = '|' is not allowed: one of auto, \",\", \";\", tab");
    cfg = Config{};
    cfg.signals.csv_decimal = "point";
    EXPECT_EQ(input_error_of([&] { validate(cfg); }), "signals.csv_decimal = 'point' is not allowed: one of \".\", \",\"");
    for (const char* sep : {"auto", ",", ";", "tab"}) {
        cfg = Config{};
        cfg.signals.csv_separator = sep;
        EXPECT_EQ(input_error_of([&] { validate(cfg); }), "") << sep;
    }
    // The four keys load from TOML and survive the dump.
    const Config loaded = load_config_text(
        "[signals]\ncsv_separator = \";\"\ncsv_decimal = \",\"\nprice_unit = \"EUR/MWh\"\ntimestamp_column = \"Zeit\"\n",
        "signals.toml");
    EXPECT_EQ(loaded.signals.csv_separator, ";");
    EXPECT_EQ(loaded.signals.csv_decimal, ",");
    EXPECT_EQ(loaded.signals.price_unit, PriceUnitName::eur_per_mwh);
    EXPECT_EQ(loaded.signals.timestamp_column, "Zeit");
    const Config again = load_config_text(dump_config(loaded), "dump.toml");
    EXPECT_EQ(again.signals.csv_separator, ";");
    EXPECT_EQ(again.signals.price_unit, PriceUnitName::eur_per_mwh);
    EXPECT_EQ(again.signals.timestamp_column, "Zeit");
    msg = input_error_of([&] { load_config_text("[signals]\nprice_unit = \"GBP/kWh\"\n", "unit.toml"); });
    EXPECT_NE(msg.find("signals.price_unit = 'GBP/kWh' is not allowed"), std::string::npos) << msg;
    // Every choice of signals.price_unit has its conversion; the default is CityLearn's $/kWh.
    for (PriceUnitName name : every_choice<PriceUnitName>()) {
        EXPECT_GT(price_unit(name).to_per_kwh, 0.0) << name;
        EXPECT_GT(std::string(price_unit(name).currency).size(), 0u) << name;
    }
    EXPECT_EQ(Config{}.signals.price_unit, PriceUnitName::usd_per_kwh);
    EXPECT_STREQ(price_unit(PriceUnitName::eur_ct_per_kwh).currency, "EUR");
    EXPECT_DOUBLE_EQ(price_unit(PriceUnitName::usd_per_mwh).to_per_kwh, 1e-3);
}

TEST(CsvTimestamps, ParsesIso8601) {
    IsoTime t;
    ASSERT_TRUE(parse_iso_time("2023-03-26T03:00+02:00", &t));
    EXPECT_EQ(t.year, 2023);
    EXPECT_EQ(t.month, 3);
    EXPECT_EQ(t.day, 26);
    EXPECT_EQ(t.hour, 3);
    EXPECT_TRUE(t.has_offset);
    EXPECT_EQ(t.offset_minutes, 120);
    EXPECT_EQ(utc_seconds(t), utc_of(2023, 3, 26, 1));
    ASSERT_TRUE(parse_iso_time("2023-03-26 01:00:00Z", &t));
    EXPECT_EQ(utc_seconds(t), utc_of(2023, 3, 26, 1));
    ASSERT_TRUE(parse_iso_time("2024-02-29 23:00", &t));
    EXPECT_FALSE(t.has_offset);
    EXPECT_EQ(wall_clock_seconds(t), utc_of(2024, 2, 29, 23));
    ASSERT_TRUE(parse_iso_time("1969-12-31T23:00-05:30", &t));
    EXPECT_EQ(utc_seconds(t), utc_of(1970, 1, 1, 4) + 30 * 60);
    for (const char* bad : {"2023-02-29 00:00", "2023-13-01 00:00", "2023-01-32 00:00", "2023-01-01 24:00",
                            "2023-01-01 00:60", "2023-01-01 00:00:60", "2023-01-01", "2023-1-01 00:00",
                            "2023-01-01 0:00", "2023-01-01_00:00", "2023-01-01 00:00+15:00", "2023-01-01 00:00+0100",
                            "2023-01-01 00:00 ", "2023-01-01 00:00Z+01:00", "01.01.2023 00:00", ""})
        EXPECT_FALSE(parse_iso_time(bad, &t)) << bad;
}

// 72 hourly prices from `start` (UTC) stamped in Central European time, with their UTC offsets
// or as local wall-clock times; and a config that reads a price file with its time column.
TempFile cet_price_file(const std::string& name, int64_t start, bool with_offsets) {
    Export e;
    e.time = cet_hours(start, with_offsets);
    return TempFile(name, price_export(72, e));
}
Config timestamped_config(const std::string& path) {
    Config cfg = csv_config(path);
    cfg.signals.timestamp_column = "time";
    return cfg;
}

TEST(CsvTimestamps, UtcOffsetsAcrossDaylightSavingAreAccepted) {
    for (const auto& [start, label] : {std::pair<int64_t, const char*>{utc_of(2023, 3, 24, 23), "spring"},
                                       {utc_of(2023, 10, 27, 22), "autumn"}}) {
        const TempFile f = cet_price_file(std::string("dst_offsets_") + label + ".csv", start, true);
        const SignalSeries s = make_signals(timestamped_config(f.path));
        EXPECT_EQ(s.days, 3) << label;
        TempFile plain("plain.csv", price_export(72, {}));
        EXPECT_EQ(s.retail_price_per_kwh, make_signals(csv_config(plain.path)).retail_price_per_kwh) << label;
    }
    // UTC times ("Z") and times without offsets that do not cross a change.
    Export z;
    z.time = [](int r) { return iso_text(utc_of(2023, 3, 25, 0) + 3600 * r, 0, false) + "Z"; };
    TempFile utc("utc.csv", price_export(48, z));
    Config cfg = timestamped_config(utc.path);
    EXPECT_EQ(make_signals(cfg).days, 2);
    TempFile local("local.csv", price_export(48, {}));
    cfg.signals.price_csv = local.path;
    EXPECT_EQ(make_signals(cfg).days, 2);
}

// Before: timestamps were ignored and the missing hour shifted every later row by one.
TEST(CsvTimestamps, LocalSpringForwardGapIsRefusedAsDaylightSaving) {
    // From 2023-03-25 00:00 in Central Europe.
    const TempFile f = cet_price_file("dst_local.csv", utc_of(2023, 3, 24, 23), false);
    const std::string msg = input_error_of([&] { make_signals(timestamped_config(f.path)); });
    EXPECT_TRUE(one_line(msg)) << msg;
    // Row 26 (line 28) is 03:00: 02:00 does not exist that night.
    EXPECT_EQ(msg.rfind(f.path + ":28: 2023-03-26T03:00 follows 2023-03-26T01:00: a 2 h step", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("daylight-saving change"), std::string::npos) << msg;
    EXPECT_NE(msg.find("give UTC offsets or UTC times"), std::string::npos) << msg;
}

TEST(CsvTimestamps, RepeatedHourIsRefused) {
    // From 2023-10-28 00:00 in Central Europe.
    const TempFile f = cet_price_file("autumn_local.csv", utc_of(2023, 10, 27, 22), false);
    Config cfg = timestamped_config(f.path);
    std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg.rfind(f.path + ":29: 2023-10-29T02:00 repeats 2023-10-29T02:00, rows must be 1 h apart", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("daylight-saving change"), std::string::npos) << msg;
    // A duplicate at noon in June is no daylight-saving change.
    TempFile g("duplicate.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 01:00,0.1\n2023-06-01 01:00,0.2\n");
    cfg.signals.price_csv = g.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, g.path + ":4: 2023-06-01 01:00 repeats 2023-06-01 01:00, rows must be 1 h apart");
}

TEST(CsvTimestamps, GapsAndDisorderAreRefused) {
    // A two-hour step in June: one hour missing, no daylight-saving change.
    std::string text = "time,price\n";
    for (int h = 0; h < 30; ++h)
        if (h != 13) text += iso_text(utc_of(2023, 6, 1, 0) + 3600 * h, 0, false) + ",0.1\n";
    TempFile f("gap.csv", text);
    Config cfg = timestamped_config(f.path);
    std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, f.path + ":15: 2023-06-01T14:00 follows 2023-06-01T12:00: a 2 h step, rows must be 1 h apart");
    TempFile back("backwards.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 01:00,0.1\n2023-06-01 00:30,0.1\n");
    cfg.signals.price_csv = back.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, back.path + ":4: 2023-06-01 00:30 comes 30 min before 2023-06-01 01:00, rows must be 1 h apart");
    TempFile half("half_hourly.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 00:30,0.1\n");
    cfg.signals.price_csv = half.path;
    EXPECT_NE(input_error_of([&] { make_signals(cfg); }).find("a 30 min step"), std::string::npos);
    // With offsets, a gap is a gap too.
    TempFile offsets("gap_offsets.csv", "time,price\n2023-06-01T00:00+02:00,0.1\n2023-06-01T03:00+02:00,0.1\n");
    cfg.signals.price_csv = offsets.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_NE(msg.find("a 3 h step"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("daylight-saving"), std::string::npos) << msg;
}

TEST(CsvTimestamps, OtherTimestampFaults) {
    Config cfg = timestamped_config("");
    const auto error_for = [&](const std::string& name, const std::string& text) {
        TempFile f(name, text);
        cfg.signals.price_csv = f.path;
        const std::string msg = input_error_of([&] { make_signals(cfg); });
        const std::string prefix = f.path;
        EXPECT_TRUE(one_line(msg)) << msg;
        return msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : "wrong file: " + msg;
    };
    EXPECT_EQ(error_for("not_midnight.csv", "time,price\n2023-06-01 05:00,0.1\n"),
              ":2: the first row is at 2023-06-01 05:00: the rows must start at 00:00 (row t is clock hour t mod 24)");
    EXPECT_EQ(error_for("mixed.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01T01:00+02:00,0.1\n"),
              ":3: 2023-06-01T01:00+02:00 has a UTC offset, 2023-06-01 00:00 has none: give every time with one, or "
              "none");
    EXPECT_EQ(error_for("not_a_time.csv", "time,price\n01.06.2023 00:00,0.1\n"),
              ":2: '01.06.2023 00:00' in column 'time' is not a time (expected ISO 8601 YYYY-MM-DD HH:MM[:SS], "
              "optionally with Z or +HH:MM)");
    EXPECT_EQ(error_for("empty_time.csv", "time,price\n,0.1\n"), ":2: empty value in column 'time'");
    EXPECT_EQ(error_for("no_time.csv", "price\n0.1\n").rfind(": no column 'time' (columns: price)", 0), 0u);
    // The column must be in every file used, and the files must start at the same hour.
    TempFile price("timed_price.csv", price_export(48, {}));
    cfg.signals.price_csv = price.path;
    cfg.signals.load_csv = kBuilding;  // CityLearn's files have no timestamp column
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }).rfind(kBuilding + ": no column 'time'", 0), 0u);
    std::string later = "time,load\n";
    for (int h = 0; h < 48; ++h) later += iso_text(utc_of(2023, 1, 2, 0) + 3600 * h, 0, false) + ",1\n";
    TempFile load("timed_load.csv", later);
    cfg.signals.load_csv = load.path;
    cfg.signals.load_column = "load";
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }),
              load.path + ": starts at 2023-01-02T00:00, " + price.path +
                  " at 2023-01-01T00:00: the CSV files must start at the same hour");
}

// The CLI: a misread CSV is exit status 2 and one line naming the file and line.
TEST(CsvCli, BadCsvIsExitTwoAndOneLine) {
#ifdef V2G_CLI
    Export e;
    e.decimal = ',';
    TempFile csv("cli_decimal_commas.csv", price_export(48, e));
    TempFile toml("cli_csv.toml", "[run]\nepisodes = 1\ndevice = \"cpu\"\nthreads = 1\n"
                                  "[fleet]\nvehicles = 4\ncommunity_size = 4\nmix = \"single\"\n"
                                  "[sessions]\nmodel = \"fixed\"\n"
                                  "[signals]\nsource = \"csv\"\nprice_column = \"price\"\nprice_csv = \"" + csv.path + "\"\n"
                                  "[evaluation]\ncheck_days = 0\n");
    const auto run = [](const std::string& args, std::string* output) {
        const CommandResult r = run_v2g(args);
        *output += r.output;
        return r.status;
    };
    std::string out;
    EXPECT_EQ(run("train '" + toml.path + "'", &out), kExitBadInput) << out;
    EXPECT_EQ(out.find('\n'), out.size() - 1) << out;  // exactly one line
    EXPECT_NE(out.find(csv.path + ":2: 3 fields, the header has 2"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(run("train '" + toml.path + "' --set signals.csv_decimal=, --set signals.csv_separator=,", &out),
              kExitBadInput)
        << out;
    EXPECT_NE(out.find("is ambiguous"), std::string::npos) << out;
    out.clear();
    // Declared right it trains: the ';' export of the same series.
    TempFile good("cli_eu.csv", price_export(48, european_export()));
    EXPECT_EQ(run("train '" + toml.path + "' --set signals.price_csv=" + good.path + " --set signals.csv_decimal=, --quiet",
                  &out),
              0)
        << out;
#else
    GTEST_SKIP() << "V2G_CLI is not defined";
#endif
}


}  // namespace
}  // namespace v2g
