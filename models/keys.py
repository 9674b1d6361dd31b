"""Deterministic idempotency keys: the same on every attempt of the same side effect."""

from __future__ import annotations


def idempotency_key(trial: str, engagement: int, *parts: str) -> str:
    """`trial:e<engagement>:<part>:...`, e.g. `acme:e1:rung-2:work-item`."""
    return ":".join([trial, f"e{engagement}", *parts])
