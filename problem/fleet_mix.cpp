// fleet_mix.cpp: the EV models of fleet.mix. The "ev2gym" table is a constant copy of figures
// fitted offline by scripts/fit_defaults.py from ../shared/data/ev2gym/ev_specs_v2g_enabled2024.json
// (see docs/DATA.md); nothing is read at run time.
#include "problem/fleet_mix.h"

#include "common/errors.h"

namespace v2g {
namespace {

struct ModelSpec {
    const char* name;
    int registrations;    // number_of_registrations: the fleet share
    float capacity_kwh;   // battery_capacity
    float charge_kw;      // max_ac_charge_power (home/work chargers are AC)
    float discharge_kw;   // max_ac_discharge_power
    float efficiency;     // mean of the non-zero 3ph_ch_efficiency entries / 100, used one way for
                          //   both charging and discharging (the JSON has no discharge table)
};

// From ev_specs_v2g_enabled2024.json via scripts/fit_defaults.py.
constexpr ModelSpec kEv2GymModels[] = {
    {"Tesla Model 3", 47783, 57.5f, 11.0f, 11.0f, 0.89f},
    {"Tesla Model Y", 39261, 57.5f, 11.0f, 11.0f, 0.89f},
    {"Kia Niro", 28028, 64.8f, 11.0f, 11.0f, 0.9f},
    {"Volkswagen ID.3", 23033, 58.0f, 11.0f, 11.0f, 0.89f},
    {"Skoda Enyaq", 21186, 58.0f, 11.0f, 11.0f, 0.895f},
    {"Hyundai Kona", 19815, 64.0f, 11.0f, 11.0f, 0.92f},
    {"Peugeot 208", 17785, 46.3f, 7.4f, 7.4f, 0.885f},
    {"Volkswagen ID.4", 16449, 77.0f, 11.0f, 11.0f, 0.9f},
};

}  // namespace

std::vector<EvModel> fleet_mix(const Config& cfg) {
    std::vector<EvModel> models;
    if (cfg.fleet.mix == FleetMix::ev2gym) {
        for (const ModelSpec& s : kEv2GymModels)
            models.push_back({s.name, static_cast<double>(s.registrations), s.capacity_kwh, s.charge_kw,
                              s.discharge_kw, s.efficiency, s.efficiency});
        return models;
    }
    // FleetMix::single: one model from fleet.single_*.
    // Ranges are validate()'s job; guard here too so a bad model never reaches the kernels.
    if (!(cfg.fleet.single_capacity_kwh > 0.0))
        throw InputError("fleet.single_capacity_kwh = " + std::to_string(cfg.fleet.single_capacity_kwh) +
                         ": must be > 0");
    if (!(cfg.fleet.single_charge_kw >= 0.0))
        throw InputError("fleet.single_charge_kw = " + std::to_string(cfg.fleet.single_charge_kw) +
                         ": must be >= 0");
    if (!(cfg.fleet.single_discharge_kw >= 0.0))
        throw InputError("fleet.single_discharge_kw = " + std::to_string(cfg.fleet.single_discharge_kw) +
                         ": must be >= 0");
    if (!(cfg.fleet.single_efficiency > 0.0 && cfg.fleet.single_efficiency <= 1.0))
        throw InputError("fleet.single_efficiency = " + std::to_string(cfg.fleet.single_efficiency) +
                         ": must be in (0, 1]");
    const float eta = static_cast<float>(cfg.fleet.single_efficiency);
    models.push_back({"single", 1.0, static_cast<float>(cfg.fleet.single_capacity_kwh),
                      static_cast<float>(cfg.fleet.single_charge_kw),
                      static_cast<float>(cfg.fleet.single_discharge_kw), eta, eta});
    return models;
}

}  // namespace v2g
