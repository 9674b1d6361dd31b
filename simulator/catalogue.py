"""Plausible vendor data chosen by the seed: access grants, KT documents, directive answers."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from vendor.contract import AccessGrant

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


def answer(area: str, text: str, rng: random.Random) -> str:
    """The vendor's answer to a directive in `area`."""
    if area.strip().lower() in VENDOR_AREAS:
        return (
            f"This is ours to decide under the agreed authority ({area}); we will explain our "
            "approach and its trade-offs rather than change it."
        )
    opening = rng.choice(("Agreed", "Understood", "Accepted"))
    return f"{opening}: we will apply this from the next work item ({text[:60]})."
