// price_unit.cpp: the price units of signals.price_unit (see price_unit.h). Every money
// amount in the engine is in the currency of the price series, per kWh; a CSV price in /MWh
// or in cents is converted once, on load.
#include "problem/price_unit.h"

#include <stdexcept>

namespace v2g {
namespace {

constexpr double kKwhPerMwh = 1000.0;
constexpr double kCentsPerEuro = 100.0;
// The synthetic prices are fitted to CityLearn's pricing.csv, US dollars per kWh (docs/DATA.md).
constexpr const char* kSyntheticCurrency = "$";

}  // namespace

const std::vector<PriceUnit>& price_units() {
    static const std::vector<PriceUnit> kUnits = {
        {PriceUnitName::usd_per_kwh, "$", 1.0},                 // CityLearn's pricing.csv; US retail tariffs
        {PriceUnitName::usd_per_mwh, "$", 1.0 / kKwhPerMwh},    // US wholesale markets (ERCOT, PJM, CAISO)
        {PriceUnitName::eur_per_kwh, "EUR", 1.0},               // European retail tariffs
        {PriceUnitName::eur_per_mwh, "EUR", 1.0 / kKwhPerMwh},  // European day-ahead prices (ENTSO-E, EPEX Spot)
        {PriceUnitName::eur_ct_per_kwh, "EUR", 1.0 / kCentsPerEuro},  // euro cents: German and Dutch retail tariffs
    };
    return kUnits;
}

const PriceUnit& price_unit(PriceUnitName name) {
    const PriceUnit& unit = price_units().at(static_cast<size_t>(name));
    if (unit.name != name) throw std::logic_error("price_units() is not in PriceUnitName's order");
    return unit;
}

std::string currency_label(const Config& cfg) {
    if (cfg.signals.source != SignalSource::csv) return kSyntheticCurrency;
    return price_unit(cfg.signals.price_unit).currency;
}

}  // namespace v2g
