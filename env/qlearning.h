// qlearning.h: the tabular learner: state discretisation, action choice, and the update
//   Q(s,a) <- Q(s,a) + alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))   (Watkins 1989)
// with Q(s',.) = 0 when the decision ended the session (departure).
#pragma once
#include <cstring>
#include "env/env_types.h"
#include "common/philox.h"

namespace v2g {

V2G_HD int soc_bin(const EnvParams& p, float soc) {
    int b = static_cast<int>(soc * static_cast<float>(p.soc_bins));
    return b < 0 ? 0 : (b >= p.soc_bins ? p.soc_bins - 1 : b);
}

// The time-of-day bin of a step (learning.time_bins equal bins of the day).
V2G_HD int time_bin(const EnvParams& p, int step) { return step * p.time_bins / p.steps_per_day; }

// The paper's state: SoC bin x time of day x price level; with learning.deadline_levels > 1
// also the charging slack before departure (step.h slack_level), and with
// learning.forecast_levels > 1 the cheaper steps left in the stay (step.h forecast_level), the
// fastest-varying index.
V2G_HD int state_index(const EnvParams& p, float soc, int step, int price_level, int slack = 0, int forecast = 0) {
    int s = (soc_bin(p, soc) * p.time_bins + time_bin(p, step)) * p.price_levels + price_level;
    if (p.deadline_levels > 1) s = s * p.deadline_levels + slack;
    if (p.forecast_levels > 1) s = s * p.forecast_levels + forecast;
    return s;
}

V2G_HD float* q_row(const EnvParams& p, float* q, int table, int state) {
    return q + (static_cast<size_t>(table) * static_cast<size_t>(num_states(p)) +
                static_cast<size_t>(state)) * kNumActions;
}

// bfloat16: the top 16 bits of a float32 (same exponent range, 8 bits of mantissa). Rounding
// to the nearest, ties to even, as the bits say, so every device rounds alike. Q-values are
// finite, so NaN needs no case of its own.
V2G_HD uint16_t bf16_from_float(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t round = 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>((bits + round) >> 16);
}
V2G_HD float float_from_bf16(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

// A row of Q-values in whichever precision the tables use (learning.q_precision).
struct QRow {
    float* f32 = nullptr;     // float32 tables
    uint16_t* b16 = nullptr;  // bfloat16 tables
};

V2G_HD QRow q_row_of(const EnvParams& p, const FleetView& f, int table, int state) {
    QRow r;
    const size_t at = (static_cast<size_t>(table) * static_cast<size_t>(num_states(p)) + static_cast<size_t>(state)) *
                      kNumActions;
    if (f.q_bf16) r.b16 = f.q_bf16 + at;
    else r.f32 = f.q + at;
    return r;
}

// The row as float32 values (a bfloat16 row widened, exactly).
V2G_HD void q_values(const QRow& r, float out[kNumActions]) {
    for (int a = 0; a < kNumActions; ++a) out[a] = r.f32 ? r.f32[a] : float_from_bf16(r.b16[a]);
}

// Lowest index wins ties, so the choice is the same on every device.
V2G_HD int argmax_action(const float* row) {
    int best = 0;
    for (int a = 1; a < kNumActions; ++a)
        if (row[a] > row[best]) best = a;
    return best;
}

V2G_HD float max_q(const float* row) { return row[argmax_action(row)]; }

// Greedy, random, or epsilon-greedy (learning, and the untrained initial policy); the rule-based
// policies choose in step.h act_vehicle.
V2G_HD int choose_action(const float* row, int mode, float epsilon, Philox4 r) {
    switch (mode) {
        case kPolicyGreedy: return argmax_action(row);
        case kPolicyRandom: return static_cast<int>(r.v[1] % kNumActions);
        default:
            return uniform01(r.v[0]) < epsilon ? static_cast<int>(r.v[1] % kNumActions)
                                               : argmax_action(row);
    }
}

// One Q-learning update; next_row is null for a terminal transition.
V2G_HD void q_update(float* row, int action, float reward, const float* next_row, float alpha,
                     float gamma) {
    const float bootstrap = next_row ? gamma * max_q(next_row) : 0.0f;
    const float td_target = reward + bootstrap;
    row[action] = row[action] + alpha * (td_target - row[action]);
}

// The same in either precision: float32 rows exactly as above; bfloat16 rows widened to
// float32, updated there, and the one changed value rounded back.
V2G_HD void q_update(const QRow& row, int action, float reward, const QRow* next_row, float alpha, float gamma) {
    if (row.f32) {
        q_update(row.f32, action, reward, next_row ? next_row->f32 : nullptr, alpha, gamma);
        return;
    }
    float values[kNumActions], next[kNumActions];
    q_values(row, values);
    if (next_row) q_values(*next_row, next);
    q_update(values, action, reward, next_row ? next : nullptr, alpha, gamma);
    row.b16[action] = bf16_from_float(values[action]);
}

V2G_HD int choose_action(const QRow& row, int mode, float epsilon, Philox4 r) {
    if (row.f32) return choose_action(row.f32, mode, epsilon, r);
    float values[kNumActions];
    q_values(row, values);
    return choose_action(values, mode, epsilon, r);
}

}  // namespace v2g
