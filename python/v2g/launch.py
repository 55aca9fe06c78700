"""Launching a training run from Python: `v2g.train(config, out)`.

Owns the config dict -> TOML conversion and the choice of launcher: the pybind11 module
`_v2g` (build/python, or $V2G_PYMODULE_DIR) when it imports, which runs `v2g train` in
process, else the `v2g` binary ($V2G_BIN, build/v2g, or PATH) through subprocess. Both return the run's `--summary` JSON as
a dict; a bad config raises ValueError (CLI exit 2), an engine failure RuntimeError (exit 1),
each with the CLI's one-line message.
"""

import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

from .errors import EXIT_BAD_INPUT

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def to_toml(config):
    """A config dict as TOML. Tables are nested dicts ({"learning": {"alpha": 0.1}}); dotted
    top-level keys ({"learning.alpha": 0.1}) are accepted too."""
    tables = {}
    for key, value in config.items():
        if isinstance(value, dict):
            tables.setdefault(key, {}).update(value)
        elif "." in key:
            group, sub = key.split(".", 1)
            tables.setdefault(group, {})[sub] = value
        else:
            raise ValueError(f"config key {key!r}: expected a table (dict) or group.key")
    lines = []
    for group, keys in tables.items():
        lines.append(f"[{group}]")
        for k, v in keys.items():
            if isinstance(v, dict):
                raise ValueError(f"config key {group}.{k}: nested tables are not config keys")
            lines.append(f"{k} = {_toml_value(v, f'{group}.{k}')}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(v, key):
    if isinstance(v, bool):  # before int: bool is an int
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON's escapes are valid TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, key) for x in v) + "]"
    raise ValueError(f"config key {key}: unsupported value type {type(v).__name__}")


def load_module():
    """The pybind11 module `_v2g`, or None when it is not built."""
    dirs = [os.environ.get("V2G_PYMODULE_DIR"), os.path.join(REPO, "build", "python")]
    for d in [d for d in dirs if d and os.path.isdir(d)]:
        if d not in sys.path:
            sys.path.append(d)
    try:
        return importlib.import_module("_v2g")
    except ImportError:
        return None


def find_binary():
    for cand in (os.environ.get("V2G_BIN"), os.path.join(REPO, "build", "v2g"), shutil.which("v2g")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("the v2g binary was not found: build it (scripts/build.sh) or set V2G_BIN")


def train(config, out=None, device=None, quiet=True, launcher="auto", args=(), force=False):
    """Trains one run and returns its summary (the `--summary` JSON) as a dict.

    config: a dict of tables, or the path of a TOML file. out: the HDF5 results file
    (`--out`), or None for none; an existing file raises ValueError unless force=True
    (`--force`: replace it). device: "auto", "cpu" or "cuda" (`--device`); None: the config's
    run.device, as `v2g train`. launcher: "auto" (module, else binary), "module" or
    "binary". args: extra CLI flags, e.g. ["--episodes", "50"]. Errors name the config file
    you gave (or "<config dict>"), never a temporary file.
    """
    if launcher not in ("auto", "module", "binary"):
        raise ValueError(f"launcher must be auto, module or binary, not {launcher!r}")
    module = load_module() if launcher in ("auto", "module") else None
    if launcher == "module" and module is None:
        raise ImportError("the _v2g module is not built (cmake -DV2G_PYTHON=ON; see python/README.md)")
    if isinstance(config, (str, os.PathLike)):
        source = os.fspath(config)
        with open(source, encoding="utf-8") as fh:
            text = fh.read()
    else:
        source, text = "<config dict>", to_toml(config)
    out = os.fspath(out) if out is not None else ""
    device = "" if device is None else str(device)
    args = [str(a) for a in args] + (["--force"] if force else [])
    if module is not None:
        summary = module.train_toml(text, out, device, bool(quiet), args, source)
    else:
        summary = _train_binary(text, out, device, quiet, args, source)
    if out:
        summary["results_path"] = out
    return summary


def _train_binary(text, out, device, quiet, args, source):
    binary = find_binary()
    with tempfile.TemporaryDirectory(prefix="v2g-train-") as tmp:
        cfg, js = os.path.join(tmp, "config.toml"), os.path.join(tmp, "summary.json")
        with open(cfg, "w", encoding="utf-8") as fh:
            fh.write(text)
        cmd = [binary, "train", cfg, "--summary", js] + (["--device", device] if device else [])
        if out:
            cmd += ["--out", out]
        if quiet:
            cmd.append("--quiet")
        cmd += [str(a) for a in args]
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise _cli_error(p.returncode, p.stderr.replace(cfg, source))
        with open(js, encoding="utf-8") as fh:
            return json.load(fh)


def _cli_error(status, stderr):
    """The CLI's one error line as ValueError (exit 2: bad input) or RuntimeError (else)."""
    lines = [ln for ln in stderr.splitlines() if ln.startswith("v2g")] or stderr.strip().splitlines() or [""]
    msg = lines[-1] or f"v2g train exited with status {status}"
    return ValueError(msg) if status == EXIT_BAD_INPUT else RuntimeError(msg)
