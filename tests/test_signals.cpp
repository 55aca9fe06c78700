// test_signals.cpp: the data layer: the CSV reader (on the real CityLearn / EV2Gym files, on
// real-world-shaped exports and on broken files), units, ranges and timestamps of the CSV
// signals, the synthetic signal generators, the session model and the fleet mix, checked
// against the data files in ../shared/data (V2G_DATA_DIR) where a fitted constant stands in
// for them.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include "engine/config.h"
#include "engine/csv_reader.h"
#include "engine/csv_timestamps.h"
#include "engine/errors.h"
#include "engine/price_unit.h"
#include "engine/fleet_mix.h"
#include "engine/problem.h"
#include "kernels/layout.h"
#include "engine/sessions.h"
#include "engine/signals.h"
#include "kernels/session.h"

namespace v2g {
namespace {

const std::string kData = V2G_DATA_DIR;
const std::string kPricing = kData + "/citylearn/pricing.csv";
const std::string kBuilding = kData + "/citylearn/Building_1.csv";
const std::string kArrival = kData + "/ev2gym/distribution-of-arrival.csv";
const std::string kConnection = kData + "/ev2gym/distribution-of-connection-time.csv";
const std::string kDemand = kData + "/ev2gym/distribution-of-energy-demand.csv";
const std::string kSpecs = kData + "/ev2gym/ev_specs_v2g_enabled2024.json";
constexpr size_t kHoursPerYear = 8760;

// A file in the temp directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name, const std::string& text) {
        path = ::testing::TempDir() + "v2g_" + std::to_string(::getpid()) + "_" + name;
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

// The InputError message of f(), or "" when nothing (or something else) was thrown.
template <typename F>
std::string input_error_of(F f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

// ------------------------------------------------------------------------------ CSV reader

TEST(CsvColumn, ReadsCityLearnPricing) {
    const std::vector<double> price = read_csv_column(kPricing, "electricity_pricing");
    ASSERT_EQ(price.size(), kHoursPerYear);
    EXPECT_DOUBLE_EQ(price[0], 0.16463999999999998);  // first data row of pricing.csv
    EXPECT_DOUBLE_EQ(price[1], 0.15747999999999998);
    const std::vector<double> forecast = read_csv_column(kPricing, "electricity_pricing_predicted_3");
    EXPECT_DOUBLE_EQ(forecast[0], 0.15394999999999998);
}

TEST(CsvColumn, ReadsCityLearnBuilding) {
    const std::vector<double> load = read_csv_column(kBuilding, "non_shiftable_load");
    const std::vector<double> pv = read_csv_column(kBuilding, "solar_generation");
    ASSERT_EQ(load.size(), kHoursPerYear);
    ASSERT_EQ(pv.size(), kHoursPerYear);
    EXPECT_DOUBLE_EQ(load[0], 2.2758);
    EXPECT_DOUBLE_EQ(load[1], 0.85116667);
    EXPECT_EQ(pv[0], 0.0);  // midnight
    double pv_max = 0.0;
    for (double w : pv) pv_max = std::max(pv_max, w);
    EXPECT_DOUBLE_EQ(pv_max, 976.25);  // W per kWp: the reason for the /1000
}

TEST(CsvColumn, ReadsBomAndQuotedHeader) {
    // distribution-of-arrival.csv starts with a UTF-8 BOM and quotes its header names.
    const std::vector<double> v = read_csv_column(kArrival, "private");
    ASSERT_EQ(v.size(), 96u);
    EXPECT_DOUBLE_EQ(v[0], 0.868451025056948);
    EXPECT_NEAR(std::accumulate(v.begin(), v.end(), 0.0), 100.0, 1e-9);
}

TEST(CsvColumn, HandlesCrlfQuotesAndTrailingBlankLines) {
    TempFile f("crlf.csv", "\xEF\xBB\xBF\"time\",\"price, $/kWh\"\r\n\"00:00\",\"0.5\"\r\n01:00, 1e-1 \r\n\r\n\r\n");
    const std::vector<double> v = read_csv_column(f.path, "price, $/kWh");
    ASSERT_EQ(v.size(), 2u);
    EXPECT_DOUBLE_EQ(v[0], 0.5);
    EXPECT_DOUBLE_EQ(v[1], 0.1);
}

TEST(CsvColumn, MissingFile) {
    const std::string path = ::testing::TempDir() + "v2g_no_such_file.csv";
    const std::string msg = input_error_of([&] { read_csv_column(path, "x"); });
    EXPECT_EQ(msg, path + ": cannot open");
}

TEST(CsvColumn, MissingColumn) {
    TempFile f("nocol.csv", "a,b\n1,2\n");
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "price"); });
    EXPECT_TRUE(one_line(msg)) << msg;
    EXPECT_EQ(msg.rfind(f.path + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("'price'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("a, b"), std::string::npos) << msg;  // lists what is there
}

TEST(CsvColumn, MissingCellNamesLine) {
    // A short row is a width fault (the header fixes the width), wherever the column asked for is.
    TempFile f("missing.csv", "a,b\n1,2\n3\n5,6\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "b"); }), f.path + ":3: 1 field, the header has 2");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "a"); }), f.path + ":3: 1 field, the header has 2");
}

TEST(CsvColumn, EmptyCellNamesLine) {
    TempFile f("empty.csv", "a,b\r\n1,2\r\n3,4\r\n5,\r\n");
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "b"); });
    EXPECT_EQ(msg, f.path + ":4: empty value in column 'b'");
}

TEST(CsvColumn, BlankLineInsideDataNamesLine) {
    TempFile f("blank.csv", "a\n1\n\n3\n");
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "a"); });
    EXPECT_EQ(msg, f.path + ":3: empty value in column 'a'");
}

TEST(CsvColumn, NonNumericCellNamesLine) {
    TempFile f("nan.csv", "a,b\n1,2\n3,abc\n");
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "b"); });
    EXPECT_EQ(msg, f.path + ":3: 'abc' in column 'b' is not a number");
    TempFile g("partial.csv", "a\n1.5kW\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "a"); }), g.path + ":2: '1.5kW' in column 'a' is not a number");
    TempFile h("inf.csv", "a\n1\ninf\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(h.path, "a"); }), h.path + ":3: 'inf' in column 'a' is not a number");
}

TEST(CsvColumn, NoDataRows) {
    TempFile f("header_only.csv", "a,b\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "a"); }), f.path + ": no data rows");
}

// ------------------------------------------------------------------ CSV files as exported
// Real-world exports (issue 14, class 4): spreadsheets in European locales write ';' and
// decimal commas, often with a BOM and CRLF line ends; market data comes in EUR/MWh; local
// timestamps skip or repeat an hour at daylight-saving changes. Each must load right or be
// refused with one line naming the file and line, never be read silently wrong.

// The hourly price of row r of the test series ($/kWh): a daily shape and a slow drift.
double price_of_row(int r) { return 0.1 + 0.005 * (r % 24) + 0.001 * (r / 24); }

// UTC seconds of a calendar hour.
int64_t utc_of(int year, int month, int day, int hour) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    return static_cast<int64_t>(timegm(&tm));
}

// The wall clock at UTC instant `utc` with UTC offset `offset_minutes`, "2023-03-26T03:00",
// followed by the offset ("+02:00") when `with_offset`.
std::string iso_text(int64_t utc, int offset_minutes, bool with_offset) {
    const time_t wall = static_cast<time_t>(utc + offset_minutes * 60);
    std::tm tm{};
    gmtime_r(&wall, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
    std::string s = buf;
    if (with_offset) {
        const int a = std::abs(offset_minutes);
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
        s += buf;
    }
    return s;
}

// Central European Time in 2023: +01:00, and +02:00 from 26 March to 29 October, 01:00 UTC
// (the last Sundays of March and October, Directive 2000/84/EC).
int cet_offset_minutes(int64_t utc) {
    return utc >= utc_of(2023, 3, 26, 1) && utc < utc_of(2023, 10, 29, 1) ? 120 : 60;
}

// How a test export is written.
// Hourly Central European times from `start` (UTC), written with or without their offset.
std::function<std::string(int)> cet_hours(int64_t start, bool with_offset) {
    return [start, with_offset](int r) {
        const int64_t t = start + 3600 * static_cast<int64_t>(r);
        return iso_text(t, cet_offset_minutes(t), with_offset);
    };
}

struct Export {
    char separator = ',';
    char decimal = '.';
    double scale = 1.0;  // 1000: /MWh, 100: cents
    bool bom = false;
    std::string line_end = "\n";
    std::function<std::string(int)> time;  // row -> its time; default: local hours from 2023-01-01
};

std::string number_text(double v, char decimal) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    std::string s = buf;
    for (char& c : s)
        if (c == '.') c = decimal;
    return s;
}

// A file with a header "time<sep>price" and `hours` rows of the test series.
std::string price_export(int hours, const Export& e) {
    std::string out = e.bom ? "\xEF\xBB\xBF" : "";
    out += std::string("time") + e.separator + "price" + e.line_end;
    for (int r = 0; r < hours; ++r) {
        const std::string t = e.time ? e.time(r) : iso_text(utc_of(2023, 1, 1, 0) + 3600 * r, 0, false);
        out += t + e.separator + number_text(price_of_row(r) * e.scale, e.decimal) + e.line_end;
    }
    return out;
}

// signals.source = csv on one price file, windows from midnight.
Config csv_config(const std::string& price_csv) {
    Config cfg;
    cfg.signal_source = "csv";
    cfg.price_csv = price_csv;
    cfg.price_column = "price";
    cfg.day_start_hour = 0;
    return cfg;
}

TEST(CsvExport, SemicolonDecimalCommaBomCrlfReadsAsTheCommaFile) {
    TempFile comma("comma.csv", price_export(48, {}));
    Export eu;
    eu.separator = ';';
    eu.decimal = ',';
    eu.bom = true;
    eu.line_end = "\r\n";
    TempFile semicolon("semicolon.csv", price_export(48, eu));
    CsvFormat decimal_comma;
    decimal_comma.decimal = ',';
    const std::vector<double> a = read_csv_column(comma.path, "price");
    ASSERT_EQ(a.size(), 48u);
    EXPECT_DOUBLE_EQ(a[5], 0.125);
    EXPECT_EQ(read_csv_column(semicolon.path, "price", decimal_comma), a);
    // Through the config: csv_separator auto finds the ';', csv_decimal = "," reads the commas.
    Config cfg = csv_config(semicolon.path);
    cfg.csv_decimal = ",";
    validate(cfg);
    EXPECT_EQ(make_signals(cfg).retail_price_per_kwh, make_signals(csv_config(comma.path)).retail_price_per_kwh);
    // A tab-separated export, declared or detected.
    Export tab;
    tab.separator = '\t';
    TempFile tabbed("tab.csv", price_export(48, tab));
    CsvFormat tab_format;
    tab_format.separator = '\t';
    EXPECT_EQ(read_csv_column(tabbed.path, "price"), a);
    EXPECT_EQ(read_csv_column(tabbed.path, "price", tab_format), a);
}

// Before: split at ',' with no width check, "0,105" read as the integer part 0 every hour.
TEST(CsvExport, CommaFileWithDecimalCommasIsRefusedWithAHint) {
    Export e;
    e.decimal = ',';
    TempFile f("decimal_commas.csv", price_export(48, e));
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "price"); });
    EXPECT_TRUE(one_line(msg)) << msg;
    EXPECT_EQ(msg.rfind(f.path + ":2: 3 fields, the header has 2 (decimal commas", 0), 0u) << msg;
    EXPECT_NE(msg.find("signals.csv_decimal"), std::string::npos) << msg;
    Config cfg;
    cfg.signal_source = "csv";
    cfg.price_csv = f.path;
    cfg.price_column = "price";
    cfg.day_start_hour = 0;
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }).rfind(f.path + ":2: 3 fields, the header has 2", 0), 0u);
}

TEST(CsvExport, AmbiguousHeaderIsRefusedNamingBothSeparators) {
    TempFile f("ambiguous.csv", "time,price;load\n2023-01-01T00:00,0.1;1\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price"); }),
              f.path + ":1: the header has both ',' and ';': set signals.csv_separator");
    TempFile g("three.csv", "a,b;c\td\n1,2;3\t4\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "a"); }),
              g.path + ":1: the header has ',', ';' and tab: set signals.csv_separator");
    // Declared, it reads: with ';' the fields are "time,price" and "load".
    CsvFormat semicolon;
    semicolon.separator = ';';
    EXPECT_EQ(read_csv_column(f.path, "load", semicolon), std::vector<double>{1.0});
    // Separators inside quotes do not count.
    TempFile h("quoted.csv", "\"price; $/kWh\",load\n0.1,1\n");
    EXPECT_EQ(read_csv_column(h.path, "price; $/kWh"), std::vector<double>{0.1});
}

TEST(CsvExport, SeparatorAndDecimalHints) {
    // A ';' export with decimal commas read with the default '.'.
    Export eu;
    eu.separator = ';';
    eu.decimal = ',';
    TempFile f("eu.csv", price_export(24, eu));
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price"); }),
              f.path + ":2: '0,1' in column 'price' is not a number (decimal comma? set signals.csv_decimal = \",\")");
    // ... and with the wrong separator declared: the column is not found, the hint says why.
    CsvFormat comma;
    comma.separator = ',';
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "price", comma); });
    EXPECT_EQ(msg.rfind(f.path + ": no column 'price' (columns: time;price)", 0), 0u) << msg;
    EXPECT_NE(msg.find("(the header is ';'-separated: signals.csv_separator = \";\"?)"), std::string::npos)
        << msg;
    // Points read with decimal ','.
    TempFile g("points.csv", "time;price\n2023-01-01T00:00;0.25\n");
    CsvFormat decimal_comma;
    decimal_comma.decimal = ',';
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "price", decimal_comma); }),
              g.path + ":2: '0.25' in column 'price' is not a number (decimal point? set signals.csv_decimal = \".\")");
    // A row written with another separator than the header.
    TempFile h("mixed.csv", "a;b\n1;2\n3,4\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(h.path, "a"); }),
              h.path + ":3: 1 field, the header has 2 (this row is ','-separated, the header ';'-separated)");
    // decimal ',' with a ','-separated header is ambiguous.
    TempFile k("comma_header.csv", "a,b\n1,2\n");
    const std::string ambiguous = input_error_of([&] { read_csv_column(k.path, "a", decimal_comma); });
    EXPECT_EQ(ambiguous.rfind(k.path + ":1: the header is ','-separated and signals.csv_decimal = \",\"", 0), 0u)
        << ambiguous;
    // A one-column file: no separator, decimal commas read with csv_decimal ",".
    TempFile one("one_column.csv", "Preis\n0,25\n-1,5\n");
    EXPECT_EQ(read_csv_column(one.path, "Preis", decimal_comma), (std::vector<double>{0.25, -1.5}));
}

TEST(CsvExport, NumbersAreWholeFiniteFields) {
    for (const char* bad : {"+-1", "--1", "-+1", "++1", "+", "-", "1e400", "-1e400", "nan", "NaN", "-inf", "+inf",
                            "infinity", "0x10", "1.5.2", "1 000", "12abc", "1,5", ".", "e5", "1e"}) {
        TempFile f("bad_number.csv", std::string("a\n1\n") + bad + "\n");
        const std::string msg = input_error_of([&] { read_csv_column(f.path, "a"); });
        EXPECT_EQ(msg.rfind(f.path + ":3: '" + bad + "' in column 'a' is not a number", 0), 0u) << bad << ": " << msg;
        EXPECT_TRUE(one_line(msg)) << msg;
    }
    TempFile range("range.csv", "a\n1e400\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(range.path, "a"); }),
              range.path + ":2: '1e400' in column 'a' is not a number (beyond the range of a double)");
    TempFile good("good.csv", "a\n+1\n+.5\n-.5\n1e3\n  2.5  \n\"3\"\n-0\n007\n1E-2\n");
    EXPECT_EQ(read_csv_column(good.path, "a"), (std::vector<double>{1, 0.5, -0.5, 1000, 2.5, 3, 0, 7, 0.01}));
    double v = 0.0;
    EXPECT_TRUE(parse_csv_number("1,5", ',', &v));
    EXPECT_EQ(v, 1.5);
    EXPECT_TRUE(parse_csv_number("+,5", ',', &v));
    EXPECT_EQ(v, 0.5);
    EXPECT_FALSE(parse_csv_number("1.5", ',', &v));
    EXPECT_FALSE(parse_csv_number("1.234,5", ',', &v));  // thousands separators: not a number
    EXPECT_FALSE(parse_csv_number("1,5,0", ',', &v));
    EXPECT_FALSE(parse_csv_number("1,5", '.', &v));
}

// Before: the quote ran to the end of the line and "0.1 was read as 0.1.
TEST(CsvExport, UnterminatedQuoteIsRefused) {
    TempFile f("quote.csv", "time,price\n2023-01-01T00:00,\"0.1\n2023-01-01T01:00,0.2\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price"); }), f.path + ":2: unterminated quote");
    TempFile g("quote_header.csv", "\"time,price\n1,2\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "price"); }), g.path + ":1: unterminated quote");
    TempFile h("after_quote.csv", "a,b\n\"1\"x,2\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(h.path, "b"); }),
              h.path + ":2: text after the closing quote of field 1");
    // Quoted separators and doubled quotes are fine.
    TempFile k("quoted_ok.csv", "a;\"b \"\"x\"\"\"\n\"1;5\";\" 2 \"\n");
    EXPECT_EQ(read_csv_column(k.path, "b \"x\""), std::vector<double>{2.0});
}

TEST(CsvExport, EmptyCellsAreRefused) {
    TempFile f("empty_eu.csv", "\xEF\xBB\xBFtime;price\r\n2023-01-01T00:00;0,1\r\n2023-01-01T01:00;\r\n");
    CsvFormat decimal_comma;
    decimal_comma.decimal = ',';
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price", decimal_comma); }),
              f.path + ":3: empty value in column 'price'");
    TempFile g("empty_quoted.csv", "a,b\n1,\"\"\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "b"); }), g.path + ":2: empty value in column 'b'");
    // The empty cells of a column not asked for do not matter (pricing.csv has some).
    TempFile h("other_empty.csv", "a,b\n1,\n2,\n");
    EXPECT_EQ(read_csv_column(h.path, "a"), (std::vector<double>{1, 2}));
}

TEST(CsvExport, OtherFileFaultsAreOneLine) {
    TempFile utf16("utf16.csv", std::string("\xFF\xFE" "a\0\n\0" "1\0\n\0", 10));
    EXPECT_EQ(input_error_of([&] { read_csv_column(utf16.path, "a"); }),
              utf16.path + ": UTF-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8 CSV");
    const std::string dir = ::testing::TempDir();
    EXPECT_EQ(input_error_of([&] { read_csv_column(dir, "a"); }), dir + ": cannot open (a directory)");
    TempFile twice("twice.csv", "a,b,a\n1,2,3\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(twice.path, "a"); }),
              twice.path + ":1: column 'a' appears twice (fields 1 and 3)");
    TempFile blank("blank_wide.csv", "a,b\n1,2\n\n3,4\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(blank.path, "a"); }),
              blank.path + ":3: blank line inside the data (the header has 2 fields)");
    TempFile no_header("no_header.csv", "\n1\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(no_header.path, "a"); }), no_header.path + ":1: the header line is empty");
    TempFile wide("wide.csv", "a,b\nx,y,z\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(wide.path, "a"); }), wide.path + ":2: 3 fields, the header has 2");
    // A long column list is cut: error lines stay short.
    std::string header, row;
    for (int i = 0; i < 200; ++i) {
        header += (i ? "," : "") + std::string("column_") + std::to_string(i);
        row += (i ? ",1" : "1");
    }
    TempFile many("many.csv", header + "\n" + row + "\n");
    const std::string msg = input_error_of([&] { read_csv_column(many.path, "price"); });
    EXPECT_TRUE(one_line(msg));
    EXPECT_LT(msg.size(), many.path.size() + 200) << msg;
}

// ------------------------------------------------------------------------ synthetic signals

Config synthetic_config(uint64_t seed, int days) {
    Config cfg;
    cfg.seed = seed;
    cfg.signal_days = days;
    return cfg;
}

TEST(SyntheticSignals, ShapesAndRanges) {
    for (double step_hours : {1.0, 0.5, 0.25}) {
        Config cfg = synthetic_config(1, 30);
        cfg.step_hours = step_hours;
        const SignalSeries s = make_signals(cfg);
        const size_t n = static_cast<size_t>(30 * cfg.steps_per_day());
        EXPECT_EQ(s.days, 30);
        EXPECT_EQ(s.steps_per_day, cfg.steps_per_day());
        ASSERT_EQ(s.retail_price_per_kwh.size(), n);
        ASSERT_EQ(s.feed_in_price_per_kwh.size(), n);
        ASSERT_EQ(s.grid_load_kw.size(), n);
        ASSERT_EQ(s.pv_kw_per_kwp.size(), n);
        for (size_t i = 0; i < n; ++i) {
            EXPECT_GT(s.retail_price_per_kwh[i], 0.0f);
            EXPECT_FLOAT_EQ(s.feed_in_price_per_kwh[i], s.retail_price_per_kwh[i] * 0.5f);
            EXPECT_GT(s.grid_load_kw[i], 0.0f);
            EXPECT_GE(s.pv_kw_per_kwp[i], 0.0f);
            EXPECT_LE(s.pv_kw_per_kwp[i], 1.0f);
        }
    }
}

TEST(SyntheticSignals, DeterministicPerSeedDifferentAcrossSeeds) {
    const SignalSeries a = make_signals(synthetic_config(5, 20));
    const SignalSeries b = make_signals(synthetic_config(5, 20));
    const SignalSeries c = make_signals(synthetic_config(6, 20));
    EXPECT_EQ(a.retail_price_per_kwh, b.retail_price_per_kwh);
    EXPECT_EQ(a.grid_load_kw, b.grid_load_kw);
    EXPECT_EQ(a.pv_kw_per_kwp, b.pv_kw_per_kwp);
    EXPECT_NE(a.retail_price_per_kwh, c.retail_price_per_kwh);
    EXPECT_NE(a.grid_load_kw, c.grid_load_kw);
    EXPECT_NE(a.pv_kw_per_kwp, c.pv_kw_per_kwp);
}

TEST(SyntheticSignals, ZeroPriceNoiseGivesIdenticalDays) {
    Config cfg = synthetic_config(9, 10);
    cfg.price_noise = 0.0;
    const SignalSeries s = make_signals(cfg);
    const int steps = s.steps_per_day;
    for (int d = 1; d < s.days; ++d)
        for (int k = 0; k < steps; ++k)
            ASSERT_EQ(s.retail_price_per_kwh[d * steps + k], s.retail_price_per_kwh[k]) << "day " << d << " step " << k;
    // ... while the default noise makes the days differ.
    const SignalSeries noisy = make_signals(synthetic_config(9, 10));
    EXPECT_NE(noisy.retail_price_per_kwh[0], noisy.retail_price_per_kwh[steps]);
}

TEST(SyntheticSignals, QuarterHourStepsRepeatTheHour) {
    Config hourly = synthetic_config(3, 5);
    Config quarter = hourly;
    quarter.step_hours = 0.25;
    const SignalSeries h = make_signals(hourly);
    const SignalSeries q = make_signals(quarter);
    for (size_t i = 0; i < h.retail_price_per_kwh.size(); ++i)
        for (int j = 0; j < 4; ++j) {
            ASSERT_FLOAT_EQ(q.retail_price_per_kwh[4 * i + j], h.retail_price_per_kwh[i]);
            ASSERT_FLOAT_EQ(q.grid_load_kw[4 * i + j], h.grid_load_kw[i]);
            ASSERT_FLOAT_EQ(q.pv_kw_per_kwp[4 * i + j], h.pv_kw_per_kwp[i]);
        }
}

// Mean by clock hour of an hourly CityLearn column (row i = clock hour i % 24).
std::vector<double> data_hour_means(const std::vector<double>& v) {
    std::vector<double> sum(24, 0.0), count(24, 0.0);
    for (size_t i = 0; i < v.size(); ++i) {
        sum[i % 24] += v[i];
        count[i % 24] += 1.0;
    }
    for (int h = 0; h < 24; ++h) sum[h] /= count[h];
    return sum;
}

// Mean by clock hour of a generated series whose windows start at cfg.day_start_hour.
std::vector<double> series_hour_means(const std::vector<float>& v, const Config& cfg, int days) {
    std::vector<double> sum(24, 0.0);
    const int steps = cfg.steps_per_day();
    for (int d = 0; d < days; ++d)
        for (int k = 0; k < steps; ++k) {
            const int clock = (cfg.day_start_hour + static_cast<int>(k * cfg.step_hours)) % 24;
            sum[clock] += v[static_cast<size_t>(d) * steps + k] * cfg.step_hours / days;
        }
    return sum;
}

TEST(SyntheticSignals, PriceHourProfileMatchesCityLearn) {
    constexpr int kDays = 3650;  // ten years
    const Config cfg = synthetic_config(1, kDays);
    const SignalSeries s = make_signals(cfg);
    const std::vector<double> data = data_hour_means(read_csv_column(kPricing, "electricity_pricing"));
    const std::vector<double> synth = series_hour_means(s.retail_price_per_kwh, cfg, kDays);
    // The level: the autocorrelated day factor leaves ~2-3 % sampling error in ten years.
    const double data_mean = std::accumulate(data.begin(), data.end(), 0.0) / 24.0;
    const double synth_mean = std::accumulate(synth.begin(), synth.end(), 0.0) / 24.0;
    EXPECT_NEAR(synth_mean, data_mean, 0.08 * data_mean);
    // The shape: each hour relative to the daily mean, which the day factor does not touch.
    for (int h = 0; h < 24; ++h)
        EXPECT_NEAR(synth[h] / synth_mean, data[h] / data_mean, 0.02 * data[h] / data_mean) << "clock hour " << h;
}

// Log-sd and lag-1 autocorrelation of the log of window (24 h) mean prices.
std::pair<double, double> window_log_stats(const std::vector<double>& window_means) {
    std::vector<double> l;
    for (double m : window_means) l.push_back(std::log(m));
    const double mean = std::accumulate(l.begin(), l.end(), 0.0) / l.size();
    double var = 0.0, cov = 0.0;
    for (size_t i = 0; i < l.size(); ++i) {
        var += (l[i] - mean) * (l[i] - mean);
        if (i + 1 < l.size()) cov += (l[i] - mean) * (l[i + 1] - mean);
    }
    return {std::sqrt(var / (l.size() - 1)), cov / var};
}

TEST(SyntheticSignals, PriceDayToDayVariationMatchesCityLearn) {
    // The same statistic on noon-to-noon windows of the data and of ten synthetic years.
    const std::vector<double> price = read_csv_column(kPricing, "electricity_pricing");
    std::vector<double> data_windows;
    for (size_t t0 = 12; t0 + 24 <= price.size(); t0 += 24)
        data_windows.push_back(std::accumulate(price.begin() + t0, price.begin() + t0 + 24, 0.0) / 24.0);
    constexpr int kDays = 3650;
    const SignalSeries s = make_signals(synthetic_config(4, kDays));
    std::vector<double> synth_windows;
    for (int d = 0; d < kDays; ++d)
        synth_windows.push_back(std::accumulate(s.retail_price_per_kwh.begin() + d * 24,
                                                s.retail_price_per_kwh.begin() + d * 24 + 24, 0.0) / 24.0);
    const auto [data_sd, data_ac] = window_log_stats(data_windows);
    const auto [synth_sd, synth_ac] = window_log_stats(synth_windows);
    EXPECT_NEAR(synth_sd, data_sd, 0.15 * data_sd);
    EXPECT_NEAR(synth_ac, data_ac, 0.1);
    // price_noise scales it: half the noise, about half the log-sd.
    Config half = synthetic_config(4, kDays);
    half.price_noise = 0.2;
    const SignalSeries h = make_signals(half);
    std::vector<double> half_windows;
    for (int d = 0; d < kDays; ++d)
        half_windows.push_back(std::accumulate(h.retail_price_per_kwh.begin() + d * 24,
                                               h.retail_price_per_kwh.begin() + d * 24 + 24, 0.0) / 24.0);
    EXPECT_NEAR(window_log_stats(half_windows).first, 0.2, 0.03);
}

TEST(SyntheticSignals, LoadAndPvMatchCityLearnMeans) {
    constexpr int kDays = 3650;
    const Config cfg = synthetic_config(2, kDays);
    const SignalSeries s = make_signals(cfg);
    const std::vector<double> load = read_csv_column(kBuilding, "non_shiftable_load");
    const std::vector<double> pv_w = read_csv_column(kBuilding, "solar_generation");
    const double load_data = std::accumulate(load.begin(), load.end(), 0.0) / load.size();
    const double pv_data = std::accumulate(pv_w.begin(), pv_w.end(), 0.0) / pv_w.size() / 1000.0;
    const double load_synth =
        std::accumulate(s.grid_load_kw.begin(), s.grid_load_kw.end(), 0.0) / s.grid_load_kw.size();
    const double pv_synth =
        std::accumulate(s.pv_kw_per_kwp.begin(), s.pv_kw_per_kwp.end(), 0.0) / s.pv_kw_per_kwp.size();
    EXPECT_NEAR(load_synth, load_data, 0.05 * load_data);
    EXPECT_NEAR(pv_synth, pv_data, 0.05 * pv_data);
    // PV by clock hour: dark at night, peak near midday as in the data.
    const std::vector<double> pv_hour = series_hour_means(s.pv_kw_per_kwp, cfg, kDays);
    const std::vector<double> pv_hour_data = data_hour_means(pv_w);
    for (int h = 0; h < 24; ++h) EXPECT_NEAR(pv_hour[h], pv_hour_data[h] / 1000.0, 0.05) << "clock hour " << h;
    EXPECT_EQ(pv_hour[2], 0.0);
    EXPECT_GT(pv_hour[12], 0.5);
}

TEST(SyntheticSignals, BadSettings) {
    Config cfg;
    cfg.signal_source = "database";
    EXPECT_NE(input_error_of([&] { make_signals(cfg); }).find("signals.source"), std::string::npos);
    cfg = Config{};
    cfg.signal_days = 0;
    EXPECT_NE(input_error_of([&] { make_signals(cfg); }).find("signals.days"), std::string::npos);
}

// ------------------------------------------------------------------------------ CSV signals

// Item 4 of the model: demand-response events come from the grid-stress signal (the load's mean
// daily shape x each day's mean load, what a feeder of many households sees), so they fall in
// the peak hours of high-load days, not on one building's noisy hours: the building load's own
// hourly noise (the old definition) put ~45 % of them in 17:00-22:00 and ~6 % in the night
// (01:00-05:00, 30 summer days measured); the grid stress puts most in the evening and almost
// none at night, on fewer days, and they are still the configured share of steps.
TEST(SyntheticSignals, DemandResponseEventsAreThePeakHoursOfGridStress) {
    for (const char* source : {"synthetic", "csv"}) {
        Config cfg;
        cfg.signal_source = source;
        if (cfg.signal_source == "csv") {
            cfg.price_csv = kPricing;
            cfg.load_csv = kBuilding;
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
                const int clock = static_cast<int>(std::fmod(cfg.day_start_hour + t * cfg.step_hours, 24.0));
                evening += clock >= 17 && clock < 22;
                night += clock >= 1 && clock < 5;
            }
            days += any;
        }
        const double steps = static_cast<double>(p.signal_days) * p.steps_per_day;
        EXPECT_NEAR(events / steps, 1.0 - cfg.dr_load_quantile, 0.02) << source;
        EXPECT_GT(evening, 0.55 * events) << source << ": " << evening << " of " << events << " in the evening";
        EXPECT_LT(night, 0.03 * events) << source << ": " << night << " of " << events << " at night";
        EXPECT_LT(days, 0.8 * p.signal_days) << source << ": events on " << days << " days";
    }
}

TEST(CsvSignals, CityLearnPriceLoadPv) {
    Config cfg;
    cfg.signal_source = "csv";
    cfg.price_csv = kPricing;
    cfg.load_csv = kBuilding;
    cfg.pv_csv = kBuilding;
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
    cfg.signal_source = "csv";
    cfg.price_csv = kPricing;
    cfg.step_hours = 0.5;
    cfg.day_start_hour = 0;
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
    cfg.signal_source = "csv";
    const std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_TRUE(one_line(msg));
    EXPECT_NE(msg.find("signals.price_csv"), std::string::npos) << msg;
}

TEST(CsvSignals, ErrorsNameTheFile) {
    TempFile f("short.csv", "electricity_pricing\n0.1\n0.2\n");
    Config cfg;
    cfg.signal_source = "csv";
    cfg.price_csv = f.path;
    const std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg.rfind(f.path + ":", 0), 0u) << msg;  // too short for one window
    cfg.price_csv = kPricing;
    cfg.load_csv = kBuilding;
    cfg.load_column = "no_such_column";
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
    a.price_unit = "EUR/kWh";
    Config b = csv_config(per_mwh.path);
    b.price_unit = "EUR/MWh";
    Config c = csv_config(per_ct.path);
    c.price_unit = "ct/kWh";
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
    synthetic.price_unit = "EUR/MWh";  // no CSV prices: the synthetic ones are CityLearn's dollars
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
    cfg.signal_source = "csv";
    cfg.price_csv = huge.path;
    cfg.price_column = "price";
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }),
              huge.path + ":3: price 1e+300 $/kWh is outside [-5, 10] $/kWh (wrong signals.price_unit?)");
    cfg.price_unit = "EUR/MWh";
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }),
              huge.path + ":3: price 1e+300 EUR/MWh (1e+297 EUR/kWh) is outside [-5, 10] EUR/kWh (wrong signals.price_unit?)");
    // Negative prices are real (day-ahead markets clear down to -500 EUR/MWh).
    Export negative;
    negative.scale = -1.0;
    TempFile below("negative.csv", price_export(48, negative));
    EXPECT_LT(make_signals(csv_config(below.path)).retail_price_per_kwh[0], 0.0f);
    TempFile load("load.csv", rows("load", "-1"));
    Config with_load = csv_config(kPricing);
    with_load.price_column = "electricity_pricing";
    with_load.load_csv = load.path;
    with_load.load_column = "load";
    EXPECT_EQ(input_error_of([&] { make_signals(with_load); }),
              load.path + ":3: load -1 kW is outside [0, 1e+10] kW (the column must be kWh per hour, i.e. kW)");
    TempFile pv("pv.csv", rows("pv", "2000"));
    Config with_pv = csv_config(kPricing);
    with_pv.price_column = "electricity_pricing";
    with_pv.pv_csv = pv.path;
    with_pv.pv_column = "pv";
    EXPECT_EQ(input_error_of([&] { make_signals(with_pv); }),
              pv.path + ":3: PV 2000 W per kWp is outside [0, 1500] W per kWp (the column must be W per kW peak)");
}

TEST(CsvSignals, SeparatorDecimalAndUnitKeys) {
    Config cfg;
    cfg.csv_separator = ",";
    cfg.csv_decimal = ",";
    std::string msg = input_error_of([&] { validate(cfg); });
    EXPECT_EQ(msg.rfind("signals.csv_decimal = \",\" with signals.csv_separator = \",\" is ambiguous", 0), 0u) << msg;
    cfg = Config{};
    cfg.csv_separator = "|";
    EXPECT_EQ(input_error_of([&] { validate(cfg); }),
              "signals.csv_separator = '|' is not allowed: one of auto, \",\", \";\", tab");
    cfg = Config{};
    cfg.csv_decimal = "point";
    EXPECT_EQ(input_error_of([&] { validate(cfg); }), "signals.csv_decimal = 'point' is not allowed: one of \".\", \",\"");
    for (const char* sep : {"auto", ",", ";", "tab"}) {
        cfg = Config{};
        cfg.csv_separator = sep;
        EXPECT_EQ(input_error_of([&] { validate(cfg); }), "") << sep;
    }
    // The four keys load from TOML and survive the dump.
    const Config loaded = load_config_text(
        "[signals]\ncsv_separator = \";\"\ncsv_decimal = \",\"\nprice_unit = \"EUR/MWh\"\ntimestamp_column = \"Zeit\"\n",
        "signals.toml");
    EXPECT_EQ(loaded.csv_separator, ";");
    EXPECT_EQ(loaded.csv_decimal, ",");
    EXPECT_EQ(loaded.price_unit, "EUR/MWh");
    EXPECT_EQ(loaded.timestamp_column, "Zeit");
    const Config again = load_config_text(dump_config(loaded), "dump.toml");
    EXPECT_EQ(again.csv_separator, ";");
    EXPECT_EQ(again.price_unit, "EUR/MWh");
    EXPECT_EQ(again.timestamp_column, "Zeit");
    msg = input_error_of([&] { load_config_text("[signals]\nprice_unit = \"GBP/kWh\"\n", "unit.toml"); });
    EXPECT_NE(msg.find("signals.price_unit = 'GBP/kWh' is not allowed"), std::string::npos) << msg;
    // The config's choices are exactly the units price_unit.h converts.
    std::string units;
    for (const PriceUnit& u : price_units()) units += (units.empty() ? "one of " : ", ") + std::string(u.name);
    bool found = false;
    for (const KeyRange& r : config_key_ranges())
        if (r.key == "signals.price_unit") {
            found = true;
            EXPECT_EQ(r.allowed, units);
        }
    EXPECT_TRUE(found);
    EXPECT_EQ(std::string(price_units()[0].name), Config{}.price_unit);
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

TEST(CsvTimestamps, UtcOffsetsAcrossDaylightSavingAreAccepted) {
    for (const auto& [start, label] : {std::pair<int64_t, const char*>{utc_of(2023, 3, 24, 23), "spring"},
                                       {utc_of(2023, 10, 27, 22), "autumn"}}) {
        Export e;
        e.time = cet_hours(start, true);
        TempFile f(std::string("dst_offsets_") + label + ".csv", price_export(72, e));
        Config cfg = csv_config(f.path);
        cfg.timestamp_column = "time";
        const SignalSeries s = make_signals(cfg);
        EXPECT_EQ(s.days, 3) << label;
        TempFile plain("plain.csv", price_export(72, {}));
        EXPECT_EQ(s.retail_price_per_kwh, make_signals(csv_config(plain.path)).retail_price_per_kwh) << label;
    }
    // UTC times ("Z") and times without offsets that do not cross a change.
    Export z;
    z.time = [](int r) { return iso_text(utc_of(2023, 3, 25, 0) + 3600 * r, 0, false) + "Z"; };
    TempFile utc("utc.csv", price_export(48, z));
    Config cfg = csv_config(utc.path);
    cfg.timestamp_column = "time";
    EXPECT_EQ(make_signals(cfg).days, 2);
    TempFile local("local.csv", price_export(48, {}));
    cfg.price_csv = local.path;
    EXPECT_EQ(make_signals(cfg).days, 2);
}

// Before: timestamps were ignored and the missing hour shifted every later row by one.
TEST(CsvTimestamps, LocalSpringForwardGapIsRefusedAsDaylightSaving) {
    Export e;
    const int64_t start = utc_of(2023, 3, 24, 23);  // 2023-03-25 00:00 in Central Europe
    e.time = cet_hours(start, false);
    TempFile f("dst_local.csv", price_export(72, e));
    Config cfg = csv_config(f.path);
    cfg.timestamp_column = "time";
    const std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_TRUE(one_line(msg)) << msg;
    // Row 26 (line 28) is 03:00: 02:00 does not exist that night.
    EXPECT_EQ(msg.rfind(f.path + ":28: 2023-03-26T03:00 follows 2023-03-26T01:00: a 2 h step", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("daylight-saving change"), std::string::npos) << msg;
    EXPECT_NE(msg.find("give UTC offsets or UTC times"), std::string::npos) << msg;
}

TEST(CsvTimestamps, RepeatedHourIsRefused) {
    Export e;
    const int64_t start = utc_of(2023, 10, 27, 22);  // 2023-10-28 00:00 in Central Europe
    e.time = cet_hours(start, false);
    TempFile f("autumn_local.csv", price_export(72, e));
    Config cfg = csv_config(f.path);
    cfg.timestamp_column = "time";
    std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg.rfind(f.path + ":29: 2023-10-29T02:00 repeats 2023-10-29T02:00, rows must be 1 h apart", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("daylight-saving change"), std::string::npos) << msg;
    // A duplicate at noon in June is no daylight-saving change.
    TempFile g("duplicate.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 01:00,0.1\n2023-06-01 01:00,0.2\n");
    cfg.price_csv = g.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, g.path + ":4: 2023-06-01 01:00 repeats 2023-06-01 01:00, rows must be 1 h apart");
}

TEST(CsvTimestamps, GapsAndDisorderAreRefused) {
    // A two-hour step in June: one hour missing, no daylight-saving change.
    std::string text = "time,price\n";
    for (int h = 0; h < 30; ++h)
        if (h != 13) text += iso_text(utc_of(2023, 6, 1, 0) + 3600 * h, 0, false) + ",0.1\n";
    TempFile f("gap.csv", text);
    Config cfg = csv_config(f.path);
    cfg.timestamp_column = "time";
    std::string msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, f.path + ":15: 2023-06-01T14:00 follows 2023-06-01T12:00: a 2 h step, rows must be 1 h apart");
    TempFile back("backwards.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 01:00,0.1\n2023-06-01 00:30,0.1\n");
    cfg.price_csv = back.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_EQ(msg, back.path + ":4: 2023-06-01 00:30 comes 30 min before 2023-06-01 01:00, rows must be 1 h apart");
    TempFile half("half_hourly.csv", "time,price\n2023-06-01 00:00,0.1\n2023-06-01 00:30,0.1\n");
    cfg.price_csv = half.path;
    EXPECT_NE(input_error_of([&] { make_signals(cfg); }).find("a 30 min step"), std::string::npos);
    // With offsets, a gap is a gap too.
    TempFile offsets("gap_offsets.csv", "time,price\n2023-06-01T00:00+02:00,0.1\n2023-06-01T03:00+02:00,0.1\n");
    cfg.price_csv = offsets.path;
    msg = input_error_of([&] { make_signals(cfg); });
    EXPECT_NE(msg.find("a 3 h step"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("daylight-saving"), std::string::npos) << msg;
}

TEST(CsvTimestamps, OtherTimestampFaults) {
    Config cfg = csv_config("");
    cfg.timestamp_column = "time";
    const auto error_for = [&](const std::string& name, const std::string& text) {
        TempFile f(name, text);
        cfg.price_csv = f.path;
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
    cfg.price_csv = price.path;
    cfg.load_csv = kBuilding;  // CityLearn's files have no timestamp column
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }).rfind(kBuilding + ": no column 'time'", 0), 0u);
    std::string later = "time,load\n";
    for (int h = 0; h < 48; ++h) later += iso_text(utc_of(2023, 1, 2, 0) + 3600 * h, 0, false) + ",1\n";
    TempFile load("timed_load.csv", later);
    cfg.load_csv = load.path;
    cfg.load_column = "load";
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
        FILE* pipe = popen((std::string("'") + V2G_CLI + "' " + args + " 2>&1").c_str(), "r");
        if (!pipe) return -1;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output->append(buf, n);
        const int raw = pclose(pipe);
        return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
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
    Export eu;
    eu.separator = ';';
    eu.decimal = ',';
    eu.bom = true;
    eu.line_end = "\r\n";
    TempFile good("cli_eu.csv", price_export(48, eu));
    EXPECT_EQ(run("train '" + toml.path + "' --set signals.price_csv=" + good.path + " --set signals.csv_decimal=, --quiet",
                  &out),
              0)
        << out;
#else
    GTEST_SKIP() << "V2G_CLI is not defined";
#endif
}

// ---------------------------------------------------------------------------- session model

// Rows of a two-dimensional EV2Gym table: first column -> the charger column.
std::vector<std::pair<double, double>> table_rows(const std::string& path, const std::string& charger) {
    std::vector<double> x;
    {
        // The first column's header differs between files; read it by name from the header.
        std::ifstream in(path);
        std::string header;
        std::getline(in, header);
        const size_t q1 = header.find('"'), q2 = header.find('"', q1 + 1);
        x = read_csv_column(path, header.substr(q1 + 1, q2 - q1 - 1));
    }
    const std::vector<double> y = read_csv_column(path, charger);
    std::vector<std::pair<double, double>> rows;
    for (size_t i = 0; i < x.size(); ++i) rows.push_back({x[i], y[i]});
    return rows;
}

TEST(SessionModel, ArrivalCdfMatchesEv2GymData) {
    for (const char* charger : {"private", "public", "workplace"}) {
        for (double step_hours : {1.0, 0.5, 0.25}) {
            for (int start : {12, 0, 7}) {
                Config cfg;
                cfg.charger = charger;
                cfg.step_hours = step_hours;
                cfg.day_start_hour = start;
                const SessionModel m = build_session_model(cfg);
                const int steps = cfg.steps_per_day();
                EXPECT_EQ(m.fixed, 0);
                EXPECT_EQ(m.arrival_cdf[steps - 1], 1.0f);
                for (int k = 1; k < steps; ++k) ASSERT_GE(m.arrival_cdf[k], m.arrival_cdf[k - 1]);
                // Independent recomputation from the file: share of arrivals within the first
                // k+1 steps of the window.
                const std::vector<double> pct = read_csv_column(kArrival, charger);
                const int slots_per_step = static_cast<int>(step_hours * 4 + 0.5);
                double acc = 0.0;
                for (int k = 0; k < steps; ++k) {
                    for (int j = 0; j < slots_per_step; ++j) acc += pct[(start * 4 + k * slots_per_step + j) % 96];
                    EXPECT_NEAR(m.arrival_cdf[k], acc / 100.0, 1e-5) << charger << " step " << k;
                }
            }
        }
    }
}

TEST(SessionModel, QuantilesMatchEv2GymData) {
    for (const char* charger : {"private", "public", "workplace"}) {
        Config cfg;
        cfg.charger = charger;
        const SessionModel m = build_session_model(cfg);
        for (int q = 1; q < kQuantileCount; ++q) {
            EXPECT_GE(m.duration_hours_q[q], m.duration_hours_q[q - 1]);
            EXPECT_GE(m.trip_kwh_q[q], m.trip_kwh_q[q - 1]);
        }
        // Row x of the tables = value exceeded by x % of the events, so quantile p = row 100(1-p).
        for (const auto& [x, hours] : table_rows(kConnection, charger)) {
            const int pct = static_cast<int>(x + 0.5);
            if (pct % 5 != 0) continue;
            EXPECT_FLOAT_EQ(m.duration_hours_q[(100 - pct) / 5], std::min(hours, 24.0)) << charger << " row " << pct;
        }
        // The trip table is the session-energy table (capped at 77 kWh, the largest pack) scaled
        // to the mean daily distance x consumption: its shape is the data's, its mean the driving.
        std::vector<double> energy(kQuantileCount);
        for (const auto& [x, kwh] : table_rows(kDemand, charger)) {
            const int pct = static_cast<int>(x + 0.5);
            if (pct % 5 == 0) energy[(100 - pct) / 5] = std::min(kwh, 77.0);
        }
        double table_mean = 0.0, energy_mean = 0.0;
        for (int q = 0; q + 1 < kQuantileCount; ++q) {
            table_mean += 0.5 * (m.trip_kwh_q[q] + m.trip_kwh_q[q + 1]) / (kQuantileCount - 1);
            energy_mean += 0.5 * (energy[q] + energy[q + 1]) / (kQuantileCount - 1);
        }
        EXPECT_NEAR(table_mean, cfg.daily_km * cfg.consumption_kwh_per_km, 1e-4) << charger;
        for (int q = 0; q < kQuantileCount; ++q)
            EXPECT_NEAR(m.trip_kwh_q[q], energy[q] * table_mean / energy_mean, 1e-4) << charger << " q " << q;
        EXPECT_EQ(m.min_duration_steps, 1.0f);
        EXPECT_FLOAT_EQ(m.reserve_kwh, static_cast<float>(cfg.reserve_km * cfg.consumption_kwh_per_km));
    }
}

// The by-arrival means of mean-session-length-per.csv or mean-demand-per-arrival.csv for one
// charger ("home"/"public"/"work" columns), [half-hour of the day], -1 where the file has none.
std::vector<double> by_arrival(const std::string& file, int column) {
    std::ifstream in(kData + "/ev2gym/" + file);
    std::string line;
    std::getline(in, line);
    std::vector<double> out(48, -1.0);
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ',')) cells.push_back(cell);
        const std::string t = cells[0].substr(1, 5);  // "HH:MM"
        const int slot = std::stoi(t.substr(0, 2)) * 2 + std::stoi(t.substr(3, 2)) / 30;
        if (static_cast<int>(cells.size()) > column + 1 && !cells[column + 1].empty())
            out[slot] = std::stod(cells[column + 1]);
    }
    return out;
}

// Item 3 of the model: stay and trip are conditional on the arrival time. Sessions drawn from a
// window that starts at their arrival hour (so that nothing is cut at its end) reproduce the
// data's mean stay by arrival hour, and the trip energy by arrival hour follows the data's
// session energy by arrival hour (relative to its mean: the level is the mileage's).
TEST(SessionModel, ConditionalSessionsReproduceTheDataByArrivalHour) {
    const std::vector<double> stay = by_arrival("mean-session-length-per.csv", 0);  // home
    const std::vector<double> energy = by_arrival("mean-demand-per-arrival.csv", 0);
    const std::vector<double> weekday_pct = read_csv_column(kArrival, "private");
    double energy_weighted = 0.0, weights = 0.0;
    for (int j = 0; j < 96; ++j) {
        energy_weighted += weekday_pct[j] * energy[j / 2];
        weights += weekday_pct[j];
    }
    const double energy_mean = energy_weighted / weights;
    int stay_hours_checked = 0, hours_checked = 0;
    for (int hour = 0; hour < 24; ++hour) {
        // Hours with at least 1 % of the arrivals (the night's few sessions make noisy means).
        if (weekday_pct[hour * 4] + weekday_pct[hour * 4 + 1] + weekday_pct[hour * 4 + 2] + weekday_pct[hour * 4 + 3] < 1.0)
            continue;
        ++hours_checked;
        Config cfg;
        cfg.step_hours = 0.25;
        cfg.day_start_hour = hour;
        EnvParams p{};
        p.steps_per_day = cfg.steps_per_day();
        p.step_hours = 0.25f;
        p.seed = 5;
        p.signal_days = 5;  // days 0-4 from a Monday: weekdays only
        p.sessions = build_session_model(cfg);
        // Expected: the data's half-hour means of this hour, weighted by its arrivals.
        const double w0 = weekday_pct[hour * 4] + weekday_pct[hour * 4 + 1];
        const double w1 = weekday_pct[hour * 4 + 2] + weekday_pct[hour * 4 + 3];
        const double want_stay = (w0 * stay[hour * 2] + w1 * stay[hour * 2 + 1]) / (w0 + w1);
        const double want_energy = (w0 * energy[hour * 2] + w1 * energy[hour * 2 + 1]) / (w0 + w1) / energy_mean;
        // Draw until this hour has enough arrivals (those in the window's first hour, steps 0-3).
        double stay_sum = 0.0, trip_sum = 0.0, trip_all = 0.0;
        int n = 0, all = 0;
        for (int v = 0; n < 4000 && v < 1000000; ++v) {
            const Session s = draw_session(p, v, v % 5);
            trip_all += s.trip_kwh;
            ++all;
            if (s.arrival_step >= 4) continue;
            stay_sum += (s.departure_step - s.arrival_step) * 0.25;
            trip_sum += s.trip_kwh;
            ++n;
        }
        ASSERT_GE(n, 2000) << "hour " << hour;
        const double trip_mean = cfg.daily_km * cfg.consumption_kwh_per_km;
        EXPECT_NEAR(trip_sum / n / trip_mean, want_energy, 0.06 * want_energy) << "arrivals at " << hour << ":00";
        // Stays whose scaled tail fits the day (the connection-time table ends at 24 h): a
        // longer scale would have its tail cut at the window's end.
        const double table_mean = [&] {
            double t = 0.0;
            for (int q = 0; q + 1 < kQuantileCount; ++q)
                t += 0.5 * (p.sessions.duration_hours_q[q] + p.sessions.duration_hours_q[q + 1]) / (kQuantileCount - 1);
            return t;
        }();
        if (want_stay / table_mean <= 0.95) {
            EXPECT_NEAR(stay_sum / n, want_stay, 0.06 * want_stay + 0.15) << "arrivals at " << hour << ":00";
            ++stay_hours_checked;
        }
    }
    EXPECT_GE(hours_checked, 16);
    EXPECT_GE(stay_hours_checked, 6);
}

// Weekend days draw their arrivals from distribution-of-arrival-weekend.csv.
TEST(SessionModel, WeekendDaysUseTheWeekendArrivals) {
    Config cfg;
    cfg.day_start_hour = 0;
    cfg.first_weekday = 0;  // day 0 a Monday: days 5 and 6 are the weekend
    EnvParams p{};
    p.steps_per_day = cfg.steps_per_day();
    p.step_hours = 1.0f;
    p.seed = 9;
    p.signal_days = 7;
    p.sessions = build_session_model(cfg);
    const std::vector<double> weekend = read_csv_column(kData + "/ev2gym/distribution-of-arrival-weekend.csv", "private");
    const std::vector<double> weekday = read_csv_column(kArrival, "private");
    for (const auto& [day, pct] : {std::pair<int, const std::vector<double>*>{5, &weekend}, {6, &weekend}, {2, &weekday}}) {
        EXPECT_EQ(is_weekend(p, day), day >= 5);
        std::vector<double> drawn(24, 0.0);
        const int n = 100000;
        for (int v = 0; v < n; ++v) drawn[draw_session(p, v, day).arrival_step] += 1.0 / n;
        for (int h = 0; h < 24; ++h) {
            const double want = ((*pct)[4 * h] + (*pct)[4 * h + 1] + (*pct)[4 * h + 2] + (*pct)[4 * h + 3]) / 100.0;
            EXPECT_NEAR(drawn[h], want, 0.004) << "day " << day << " hour " << h;
        }
    }
    // Weekends differ from weekdays: more arrivals before 10:00 on the weekend.
    double weekend_morning = 0.0, weekday_morning = 0.0;
    for (int j = 0; j < 40; ++j) {
        weekend_morning += weekend[j];
        weekday_morning += weekday[j];
    }
    EXPECT_GT(weekend_morning, weekday_morning + 3.0);
}

// Item 2 of the model: a year of daily trips adds up to the mean daily distance (CBS: 13,300 km
// a year) at the configured consumption, not to one ElaadNL session a day (~46,000 km).
TEST(SessionModel, AYearOfTripsGivesTheNationalMileage) {
    Config cfg;
    EnvParams p{};
    p.steps_per_day = cfg.steps_per_day();
    p.step_hours = 1.0f;
    p.seed = 3;
    p.signal_days = 365;
    p.sessions = build_session_model(cfg);
    double kwh = 0.0;
    const int vehicles = 200, days = 365;
    for (int v = 0; v < vehicles; ++v)
        for (int e = 0; e < days; ++e) kwh += draw_session(p, v, e).trip_kwh;
    const double km_per_year = kwh / vehicles / cfg.consumption_kwh_per_km;
    EXPECT_NEAR(km_per_year, 365.0 * cfg.daily_km, 0.03 * 365.0 * cfg.daily_km);
    EXPECT_NEAR(365.0 * cfg.daily_km, 13300.0, 20.0);  // the default is CBS's figure
}

TEST(SessionModel, DrawnSessionsFitTheWindow) {
    for (double step_hours : {1.0, 0.25}) {
        Config cfg;
        cfg.step_hours = step_hours;
        EnvParams p{};
        p.steps_per_day = cfg.steps_per_day();
        p.step_hours = static_cast<float>(step_hours);
        p.seed = 11;
        p.signal_days = 7;
        p.sessions = build_session_model(cfg);
        const float max_trip = p.sessions.trip_kwh_q[kQuantileCount - 1] * 2.0f;  // scales stay below 2
        int evening_arrivals = 0, total = 0;
        for (int v = 0; v < 200; ++v)
            for (int e = 0; e < 50; ++e) {
                const Session s = draw_session(p, v, e);
                ASSERT_GE(s.arrival_step, 0);
                ASSERT_LT(s.arrival_step, s.departure_step);
                ASSERT_LE(s.departure_step, p.steps_per_day);
                ASSERT_GE(s.trip_kwh, 0.0f);
                ASSERT_LE(s.trip_kwh, max_trip);
                const double clock = std::fmod(12.0 + s.arrival_step * step_hours, 24.0);
                evening_arrivals += (clock >= 16.0 && clock < 24.0);
                ++total;
            }
        // Private chargers: about 3/4 of arrivals are between 16:00 and midnight in the data.
        EXPECT_GT(evening_arrivals, total * 0.6);
        EXPECT_LT(evening_arrivals, total * 0.85);
    }
}

TEST(SessionModel, FixedSessionMapsClockHours) {
    Config cfg;
    cfg.session_model = "fixed";
    cfg.fixed_arrival_hour = 18;
    cfg.fixed_departure_hour = 7;
    cfg.fixed_trip_kwh = 12;
    SessionModel m = build_session_model(cfg);
    EXPECT_EQ(m.fixed, 1);
    EXPECT_EQ(m.fixed_arrival_step, 6);     // 18:00 is 6 h after noon
    EXPECT_EQ(m.fixed_departure_step, 19);  // 07:00 is 19 h after noon
    EXPECT_FLOAT_EQ(m.fixed_trip_kwh, 12.0f);
    cfg.step_hours = 0.25;
    cfg.fixed_arrival_hour = 18.5;
    m = build_session_model(cfg);
    EXPECT_EQ(m.fixed_arrival_step, 26);
    EXPECT_EQ(m.fixed_departure_step, 76);
    cfg.step_hours = 1.0;
    cfg.fixed_departure_hour = 12;  // leaving at the window's start = at its end
    m = build_session_model(cfg);
    EXPECT_EQ(m.fixed_departure_step, 24);
}

TEST(SessionModel, BadSettingsNameTheKey) {
    Config cfg;
    cfg.session_model = "fixed";
    cfg.fixed_arrival_hour = 8;
    cfg.fixed_departure_hour = 7;  // 20 h and 19 h after noon: departs before arriving
    std::string msg = input_error_of([&] { build_session_model(cfg); });
    EXPECT_TRUE(one_line(msg));
    EXPECT_EQ(msg.rfind("sessions.fixed_departure_hour", 0), 0u) << msg;
    cfg.fixed_arrival_hour = 25;
    EXPECT_EQ(input_error_of([&] { build_session_model(cfg); }).rfind("sessions.fixed_arrival_hour", 0), 0u);
    cfg = Config{};
    cfg.session_model = "poisson";
    EXPECT_EQ(input_error_of([&] { build_session_model(cfg); }).rfind("sessions.model", 0), 0u);
    cfg = Config{};
    cfg.charger = "depot";
    EXPECT_EQ(input_error_of([&] { build_session_model(cfg); }).rfind("sessions.charger", 0), 0u);
}

// -------------------------------------------------------------------------------- fleet mix

// The number after `"key":` in the JSON object that follows `"name":`.
double json_field(const std::string& json, const std::string& name, const std::string& key) {
    const size_t at = json.find("\"" + name + "\"");
    EXPECT_NE(at, std::string::npos) << name;
    const size_t k = json.find("\"" + key + "\"", at);
    const size_t colon = json.find(':', k);
    return std::stod(json.substr(colon + 1));
}

TEST(FleetMix, Ev2GymModelsMatchJson) {
    std::stringstream buf;
    buf << std::ifstream(kSpecs).rdbuf();
    const std::string json = buf.str();
    ASSERT_FALSE(json.empty());
    const std::vector<EvModel> models = fleet_mix(Config{});
    ASSERT_EQ(models.size(), 8u);
    for (const EvModel& m : models) {
        EXPECT_GT(m.weight, 0.0);
        EXPECT_DOUBLE_EQ(m.weight, json_field(json, m.name, "number_of_registrations")) << m.name;
        EXPECT_FLOAT_EQ(m.capacity_kwh, static_cast<float>(json_field(json, m.name, "battery_capacity"))) << m.name;
        EXPECT_FLOAT_EQ(m.charge_kw, static_cast<float>(json_field(json, m.name, "max_ac_charge_power"))) << m.name;
        EXPECT_FLOAT_EQ(m.discharge_kw, static_cast<float>(json_field(json, m.name, "max_ac_discharge_power")))
            << m.name;
        EXPECT_GT(m.eta_charge, 0.8f);
        EXPECT_LT(m.eta_charge, 1.0f);
        EXPECT_EQ(m.eta_discharge, m.eta_charge);
    }
}

TEST(FleetMix, SingleAndUnknown) {
    Config cfg;
    cfg.mix = "single";
    cfg.single_capacity_kwh = 40;
    cfg.single_charge_kw = 7;
    cfg.single_discharge_kw = 5;
    cfg.single_efficiency = 0.95;
    const std::vector<EvModel> models = fleet_mix(cfg);
    ASSERT_EQ(models.size(), 1u);
    EXPECT_GT(models[0].weight, 0.0);
    EXPECT_FLOAT_EQ(models[0].capacity_kwh, 40.0f);
    EXPECT_FLOAT_EQ(models[0].charge_kw, 7.0f);
    EXPECT_FLOAT_EQ(models[0].discharge_kw, 5.0f);
    EXPECT_FLOAT_EQ(models[0].eta_charge, 0.95f);
    EXPECT_FLOAT_EQ(models[0].eta_discharge, 0.95f);
    cfg.mix = "tesla";
    EXPECT_EQ(input_error_of([&] { fleet_mix(cfg); }).rfind("fleet.mix", 0), 0u);
}

}  // namespace
}  // namespace v2g
