"""Reading a sweep file (`v2g sweep --out`, or `v2g merge` over shards; docs/SWEEPS.md):
`v2g.sweep.open_sweep(path)` -> `Sweep`.

Owns: the runs table as a pandas DataFrame (strings decoded, one row per configuration), which
of its columns are swept parameters and which are metrics, and the path of each run's own
results file (an HDF5 external link in the sweep file, resolved here so `v2g.open` reads it).
"""

import errno
import os
import tomllib

import h5py
import numpy as np
import pandas as pd

from .errors import ResultsError
from .run import SWEEP_KINDS, Run, is_sweep_file  # noqa: F401 (is_sweep_file: v2g.sweep's too)

SWEEP_SCHEMA_MAJOR = 1
# The runs table's columns that are neither swept parameters nor metrics (docs/SWEEPS.md).
ID_COLUMNS = ("id", "index")
STATUS_COLUMNS = ("status", "episodes_done")


class Sweep:
    """A sweep file: its runs table, its parameters, and its runs' results files."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(errno.ENOENT, "no such sweep file", self.path)
        if not h5py.is_hdf5(self.path):
            raise ResultsError(f"{self.path}: not an HDF5 file (no HDF5 signature)")
        with h5py.File(self.path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            if attrs.get("kind") not in SWEEP_KINDS:
                raise ResultsError(f"{self.path}: not a v2g sweep file (written by v2g sweep or v2g merge)")
            major = int(str(attrs.get("sweep_schema_version", "0.0")).split(".")[0])
            if major > SWEEP_SCHEMA_MAJOR:
                raise ResultsError(f"{self.path}: sweep schema {attrs['sweep_schema_version']} is newer than "
                                   f"this reader ({SWEEP_SCHEMA_MAJOR}.x): upgrade v2g")
            # A merged file's rows live in its shards' files; HDF5 reads a missing one as zeros.
            base_dir = os.path.dirname(os.path.abspath(self.path))
            for name in ("runs", "timing"):
                d = f.get(name)
                if d is not None and d.is_virtual:
                    for source in d.virtual_sources():
                        shard = os.path.join(base_dir, source.file_name)
                        if not os.path.exists(shard):
                            raise ResultsError(f"{self.path}: its shard {source.file_name} is missing "
                                               "(moved or deleted; merge again)")
            try:
                table = f["runs"][()]
                timing = f["timing"][()]
            except (KeyError, OSError) as e:
                raise ResultsError(f"{self.path}: cannot read the runs table ({e})") from None
            self.sweep_toml = f["sweep_toml"][()].decode()
            self.base_toml = f["base_toml"][()].decode()
            links = {}
            group = f.get("run")
            if group is not None:
                for name in group:
                    link = group.get(name, getlink=True)
                    if isinstance(link, h5py.ExternalLink):
                        links[name] = link.filename
        self.attrs = attrs
        self.name = attrs.get("name", "")
        self.evaluate = attrs.get("evaluate") == "true"
        self.runs = _frame(table)
        self.timing = _frame(timing)
        names = list(self.runs.columns)
        first, last = names.index("index") + 1, names.index("status")
        self.parameters = names[first:last]        # swept keys, in the sweep's order
        self.metrics = names[last + len(STATUS_COLUMNS):]
        base = os.path.dirname(os.path.abspath(self.path))
        self._paths = {k: os.path.normpath(os.path.join(base, v)) for k, v in links.items()}

    @property
    def sweep(self):
        """The sweep file as a dict (tomllib)."""
        return tomllib.loads(self.sweep_toml)

    def run_path(self, run_id):
        """The results file of configuration `run_id` (KeyError when it was never started)."""
        return self._paths[run_id]

    def run(self, run_id):
        """That configuration's results as a `v2g.Run`."""
        return Run(self.run_path(run_id))

    def run_ids(self):
        """The ids whose results files exist, in configuration order."""
        return [i for i in self.runs["id"] if i in self._paths and os.path.exists(self._paths[i])]

    def config_of(self, run_id):
        """The effective config of one configuration, as a dict (from its results file)."""
        with self.run(run_id) as r:
            return r.config


def _frame(table):
    """A compound array as a DataFrame with bytes decoded to str."""
    df = pd.DataFrame.from_records(table) if len(table) else pd.DataFrame(columns=list(table.dtype.names))
    for name in table.dtype.names:
        if table.dtype[name].kind == "S":
            df[name] = [v.decode("utf-8", "replace") for v in table[name]] if len(table) else []
        elif table.dtype[name].kind == "f":
            df[name] = np.asarray(table[name], float)
    return df


def open_sweep(path):
    """Opens a sweep file (docs/SWEEPS.md)."""
    return Sweep(path)
