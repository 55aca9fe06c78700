"""v2g: read, plot, watch and launch v2g training runs from Python.

    import v2g
    run = v2g.open("RUN.h5")            # a finished, live or killed run (SWMR read)
    run.episodes                        # pandas DataFrame, one row per episode
    v2g.plot.plot_all(run, "figs")      # every figure; returns the written paths
    v2g.train({"run": {"episodes": 50}}, "RUN.h5")   # pybind11 module or the v2g binary
    env = v2g.VectorEnv("experiments/paper.toml")    # your own agent: docs/VECTOR_ENV.md

Layout of the file: docs/RESULTS.md (schema 1.x). Bad input raises FileNotFoundError or
v2g.ResultsError (a ValueError) with one clear message.
"""

from .errors import ResultsError
from .run import SCHEMA_MAJOR, SCHEMA_MINOR, Run, open  # noqa: A004
from .launch import train
from .vector_env import VectorEnv
from .evaluation import evaluate

__version__ = "0.1.0"
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
__all__ = ["open", "Run", "ResultsError", "train", "VectorEnv", "evaluate", "plot", "SCHEMA_VERSION"]


def __getattr__(name):
    # v2g.plot imports matplotlib (slow): only on first use.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'v2g' has no attribute {name!r}")
