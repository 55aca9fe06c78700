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

// A switch, so that the compiler (-Wswitch) names any unit of PriceUnitName left out here.
PriceUnit price_unit(PriceUnitName name) {
    switch (name) {
        case PriceUnitName::usd_per_kwh: return {"$", 1.0};                 // CityLearn's pricing.csv; US retail
        case PriceUnitName::usd_per_mwh: return {"$", 1.0 / kKwhPerMwh};    // US wholesale (ERCOT, PJM, CAISO)
        case PriceUnitName::eur_per_kwh: return {"EUR", 1.0};               // European retail tariffs
        case PriceUnitName::eur_per_mwh: return {"EUR", 1.0 / kKwhPerMwh};  // day-ahead (ENTSO-E, EPEX Spot)
        case PriceUnitName::eur_ct_per_kwh: return {"EUR", 1.0 / kCentsPerEuro};  // German and Dutch retail
    }
    throw std::logic_error("price_unit: not a PriceUnitName");
}

std::string currency_label(const Config& cfg) {
    if (cfg.signals.source != SignalSource::csv) return kSyntheticCurrency;
    return price_unit(cfg.signals.price_unit).currency;
}

}  // namespace v2g
