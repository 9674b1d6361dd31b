"""The pitfall rules: a plan that parses may still be vague, unbudgeted or without an exit."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from pydantic import BaseModel

from models.adapter_checks import adapter_findings
from models.authority import entered_area, normalise, overlapping_areas
from models.budget import ladder_totals
from models.findings import Finding, Path, error, warning
from models.measure_checks import measure_findings
from models.money import finer_than, fits, money, plain
from models.plan import Budget, ExitStepKind, Expectation, Plan, Rung, Source
from models.vendor_address import vendor_address_findings


class PlanPolicy(BaseModel):
    """The organisation's limits for any plan; defaults are sane, settings may change them."""

    first_rung_max_share: Decimal = Decimal("0.20")
    first_rung_max_days: int = 10
    min_contingency: Decimal = Decimal("0.10")
    allow_link_local_vendors: bool = False


def check_plan(plan: Plan, policy: PlanPolicy) -> list[Finding]:
    """Every finding for a plan that already passed the schema, errors first."""
    findings = [
        *_unique_ids(plan),
        *_money_places(plan),
        *_ladder(
            plan.pilot, plan.expectations, plan.rate_card, plan.budget, policy, (), plan.currency
        ),
        *_exit_plan(plan),
        *_authority(plan),
        *_gates(plan),
        *measure_findings(plan.expectations, ()),
        *adapter_findings(plan),
        *_risks(plan, policy),
        *vendor_address_findings(
            plan.vendor.api.base_url.host, allowed=policy.allow_link_local_vendors
        ),
    ]
    if plan.expansion is not None:
        x = plan.expansion
        findings += _ladder(
            x.pilot, x.expectations, plan.rate_card, x.budget, None, ("expansion",), plan.currency
        )
        findings += measure_findings(x.expectations, ("expansion",))
        last, first = plan.pilot[-1], x.pilot[0]
        if first.total_hours < last.total_hours:
            findings.append(
                error(
                    ("expansion", "pilot", 0, "hours"),
                    f"the expansion starts smaller ({first.total_hours} h) than the pilot's last "
                    f"rung '{last.id}' ({last.total_hours} h)",
                    "an expansion is a larger engagement: make its first rung at least as big",
                )
            )
    return sorted(findings, key=lambda f: f.severity != "error")


def _money_places(plan: Plan) -> list[Finding]:
    """Rates and budgets a person wrote must fit the currency's minor unit (models.money)."""
    amounts: list[tuple[Path, Decimal]] = [
        *((("rate_card", role), rate) for role, rate in plan.rate_card.items()),
        (("budget", "estimate"), plan.budget.estimate),
        (("budget", "cap"), plan.budget.cap),
    ]
    if plan.expansion is not None:
        amounts += [
            (("expansion", "budget", "estimate"), plan.expansion.budget.estimate),
            (("expansion", "budget", "cap"), plan.expansion.budget.cap),
        ]
    return [
        error(path, *finer_than(amount, plan.currency))
        for path, amount in amounts
        if not fits(amount, plan.currency)
    ]


def _unique_ids(plan: Plan) -> list[Finding]:
    groups: list[tuple[str, Path, list[str]]] = [
        ("expectation", ("expectations",), [e.id for e in plan.expectations]),
        ("rung", ("pilot",), [r.id for r in plan.pilot]),
    ]
    if plan.expansion is not None:
        groups += [
            (
                "expectation",
                ("expansion", "expectations"),
                [e.id for e in plan.expansion.expectations],
            ),
            ("rung", ("expansion", "pilot"), [r.id for r in plan.expansion.pilot]),
        ]
    findings = []
    for kind, path, ids in groups:
        seen = Counter[str]()
        for index, ident in enumerate(ids):
            seen[ident] += 1
            if seen[ident] == 2:
                findings.append(
                    error(
                        (*path, index, "id"),
                        f"{kind} id '{ident}' is used twice",
                        f"give every {kind} its own id",
                    )
                )
    pilot_ids = {r.id for r in plan.pilot}
    for index, rung in enumerate(plan.expansion.pilot if plan.expansion else []):
        if rung.id in pilot_ids:
            findings.append(
                error(
                    ("expansion", "pilot", index, "id"),
                    f"rung id '{rung.id}' is already a pilot rung",
                    "rung ids are unique across the pilot and the expansion",
                )
            )
    return findings


def _ladder(
    rungs: list[Rung],
    expectations: list[Expectation],
    rate_card: dict[str, Decimal],
    budget: Budget,
    policy: PlanPolicy | None,
    at: Path,
    currency: str,
) -> list[Finding]:
    """Rate-card roles, rung references, budget cover, small first rung, no shrinking."""
    findings: list[Finding] = []
    roles = ", ".join(rate_card)
    for i, rung in enumerate(rungs):
        for role in rung.hours:
            if role not in rate_card:
                findings.append(
                    error(
                        (*at, "pilot", i, "hours", role),
                        f"role '{role}' is not in the rate card",
                        f"use one of the rate card's roles ({roles}) or add '{role}' to rate_card",
                    )
                )
        if i and rung.total_hours < rungs[i - 1].total_hours:
            findings.append(
                error(
                    (*at, "pilot", i, "hours"),
                    f"rung '{rung.id}' ({rung.total_hours} h) is smaller than the rung before it, "
                    f"'{rungs[i - 1].id}' ({rungs[i - 1].total_hours} h)",
                    "order the ladder from the smallest rung to the largest: small projects first",
                )
            )
    rung_ids = {r.id for r in rungs}
    for i, exp in enumerate(expectations):
        if exp.holds_from is not None and exp.holds_from not in rung_ids:
            findings.append(
                error(
                    (*at, "expectations", i, "holds_from"),
                    f"rung '{exp.holds_from}' is not defined in this ladder",
                    f"name one of: {', '.join(r.id for r in rungs)}",
                )
            )
    findings += _budget_cover(rungs, rate_card, budget, at, currency)
    if policy is not None:
        findings += _small_first(rungs, rate_card, budget, policy, at, currency)
    return findings


def _budget_cover(
    rungs: list[Rung], rate_card: dict[str, Decimal], budget: Budget, at: Path, currency: str
) -> list[Finding]:
    totals = ladder_totals(rungs, rate_card, budget, currency)
    findings = []
    if not totals.covered:
        findings.append(
            error(
                (*at, "budget", "estimate"),
                f"the estimate {budget.estimate} does not cover the ladder: "
                f"{money(totals.cost, currency)} for {totals.hours} h at the rate card, plus "
                f"{money(totals.contingency, currency)} contingency, is "
                f"{money(totals.required, currency)} {currency}",
                f"raise the estimate to at least {plain(totals.required, currency)}, "
                "or shrink the ladder",
            )
        )
    if budget.estimate > budget.cap:
        findings.append(
            error(
                (*at, "budget", "cap"),
                f"the estimate {budget.estimate} exceeds the hard cap {budget.cap}",
                "lower the estimate or raise the cap; a cap below the estimate will stop the trial",
            )
        )
    return findings


def _small_first(
    rungs: list[Rung],
    rate_card: dict[str, Decimal],
    budget: Budget,
    policy: PlanPolicy,
    at: Path,
    currency: str,
) -> list[Finding]:
    first = ladder_totals(rungs[:1], rate_card, budget, currency).rungs[0]
    limit = budget.estimate * policy.first_rung_max_share
    findings = []
    if first.cost > limit:
        findings.append(
            error(
                (*at, "pilot", 0, "hours"),
                f"the first rung '{first.id}' costs {money(first.cost, currency)}, more than "
                f"{policy.first_rung_max_share:.0%} of the estimate ({money(limit, currency)})",
                "start with a smaller, briefer project and let the vendor prove itself first",
            )
        )
    if first.due_in_days > policy.first_rung_max_days:
        findings.append(
            error(
                (*at, "pilot", 0, "due_in_days"),
                f"the first rung '{first.id}' takes {first.due_in_days} days, more than "
                f"{policy.first_rung_max_days}",
                f"make the first rung due within {policy.first_rung_max_days} days",
            )
        )
    return findings


def _exit_plan(plan: Plan) -> list[Finding]:
    steps = plan.exit_plan.steps
    missing = [s for s in ExitStepKind if s not in steps]
    findings = []
    if missing:
        findings.append(
            error(
                ("exit_plan", "steps"),
                f"the exit plan lacks {', '.join(missing)}",
                f"list all four steps: {', '.join(ExitStepKind)}",
            )
        )
    for i, step in enumerate(steps):
        if steps.index(step) != i:
            findings.append(
                error(
                    ("exit_plan", "steps", i),
                    f"step {step} is listed twice",
                    "list each exit step once",
                )
            )
    return findings


def _authority(plan: Plan) -> list[Finding]:
    auth = plan.authority
    findings = [
        error(
            ("authority", "client_decides", auth.client_decides.index(area)),
            f"'{area}' is claimed by both the client and the vendor",
            "give every area to one side only",
        )
        for area in overlapping_areas(auth.client_decides, auth.vendor_decides)
    ]
    sections: list[tuple[Path, list[Expectation]]] = [(("expectations",), plan.expectations)]
    if plan.expansion is not None:
        sections.append((("expansion", "expectations"), plan.expansion.expectations))
    areas = {normalise(a) for a in [*auth.client_decides, *auth.vendor_decides]}
    for path, expectations in sections:
        for i, exp in enumerate(expectations):
            if exp.area is not None and normalise(exp.area) not in areas:
                findings.append(
                    error(
                        (*path, i, "area"),
                        f"expectation '{exp.id}' names the area '{exp.area}', which neither "
                        "authority list has",
                        "use an area from authority.client_decides or authority.vendor_decides",
                    )
                )
            hit = entered_area(f"{exp.metric} {exp.description or ''}", auth.vendor_decides)
            if hit:
                findings.append(
                    error(
                        (*path, i),
                        f"expectation '{exp.id}' prescribes a method ('{hit[1]}') in "
                        f"'{hit[0]}', which the plan leaves to the vendor",
                        "state the outcome you need and let the vendor choose how to reach it; "
                        "if it is how the client measures or the client's own, say so "
                        "('measured by the client's uptime tool', 'in the client's Jira')",
                    )
                )
    return findings


def _gates(plan: Plan) -> list[Finding]:
    g = plan.gates
    if g.exit_below_score < g.expand_at_score:
        return []
    return [
        error(
            ("gates", "exit_below_score"),
            f"exit_below_score {g.exit_below_score} is not below expand_at_score "
            f"{g.expand_at_score}",
            "leave a band between them in which the pilot is extended, e.g. 0.6 and 0.8",
        )
    ]


def _risks(plan: Plan, policy: PlanPolicy) -> list[Finding]:
    findings = []
    if plan.budget.contingency < policy.min_contingency:
        findings.append(
            warning(
                ("budget", "contingency"),
                f"contingency {plan.budget.contingency:.0%} is under {policy.min_contingency:.0%}",
                "pilots overrun; 10-20% is usual",
            )
        )
    if len(plan.expectations) == 1:
        findings.append(
            warning(
                ("expectations",),
                "only one expectation",
                "a single number is easy to game; add a quality or cost one",
            )
        )
    if plan.notify is None:
        findings.append(
            warning(
                ("notify",),
                "no notify: section, so nobody is told when the trial waits for a person",
                "add notify: {chat: [SLACK-OR-TEAMS-WEBHOOK-URL], email: [you@example.com]}, "
                "or notify: {} to tell nobody on purpose",
            )
        )
    between_reviews = {Source.VENDOR_METRICS, Source.TICKETS}
    if all(e.source not in between_reviews for e in plan.expectations):
        findings.append(
            warning(
                ("expectations",),
                "no expectation is measured from the vendor's metrics or tickets",
                "add one with source: vendor_metrics (or tickets, for a ticketing system) "
                "so progress is visible between reviews",
            )
        )
    return findings
