// Every evaluation metric (eval/metrics.h, docs/EVALUATION.md) on a day computed by hand.
#include <gtest/gtest.h>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include "eval/metrics.h"

namespace v2g {
namespace {

// Two vehicles, four half-hour steps, a demand-response event on steps 1 and 2.
DayTotals hand_day() {
    DayTotals d;
    d.vehicles = 2;
    d.step_hours = 0.5;
    d.p2p_loss_fraction = 0.1;
    d.revenue = 3.0;
    d.energy_cost = 5.0;
    d.degradation_cost = 0.4;
    d.unmet_penalty = 1.0;
    d.unmet_kwh = 2.0;
    d.needed_kwh = 16.0;
    d.grid_import_kwh = 10.0;
    d.grid_export_kwh = 4.0;
    d.p2p_bought_kwh = 2.0;
    d.p2p_sold_kwh = 3.0;
    d.battery_in_kwh = 10.8;   // 12 kWh at the meters x 0.9
    d.battery_out_kwh = 7.0;   // 7 kWh out of the batteries for 4 + 3 kWh delivered (no loss: a simple case)
    d.step_import_kwh = {1.0, 4.0, 3.0, 2.0};
    d.step_export_kwh = {0.0, 1.0, 2.0, 1.0};
    d.dr_event = {0, 1, 1, 0};
    d.ledger = true;
    d.tx_count = 8;
    d.tx_latency_steps = 20;
    return d;
}

DayTotals uncontrolled_day() {
    DayTotals d = hand_day();
    d.step_import_kwh = {5.0, 5.0, 0.0, 0.0};  // peak 10 kW, DR import 5 kWh
    d.step_export_kwh = {0.0, 0.0, 0.0, 0.0};
    return d;
}

TEST(Metrics, EveryMetricOnAHandComputedDay) {
    const DayTotals u = uncontrolled_day();
    const DayMetrics m = compute_day_metrics(hand_day(), &u);
    EXPECT_DOUBLE_EQ(m[kMoneyPerVehicle], (3.0 - 5.0 - 0.4 - 1.0) / 2);
    EXPECT_DOUBLE_EQ(m[kEnergyCostPerVehicle], 2.5);
    EXPECT_DOUBLE_EQ(m[kRevenuePerVehicle], 1.5);
    EXPECT_DOUBLE_EQ(m[kDegradationCostPerVehicle], 0.2);
    EXPECT_DOUBLE_EQ(m[kUnmetKwhPerVehicle], 1.0);
    EXPECT_DOUBLE_EQ(m[kDepartureEnergyMet], 1.0 - 2.0 / 16.0);
    EXPECT_DOUBLE_EQ(m[kGridImportKwhPerVehicle], 5.0);
    EXPECT_DOUBLE_EQ(m[kGridExportKwhPerVehicle], 2.0);
    EXPECT_DOUBLE_EQ(m[kPeakImportKw], 8.0);  // 4 kWh in half an hour
    EXPECT_DOUBLE_EQ(m[kPeakReduction], 1.0 - 8.0 / 10.0);
    // (10.8 stored + 4 to the grid + 3 x 0.9 received by peers) / (10 + 2 drawn + 7 from batteries)
    EXPECT_DOUBLE_EQ(m[kEnergyEfficiency], (10.8 + 4.0 + 2.7) / 19.0);
    EXPECT_DOUBLE_EQ(m[kDrImportKwh], 7.0);
    EXPECT_DOUBLE_EQ(m[kDrImportReduction], 1.0 - 7.0 / 5.0);  // negative: worse than uncontrolled
    EXPECT_DOUBLE_EQ(m[kDrExportKwh], 3.0);
    EXPECT_DOUBLE_EQ(m[kTransactionLatencyHours], 20.0 / 8.0 * 0.5);
    EXPECT_DOUBLE_EQ(m[kTransactionsPerVehicle], 4.0);
}

TEST(Metrics, UndefinedValuesAreNaNNotZero) {
    DayTotals d = hand_day();
    d.ledger = false;
    DayTotals u = uncontrolled_day();
    u.step_import_kwh = {0, 0, 0, 0};
    const DayMetrics m = compute_day_metrics(d, &u);
    EXPECT_TRUE(std::isnan(m[kPeakReduction]));
    EXPECT_TRUE(std::isnan(m[kDrImportReduction]));
    EXPECT_TRUE(std::isnan(m[kTransactionLatencyHours]));
    EXPECT_EQ(m[kTransactionsPerVehicle], 0.0);
    const DayMetrics alone = compute_day_metrics(hand_day(), nullptr);
    EXPECT_TRUE(std::isnan(alone[kPeakReduction]));
    // Nobody needed energy: everything needed was met.
    d.needed_kwh = 0.0;
    d.unmet_kwh = 0.0;
    EXPECT_EQ(compute_day_metrics(d, nullptr)[kDepartureEnergyMet], 1.0);
    // Nothing moved: efficiency is undefined.
    DayTotals idle;
    idle.vehicles = 1;
    EXPECT_TRUE(std::isnan(compute_day_metrics(idle, nullptr)[kEnergyEfficiency]));
}

TEST(Metrics, TableHasAUniqueNameUnitAndDefinitionForEach) {
    std::set<std::string> names;
    for (const MetricInfo& info : metric_table()) {
        ASSERT_NE(info.name, nullptr);
        EXPECT_TRUE(names.insert(info.name).second) << info.name;
        EXPECT_GT(std::string(info.unit).size(), 0u) << info.name;
        EXPECT_GT(std::string(info.definition).size(), 10u) << info.name;
    }
    EXPECT_EQ(names.size(), static_cast<size_t>(kMetricCount));
}

}  // namespace
}  // namespace v2g

namespace v2g {
namespace {

// docs/EVALUATION.md has a row `| `name` | unit | definition |` for every metric.
TEST(Metrics, EveryMetricIsDocumentedWithItsUnit) {
    const std::string path = std::string(V2G_SOURCE_DIR) + "/docs/EVALUATION.md";
    FILE* f = std::fopen(path.c_str(), "r");
    ASSERT_NE(f, nullptr) << path;
    std::string doc;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) doc.append(buf, n);
    std::fclose(f);
    for (const MetricInfo& info : metric_table())
        EXPECT_NE(doc.find(std::string("| `") + info.name + "` | " + info.unit + " |"), std::string::npos)
            << info.name << " (" << info.unit << ") has no row in docs/EVALUATION.md";
}

}  // namespace
}  // namespace v2g
