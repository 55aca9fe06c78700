// The CPU backend's choice of lanes per episode (backends/lane_chooser.h), driven by synthetic
// episode times: it must settle on the faster lane count, keep probing the other, follow a
// change of load, and stay on all threads when told not to adapt. (That results do not depend
// on the lane count is the determinism and lanes tests' business.)
#include <gtest/gtest.h>

#include <functional>

#include "backends/lane_chooser.h"

namespace {

using v2g::LaneChooser;

// Runs `episodes` episodes whose time on `lanes` is seconds(episode, lanes); returns how many
// ran on one lane.
int64_t drive(LaneChooser* c, int episodes, const std::function<double(int, int)>& seconds, int first = 0) {
    const int64_t before = c->episodes_on_one();
    for (int e = first; e < first + episodes; ++e) c->record(seconds(e, c->lanes()));
    return c->episodes_on_one() - before;
}

TEST(LaneChooser, StaysOnAllThreadsWhenTheyAreFaster) {
    LaneChooser c(2, true);
    const int64_t on_one = drive(&c, 4000, [](int, int lanes) { return lanes == 1 ? 2.0 : 1.0; });
    EXPECT_GT(on_one, 0) << "the other lane count is probed";
    // A clearly slower probe stops after one untimed and one timed episode.
    EXPECT_LT(on_one, 4000 / 100) << "probing costs under 1 % of the episodes";
    EXPECT_EQ(c.lanes(), 2);
}

TEST(LaneChooser, MovesToOneLaneWhenItIsFaster) {
    LaneChooser c(4, true);
    const int64_t on_one = drive(&c, 4000, [](int, int lanes) { return lanes == 1 ? 1.0 : 1.6; });
    EXPECT_GT(on_one, 4000 * 9 / 10);
    EXPECT_EQ(c.lanes(), 1);
    EXPECT_EQ(c.episodes_on_one() + c.episodes_on_all(), 4000);
}

TEST(LaneChooser, AMarginKeepsItFromFlippingOnNoise) {
    // One lane 1 % faster: within the margin, so all threads stay.
    LaneChooser c(2, true);
    drive(&c, 3000, [](int, int lanes) { return lanes == 1 ? 0.99 : 1.0; });
    EXPECT_EQ(c.lanes(), 2);
    EXPECT_LT(c.episodes_on_one(), 3000 / 50);
}

TEST(LaneChooser, FollowsAChangeOfLoad) {
    // A busy neighbour for the first 3000 episodes (one lane faster), then an idle machine.
    LaneChooser c(2, true);
    const auto seconds = [](int e, int lanes) {
        const bool loaded = e < 3000;
        return lanes == 1 ? 1.0 : (loaded ? 1.5 : 0.6);
    };
    drive(&c, 3000, seconds);
    EXPECT_EQ(c.lanes(), 1);
    // The winner's stretch is at most kMaxExploit episodes, then the other is probed again.
    drive(&c, LaneChooser::kMaxExploit + 2 * LaneChooser::kProbeEpisodes, seconds, 3000);
    EXPECT_EQ(c.lanes(), 2);
}

TEST(LaneChooser, NotAdaptiveOrOneThreadNeverChanges) {
    LaneChooser fixed(2, false);
    EXPECT_EQ(drive(&fixed, 1000, [](int, int lanes) { return lanes == 1 ? 0.1 : 1.0; }), 0);
    EXPECT_EQ(fixed.lanes(), 2);
    LaneChooser single(1, true);
    EXPECT_EQ(single.lanes(), 1);
    drive(&single, 100, [](int, int) { return 1.0; });
    EXPECT_EQ(single.lanes(), 1);
    EXPECT_EQ(single.episodes_on_one(), 100);
}

}  // namespace
