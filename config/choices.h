// choices.h: the settings that take one of a few names (run.device, learning.q_sharing, ...),
// as enums. Each list is written once, as X(enumerator, spelling): the enum and its spellings
// (what TOML, --set and every output write) both come from it, in the same order. A trailing
// underscore keeps an enumerator clear of a C++ keyword (ComputeDevice::auto_ is "auto").
// The registry (config_table.h) reads and writes them by name; the engine compares enumerators.
#pragma once
#include <cstddef>
#include <iterator>
#include <ostream>
#include <vector>

namespace v2g {

// ChoiceNames<Enum>::names: the spellings of Enum's enumerators, in order.
template <class Enum>
struct ChoiceNames;

#define V2G_CHOICE_ENUMERATOR(id, spelling) id,
#define V2G_CHOICE_SPELLING(id, spelling) spelling,
#define V2G_CHOICE_ENUM(Enum, LIST)                                          \
    enum class Enum : int { LIST(V2G_CHOICE_ENUMERATOR) };                   \
    template <>                                                              \
    struct ChoiceNames<Enum> {                                               \
        static constexpr const char* names[] = {LIST(V2G_CHOICE_SPELLING)}; \
    };

// run.device
#define V2G_CHOICES_COMPUTE_DEVICE(X) X(auto_, "auto") X(cpu, "cpu") X(cuda, "cuda")
V2G_CHOICE_ENUM(ComputeDevice, V2G_CHOICES_COMPUTE_DEVICE)
// fleet.mix
#define V2G_CHOICES_FLEET_MIX(X) X(ev2gym, "ev2gym") X(single, "single")
V2G_CHOICE_ENUM(FleetMix, V2G_CHOICES_FLEET_MIX)
// battery.aging
#define V2G_CHOICES_AGING_HORIZON(X) X(day, "day") X(lifetime, "lifetime")
V2G_CHOICE_ENUM(AgingHorizon, V2G_CHOICES_AGING_HORIZON)
// sessions.model
#define V2G_CHOICES_SESSION_SOURCE(X) X(ev2gym, "ev2gym") X(fixed, "fixed") X(csv, "csv")
V2G_CHOICE_ENUM(SessionSource, V2G_CHOICES_SESSION_SOURCE)
// sessions.charger
#define V2G_CHOICES_CHARGER_TYPE(X) X(private_, "private") X(public_, "public") X(workplace, "workplace")
V2G_CHOICE_ENUM(ChargerType, V2G_CHOICES_CHARGER_TYPE)
// signals.source
#define V2G_CHOICES_SIGNAL_SOURCE(X) X(synthetic, "synthetic") X(csv, "csv")
V2G_CHOICE_ENUM(SignalSource, V2G_CHOICES_SIGNAL_SOURCE)
// signals.price_unit (problem/price_unit.cpp: what each converts to)
#define V2G_CHOICES_PRICE_UNIT_NAME(X) \
    X(usd_per_kwh, "$/kWh") X(usd_per_mwh, "$/MWh") X(eur_per_kwh, "EUR/kWh") X(eur_per_mwh, "EUR/MWh") \
    X(eur_ct_per_kwh, "ct/kWh")
V2G_CHOICE_ENUM(PriceUnitName, V2G_CHOICES_PRICE_UNIT_NAME)
// learning.policy
#define V2G_CHOICES_LEARNER_POLICY(X) X(tabular, "tabular") X(dqn, "dqn")
V2G_CHOICE_ENUM(LearnerPolicy, V2G_CHOICES_LEARNER_POLICY)
// learning.price_level_basis
#define V2G_CHOICES_PRICE_LEVEL_BASIS(X) X(day, "day") X(step, "step")
V2G_CHOICE_ENUM(PriceLevelBasis, V2G_CHOICES_PRICE_LEVEL_BASIS)
// learning.forecast_basis
#define V2G_CHOICES_FORECAST_BASIS(X) X(cheaper_steps, "cheaper_steps") X(charge_margin, "charge_margin")
V2G_CHOICE_ENUM(ForecastBasis, V2G_CHOICES_FORECAST_BASIS)
// learning.q_sharing
#define V2G_CHOICES_Q_TABLE_SHARING(X) X(vehicle, "vehicle") X(community, "community") X(fleet, "fleet")
V2G_CHOICE_ENUM(QTableSharing, V2G_CHOICES_Q_TABLE_SHARING)
// learning.q_precision
#define V2G_CHOICES_Q_PRECISION(X) X(fp32, "fp32") X(bf16, "bf16")
V2G_CHOICE_ENUM(QPrecision, V2G_CHOICES_Q_PRECISION)
// ledger.store_transactions
#define V2G_CHOICES_STORED_TRANSACTIONS(X) X(all, "all") X(last, "last") X(none, "none")
V2G_CHOICE_ENUM(StoredTransactions, V2G_CHOICES_STORED_TRANSACTIONS)
// dqn.target_update
#define V2G_CHOICES_TARGET_UPDATE(X) X(hard, "hard") X(soft, "soft")
V2G_CHOICE_ENUM(TargetUpdate, V2G_CHOICES_TARGET_UPDATE)
// dqn.loss
#define V2G_CHOICES_DQN_LOSS(X) X(huber, "huber") X(mse, "mse")
V2G_CHOICE_ENUM(DqnLoss, V2G_CHOICES_DQN_LOSS)

#undef V2G_CHOICE_ENUM
#undef V2G_CHOICE_SPELLING
#undef V2G_CHOICE_ENUMERATOR

// The spelling of a choice: choice_name(QTableSharing::fleet) is "fleet".
template <class Enum>
constexpr const char* choice_name(Enum e) {
    return ChoiceNames<Enum>::names[static_cast<int>(e)];
}

// How many choices Enum has.
template <class Enum>
constexpr int choice_count() {
    return static_cast<int>(std::size(ChoiceNames<Enum>::names));
}

// A choice prints as its name (in test failures, logs).
template <class Enum, class = decltype(ChoiceNames<Enum>::names)>
std::ostream& operator<<(std::ostream& os, Enum e) {
    return os << choice_name(e);
}

// Every choice of Enum, in order (for loops over them: tests, documentation).
template <class Enum>
std::vector<Enum> every_choice() {
    std::vector<Enum> out;
    for (int i = 0; i < choice_count<Enum>(); ++i) out.push_back(static_cast<Enum>(i));
    return out;
}

}  // namespace v2g
