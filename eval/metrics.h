// metrics.h: the evaluation's metrics (docs/EVALUATION.md), each a pure function of one
// policy's totals for one day, so a test can check every one on a hand-computed day. The table
// of names, units and definitions here is what the results file and the report carry.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace v2g {

enum Metric : int {
    kMoneyPerVehicle = 0,
    kEnergyCostPerVehicle,
    kRevenuePerVehicle,
    kDegradationCostPerVehicle,
    kEnRouteCostPerVehicle,
    kUnmetKwhPerVehicle,
    kDepartureEnergyMet,
    kGridImportKwhPerVehicle,
    kGridExportKwhPerVehicle,
    kPeakImportKw,
    kPeakReduction,
    kEnergyEfficiency,
    kDrImportKwh,
    kDrImportReduction,
    kDrExportKwh,
    kTransactionLatencyHours,
    kTransactionsPerVehicle,
    kEnRouteKwhPerVehicle,
    kCurtailedKwhPerVehicle,
    kGridLimitSteps,
    kSafetyOverridesPerVehicle,
    kMetricCount,
};

struct MetricInfo {
    const char* name;        // dataset name under /evaluation/metrics
    const char* unit;
    const char* definition;  // one line (docs/EVALUATION.md has the long form)
};
const std::array<MetricInfo, kMetricCount>& metric_table();

// One policy's fleet totals for one day: what the metrics are computed from.
struct DayTotals {
    int vehicles = 0;
    double step_hours = 1.0;
    double p2p_loss_fraction = 0.0;
    // money (currency, fleet sums)
    double revenue = 0, energy_cost = 0, degradation_cost = 0, unmet_penalty = 0, en_route_cost = 0;
    // energy (kWh, fleet sums)
    double unmet_kwh = 0;
    double needed_kwh = 0;          // sum over vehicles of max(0, required - stored at arrival)
    double grid_import_kwh = 0, grid_export_kwh = 0;
    double p2p_bought_kwh = 0, p2p_sold_kwh = 0;
    double battery_in_kwh = 0;      // stored into batteries (meter in x charge efficiency)
    double battery_out_kwh = 0;     // taken from batteries (meter out / discharge efficiency)
    double en_route_kwh = 0;        // fast charging bought on trips the batteries could not cover
    double curtailed_kwh = 0;       // grid import and export cut by the connection limits
    double limit_steps = 0;         // community steps at which a connection limit cut a flow
    double safety_overrides = 0;    // steps the safety layer overrode a policy
    // per step (fleet)
    std::vector<double> step_import_kwh, step_export_kwh;
    std::vector<unsigned char> dr_event;
    // ledger
    bool ledger = false;
    double tx_count = 0;
    double tx_latency_steps = 0;    // summed over transactions
};

using DayMetrics = std::array<double, kMetricCount>;

// Every metric of one day. `uncontrolled` is the charge-on-arrival policy's day, for the
// reductions (NaN where it is absent or its reference value is 0).
DayMetrics compute_day_metrics(const DayTotals& day, const DayTotals* uncontrolled);

// A metric's mean over the days where it is defined (NaN where it is on none).
double mean_over_days(const std::vector<DayMetrics>& days, int metric);

}  // namespace v2g
