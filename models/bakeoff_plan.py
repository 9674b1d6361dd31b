"""A bake-off plan: two or more vendors on one shared ladder, expanded into one trial plan each.

A bake-off file is a trial plan with `bakeoff: ID` in place of `trial:` and a `vendors:`
list in place of `vendor:`. What makes the comparison fair is written once, at the top,
and shared: the ladder, the expectations and their weights, the gates, the exit plan and
the expansion. Each vendor names its API and token, and may name its own rate card,
authority split and budget where they differ. Pure: `vendor_plans` gives each vendor's
ordinary plan as plain values, for `models.plan.Plan` to check.
"""

from __future__ import annotations

import re
from typing import Any

from models.findings import Finding, Path, error
from models.plan_fields import SLUG_PATTERN

# What each vendor may set for itself; everything else is shared by every vendor.
VENDOR_OWN = ("rate_card", "authority", "budget")
VENDOR_KEYS = ("id", "name", "api", *VENDOR_OWN)
# Sections that define the terms of the comparison: never set per vendor.
SHARED_TERMS = ("expectations", "pilot", "gates", "exit_plan", "expansion", "currency", "calendar")
VENDOR_EXAMPLE = (
    "{id: acme, name: Acme Managed Services, api: {base_url: 'https://api.acme.example', "
    "token: {env: ACME_API_TOKEN}}}"
)


def is_bakeoff(document: object) -> bool:
    """Whether a plan file's values are a bake-off (it has `bakeoff:` or `vendors:`)."""
    return isinstance(document, dict) and ("bakeoff" in document or "vendors" in document)


def trial_slug(bakeoff: str, vendor: str) -> str:
    """The slug of vendor `vendor`'s trial in bake-off `bakeoff`: `BAKEOFF-VENDOR`."""
    return f"{bakeoff}-{vendor}"


def bakeoff_findings(document: dict[str, Any]) -> list[Finding]:
    """What stops a bake-off file from expanding into fair per-vendor plans.

    Refused: a missing `bakeoff:` id, `trial:` or `vendor:` written as for one trial, a
    shared `redmine:` section (the vendors would share one project), fewer
    than two vendors, a vendor that is not a mapping or sets a shared term, duplicate vendor
    ids, two vendors on the same API base URL and token, and a vendor whose rate card lacks
    a role the shared ladder uses.
    """
    findings = _header(document)
    if "redmine" in document:
        findings.append(
            error(
                ("redmine",),
                "a bake-off cannot share a redmine: section yet: every vendor would work in "
                "the same Redmine project, and their issues, time and files would mix",
                "run each Redmine vendor's trial on its own with `trials run`, or compare "
                "vendors that serve the Vendor Work API",
            )
        )
    vendors = document.get("vendors")
    if not isinstance(vendors, list) or len(vendors) < 2:
        count = len(vendors) if isinstance(vendors, list) else 0
        findings.append(
            error(
                ("vendors",),
                f"a bake-off compares two or more vendors; this one names {count}",
                f"list each vendor under vendors:, e.g. - {VENDOR_EXAMPLE}; "
                "for one vendor write an ordinary trial plan",
            )
        )
        return findings
    for index, vendor in enumerate(vendors):
        findings += _vendor_shape(index, vendor)
    if findings:
        return findings
    findings += _distinct(vendors)
    findings += _rate_cards(document, vendors)
    return findings


def vendor_plans(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each vendor's ordinary trial plan, as plain values, by vendor id.

    The shared sections are the same objects in every plan; the vendor's own rate card,
    authority and budget replace the shared ones. Call after `bakeoff_findings` is clean.
    """
    shared = {k: v for k, v in document.items() if k not in ("bakeoff", "vendors")}
    plans: dict[str, dict[str, Any]] = {}
    for vendor in document["vendors"]:
        own = {key: vendor[key] for key in VENDOR_OWN if key in vendor}
        plans[vendor["id"]] = {
            **shared,
            "trial": trial_slug(str(document["bakeoff"]), vendor["id"]),
            "vendor": {"name": vendor.get("name"), "api": vendor.get("api")},
            **own,
        }
    return plans


def bakeoff_path(document: dict[str, Any], vendor: str, path: Path) -> Path:
    """Where, in the bake-off file, a finding about vendor `vendor`'s plan at `path` is."""
    index = next(n for n, v in enumerate(document["vendors"]) if v["id"] == vendor)
    head, rest = (path[0], path[1:]) if path else ("", ())
    if head == "trial":
        return ("bakeoff",)
    if head == "vendor":
        return ("vendors", index, *rest)
    if head in VENDOR_OWN and head in document["vendors"][index]:
        return ("vendors", index, head, *rest)
    return path


def _header(document: dict[str, Any]) -> list[Finding]:
    """The bake-off's own id, and no single-trial keys beside it."""
    findings: list[Finding] = []
    bakeoff = document.get("bakeoff")
    if not isinstance(bakeoff, str) or not re.match(SLUG_PATTERN, bakeoff):
        findings.append(
            error(
                ("bakeoff",),
                "a bake-off needs an id: lowercase letters, digits and hyphens"
                + ("" if bakeoff is None else f", not {bakeoff!r}"),
                "add bakeoff: helpdesk-2027q1 at the top; each vendor's trial is named "
                "BAKEOFF-VENDOR",
            )
        )
    for key, instead in (("trial", "bakeoff: ID"), ("vendor", "vendors: [...]")):
        if key in document:
            findings.append(
                error(
                    (key,),
                    f"'{key}' names one trial's {key}; a bake-off names them for every vendor",
                    f"write {instead} instead, or remove 'vendors' to make this a one-vendor plan",
                )
            )
    return findings


def _vendor_shape(index: int, vendor: object) -> list[Finding]:
    """A vendor entry is a mapping of its own keys; shared terms are refused by name."""
    at: Path = ("vendors", index)
    if not isinstance(vendor, dict):
        return [error(at, "each vendor is a mapping", f"write - {VENDOR_EXAMPLE}")]
    findings: list[Finding] = []
    if not isinstance(vendor.get("id"), str) or not re.match(SLUG_PATTERN, vendor["id"]):
        findings.append(
            error(
                (*at, "id"),
                "each vendor needs an id of lowercase letters, digits and hyphens",
                "add id: acme; the vendor's trial is named BAKEOFF-acme",
            )
        )
    for key in vendor:
        if key in SHARED_TERMS:
            findings.append(
                error(
                    (*at, key),
                    f"vendors are compared on the same terms: '{key}' is shared by every "
                    "vendor of a bake-off, so one vendor cannot have its own",
                    f"move '{key}' to the top level for every vendor, or run this vendor in "
                    "a trial of its own",
                )
            )
        elif key not in VENDOR_KEYS:
            findings.append(
                error(
                    (*at, key),
                    f"unknown key '{key}' for a vendor",
                    f"allowed here: {', '.join(VENDOR_KEYS)}",
                )
            )
    return findings


def _distinct(vendors: list[dict[str, Any]]) -> list[Finding]:
    """No two vendors share an id, or an API base URL with the same token."""
    findings: list[Finding] = []
    ids: dict[str, int] = {}
    apis: dict[tuple[str, str], int] = {}
    for index, vendor in enumerate(vendors):
        if (first := ids.setdefault(vendor["id"], index)) != index:
            findings.append(
                error(
                    ("vendors", index, "id"),
                    f"vendor id '{vendor['id']}' is used twice (vendors[{first}] and "
                    f"vendors[{index}])",
                    "give each vendor its own id",
                )
            )
        api = vendor.get("api")
        if isinstance(api, dict) and api.get("base_url") is not None:
            key = (str(api["base_url"]).rstrip("/"), repr(api.get("token")))
            if (first := apis.setdefault(key, index)) != index:
                findings.append(
                    error(
                        ("vendors", index, "api"),
                        f"vendors '{vendors[first]['id']}' and '{vendor['id']}' use the same "
                        f"API ({key[0]}) with the same token, so their work would mix",
                        "give each vendor its own API address or its own token",
                    )
                )
    return findings


def _rate_cards(document: dict[str, Any], vendors: list[dict[str, Any]]) -> list[Finding]:
    """Every vendor's rate card prices every role the shared ladder uses."""
    used = _ladder_roles(document)
    findings: list[Finding] = []
    for index, vendor in enumerate(vendors):
        card = vendor.get("rate_card", document.get("rate_card"))
        if not isinstance(card, dict):
            findings.append(
                error(
                    ("vendors", index, "rate_card"),
                    f"vendor '{vendor['id']}' has no rate card, and the bake-off has no shared one",
                    "add rate_card: {engineer: 95, lead: 140} to the vendor or at the top level",
                )
            )
            continue
        missing = [role for role in used if role not in card]
        if missing:
            at: Path = ("vendors", index, "rate_card") if "rate_card" in vendor else ("rate_card",)
            findings.append(
                error(
                    at,
                    f"vendor '{vendor['id']}' has no rate for {', '.join(missing)}, which the "
                    "shared ladder uses",
                    f"add {', '.join(f'{r}: RATE' for r in missing)} to its rate card",
                )
            )
    return findings


def _ladder_roles(document: dict[str, Any]) -> list[str]:
    """The roles the shared ladders (pilot and expansion) book hours for, in order."""
    rungs = [*_list(document.get("pilot"))]  # a copy; other shapes: the plan check's
    expansion = document.get("expansion")
    if isinstance(expansion, dict):
        rungs += _list(expansion.get("pilot"))
    roles: dict[str, None] = {}
    for rung in rungs:
        hours = rung.get("hours") if isinstance(rung, dict) else None
        if isinstance(hours, dict):
            roles.update(dict.fromkeys(str(role) for role in hours))
    return list(roles)


def _list(value: object) -> list[Any]:
    """`value` if it is a list, else nothing."""
    return value if isinstance(value, list) else []
