// price_unit.h: the units a CSV price column may be written in (signals.price_unit), each a
// currency and an energy unit, converted on load to the engine's currency per kWh; and the
// currency label that money in outputs carries (currency_label).
#pragma once
#include <string>
#include "config/config.h"

namespace v2g {

// What a unit of signals.price_unit (PriceUnitName, "EUR/MWh") means.
struct PriceUnit {
    const char* currency;  // what money is counted in: "EUR"
    double to_per_kwh;     // a price in this unit times this = currency per kWh
};

// The unit `name` stands for.
PriceUnit price_unit(PriceUnitName name);

// The currency the run's money is counted in: signals.price_unit's with signals.source = "csv";
// "$" with the synthetic prices, which are fitted to CityLearn's pricing.csv in US $/kWh.
std::string currency_label(const Config& cfg);

}  // namespace v2g
