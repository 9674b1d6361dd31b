"""Plausible vendor data chosen by the seed: access grants, KT documents, directive answers."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from adapters.contract import AccessGrant, DirectiveOutcome

SYSTEMS = (
    ("Active Directory", "helpdesk-operators group"),
    ("Microsoft 365 admin centre", "user and mailbox administration"),
    ("ServiceNow", "incident queue: assign and resolve"),
    ("Corporate VPN", "remote access, support subnet"),
    ("AWS console", "read-only, production account"),
    ("Jamf Pro", "device enrolment and scripts"),
)
DOCUMENT_TITLES = (
    "Runbook: password resets and account unlocks",
    "Architecture overview of the supported estate",
    "Escalation paths and contacts",
    "Known issues and workarounds",
    "Monitoring and alert handling",
)
# Areas that are usually the vendor's call: directives there meet polite push-back.
VENDOR_AREAS = {"tooling", "staffing", "implementation approach", "implementation", "methods"}


def slug(text: str) -> str:
    """A lowercase, dash-separated form of a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def access_grants(
    rng: random.Random, vendor: str, ids: list[str], before: datetime
) -> list[AccessGrant]:
    """The grants a vendor holds at the start of a trial, one per id."""
    principal = f"svc-{slug(vendor)}@client.example"
    chosen = rng.sample(SYSTEMS, len(ids))
    return [
        AccessGrant(
            id=grant_id,
            system=system,
            principal=principal,
            scope=scope,
            granted_at=before - timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 23)),
        )
        for grant_id, (system, scope) in zip(ids, chosen, strict=True)
    ]


def document_titles(rng: random.Random) -> list[str]:
    """The knowledge-transfer documents a vendor has written, in a seeded order."""
    return rng.sample(DOCUMENT_TITLES, len(DOCUMENT_TITLES))


def is_vendor_area(area: str) -> bool:
    """Whether the simulated vendor holds `area` to be its own call."""
    return area.strip().lower() in VENDOR_AREAS


def answer(area: str, text: str, rng: random.Random, earlier: int) -> tuple[DirectiveOutcome, str]:
    """The vendor's answer to a directive in `area`, after `earlier` directives there.

    In its own areas the vendor pushes back the first time, with its reason; when the
    client insists with another directive there, it complies, saying what that risks.
    """
    if is_vendor_area(area) and earlier == 0:
        return DirectiveOutcome.PUSHED_BACK, (
            f"This is ours to decide under the agreed authority ({area}); we will explain our "
            "approach and its trade-offs rather than change it."
        )
    if is_vendor_area(area):
        return DirectiveOutcome.ACCEPTED, (
            f"We will do it your way, as instructed again ({text[:60]}); {area} is ours under "
            "the agreed authority, and we cannot answer for the targets that depend on it."
        )
    opening = rng.choice(("Agreed", "Understood", "Accepted"))
    return DirectiveOutcome.ACCEPTED, (
        f"{opening}: we will apply this from the next work item ({text[:60]})."
    )
