"""The scale configs (issue: kernel throughput): experiments/national_fleet.toml runs on the CPU
scaled down 1000x and reports its throughput and memory, the memory figures agree with a hand
count of the fleet buffer, and every rung of experiments/scale_1e3..1e7.toml is the national
fleet at 10^n vehicles.

Run by ctest (tests/CMakeLists.txt) with V2G_BIN = the built CLI."""
import json
import os
import subprocess
import tomllib

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NATIONAL = os.path.join(ROOT, "experiments", "national_fleet.toml")
SCALE_DOWN = 1000
ACTIONS = 5          # charge, discharge, idle, sell, buy (env/env_types.h)
BYTES_PER_Q = 4      # float32 Q-values
HOURS_PER_DAY = 24


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_national_fleet_scaled_down_reports_throughput_and_memory(tmp_path):
    cfg = load(NATIONAL)
    vehicles = cfg["fleet"]["vehicles"] // SCALE_DOWN
    summary = tmp_path / "national.json"
    r = subprocess.run([BIN, "train", NATIONAL, "--set", f"fleet.vehicles={vehicles}", "--device", "cpu",
                        "--summary", summary, "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "env-steps/s" in r.stdout and "peak RSS" in r.stdout
    s = json.loads(summary.read_text())
    assert s["vehicles"] == vehicles and s["episodes"] == cfg["run"]["episodes"] == 365
    assert s["env_steps_per_s"] > 0
    assert s["ledger"]["blocks"] == 365
    # The Q part of the fleet buffer, by hand: one table per community of
    # soc_bins x steps x price_levels x deadline_levels states, 5 actions, float32.
    learning = cfg["learning"]
    communities = -(-vehicles // cfg["fleet"]["community_size"])
    states = learning.get("soc_bins", 10) * HOURS_PER_DAY * learning.get("price_levels", 3) * learning["deadline_levels"]
    mem = s["memory"]
    assert mem["q_table_bytes"] == communities * states * ACTIONS * BYTES_PER_Q
    assert mem["fleet_bytes"] == mem["fleet_state_bytes"] + mem["q_table_bytes"]
    assert 0 < mem["fleet_state_bytes"] < mem["q_table_bytes"]
    assert mem["peak_rss_bytes"] > mem["fleet_bytes"] + mem["signal_bytes"]


def test_scale_ladder_is_the_national_fleet_at_each_size():
    national = load(NATIONAL)
    for n in range(3, 8):
        cfg = load(os.path.join(ROOT, "experiments", f"scale_1e{n}.toml"))
        assert cfg["fleet"]["vehicles"] == 10 ** n
        communities = -(-10 ** n // cfg["fleet"]["community_size"])
        assert cfg["ledger"]["contracts"] >= communities + 2
        for table in ("time", "sessions", "signals", "learning"):
            assert cfg[table] == national[table], (n, table)
        assert {k: v for k, v in cfg["fleet"].items() if k != "vehicles"} == \
               {k: v for k, v in national["fleet"].items() if k != "vehicles"}
    # The smallest rung trains as it stands.
    r = subprocess.run([BIN, "train", os.path.join(ROOT, "experiments", "scale_1e3.toml"), "--device", "cpu", "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
