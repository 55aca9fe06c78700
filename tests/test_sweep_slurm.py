"""A sweep on a real Slurm cluster, and `v2g merge` of its shards (docs/SWEEPS.md).

Starts a one-node Slurm cluster on this machine (Debian's slurmctld and slurmd 22.05, as root,
no munge: auth/none, cred/none), its config, state, spool and logs in a temporary folder and
on free ports, so nothing is shared with a system Slurm or another test. Submits
experiments/sweep_slurm.sbatch as a 4-task job array over a small sweep of
experiments/small_deterministic.toml, merges the 4 shard files with `v2g merge`, and checks
with h5py that the merged /runs reads as one table equal, bit for bit, to the runs table of
one unsharded `v2g sweep` of the same file (the runs are deterministic), that it is a view
(HDF5 virtual dataset) and not a copy, and that /run/ID opens each run's results. Then submits
the array again, as a requeue would, and checks each task resumes its shard and changes
nothing. The daemons are stopped by their PIDs after the module's tests, pass or fail.

Merging shards of two different sweeps (exit 2, one line) and merging with a shard missing
(done, the missing shard named on stderr) use shards run locally with --shard: no Slurm needed.

Slurm missing or not root: skipped with the reason, except under CI (CI=true) where it fails.
Run by ctest (pytest_sweep_slurm) and directly with pytest; V2G_BIN is the v2g binary.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
from v2g.sweep import open_sweep  # noqa: E402

V2G = os.path.abspath(os.environ.get("V2G_BIN", os.path.join(ROOT, "build", "v2g")))
SBATCH_SCRIPT = os.path.join(ROOT, "experiments", "sweep_slurm.sbatch")
BASE_CONFIG = os.path.join(ROOT, "experiments", "small_deterministic.toml")

SHARDS = 4
EPISODES = 40                          # per run: ~0.03 s each, the whole array a few seconds
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)    # 5 x 2 seeds = 10 configurations: shards of 2, 3, 2, 3
SEEDS = (1, 2)
CONFIGS = len(ALPHAS) * len(SEEDS)
EXIT_BAD_INPUT = 2

# Slurm's programs; the daemons live in /usr/sbin, which a non-login PATH may lack.
DAEMONS = ("slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "sinfo", "scancel")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
START_TIMEOUT_S = 30     # slurmctld + slurmd up and the node idle (about 2 s here)
JOB_TIMEOUT_S = 120      # the array done (about 2 s here)
STOP_TIMEOUT_S = 10      # a daemon's exit after SIGTERM, before SIGKILL
POLL_S = 0.2
# slurmd's spool holds a Unix socket whose path must fit sockaddr_un (108 bytes): keep it short.
CLUSTER_DIR_PREFIX = "/tmp/v2g-slurm-"


# ---------------------------------------------------------------- helpers

def program(name):
    return shutil.which(name, path=SEARCH_PATH)


def require_slurm():
    """Skips (or, under CI, fails) with the reason the cluster cannot be started here."""
    missing = [p for p in DAEMONS + CLIENTS if program(p) is None]
    why = None
    if missing:
        why = f"Slurm is not installed ({', '.join(missing)} missing; scripts/setup.sh installs it)"
    elif os.geteuid() != 0:
        why = "the test's Slurm cluster runs as root (SlurmUser=root, auth/none): run as root"
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; CI=true, so the Slurm test may not skip")
        pytest.skip(why)


def run(args, env=None, cwd=None, timeout=120):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def write_sweep(path, episodes=EPISODES):
    with open(path, "w") as f:
        f.write(f'[sweep]\nbase = "{BASE_CONFIG}"\nseeds = {list(SEEDS)}\n\n'
                f'[set]\n"run.episodes" = {episodes}\n\n'
                f'[grid]\n"learning.alpha" = {list(ALPHAS)}\n"learning.policy" = ["tabular"]\n')
    return path


def free_ports(n):
    """n distinct free TCP ports (held open together while chosen, so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def shard_slice(shard):
    """Configurations [begin, end) of a shard, as `v2g sweep --shard` slices them (sweep.cpp)."""
    return CONFIGS * shard // SHARDS, CONFIGS * (shard + 1) // SHARDS


def read_table(path, name="runs"):
    with h5py.File(path, "r") as f:
        return f[name][()]


def one_error_line(r):
    lines = r.stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("v2g: error:")


# ---------------------------------------------------------------- the cluster

class Cluster:
    """A one-node Slurm cluster in `root`; `env` points Slurm's clients at it."""

    def __init__(self, root):
        self.root = root
        self.logs = os.path.join(root, "log")
        os.makedirs(self.logs)
        node = run([program("slurmd"), "-C"]).stdout.splitlines()[0]  # NodeName=... CPUs=... RealMemory=...
        self.node = node.split()[0].split("=", 1)[1]
        ctld_port, d_port = free_ports(2)
        self.conf = os.path.join(root, "slurm.conf")
        settings = {
            "ClusterName": "v2gtest",
            "SlurmctldHost": f"{self.node}(127.0.0.1)",
            "SlurmctldPort": ctld_port,
            "SlurmdPort": d_port,
            "SlurmUser": "root",
            "SlurmdUser": "root",
            "AuthType": "auth/none",           # no munge daemon to start
            "CredType": "cred/none",
            "ProctrackType": "proctrack/linuxproc",  # no cgroups needed
            "TaskPlugin": "task/none",
            "MpiDefault": "none",
            "SelectType": "select/cons_tres",  # tasks share the node: one per CPU
            "SelectTypeParameters": "CR_CPU",
            "ReturnToService": 2,
            "StateSaveLocation": os.path.join(root, "state"),
            "SlurmdSpoolDir": os.path.join(root, "spool"),
            "SlurmctldPidFile": os.path.join(root, "slurmctld.pid"),
            "SlurmdPidFile": os.path.join(root, "slurmd.pid"),
            "SlurmctldLogFile": os.path.join(self.logs, "slurmctld.log"),
            "SlurmdLogFile": os.path.join(self.logs, "slurmd.log"),
            "MailProg": "/bin/true",
            "SchedulerParameters": "batch_sched_delay=0",  # start array tasks at once
            "JobCompType": "jobcomp/none",
            "AccountingStorageType": "accounting_storage/none",
        }
        with open(self.conf, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in settings.items())
            # The node as slurmd detects it: a node described larger or smaller is drained.
            f.write(f"{node} NodeAddr=127.0.0.1 State=UNKNOWN\n")
            f.write(f"PartitionName=test Nodes={self.node} Default=YES MaxTime=INFINITE State=UP\n")
        self.env = dict(os.environ, SLURM_CONF=self.conf, V2G_BIN=V2G)
        self.procs = []

    def start(self):
        for name in DAEMONS:
            out = open(os.path.join(self.logs, name + ".out"), "w")
            # -D: in the foreground, so the PID is ours to stop; -i: ignore (absent) saved state.
            args = [program(name), "-D"] + (["-i"] if name == "slurmctld" else [])
            self.procs.append(subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT))
            out.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    pytest.fail(f"{p.args[0]} exited with {p.returncode} at start:\n{self.log_tail()}")
            r = run([program("sinfo"), "-h", "-o", "%T"], env=self.env)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                return
            time.sleep(POLL_S)
        pytest.fail(f"the Slurm node is not idle after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self):
        """Cancels what is left of our jobs, then stops each daemon by its PID."""
        if self.procs and all(p.poll() is None for p in self.procs):
            run([program("scancel"), "--user=root"], env=self.env)
            self.wait_for_queue(None, STOP_TIMEOUT_S, fail=False)
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []

    def log_tail(self, chars=3000):
        text = ""
        for path in sorted(glob.glob(os.path.join(self.logs, "*"))):
            with open(path, errors="replace") as f:
                text += f"--- {os.path.basename(path)}\n{f.read()[-chars:]}\n"
        return text

    def wait_for_queue(self, job, timeout_s, fail=True):
        """Waits until `job` (or every job, for None) has left the queue."""
        deadline = time.monotonic() + timeout_s
        args = [program("squeue"), "-h"] + ([] if job is None else ["-j", job])
        while time.monotonic() < deadline:
            r = run(args, env=self.env)
            if r.returncode == 0 and not r.stdout.strip():
                return
            time.sleep(POLL_S)
        if fail:
            pytest.fail(f"job {job} still queued after {timeout_s} s:\n{self.log_tail()}")

    def submit_array(self, workdir, *script_args):
        """Submits the example sbatch script as a SHARDS-task array; returns the array's job id
        once every task has finished."""
        r = run([program("sbatch"), "--parsable", f"--array=0-{SHARDS - 1}", f"--chdir={workdir}", SBATCH_SCRIPT,
                 *script_args], env=self.env)
        assert r.returncode == 0, r.stderr
        job = r.stdout.strip().split(";")[0]
        self.wait_for_queue(job, JOB_TIMEOUT_S)
        return job

    def task_states(self, job):
        """{array task id: (JobState, ExitCode)} of a finished array (scontrol keeps finished
        jobs for MinJobAge, 300 s; there is no accounting database to ask)."""
        r = run([program("scontrol"), "-o", "show", "job", job], env=self.env)
        assert r.returncode == 0, r.stderr
        states = {}
        for line in r.stdout.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            states[int(fields["ArrayTaskId"])] = (fields["JobState"], fields["ExitCode"])
        return states


@pytest.fixture(scope="module")
def cluster():
    require_slurm()
    root = tempfile.mkdtemp(prefix=CLUSTER_DIR_PREFIX)
    c = Cluster(root)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def array_sweep(cluster, tmp_path_factory):
    """The sweep run as a Slurm array, merged, and the same sweep run unsharded."""
    work = tmp_path_factory.mktemp("array")
    sweep = write_sweep(str(work / "sweep.toml"))
    out = str(work / "out.h5")
    t0 = time.monotonic()
    job = cluster.submit_array(str(work), sweep, out)
    array_s = time.monotonic() - t0
    states = cluster.task_states(job)
    logs = {i: str(work / f"v2g-sweep-{job}_{i}.log") for i in range(SHARDS)}  # the script's %A_%a
    shards = [str(work / f"out.shard-{i}-of-{SHARDS}.h5") for i in range(SHARDS)]
    merged = str(work / "merged.h5")
    # Shards named in any order: merge orders them by their shard number.
    r = run([V2G, "merge", merged, *reversed(shards)])
    single = str(work / "single.h5")
    s = run([V2G, "sweep", sweep, "--out", single, "-q"])
    assert s.returncode == 0, f"{V2G} sweep (unsharded) exited {s.returncode}: {s.stderr}"
    return dict(work=work, sweep=sweep, out=out, job=job, states=states, logs=logs, shards=shards, merged=merged,
                merge=r, single=single, array_s=array_s)


# ---------------------------------------------------------------- the array

def test_each_array_task_ran_its_own_shard(array_sweep, cluster):
    a = array_sweep
    assert a["states"] == {i: ("COMPLETED", "0:0") for i in range(SHARDS)}, cluster.log_tail()
    for i in range(SHARDS):
        assert os.path.exists(a["logs"][i]), f"no log {a['logs'][i]} (--output=v2g-sweep-%A_%a.log)"
        log = open(a["logs"][i]).read()
        # The shard came from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, not from a flag.
        assert f"shard: {i}/{SHARDS} (from the Slurm job array)" in log, log
        with h5py.File(a["shards"][i], "r") as f:
            assert f.attrs["shard"].decode() == f"{i}/{SHARDS}"
            begin, end = shard_slice(i)
            assert list(f["runs"]["index"]) == list(range(begin, end))
            assert set(f["runs"]["status"]) == {b"done"}


def test_merged_runs_read_as_one_table_equal_to_an_unsharded_sweep(array_sweep, tmp_path, monkeypatch):
    a = array_sweep
    assert a["merge"].returncode == 0, a["merge"].stderr
    assert a["merge"].stderr == ""  # no shard missing
    monkeypatch.chdir(tmp_path)  # the virtual dataset's sources resolve from the merged file's folder
    merged, single = read_table(a["merged"]), read_table(a["single"])
    assert isinstance(merged, np.ndarray) and merged.dtype.names is not None  # one structured array
    assert merged.shape == (CONFIGS,)
    assert list(merged["index"]) == list(range(CONFIGS))
    assert [x.decode() for x in merged["id"]] == [f"r{i:04d}" for i in range(CONFIGS)]
    assert set(merged["status"]) == {b"done"}
    assert list(merged["episodes_done"]) == [EPISODES] * CONFIGS
    assert merged.dtype == single.dtype
    for name in merged.dtype.names:  # every column, bit for bit
        assert merged[name].tobytes() == single[name].tobytes(), name
    # The swept values in expansion order: the grid, then the seed fastest.
    assert list(merged["learning.alpha"]) == [x for x in ALPHAS for _ in SEEDS]
    assert list(merged["run.seed"]) == list(SEEDS) * len(ALPHAS)
    # The training differs between configurations: the equality above is not of constants.
    assert len(set(merged["reward_last"])) > 1
    # The Python reader takes the merged file as it takes a single one.
    sw = open_sweep(a["merged"])
    assert sw.parameters == ["learning.alpha", "learning.policy", "run.seed"]
    assert sw.run_ids() == [f"r{i:04d}" for i in range(CONFIGS)]


def test_merged_file_is_a_view_of_the_shards_not_a_copy(array_sweep):
    a = array_sweep
    with h5py.File(a["merged"], "r") as f:
        assert f.attrs["kind"].decode() == "v2g-sweep-merged"
        for name in ("runs", "timing"):
            d = f[name]
            assert d.is_virtual, name
            assert d.id.get_storage_size() == 0, name  # no rows stored in the merged file itself
            sources = [(s.file_name, s.dset_name) for s in d.virtual_sources()]
            assert sources == [(os.path.basename(p), name) for p in a["shards"]], sources


def test_merged_run_links_open_each_runs_results(array_sweep):
    a = array_sweep
    with h5py.File(a["merged"], "r") as f:
        assert sorted(f["run"]) == [f"r{i:04d}" for i in range(CONFIGS)]
        for i in range(CONFIGS):
            rid = f"r{i:04d}"
            link = f["run"].get(rid, getlink=True)
            assert isinstance(link, h5py.ExternalLink), rid
            shard = next(s for s in range(SHARDS) if shard_slice(s)[0] <= i < shard_slice(s)[1])
            assert link.filename == f"out.shard-{shard}-of-{SHARDS}.runs/{rid}.h5"
            assert f[f"run/{rid}/episodes/episode"].shape == (EPISODES,), rid
            assert f[f"run/{rid}/status"][()].decode() == "finished"  # docs/RESULTS.md: /status
            assert f[f"run/{rid}/config"].attrs["learning.alpha"] == ALPHAS[i // len(SEEDS)]


def test_array_submitted_again_resumes_each_shard_and_changes_nothing(array_sweep, cluster):
    """What a requeued task does: the script finds its shard file and resumes it."""
    a = array_sweep
    before = [read_table(p).tobytes() for p in a["shards"]]
    job = cluster.submit_array(str(a["work"]), a["sweep"], a["out"])
    assert cluster.task_states(job) == {i: ("COMPLETED", "0:0") for i in range(SHARDS)}, cluster.log_tail()
    for i in range(SHARDS):
        log = open(str(a["work"] / f"v2g-sweep-{job}_{i}.log")).read()
        assert "(resumed)" in log and "0 this session" in log, log
    assert [read_table(p).tobytes() for p in a["shards"]] == before


# ---------------------------------------------------------------- merge without Slurm

@pytest.fixture(scope="module")
def local_shards(tmp_path_factory):
    """Every shard of the sweep and shard 1 of a sweep differing only in its episodes, run
    here with --shard."""
    work = tmp_path_factory.mktemp("local")
    shards = {}
    for name, episodes, indices in (("a", EPISODES, range(SHARDS)), ("b", EPISODES + 1, (1,))):
        sweep = write_sweep(str(work / f"{name}.toml"), episodes)
        for i in indices:
            r = run([V2G, "sweep", sweep, "--out", work / f"{name}.h5", "--shard", f"{i}/{SHARDS}", "-q"])
            assert r.returncode == 0, r.stderr
            shards[name, i] = str(work / f"{name}.shard-{i}-of-{SHARDS}.h5")
    return work, shards


def test_merging_shards_of_two_different_sweeps_fails_with_one_line(local_shards):
    work, shards = local_shards
    out = work / "mixed.h5"
    r = run([V2G, "merge", out, shards["a", 0], shards["b", 1]])
    assert r.returncode == EXIT_BAD_INPUT, r.stderr
    assert one_error_line(r), r.stderr
    assert "another sweep" in r.stderr and shards["b", 1] in r.stderr
    assert not os.path.exists(out)


def test_merging_with_a_shard_missing_names_it_and_presents_the_rest(local_shards):
    work, shards = local_shards
    out = str(work / "partial.h5")
    missing = 2
    r = run([V2G, "merge", out, *(shards["a", i] for i in range(SHARDS) if i != missing)])
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == [f"merge: shards missing: {missing}/{SHARDS} (merge again when they are "
                                             "done)"]
    begin, end = shard_slice(missing)
    rows = read_table(out)
    assert list(rows["index"]) == [i for i in range(CONFIGS) if not begin <= i < end]
    with h5py.File(out, "r") as f:
        assert f.attrs["missing_shards"].decode() == f"{missing}/{SHARDS}"
        assert sorted(f["run"]) == [f"r{i:04d}" for i in range(CONFIGS) if not begin <= i < end]
    # Each row as its shard wrote it.
    expected = np.concatenate([read_table(shards["a", i]) for i in range(SHARDS) if i != missing])
    assert rows.tobytes() == expected.tobytes()
