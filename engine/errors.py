"""Errors the user can fix (bad input, missing files); anything else is a failure of the engine."""
from __future__ import annotations


class UserError(ValueError):
    """A problem with what the user asked for, reported as one line without a traceback."""


class EngineFailure(RuntimeError):
    """A request that failed inside the engine: out of memory or internal (`kind`, a FailureKind)."""

    def __init__(self, message: str, kind, details: str = "") -> None:
        super().__init__(message)
        self.kind, self.details = kind, details


class JobCancelled(RuntimeError):
    """A request stopped by its cancel token before it finished."""
