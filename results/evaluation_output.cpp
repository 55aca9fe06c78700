// evaluation_output.cpp: `v2g eval`'s /evaluation group in a results file (results.h
// write_evaluation).
#include "results/results.h"
#include "results/schema.h"

#include <cmath>
#include <string>
#include <vector>

namespace v2g {

using namespace results_schema;

// ---------------------------------------------------------------- evaluation

namespace {

void write_doubles(hid_t loc, const char* name, const std::vector<double>& values, std::vector<hsize_t> dims,
                   const char* units, const char* definition = nullptr) {
    hsize_t n = 1;
    for (hsize_t d : dims) n *= d;
    if (n != values.size()) fail(std::string(name) + ": " + std::to_string(values.size()) + " values for its shape");
    Id d = create_fixed(loc, name, H5T_IEEE_F64LE, dims, units);
    if (definition) attr_string(d, "definition", definition);
    if (n > 0) ok(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), name);
}

// /…/metrics/NAME [policies, days] for one scenario.
void write_metrics(hid_t loc, const ScenarioResult& s, hsize_t policies, hsize_t days) {
    Id g(ok(H5Gcreate2(loc, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "metrics"));
    for (int k = 0; k < kMetricCount; ++k) {
        std::vector<double> values;
        for (const std::vector<DayMetrics>& per_day : s.metrics)
            for (const DayMetrics& m : per_day) values.push_back(m[k]);
        const MetricInfo& info = metric_table()[k];
        write_doubles(g, info.name, values, {policies, days}, info.unit, info.definition);
    }
    std::vector<double> money;
    for (const std::vector<double>& per_day : s.oracle_set_money) money.insert(money.end(), per_day.begin(), per_day.end());
    write_doubles(loc, "oracle_set_money_per_vehicle", money, {policies, days}, "currency/vehicle/day",
                  "money per vehicle-day on the LP oracle's communities (the score's)");
    attr_number(loc, "score", H5T_IEEE_F64LE, s.score);
    if (!std::isnan(s.external_score)) attr_number(loc, "external_score", H5T_IEEE_F64LE, s.external_score);
}

}  // namespace

void write_evaluation(const std::string& path, const EvaluationResult& r) {
    quiet_hdf5();
    { open_for_reading(path); }  // the same checks and messages as every reader
    Id fapl = file_access();
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl));
    if (file < 0) throw ResultsError(path + ": cannot open for writing (read-only, or a writer still has it open)");
    constexpr const char* kNew = "evaluation_new";
    if (H5Lexists(file, kNew, H5P_DEFAULT) > 0) ok(H5Ldelete(file, kNew, H5P_DEFAULT), "delete evaluation_new");
    {
        Id g(ok(H5Gcreate2(file, kNew, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kNew));
        const hsize_t np = r.policies.size(), nd = static_cast<hsize_t>(r.days), nt = static_cast<hsize_t>(r.steps_per_day);
        const hsize_t nv = static_cast<hsize_t>(r.vehicles);
        attr_number(g, "days", H5T_STD_I64LE, static_cast<int64_t>(r.days));
        attr_number(g, "first_episode", H5T_STD_I64LE, static_cast<int64_t>(r.first_episode));
        attr_number(g, "dp_energy_points", H5T_STD_I64LE, static_cast<int64_t>(r.dp_energy_points));
        attr_number(g, "vehicles", H5T_STD_I64LE, static_cast<int64_t>(r.vehicles));
        attr_number(g, "ledger", H5T_STD_I64LE, static_cast<int64_t>(r.ledger ? 1 : 0));
        attr_number(g, "step_hours", H5T_IEEE_F64LE, r.step_hours);
        attr_number(g, "oracle_communities", H5T_STD_I64LE, static_cast<int64_t>(r.oracle_communities));
        attr_number(g, "oracle_vehicles", H5T_STD_I64LE, static_cast<int64_t>(r.oracle_vehicles));
        attr_string(g, "device", r.device);
        attr_string(g, "backend", r.backend);
        attr_string(g, "faults", r.faults);
        attr_string(g, "created_utc", iso_now());
        size_t longest = 1;
        for (const std::string& s : r.policies) longest = std::max(longest, s.size() + 1);
        {
            Id t = string_type(longest);
            Id d = create_fixed(g, "policies", t, {np}, "1");
            std::vector<char> names(np * longest, '\0');
            for (size_t i = 0; i < np; ++i) std::memcpy(&names[i * longest], r.policies[i].data(), r.policies[i].size());
            ok(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names.data()), "policies");
        }
        write_metrics(g, r.scenarios.at(0), np, nd);
        {
            Id day(ok(H5Gcreate2(g, "day", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "day"));
            write_doubles(day, "clock_hour", r.clock_hour, {nd, nt}, "h");
            write_doubles(day, "retail_price_per_kwh", r.retail_price_per_kwh, {nd, nt}, "currency/kWh");
            write_doubles(day, "feed_in_price_per_kwh", r.feed_in_price_per_kwh, {nd, nt}, "currency/kWh");
            write_doubles(day, "dr_event", r.dr_event, {nd, nt}, "1");
            const char* names[kFlowFields] = {"grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh"};
            for (int k = 0; k < kFlowFields; ++k) {
                std::vector<double> v;
                for (size_t i = static_cast<size_t>(k); i < r.flows.size(); i += kFlowFields) v.push_back(r.flows[i]);
                write_doubles(day, names[k], v, {np, nd, nt}, "kWh");
            }
        }
        write_doubles(g, "optimum_value_per_vehicle", r.optimum_value_per_vehicle, {nd}, "currency/vehicle/day",
                      "the dynamic-programming optimum's value of the plugged-in steps, fleet mean");
        write_doubles(g, "initial_departure_met", r.initial_departure_met, {nv}, "1");
        write_doubles(g, "enhanced_departure_met", r.enhanced_departure_met, {nv}, "1");
        write_doubles(g, "initial_money_per_day", r.initial_money_per_day, {nv}, "currency/day");
        write_doubles(g, "enhanced_money_per_day", r.enhanced_money_per_day, {nv}, "currency/day");
        write_doubles(g, "initial_soh", r.initial_soh, {nv}, "1");
        write_doubles(g, "enhanced_soh", r.enhanced_soh, {nv}, "1");
        Id faults(ok(H5Gcreate2(g, "faults", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "faults"));
        for (size_t s = 1; s < r.scenarios.size(); ++s) {
            const ScenarioResult& sc = r.scenarios[s];
            Id fg(ok(H5Gcreate2(faults, sc.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), sc.name.c_str()));
            attr_string(fg, "description", sc.description);
            write_metrics(fg, sc, np, nd);
        }
    }
    if (H5Lexists(file, "evaluation", H5P_DEFAULT) > 0) ok(H5Ldelete(file, "evaluation", H5P_DEFAULT), "delete evaluation");
    ok(H5Lmove(file, kNew, file, "evaluation", H5P_DEFAULT, H5P_DEFAULT), "move evaluation");
    ok(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush");
}

}  // namespace v2g
