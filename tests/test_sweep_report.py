"""`python3 -m v2g sweep-report` on real sweeps (docs/SWEEPS.md).

Runs a small `v2g sweep` of experiments/small_deterministic.toml (a grid of a number and a
string, three seeds), reports it, and checks against the runs table read with h5py and numpy,
independently of v2g.sweep_report: the ranking's order and means (the default metric and one
chosen with --metric), each parameter's per-value means and seed spread, that best.toml is the
best configuration's config and that `v2g train best.toml --episodes 1` takes it, that the same
sweep run as two shards and merged gives the same ranking, the default metric of an evaluated
sweep, that the page is self-contained and renders in headless Chromium (tests/test_report.py's
render check), and bad input (exit 2, one line).

Run by ctest (pytest_sweep_report) and directly with pytest; V2G_BIN is the v2g binary.
"""

import csv
import os
import shutil
import subprocess
import sys
import tomllib

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
from test_report import Page, render_problems  # noqa: E402  (the run report's render check)

V2G = os.path.abspath(os.environ.get("V2G_BIN", os.path.join(ROOT, "build", "v2g")))
ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), MPLBACKEND="Agg")
BASE_CONFIG = os.path.join(ROOT, "experiments", "small_deterministic.toml")
EPISODES = 120
ALPHAS = (0.05, 0.2, 0.5)
SHARING = ("vehicle", "fleet")     # a string parameter: categories on the x axis
SEEDS = (1, 2, 3)
KEYS = ("learning.alpha", "learning.q_sharing")
DEFAULT_METRIC = "reward_last"     # a sweep without evaluation
OTHER_METRIC = "soh_final"
EXIT_BAD_INPUT = 2
REL = 1e-12                        # the CSVs hold full-precision floats


def sweep_text(evaluate=False):
    if evaluate:  # two configurations, one seed, two evaluation days: the default metric only
        return (f'[sweep]\nbase = "{BASE_CONFIG}"\nevaluate = true\n\n[set]\n"run.episodes" = 50\n'
                f'"evaluation.days" = 2\n"evaluation.faults" = "none"\n\n[grid]\n"learning.alpha" = [0.1, 0.5]\n')
    return (f'[sweep]\nname = "report-test"\nbase = "{BASE_CONFIG}"\nseeds = {list(SEEDS)}\n\n'
            f'[set]\n"run.episodes" = {EPISODES}\n\n'
            f'[grid]\n"learning.alpha" = {list(ALPHAS)}\n"learning.q_sharing" = {list(SHARING)}\n')


def run(*args, cwd=None):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300)


def sweep_report(path, out, *extra):
    return run(sys.executable, "-m", "v2g", "sweep-report", path, "--out", out, *extra)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def one_error_line(r):
    lines = r.stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("v2g: error:")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The sweep, its runs table (h5py), and its report with the default metric."""
    d = tmp_path_factory.mktemp("sweep")
    (d / "s.toml").write_text(sweep_text())
    r = run(V2G, "sweep", d / "s.toml", "--out", d / "s.h5", "-q")
    assert r.returncode == 0, r.stderr
    with h5py.File(d / "s.h5", "r") as f:
        table = f["runs"][()]
    rep = sweep_report(d / "s.h5", d / "rep")
    assert rep.returncode == 0, rep.stderr
    return dict(dir=d, path=str(d / "s.h5"), table=table, out=d / "rep", stdout=rep.stdout)


def expected_ranking(table, metric):
    """[(alpha, sharing, mean over seeds)], best first, from the raw table with numpy."""
    sharing = np.char.decode(table["learning.q_sharing"])
    rows = []
    for a in ALPHAS:
        for s in SHARING:
            sel = (table["learning.alpha"] == a) & (sharing == s)
            assert sel.sum() == len(SEEDS)
            rows.append((a, s, float(np.mean(table[metric][sel]))))
    return sorted(rows, key=lambda r: -r[2])


@pytest.mark.parametrize("metric", [None, OTHER_METRIC])
def test_ranking_is_the_mean_over_seeds_best_first(swept, tmp_path, metric):
    if metric is None:
        out, stdout, name = swept["out"], swept["stdout"], DEFAULT_METRIC
    else:
        r = sweep_report(swept["path"], tmp_path / "rep", "--metric", metric)
        assert r.returncode == 0, r.stderr
        out, stdout, name = tmp_path / "rep", r.stdout, metric
    want = expected_ranking(swept["table"], name)
    assert len({round(m, 9) for *_, m in want}) > 1  # the configurations differ: an order to check
    got = read_csv(out / "ranking.csv")
    assert [(float(g["learning.alpha"]), g["learning.q_sharing"]) for g in got] == [(a, s) for a, s, _ in want]
    for g, (_, _, mean) in zip(got, want):
        assert float(g[name]) == pytest.approx(mean, rel=REL)
        assert int(g["seeds"]) == len(SEEDS)
    # Each configuration's runs: the ids of its seeds, and it is named by the first.
    ids = np.char.decode(swept["table"]["id"])
    for g in got:
        sel = (swept["table"]["learning.alpha"] == float(g["learning.alpha"])) & \
              (np.char.decode(swept["table"]["learning.q_sharing"]) == g["learning.q_sharing"])
        assert g["runs"].split() == list(ids[sel]) and g["id"] == ids[sel][0]
    # The printed table: the same configurations in the same order.
    printed = [line.split()[1] for line in stdout.splitlines() if line.split() and line.split()[0].isdigit()]
    assert printed == [g["id"] for g in got]
    assert f"best           {got[0]['id']} " in stdout


def test_minimize_ranks_lowest_first_and_takes_the_lowest_as_best(swept, tmp_path):
    r = sweep_report(swept["path"], tmp_path / "rep", "--metric", OTHER_METRIC, "--minimize")
    assert r.returncode == 0, r.stderr
    want = expected_ranking(swept["table"], OTHER_METRIC)[::-1]  # lowest mean first
    got = read_csv(tmp_path / "rep" / "ranking.csv")
    assert [(float(g["learning.alpha"]), g["learning.q_sharing"]) for g in got] == [(a, s) for a, s, _ in want]
    assert "lower is better" in r.stdout
    assert f"{OTHER_METRIC} (lower is better)" in (tmp_path / "rep" / "best.toml").read_text()


def test_intervals_are_students_t_over_the_seeds(swept):
    """Three seeds: mean +- t(0.975, 2) sd(ddof=1) / sqrt(3) for every configuration, from the
    raw table; t(0.975, 2) = 4.303 (the standard table)."""
    table, sharing = swept["table"], np.char.decode(swept["table"]["learning.q_sharing"])
    for g in read_csv(swept["out"] / "ranking.csv"):
        sel = (table["learning.alpha"] == float(g["learning.alpha"])) & (sharing == g["learning.q_sharing"])
        x = table[DEFAULT_METRIC][sel]
        half = 4.303 * np.std(x, ddof=1) / np.sqrt(len(x))
        assert float(g["ci_low"]) == pytest.approx(x.mean() - half, rel=1e-9, abs=1e-12)
        assert float(g["ci_high"]) == pytest.approx(x.mean() + half, rel=1e-9, abs=1e-12)


def test_bootstrap_interval_from_five_seeds():
    from v2g.sweep_report import mean_interval

    assert all(np.isnan(mean_interval([1.0])))
    assert mean_interval([2.0] * 6) == (2.0, 2.0)
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 3.0])
    low, high = mean_interval(x)
    assert x.min() <= low < x.mean() < high <= x.max()
    assert mean_interval(x) == (low, high)  # deterministic
    wide = mean_interval(np.concatenate([x, [100.0]]))
    assert wide[1] - wide[0] > high - low   # an outlier widens it


def test_each_parameters_effect_has_the_seed_spread_as_error_bars(swept):
    table = swept["table"]
    effects = [r for r in read_csv(swept["out"] / "effects.csv") if r["parameter"] == "learning.alpha"]
    assert [float(r["value"]) for r in effects] == list(ALPHAS)
    for row, a in zip(effects, ALPHAS):
        # By hand: per seed, the mean over the q_sharing values with this alpha; then over seeds.
        per_seed = [np.mean(table[DEFAULT_METRIC][(table["learning.alpha"] == a) & (table["run.seed"] == s)])
                    for s in SEEDS]
        assert float(row["mean"]) == pytest.approx(np.mean(per_seed), rel=REL)
        assert float(row["sd"]) == pytest.approx(np.std(per_seed), rel=REL)  # population sd over seeds
        assert float(row["min"]) == pytest.approx(min(per_seed), rel=REL)
        assert float(row["max"]) == pytest.approx(max(per_seed), rel=REL)
        assert int(row["seeds"]) == len(SEEDS) and int(row["configurations"]) == len(SHARING)
    strings = [r for r in read_csv(swept["out"] / "effects.csv") if r["parameter"] == "learning.q_sharing"]
    assert [r["value"] for r in strings] == list(SHARING)  # categories, in sweep order
    for k in KEYS:
        assert (swept["out"] / f"effect_{k}.png").stat().st_size > 0


def test_best_toml_is_the_best_configuration_and_trains(swept, tmp_path):
    best = read_csv(swept["out"] / "ranking.csv")[0]
    text = (swept["out"] / "best.toml").read_text()
    assert "report-test" in text.splitlines()[0] and best["id"] in text and DEFAULT_METRIC in text
    config = tomllib.loads(text)
    assert config["learning"]["alpha"] == float(best["learning.alpha"])
    assert config["learning"]["q_sharing"] == best["learning.q_sharing"]
    assert config["run"]["episodes"] == EPISODES  # the [set] value
    assert config["run"]["seed"] == SEEDS[0]      # the configuration's first run
    r = run(V2G, "train", swept["out"] / "best.toml", "--episodes", 1, "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_a_merged_sweep_reports_the_same(swept):
    d = swept["dir"]
    shards = []
    for i in range(2):
        r = run(V2G, "sweep", d / "s.toml", "--out", d / "sh.h5", "--shard", f"{i}/2", "-q")
        assert r.returncode == 0, r.stderr
        shards.append(d / f"sh.shard-{i}-of-2.h5")
    r = run(V2G, "merge", d / "merged.h5", *shards)
    assert r.returncode == 0, r.stderr
    r = sweep_report(d / "merged.h5", d / "rep-merged")
    assert r.returncode == 0, r.stderr
    for name in ("ranking.csv", "effects.csv"):
        assert (d / "rep-merged" / name).read_text() == (swept["out"] / name).read_text(), name
    # best.toml differs only in the header's file name.
    body = [(p / "best.toml").read_text().split("\n", 1)[1] for p in (d / "rep-merged", swept["out"])]
    assert body[0] == body[1]


def test_evaluated_sweep_ranks_by_the_evaluated_money(tmp_path):
    (tmp_path / "e.toml").write_text(sweep_text(evaluate=True))
    r = run(V2G, "sweep", tmp_path / "e.toml", "--out", tmp_path / "e.h5", "-q")
    assert r.returncode == 0, r.stderr
    r = sweep_report(tmp_path / "e.h5", tmp_path / "rep")
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "e.h5", "r") as f:
        table = f["runs"][()]
    got = read_csv(tmp_path / "rep" / "ranking.csv")
    money = table["learned_money_per_vehicle"]
    order = np.argsort(-money, kind="stable")
    assert [g["id"] for g in got] == [table["id"][i].decode() for i in order]
    assert [float(g["learned_money_per_vehicle"]) for g in got] == [money[i] for i in order]
    assert "learned_money_per_vehicle, higher is better" in r.stdout
    assert got[0]["sd"] == "nan"  # one seed: no spread


def test_page_is_self_contained_and_renders(swept, tmp_path):
    page_path = swept["out"] / "sweep_report.html"
    page = Page(page_path.read_text(encoding="utf-8"))
    assert len(page.images) == len(KEYS) and all(s.startswith("data:image/png;base64,") for s in page.images)
    assert {"sweep-header", "ranking", "effect-learning.alpha", "effect-learning.q_sharing"} <= set(page.tables)
    assert len(page.tables["ranking"]) == 1 + len(ALPHAS) * len(SHARING)  # header + configurations
    assert not page.script_srcs
    assert not [v for v in page.attr_values if v.startswith(("http:", "https:", "//"))]
    assert render_problems(str(page_path), str(tmp_path / "profile")) == []


@pytest.mark.parametrize("case", ["results_file", "unknown_metric", "missing", "not_hdf5", "shard_moved"])
def test_bad_input_exits_2_with_one_line(swept, tmp_path, case):
    path, extra = swept["path"], []
    if case == "results_file":
        path = str(swept["dir"] / "s.runs" / "r0000.h5")  # a run's results, not a sweep
    elif case == "unknown_metric":
        extra = ["--metric", "no_such_metric"]
    elif case == "missing":
        path = str(tmp_path / "absent.h5")
    elif case == "not_hdf5":
        path = str(tmp_path / "text.h5")
        open(path, "w").write("not HDF5\n")
    else:  # a merged view whose shard is gone: HDF5 would read its rows as zeros
        shutil.copy(swept["path"], tmp_path / "only.h5")
        path = str(tmp_path / "merged.h5")
        assert run(V2G, "merge", path, tmp_path / "only.h5").returncode == 0
        os.remove(tmp_path / "only.h5")
    r = sweep_report(path, tmp_path / "rep", *extra)
    assert r.returncode == EXIT_BAD_INPUT, (r.stdout, r.stderr)
    assert one_error_line(r), r.stderr
    assert r.stdout == ""
    assert {"results_file": "not a v2g sweep file", "unknown_metric": "--metric no_such_metric", "missing": "absent.h5",
            "not_hdf5": "not an HDF5 file", "shard_moved": "is missing (moved or deleted; merge again)"}[case] in r.stderr
    assert not (tmp_path / "rep" / "best.toml").exists()


def test_v2g_open_dispatches_on_the_file_kind(swept):
    import v2g
    from v2g.sweep import Sweep

    s = v2g.open(swept["path"])
    assert isinstance(s, Sweep) and len(s.runs) == len(swept["table"])
    run_path = s.run_path(s.runs["id"].iloc[0])
    with v2g.open(run_path) as run:
        assert isinstance(run, v2g.Run)
