"""octave_paper.py: v2g's paper run against the paper's loops re-run in Octave, per core
(docs/PERFORMANCE.md, "Against the paper's loops in Octave").

    /usr/bin/python3 bench/octave_paper.py --repeats 3          (needs octave-cli: apt install octave)

The baseline is bench/paper_loops.m: the paper's method written as its MATLAB is (nested loops
over episodes, vehicles and hours, a scalar epsilon-greedy Q-learning step, one hashed
transaction record per energy transfer, a hash-chained block per episode); less work per step
than v2g's (no P2P clearing, ageing, grid limit or safety layer), so the ratio understates v2g's
lead. Both run pinned to one core (the first this process may use), ledger on and off:
- v2g: `v2g train experiments/paper.toml --threads 1 --out RUN.h5` (the whole run: start-up,
  results file, writer thread and signatures included), env-steps per CPU-second of the process
  (user + system), and the summary's env_steps_per_s (the training loop alone);
- Octave: paper_loops' own env-steps per second of its loops (tic/toc, Octave's start excluded).
Runs alternate (Octave on, v2g on, Octave off, v2g off) `--repeats` times; medians and their ratios.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "experiments", "paper.toml")
BENCH = os.path.join(REPO, "bench")
sys.path.insert(0, os.path.join(REPO, "python"))
PAPER_ENV_STEPS = 50 * 24 * 2000  # experiments/paper.toml: vehicles x hourly steps x episodes


def one_core():
    """The first core this process may run on: every run is pinned to it."""
    return min(os.sched_getaffinity(0))


def pinned(core):
    return lambda: os.sched_setaffinity(0, {core})


def run_child(cmd, core):
    """Runs cmd pinned to core; (stdout, CPU seconds of the child: user + system)."""
    before = os.times()
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pinned(core))
    after = os.times()
    if r.returncode != 0:
        sys.exit(f"octave_paper: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return r.stdout, cpu


def octave_rate(octave, episodes, ledger, core):
    out, _ = run_child([octave, "--no-gui", "--quiet", "--norc", "--path", BENCH, "--eval",
                        f"paper_loops({episodes}, {'true' if ledger else 'false'});"], core)
    m = re.search(r"env_steps_per_s=([0-9.eE+]+)", out)
    if not m:
        sys.exit(f"octave_paper: no rate in Octave's output: {out.strip()[-400:]}")
    return float(m.group(1))


def v2g_rates(binary, ledger, core):
    """(env-steps per CPU-second of the whole process, the training loop's env_steps_per_s)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = [binary, "train", CONFIG, "--quiet", "--summary", summary, "--threads", "1", "--device", "cpu",
               "--out", os.path.join(tmp, "run.h5"), "--set", f"ledger.enabled={'true' if ledger else 'false'}",
               "--set", "evaluation.check_days=0"]
        _, cpu = run_child(cmd, core)
        with open(summary) as f:
            loop = json.load(f)["env_steps_per_s"]
    return PAPER_ENV_STEPS / cpu, loop


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="alternating rounds")
    ap.add_argument("--octave-episodes", type=int, default=100,
                    help="episodes of the Octave loops per run (the paper's 2000 take ~4 minutes)")
    ap.add_argument("--binary", default=None, help="the v2g binary (default: as the Python package finds it)")
    ap.add_argument("--octave", default=shutil.which("octave-cli") or "octave-cli", help="the Octave interpreter")
    args = ap.parse_args()
    if not shutil.which(args.octave) and not os.path.exists(args.octave):
        sys.exit("octave_paper: octave-cli not found (apt install octave)")
    if args.binary is None:
        from v2g.launch import find_binary
        args.binary = find_binary()
    core = one_core()
    rows = {}
    for _ in range(args.repeats):
        for ledger in (True, False):
            rows.setdefault(ledger, {"octave": [], "cpu": [], "loop": []})
            rows[ledger]["octave"].append(octave_rate(args.octave, args.octave_episodes, ledger, core))
            per_cpu, loop = v2g_rates(args.binary, ledger, core)
            rows[ledger]["cpu"].append(per_cpu)
            rows[ledger]["loop"].append(loop)
    print(f"one core (cpu {core}), medians of {args.repeats}, env-steps/s")
    print(f"{'ledger':>6} {'Octave loops':>13} {'v2g per CPU-s':>14} {'ratio':>7} {'v2g loop':>10} {'ratio':>7}")
    for ledger in (True, False):
        o, c, l = (statistics.median(rows[ledger][k]) for k in ("octave", "cpu", "loop"))
        print(f"{'on' if ledger else 'off':>6} {o:>13.4g} {c:>14.4g} {c / o:>6.0f}x {l:>10.4g} {l / o:>6.0f}x", flush=True)


if __name__ == "__main__":
    main()
