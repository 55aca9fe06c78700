// price_unit.cpp: the price units of signals.price_unit (see price_unit.h). Every money
// amount in the engine is in the currency of the price series, per kWh; a CSV price in /MWh
// or in cents is converted once, on load.
#include "problem/price_unit.h"

#include "common/errors.h"

namespace v2g {
namespace {

constexpr double kKwhPerMwh = 1000.0;
constexpr double kCentsPerEuro = 100.0;
// The synthetic prices are fitted to CityLearn's pricing.csv, US dollars per kWh (docs/DATA.md).
constexpr const char* kSyntheticCurrency = "$";

}  // namespace

const std::vector<PriceUnit>& price_units() {
    static const std::vector<PriceUnit> kUnits = {
        {"$/kWh", "$", 1.0},                   // CityLearn's pricing.csv; US retail tariffs
        {"$/MWh", "$", 1.0 / kKwhPerMwh},      // US wholesale markets (ERCOT, PJM, CAISO)
        {"EUR/kWh", "EUR", 1.0},               // European retail tariffs
        {"EUR/MWh", "EUR", 1.0 / kKwhPerMwh},  // European day-ahead prices (ENTSO-E, EPEX Spot)
        {"ct/kWh", "EUR", 1.0 / kCentsPerEuro},  // euro cents: German and Dutch retail tariffs
    };
    return kUnits;
}

const PriceUnit& find_price_unit(const std::string& name) {
    std::string names;
    for (const PriceUnit& u : price_units()) {
        if (name == u.name) return u;
        names += (names.empty() ? "" : ", ") + std::string(u.name);
    }
    throw InputError("signals.price_unit = '" + name + "' is not allowed: one of " + names);
}

std::string currency_label(const Config& cfg) {
    if (cfg.signals.source != "csv") return kSyntheticCurrency;
    return find_price_unit(cfg.signals.price_unit).currency;
}

}  // namespace v2g
