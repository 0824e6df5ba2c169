"""cpgeo's exceptions."""

from __future__ import annotations


class InputError(ValueError):
    """Input data that cpgeo cannot use: the message names the file, row and column."""


class SolverError(RuntimeError):
    """An optimisation model that the solver could not solve."""


class NetworkUnavailableError(ConnectionError):
    """An online source was asked for but cannot be reached (cpgeo works offline otherwise)."""
