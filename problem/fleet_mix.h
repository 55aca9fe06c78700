// fleet_mix.h: owns the list of EV models a fleet is drawn from (fleet.mix): the eight
// V2G-capable models of EV2Gym weighted by Dutch registrations, or one user-defined model.
// Which vehicle gets which model is decided elsewhere (problem.cpp, with Philox).
#pragma once
#include <string>
#include <vector>
#include "config/config.h"

namespace v2g {

struct EvModel {
    std::string name;
    double weight;        // relative share in the fleet (any positive scale)
    float capacity_kwh;   // nominal pack capacity
    float charge_kw;      // AC charge limit, grid side
    float discharge_kw;   // AC discharge limit, grid side
    float eta_charge;     // grid -> battery, one way
    float eta_discharge;  // battery -> grid, one way
};

// cfg.fleet.mix: "ev2gym" or "single" (from cfg.fleet.single_*); anything else throws InputError naming
// fleet.mix. Every returned model has weight > 0.
std::vector<EvModel> fleet_mix(const Config& cfg);

}  // namespace v2g
