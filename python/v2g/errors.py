"""Exceptions of the v2g package: one class per kind of bad input, each with one clear line."""


class ResultsError(ValueError):
    """A file that is not a readable v2g results file: not HDF5, truncated or corrupt, a newer
    schema major version than this reader, or missing required groups."""
