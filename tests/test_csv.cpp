// test_csv.cpp: the strict CSV reader, on the real CityLearn / EV2Gym files, on real-world-shaped
// exports (European separators and decimal marks, BOMs, CRLF) and on broken files.
#include "tests/data_test_helpers.h"

namespace v2g {
namespace {

using namespace v2g::testing;

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
    EXPECT_EQ(csv_error("partial.csv", "a\n1.5kW\n", "a"), ":2: '1.5kW' in column 'a' is not a number");
    EXPECT_EQ(csv_error("inf.csv", "a\n1\ninf\n", "a"), ":3: 'inf' in column 'a' is not a number");
}

TEST(CsvColumn, NoDataRows) {
    EXPECT_EQ(csv_error("header_only.csv", "a,b\n", "a"), ": no data rows");
}


TEST(CsvExport, SemicolonDecimalCommaBomCrlfReadsAsTheCommaFile) {
    TempFile comma("comma.csv", price_export(48, {}));
    TempFile semicolon("semicolon.csv", price_export(48, european_export()));
    const CsvFormat decimal_comma = decimal_mark(',');
    const std::vector<double> a = read_csv_column(comma.path, "price");
    ASSERT_EQ(a.size(), 48u);
    EXPECT_DOUBLE_EQ(a[5], 0.125);
    EXPECT_EQ(read_csv_column(semicolon.path, "price", decimal_comma), a);
    // Through the config: csv_separator auto finds the ';', csv_decimal = "," reads the commas.
    Config cfg = csv_config(semicolon.path);
    cfg.signals.csv_decimal = ",";
    validate(cfg);
    EXPECT_EQ(make_signals(cfg).retail_price_per_kwh, make_signals(csv_config(comma.path)).retail_price_per_kwh);
    // A tab-separated export, declared or detected.
    Export tab;
    tab.separator = '\t';
    TempFile tabbed("tab.csv", price_export(48, tab));
    EXPECT_EQ(read_csv_column(tabbed.path, "price"), a);
    EXPECT_EQ(read_csv_column(tabbed.path, "price", separated_by('\t')), a);
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
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = f.path;
    cfg.signals.price_column = "price";
    cfg.time.day_start_hour = 0;
    EXPECT_EQ(input_error_of([&] { make_signals(cfg); }).rfind(f.path + ":2: 3 fields, the header has 2", 0), 0u);
}

TEST(CsvExport, AmbiguousHeaderIsRefusedNamingBothSeparators) {
    TempFile f("ambiguous.csv", "time,price;load\n2023-01-01T00:00,0.1;1\n");
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price"); }),
              f.path + ":1: the header has both ',' and ';': set signals.csv_separator");
    EXPECT_EQ(csv_error("three.csv", "a,b;c\td\n1,2;3\t4\n", "a"),
              ":1: the header has ',', ';' and tab: set signals.csv_separator");
    // Declared, it reads: with ';' the fields are "time,price" and "load".
    EXPECT_EQ(read_csv_column(f.path, "load", separated_by(';')), std::vector<double>{1.0});
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
    const std::string msg = input_error_of([&] { read_csv_column(f.path, "price", separated_by(',')); });
    EXPECT_EQ(msg.rfind(f.path + ": no column 'price' (columns: time;price)", 0), 0u) << msg;
    EXPECT_NE(msg.find("(the header is ';'-separated: signals.csv_separator = \";\"?)"), std::string::npos)
        << msg;
    // Points read with decimal ','.
    TempFile g("points.csv", "time;price\n2023-01-01T00:00;0.25\n");
    const CsvFormat decimal_comma = decimal_mark(',');
    EXPECT_EQ(input_error_of([&] { read_csv_column(g.path, "price", decimal_comma); }),
              g.path + ":2: '0.25' in column 'price' is not a number (decimal point? set signals.csv_decimal = \".\")");
    // A row written with another separator than the header.
    EXPECT_EQ(csv_error("mixed.csv", "a;b\n1;2\n3,4\n", "a"),
              ":3: 1 field, the header has 2 (this row is ','-separated, the header ';'-separated)");
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
    EXPECT_EQ(csv_error("range.csv", "a\n1e400\n", "a"),
              ":2: '1e400' in column 'a' is not a number (beyond the range of a double)");
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
    EXPECT_EQ(csv_error("quote.csv", "time,price\n2023-01-01T00:00,\"0.1\n2023-01-01T01:00,0.2\n", "price"),
              ":2: unterminated quote");
    EXPECT_EQ(csv_error("quote_header.csv", "\"time,price\n1,2\n", "price"), ":1: unterminated quote");
    EXPECT_EQ(csv_error("after_quote.csv", "a,b\n\"1\"x,2\n", "b"), ":2: text after the closing quote of field 1");
    // Quoted separators and doubled quotes are fine.
    TempFile k("quoted_ok.csv", "a;\"b \"\"x\"\"\"\n\"1;5\";\" 2 \"\n");
    EXPECT_EQ(read_csv_column(k.path, "b \"x\""), std::vector<double>{2.0});
}

TEST(CsvExport, EmptyCellsAreRefused) {
    TempFile f("empty_eu.csv", "\xEF\xBB\xBFtime;price\r\n2023-01-01T00:00;0,1\r\n2023-01-01T01:00;\r\n");
    const CsvFormat decimal_comma = decimal_mark(',');
    EXPECT_EQ(input_error_of([&] { read_csv_column(f.path, "price", decimal_comma); }),
              f.path + ":3: empty value in column 'price'");
    EXPECT_EQ(csv_error("empty_quoted.csv", "a,b\n1,\"\"\n", "b"), ":2: empty value in column 'b'");
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
    EXPECT_EQ(csv_error("twice.csv", "a,b,a\n1,2,3\n", "a"), ":1: column 'a' appears twice (fields 1 and 3)");
    EXPECT_EQ(csv_error("blank_wide.csv", "a,b\n1,2\n\n3,4\n", "a"),
              ":3: blank line inside the data (the header has 2 fields)");
    EXPECT_EQ(csv_error("no_header.csv", "\n1\n", "a"), ":1: the header line is empty");
    EXPECT_EQ(csv_error("wide.csv", "a,b\nx,y,z\n", "a"), ":2: 3 fields, the header has 2");
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


}  // namespace
}  // namespace v2g
