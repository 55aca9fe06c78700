"""Crash safety of the results file: a training run killed with SIGKILL at several moments
(checkpoints are frequent and large, so some kills land inside a checkpoint write), resumed with
`v2g train --resume`, must end bit-identical to an uninterrupted run: every dataset but the
timing ones and the checkpoint slots. SIGINT/SIGTERM must close the file cleanly.

Run by ctest (tests/CMakeLists.txt) with V2G_BIN = the built CLI."""
import hashlib
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "experiments", "paper.toml")
# ~30 MB of fleet state per checkpoint, one every 5 episodes: a run of a few seconds.
ARGS = ["--episodes", "120", "--set", "fleet.vehicles=2000", "--set", "fleet.community_size=50",
        "--set", "ledger.contracts=200", "--set", "results.checkpoint_every=5", "--set", "results.vehicle_stride=10",
        "--set", "results.q_stride=40", "--set", "ledger.store_transactions=all", "--device", "cpu", "--quiet"]
TIMING = {"episodes/env_steps_per_s"}
# Each run signs its chain with a key pair of its own (docs/LEDGER.md): two runs of one config
# share every dataset but these. A resumed run keeps its key (checked below).
RUN_KEY = {"ledger/public_key", "ledger/signing_key", "ledger/signatures", "ledger/head"}


def wait_for_episodes(path, proc, episodes, timeout_s=120):
    """Polls the live file (SWMR) until it holds `episodes` episodes; the kill then lands at a
    moment of the run that does not depend on how fast this machine is."""
    deadline = time.monotonic() + timeout_s
    seen, last_error = 0, None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with h5py.File(path, "r", swmr=True) as f:
                seen = len(f["episodes/episode"])
                if seen >= episodes:
                    return
        except (OSError, KeyError) as e:
            last_error = e  # not created or not in SWMR mode yet
        time.sleep(0.005)
    raise AssertionError(f"the run ended (exit {proc.poll()}) or stalled before episode {episodes}: "
                         f"last seen {seen}, last read error {last_error}")


def train(out, extra=(), kill_at=None):
    """`kill_at`: a kill point (results/kill_point.h) at which the run SIGKILLs itself."""
    env = dict(os.environ)
    if kill_at:
        env["V2G_TEST_KILL_AT"] = kill_at
    return subprocess.run([BIN, "train", CONFIG, *ARGS, "--out", out, *extra], capture_output=True, text=True, env=env)


def resume(path):
    return subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True)


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("checkpoint") and name not in TIMING | RUN_KEY:
                out[name] = obj[()]
        f.visititems(visit)
        out["status"] = f["status"][()]
    return out


def assert_same(a, b):
    assert sorted(a) == sorted(b)
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), f"{name} differs"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ref") / "full.h5")
    t0 = time.monotonic()
    r = train(path)
    assert r.returncode == 0, r.stderr
    return path, time.monotonic() - t0, datasets(path)


@pytest.mark.parametrize("episodes", [3, 21, 52, 83, 111])
def test_sigkill_then_resume_is_bit_identical(reference, tmp_path, episodes):
    ref_path, seconds, ref = reference
    path = str(tmp_path / "killed.h5")
    p = subprocess.Popen([BIN, "train", CONFIG, *ARGS, "--out", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    wait_for_episodes(path, p, episodes)
    p.send_signal(signal.SIGKILL)
    p.wait()
    # The killed file opens with h5py (SWMR read, as for a live run) ...
    with h5py.File(path, "r", swmr=True) as f:
        done = len(f["episodes/episode"])
    assert done < 120
    key = public_key(path)
    # ... and resumes to the same bits as the uninterrupted run, its chain under its own key.
    r = subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_same(ref, datasets(path))
    assert_sealed_by(path, key)
    assert not os.path.exists(path + ".resume-tmp")


# Every phase of the final chunk's write, in order (results.cpp): its data appended, flushed, the
# checkpoint's slot written but not its description, the checkpoint complete, the status set.
# Then the chain's head sealed, and the run's secret key erased.
FINAL_WRITE_PHASES = ["final.data", "final.flushed", "final.checkpoint_torn", "final.checkpointed", "final.head",
                      "final.status", "final.key_erased"]


def public_key(path):
    with h5py.File(path, "r", swmr=True) as f:
        return bytes(f["ledger/public_key"][()])


def assert_sealed_by(path, key):
    """The chain verifies, sealed by `key`, and the secret key is gone."""
    r = subprocess.run([BIN, "verify", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "sealed by ed25519:" + key.hex() in r.stdout, r.stdout
    with h5py.File(path, "r") as f:
        assert not f["ledger/signing_key"][()].any()


@pytest.mark.parametrize("phase", FINAL_WRITE_PHASES)
def test_kill_in_the_final_write_then_resume_is_bit_identical(reference, tmp_path, phase):
    """Past the last checkpoint too, a resume loses nothing: the final Q-tables, the traced day
    and the status come back as an uninterrupted run wrote them, and the file is closed."""
    _, _, ref = reference
    path = str(tmp_path / "killed.h5")
    r = train(path, kill_at=phase)
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr)
    key = public_key(path)
    r = resume(path)
    assert r.returncode == 0, r.stderr
    assert "already finished" not in r.stdout
    assert_same(ref, datasets(path))
    assert_sealed_by(path, key)
    with h5py.File(path, "r") as f:  # a plain open: the resumed file was closed by its writer
        assert f["status"][()] == b"finished"
        assert f["qtables/final"][()].any()
        assert f["day/episode"][0] == 120


def test_kill_while_resuming_leaves_the_file_as_it_was(reference, tmp_path):
    _, _, ref = reference
    path = str(tmp_path / "killed.h5")
    assert train(path, kill_at="final.checkpointed").returncode == -signal.SIGKILL
    before = file_digest(path)
    env = dict(os.environ, V2G_TEST_KILL_AT="resume.copied")
    r = subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True, env=env)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert file_digest(path) == before
    r = resume(path)
    assert r.returncode == 0, r.stderr
    assert_same(ref, datasets(path))
    assert not os.path.exists(path + ".resume-tmp")


def test_resume_of_a_finished_run_changes_nothing(reference, tmp_path):
    """A finished (here also evaluated) file: "already finished", exit 0, every byte kept."""
    path = str(tmp_path / "done.h5")
    assert train(path).returncode == 0
    r = subprocess.run([BIN, "eval", path, "--days", "2", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    before, mtime = file_digest(path), os.stat(path).st_mtime_ns
    r = resume(path)
    assert r.returncode == 0, r.stderr
    assert "already finished (120 of 120 episodes)" in r.stdout
    assert file_digest(path) == before and os.stat(path).st_mtime_ns == mtime
    with h5py.File(path, "r") as f:
        assert "evaluation" in f


def test_out_refuses_an_existing_file_unless_forced(reference, tmp_path):
    path = str(tmp_path / "run.h5")
    assert train(path).returncode == 0
    before = file_digest(path)
    r = train(path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "exists" in lines[0] and "--force" in lines[0], r.stderr
    assert file_digest(path) == before
    r = train(path, ["--force", "--seed", "7"])
    assert r.returncode == 0, r.stderr
    with h5py.File(path, "r") as f:
        assert f.attrs["seed"] == 7


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_sigterm_close_cleanly(reference, tmp_path, sig):
    ref_path, seconds, ref = reference
    path = str(tmp_path / "stopped.h5")
    p = subprocess.Popen([BIN, "train", CONFIG, *ARGS, "--out", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    wait_for_episodes(path, p, 40)
    p.send_signal(sig)
    _, err = p.communicate()
    assert p.returncode == 128 + sig, err
    assert "v2g train --resume" in err
    # Closed cleanly: a plain (non-SWMR) open works and says so.
    with h5py.File(path, "r") as f:
        assert f["status"][()] == b"interrupted"
        assert 0 < len(f["episodes/episode"]) < 120
    r = subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_same(ref, datasets(path))


def test_resume_refuses_a_checkpoint_of_another_state_layout(reference, tmp_path):
    """Each checkpoint slot names the fleet buffer's arrays in order (its "layout"): a file whose
    layout is not this build's is refused in one line, not misread; a file of a build older than
    the attribute (none written) resumes as before."""
    _, _, ref = reference
    path = str(tmp_path / "stopped.h5")
    p = subprocess.Popen([BIN, "train", CONFIG, *ARGS, "--out", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    wait_for_episodes(path, p, 40)
    p.send_signal(signal.SIGINT)
    p.communicate()
    with h5py.File(path, "r+") as f:
        layout = f["checkpoint/slot0"].attrs["layout"]
        assert layout == f["checkpoint/slot1"].attrs["layout"]
        assert b"energy_kwh:4x1;" in layout and b"ep_rejected:4x5;" in layout, layout
        for slot in ("slot0", "slot1"):  # one array another name, as another build would write
            f["checkpoint/" + slot].attrs["layout"] = layout.replace(b"soh:", b"soh_:", 1)
    r = subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not match this build's state layout" in lines[0], r.stderr
    with h5py.File(path, "r+") as f:
        for slot in ("slot0", "slot1"):
            del f["checkpoint/" + slot].attrs["layout"]
    r = subprocess.run([BIN, "train", "--resume", path, "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_same(ref, datasets(path))


def test_resume_refuses_changes_and_bad_files(tmp_path):
    bogus = tmp_path / "bogus.h5"
    bogus.write_text("not hdf5\n")
    for args, needle in [(["--resume", str(bogus)], "not an HDF5 file"),
                         (["--resume", str(tmp_path / "missing.h5")], "cannot open"),
                         ([CONFIG, "--resume", str(bogus)], "takes the run's own config")]:
        r = subprocess.run([BIN, "train", *args], capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], r.stderr


def test_h5dump_lists_the_documented_layout(reference):
    """`h5dump -H` shows every dataset, and every dataset is documented in docs/RESULTS.md."""
    path, _, ref = reference
    header = subprocess.run(["h5dump", "-H", path], capture_output=True, text=True)
    assert header.returncode == 0, header.stderr
    with open(os.path.join(ROOT, "docs", "RESULTS.md")) as f:
        doc = f.read()
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    assert len(names) > 40
    for name in names:
        base = name.split("/")[-1]
        assert f'DATASET "{base}"' in header.stdout, name
        assert f"`{base}`" in doc or f"`/{name}`" in doc or f"`{name}`" in doc, f"{name} is not documented"
