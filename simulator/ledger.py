"""The side-effect ledger: what was done under each idempotency key and client reference."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from simulator.errors import ProblemError


class EffectKind(StrEnum):
    """The kinds of side effect a client can cause at the vendor."""

    WORK_ITEMS = "work_items"
    REVOCATIONS = "revocations"
    EXPORTS = "exports"
    DIRECTIVES = "directives"
    ACKS = "acks"


@dataclass
class KeyEntry:
    """The first request done under an idempotency key, and how often it was sent."""

    method: str
    path: str
    body_sha256: str
    effect_id: str
    attempts: int = 1


@dataclass
class RefEntry:
    """Every effect created for one client reference."""

    kind: str
    creations: int = 0
    ids: list[str] = field(default_factory=list)


def body_sha256(body: BaseModel | None) -> str:
    """A fingerprint of a request body that ignores key order and whitespace."""
    data = body.model_dump(mode="json") if body is not None else None
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class Ledger:
    """Attempts per key, creations per client reference, and effects by kind."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyEntry] = {}
        self.refs: dict[str, RefEntry] = {}
        self.effects: Counter[str] = Counter({kind.value: 0 for kind in EffectKind})

    def seen(self, key: str, method: str, path: str, body: BaseModel | None) -> KeyEntry | None:
        """The entry of an earlier request under `key`, counting this attempt; None if new."""
        entry = self.keys.get(key)
        if entry is None:
            return None
        if (entry.method, entry.path, entry.body_sha256) != (method, path, body_sha256(body)):
            raise ProblemError(
                422,
                f"Idempotency-Key {key!r} was first used for {entry.method} {entry.path} with "
                "another body; send a new key for a different request.",
            )
        entry.attempts += 1
        return entry

    def remember(
        self, key: str, method: str, path: str, body: BaseModel | None, effect_id: str
    ) -> None:
        """Record the first request under `key` that succeeded, and its effect."""
        self.keys[key] = KeyEntry(method, path, body_sha256(body), effect_id=effect_id)

    def count(self, kind: EffectKind, effect_id: str, client_ref: str | None = None) -> None:
        """Record that an effect really happened."""
        self.effects[kind.value] += 1
        if client_ref is not None:
            entry = self.refs.setdefault(client_ref, RefEntry(kind.value))
            entry.creations += 1
            entry.ids.append(effect_id)

    def once(
        self,
        *,
        key: str | None,
        request: tuple[str, str, BaseModel | None],
        kind: EffectKind,
        client_ref: str | None,
        create: Callable[[], str],
    ) -> tuple[str, bool]:
        """Create an effect at most once per key: its id, and whether this was a replay.

        A request that fails leaves no trace, so the key can be reused once it is fixed.
        """
        if key is not None:
            earlier = self.seen(key, *request)
            if earlier is not None:
                return earlier.effect_id, True
        effect_id = create()
        if key is not None:
            self.remember(key, *request, effect_id)
        self.count(kind, effect_id, client_ref)
        return effect_id, False

    def snapshot(self) -> dict[str, Any]:
        """The ledger as plain JSON data."""
        return {
            "keys": {key: asdict(entry) for key, entry in self.keys.items()},
            "client_refs": {ref: asdict(entry) for ref, entry in self.refs.items()},
            "effects": dict(self.effects),
        }
