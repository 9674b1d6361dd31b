"""The tags a trial's flow runs carry in Prefect: to filter by in the UI, and to find a
trial's runs by."""

from __future__ import annotations


def trial_tag(slug: str) -> str:
    """The tag of every flow run of the trial."""
    return f"trial:{slug}"


def vendor_tag(vendor: str) -> str:
    """The tag of every flow run of a trial with that vendor."""
    return f"vendor:{vendor}"


def phase_tag(phase: str) -> str:
    """The tag of a phase's flow run."""
    return f"phase:{phase}"
