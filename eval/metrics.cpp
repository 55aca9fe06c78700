// metrics.cpp: see metrics.h; docs/EVALUATION.md defines each metric in words.
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace v2g {

const std::array<MetricInfo, kMetricCount>& metric_table() {
    static const std::array<MetricInfo, kMetricCount> kTable = {{
        {"money_per_vehicle", "currency/vehicle/day", "revenue - energy cost - degradation cost - unmet penalty - en-route charging"},
        {"energy_cost_per_vehicle", "currency/vehicle/day", "paid for grid imports and P2P purchases"},
        {"revenue_per_vehicle", "currency/vehicle/day", "received for grid exports (DR tariff or feed-in) and P2P sales"},
        {"degradation_cost_per_vehicle", "currency/vehicle/day", "money value of battery capacity lost"},
        {"en_route_cost_per_vehicle", "currency/vehicle/day", "fast charging bought on trips the battery could not cover"},
        {"unmet_kwh_per_vehicle", "kWh/vehicle/day", "energy short of the requirement at departure"},
        {"departure_energy_met", "1", "1 - unmet / energy needed by departure (sum over vehicles)"},
        {"grid_import_kwh_per_vehicle", "kWh/vehicle/day", "energy drawn from the grid"},
        {"grid_export_kwh_per_vehicle", "kWh/vehicle/day", "energy fed to the grid"},
        {"peak_import_kw", "kW", "the fleet's highest grid import power over the day's steps"},
        {"peak_reduction", "1", "1 - peak import / charge-on-arrival's peak import"},
        {"energy_efficiency", "1", "(stored + delivered to grid + received by peers) / (drawn from grid and peers + taken from batteries)"},
        {"dr_import_kwh", "kWh", "fleet grid import during demand-response (peak-load) steps"},
        {"dr_import_reduction", "1", "1 - DR-step import / charge-on-arrival's DR-step import"},
        {"dr_export_kwh", "kWh", "fleet grid export during demand-response steps"},
        {"transaction_latency_hours", "h", "mean time from a transfer's decision to its block's commit"},
        {"transactions_per_vehicle", "1/vehicle/day", "ledger transactions"},
        {"en_route_kwh_per_vehicle", "kWh/vehicle/day", "energy bought en route: trips the battery could not cover"},
        {"curtailed_kwh_per_vehicle", "kWh/vehicle/day", "grid import and export cut by the community's connection limit"},
        {"grid_limit_steps", "1", "community steps at which the connection limit cut imports or exports"},
        {"safety_overrides_per_vehicle", "1/vehicle/day", "steps the charger's safety layer overrode the policy to charge"},
    }};
    return kTable;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double peak_kw(const DayTotals& d) {
    double peak = 0.0;
    for (double kwh : d.step_import_kwh) peak = std::max(peak, kwh / d.step_hours);
    return peak;
}

double during_dr(const std::vector<double>& per_step, const std::vector<unsigned char>& dr) {
    double sum = 0.0;
    for (size_t t = 0; t < per_step.size() && t < dr.size(); ++t)
        if (dr[t]) sum += per_step[t];
    return sum;
}

// 1 - value / reference, undefined (NaN) without a reference.
double reduction(double value, double reference) { return reference > 0.0 ? 1.0 - value / reference : kNaN; }

}  // namespace

DayMetrics compute_day_metrics(const DayTotals& d, const DayTotals* uncontrolled) {
    DayMetrics m;
    const double n = d.vehicles > 0 ? static_cast<double>(d.vehicles) : kNaN;
    m[kMoneyPerVehicle] = (d.revenue - d.energy_cost - d.degradation_cost - d.unmet_penalty - d.en_route_cost) / n;
    m[kEnRouteCostPerVehicle] = d.en_route_cost / n;
    m[kEnRouteKwhPerVehicle] = d.en_route_kwh / n;
    m[kCurtailedKwhPerVehicle] = d.curtailed_kwh / n;
    m[kGridLimitSteps] = d.limit_steps;
    m[kSafetyOverridesPerVehicle] = d.safety_overrides / n;
    m[kEnergyCostPerVehicle] = d.energy_cost / n;
    m[kRevenuePerVehicle] = d.revenue / n;
    m[kDegradationCostPerVehicle] = d.degradation_cost / n;
    m[kUnmetKwhPerVehicle] = d.unmet_kwh / n;
    m[kDepartureEnergyMet] = d.needed_kwh > 0.0 ? 1.0 - d.unmet_kwh / d.needed_kwh : 1.0;
    m[kGridImportKwhPerVehicle] = d.grid_import_kwh / n;
    m[kGridExportKwhPerVehicle] = d.grid_export_kwh / n;
    m[kPeakImportKw] = peak_kw(d);
    m[kPeakReduction] = uncontrolled ? reduction(m[kPeakImportKw], peak_kw(*uncontrolled)) : kNaN;
    // Energy entering the conversion stage (meters in, batteries out) against energy leaving it
    // (into batteries, onto the grid, received by peers after the distribution loss).
    const double drawn = d.grid_import_kwh + d.p2p_bought_kwh + d.battery_out_kwh;
    const double delivered = d.battery_in_kwh + d.grid_export_kwh + d.p2p_sold_kwh * (1.0 - d.p2p_loss_fraction);
    m[kEnergyEfficiency] = drawn > 0.0 ? delivered / drawn : kNaN;
    m[kDrImportKwh] = during_dr(d.step_import_kwh, d.dr_event);
    m[kDrImportReduction] =
        uncontrolled ? reduction(m[kDrImportKwh], during_dr(uncontrolled->step_import_kwh, uncontrolled->dr_event))
                     : kNaN;
    m[kDrExportKwh] = during_dr(d.step_export_kwh, d.dr_event);
    m[kTransactionLatencyHours] =
        d.ledger && d.tx_count > 0 ? d.tx_latency_steps / d.tx_count * d.step_hours : kNaN;
    m[kTransactionsPerVehicle] = d.ledger ? d.tx_count / n : 0.0;
    return m;
}

double mean_over_days(const std::vector<DayMetrics>& days, int metric) {
    double sum = 0.0;
    int n = 0;
    for (const DayMetrics& m : days)
        if (std::isfinite(m[metric])) {
            sum += m[metric];
            ++n;
        }
    return n > 0 ? sum / n : std::nan("");
}

}  // namespace v2g
