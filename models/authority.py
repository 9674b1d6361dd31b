"""The authority split: which words belong to an area, and whether a text enters one."""

from __future__ import annotations

import re

# Words that, in an expectation or an instruction, prescribe a method in a common
# vendor area. Keys and words are stems (see `stem`).
AREA_WORDS: dict[str, frozenset[str]] = {
    "tool": frozenset(
        {"tool", "software", "platform", "jira", "servicenow", "zendesk", "terraform", "ansible"}
    ),
    "staff": frozenset(
        {
            "staff",
            "headcount",
            "fte",
            "hire",
            "hiring",
            "contractor",
            "team size",
            "onshore",
            "offshore",
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
    "schedul": frozenset({"shift", "rota", "roster", "working hour"}),
}

_STOPWORDS = frozenset({"and", "the", "for", "with", "per", "all", "any", "from", "into"})
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "es", "ed", "s")


def stem(word: str) -> str:
    """A crude stem, enough to match 'tooling', 'tools' and 'tool'."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


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
    """The first area whose words `text` uses, with the word, or None."""
    # Padding with spaces lets two-word markers ("team size") match whole words only.
    joined = f" {' '.join(stems(text))} "
    for area in areas:
        for marker in sorted(area_words(area)):
            if f" {marker} " in joined:
                return area, marker
    return None
