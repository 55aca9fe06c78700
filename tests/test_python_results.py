"""The v2g Python package against results files (docs/RESULTS.md, schema 1.0).

Two layers:
- fixture files written with h5py by tests/v2g_fake_run.py (the documented layout), so the
  reader, plots, `python3 -m v2g` and bad-input handling are tested without the engine;
- the engine's own files (`v2g train --out`), checked dataset by dataset against the
  documented dtype, shape and units and against the `--summary` JSON of the same run, read
  live through SWMR, plotted, and damaged. These are skipped while `v2g train --help` has no
  `--out` (before the HDF5 writer landed), and turn on by themselves when it does.

Environment (ctest sets it): V2G_BIN (default build/v2g), PYTHONPATH=python,
V2G_PYMODULE_DIR (build/python, for the pybind11 module). Run by hand:
    PYTHONPATH=python /usr/bin/python3 -m pytest -q tests/test_python_results.py
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, HERE)

import v2g  # noqa: E402
from v2g import plot as v2g_plot  # noqa: E402
from v2g.launch import load_module, to_toml  # noqa: E402
from v2g_fake_run import COMPOUNDS, ROOT_ATTRS, SCHEMA, STRING_DATASETS, write_fake_run  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
V2G = os.environ.get("V2G_BIN", os.path.join(REPO, "build", "v2g"))
SMALL = os.path.join(REPO, "experiments", "small_deterministic.toml")
ENV = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"), MPLBACKEND="Agg")


def cli(*args, timeout=60):
    return subprocess.run([PY, "-m", "v2g", *map(str, args)], env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def png_size(path):
    """(width, height) from the PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def assert_one_error_line(p, *fragments):
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("v2g: error: "), p.stderr
    assert "Traceback" not in p.stderr
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])


def with_schema(src, dst, version):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        del f.attrs["schema_version"]
        f.attrs["schema_version"] = version
    return dst


# ================================================================ fixture files (h5py)

@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return str(write_fake_run(tmp_path_factory.mktemp("fake") / "run.h5", episodes=20))


def test_open_reads_every_part(fake):
    run = v2g.open(fake)
    assert run.status == "finished" and run.episodes_done == 20 == run.episodes_planned
    assert run.config["learning"]["q_sharing"] == "vehicle" and run.config_text.startswith("[run]")
    assert run.attrs["schema_version"] == "1.0" and run.attrs["vehicles"] == 6
    df = run.episodes
    assert len(df) == 20 and df.index.name == "episode" and list(df.index) == list(range(20))
    assert "episode" not in df.columns
    assert {"rejected_energy_cap", "rejected_validity", "rejected_price", "rejected_party"} <= set(df.columns)
    assert np.array_equal(df["rejected_price"], run.episode_arrays["rejected"][:, 2])
    assert set(df.attrs["units"]) == set(df.columns)
    assert df.attrs["units"]["reward_mean"] == run.units("episodes/reward_mean") == run.units("reward_mean")
    assert df.attrs["units"]["grid_import_kwh"] == "kWh/vehicle/day" and df.attrs["units"]["rejected_price"] == "1"
    assert run.units("rejected_price") == "1" and run.units("soh") == run.units("vehicles/soh")
    with pytest.raises(v2g.ResultsError, match="no dataset 'reward_means'.*episodes/reward_mean"):
        run.units("reward_means")
    assert run.vehicles["soc_end"].shape == (20, 6)
    assert run.q_final.shape == (6, 4 * 24 * 3, 5) and run.q_snapshots.shape[0] == len(run.q_snapshot_episodes) == 4
    assert len(run.blocks) == 21 and len(run.contracts) > 0
    last = run.block_transactions(-1)
    assert len(last) == run.blocks["tx_count"][-1] and np.all(last["episode"] == 19)
    assert len(run.block_transactions(3)) == 0  # store "last": earlier blocks keep none
    with pytest.raises(IndexError):
        run.block_transactions(99)


def test_plots_are_images_of_the_documented_size(fake, tmp_path):
    notes = []
    paths = v2g_plot.plot_all(v2g.open(fake), tmp_path / "figs", formats=("png", "svg", "pdf"), notes=notes)
    names = {os.path.basename(p) for p in paths}
    assert {"reward.png", "epsilon.png", "fig7_policy_map.png", "fig8_final_battery.png", "energy_flows.png",
            "ledger.png", "reward.svg", "fig7_policy_map.pdf"} <= names
    assert any("Fig. 9" in n for n in notes) and any("over a day" in n for n in notes)
    for p in paths:
        assert os.path.getsize(p) > 1000
        if p.endswith(".png"):
            assert png_size(p) == v2g_plot.FIG_SIZE_PX
        if p.endswith(".pdf"):
            assert open(p, "rb").read(5) == b"%PDF-"
        if p.endswith(".svg"):
            assert b"<svg" in open(p, "rb").read(2000)
    with pytest.raises(ValueError, match="'jpeg'"):
        v2g_plot.plot_all(v2g.open(fake), tmp_path / "figs", formats=("png", "jpeg"))
    with_eval = write_fake_run(tmp_path / "eval.h5", episodes=5, evaluation=True)
    assert v2g_plot.fig9_battery_performance(with_eval, tmp_path / "figs")[0].endswith("fig9_battery_performance.png")


def test_evaluation_as_a_tidy_table_and_an_xarray_dataset(tmp_path):
    import v2g_fake_eval

    path = write_fake_run(tmp_path / "eval.h5", episodes=5)
    v2g_fake_eval.write_fake_evaluation(path, days=4)
    with v2g.open(path) as run:
        metrics, policies = run.evaluation_metrics(), run.policies
        first = int(run.evaluation_attrs["first_episode"])
        table = run.evaluation
        assert run.evaluated and table.equals(run.evaluation_table())
        days = next(iter(metrics.values()))[0].shape[1]
        assert list(table.columns) == ["policy", "day", "episode", "metric", "value", "unit"]
        assert len(table) == len(metrics) * len(policies) * days
        name = next(iter(metrics))
        values, unit, _ = metrics[name]
        row = table[(table.policy == policies[1]) & (table.metric == name) & (table.day == 2)]
        assert len(row) == 1 and row.value.iloc[0] == values[1, 2] and row.unit.iloc[0] == unit
        assert row.episode.iloc[0] == first + 2
        means = table.pivot_table("value", "policy", "metric")  # the notebook idiom
        assert means.loc[policies[0], name] == pytest.approx(np.nanmean(values[0]))
        fault = next(iter(run.faults))
        under = run.evaluation_table(fault)
        assert len(under) == len(table) and not under.value.equals(table.value)
        assert set(run.evaluation_arrays) >= {"policies"}
        xr = pytest.importorskip("xarray")
        ds = run.evaluation_dataset()
        assert isinstance(ds, xr.Dataset) and ds[name].dims == ("policy", "episode")
        assert list(ds.policy.values) == policies and int(ds.episode.values[0]) == first
        np.testing.assert_array_equal(ds[name].values, values)
        assert ds[name].attrs["units"] == unit
        assert ds.sel(policy=policies[0], episode=first)[name].item() == values[0, 0]
        assert "score" in ds.attrs
    with v2g.open(write_fake_run(tmp_path / "noeval.h5", episodes=5)) as run:
        assert not run.evaluated and run.evaluation_arrays is None
        assert run.evaluation.empty and list(run.evaluation.columns)[:2] == ["policy", "day"]
        with pytest.raises(v2g.ResultsError, match="v2g eval"):
            run.evaluation_dataset()


def layout_checked(monkeypatch):
    """Runs v2g.plot.layout_problems on every figure any v2g module saves; returns
    {figure name: problems}."""
    found = {}
    save = v2g_plot._save

    def checked_save(fig, out_dir, name, formats):
        found[name] = v2g_plot.layout_problems(fig)
        return save(fig, out_dir, name, formats)

    monkeypatch.setattr(v2g_plot, "_save", checked_save)
    return found


def test_every_figure_of_a_fake_run_passes_the_layout_check(tmp_path, monkeypatch):
    import v2g_fake_eval

    path = write_fake_run(tmp_path / "eval.h5", episodes=12)
    v2g_fake_eval.write_fake_evaluation(path, days=3)
    found = layout_checked(monkeypatch)
    v2g_plot.plot_all(v2g.open(path), tmp_path / "figs", notes=[])
    assert {"reward", "epsilon", "fig7_policy_map", "fig8_final_battery", "fig9_battery_performance",
            "energy_flows", "ledger"} <= set(found)
    assert {k: v for k, v in found.items() if v} == {}


def test_the_layout_check_finds_what_it_looks_for():
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(3, 1)
    a.plot([0, 1, 2], [0, 1, 2], label="data")
    a.legend(loc="upper left")  # inside the axes, over the data area
    a.set_ylabel("energy (kWh)")
    b.set_ylabel("energy (kWh)")  # no data drawn
    c.bar([0, 1], [1, 2])
    c.set_ylabel("share (1)")  # the dimensionless "1" is not a unit
    problems = v2g_plot.layout_problems(fig)
    plt.close(fig)
    assert any("axes 0" in p and "legend overlaps" in p for p in problems), problems
    assert any("axes 1" in p and "no data" in p for p in problems), problems
    assert any("axes 2" in p and "names no unit" in p for p in problems), problems
    fig, (a,) = v2g_plot._figure(1)
    a.plot([0, 1], [0, 1], label="data")
    a.set_ylabel("energy (kWh)")
    v2g_plot._legend_outside(a)
    fig.tight_layout()
    assert v2g_plot.layout_problems(fig) == []
    plt.close(fig)


def test_fig7_policy_map_counts_greedy_actions_of_visited_states():
    xr = pytest.importorskip("xarray")
    q = np.zeros((2, 3, 4, 2, 5), np.float32)  # (vehicle, soc_bin, time_bin, price_level, action)
    q[0, 0, 0, 0] = [0, 1, 0, 0, 0]  # greedy: discharge
    q[1, 0, 0, 1] = [0, 0, 0, 0, 2]  # greedy: buy
    q[1, 0, 0, 0] = [0, 0, 0, 0, 3]  # greedy: buy
    q[0, 2, 3, 1] = [-1, -2, -3, -4, -5]  # greedy: charge
    da = xr.DataArray(q, dims=("vehicle", "soc_bin", "time_bin", "price_level", "action"))
    counts = v2g_plot.greedy_action_counts(da, q_init=0.0)
    assert counts.shape == (3, 4, 5) and counts.sum() == 4  # unvisited rows (all at q_init) count for none
    assert list(counts[0, 0]) == [0, 1, 0, 0, 2] and list(counts[2, 3]) == [1, 0, 0, 0, 0]
    # Visited means "not at q_init": a start of -3 makes an all-zero row visited (greedy: charge).
    assert v2g_plot.greedy_action_counts(da, q_init=-3.0).sum() == 2 * 3 * 4 * 2


def test_fig7_means_over_visited_states():
    q = np.zeros((2, 4, 5), np.float32)
    q[0, 0] = [1, 2, 3, 4, 5]
    q[0, 1] = [3, 2, 1, 0, -1]  # states 2, 3 never visited: left out of the mean
    means, visited = v2g_plot.q_action_means(q)
    assert np.allclose(means[0], [2, 2, 2, 2, 2]) and np.allclose(means[1], 0) and list(visited) == [2, 0]


def test_cli_info_plot_watch(fake, tmp_path):
    for verb in ("inspect", "info"):  # inspect: the C++ CLI's verb; info: the old name
        p = cli(verb, fake)
        assert p.returncode == 0 and "finished: 20/20 episodes" in p.stdout, p.stderr
    p = cli("plot", fake, "--out", tmp_path / "f")
    assert p.returncode == 0, p.stderr
    printed = p.stdout.split()
    assert len(printed) == 6 and all(os.path.getsize(x) > 0 for x in printed)
    p = cli("plot", fake, "--out", tmp_path / "v", "--format", "pdf,svg")
    assert p.returncode == 0, p.stderr
    assert sorted({os.path.splitext(x)[1] for x in p.stdout.split()}) == [".pdf", ".svg"]
    assert_one_error_line(cli("plot", fake, "--out", tmp_path / "x", "--format", "png,tiff"), "--format", "tiff")
    p = cli("watch", fake, "--once")
    assert p.returncode == 0 and p.stdout.startswith("20/20 episodes"), p.stderr


def test_open_reads_the_status_before_the_rows(fake, monkeypatch):
    # A live writer sets the status after its last rows: read in that order, a finished run never
    # shows a row short (`v2g watch` printed "run finished: 11/12" when the rows came first).
    import v2g.run as run_module
    seen = []  # the first read of each property (what the open then keeps)
    def recorded(name, read):
        return property(lambda self: (seen.append(name) if name not in seen else None, read(self))[1])
    for name in ("status", "episode_arrays"):
        monkeypatch.setattr(run_module.Run, name, recorded(name, getattr(run_module.Run, name).fget))
    v2g.open(fake).close()
    assert seen == ["status", "episode_arrays"], seen


def test_live_fake_writer_is_read_through_swmr(tmp_path):
    path = tmp_path / "live.h5"
    writer = subprocess.Popen([PY, os.path.join(HERE, "v2g_fake_run.py"), "live", str(path), "--episodes", "12",
                               "--delay", "0.15"], env=ENV)
    try:
        deadline = time.time() + 20
        run = None
        while run is None and time.time() < deadline:
            try:
                run = v2g.open(path)
            except (FileNotFoundError, v2g.ResultsError):
                time.sleep(0.05)
        assert run is not None, "the live file never opened"
        first = run.episodes_done
        while run.refresh().episodes_done <= first and time.time() < deadline:
            time.sleep(0.05)
        assert run.episodes_done > first
        watch = cli("watch", path, "--interval", "0.1", timeout=30)
        assert watch.returncode == 0, watch.stderr
        lines = watch.stdout.strip().splitlines()
        assert len(lines) >= 2 and lines[-1] == "run finished: 12/12 episodes"
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == 0


def test_to_toml_loads_back():
    import tomllib

    cfg = {"run": {"name": 'a "b"\n', "episodes": 5, "seed": 2**40}, "learning.alpha": 0.1,
           "ledger": {"enabled": False}, "fleet": {"vehicles": 3}}
    back = tomllib.loads(to_toml(cfg))
    assert back["run"] == cfg["run"] and back["learning"]["alpha"] == 0.1 and back["ledger"]["enabled"] is False
    with pytest.raises(ValueError):
        to_toml({"alpha": 1})


# ---------------------------------------------------------------- bad input (fixtures)

@pytest.fixture(scope="module")
def bad_files(fake, tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    text = d / "notes.txt"
    text.write_text("not an HDF5 file\n")
    cut = d / "cut.h5"
    with open(fake, "rb") as src:
        cut.write_bytes(src.read()[: os.path.getsize(fake) // 2])
    nogroup = write_fake_run(d / "nogroup.h5", episodes=3, drop=("episodes",))
    return {
        "missing": (str(d / "absent.h5"), FileNotFoundError, "no such results file"),
        "not_hdf5": (str(text), v2g.ResultsError, "not an HDF5 file"),
        "truncated": (str(cut), v2g.ResultsError, "truncated"),
        "schema_2": (str(with_schema(fake, d / "v2.h5", "2.0")), v2g.ResultsError,
                     "schema 2.0 is newer than this reader (1.x): upgrade v2g"),
        "no_episodes": (str(nogroup), v2g.ResultsError, "missing group(s) /episodes"),
    }


@pytest.mark.parametrize("case", ["missing", "not_hdf5", "truncated", "schema_2", "no_episodes"])
def test_bad_file_raises_and_exits_2(bad_files, case):
    path, exc, message = bad_files[case]
    with pytest.raises(exc) as e:
        v2g.open(path)
    assert message in str(e.value) and "\n" not in str(e.value)
    if exc is v2g.ResultsError:
        assert isinstance(e.value, ValueError)
    for args in (("info", path), ("plot", path, "--out", os.path.dirname(path) + "/figs"), ("watch", path, "--once")):
        assert_one_error_line(cli(*args), path, message)


def test_unwritable_plot_dir(fake, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a directory below a plain file can never be made (root or not)
    out = blocker / "figs"
    with pytest.raises(NotADirectoryError) as e:
        v2g_plot.plot_all(v2g.open(fake), out)
    assert "cannot write figures there" in str(e.value)
    assert_one_error_line(cli("plot", fake, "--out", out), str(out), "cannot write figures")


def test_bad_command_line():
    assert_one_error_line(cli(), "command is required")
    assert_one_error_line(cli("plot", "x.h5"), "--out")
    assert_one_error_line(cli("frobnicate"), "invalid choice")


# ---------------------------------------------------------------- launching from Python

def test_pybind11_module_trains(tmp_path):
    module = load_module()
    if module is None:
        pytest.skip("the _v2g module is not built (V2G_PYTHON=OFF, e.g. a sanitizer build)")
    s = module.train({"run": {"episodes": 4, "threads": 1}, "fleet": {"vehicles": 3, "pv_kwp_per_vehicle": 0.0}})
    assert s["episodes"] == 4 and s["vehicles"] == 3 and len(s["episode_reward_per_vehicle"]) == 4
    with pytest.raises(ValueError, match="learning.alpha = 1.5 is out of range"):
        module.train({"learning": {"alpha": 1.5}})
    with pytest.raises(ValueError, match="unsupported value type"):
        module.train({"learning": {"alpha": None}})
    # In process: the TOML text and the flags go to `v2g train`'s own function, no file or argv.
    s = module.train_toml("[run]\nepisodes = 2\n[fleet]\npv_kwp_per_vehicle = 0.0\n", "", "cpu", True,
                          ["--episodes=3", "--set", "fleet.vehicles=2", "--seed", "9"], "mine.toml")
    assert s["episodes"] == 3 and s["vehicles"] == 2 and s["config"]["run"]["seed"] == 9
    with pytest.raises(ValueError, match="v2g: error: args: '--epochs' is not a flag of v2g train"):
        module.train_toml("", "", "cpu", True, ["--epochs", "3"], "mine.toml")
    with pytest.raises(ValueError, match="args: --seed needs a value"):
        module.train_toml("", "", "cpu", True, ["--seed"], "mine.toml")
    with pytest.raises(ValueError, match=r"^v2g: error: mine.toml:2:12: run.episodes must be an integer"):
        module.train_toml("[run]\nepisodes = \"x\"\n", "", "cpu", True, [], "mine.toml")


def test_exit_statuses_are_the_engines():
    """v2g/errors.py's exit statuses are common/errors.h's (and the _v2g module's, when built);
    `python3 -m v2g` and the binary exit 2 on bad input alike."""
    from v2g import errors

    header = open(os.path.join(REPO, "common", "errors.h"), encoding="utf-8").read()
    import re

    engine = {name: int(value) for name, value in re.findall(r"constexpr int (kExit\w+) = (\d+);", header)}
    assert engine == {"kExitBadInput": errors.EXIT_BAD_INPUT, "kExitFailure": errors.EXIT_FAILURE}
    module = load_module()
    if module is not None:
        assert (module.EXIT_BAD_INPUT, module.EXIT_FAILURE) == (errors.EXIT_BAD_INPUT, errors.EXIT_FAILURE)
    assert cli("inspect", "/nonexistent.h5").returncode == errors.EXIT_BAD_INPUT
    if os.path.exists(V2G):
        assert subprocess.run([V2G, "inspect", "/nonexistent.h5"], capture_output=True).returncode == errors.EXIT_BAD_INPUT


def test_train_falls_back_to_the_binary():
    if not os.path.exists(V2G):
        pytest.skip(f"no v2g binary at {V2G}")
    s = v2g.train(SMALL, None, launcher="binary", args=["--episodes", "5"])
    assert s["episodes"] == 5 and s["run_name"] == "small-deterministic"
    with pytest.raises(ValueError, match="unknown key 'learning.alhpa'"):
        v2g.train({"learning": {"alhpa": 0.1}}, None, launcher="binary")


@pytest.mark.parametrize("launcher", ["module", "binary"])
def test_train_errors_name_the_users_config_never_a_temporary_file(tmp_path, launcher):
    if launcher == "module" and load_module() is None:
        pytest.skip("the _v2g module is not built")
    if launcher == "binary" and not os.path.exists(V2G):
        pytest.skip(f"no v2g binary at {V2G}")
    bad = tmp_path / "mine.toml"
    bad.write_text("[fleet]\nvehicles = \"x\"\n")
    for config, name in ((str(bad), str(bad)), ({"fleet": {"vehicles": "x"}}, "<config dict>")):
        with pytest.raises(ValueError) as e:
            v2g.train(config, launcher=launcher)
        assert str(e.value).startswith(f"v2g: error: {name}:2:") and "v2g-train-" not in str(e.value)
    # No device given: the config's run.device (auto), as `v2g train` does.
    s = v2g.train(SMALL, launcher=launcher, args=["--episodes", "2"])
    assert s["config"]["run"]["device"] == "auto" and s["device_reason"].startswith("auto")


# ================================================================ the engine's own files

def _writer_landed():
    try:
        return "--out" in subprocess.run([V2G, "train", "--help"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return False


needs_writer = pytest.mark.skipif(not _writer_landed(), reason="v2g train has no --out yet (HDF5 writer)")
EPISODES = 50


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    d = tmp_path_factory.mktemp("real")
    out, summary = d / "RUN.h5", d / "summary.json"
    p = subprocess.run([V2G, "train", SMALL, "--episodes", str(EPISODES), "--out", out, "--summary", summary,
                        "--device", "cpu", "--quiet", "--set", "results.vehicle_stride=10",
                        "--set", "results.q_stride=25", "--set", "ledger.store_transactions=all"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return str(out), json.loads(summary.read_text())


def _expected_shape(spec, f):
    vehicles = int(f.attrs["vehicles"])
    tables = f["qtables/final"].shape[0]
    sizes = {"N": f["episodes/episode"].shape[0], "k": f["vehicles/episode"].shape[0],
             "q": f["qtables/episode"].shape[0], "V": vehicles, "T": tables, "S": int(f.attrs["states"]),
             "B": f["ledger/blocks"].shape[0], "K": f["ledger/contracts"].shape[0],
             "n": f["ledger/transactions"].shape[0]}
    return tuple(sizes[s] if isinstance(s, str) else s for s in spec)


def _check_compound(name, got, want):
    """Documented record layout: same fields in the same order at the same offsets with the
    same types; a name may carry a unit suffix (fixed_price -> fixed_price_micro_per_kwh)."""
    assert got.itemsize == want.itemsize, (name, got.itemsize, want.itemsize)
    assert len(got.names) == len(want.names), (name, got.names)
    for g, w in zip(got.names, want.names):
        w_base = w.rstrip("0123456789")
        assert g.startswith(w_base), (name, g, w)
        (gt, go), (wt, wo) = got.fields[g][:2], want.fields[w][:2]
        assert go == wo and gt.base == wt.base and gt.shape == wt.shape, (name, g, gt, go, wt, wo)


@needs_writer
def test_real_file_has_the_documented_layout(real):
    path, _ = real
    with h5py.File(path, "r") as f:
        for attr, kind in ROOT_ATTRS.items():
            if attr == "status":
                continue  # checked below: the writer keeps it in the /status dataset
            assert attr in f.attrs, f"root attribute {attr} missing"
            v = f.attrs[attr]
            if kind is str:
                assert isinstance(v, (str, bytes)), (attr, type(v))
            else:
                assert np.asarray(v).dtype == np.dtype(kind), (attr, np.asarray(v).dtype)
        assert f.attrs["schema_version"] in (b"1.1", "1.1")
        status = f.get("status")
        assert (status is not None and status[()].rstrip(b"\0") == b"finished") or f.attrs.get("status") in (
            b"finished", "finished")
        for name in STRING_DATASETS:
            assert f[name].shape == () and f[name].dtype.kind in "SO" and "units" in f[name].attrs, name
        for name, (dtype, shape, units) in SCHEMA.items():
            assert name in f, f"/{name} missing"
            d = f[name]
            if dtype in COMPOUNDS:
                _check_compound(name, d.dtype, COMPOUNDS[dtype])
            else:
                assert d.dtype == np.dtype(dtype), (name, d.dtype, dtype)
            assert d.shape == _expected_shape(shape, f), (name, d.shape)
            assert "units" in d.attrs, f"/{name} has no units attribute"
            if units is not None:
                got = d.attrs["units"]
                assert (got.decode() if isinstance(got, bytes) else got) == units, (name, got, units)
            if shape[0] in ("N", "k", "q", "B", "n"):
                assert d.chunks is not None and d.maxshape[0] is None, f"/{name} must be chunked and growable"
        assert f["config"].attrs["run.episodes"] == EPISODES


@needs_writer
def test_real_q_tables_as_a_labelled_xarray(real):
    xr = pytest.importorskip("xarray")
    with v2g.open(real[0]) as run:
        q, learning = run.q_final, run.config["learning"]
        da = run.q_dataset()
        assert isinstance(da, xr.DataArray)
        assert da.dims == ("vehicle", "soc_bin", "time_bin", "price_level", "action")
        assert da.shape == (q.shape[0], learning["soc_bins"], learning["time_bins"], learning["price_levels"], 5)
        # The engine's state index: ((soc * time_bins + t) * price_levels + level) (env/qlearning.h).
        v, soc, t, level = 3, 4, 7, learning["price_levels"] - 1
        state = (soc * learning["time_bins"] + t) * learning["price_levels"] + level
        np.testing.assert_array_equal(da.sel(vehicle=v).isel(soc_bin=soc, time_bin=t, price_level=level).values,
                                      q[v, state])
        assert list(da.action.values) == ["charge", "discharge", "idle", "sell", "buy"]
        assert float(da.clock_hour[0]) == run.config["time"]["day_start_hour"] % 24
        assert float(da.soc_low[1]) == pytest.approx(1 / learning["soc_bins"])


def test_real_values_agree_with_the_summary(real):
    path, s = real
    run = v2g.open(path)
    ep = run.episode_arrays
    assert run.status == "finished" and run.episodes_done == EPISODES == s["episodes"]
    assert np.array_equal(ep["episode"], np.arange(EPISODES))
    assert run.config_text == s["config_toml"] and run.config["run"]["episodes"] == EPISODES
    assert run.attrs["vehicles"] == s["vehicles"] and run.attrs["steps_per_episode"] == s["steps_per_episode"]
    for col, key in (("reward_mean", "episode_reward_per_vehicle"), ("revenue", "episode_revenue_per_vehicle"),
                     ("energy_cost", "episode_energy_cost_per_vehicle"),
                     ("degradation_cost", "episode_degradation_cost_per_vehicle"),
                     ("unmet_penalty", "episode_unmet_penalty_per_vehicle"), ("epsilon", "episode_epsilon")):
        np.testing.assert_allclose(ep[col], np.array(s[key], float), rtol=1e-12, atol=1e-12, err_msg=col)
    assert np.all(ep["reward_min"] <= ep["reward_mean"] + 1e-9) and np.all(ep["reward_mean"] <= ep["reward_max"] + 1e-9)
    np.testing.assert_allclose(ep["reward_mean"], ep["revenue"] - ep["energy_cost"] - ep["degradation_cost"]
                               - ep["unmet_penalty"], rtol=1e-9, atol=1e-9)
    # Per vehicle: the last /vehicles row is the last episode; its rewards average to the fleet's.
    # /vehicles/episode and /qtables/episode count the episodes done (10 = after the 10th),
    # while /episodes/episode is the 0-based index: the engine's convention (RESULTS.md says
    # only "the episode each row follows").
    v = run.vehicles
    assert list(v["episode"]) == list(range(10, EPISODES + 1, 10))
    np.testing.assert_allclose(v["reward"][-1].mean(), ep["reward_mean"][-1], rtol=1e-5)
    np.testing.assert_allclose([v["soc_end"][-1].mean(), v["soc_end"][-1].min(), v["soc_end"][-1].max()],
                               [s["soc"]["mean"], s["soc"]["min"], s["soc"]["max"]], rtol=1e-5)
    np.testing.assert_allclose([v["soh"][-1].mean(), v["soh"][-1].min()], [s["soh"]["mean"], s["soh"]["min"]],
                               rtol=1e-6)
    # Ledger: genesis + one block per episode; every transaction stored (store_transactions = all).
    led = s["ledger"]
    blocks = run.blocks
    # The summary counts the episodes' blocks; the file also holds genesis (block 0).
    assert len(blocks) == led["blocks"] + 1 == EPISODES + 1
    assert int(blocks["tx_count"].sum()) == int(ep["tx_count"].sum()) == led["transactions"]
    assert list(blocks["tx_count"][1:]) == list(ep["tx_count"])
    rej = ep["rejected"].sum(axis=0)
    assert list(rej) == [led["rejected"][r] for r in ("energy_cap", "validity", "price", "party")]
    assert len(run.transactions) == int(run.tx_stored.sum()) == led["transactions"]
    for h in (1, EPISODES):
        tx = run.block_transactions(h)
        assert len(tx) == blocks["tx_count"][h] and np.all(tx["episode"] == h - 1)
        assert np.array_equal(tx["sequence"], np.arange(len(tx)))
    assert run.q_final.shape == (run.q_final.shape[0], run.attrs["states"], 5)
    assert list(run.q_snapshot_episodes) == [25, 50]
    np.testing.assert_array_equal(run.q_snapshots[-1], run.q_final)


@needs_writer
def test_real_plot_and_info(real, tmp_path):
    path, _ = real
    p = cli("plot", path, "--out", tmp_path / "figs")
    assert p.returncode == 0, p.stderr
    pngs = p.stdout.split()
    assert {os.path.basename(x) for x in pngs} >= {"reward.png", "fig7_policy_map.png", "fig8_final_battery.png"}
    for x in pngs:
        assert os.path.getsize(x) > 1000 and png_size(x) == v2g_plot.FIG_SIZE_PX
    p = cli("info", path)
    assert p.returncode == 0 and f"finished: {EPISODES}/{EPISODES} episodes" in p.stdout


@needs_writer
def test_real_bad_copies(real, tmp_path):
    path, _ = real
    cut = tmp_path / "cut.h5"
    with open(path, "rb") as src:
        cut.write_bytes(src.read()[: os.path.getsize(path) * 2 // 3])
    newer = with_schema(path, tmp_path / "v2.h5", "2.0")
    for bad, message in ((cut, "truncated"), (newer, "schema 2.0 is newer than this reader (1.x): upgrade v2g")):
        with pytest.raises(v2g.ResultsError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
            v2g.open(bad)
        assert_one_error_line(cli("info", bad), message)


@needs_writer
def test_real_run_is_read_live_and_interrupted_cleanly(tmp_path):
    out = tmp_path / "live.h5"
    proc = subprocess.Popen([V2G, "train", SMALL, "--episodes", "1000000", "--out", out, "--device", "cpu",
                             "--quiet", "--set", "fleet.vehicles=2000", "--set", "fleet.community_size=50"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 40
        run = None
        while time.time() < deadline:
            # One Run, refreshed: a second h5py open of a file this process still holds would
            # share the first one's (stale) metadata.
            try:
                run = v2g.open(out) if run is None else run.refresh()
                if run.episodes_done > 0:
                    break
            except (FileNotFoundError, v2g.ResultsError):
                if run is not None:
                    run.close()
                run = None
            time.sleep(0.1)
        assert run is not None and run.episodes_done > 0 and run.status == "running", "no episode seen"
        first = run.episodes_done
        while run.refresh().episodes_done <= first and time.time() < deadline:
            time.sleep(0.1)
        assert run.episodes_done > first, "the episode count did not grow"
        assert cli("watch", out, "--once").returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    run.refresh()
    assert run.status == "interrupted", (run.status, err)
    assert run.episodes_done >= first
    run.close()


@needs_writer
def test_train_from_python_writes_the_results(tmp_path):
    cfg = {"run": {"episodes": 6, "threads": 1, "name": "from-python"}, "fleet": {"vehicles": 4}}
    for launcher in (("module", "binary") if load_module() else ("binary",)):
        out = tmp_path / f"{launcher}.h5"
        s = v2g.train(cfg, out, launcher=launcher)
        run = v2g.open(s["results_path"])
        assert run.episodes_done == 6 and run.attrs["run_name"] == "from-python"
        np.testing.assert_allclose(run.episode_arrays["reward_mean"], s["episode_reward_per_vehicle"], rtol=1e-12)
        # The same --out again is refused, the file kept; force=True replaces it.
        with open(out, "rb") as fh:
            before = fh.read()
        with pytest.raises(ValueError, match="exists"):
            v2g.train(dict(cfg, run=dict(cfg["run"], episodes=3)), out, launcher=launcher)
        with open(out, "rb") as fh:
            assert fh.read() == before
        s = v2g.train(dict(cfg, run=dict(cfg["run"], episodes=3)), out, launcher=launcher, force=True)
        assert v2g.open(s["results_path"]).episodes_done == 3


@needs_writer
def test_real_file_carries_its_signatures_and_currency(real):
    path, _ = real
    with h5py.File(path, "r") as f:
        blocks = f["ledger/blocks"].shape[0]
        assert f["ledger/signatures"].shape == (blocks, 64) and f["ledger/signatures"].dtype == np.uint8
        assert f["ledger/head"].shape == (152,) and f["ledger/public_key"].shape == (32,)
        assert not f["ledger/signing_key"][()].any()  # finished: the secret key is erased
        assert f.attrs["currency"] in (b"$", "$")  # synthetic prices: CityLearn's US $/kWh
    run = v2g.open(path)
    assert run.currency == "$"
    assert run.units("episodes/reward_mean") == "$/vehicle/day"


@needs_writer
def test_a_run_on_euro_prices_says_eur_in_its_outputs(tmp_path):
    """signals.price_unit = EUR/MWh: prices converted, and every label says EUR."""
    csv = tmp_path / "day_ahead.csv"
    csv.write_text("price\n" + "".join(f"{80 + 60 * ((h % 24) in range(17, 21)):.1f}\n" for h in range(24 * 4)))
    out = tmp_path / "eur.h5"
    p = subprocess.run([V2G, "train", SMALL, "--episodes", "5", "--out", out, "--device", "cpu",
                        "--set", "signals.source=csv", "--set", f"signals.price_csv={csv}",
                        "--set", "signals.price_column=price", "--set", "signals.price_unit=EUR/MWh"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "mean reward    EUR per vehicle per episode" in p.stdout, p.stdout
    run = v2g.open(str(out))
    assert run.currency == "EUR"
    assert run.units("episodes/reward_mean") == "EUR/vehicle/day"
    # The traced day's prices, converted: 140 EUR/MWh at the evening peak is 0.14 EUR/kWh.
    assert run.h5["day/retail_price_per_kwh"][()].max() == pytest.approx(0.14, rel=1e-6)
    assert v2g_plot.plot_all(run, str(tmp_path / "plots"))
    info = subprocess.run([sys.executable, "-m", "v2g", "info", str(out)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.path.join(REPO, "python")))
    assert info.returncode == 0 and "EUR/vehicle/day" in info.stdout, info.stdout + info.stderr


def test_long_input_is_shortened_in_the_error_line(tmp_path):
    path = str(tmp_path / ("q" * 5000 + ".h5"))
    r = subprocess.run([sys.executable, "-m", "v2g", "info", path], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(REPO, "python")))
    assert r.returncode == 2
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and line.startswith("v2g: error: ") and "..." in line, line
    assert len(line) <= 200 + len("v2g: error: "), len(line)
