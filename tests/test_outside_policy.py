"""Outside policies through the yardsticks (docs/VECTOR_ENV.md, docs/EVALUATION.md): `v2g eval
RUN --policy model.pt` scores an exported DQN exactly as the DQN's own evaluation; Python's
v2g.evaluate(run, policy=callable) adds the row `external` to /evaluation and to the report;
bad policies are refused with one line; experiments/ppo.py learns to beat random charging.

Run by hand: cd tests && V2G_BIN=../build/v2g PYTHONPATH=../python V2G_PYMODULE_DIR=../build/python \\
  /usr/bin/python3 -m pytest -q test_outside_policy.py
"""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import v2g
from v2g.launch import load_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("V2G_BIN", os.path.join(ROOT, "build", "v2g"))
SMALL = os.path.join(ROOT, "experiments", "small_deterministic.toml")
PY_ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))

if load_module() is None:
    pytest.skip("the _v2g module is not built (V2G_PYTHON=OFF, e.g. a sanitizer build)", allow_module_level=True)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def tabular_run(tmp_path_factory):
    """A finished tabular run to score policies on (trained in process, through _v2g)."""
    path = tmp_path_factory.mktemp("tab") / "run.h5"
    summary = v2g.train(SMALL, path, args=["--episodes", "40"])
    assert summary["episodes"] == 40
    return str(path)


def test_an_exported_dqn_scores_as_the_dqns_own_evaluation(tmp_path):
    path, model = str(tmp_path / "dqn.h5"), str(tmp_path / "q.pt")
    r = run("train", SMALL, "--set", "learning.policy=dqn", "--episodes", "30", "--quiet", "--out", path,
            "--model-out", model)
    if r.returncode == 2 and "no LibTorch" in r.stderr:
        pytest.skip("this build has no LibTorch")
    assert r.returncode == 0, r.stderr
    r = run("eval", path, "--days", "3", "--faults", "none", "--quiet", "--policy", model)
    assert r.returncode == 0, r.stderr
    assert "score external" in r.stdout
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f["evaluation/policies"][()]]
        assert names[-1] == "external" and names[0] == "learned"
        for metric in f["evaluation/metrics"]:
            values = f["evaluation/metrics"][metric][()]
            np.testing.assert_array_equal(values[0], values[-1], err_msg=metric)  # learned == external, bit for bit


def test_evaluate_scores_a_python_policy_beside_the_yardsticks(tabular_run, tmp_path):
    plugged = [b[0] for b in v2g.vector_env.OBSERVATION_BOUNDS].index("plugged_in")
    seen = []

    def charge_when_plugged(obs):
        seen.append(obs.shape)
        assert not obs.flags.writeable
        return np.where(obs[:, plugged] > 0.5, 0, 2)

    result = v2g.evaluate(tabular_run, policy=charge_when_plugged, days=2)
    assert result["policies"][-1] == "external" and len(result["policies"]) == 8
    assert seen and all(s == seen[0] and s[1] == 12 for s in seen)
    money = dict(zip(result["policies"], result["metrics"]["money_per_vehicle"]))
    assert money["external"] != money["random"] and np.isfinite(money["external"])
    assert np.isfinite(result["external_score"])
    with v2g.open(tabular_run) as run_file:
        assert run_file.policies[-1] == "external"
    # The report shows it beside the others.
    r = subprocess.run([sys.executable, "-m", "v2g", "report", tabular_run, "--out", str(tmp_path / "rep")],
                       capture_output=True, text=True, env=PY_ENV)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "rep" / "report.html", encoding="utf-8") as fh:
        assert "external" in fh.read()
    # Without a policy it is `v2g eval`: the seven rows again.
    assert len(v2g.evaluate(tabular_run, days=1)["policies"]) == 7


def test_bad_policies_are_refused(tabular_run, tmp_path):
    with pytest.raises(ValueError, match="action 7 for vehicle 0"):
        v2g.evaluate(tabular_run, policy=lambda obs: np.full(len(obs), 7), days=1)
    with pytest.raises(ValueError, match="shape"):
        v2g.evaluate(tabular_run, policy=lambda obs: np.zeros(3, int), days=1)

    class Mine(Exception):
        pass

    def fails(obs):
        raise Mine("the agent's own error")

    with pytest.raises(Mine, match="the agent's own error"):
        v2g.evaluate(tabular_run, policy=fails, days=1)
    junk = tmp_path / "junk.pt"
    junk.write_text("not a module")
    r = run("eval", tabular_run, "--days", "1", "--faults", "none", "--quiet", "--policy", str(junk))
    if "no LibTorch" not in r.stderr:
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a TorchScript module" in r.stderr, r.stderr
    with pytest.raises(ValueError, match="run: expected the path"):
        v2g.evaluate(42)


def test_ppo_learns_to_beat_random_charging(tmp_path):
    """The suite's short version of experiments/ppo.py (docs/RESULTS.md has the long one)."""
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "ppo.py"), "--total-steps", "48000",
                        "--eval-days", "3", "--save-model", str(tmp_path / "ppo.pt")],
                       capture_output=True, text=True, env=PY_ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    money = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("("):
            money[parts[0]] = float(parts[1])
    assert money["external"] > money["random"] + 1.0, r.stdout
    assert os.path.getsize(tmp_path / "ppo.pt") > 0
