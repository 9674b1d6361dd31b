"""The vendor profiles: how fast, how well and how honestly each one works."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from adapters.contract import ExpectationTerms
from models.acceptance import review_range
from simulator.config import ProfileName

HOUR_PLACES = Decimal("0.01")  # timesheets book hours to the hundredth
# Which side of the target is better, for each comparator the engine sends.
BETTER_SIDE = {"<=": -1, "<": -1, ">=": 1, ">": 1, "==": 0}


@dataclass(frozen=True)
class Profile:
    """One vendor behaviour; randomness in it comes from the seed."""

    name: ProfileName
    vendor: str
    delivery: tuple[float, float]  # delivered at this fraction of the due days
    cost_factor: float  # hours billed per hour estimated
    meets_targets: bool
    export_days: float = 0.25  # simulated days until a data export is ready
    faults: bool = False
    ghost: bool = False
    hostile_exit: bool = False


PROFILES = {
    p.name: p
    for p in (
        Profile(ProfileName.RELIABLE, "Steady State Services", (0.6, 0.8), 0.95, True),
        Profile(ProfileName.OVERRUNNER, "Gold Plate Consulting", (0.7, 0.9), 1.4, True),
        Profile(ProfileName.POOR, "Corner Cut IT", (1.2, 1.5), 1.05, False),
        Profile(ProfileName.FLAKY, "Intermittent Systems", (0.6, 0.9), 1.0, True, faults=True),
        Profile(ProfileName.GHOST, "Vanishing Point Ltd", (0.6, 0.8), 1.0, True, ghost=True),
        Profile(
            ProfileName.HOSTILE_EXIT,
            "Lock-In Logic",
            (0.6, 0.8),
            1.0,
            True,
            export_days=3.0,
            hostile_exit=True,
        ),
    )
}


def metric_value(profile: Profile, terms: ExpectationTerms, rng: random.Random) -> Decimal:
    """A measurement of `terms.metric`: 10-30% on the profile's side of the target, within
    its unit's scale (a satisfaction in "points of 5" stays at most 5)."""
    target = terms.target
    margin = Decimal(str(round(rng.uniform(0.1, 0.3), 2)))
    delta = (abs(target) or Decimal(1)) * margin
    side = BETTER_SIDE.get(terms.comparator, 0)
    if side == 0:
        value = target if profile.meets_targets else target + delta
    else:
        value = target + delta * (side if profile.meets_targets else -side)
    scale = review_range(terms.unit)
    if scale is not None:
        value = min(max(value, scale[0]), scale[1])
    places = min(int(target.as_tuple().exponent), 0) - 2
    return rounded(value, Decimal(1).scaleb(places))


def billed_hours(profile: Profile, hours: Decimal, rng: random.Random) -> Decimal:
    """Hours the vendor books for `hours` estimated: the cost factor, give or take 2%."""
    factor = Decimal(str(round(profile.cost_factor * rng.uniform(0.98, 1.02), 4)))
    return rounded(hours * factor, HOUR_PLACES)


def delivery_fraction(profile: Profile, rng: random.Random) -> float:
    """At which fraction of its due days a work item is delivered."""
    return rng.uniform(*profile.delivery)


def rounded(value: Decimal, exponent: Decimal) -> Decimal:
    """`value` to the exponent's places, or as is when it has too many digits for that."""
    try:
        return value.quantize(exponent)
    except InvalidOperation:
        return value
