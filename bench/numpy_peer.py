"""numpy_peer.py: v2g's tabular training against a plain numpy vectorised tabular Q-learner of
the same size, side by side on one core (docs/PERFORMANCE.md, "Against a numpy peer").

    /usr/bin/python3 bench/numpy_peer.py --vehicles 1000 10000 100000 --repeats 3

The peer is what a Python user would write first: one Q-table per vehicle (soc_bins x hours x
5 actions, the paper's state), epsilon-greedy over the whole fleet at once, charge / discharge
/ idle at the charger's power and efficiency within the SoC window, a day's trip taken from
the pack, the reward as grid money, the one-step Q-update by fancy indexing. It has no P2P
market, no contracts or ledger, no ageing, no grid limit, no safety layer and no metrics: a
LOWER BOUND on the work of v2g's step, so the ratio below understates v2g's lead.

v2g runs `v2g train experiments/paper.toml` at the same fleet size, one thread, ledger on and
off, and its rate is the summary's env_steps_per_s (the training loop's env-steps per second).
The peer's rate is env-steps (vehicles x steps, plugged in or not, as v2g counts them) per
second of its training loop. Runs alternate (v2g ledger on, v2g ledger off, numpy) `--repeats`
times; the table gives the median of each and the ratios of the medians.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core for numpy as for v2g (before numpy loads)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "experiments", "paper.toml")
sys.path.insert(0, os.path.join(REPO, "python"))

# The peer's model: experiments/paper.toml's settings where it has one (docs/CONFIG.md).
SOC_BINS, HOURS, ACTIONS = 10, 24, 5
CHARGE, DISCHARGE, IDLE, SELL, BUY = range(ACTIONS)  # v2g's action order (env/env_types.h)
ALPHA, GAMMA, EPSILON, EPSILON_DECAY, Q_INIT = 0.2, 1.0, 0.8, 0.995, -3.0
SOC_MIN, SOC_MAX, INITIAL_SOC = 0.1, 0.9, 0.5
CAPACITY_KWH, POWER_KW, EFFICIENCY = 60.0, 11.0, 0.9  # fleet.single_* defaults
TRIP_KWH = 6.5                                          # sessions.fixed_trip_kwh
FEED_IN_RATIO = 0.5                                     # signals.feed_in_ratio


def peer_rate(vehicles, days, seed=1):
    """Trains the numpy peer for `days` days of `vehicles` vehicles; env-steps per second."""
    rng = np.random.default_rng(seed)
    n = vehicles
    idx = np.arange(n)
    q = np.full((n, SOC_BINS * HOURS, ACTIONS), Q_INIT, dtype=np.float32)
    energy = np.full(n, INITIAL_SOC * CAPACITY_KWH, dtype=np.float32)
    hours = np.arange(HOURS)
    retail = (0.15 + 0.1 * np.sin((hours - 6) / HOURS * 2 * np.pi)).astype(np.float32)  # a day's price curve
    feed_in = FEED_IN_RATIO * retail
    step_kwh = POWER_KW * 1.0  # one-hour steps
    lo, hi = SOC_MIN * CAPACITY_KWH, SOC_MAX * CAPACITY_KWH

    def state(e, hour):
        soc_bin = np.minimum((e / CAPACITY_KWH * SOC_BINS).astype(np.int64), SOC_BINS - 1)
        return soc_bin * HOURS + hour

    t0 = time.perf_counter()
    epsilon = EPSILON
    for _ in range(days):
        arrival = rng.integers(0, 8, n)          # day starts at noon: evening arrivals ...
        departure = rng.integers(16, 24, n)      # ... and morning departures
        energy = np.maximum(energy - TRIP_KWH, lo)
        for t in range(HOURS):
            plugged = (t >= arrival) & (t < departure)
            s = state(energy, t)
            greedy = q[idx, s].argmax(axis=1)
            explore = rng.random(n) < epsilon
            action = np.where(explore, rng.integers(0, ACTIONS, n), greedy)
            action = np.where(plugged, action, IDLE)
            charging = (action == CHARGE) | (action == BUY)
            discharging = (action == DISCHARGE) | (action == SELL)
            stored_in = np.where(charging, np.minimum(step_kwh * EFFICIENCY, hi - energy), 0.0)
            stored_out = np.where(discharging, np.minimum(step_kwh, np.maximum(energy - lo, 0.0)), 0.0)
            grid_in = stored_in / EFFICIENCY
            grid_out = stored_out * EFFICIENCY
            reward = (feed_in[t] * grid_out - retail[t] * grid_in).astype(np.float32)
            energy = (energy + stored_in - stored_out).astype(np.float32)
            terminal = t + 1 >= departure
            s2 = state(energy, (t + 1) % HOURS)
            target = reward + np.where(terminal, 0.0, GAMMA * q[idx, s2].max(axis=1))
            learn = idx[plugged]
            q[learn, s[plugged], action[plugged]] += ALPHA * (target[plugged] - q[learn, s[plugged], action[plugged]])
        epsilon *= EPSILON_DECAY
    seconds = time.perf_counter() - t0
    return vehicles * HOURS * days / seconds


def v2g_rate(binary, vehicles, days, ledger):
    """`v2g train experiments/paper.toml` at this size, one thread: the summary's env_steps_per_s."""
    communities = -(-vehicles // 50)
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = [binary, "train", CONFIG, "--quiet", "--summary", summary, "--threads", "1", "--device", "cpu",
               "--episodes", str(days), "--set", f"fleet.vehicles={vehicles}",
               "--set", f"ledger.contracts={communities + 2}", "--set", f"ledger.enabled={'true' if ledger else 'false'}",
               "--set", "evaluation.check_days=0"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"numpy_peer: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        with open(summary) as f:
            return json.load(f)["env_steps_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vehicles", type=int, nargs="+", default=[1000, 10000, 100000], help="fleet sizes")
    ap.add_argument("--env-steps", type=float, default=2.4e7,
                    help="env-steps per run (days = this / (vehicles x 24), at least 3)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating rounds per size")
    ap.add_argument("--binary", default=None, help="the v2g binary (default: as the Python package finds it)")
    args = ap.parse_args()
    if args.binary is None:
        from v2g.launch import find_binary
        args.binary = find_binary()
    print(f"{'vehicles':>9} {'days':>5} {'v2g ledger on':>14} {'v2g ledger off':>15} {'numpy peer':>11} "
          f"{'on/peer':>8} {'off/peer':>9}   (env-steps/s, medians of {args.repeats})")
    for vehicles in args.vehicles:
        days = max(3, int(args.env_steps / (vehicles * HOURS)))
        on, off, peer = [], [], []
        for _ in range(args.repeats):
            on.append(v2g_rate(args.binary, vehicles, days, True))
            off.append(v2g_rate(args.binary, vehicles, days, False))
            peer.append(peer_rate(vehicles, days))
        m_on, m_off, m_peer = (float(np.median(x)) for x in (on, off, peer))
        print(f"{vehicles:>9} {days:>5} {m_on:>14.3g} {m_off:>15.3g} {m_peer:>11.3g} "
              f"{m_on / m_peer:>7.1f}x {m_off / m_peer:>8.1f}x", flush=True)


if __name__ == "__main__":
    main()
