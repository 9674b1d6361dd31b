"""The plan's field types, shared by the plan schema and the sections of its adapters."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
# What each pattern means, for the error message.
PATTERN_HELP = {
    SLUG_PATTERN: "lowercase letters, digits and hyphens, e.g. rung-1",
    IDENTIFIER_PATTERN: "lowercase snake_case, e.g. p90_first_response_minutes",
}
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Section(BaseModel):
    """A plan section: unknown keys (typos) are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
