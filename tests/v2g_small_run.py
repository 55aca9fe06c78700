"""A small real training run for the tests that damage or forge its results file
(test_damaged_files.py, test_ledger_forgery.py): the built CLI (V2G_BIN, as ctest sets it:
tests/CMakeLists.txt), experiments/paper.toml cut to 12 episodes on the CPU, a checkpoint
every 4 episodes and every transaction stored, so the file has all that a reader checks.

Imported from tests/ like test_merkle_hashlib (pytest puts a test file's folder on sys.path)."""
import os
import signal
import subprocess

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "experiments", "paper.toml")


def train_small_run(path, vehicles, community_size, kill_at=None):
    """Trains the small run into `path` and returns it; with `kill_at` (a kill point,
    results/kill_point.h) the run SIGKILLs itself there. Asserts it ended as asked."""
    args = ["--episodes", "12", "--set", f"fleet.vehicles={vehicles}", "--set", f"fleet.community_size={community_size}",
            "--set", "results.checkpoint_every=4", "--set", "ledger.store_transactions=all", "--device", "cpu", "--quiet"]
    env = dict(os.environ)
    if kill_at:
        env["V2G_TEST_KILL_AT"] = kill_at
    r = subprocess.run([BIN, "train", CONFIG, *args, "--out", path], capture_output=True, text=True, env=env)
    assert r.returncode == (-signal.SIGKILL if kill_at else 0), r.stderr
    return path
