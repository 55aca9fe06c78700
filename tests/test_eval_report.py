"""`v2g eval` and `python3 -m v2g report` end to end: the paper's run trained, evaluated and
reported; /evaluation read back with h5py against docs/EVALUATION.md; the HTML report rendered
by headless Chromium without console errors and with every image decoded; bad input exits 2
with one line. Run by ctest with V2G_BIN = the built CLI."""
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(ROOT, "experiments", "paper.toml")
PY_ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), MPLBACKEND="Agg")
POLICIES = ["learned", "initial", "random", "charge_on_arrival", "time_of_use", "optimal_dp", "oracle_lp"]
FAULTS = ["missing_vehicles", "grid_outage", "price_spike", "lost_community"]
DAYS = 4

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_report as report_checks  # noqa: E402  (module import: its tests are not collected twice)
from v2g_fake_run import write_fake_run  # noqa: E402


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


def report(path, out):
    return subprocess.run([sys.executable, "-m", "v2g", "report", path, "--out", out], capture_output=True, text=True,
                          env=PY_ENV)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("eval") / "paper.h5")
    r = run("train", PAPER, "--device", "cpu", "--quiet", "--out", path)
    assert r.returncode == 0, r.stderr
    r = run("eval", path, "--days", str(DAYS), "--quiet", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    return path, r.stdout


def documented_rows():
    with open(os.path.join(ROOT, "docs", "EVALUATION.md")) as f:
        return f.read()


def test_evaluation_is_written_as_documented(evaluated):
    path, stdout = evaluated
    doc = documented_rows()
    with h5py.File(path, "r") as f:
        e = f["evaluation"]
        assert [p.decode() for p in e["policies"][()]] == POLICIES
        assert int(e.attrs["days"]) == DAYS and int(e.attrs["first_episode"]) == 2000
        vehicles, steps = int(f.attrs["vehicles"]), int(f.attrs["steps_per_episode"])
        names = []
        e.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            base = n.split("/")[-1]
            assert f"`{base}`" in doc or f"`/evaluation/{n}`" in doc, f"/evaluation/{n} is not in docs/EVALUATION.md"
            assert "units" in e[n].attrs, n
        for name, d in e["metrics"].items():
            assert d.shape == (len(POLICIES), DAYS), name
            units = d.attrs["units"].decode() if isinstance(d.attrs["units"], bytes) else d.attrs["units"]
            assert f"| `{name}` | {units} |" in doc, name
        assert sorted(e["faults"]) == sorted(FAULTS)
        for fault in FAULTS:
            assert e[f"faults/{fault}"].attrs["description"]
            assert e[f"faults/{fault}/metrics/money_per_vehicle"].shape == (len(POLICIES), DAYS)
        assert e["day/grid_import_kwh"].shape == (len(POLICIES), DAYS, steps)
        assert e["day/retail_price_per_kwh"].shape == (DAYS, steps)
        for k in ("initial_departure_met", "enhanced_departure_met", "initial_soh", "enhanced_soh"):
            assert e[k].shape == (vehicles,)
        # Consistency: the per-step flows add up to the metric; uncontrolled charging is its own
        # reference; the money is the sum of its terms.
        m = {k: e[f"metrics/{k}"][()] for k in e["metrics"]}
        imports = e["day/grid_import_kwh"][()].sum(axis=2) / vehicles
        np.testing.assert_allclose(imports, m["grid_import_kwh_per_vehicle"], rtol=1e-5, atol=1e-6)
        assert np.all(m["peak_reduction"][POLICIES.index("charge_on_arrival")] == 0)
        penalty = 0.5  # market.unmet_penalty_per_kwh, the default (paper.toml does not set it)
        np.testing.assert_allclose(m["money_per_vehicle"], m["revenue_per_vehicle"] - m["energy_cost_per_vehicle"]
                                   - m["degradation_cost_per_vehicle"] - penalty * m["unmet_kwh_per_vehicle"]
                                   - m["en_route_cost_per_vehicle"], rtol=1e-4, atol=1e-5)
        oracle = POLICIES.index("oracle_lp")  # a plan, not the ledger's transfers: no transactions
        assert np.all(np.delete(m["transaction_latency_hours"], oracle, axis=0) > 0)
        assert np.all(np.isnan(m["transaction_latency_hours"][oracle]))
        # The score is the share of the way from random to the oracle, on the oracle's communities.
        money = e["oracle_set_money_per_vehicle"][()].mean(axis=1)
        learned, random = POLICIES.index("learned"), POLICIES.index("random")
        assert e.attrs["score"] == pytest.approx((money[learned] - money[random]) / (money[oracle] - money[random]))
        assert int(e.attrs["oracle_communities"]) == 1 and int(e.attrs["oracle_vehicles"]) == vehicles
    # The table: full metric names, a units row, a row per policy, every line as wide (right-
    # aligned numbers), the LP oracle named as the one upper bound.
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["policy", "money_per_vehicle"])
    table = lines[head:head + 2 + len(POLICIES)]
    assert "energy_efficiency" in table[0] and "$/vehicle/day" in table[1], table
    assert len({len(line) for line in table}) == 1, table
    assert [line.split()[0] for line in table[2:]] == POLICIES, table
    assert "oracle_lp (upper bound)" in table[-1]
    assert "of the way from random to the upper bound" in stdout and "DP check" in stdout and "not a bound" in stdout
    assert "optimum" not in stdout
    for fault in FAULTS:  # a table row of changes and a line saying what the fault does
        assert re.search(rf"^  {fault}\s+[+-]", stdout, re.M) and re.search(rf"^  {fault}: \w", stdout, re.M), stdout


def test_a_second_evaluation_replaces_the_first(evaluated, tmp_path):
    path = str(tmp_path / "again.h5")
    shutil.copy(evaluated[0], path)
    r = run("eval", path, "--days", "2", "--faults", "grid_outage", "--quiet", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    with h5py.File(path, "r") as f:
        assert f["evaluation/metrics/money_per_vehicle"].shape == (len(POLICIES), 2)
        assert list(f["evaluation/faults"]) == ["grid_outage"]
        assert "evaluation_new" not in f


@pytest.mark.parametrize("args,expect", [
    (["--set", "learning.alpha=0.1"], "only evaluation.* keys"),
    (["--faults", "meteor"], "unknown fault 'meteor'"),
    (["--days", "0"], "evaluation.days"),
    (["--set", "evaluation.dp_energy_points=1"], "evaluation.dp_energy_points"),
])
def test_bad_eval_input_exits_2_with_one_line(evaluated, tmp_path, args, expect):
    path = str(tmp_path / "copy.h5")
    shutil.copy(evaluated[0], path)
    r = run("eval", path, *args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], r.stderr


def test_eval_refuses_missing_and_unfinished_files(tmp_path):
    r = run("eval", str(tmp_path / "nope.h5"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    live = str(tmp_path / "live.h5")
    write_fake_run(live, status="running")
    r = run("eval", live)
    assert r.returncode == 2 and "resume" in r.stderr, r.stderr


# ---------------------------------------------------------------- the report in a browser
# The headless-Chromium checker (and its own test that it can fail) lives in test_report.py.

def test_report_renders_every_figure_and_table_without_console_errors(evaluated, tmp_path):
    r = report(evaluated[0], str(tmp_path / "rep"))
    assert r.returncode == 0, r.stderr
    html_path = r.stdout.strip().splitlines()[-1]
    page = open(html_path, encoding="utf-8").read()
    assert not re.search(r'(src|href)="(https?:|file:|//)', page), "the report must be self-contained"
    for p in POLICIES:
        assert f"<td>{p}</td>" in page or f'<td class="name">{p}</td>' in page or f"<th>{p}</th>" in page, p
    for name in ("money_per_vehicle", "peak_import_kw", "energy_efficiency", "dr_import_kwh",
                 "transaction_latency_hours", "$/vehicle/day", "Fig. 7", "Fig. 8", "Fig. 9", "Resilience"):
        assert name in page, name
    assert "currency/" not in page, "money is labelled with the run's currency (the file's `currency` attribute)"
    assert page.count("<img") >= 10 and page.count("<table") >= 4
    assert report_checks.render_problems(html_path, str(tmp_path / "profile")) == []


def test_every_figure_of_the_evaluated_paper_run_passes_the_layout_check(evaluated, tmp_path, monkeypatch):
    """Every figure `plot` and `report` draw from a real short run (the paper's fleet, 4 evaluated
    days): no legend over data or off the figure, no empty axes, a unit on every y axis
    (v2g.plot.layout_problems)."""
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from test_python_results import layout_checked  # module import: its tests are not collected twice
    from v2g import report as v2g_report

    found = layout_checked(monkeypatch)
    v2g_report.write_report(evaluated[0], str(tmp_path / "rep"))
    assert {"reward", "epsilon", "learning_wall_time", "energy_flows", "fig7_policy_map", "fig8_final_battery",
            "fig9_battery_performance", "policy_day_flows", "day_flows", "money_by_policy", "ledger"} <= set(found)
    assert {k: v for k, v in found.items() if v} == {}


def test_report_of_an_unevaluated_run_says_how_to_evaluate(tmp_path):
    path = str(tmp_path / "fake.h5")
    write_fake_run(path)
    r = report(path, str(tmp_path / "rep"))
    assert r.returncode == 0, r.stderr
    page = open(r.stdout.strip().splitlines()[-1], encoding="utf-8").read()
    assert "v2g eval" in page and "has not been evaluated" in page
    assert report_checks.render_problems(r.stdout.strip().splitlines()[-1], str(tmp_path / "profile")) == []


@pytest.mark.parametrize("make", ["missing", "not_hdf5", "unwritable"])
def test_bad_report_input_exits_2_with_one_line(tmp_path, make):
    path, out = str(tmp_path / "run.h5"), str(tmp_path / "rep")
    if make == "not_hdf5":
        open(path, "w").write("hello")
    elif make == "unwritable":
        write_fake_run(path)
        open(str(tmp_path / "file"), "w").write("x")
        out = str(tmp_path / "file" / "sub")
    r = report(path, out)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


# ---------------------------------------------------------------- the paper's experiment

def evaluate_experiment(tmp_path, name):
    """Trains experiments/NAME.toml and evaluates it on the 30 days of docs/RESULTS.md: per
    policy (money per vehicle-day, peak import kW, departure energy met), and the score."""
    path = str(tmp_path / f"{name}.h5")
    r = run("train", os.path.join(ROOT, "experiments", f"{name}.toml"), "--device", "cpu", "--quiet", "--out", path)
    assert r.returncode == 0, r.stderr
    assert "held-out check learned" in r.stdout  # the line that ends training
    r = run("eval", path, "--quiet", "--device", "cpu", "--faults", "none")  # 30 days, as in docs/RESULTS.md
    assert r.returncode == 0, r.stderr
    with h5py.File(path, "r") as f:
        m = {k: f[f"evaluation/metrics/{k}"][()].mean(axis=1)
             for k in ("money_per_vehicle", "peak_import_kw", "departure_energy_met")}
        score = float(f["evaluation"].attrs["score"])
    return {p: (m["money_per_vehicle"][i], m["peak_import_kw"][i], m["departure_energy_met"][i])
            for i, p in enumerate(POLICIES)}, score


def test_paper_experiments_as_reported(tmp_path):
    """docs/RESULTS.md's claims (issue 13's acceptance): with the paper's settings (a table per
    vehicle) the learned policy earns at least what uncontrolled charging earns with >= 99 % of
    the departure energy met; with a table per community (experiments/paper_shared_q.toml) it
    also reaches >= 80 % of the way from random to the LP oracle; the oracle beats every other
    policy. Whether the community table beats time-of-use is reported, not asserted: on this
    model it draws level with it (docs/RESULTS.md)."""
    for name in ("paper", "paper_shared_q"):
        res, score = evaluate_experiment(tmp_path, name)
        print(name, res, "score", score)
        learned = res["learned"]
        assert learned[0] >= res["charge_on_arrival"][0], name
        assert learned[0] > res["random"][0], name
        assert learned[2] >= 0.99, name
        assert learned[1] < res["charge_on_arrival"][1], name  # and it cuts the peak
        for p, v in res.items():
            if p != "oracle_lp":
                assert res["oracle_lp"][0] >= v[0], (name, p)
        if name == "paper_shared_q":
            assert score >= 0.8, score


def test_a_dqn_run_is_evaluated_with_its_network(tmp_path):
    """A DQN run's checkpoint carries its network, so `v2g eval` runs the learned network (and,
    as `initial`, an untrained one) like any other run."""
    path = str(tmp_path / "dqn.h5")
    small = os.path.join(ROOT, "experiments", "small_deterministic.toml")
    r = run("train", small, "--set", "learning.policy=dqn", "--episodes", "30", "--quiet", "--out", path)
    if r.returncode == 2 and "no LibTorch" in r.stderr:
        pytest.skip("this build has no LibTorch")
    assert r.returncode == 0, r.stderr
    r = run("eval", path, "--days", "2", "--faults", "none", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "dqn on cpu" in r.stdout
    with h5py.File(path, "r") as f:
        assert f["checkpoint/learner0"].shape[0] + f["checkpoint/learner1"].shape[0] > 0
        money = f["evaluation/metrics/money_per_vehicle"][()]
        assert money.shape == (len(POLICIES), 2) and np.all(np.isfinite(money))
        # Its policy is the network: no (unused, all-zero) tabular tables in /qtables.
        assert f.attrs["q_tables"] == 0 and f["qtables/final"].shape[0] == 0 and len(f["qtables/q"]) == 0
    # The Python reader and the report take such a run as any other.
    r = subprocess.run([sys.executable, "-m", "v2g", "report", path, "--out", str(tmp_path / "rep")],
                       capture_output=True, text=True, env=PY_ENV)
    assert r.returncode == 0, r.stderr


def test_two_runs_side_by_side(evaluated, tmp_path):
    """`report A B`: compare.html shows both runs (learning curves, the evaluated learned policy
    with its yardsticks, a note for the unevaluated one), links each run's own report, and renders."""
    other = str(tmp_path / "short.h5")
    r = run("train", PAPER, "--device", "cpu", "--quiet", "--episodes", "100", "--set", "run.name=\"short\"",
            "--out", other)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "v2g", "report", evaluated[0], other, "--out", str(tmp_path / "cmp")],
        capture_output=True, text=True, env=PY_ENV)
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip().splitlines()[-1]
    assert path.endswith("compare.html")
    page = open(path, encoding="utf-8").read().replace("<wbr>", "")  # line-break hints in headers
    assert "paper (tabular)" in page and "short (tabular)" in page
    assert "its charge_on_arrival" in page and "money_per_vehicle" in page
    assert "Not evaluated: short.h5" in page
    for sub in ("0-paper", "1-short"):
        assert os.path.exists(os.path.join(tmp_path, "cmp", sub, "report.html")), sub
        assert f'href="{sub}/report.html"' in page
    assert report_checks.render_problems(path, str(tmp_path / "profile")) == []


NOTEBOOK_MARK = "<!-- notebook example:"
NOTEBOOK_MAX_LINES = 12


def notebook_example(path):
    """The ```python block that follows the notebook-example comment in a README."""
    text = open(path, encoding="utf-8").read()
    assert NOTEBOOK_MARK in text, f"{path} has no notebook example"
    after = text.split(NOTEBOOK_MARK, 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_notebook_example_runs(tmp_path):
    """README.md and python/README.md show the same short notebook-style session; it runs as
    written (the _v2g module: v2g.evaluate needs it) and does what its comments say."""
    code = notebook_example(os.path.join(ROOT, "README.md"))
    assert code == notebook_example(os.path.join(ROOT, "python", "README.md"))
    assert len(code.strip().splitlines()) <= NOTEBOOK_MAX_LINES
    os.symlink(os.path.join(ROOT, "experiments"), tmp_path / "experiments")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env=dict(PY_ENV, MPLBACKEND="Agg"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "$/vehicle/day" in r.stdout and "oracle_lp" in r.stdout and "charge" in r.stdout, r.stdout
    with h5py.File(tmp_path / "demo.h5", "r") as f:
        assert f["episodes/reward_mean"].shape == (300,) and "evaluation" in f
    figures = set(os.listdir(tmp_path / "demo-figs"))
    assert {"fig7_policy_map.png", "fig7_policy_map.pdf", "fig9_battery_performance.pdf"} <= figures, figures
