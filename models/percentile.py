"""Percentiles by the nearest-rank method, and when a sample is too small for one.

The p-th percentile of n values is the ceil(p/100 * n)-th smallest (Hyndman and Fan 1996,
definition 1; the "nearest-rank method" in NIST's and most textbooks' terms): always one of
the measured values.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def nearest_rank(values: Sequence[Decimal], percentile: int) -> Decimal:
    """The nearest-rank percentile: the ceil(p/100 * n)-th smallest value (n >= 1)."""
    ordered = sorted(values)
    return ordered[rank(percentile, len(ordered)) - 1]


def fewest_for_percentile(percentile: int) -> int:
    """The fewest values for which the nearest-rank percentile is not simply the largest."""
    return -(-100 // (100 - percentile))


def rank(percentile: int, count: int) -> int:
    """The 1-based rank of the p-th percentile among `count` values (at least 1)."""
    return max(1, -(-percentile * count // 100))
