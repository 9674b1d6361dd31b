"""The store's failures as messages a user can act on; the password is never shown."""

from __future__ import annotations

from urllib.parse import urlsplit

from models.errors import SchemaMissingError, StoreError


def shown(url: str) -> str:
    """The URL with its password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def unreachable(url: str, detail: object) -> StoreError:
    """The store cannot be used at all."""
    return StoreError(
        f"Cannot use the state store at {shown(url)}: {_one_line(detail)} Check that the "
        "database is running and reachable, or set TRIALS_DATABASE_URL to one that is."
    )


def _one_line(detail: object) -> str:
    """A driver's multi-line message as one sentence."""
    text = " ".join(str(detail).split())
    return text if text.endswith((".", "?", "!")) else f"{text}."


def no_schema(url: str) -> SchemaMissingError:
    """The store is there but has no tables."""
    return SchemaMissingError(
        f"The state store at {shown(url)} has no tables yet. Run `trials db upgrade` "
        "(or `trials create PLAN`, which does it for you)."
    )
