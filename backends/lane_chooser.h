// lane_chooser.h: how many of the CPU backend's threads an episode runs on, chosen by measuring.
// On a shared machine a second thread can cost more than it gives: a small fleet's episode is
// tens of microseconds between the team's syncs, and when another process holds a core the
// second lane waits for it at every one (issue 17: 2 threads ran at 0.5-0.9x of one at 10^2-10^3
// vehicles with one core busy). Results do not depend on the lane count (tests/test_lanes.cpp,
// tests/test_determinism.cpp), so the backend may pick it freely; this picks by wall time.
//
// The rule: run on all threads, then probe one lane for a few episodes, and keep whichever was
// faster per episode (the winner's time from its episodes just before the probe, so that both
// come from the same stretch of training). The winner runs for a while, twice as long each time
// it wins again (up to kMaxExploit episodes), then the loser is probed again: a machine whose
// load changes is followed, and a winner that keeps winning is probed ever more rarely. The
// first episode of each stretch is not timed (threads waking, caches refilling); a probe that
// is clearly slower stops after one timed episode. Where all threads are 2x faster, probing
// costs ~2 episodes' time per stretch: under 1 % after the first (128 episodes).
#pragma once
#include <algorithm>
#include <cstdint>

namespace v2g {

class LaneChooser {
public:
    static constexpr int kProbeEpisodes = 4;    // timed episodes per probe (plus one untimed)
    static constexpr int kFirstExploit = 128;   // episodes the winner runs after a switch
    static constexpr int kMaxExploit = 8192;
    static constexpr double kMargin = 0.03;     // the loser must be 3 % faster to take over
    static constexpr double kClearlySlower = 1.25;  // a probe this much slower stops at once

    // `threads` the team's size; adaptive = false: always all of them.
    LaneChooser(int threads, bool adaptive) : all_(std::max(1, threads)), adaptive_(adaptive && threads > 1) {
        winner_ = all_;
    }

    // The lanes for the next episode.
    int lanes() const { return probing_ ? loser() : winner_; }

    // The wall time of the episode just run on lanes().
    void record(double seconds) {
        episodes_[lanes() == 1 ? 0 : 1] += 1;
        if (!adaptive_) return;
        if (probing_) {
            if (run_++ > 0) add(&probe_, seconds);
            const bool clearly_slower = probe_.count > 0 && probe_.mean() > recent_.mean() * kClearlySlower;
            if (run_ > kProbeEpisodes || clearly_slower) finish_probe();
            return;
        }
        if (run_++ > 0) add(&recent_, seconds);  // the winner's recent episodes, a window as long as a probe
        if (run_ >= exploit_) start_probe();
    }

    // Episodes run on one lane and on all threads so far.
    int64_t episodes_on_one() const { return episodes_[0]; }
    int64_t episodes_on_all() const { return episodes_[1]; }

private:
    struct Window {  // the last kProbeEpisodes times
        double seconds[kProbeEpisodes] = {};
        int count = 0;
        double mean() const {
            const int n = std::min(count, kProbeEpisodes);
            double sum = 0;
            for (int i = 0; i < n; ++i) sum += seconds[i];
            return n > 0 ? sum / n : 0.0;
        }
    };
    static void add(Window* w, double s) { w->seconds[w->count++ % kProbeEpisodes] = s; }

    int loser() const { return winner_ == 1 ? all_ : 1; }

    void start_probe() {
        probing_ = true;
        run_ = 0;
        probe_ = Window{};
    }

    void finish_probe() {
        probing_ = false;
        run_ = 0;
        const bool switch_over = recent_.count == 0 || probe_.mean() < recent_.mean() * (1.0 - kMargin);
        if (switch_over) {
            winner_ = loser();
            exploit_ = kFirstExploit;
        } else {
            exploit_ = std::min(2 * exploit_, kMaxExploit);
        }
        recent_ = Window{};
    }

    int all_;
    bool adaptive_;
    int winner_;
    bool probing_ = false;
    int run_ = 0;                  // episodes into the current stretch
    int exploit_ = kFirstExploit;  // length of the winner's current stretch
    Window recent_, probe_;
    int64_t episodes_[2] = {0, 0};
};

}  // namespace v2g
