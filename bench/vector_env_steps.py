"""vector_env_steps.py: v2g.VectorEnv's step() throughput against the engine's own tabular
training at the same fleet size, and the share of a step spent in Python (docs/PERFORMANCE.md).

    PYTHONPATH=python /usr/bin/python3 bench/vector_env_steps.py --vehicles 10000 --repeats 3

The engine's rate is `v2g train --summary` (env_steps_per_s) of experiments/scale_1e4.toml at
the size asked for; the env's is env-steps per second of step() with actions drawn beforehand
(the agent's own time left out). The Python share is the time of what step() does besides the
engine's step (checking the actions, building the info dict and the views), timed alone, over
that plus the engine's step timed alone. Runs alternate, engine then env, `--repeats` times.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))
import v2g  # noqa: E402
from v2g.launch import find_binary  # noqa: E402

CONFIG = os.path.join(REPO, "experiments", "scale_1e4.toml")


def overrides(args):
    communities = -(-args.vehicles // 50)  # community_size 50: a P2P contract each, plus two
    return {"fleet.vehicles": args.vehicles, "run.threads": args.threads, "run.episodes": args.days,
            "ledger.contracts": max(202, communities + 2)}


def engine_rate(args):
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = [find_binary(), "train", CONFIG, "--quiet", "--summary", summary]
        for k, v in overrides(args).items():
            cmd += ["--set", f"{k}={v}"]
        cmd += ["--set", "evaluation.check_days=0"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(summary, encoding="utf-8") as fh:
            return json.load(fh)["env_steps_per_s"]


def env_rate(args):
    env = v2g.VectorEnv(CONFIG, overrides=overrides(args), seed=1)
    rng = np.random.default_rng(0)
    steps = env.steps_per_day * args.days
    actions = [rng.integers(0, 5, env.num_envs) for _ in range(8)]
    raw = [a.astype(np.uint8) for a in actions]
    env.reset()
    start = time.perf_counter()
    for t in range(steps):
        env.step(actions[t % 8])
    wall = time.perf_counter() - start
    # What step() does besides the engine's step: checking the actions, the info dict, the views.
    start = time.perf_counter()
    for t in range(steps):
        env._checked_actions(actions[t % 8])
        env._info()
        env._core.observations(), env._core.rewards(), np.full(env.num_envs, False)
    python = time.perf_counter() - start
    # The engine's step alone, actions already checked.
    core = env._core
    core.reset(0)
    start = time.perf_counter()
    for t in range(steps):
        if core.step(raw[t % 8]):
            core.reset(core.episode + 1)
    engine = time.perf_counter() - start
    env.close()
    return env.num_envs * steps / wall, python / (python + engine)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=1, help="run.threads of both")
    ap.add_argument("--days", type=int, default=10, help="days (episodes) per measurement")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for r in range(args.repeats):
        engine = engine_rate(args)
        env, overhead = env_rate(args)
        print(f"vehicles {args.vehicles} threads {args.threads}: engine training {engine / 1e6:.2f} M env-steps/s, "
              f"VectorEnv.step {env / 1e6:.2f} M env-steps/s ({env / engine:.0%}), "
              f"Python share of a step {overhead:.1%}", flush=True)


if __name__ == "__main__":
    main()
