"""The authority split: which words belong to an area, and whether a text enters one."""

from __future__ import annotations

import re

from models.clauses import stem
from models.prescription import prescribed

# Words of a common vendor area. Keys and words are stems (see `stem`). Whether a text
# that uses one prescribes a method is for models.prescription to say.
AREA_WORDS: dict[str, frozenset[str]] = {
    "tool": frozenset(
        {"tool", "software", "platform", "jira", "servicenow", "zendesk", "terraform", "ansible"}
    ),
    "staff": frozenset(
        {
            "staff",
            "headcount",
            "fte",
            "ftes",
            "hire",
            "hiring",
            "contractor",
            "team size",
            "onshore",
            "offshore",
            "nearshore",
            "hired",
        }
    ),
    "implement": frozenset(
        {
            "implement",
            "method",
            "methodology",
            "procedure",
            "technique",
            "approach",
            "script",
            "framework",
        }
    ),
    "approach": frozenset({"approach", "method", "methodology", "procedure", "technique"}),
    "architecture": frozenset({"architecture", "design", "pattern"}),
    # Not "working hours": "within 8 working hours" is how a response time is counted.
    "schedul": frozenset({"shift", "rota", "roster"}),
}

_STOPWORDS = frozenset({"and", "the", "for", "with", "per", "all", "any", "from", "into"})


def stems(text: str) -> list[str]:
    """The stems of the words of `text`; snake_case and hyphens split words."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))
    return [stem(w) for w in words if len(w) > 2 and w not in _STOPWORDS]


def normalise(area: str) -> str:
    """An area's canonical form, so 'Tooling' and 'tools' are the same area."""
    return " ".join(stems(area))


def area_words(area: str) -> frozenset[str]:
    """The stems that mark a text as entering `area`."""
    own = set(stems(area))
    for key in list(own):
        own |= {normalise(w) for w in AREA_WORDS.get(key, frozenset())}
    return frozenset(own)


def overlapping_areas(client: list[str], vendor: list[str]) -> list[str]:
    """Areas that both sides claim, as the client wrote them."""
    vendor_forms = {normalise(a) for a in vendor}
    return [a for a in client if normalise(a) in vendor_forms]


def entered_area(text: str, areas: list[str]) -> tuple[str, str] | None:
    """The first area in which `text` prescribes a method, with the phrase that does, or
    None; the rule is models.prescription's ('kept in Jira' does, 'measured by the
    uptime monitoring tool' and 'client staff' do not)."""
    return prescribed(text, {area: area_words(area) for area in areas})


def mentioned_area(text: str, areas: list[str]) -> tuple[str, str] | None:
    """The first area whose words `text` uses, with the word, or None: what a text is
    about, not whether it prescribes anything."""
    # Padding with spaces lets two-word markers ("team size") match whole words only.
    joined = f" {' '.join(stems(text))} "
    for area in areas:
        for marker in sorted(area_words(area)):
            if f" {marker} " in joined:
                return area, marker
    return None
