"""How an expectation sourced from deliverables is measured: a rule the plan declares.

`measure: {count: "runbooks/*.md"}` counts the delivered files matching a pattern,
`{bytes: "*.pdf"}` adds up their sizes, and `{pages: "*.pdf"}` adds up their pages.

Patterns are globs over the names the vendor gave its files: `*` is any run of characters
within a folder name, `?` one character, `[abc]` one of those, and `**` as a whole part
any number of folders. A pattern with a slash matches the whole name from its first
folder (`runbooks/*.md`); one without matches the file's own name in any folder
(`*.pdf`), as in a .gitignore. Case does not matter: vendors write Runbook.MD too.

Pages are counted in documents: a PDF has the pages its page tree lists; a Markdown or
HTML document has one page per 500 words (the standard manuscript page), rounded up per
document, where a word is a run of non-space characters holding a letter or a digit (so
`#`, `-` and `|---|` are not words) and HTML counts only its text, not its tags, scripts
or styles. An empty document has no pages.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from fnmatch import fnmatchcase
from functools import cache
from html.parser import HTMLParser
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

WORDS_PER_PAGE = 500
PDF_SUFFIXES = (".pdf",)
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
DOCUMENT_SUFFIXES = PDF_SUFFIXES + MARKDOWN_SUFFIXES + HTML_SUFFIXES
MAX_PATTERN = 200
EXAMPLES = '{count: "runbooks/*.md"}, {bytes: "*.pdf"} or {pages: "*.pdf"}'


class MeasureKind(StrEnum):
    """What a deliverables rule adds up over the files it matches."""

    COUNT = "count"
    BYTES = "bytes"
    PAGES = "pages"


def pattern_problem(pattern: str) -> tuple[str, str] | None:
    """Why a glob cannot name archived files, and its fix; None for a good one."""
    if not pattern.strip():
        return "the pattern is empty", 'name the files, e.g. "runbooks/*.md" or "*.pdf"'
    if len(pattern) > MAX_PATTERN:
        return f"the pattern is longer than {MAX_PATTERN} characters", "shorten it"
    if "\\" in pattern:
        return f"{pattern!r} holds a backslash", "separate folders with / (runbooks/*.md)"
    if pattern.startswith("/"):
        return f"{pattern!r} is an absolute path", "patterns name delivered files: drop the /"
    for part in pattern.split("/"):
        if part in ("", ".", ".."):
            return (
                f"{pattern!r} has an empty, . or .. folder",
                "write the folders as the vendor names them, e.g. runbooks/*.md",
            )
        if "**" in part and part != "**":
            return f"{pattern!r} has ** inside a name", "use * within a name; ** alone is folders"
        if _unclosed_class(part):
            return f"{pattern!r} opens a [ without closing it", "close it, as in runbook-[0-9].md"
    return None


def _unclosed_class(part: str) -> bool:
    at = part.find("[")
    while at >= 0:
        end = part.find("]", at + 2)  # "[]" is not a class: its ] is a member
        if end < 0:
            return True
        at = part.find("[", end + 1)
    return False


def _checked_pattern(pattern: str) -> str:
    problem = pattern_problem(pattern)
    if problem is not None:
        raise PydanticCustomError(
            "pattern", "{problem}", {"problem": problem[0], "fix": problem[1]}
        )
    return pattern


Pattern = Annotated[str, AfterValidator(_checked_pattern)]


def can_hold_pages(pattern: str) -> bool:
    """Whether the files a pattern matches are documents whose pages can be counted."""
    return pattern.lower().endswith(DOCUMENT_SUFFIXES)


class Measure(BaseModel):
    """A deliverables rule: exactly one of count, bytes or pages, with its pattern."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: Pattern | None = None
    bytes: Pattern | None = None
    pages: Pattern | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Measure:
        given = [k for k in MeasureKind if getattr(self, k.value) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "measure",
                "{problem}",
                {
                    "problem": "a measure names exactly one of count, bytes or pages"
                    + (f", not {' and '.join(given)}" if given else ""),
                    "fix": f"write one, e.g. measure: {EXAMPLES}",
                },
            )
        if self.pages is not None and not can_hold_pages(self.pages):
            raise PydanticCustomError(
                "measure",
                "{problem}",
                {
                    "problem": f"pages are counted in PDF, Markdown and HTML documents, and "
                    f"{self.pages!r} matches none",
                    "fix": "end the pattern with .pdf, .md, .markdown, .html or .htm (e.g. "
                    "runbooks/*.md), or count the files: {count: PATTERN}",
                },
            )
        return self

    @property
    def kind(self) -> MeasureKind:
        """Which of count, bytes and pages the rule adds up."""
        return next(k for k in MeasureKind if getattr(self, k.value) is not None)

    @property
    def pattern(self) -> str:
        """The glob of the files the rule is computed over."""
        value = getattr(self, self.kind.value)
        assert isinstance(value, str)
        return value

    def __str__(self) -> str:
        return f"{self.kind.value} of {self.pattern}"


def matches(pattern: str, name: str) -> bool:
    """Whether a delivered file's name matches the pattern (the rules in the module's text)."""
    parts = tuple(p for p in name.replace("\\", "/").lower().split("/") if p not in ("", "."))
    globs = tuple(pattern.lower().split("/"))
    if not parts:
        return False
    if len(globs) == 1:
        return fnmatchcase(parts[-1], globs[0])
    return _match(globs, parts)


@cache
def _match(globs: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not globs:
        return not parts
    if globs[0] == "**":
        return any(_match(globs[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], globs[0]) and _match(globs[1:], parts[1:])


def words(text: str) -> int:
    """How many words a text holds: runs of non-space characters with a letter or digit."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def text_pages(word_count: int) -> int:
    """Manuscript pages for a document of that many words: 500 a page, rounded up."""
    return math.ceil(word_count / WORDS_PER_PAGE)


class _Text(HTMLParser):
    """The text of an HTML document, without its tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_text(html: str) -> str:
    """The words a reader sees in an HTML document."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(parser.chunks)


def document_pages(name: str, text: str) -> int:
    """Pages of a Markdown or HTML document's text, by the manuscript rule."""
    if name.lower().endswith(HTML_SUFFIXES):
        text = html_text(text)
    return text_pages(words(text))


# Words a unit uses for another kind of measure than the rule's.
_PAGE_WORDS = {"page", "pages", "pp"}
_BYTE_WORDS = {"byte", "bytes", "b", "kb", "mb", "gb", "kib", "mib", "gib"}
_OTHER_WORDS = {
    "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week",
    "weeks", "percent", "points", "point", "score", "usd", "eur", "gbp",
}  # fmt: skip


def unit_problem(kind: MeasureKind, unit: str) -> tuple[str, str] | None:
    """Why the expectation's unit does not fit what the rule measures, and the fix."""
    said = set(re.findall(r"[a-z]+", unit.lower())) | ({"percent"} if "%" in unit else set())
    if kind is MeasureKind.PAGES and not said & _PAGE_WORDS:
        return (
            f"the rule counts pages, but the unit is '{unit}'",
            "write unit: pages, or measure what the unit says",
        )
    if kind is MeasureKind.BYTES and not said & {"byte", "bytes"}:
        return (
            f"the rule adds up sizes in bytes, but the unit is '{unit}'",
            "write unit: bytes and the target in bytes (10 MB is 10000000)",
        )
    if kind is MeasureKind.COUNT and said & (_PAGE_WORDS | _BYTE_WORDS | _OTHER_WORDS):
        return (
            f"the rule counts files, but the unit is '{unit}'",
            "write what the files are (unit: files, or runbooks), or use {pages: PATTERN} "
            "for pages and {bytes: PATTERN} for sizes",
        )
    return None
