"""The notification blocks and automations `trials deploy` creates: one automation per
trial whose plan names people (and one for the people the settings name, about every
trial), turning the trial's events and its failed runs into notifications."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from uuid import UUID

from prefect import get_client
from prefect.automations import Automation
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectNotFound

from config import Settings
from models.errors import SchemaMissingError, TrialsError
from models.labels import trial_tag
from models.notify import (
    BODY,
    FAILED_BODY,
    FAILED_SUBJECT,
    JSON_BODY,
    RUN_FAILED,
    SUBJECT,
    TRIAL_EVENTS,
    Notify,
    target_name,
)
from notifications.blocks import ChatWebhook, SignedWebhook, SmtpEmail

PREFIX = "trials notify: "  # every automation made here is named so
EVERY_TRIAL = "every trial"
RUN_FAILED_SUFFIX = ": run failed"  # the name of the automation about failed runs ends so
DEPLOYMENT_TAG = "vendor-trials"  # prefect.yaml's deployments tag their runs so


class Target:
    """A notification block on the server, and the body its messages take."""

    def __init__(self, block_id: UUID, body: str = BODY) -> None:
        self.block_id, self.body = block_id, body


async def ensure_notifications(
    notify: Notify, settings: Settings, slug: str | None = None
) -> list[Target]:
    """The blocks and the two automations that tell `notify`'s people about trial `slug`
    (every trial for None): its gates, escalations and budget thresholds, and its failed
    runs. Made again on each call, so a changed plan or setting takes effect."""
    targets = await _targets(notify, settings, slug or EVERY_TRIAL)
    scope = slug or EVERY_TRIAL
    about = f"trials.trial.{slug}" if slug else "trials.trial.*"
    tag = trial_tag(slug) if slug else DEPLOYMENT_TAG
    await _replace(
        f"{PREFIX}{scope}",
        EventTrigger(
            expect=set(TRIAL_EVENTS),
            match=ResourceSpecification({"prefect.resource.id": about}),
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        [
            SendNotification(block_document_id=t.block_id, subject=SUBJECT, body=t.body)
            for t in targets
        ],
    )
    await _replace(
        f"{PREFIX}{scope}{RUN_FAILED_SUFFIX}",
        EventTrigger(
            expect={RUN_FAILED},
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=ResourceSpecification({"prefect.resource.id": f"prefect.tag.{tag}"}),
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        [
            SendNotification(block_document_id=t.block_id, subject=FAILED_SUBJECT, body=FAILED_BODY)
            for t in targets
        ],
    )
    return targets


async def _targets(notify: Notify, settings: Settings, scope: str) -> list[Target]:
    """A saved block for each of `notify`'s targets, in the order the section names them."""
    targets: list[Target] = []
    for url in map(str, notify.chat):
        chat = ChatWebhook(url=url)
        targets.append(Target(await chat.asave(target_name("chat", url), overwrite=True)))
    for url in map(str, notify.webhooks):
        if settings.notify_webhook_secret is None:
            raise TrialsError(
                f"The notify: section of {scope} names the webhook {url}, which is signed "
                "with TRIALS_NOTIFY_WEBHOOK_SECRET, and that is not set. Set it (whsec_ and "
                "the base64 of 24 to 64 random bytes), then run `trials deploy` again."
            )
        signed = SignedWebhook(url=url, secret=settings.notify_webhook_secret)
        block_id = await signed.asave(target_name("webhook", url), overwrite=True)
        targets.append(Target(block_id, JSON_BODY))
    if notify.email:
        email = _smtp(notify.email, settings, scope)
        key = f"{email.host}:{email.port}:{','.join(sorted(email.to))}"
        targets.append(Target(await email.asave(target_name("email", key), overwrite=True)))
    for ref in notify.blocks:
        targets.append(Target(await _existing_block(ref, scope)))
    return targets


def _smtp(to: list[str], settings: Settings, scope: str) -> SmtpEmail:
    if settings.smtp_host is None:
        raise TrialsError(
            f"The notify: section of {scope} names e-mail addresses, and TRIALS_SMTP_HOST "
            "is not set. Set it (and TRIALS_SMTP_PORT and the rest), then run `trials "
            "deploy` again."
        )
    return SmtpEmail(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_sender,
        to=list(to),
    )


async def _existing_block(ref: str, scope: str) -> UUID:
    """The id of a notification block made on the server beforehand, TYPE/NAME."""
    block_type, name = ref.split("/", 1)
    async with get_client() as client:
        try:
            found = await client.read_block_document_by_name(name, block_type)
        except ObjectNotFound:
            raise TrialsError(
                f"The notify: section of {scope} names the block {ref}, and the Prefect "
                "server has no such block. Make it in the UI (Blocks), or fix the name "
                "(TYPE-SLUG/NAME, e.g. slack-webhook/ops), then run `trials deploy` again."
            ) from None
    assert found.id is not None
    return found.id


async def _replace(name: str, trigger: EventTrigger, actions: list[SendNotification]) -> None:
    """The automation of this name, made anew with this trigger and these actions."""
    try:
        await (await Automation.aread(name=name)).adelete()
    except ValueError:
        pass  # not there yet
    await Automation(name=name, trigger=trigger, actions=list(actions)).acreate()


def check_smtp(settings: Settings) -> None:
    """Refuse, saying which, when the SMTP server does not answer or refuses the login."""
    block = _smtp(["check@localhost"], settings, "the settings")
    try:
        with block.connect() as smtp:
            if block.username:
                password = block.password.get_secret_value() if block.password else ""
                smtp.login(block.username, password)
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        raise TrialsError(
            f"The SMTP server at {block.host}:{block.port} ({block.security}) refuses: "
            f"{exc or type(exc).__name__}. Check TRIALS_SMTP_HOST, TRIALS_SMTP_PORT, "
            "TRIALS_SMTP_SECURITY and the login, then run `trials deploy` again."
        ) from None


async def deploy_notifications(settings: Settings) -> list[str]:
    """Set up the notifications of the settings and of every open trial's plan; what was
    done, a line each, trials whose plan tells nobody included."""
    from store.db import read_session
    from store.notify import notify_sections

    try:
        with read_session(settings) as session:
            sections = notify_sections(session=session)
    except SchemaMissingError:
        sections = {}  # a fresh store: no trial to tell anybody about yet
    wanted: list[tuple[str | None, Notify]] = [
        (slug, n) for slug, n in sections.items() if n is not None and n.anyone
    ]
    if settings.notify is not None and settings.notify.anyone:
        wanted.append((None, settings.notify))
    if any(n.email for _, n in wanted):
        check_smtp(settings)
    done = []
    for slug, notify in wanted:
        targets = await ensure_notifications(notify, settings, slug)
        done.append(f"Notifications for {slug or EVERY_TRIAL}: {len(targets)} target(s).")
    silent = sorted(slug for slug, n in sections.items() if n is None or not n.anyone)
    if silent:
        done.append(f"No notify: section, so nobody is told about: {', '.join(silent)}.")
    return done
