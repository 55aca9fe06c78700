// battery.h: battery physics of one vehicle for one step: power limits, SoC bounds,
// efficiencies, and capacity fade (state of health).
//
// Degradation model: Schmalstieg, Kaebitz, Ecker, Sauer, "A holistic aging model for
// Li(NiMnCo)O2 based 18650 lithium-ion batteries", J. Power Sources 257 (2014) 325-334,
// eqs. (9)-(11), (17)-(18) (capacity):
//   C/C0 = 1 - alpha_cap * t^0.75 - beta_cap * sqrt(Q)
//   alpha_cap = (7.543 V - 23.75) 1e6 * exp(-6976 / T)       t in days, V cell voltage, T in K
//   beta_cap  = 7.348e-3 (V_mean - 3.667)^2 + 7.60e-4 + 4.081e-3 DoD      Q in Ah per cell
// Fitted on a Sanyo UR18650E (2.05 Ah, NMC). We scale pack energy throughput to the cell's Ah
// (equivalent full cycles x cell Ah) and apply the model incrementally, with the stress
// factors (voltage, depth of cycle) of the current step; the depth of cycle is the SoC swing of
// the day so far. Voltage from SoC is a linear NMC open-circuit fit (see kOcv*). Increments are
// written as differences of square roots in a cancellation-free form so float32 keeps them.
#pragma once
#include "env/env_types.h"

namespace v2g {

// Schmalstieg et al. 2014, eq. (17)/(18) constants.
constexpr float kCalVoltageSlope = 7.543f;      // 1/V   (x 1e6)
constexpr float kCalVoltageOffset = 23.75f;     //       (x 1e6)
constexpr float kCalScale = 1.0e6f;
constexpr float kCalActivationK = 6976.0f;      // K, used on the host for exp(-6976/T)
constexpr float kCycVoltageCurv = 7.348e-3f;    // 1/(V^2 sqrt(Ah))
constexpr float kCycVoltageRef = 3.667f;        // V
constexpr float kCycBase = 7.60e-4f;            // 1/sqrt(Ah)
constexpr float kCycDod = 4.081e-3f;            // 1/sqrt(Ah)
// Linear open-circuit voltage of an NMC cell between 0% and 100% SoC (3.4 V .. 4.2 V): a
// first-order fit of typical NMC OCV curves, enough for the stress factor.
constexpr float kOcvEmptyV = 3.4f;
constexpr float kOcvSpanV = 0.8f;
constexpr float kHoursPerDay = 24.0f;

V2G_HD float cell_voltage(float soc) { return kOcvEmptyV + kOcvSpanV * soc; }

// t^0.75 difference (t1 > t0 >= 0) without cancellation:
// a^3 - b^3 = (a - b)(a^2 + ab + b^2), a = t1^0.25, b = t0^0.25,
// a - b = (t1 - t0) / ((sqrt t1 + sqrt t0)(a + b)).
V2G_HD float pow075_increment(float t0, float t1) {
    const float s0 = sqrtf(t0), s1 = sqrtf(t1);
    const float b = sqrtf(s0), a = sqrtf(s1);
    const float denom = (s1 + s0) * (a + b);
    if (denom <= 0.0f) return 0.0f;
    const float a_minus_b = (t1 - t0) / denom;
    return a_minus_b * (a * a + a * b + b * b);
}

// sqrt(q1) - sqrt(q0) without cancellation.
V2G_HD float sqrt_increment(float q0, float q1) {
    const float denom = sqrtf(q1) + sqrtf(q0);
    return denom > 0.0f ? (q1 - q0) / denom : 0.0f;
}

struct DegradationStep {
    float calendar;  // capacity fraction lost to calendar aging this step
    float cycle;     // capacity fraction lost to cycling this step
};

// Capacity fade over one step. age0/age1 in days; soc_mean is the step's mean SoC;
// throughput_ah0 and dq_ah are cell charge throughput before and during the step.
V2G_HD DegradationStep degradation_step(const EnvParams& p, float age0_days, float age1_days,
                                        float soc_mean, float dod, float throughput_ah0,
                                        float dq_ah) {
    const float v = cell_voltage(soc_mean);
    const float alpha_cap =
        max_f(0.0f, (kCalVoltageSlope * v - kCalVoltageOffset) * kCalScale * p.calendar_arrhenius);
    const float dv = v - kCycVoltageRef;
    const float beta_cap = kCycVoltageCurv * dv * dv + kCycBase + kCycDod * dod;
    DegradationStep d;
    d.calendar = alpha_cap * pow075_increment(age0_days, age1_days);
    d.cycle = dq_ah > 0.0f ? beta_cap * sqrt_increment(throughput_ah0, throughput_ah0 + dq_ah) : 0.0f;
    return d;
}

// Grid-side energy the charger can draw this step: power limit and headroom below soc_max.
V2G_HD float max_charge_kwh(const EnvParams& p, float energy_kwh, float usable_kwh, float charge_kw,
                            float eta_charge) {
    const float headroom = max_f(0.0f, p.soc_max * usable_kwh - energy_kwh);
    return min_f(charge_kw * p.step_hours, headroom / eta_charge);
}

// Grid-side energy the vehicle can deliver this step: power limit and energy above soc_min.
V2G_HD float max_discharge_kwh(const EnvParams& p, float energy_kwh, float usable_kwh,
                               float discharge_kw, float eta_discharge) {
    const float available = max_f(0.0f, energy_kwh - p.soc_min * usable_kwh);
    return min_f(discharge_kw * p.step_hours, available * eta_discharge);
}

}  // namespace v2g
