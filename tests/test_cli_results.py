"""The results file through the command line: the paper's run written with --out, inspected,
verified and plotted; and bad input to `v2g inspect`, `v2g verify`, `v2g train --out`: one
line and a non-zero exit, never a crash. Run by ctest with V2G_BIN = the built CLI."""
import os
import shutil
import struct
import subprocess
import sys

import h5py
import pytest

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(ROOT, "experiments", "paper.toml")
PY_ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("paper") / "paper.h5")
    r = run("train", PAPER, "--device", "cpu", "--quiet", "--out", path)
    assert r.returncode == 0, r.stderr
    return path


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_paper_run_is_inspected_and_verified(paper):
    r = run("inspect", paper)
    assert r.returncode == 0, r.stderr
    assert "finished: 2000 of 2000 episodes, 50 vehicles" in r.stdout
    assert "ledger         height 2000; ledger verified" in r.stdout
    v = run("verify", paper)
    assert v.returncode == 0 and "2001 blocks" in v.stdout, v.stdout + v.stderr
    with h5py.File(paper, "r") as f:
        assert len(f["ledger/contracts"]) == 100


def test_paper_run_plots(paper, tmp_path):
    out = tmp_path / "figs"
    r = subprocess.run([sys.executable if "python3" in sys.executable else "/usr/bin/python3", "-m", "v2g", "plot",
                        paper, "--out", str(out)], capture_output=True, text=True, env=PY_ENV)
    assert r.returncode == 0, r.stderr
    pngs = sorted(p for p in os.listdir(out) if p.endswith(".png"))
    assert len(pngs) >= 5, pngs
    for name in pngs:
        path = os.path.join(out, name)
        assert os.path.getsize(path) > 5000, name
        assert png_size(path) == (1000, 600), name
    assert any("fig7" in p for p in pngs) and any("fig8" in p for p in pngs), pngs


@pytest.fixture
def bad_files(paper, tmp_path):
    missing = str(tmp_path / "missing.h5")
    text = tmp_path / "text.h5"
    text.write_text("not an HDF5 file\n")
    truncated = str(tmp_path / "truncated.h5")
    with open(paper, "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read(os.path.getsize(paper) // 3))
    newer = str(tmp_path / "newer.h5")
    shutil.copy(paper, newer)
    with h5py.File(newer, "r+") as f:
        del f.attrs["schema_version"]
        f.attrs["schema_version"] = "2.0"
    return {"missing": (missing, "cannot open"), "not hdf5": (str(text), "not an HDF5"),
            "truncated": (truncated, "truncated or damaged"), "newer schema": (newer, "newer than this build")}


@pytest.mark.parametrize("command", ["inspect", "verify"])
@pytest.mark.parametrize("case", ["missing", "not hdf5", "truncated", "newer schema"])
def test_bad_results_files(bad_files, command, case):
    path, needle = bad_files[case]
    r = run(command, path)
    assert r.returncode == 2, (case, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_unwritable_out_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("train", PAPER, "--quiet", "--episodes", "2", "--out", str(blocker / "run.h5"))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "cannot write the results file" in lines[-1] and len([l for l in lines if "error" in l]) == 1, r.stderr
