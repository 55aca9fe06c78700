// sessions.h: owns the daily plug-in session model (sessions.model): the EV2Gym/ElaadNL
// distributions of arrival time, connection time and energy demand mapped onto the episode
// window, or one fixed session, or (csv) each vehicle's own sessions, whose table
// problem/session_table.h reads. The device samples it in env/session.h.
#pragma once
#include "config/config.h"
#include "env/env_types.h"

namespace v2g {

// cfg.sessions.model: "ev2gym" (cfg.sessions.charger: private | public | workplace), "fixed" or "csv".
// Bad names or fixed hours that do not fit the window throw InputError naming the key.
SessionModel build_session_model(const Config& cfg);

// Episode step (0 .. steps_per_day) of a clock hour, for a window that starts at
// cfg.time.day_start_hour: the nearest step boundary after wrapping the hour into the window.
int window_step_of_clock_hour(const Config& cfg, double clock_hour);

// cfg.steps_per_day(), after checking that time.step_hours divides the day into at most
// kMaxStepsPerDay steps and time.day_start_hour is a clock hour (InputError naming the key).
int checked_steps_per_day(const Config& cfg);

}  // namespace v2g
