// test_fleet_learning.cpp: the fleet-shared table's parallel update (step.h learn_fleet_rows)
// gives the bits of the vehicle-ordered update for any number of owners, on a fleet built so
// that many vehicles update the same rows in one step (the case where order matters).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "env/layout.h"
#include "common/philox.h"
#include "env/step.h"

namespace v2g {
namespace {

constexpr int kVehicles = 600;
constexpr int kStep = 7;           // the step whose update runs
constexpr int kSocBins = 3;        // few states per step: many vehicles share each row

struct Fleet {
    EnvParams p{};
    std::vector<char> buffer;
    FleetView f{};
};

// A fleet with a shared table of random values, and every vehicle in a state of step kStep
// with its next state in step kStep + 1 (or terminal, or unplugged), as act/apply leave them.
Fleet make_fleet() {
    Fleet fl;
    EnvParams& p = fl.p;
    p.num_vehicles = kVehicles;
    p.community_size = 50;
    p.num_communities = (kVehicles + p.community_size - 1) / p.community_size;
    p.steps_per_day = 24;
    p.time_bins = 24;
    p.soc_bins = kSocBins;
    p.price_levels = 2;
    p.deadline_levels = 1;
    p.q_sharing = kQPerFleet;
    p.alpha = 0.3f;
    p.gamma = 0.9f;
    fl.buffer.assign(layout_fleet(p, nullptr, &fl.f), 0);
    layout_fleet(p, fl.buffer.data(), &fl.f);
    const size_t q_values = static_cast<size_t>(num_states(p)) * kNumActions;
    for (size_t i = 0; i < q_values; ++i)
        fl.f.q[i] = uniform01(random4(1, static_cast<uint32_t>(i), 0, 0, RngPurpose::kTest).v[0]) * 10.0f - 5.0f;
    for (int v = 0; v < kVehicles; ++v) {
        const Philox4 r = random4(2, static_cast<uint32_t>(v), 0, 0, RngPurpose::kTest);
        const int soc = static_cast<int>(r.v[0] % kSocBins), price = static_cast<int>(r.v[1] % 2);
        const bool unplugged = r.v[2] % 10 == 0, terminal = r.v[2] % 10 == 1;
        fl.f.state[v] = unplugged ? -1 : state_index(p, (soc + 0.5f) / kSocBins, kStep, price);
        fl.f.next_state[v] = terminal ? -1 : state_index(p, ((soc + 1) % kSocBins + 0.5f) / kSocBins, kStep + 1, 1 - price);
        fl.f.action[v] = static_cast<uint8_t>(r.v[3] % kNumActions);
        fl.f.reward[v] = uniform01(r.v[3]) * 4.0f - 2.0f;
    }
    return fl;
}

std::vector<float> q_of(const Fleet& fl) {
    const size_t n = static_cast<size_t>(num_states(fl.p)) * kNumActions;
    return std::vector<float>(fl.f.q, fl.f.q + n);
}

TEST(FleetLearning, OwnedRowsGiveTheVehicleOrderedUpdateForAnyOwnerCount) {
    Fleet reference = make_fleet();
    for (int v = 0; v < kVehicles; ++v) learn_vehicle(reference.p, reference.f, v);
    const std::vector<float> expected = q_of(reference);
    ASSERT_NE(expected, q_of(make_fleet())) << "the update changed nothing: the test would prove nothing";
    for (int owners : {1, 2, 3, 8, 64, 1024}) {
        Fleet fl = make_fleet();
        // Owners in reverse order: the result must not depend on which owner runs first.
        for (int owner = owners - 1; owner >= 0; --owner) learn_fleet_rows(fl.p, fl.f, owner, owners);
        const std::vector<float> got = q_of(fl);
        EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size() * sizeof(float))) << owners << " owners";
    }
}

TEST(FleetLearning, OrderWithinARowMatters) {
    // The reason rows keep vehicle order: the same updates in reverse vehicle order differ.
    Fleet forward = make_fleet(), backward = make_fleet();
    for (int v = 0; v < kVehicles; ++v) learn_vehicle(forward.p, forward.f, v);
    for (int v = kVehicles - 1; v >= 0; --v) learn_vehicle(backward.p, backward.f, v);
    EXPECT_NE(q_of(forward), q_of(backward));
}

}  // namespace
}  // namespace v2g
