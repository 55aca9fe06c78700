"""v2g.evaluate: `v2g eval` from Python, with a policy of your own scored beside the yardsticks.

    result = v2g.evaluate("run.h5", policy=my_policy, days=10)
    result["metrics"]["money_per_vehicle"]     # one mean per policy, result["policies"] order

`policy` is a callable, observations (n, 12) float32 -> actions (n,) integers in 0..4 (the
layout of docs/VECTOR_ENV.md), or the path of a TorchScript module whose forward maps
observations to action scores (n, 5), as `v2g eval --policy` takes. It is scored as the row
`external`, from the run's trained state on the same held-out days as every other policy, and
written into the run's /evaluation like everything `v2g eval` writes (the report shows it).
"""

import os

from .launch import load_module


def evaluate(run, policy=None, days=None, faults="none", sets=None):
    """Evaluates the results file `run` (a finished or interrupted `v2g train --out` file).

    days: evaluation.days (None: the run's). faults: "none" (default here: only the fault-free
    days, the quick comparison), "all", or a comma list (evaluation.faults). sets: more
    "evaluation.key=value" overrides. Returns {"policies", "days", "first_episode", "metrics":
    {name: [mean per policy]}, "score", "external_score"}. Bad input: ValueError with the CLI's
    line; an exception of the policy reaches the caller as it was raised."""
    module = load_module()
    if module is None:
        raise ImportError("v2g.evaluate needs the _v2g module (cmake -DV2G_PYTHON=ON; see python/README.md)")
    if not isinstance(run, (str, os.PathLike)):
        raise ValueError(f"run: expected the path of a results file, not {type(run).__name__}")
    if isinstance(policy, os.PathLike):
        policy = os.fspath(policy)
    if policy is not None and not isinstance(policy, str) and not callable(policy):
        raise ValueError("policy: expected a callable (observations -> actions) or a TorchScript path")
    return module.evaluate(os.fspath(run), policy, "" if days is None else str(int(days)),
                           "" if faults is None else str(faults), list(sets or []))
