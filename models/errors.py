"""The project's exceptions: one base, subclasses where a caller acts differently."""

from __future__ import annotations


class TrialsError(Exception):
    """Base of every error the engine reports to a user.

    The message says what happened, where, and how to fix it; the CLI prints it
    as is and exits with code 1.
    """


class PlanError(TrialsError):
    """A plan file cannot be read, parsed or accepted."""


class NotFoundError(TrialsError):
    """A trial, vendor or other record named by the user does not exist."""


class DuplicateError(TrialsError):
    """A record with the same natural key already exists."""


class TransitionError(TrialsError):
    """A phase change that the pipeline does not allow."""


class ConcurrentChangeError(TrialsError):
    """Another writer changed the record between our read and our write."""


class StoreError(TrialsError):
    """The state store is unreachable or has no schema."""


class SchemaMissingError(StoreError):
    """The store is reachable but its tables have not been created yet."""
