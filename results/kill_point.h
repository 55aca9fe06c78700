// kill_point.h: named moments at which a crash-safety test kills this process (SIGKILL, as a
// power cut or the OOM killer would), so every phase of a write can be tested, not only the
// moments a timed kill happens to hit. Armed by the environment variable V2G_TEST_KILL_AT=NAME
// (docs/RESULTS.md lists the names); unset, a point costs a string compare.
#pragma once
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace v2g {

inline void kill_point(const char* name) {
    static const char* armed = std::getenv("V2G_TEST_KILL_AT");
    if (armed && std::strcmp(armed, name) == 0) std::raise(SIGKILL);
}

}  // namespace v2g
