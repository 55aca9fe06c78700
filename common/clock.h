// clock.h: wall time for progress lines, summaries and the bench (a steady clock: a change of
// the system time does not show in a duration).
#pragma once
#include <chrono>

namespace v2g {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace v2g
