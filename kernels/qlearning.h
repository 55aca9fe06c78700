// qlearning.h: the tabular learner: state discretisation, action choice, and the update
//   Q(s,a) <- Q(s,a) + alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))   (Watkins 1989)
// with Q(s',.) = 0 when the decision ended the session (departure).
#pragma once
#include "env_types.h"
#include "philox.h"

namespace v2g {

V2G_HD int soc_bin(const EnvParams& p, float soc) {
    int b = static_cast<int>(soc * static_cast<float>(p.soc_bins));
    return b < 0 ? 0 : (b >= p.soc_bins ? p.soc_bins - 1 : b);
}

// The paper's state: SoC bin x step of the day x price level; with learning.deadline_levels > 1
// also the charging slack before departure (step.h slack_level), the fastest-varying index.
V2G_HD int state_index(const EnvParams& p, float soc, int step, int price_level, int slack = 0) {
    const int base = (soc_bin(p, soc) * p.steps_per_day + step) * p.price_levels + price_level;
    return p.deadline_levels > 1 ? base * p.deadline_levels + slack : base;
}

V2G_HD float* q_row(const EnvParams& p, float* q, int table, int state) {
    return q + (static_cast<size_t>(table) * static_cast<size_t>(num_states(p)) +
                static_cast<size_t>(state)) * kNumActions;
}

// Lowest index wins ties, so the choice is the same on every device.
V2G_HD int argmax_action(const float* row) {
    int best = 0;
    for (int a = 1; a < kNumActions; ++a)
        if (row[a] > row[best]) best = a;
    return best;
}

V2G_HD float max_q(const float* row) { return row[argmax_action(row)]; }

V2G_HD int choose_action(const float* row, int mode, float epsilon, Philox4 r) {
    switch (mode) {
        case kPolicyGreedy: return argmax_action(row);
        case kPolicyRandom: return static_cast<int>(r.v[1] % kNumActions);
        case kPolicyChargeOnArrival: return kCharge;
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

}  // namespace v2g
