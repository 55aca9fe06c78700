// market.h: one community's P2P market for one step.
//
// Sellers offer energy at their meters (after discharge losses), buyers bid for energy at
// theirs; the community's PV sells into the market too. One uniform price between the
// feed-in tariff and the retail price clears it; the short side is filled completely and the
// long side pro rata. Distribution losses (p2p_loss_fraction) are borne by buyers: a buyer who
// receives x pays price * x / (1 - loss), so the money buyers pay equals the money sellers get,
// and the energy buyers receive equals the energy sellers deliver minus the losses.
#pragma once
#include "env/env_types.h"

namespace v2g {

struct MarketOutcome {
    float price_per_kwh;  // uniform clearing price (seller side)
    float sell_ratio;     // matched share of every offer (and of PV)
    float buy_ratio;      // matched share of every bid
};

// Uniform clearing price: between the feed-in tariff (w = 0) and the retail price (w = 1).
V2G_HD float market_price(float retail_per_kwh, float feed_in_per_kwh, float price_weight) {
    return feed_in_per_kwh + price_weight * (retail_per_kwh - feed_in_per_kwh);
}

V2G_HD MarketOutcome clear_market(float supply_kwh, float demand_kwh, float retail_per_kwh,
                                  float feed_in_per_kwh, float price_weight, float loss_fraction) {
    MarketOutcome m;
    m.price_per_kwh = market_price(retail_per_kwh, feed_in_per_kwh, price_weight);
    m.sell_ratio = 0.0f;
    m.buy_ratio = 0.0f;
    if (supply_kwh <= 0.0f || demand_kwh <= 0.0f) return m;
    const float keep = 1.0f - loss_fraction;
    const float deliverable_kwh = supply_kwh * keep;
    if (demand_kwh <= deliverable_kwh) {
        m.buy_ratio = 1.0f;
        m.sell_ratio = min_f(1.0f, demand_kwh / keep / supply_kwh);
    } else {
        m.sell_ratio = 1.0f;
        m.buy_ratio = min_f(1.0f, deliverable_kwh / demand_kwh);
    }
    return m;
}

}  // namespace v2g
