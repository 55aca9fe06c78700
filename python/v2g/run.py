"""Reading a v2g results file (docs/RESULTS.md, schema 1.x): `v2g.open(path)` -> `Run`.

Owns: opening (SWMR read, so a live or killed run opens), schema-version and layout checks,
and turning every HDF5 failure into one Python exception with one clear message
(FileNotFoundError, ResultsError). Datasets are read lazily and cached until `refresh()`.
"""

import builtins
import ctypes
import errno
import functools
import os
import time
import tomllib

import h5py
import numpy as np

from .errors import ResultsError
from .records import REJECT_REASONS

SCHEMA_MAJOR = 1
SCHEMA_MINOR = 0
REQUIRED_GROUPS = ("config", "episodes")
# /episodes datasets that are 2-D and split into named columns in the DataFrame.
_SPLIT_COLUMNS = {"rejected": tuple("rejected_" + r for r in REJECT_REASONS)}


# A SWMR reader retries a metadata read whose checksum fails, in case a live writer was caught
# mid-update; HDF5's default of 100 attempts makes every read of a damaged file take minutes.
# A few attempts cover a live writer (its updates take microseconds). The engine uses the same
# bound (results/schema.h, kSwmrReadAttempts).
SWMR_READ_ATTEMPTS = 4
# refresh() of a live run: a writer closing its file holds it for a moment (milliseconds) in which
# no open succeeds; so many tries, this far apart, before the failure is reported.
LIVE_REOPEN_ATTEMPTS = 20
LIVE_REOPEN_WAIT_S = 0.05


@functools.lru_cache(maxsize=1)
def _hdf5_library():
    """The libhdf5 that h5py runs on, through ctypes: h5py does not expose
    H5Pset_metadata_read_attempts. None where it cannot be found (then HDF5's default applies)."""
    try:
        with builtins.open("/proc/self/maps", encoding="utf-8") as maps:  # this module defines open()
            paths = {line.split()[-1] for line in maps if "/libhdf5" in line}
    except OSError:
        return None
    for path in sorted(paths):
        name = os.path.basename(path)
        if "_hl" in name or ".so" not in name:
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.H5Pset_metadata_read_attempts.argtypes = (ctypes.c_int64, ctypes.c_uint)
            lib.H5Pset_metadata_read_attempts.restype = ctypes.c_int
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _open_swmr(path):
    """h5py.File(path, "r", swmr=True), with SWMR_READ_ATTEMPTS metadata read attempts."""
    lib = _hdf5_library()
    if lib is None:
        return h5py.File(path, "r", swmr=True)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    if lib.H5Pset_metadata_read_attempts(fapl.id, SWMR_READ_ATTEMPTS) < 0:
        return h5py.File(path, "r", swmr=True)
    fid = h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl)
    return h5py.File(fid)


def _plain(value):
    """An HDF5 attribute as a plain Python value: bytes -> str, numpy scalars -> int/float."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.shape == ():
            return _plain(value[()])
        return [_plain(v) for v in value.tolist()] if value.dtype.kind in "SO" else value
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def parse_schema_version(text, path="file"):
    """(major, minor) from "MAJOR.MINOR"; ResultsError when it is not that."""
    try:
        major, minor = (int(p) for p in str(text).split("."))
    except ValueError:
        raise ResultsError(f"{path}: bad schema_version {text!r} (expected MAJOR.MINOR)") from None
    return major, minor


def _cached(compute):
    """A read-only property of Run computed on first access and kept in `self._cache` under
    the property's name. `_cache` (not functools.cached_property's instance __dict__) because
    refresh() and close() clear it, so a live run's new rows and status are read again; a
    computation that raises caches nothing."""
    name = compute.__name__

    @functools.wraps(compute)
    def get(self):
        if name not in self._cache:
            self._cache[name] = compute(self)
        return self._cache[name]

    return property(get)


def _dataset(name, empty=None, doc=None):
    """A read-only property of Run: the dataset `name` as numpy (Run._read, so cached until
    refresh()); when the file has none, None, or with `empty` (a dtype) a 0-length array of
    it, made on each read so that no two runs share one."""
    return property(lambda self: self._read(name, None if empty is None else np.zeros(0, empty)), doc=doc)


class Run:
    """One results file. Attributes are read on access and cached until `refresh()`.

    Rows of a live run may be appended to different datasets at slightly different moments;
    every table (episodes, vehicles) is cut to the rows that all its datasets have.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = None
        self._plain_error = None
        self._cache = {}
        self._open_file()
        self._check_layout()

    # ------------------------------------------------------------------ opening and checks

    def _open_file(self):
        path = self.path
        self._plain_error = None
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such results file", path)
        if os.path.isdir(path):
            raise ResultsError(f"{path}: is a directory, not a v2g results file")
        if not os.access(path, os.R_OK):
            raise PermissionError(errno.EACCES, "cannot read results file", path)
        if not h5py.is_hdf5(path):
            raise ResultsError(f"{path}: not an HDF5 file (no HDF5 signature)")
        # A plain open checks the end of file (a cut copy fails here) but is refused while a
        # writer holds the file; a SWMR read open sees a live run, or one killed while running.
        plain_error = None
        f = None
        try:
            f = h5py.File(path, "r")
            if _status_of(f) != "running":
                self._file = f
                return
            f.close()
        except (OSError, RuntimeError, KeyError, ValueError) as e:
            plain_error = _short(str(e))
            if f is not None:
                f.close()
        try:
            self._file = _open_swmr(path)
        except OSError as e:
            msg = _short(str(e))
            if "unable to lock" in msg:
                raise ResultsError(f"{path}: locked by its writer (not yet in SWMR mode); try again") from None
            raise ResultsError(f"{path}: cannot read as HDF5 (truncated or corrupt: {plain_error or msg})") from None
        self._plain_error = plain_error

    def _check_layout(self):
        path = self.path
        try:
            attrs = self.attrs
            if "schema_version" not in attrs:
                raise ResultsError(f"{path}: not a v2g results file (no schema_version attribute)")
            major, minor = parse_schema_version(attrs["schema_version"], path)
            if major > SCHEMA_MAJOR:
                raise ResultsError(f"{path}: schema {major}.{minor} is newer than this reader "
                                   f"({SCHEMA_MAJOR}.x): upgrade v2g")
            if major < SCHEMA_MAJOR:
                raise ResultsError(f"{path}: schema {major}.{minor} is older than this reader "
                                   f"({SCHEMA_MAJOR}.x) supports")
            missing = [g for g in REQUIRED_GROUPS if not isinstance(self._file.get(g), h5py.Group)]
            if missing:
                raise ResultsError(f"{path}: not a complete v2g results file (missing group(s) "
                                   + ", ".join("/" + g for g in missing) + ")")
            # Read what every caller needs now, so a damaged file fails here, not later. The
            # status first: a live writer sets it after its last rows, so rows read after it hold
            # at least what it says (read the other way, a run could read "finished" with a row short).
            self.status  # noqa: B018
            self.config  # noqa: B018 (parses /config/effective_toml)
            self.episode_arrays  # noqa: B018
        except ResultsError:
            self.close()
            raise
        held = self._plain_error and ("already open" in self._plain_error or "unable to lock" in self._plain_error)
        if self.status != "running" and self._plain_error and not held:
            # Opened only in SWMR mode (which skips HDF5's end-of-file check) yet the run is
            # over: the plain open's failure stands (e.g. a cut copy of a finished run), unless
            # it failed only because the writer still holds the file (it is closing).
            err = self._plain_error
            self.close()
            raise ResultsError(f"{path}: truncated or corrupt HDF5 file ({err})")

    # ------------------------------------------------------------------ life cycle

    def refresh(self):
        """Sees rows a live writer appended since the last read (SWMR), and the new status.

        Datasets are refreshed in place; the file is then reopened because HDF5 1.10 has no
        refresh for the root group's attributes (status can change at the end of the run).
        """
        if self._file is not None:
            try:
                self._file.visititems(lambda _, obj: obj.refresh() if isinstance(obj, h5py.Dataset) else None)
            except (OSError, RuntimeError, ValueError):
                pass  # reopened below anyway
            self._file.close()
        was_running = self._cache.get("status") == "running"  # as last read (status is read on open)
        self._cache.clear()
        # A live writer that is closing its file holds it for a moment in which neither a plain
        # nor a SWMR open succeeds: a run that was running gets a few more tries.
        for attempt in range(LIVE_REOPEN_ATTEMPTS):
            try:
                self._open_file()
                break
            except ResultsError:
                if not was_running or attempt == LIVE_REOPEN_ATTEMPTS - 1:
                    raise
                time.sleep(LIVE_REOPEN_WAIT_S)
        self._check_layout()
        return self

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None
        self._cache.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return (f"<v2g.Run {self.path!r} {self.status} {self.episodes_done}/"
                f"{self.attrs.get('episodes_planned', '?')} episodes>")

    # ------------------------------------------------------------------ low-level access

    @property
    def h5(self):
        """The open h5py.File (read-only, SWMR) for anything this class does not wrap."""
        return self._file

    def has(self, name):
        return self._file is not None and name in self._file

    def _read(self, name, default=None):
        """The dataset `name` as numpy, or `default` when absent; HDF5 failures -> ResultsError."""
        key = ("ds", name)
        if key not in self._cache:
            try:
                obj = self._file.get(name)
                if obj is None:
                    value = default
                elif not isinstance(obj, h5py.Dataset):
                    raise ResultsError(f"{self.path}: /{name} is not a dataset")
                else:
                    value = obj[()]
            except (OSError, RuntimeError, KeyError) as e:
                raise ResultsError(f"{self.path}: cannot read /{name} (truncated or corrupt: {_short(str(e))})") from None
            self._cache[key] = value
        return self._cache[key]

    def _group_arrays(self, group):
        """Every dataset of a group as numpy, cut to the rows that all of them have."""
        try:
            g = self._file.get(group)
            if not isinstance(g, h5py.Group):
                return {}
            names = [name for name, obj in g.items() if isinstance(obj, h5py.Dataset)]
        except (OSError, RuntimeError, KeyError) as e:
            raise ResultsError(f"{self.path}: cannot read /{group} (truncated or corrupt: {_short(str(e))})") from None
        out = {name: self._read(f"{group}/{name}") for name in names}
        rows = [a.shape[0] for a in out.values() if a.ndim >= 1]
        n = min(rows) if rows else 0
        return {k: (v[:n] if v.ndim >= 1 else v) for k, v in out.items()}

    # Where a short name is looked up, in this order: units("reward_mean") is
    # units("episodes/reward_mean").
    UNIT_GROUPS = ("episodes", "vehicles", "evaluation/metrics", "evaluation", "day", "qtables")

    def units(self, name):
        """The `units` attribute of a dataset ('1' for counts and fractions), money in the run's
        currency ("$/vehicle/day"; the file writes the generic "currency/vehicle/day"). `name`
        is a dataset's path ("episodes/reward_mean") or its short name ("reward_mean", found in
        UNIT_GROUPS in order; rejected_price and the other split columns of run.episodes too).
        ResultsError naming the candidates when there is no such dataset."""
        name = name.strip("/")
        split = next((group for group, cols in _SPLIT_COLUMNS.items() if name in cols), None)
        candidates = [name] if "/" in name else [f"{g}/{split or name}" for g in self.UNIT_GROUPS]
        for path in candidates:
            obj = self._file.get(path)
            if isinstance(obj, h5py.Dataset):
                return self.money_units(_plain(obj.attrs.get("units")))
        known = sorted(set(self.episode_arrays) | set(self.episodes.columns))
        raise ResultsError(f"{self.path}: no dataset {name!r} (a path such as 'episodes/reward_mean', or a short "
                           f"name of {', '.join(self.UNIT_GROUPS)}; /episodes has {', '.join(known[:8])}, ...)")

    @property
    def currency(self):
        """What the run's money is counted in: the root attribute `currency` ("$", "EUR"; from
        signals.price_unit), or "currency" for a file that does not say."""
        return self.attrs.get("currency") or "currency"

    def money_units(self, units):
        """`units` with the generic "currency" replaced by the run's currency."""
        return units.replace("currency", self.currency) if isinstance(units, str) else units

    def dataset_attrs(self, name):
        """Every attribute of the object `name` (dataset or group) as plain values; {} when the
        file has no such object (e.g. `definition` and `units` of an /evaluation dataset)."""
        obj = self._file.get(name) if self._file is not None else None
        if obj is None:
            return {}
        try:
            return {k: _plain(v) for k, v in obj.attrs.items()}
        except (OSError, RuntimeError) as e:
            raise ResultsError(f"{self.path}: cannot read the attributes of /{name} ({_short(str(e))})") from None

    # ------------------------------------------------------------------ metadata and config

    @_cached
    def attrs(self):
        """Root attributes as plain Python values (schema_version, device, seed, status, shapes...)."""
        try:
            return {k: _plain(v) for k, v in self._file.attrs.items()}
        except (OSError, RuntimeError) as e:
            raise ResultsError(f"{self.path}: cannot read the root attributes ({_short(str(e))})") from None

    @property
    def schema_version(self):
        return self.attrs.get("schema_version")

    @_cached
    def status(self):
        """`running`, `finished` or `interrupted` (a killed run stays `running`). The writer
        keeps it in the scalar dataset /status (a SWMR reader can refresh a dataset, not an
        attribute); a root attribute `status` is read when that dataset is absent."""
        return _status_of(self._file)

    @property
    def episodes_planned(self):
        return int(self.attrs.get("episodes_planned", 0))

    @property
    def config_text(self):
        """/config/effective_toml: every key after overrides; loads back with `v2g train`."""
        return _text(self._read("config/effective_toml", b""))

    @property
    def input_toml(self):
        """/config/input_toml: the config file as given."""
        return _text(self._read("config/input_toml", b""))

    @_cached
    def config(self):
        """The effective config as a dict of tables, e.g. run.config['learning']['alpha']."""
        text = self.config_text
        if not text:
            raise ResultsError(f"{self.path}: /config/effective_toml is missing or empty")
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ResultsError(f"{self.path}: /config/effective_toml is not valid TOML ({e})") from None

    # ------------------------------------------------------------------ per-episode metrics

    @_cached
    def episode_arrays(self):
        """/episodes as a dict of numpy arrays (rejected stays N x 4)."""
        return self._group_arrays("episodes")

    @property
    def episodes_done(self):
        """Finished episodes whose row every /episodes dataset holds."""
        arrays = self.episode_arrays
        return int(min((a.shape[0] for a in arrays.values()), default=0))

    @_cached
    def episodes(self):
        """/episodes as a pandas DataFrame indexed by episode, one column per dataset; `rejected`
        is split into rejected_energy_cap, rejected_validity, rejected_price, rejected_party.
        `df.attrs["units"]` maps every column to its unit (money in the run's currency)."""
        import pandas as pd  # pandas is slow to import; only tables need it

        cols, units = {}, {}
        arrays = self.episode_arrays
        for name in sorted(k for k in arrays if k != "episode"):
            a = arrays[name]
            unit = self.money_units(_plain(self._file[f"episodes/{name}"].attrs.get("units")))
            if a.ndim == 2 and name in _SPLIT_COLUMNS and a.shape[1] == len(_SPLIT_COLUMNS[name]):
                names = _SPLIT_COLUMNS[name]
            elif a.ndim == 2:
                names = [f"{name}_{i}" for i in range(a.shape[1])]
            else:
                cols[name], units[name] = a, unit
                continue
            for i, col in enumerate(names):
                cols[col], units[col] = a[:, i], unit
        # episode_arrays are cut to the rows every dataset holds: one length for all.
        index = pd.Index(arrays["episode"] if "episode" in arrays else np.arange(self.episodes_done),
                         name="episode")
        df = pd.DataFrame(cols, index=index)
        df.attrs["units"] = units
        return df

    # ------------------------------------------------------------------ per-vehicle, Q-tables

    @_cached
    def vehicles(self):
        """/vehicles as a dict: episode (k), soc_end, soh, reward, unmet_kwh (k x vehicles)."""
        return self._group_arrays("vehicles")

    q_snapshot_episodes = _dataset("qtables/episode", np.int64)

    @property
    def q_snapshots(self):
        """/qtables/q: (snapshots, tables, states, 5) float32; cut to /qtables/episode's rows."""
        q = self._read("qtables/q")
        if q is None:
            return None
        return q[: min(q.shape[0], self.q_snapshot_episodes.shape[0])]

    q_final = _dataset("qtables/final", doc="/qtables/final: (tables, states, 5) after the last episode; None before "
                       "the run ends.")

    def q_dataset(self):
        """/qtables/final as a labelled xarray DataArray (python3-xarray), the state index
        unfolded as the engine folds it (env/qlearning.h state_index): dims (vehicle, community
        or fleet: who owns a table), soc_bin, time_bin, price_level, slack (with
        learning.deadline_levels > 1), cheaper_steps (with learning.forecast_levels > 1),
        action; coordinates soc_low (each bin's lowest SoC), clock_hour (each time bin's start)
        and the action names. ResultsError when the run has no final tables (a DQN run, or one
        still training)."""
        import xarray as xr

        q = self.q_final
        if q is None or q.size == 0:
            raise ResultsError(f"{self.path}: no /qtables/final (a DQN run, or a run still training)")
        cfg = self.config
        learning, t = cfg["learning"], cfg["time"]
        dims, sizes = [{"vehicle": "vehicle", "community": "community", "fleet": "fleet"}[learning["q_sharing"]]], [q.shape[0]]
        for name, key in (("soc_bin", "soc_bins"), ("time_bin", "time_bins"), ("price_level", "price_levels"),
                          ("slack", "deadline_levels"), ("cheaper_steps", "forecast_levels")):
            n = int(learning[key])
            if name in ("soc_bin", "time_bin", "price_level") or n > 1:
                dims.append(name)
                sizes.append(n)
        if int(np.prod(sizes[1:])) != q.shape[1]:
            raise ResultsError(f"{self.path}: /qtables/final has {q.shape[1]} states, its config {int(np.prod(sizes[1:]))}")
        from .vector_env import ACTIONS

        soc_bins, time_bins = int(learning["soc_bins"]), int(learning["time_bins"])
        coords = {"action": ACTIONS[: q.shape[2]],
                  "soc_low": ("soc_bin", np.arange(soc_bins) / soc_bins),
                  "clock_hour": ("time_bin", (float(t["day_start_hour"]) + np.arange(time_bins) * 24.0 / time_bins) % 24)}
        return xr.DataArray(q.reshape(*sizes, q.shape[2]), dims=(*dims, "action"), coords=coords, name="q",
                            attrs={"units": self.money_units("currency"),
                                   "meaning": "the final Q-value of each state and action (docs/RESULTS.md /qtables)"})

    # ------------------------------------------------------------------ ledger

    contracts = _dataset("ledger/contracts", doc="/ledger/contracts: structured array (docs/LEDGER.md contract terms).")
    blocks = _dataset("ledger/blocks", doc="/ledger/blocks: structured array of block headers, genesis first.")
    tx_offset = _dataset("ledger/tx_offset", np.int64)
    tx_stored = _dataset("ledger/tx_stored", np.int64)
    transactions = _dataset("ledger/transactions", doc="/ledger/transactions: structured array of the stored transactions.")

    def block_transactions(self, height):
        """The stored transactions of block `height` (empty when that block kept none)."""
        offset, stored = self.tx_offset, self.tx_stored
        if not -len(offset) <= height < len(offset):
            raise IndexError(f"block {height} out of range: the file has {len(offset)} blocks")
        start, count = int(offset[height]), int(stored[height])
        tx = self.transactions
        if tx is None or count == 0:
            return np.zeros(0, tx.dtype if tx is not None else np.int64)
        return tx[start:start + count]

    # ------------------------------------------------------------------ evaluation (v2g eval)

    @property
    def evaluated(self):
        """Whether `v2g eval` has written /evaluation into the file."""
        return self.has("evaluation")

    @property
    def evaluation(self):
        """The fault-free evaluation as a tidy pandas DataFrame (evaluation_table()): one row per
        policy, day and metric. Empty when the run has not been evaluated (see `evaluated`)."""
        return self.evaluation_table()

    @property
    def evaluation_arrays(self):
        """/evaluation's top-level datasets as a dict of numpy arrays (shapes as written: they
        differ, [policies], [days], [vehicles]), or None when the run has not been evaluated."""
        if not self.has("evaluation"):
            return None
        g = self._file["evaluation"]
        return {name: self._read(f"evaluation/{name}") for name, obj in g.items() if isinstance(obj, h5py.Dataset)}

    @property
    def evaluation_attrs(self):
        """/evaluation's attributes as plain values ({} when not evaluated)."""
        return {k: _plain(v) for k, v in self._file["evaluation"].attrs.items()} if self.has("evaluation") else {}

    @property
    def policies(self):
        """The evaluated policies' names, in the order of every [policies, ...] dataset."""
        names = self._read("evaluation/policies")
        return [] if names is None else [_plain(n) for n in names]

    def evaluation_metrics(self, fault=None):
        """{metric: (array [policies, days], units, definition)} fault-free, or under `fault`."""
        base = "evaluation/metrics" if fault is None else f"evaluation/faults/{fault}/metrics"
        g = self._file.get(base)
        if not isinstance(g, h5py.Group):
            return {}
        return {name: (self._read(f"{base}/{name}"), self.money_units(_plain(obj.attrs.get("units"))),
                       _plain(obj.attrs.get("definition", "")))
                for name, obj in g.items()}

    def evaluation_table(self, fault=None):
        """The evaluation as a tidy pandas DataFrame, one row per (policy, day, metric): columns
        policy, day (0 for the first held-out day), episode (that day's episode index), metric,
        value, unit; fault-free, or under `fault`. Empty (with those columns) when the run has
        not been evaluated. E.g. `run.evaluation.pivot_table("value", "policy", "metric")`."""
        import pandas as pd

        metrics = self.evaluation_metrics(fault)
        first = int(self.evaluation_attrs.get("first_episode", 0))
        rows = []
        for name, (values, unit, _) in metrics.items():
            for p, policy in enumerate(self.policies):
                for d, value in enumerate(values[p]):
                    rows.append((policy, d, first + d, name, float(value), unit))
        return pd.DataFrame(rows, columns=["policy", "day", "episode", "metric", "value", "unit"])

    def evaluation_dataset(self, fault=None):
        """The evaluation as an xarray Dataset (python3-xarray): one variable per metric over the
        dims (policy, episode), its `units` and `definition` in the variable's attrs, the
        /evaluation attributes (score, days, ...) in the Dataset's; fault-free, or under `fault`."""
        import xarray as xr

        metrics = self.evaluation_metrics(fault)
        if not metrics:
            raise ResultsError(f"{self.path}: no /evaluation" + (f" under fault {fault}" if fault else "") +
                               " (run v2g eval first)")
        first = int(self.evaluation_attrs.get("first_episode", 0))
        days = next(iter(metrics.values()))[0].shape[1]
        coords = {"policy": self.policies, "episode": np.arange(first, first + days)}
        data = {name: (("policy", "episode"), values, {"units": unit, "definition": definition})
                for name, (values, unit, definition) in metrics.items()}
        return xr.Dataset(data, coords=coords, attrs=self.evaluation_attrs)

    @property
    def faults(self):
        """{fault: description} of the evaluated fault scenarios."""
        g = self._file.get("evaluation/faults")
        if not isinstance(g, h5py.Group):
            return {}
        return {name: _plain(obj.attrs.get("description", "")) for name, obj in g.items()}

    def evaluation_day(self):
        """/evaluation/day as a dict of numpy arrays ({} when absent)."""
        g = self._file.get("evaluation/day")
        if not isinstance(g, h5py.Group):
            return {}
        return {name: self._read(f"evaluation/day/{name}") for name in g}


def _status_of(f):
    try:
        if isinstance(f.get("status"), h5py.Dataset):
            return _text(f["status"][()]).rstrip("\0 ")
        return _text(f.attrs.get("status", "unknown"))
    except (OSError, RuntimeError, KeyError) as e:
        raise ResultsError(f"{f.filename}: cannot read the run status ({_short(str(e))})") from None


def _text(value):
    value = _plain(value)
    if isinstance(value, np.ndarray):  # a 1-element array of strings
        value = "".join(_text(v) for v in value.tolist())
    return value if isinstance(value, str) else str(value)


def _short(msg):
    """HDF5's messages carry a '(... )' detail list; keep one line."""
    return " ".join(str(msg).split())[:200]


# What a sweep file (`v2g sweep`, `v2g merge`) says it is in its root attribute `kind`.
SWEEP_KINDS = ("v2g-sweep", "v2g-sweep-merged")


def is_sweep_file(path):
    """True for a file `v2g sweep` or `v2g merge` wrote (False for a run's results file)."""
    try:
        with h5py.File(path, "r") as f:
            kind = f.attrs.get("kind", b"")
    except OSError:
        return False
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    return kind in SWEEP_KINDS


def open(path):  # noqa: A001 (the package's public name: v2g.open)
    """Opens a results file for reading (a live run too; see `Run`), or a sweep file written by
    `v2g sweep` or `v2g merge` (a `v2g.sweep.Sweep`: its runs table, parameters and runs)."""
    if is_sweep_file(path):
        from .sweep import Sweep  # pandas: imported only when needed

        return Sweep(path)
    return Run(path)
