"""Exceptions of the v2g package: one class per kind of bad input, each with one clear line; and
the exit statuses every v2g command shares, the engine's (common/errors.h kExitFailure,
kExitBadInput; the _v2g module exports them, tests/test_python_results.py checks they agree).
`python3 -m v2g` exits with them; v2g.train maps them to exceptions (launch.py)."""

EXIT_OK = 0
EXIT_FAILURE = 1      # a failed check or an internal error: RuntimeError from v2g.train
EXIT_BAD_INPUT = 2    # the user's input is at fault (one line naming it): ValueError


class ResultsError(ValueError):
    """A file that is not a readable v2g results file: not HDF5, truncated or corrupt, a newer
    schema major version than this reader, or missing required groups."""
