"""`v2g sweep` end to end: each configuration's results equal the same configuration trained
alone with `v2g train` (a sweep mixing Q-table shapes); a sweep killed with SIGKILL (and one
stopped by SIGINT) and resumed writes the same runs table and the same runs as an uninterrupted
sweep; a malformed sweep file is refused before anything is written; the Slurm array variables
pick the shard; `python3 -m v2g report SWEEP.h5` puts the runs side by side.

Run by ctest (tests/CMakeLists.txt) with V2G_BIN = the built CLI."""
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_resume as resume_checks  # noqa: E402  (module import: its tests are not collected twice)

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, "experiments", "small_deterministic.toml")

# Two Q-table shapes (soc_bins) x per-vehicle or fleet-shared tables x two learning rates,
# evaluated; trained as one batch; a few seconds in all.
MIXED = f"""
[sweep]
base = "{BASE}"
evaluate = true
[set]
"run.episodes" = 60
"evaluation.days" = 2
"evaluation.faults" = "none"
[grid]
"learning.soc_bins" = [5, 10]
"learning.q_sharing" = ["vehicle", "fleet"]
"learning.alpha" = [0.1, 0.3]
"""

# Long enough to be killed mid-run: 6 runs of ~0.5 s, a checkpoint every 20 episodes.
LONG = f"""
[sweep]
base = "{BASE}"
evaluate = true
seeds = [1, 2, 3]
[set]
"run.episodes" = 300
"fleet.vehicles" = 400
"results.checkpoint_every" = 20
"evaluation.days" = 2
"evaluation.faults" = "none"
[grid]
"learning.alpha" = [0.1, 0.3]
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def sweep(*args, env=None):
    return subprocess.run([BIN, "sweep", *map(str, args)], capture_output=True, text=True, env=env)


def run_datasets(path):
    """Every dataset of a run's results file but the wall-clock ones and the checkpoint slots."""
    return resume_checks.datasets(path)


def runs_table(path):
    with h5py.File(path, "r") as f:
        return f["runs"][()]


def test_each_configuration_equals_the_same_configuration_trained_alone(tmp_path):
    spec = write(tmp_path / "mixed.toml", MIXED)
    r = sweep(spec, "--out", tmp_path / "mixed.h5", "-q", "--batch", "8")
    assert r.returncode == 0, r.stderr
    table = runs_table(tmp_path / "mixed.h5")
    assert list(table["id"]) == [f"r000{i}".encode() for i in range(8)]
    assert list(table["learning.soc_bins"]) == [5] * 4 + [10] * 4      # the file's first key varies slowest
    assert list(table["learning.q_sharing"]) == [b"vehicle", b"vehicle", b"fleet", b"fleet"] * 2
    assert list(table["learning.alpha"]) == [0.1, 0.3] * 4
    assert set(table["status"]) == {b"done"}
    # r0006 (10 bins, one fleet table) and r0001 (5 bins, a table per vehicle): two shapes, each
    # trained in the batch exactly as `v2g train` trains it alone.
    for rid, bins, sharing, alpha in (("r0006", 10, "fleet", 0.1), ("r0001", 5, "vehicle", 0.3)):
        in_sweep_path = tmp_path / "mixed.runs" / f"{rid}.h5"
        with h5py.File(in_sweep_path, "r") as f:
            assert "batched" in f.attrs["backend"].decode(), f.attrs["backend"]
        alone = tmp_path / f"{rid}-alone.h5"
        t = subprocess.run([BIN, "train", BASE, "--set", "run.episodes=60", "--set", "evaluation.days=2",
                            "--set", "evaluation.faults=none", "--set", f"learning.soc_bins={bins}",
                            "--set", f"learning.q_sharing={sharing}", "--set", f"learning.alpha={alpha}",
                            "--out", alone, "-q"], capture_output=True, text=True)
        assert t.returncode == 0, t.stderr
        e = subprocess.run([BIN, "eval", alone, "-q"], capture_output=True, text=True)
        assert e.returncode == 0, e.stderr
        # The config as written differs (the sweep records its base and --set lines); the
        # effective config and every result do not.
        in_sweep, by_itself = run_datasets(in_sweep_path), run_datasets(alone)
        del in_sweep["config/input_toml"], by_itself["config/input_toml"]
        resume_checks.assert_same(in_sweep, by_itself)
        with h5py.File(alone, "r") as f:
            q = f["qtables/final"][()]
            reward = f["episodes/reward_mean"][()]
        assert q.shape[-1] == 5 and q.size > 0
        # The row's reward_last is the mean of the run's own last 100 (here 60) episodes.
        row = table[table["id"] == rid.encode()][0]
        assert row["reward_last"] == pytest.approx(reward.mean(), rel=1e-12)
    # One after another (the default) gives the same table, byte for byte.
    r = sweep(spec, "--out", tmp_path / "one-by-one.h5", "-q")
    assert r.returncode == 0, r.stderr
    assert runs_table(tmp_path / "one-by-one.h5").tobytes() == table.tobytes()


def kill_when(proc, path, episodes, timeout_s=120):
    """SIGKILLs `proc` once the run file at `path` holds `episodes` episodes (SWMR read)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with h5py.File(path, "r", swmr=True) as f:
                if len(f["episodes/episode"]) >= episodes:
                    proc.kill()
                    proc.wait()
                    return
        except (OSError, KeyError):
            pass
        time.sleep(0.005)
    raise AssertionError(f"the sweep ended (exit {proc.poll()}) before {path} reached episode {episodes}")


def test_killed_and_resumed_sweep_equals_an_uninterrupted_one(tmp_path):
    spec = write(tmp_path / "long.toml", LONG)
    whole = tmp_path / "whole.h5"
    r = sweep(spec, "--out", whole, "-q", "--threads", "1")  # one after another
    assert r.returncode == 0, r.stderr

    cut = tmp_path / "cut.h5"
    proc = subprocess.Popen([BIN, "sweep", spec, "--out", cut, "-q", "--threads", "1", "--batch", "8"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kill_when(proc, tmp_path / "cut.runs" / "r0002.h5", 130)  # mid-run, after checkpoints
    assert proc.returncode == -signal.SIGKILL
    table = runs_table(cut)  # one batch: killed with every run part-way
    assert set(table["status"]) == {b"pending"}

    # A SIGINT in the resumed sweep: it stops cleanly, says how to continue, exits 128 + 2. It is
    # sent once the resumed process has itself written 10 more episodes of r0004 (so its handler
    # is in place) and well before the 300th (so it lands while the batch trains).
    with h5py.File(tmp_path / "cut.runs" / "r0004.h5", "r", swmr=True) as f:  # killed while writing
        before = len(f["episodes/episode"])
    assert before < 250
    proc = subprocess.Popen([BIN, "sweep", "--resume", cut, "-q", "--threads", "1", "--batch", "8"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with h5py.File(tmp_path / "cut.runs" / "r0004.h5", "r", swmr=True) as f:
                if len(f["episodes/episode"]) >= before + 10:
                    proc.send_signal(signal.SIGINT)
                    break
        except (OSError, KeyError):
            pass
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, err
    assert f"v2g sweep --resume {cut}" in err
    assert set(runs_table(cut)["status"]) == {b"pending"}
    with h5py.File(tmp_path / "cut.runs" / "r0004.h5", "r") as f:
        assert f["status"][()].decode().rstrip("\0") == "interrupted"

    r = sweep("--resume", cut, "-q", "--threads", "1")
    assert r.returncode == 0, r.stderr
    a, b = runs_table(whole), runs_table(cut)
    assert a.dtype == b.dtype
    assert a.tobytes() == b.tobytes(), "the runs tables differ"
    assert set(b["status"]) == {b"done"} and len(b) == 6
    for rid in ("r0002", "r0004", "r0005"):  # killed, interrupted, untouched
        resume_checks.assert_same(run_datasets(tmp_path / "whole.runs" / f"{rid}.h5"),
                                  run_datasets(tmp_path / "cut.runs" / f"{rid}.h5"))
    # A finished sweep resumed again changes nothing.
    r = sweep("--resume", cut, "-q")
    assert r.returncode == 0, r.stderr
    assert runs_table(cut).tobytes() == a.tobytes()


@pytest.mark.parametrize("text, fragment", [
    ("[sweep]\nbase = \"{base}\"\n[grid]\n\"learning.alpha\" = []\n", "learning.alpha: empty list"),
    ("[sweep]\nbase = \"{base}\"\n[grid]\n\"learning.alhpa\" = [0.1]\n", "unknown key 'learning.alhpa'"),
    ("[sweep]\nbase = \"{base}\"\n[grid]\n\"learning.alpha\" = [0.1, 7]\n", "learning.alpha = 7"),
    ("[sweep]\nbase = \"{base}\"\nepisodes = 3\n", "[sweep] episodes"),
    ("[sweep]\nbase = \"missing.toml\"\n", "missing.toml"),
    ("[grid]\n\"learning.alpha\" = [0.1]\n", "[sweep] base"),
])
def test_malformed_sweep_is_refused_before_any_training(tmp_path, text, fragment):
    spec = write(tmp_path / "bad.toml", text.format(base=BASE))
    r = sweep(spec, "--out", tmp_path / "out.h5")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert not os.path.exists(tmp_path / "out.h5") and not os.path.exists(tmp_path / "out.runs")


def test_bad_invocations(tmp_path):
    spec = write(tmp_path / "mixed.toml", MIXED)
    out = tmp_path / "s.h5"
    assert sweep(spec, "--out", out, "-q").returncode == 0
    for args, fragment in (((spec, "--out", out), "v2g sweep --resume"),       # would overwrite
                           ((spec,), "--out OUT.h5 is required"),
                           ((spec, "--out", tmp_path / "x.h5", "--shard", "4/4"), "--shard 4/4"),
                           (("--resume", spec), "not an HDF5 file"),
                           (("--resume", out, "--shard", "0/2"), "only --device, --threads")):
        r = sweep(*args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and fragment in r.stderr, (args, r.stderr)
    run = tmp_path / "s.runs" / "r0000.h5"
    r = sweep("--resume", run)
    assert r.returncode == 2 and "not a v2g sweep file" in r.stderr
    # `v2g inspect` shows a sweep file's runs.
    r = subprocess.run([BIN, "inspect", out], capture_output=True, text=True)
    assert r.returncode == 0 and "8 of 8 done" in r.stdout and "learning.q_sharing=fleet" in r.stdout, r.stderr
    # A row that is not the configuration the stored sweep expands to is refused, not trusted.
    with h5py.File(out, "r+") as f:
        table = f["runs"][()]
        table["learning.alpha"][0] = 0.25
        f["runs"][...] = table
    for args in (("--resume", out), ):
        r = sweep(*args)
        assert r.returncode == 2 and "not those of configuration r0000" in r.stderr, r.stderr
    r = subprocess.run([BIN, "inspect", out], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_slurm_array_variables_pick_the_shard(tmp_path):
    spec = write(tmp_path / "mixed.toml", MIXED)
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="7", SLURM_ARRAY_TASK_MIN="6", SLURM_ARRAY_TASK_COUNT="2")
    r = sweep(spec, "--out", tmp_path / "s.h5", "-q", env=env)
    assert r.returncode == 0, r.stderr
    assert "shard: 1/2 (from the Slurm job array)" in r.stderr
    shard = tmp_path / "s.shard-1-of-2.h5"
    assert list(runs_table(shard)["id"]) == [b"r0004", b"r0005", b"r0006", b"r0007"]
    assert sorted(os.listdir(tmp_path / "s.shard-1-of-2.runs")) == [f"r000{i}.h5" for i in range(4, 8)]
    # --list shows the shard's configurations and trains nothing.
    r = sweep(spec, "--list", "--shard", "0/2")
    assert r.returncode == 0 and "r0000" in r.stdout and "r0003" in r.stdout and "r0004" not in r.stdout


def test_report_of_a_sweep_puts_its_runs_side_by_side(tmp_path):
    spec = write(tmp_path / "mixed.toml", MIXED)
    assert sweep(spec, "--out", tmp_path / "s.h5", "-q").returncode == 0
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), MPLBACKEND="Agg")
    r = subprocess.run([sys.executable if sys.executable.startswith("/usr/bin") else "/usr/bin/python3", "-m", "v2g",
                        "report", tmp_path / "s.h5", "--out", tmp_path / "report"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stderr
    page = open(tmp_path / "report" / "compare.html").read()
    for rid in ("r0000", "r0003"):
        assert os.path.exists(tmp_path / "s.runs" / f"{rid}.h5")
    assert page.count("<img") >= 1 and "small-deterministic" in page


def test_tabular_vs_dqn_experiment_is_a_sweep_of_both_learners():
    r = sweep(os.path.join(ROOT, "experiments", "tabular_vs_dqn.toml"), "--list")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("r000")]
    assert len(lines) == 2
    assert "variant=tabular" in lines[0] and "tabular)" in lines[0]
    assert "variant=dqn" in lines[1] and "dqn)" in lines[1]
    assert "each evaluated" in r.stdout


@pytest.mark.parametrize("name, runs, swept", [
    ("sweep_alpha_decay.toml", 36, ("learning.alpha=", "learning.epsilon_decay=", "run.seed=")),
    ("sweep_sharing_seeds.toml", 15, ("learning.q_sharing=", "run.seed=")),
    ("learning_community.toml", 16, ("learning.price_levels=", "run.seed=")),
])
def test_example_sweeps_expand_as_their_headers_say(name, runs, swept):
    r = sweep(os.path.join(ROOT, "experiments", name), "--list")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("r0")]
    assert len(lines) == runs
    assert all(all(k in l for k in swept) for l in lines)
    assert "each evaluated" in r.stdout
