"""The plan's `redmine:` section: how a Redmine project maps onto the trial's contract.

A plan picks the Redmine adapter with `vendor.api.adapter: redmine`; this section then
says which project the vendor works in, which tracker holds the rung work and which the
helpdesk tickets, who is the vendor's staff, how time-entry activities map to rate-card
roles, and which status names mean delivered, accepted, waiting on the client and so on.
Status, tracker and activity names are Redmine's own, as its administrator named them;
`trials check-vendor` reads the real project and refuses names it does not have.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from models.plan_fields import PATTERN_HELP, Identifier, Section

# Redmine's own rules: an identifier starts with a letter and holds lowercase letters,
# digits, dashes and underscores (up to 100); a login holds letters, digits and `_-@.`.
PROJECT_PATTERN = r"^[a-z][a-z0-9_-]{0,99}$"
LOGIN_PATTERN = r"^[A-Za-z0-9_@.-]{1,60}$"
PATTERN_HELP[PROJECT_PATTERN] = (
    "Redmine's project identifier: lowercase letters, digits, - and _, starting with a letter"
)
PATTERN_HELP[LOGIN_PATTERN] = "a Redmine login: letters, digits and _ - @ ."
ProjectId = Annotated[str, StringConstraints(pattern=PROJECT_PATTERN)]
Login = Annotated[str, StringConstraints(pattern=LOGIN_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Names = Annotated[list[Name], Field(min_length=1)]


class RedmineStatuses(Section):
    """Which Redmine status names mean what to the engine (Redmine's default names)."""

    delivered: Names = ["Resolved"]  # a rung's work item is delivered
    accepted: Names = ["Closed"]  # ... and the client accepted it
    rejected: Names = ["Rejected"]  # the vendor declined the work item
    # The clock of a ticket stops while it waits on the client (models.ticket_metrics);
    # that time is the client's side of the authority split, never counted against the vendor.
    waiting_on_client: list[Name] = ["Feedback"]
    acknowledged: Names = ["Resolved", "Closed"]  # the expectations issue, acknowledged
    directive_accepted: Names = ["Resolved", "Closed"]
    directive_pushed_back: Names = ["Rejected"]

    @model_validator(mode="after")
    def _distinct_meanings(self) -> RedmineStatuses:
        pairs = [
            ("delivered", "rejected"),
            ("accepted", "rejected"),
            ("directive_accepted", "directive_pushed_back"),
        ]
        for one, other in pairs:
            both = set(getattr(self, one)) & set(getattr(self, other))
            if both:
                raise ValueError(
                    f"{', '.join(sorted(both))} cannot mean both {one} and {other}: "
                    "name each status under one of them"
                )
        return self


class RedmineSection(Section):
    """The vendor's Redmine project, and what its trackers, users and statuses mean."""

    project: ProjectId
    rung_tracker: Name = "Feature"  # one issue of this tracker per rung
    ticket_tracker: Name = "Support"  # the helpdesk tickets `source: tickets` measures
    directive_tracker: Name | None = None  # directives as issues; default: rung_tracker
    vendor_staff: Annotated[list[Login], Field(min_length=1)]  # logins of the vendor's people
    # The client's service accounts the vendor was given access through, revoked at exit.
    client_accounts: list[Login] = []
    # Time-entry activity → rate-card role, e.g. {Development: engineer, Design: lead}.
    activities: Annotated[dict[Name, Identifier], Field(min_length=1)]
    statuses: RedmineStatuses = RedmineStatuses()
    kt_files: bool = False  # knowledge transfer also counts the project's files

    @property
    def directives_tracker(self) -> str:
        """The tracker directives are opened in."""
        return self.directive_tracker or self.rung_tracker

    @model_validator(mode="after")
    def _staff_not_client(self) -> RedmineSection:
        both = set(self.vendor_staff) & set(self.client_accounts)
        if both:
            raise ValueError(
                f"{', '.join(sorted(both))} is listed as vendor staff and as a client account: "
                "a login acts for one side only"
            )
        return self
