"""The plan's adapter checked against the rest of the plan: a Redmine trial says which
project and how its activities map to the rate card, and only a ticketing system's trial
measures expectations from tickets."""

from __future__ import annotations

from models.findings import Finding, Path, error
from models.plan import Expectation, Plan, Source
from models.ticket_metrics import ticket_metric

REDMINE = "redmine"
# Adapters whose vendor system holds tickets the engine measures itself.
TICKET_SYSTEMS = {REDMINE}
# Adapters whose vendor sends no webhooks: the monitor asks them what changed.
POLLED = {REDMINE}
# Adapters whose vendor reports no metrics of its own (Redmine has none).
NO_VENDOR_METRICS = {REDMINE}
# The unit a ticket metric's name ends in, and how a plan writes it.
_UNITS = {"minutes": "minutes", "hours": "hours", "percent": "percent", "tickets": "tickets"}


def adapter_findings(plan: Plan) -> list[Finding]:
    """An error for each place the plan's adapter and the rest of the plan disagree."""
    adapter = plan.vendor.api.adapter
    findings: list[Finding] = []
    if adapter == REDMINE and plan.redmine is None:
        findings.append(
            error(
                ("vendor", "api", "adapter"),
                "the redmine adapter needs a redmine: section",
                "add redmine: {project: IDENTIFIER, vendor_staff: [LOGIN], "
                "activities: {Development: ROLE}} (see the README's Redmine section)",
            )
        )
    if plan.redmine is not None and adapter != REDMINE:
        findings.append(
            error(
                ("redmine",),
                f"a redmine: section, but the vendor is reached with the {adapter} adapter",
                "set vendor.api.adapter: redmine, or remove the redmine: section",
            )
        )
    if plan.redmine is not None:
        findings += _activities(plan)
    findings += _expectations(plan.expectations, adapter, ())
    if plan.expansion is not None:
        findings += _expectations(plan.expansion.expectations, adapter, ("expansion",))
    return findings


def _activities(plan: Plan) -> list[Finding]:
    """Every activity prices at a rate-card role; every role a rung uses has an activity."""
    assert plan.redmine is not None
    findings = []
    roles = set(plan.rate_card)
    for activity, role in plan.redmine.activities.items():
        if role not in roles:
            findings.append(
                error(
                    ("redmine", "activities", activity),
                    f"activity '{activity}' is priced as '{role}', which the rate card lacks",
                    f"use one of the rate card's roles: {', '.join(sorted(roles))}",
                )
            )
    ladders = [plan.pilot, *([plan.expansion.pilot] if plan.expansion else [])]
    used = {role for ladder in ladders for rung in ladder for role in rung.hours}
    unmapped = sorted(used - set(plan.redmine.activities.values()))
    if unmapped:
        findings.append(
            error(
                ("redmine", "activities"),
                f"no time-entry activity is priced as {', '.join(unmapped)}, which the ladder's "
                "rungs use: the vendor's hours in that role could not be read",
                f"map a Redmine activity to each, e.g. activities: {{Development: {unmapped[0]}}}",
            )
        )
    return findings


def _expectations(expectations: list[Expectation], adapter: str, at: Path) -> list[Finding]:
    """Tickets only from a ticketing system; vendor metrics only from a vendor that has them."""
    findings = []
    for i, exp in enumerate(expectations):
        here = (*at, "expectations", i)
        if exp.source is Source.TICKETS and adapter not in TICKET_SYSTEMS:
            findings.append(
                error(
                    (*here, "source"),
                    f"expectation '{exp.id}' is measured from tickets, but the {adapter} "
                    "adapter reads no ticketing system",
                    "use source: vendor_metrics, or reach the vendor with adapter: redmine",
                )
            )
        elif exp.source is Source.VENDOR_METRICS and adapter in NO_VENDOR_METRICS:
            findings.append(
                error(
                    (*here, "source"),
                    f"expectation '{exp.id}' is vendor-reported, but {adapter} reports no "
                    "metrics of its own",
                    "use source: tickets (measured from the project's tickets), "
                    "deliverables or client_review",
                )
            )
        if exp.source is Source.TICKETS:
            try:
                ticket_metric(exp.metric)
            except ValueError as exc:
                findings.append(error((*here, "metric"), str(exc)))
                continue
            unit = _UNITS[exp.metric.rsplit("_", 1)[1]]
            if exp.unit.strip().lower() != unit:
                findings.append(
                    error(
                        (*here, "unit"),
                        f"expectation '{exp.id}' measures {exp.metric} in {unit}, not {exp.unit}",
                        f"write unit: {unit}",
                    )
                )
        elif exp.targets_by_priority is not None:
            findings.append(
                error(
                    (*here, "targets_by_priority"),
                    f"expectation '{exp.id}' has targets by ticket priority, but its value "
                    f"comes from {exp.source}, not from tickets",
                    "remove targets_by_priority, or set source: tickets",
                )
            )
    return findings
