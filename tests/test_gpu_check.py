"""scripts/gpu-check, on this machine: its plan fits the GPU window (issue 18: every stage
<= 540 s, all <= 720 s, each device call <= 600 s), its stages are the ones it runs, the device
stage stops with one line where there is no driver, the sweep stage's script works (dry-run on
the CPU), and the CUDA kernels compile for sm_90 without spills, the ledger's leaf within 64
registers (where nvcc is here)."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GPU_CHECK = ROOT / "scripts" / "gpu-check"
V2G_BIN = os.path.abspath(os.environ.get("V2G_BIN", str(ROOT / "build" / "v2g")))


def run(*args, env=None, timeout=300):
    return subprocess.run([str(GPU_CHECK), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def plan_rows():
    r = run("plan")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(.*)$", line)
        if m and m.group(1) not in ("stage", "total"):
            rows[m.group(1)] = int(m.group(2))
    total = int(re.search(r"^total\s+(\d+)", r.stdout, re.M).group(1))
    calls = re.findall(r"gpu-check run gpu-bundle (\S+)\s+# (\d+) s", r.stdout)
    return rows, total, calls


def test_plan_fits_the_window():
    rows, total, calls = plan_rows()
    assert set(rows) == {"device", "tests", "bench", "sweep", "scale"}
    assert all(0 < b <= 540 for b in rows.values()), rows
    assert total == sum(rows.values()) <= 720
    # The calls run every stage once, in order, each within a command's 600 s.
    assert [s for c, _ in calls for s in c.split(",")] == list(rows)
    for stages, seconds in calls:
        assert int(seconds) == sum(rows[s] for s in stages.split(",")) <= 600


def test_an_unknown_stage_or_mode_is_refused():
    r = run("run", "gpu-bundle", "nosuch")
    assert r.returncode != 0 and "no stage 'nosuch'" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2 and "usage: gpu-check" in r.stderr


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU driver is here")
def test_device_stage_stops_with_one_line_without_a_driver():
    with tempfile.TemporaryDirectory() as d:
        os.symlink(V2G_BIN, os.path.join(d, "v2g"))
        r = run("run", d, "device,tests")
    assert r.returncode == 1
    assert "no usable NVIDIA driver here" in r.stdout
    assert "later stages not run" in r.stdout
    assert re.search(r"^device\s+FAIL\s+\d+\s+30$", r.stdout, re.M), r.stdout


def test_sweep_stage_dry_run_on_the_cpu():
    with tempfile.TemporaryDirectory() as d:
        os.symlink(V2G_BIN, os.path.join(d, "v2g"))
        os.symlink(ROOT / "experiments", os.path.join(d, "experiments"))
        r = run("_stage", d, "sweep", env={"GPU_CHECK_DEVICE": "cpu"}, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "runs tables of --batch 1 and --batch 64: identical" in r.stdout


@pytest.mark.skipif(not Path(os.environ.get("CUDACXX", "/usr/local/cuda/bin/nvcc")).exists(), reason="no nvcc")
def test_ptxas_no_spills_and_the_leaf_within_64_registers():
    r = run("ptxas", timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    leaf = re.search(r"^transaction_leaf_kernel\s+merkle_cuda\.cu\s+(\d+)\s+(\d+)\s+(\d+)$", r.stdout, re.M)
    assert leaf, r.stdout
    assert int(leaf.group(1)) <= 64 and leaf.group(2) == "0" and leaf.group(3) == "0"
    kernels = re.findall(r"^(\w+)\s+\S+\.cu\s+\d+\s+\d+\s+(\d+)$", r.stdout, re.M)
    assert len(kernels) >= 8 and all(spill == "0" for _, spill in kernels), r.stdout
