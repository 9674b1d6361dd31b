"""Onboarding: the vendor's API and auth checked, its access recorded, expectations acknowledged,
the budget approved."""

from __future__ import annotations

from prefect import flow

from models.budget import ladder_totals
from models.keys import idempotency_key
from models.phases import Phase
from tasks.connection import ensure_vendor_limit
from tasks.reporting import label_run
from tasks.trial_state import (
    load_trial,
    move_phase,
    record_decision,
    record_grants,
    save_intent,
    save_outcome,
)
from tasks.vendor import acknowledge, check_api, list_grants
from vendor.contract import AckRequest, ExpectationTerms


@flow(name="onboarding", flow_run_name="onboarding-{slug}")
async def onboarding(slug: str, approved_by: str) -> None:
    """Check the vendor, record its grants, have expectations acknowledged, approve the budget."""
    trial = await load_trial(slug)
    await label_run(trial, Phase.ONBOARDING)
    if trial.phase not in (Phase.DRAFT, Phase.ONBOARDING):
        return  # onboarded before: the database says so
    await move_phase(slug, Phase.ONBOARDING, "trial started")
    await ensure_vendor_limit(trial.vendor)
    who = await check_api(trial.vendor)
    grants = await list_grants(trial.vendor, slug)
    await record_grants(trial, grants)

    terms = AckRequest(
        expectations=[
            ExpectationTerms(
                id=e.id, metric=e.metric, comparator=e.comparator, target=e.target, unit=e.unit
            )
            for e in trial.plan.expectations
        ]
    )
    key = idempotency_key(slug, trial.engagement, "onboarding", "acknowledge")
    await save_intent(trial.trial_id, key, "acknowledge", terms.model_dump_json())
    ack = await acknowledge(trial.vendor, slug, terms, key)
    await save_outcome(key, ack.trial, ack.model_dump_json())

    totals = ladder_totals(trial.plan.pilot, trial.plan.rate_card, trial.plan.budget)
    await record_decision(
        trial.trial_id,
        f"budget-approval:e{trial.engagement}",
        "approve",
        None,
        f"estimate {totals.estimate} covers the ladder's {totals.required} with "
        f"contingency, under the cap {totals.cap}",
        approved_by,
        {
            "totals": totals.model_dump(mode="json"),
            "vendor": who.vendor,
            "scopes": who.scopes,
            "grants": [g.id for g in grants],
        },
    )
    await move_phase(
        slug,
        Phase.PILOTING,
        f"onboarded: {len(grants)} access grants on the exit plan, "
        f"{len(ack.acknowledged)} expectations acknowledged",
    )
