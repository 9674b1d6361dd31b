"""A plan file's text: read within a size bound and decoded as UTF-8, or refused with where
and how to fix it."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

# A plan is a few KB (the examples are under 5 KB); a megabyte leaves room for comments
# and long ladders and refuses, at once, a log file or a device given by mistake.
MAX_PLAN_BYTES = 1 << 20

# Byte-order marks of the encodings Windows tools save "Unicode" text in; UTF-32's first,
# as UTF-32 LE starts with UTF-16 LE's mark.
BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE"),
)
# Deeper than any plan (about six levels), shallow enough for the YAML parser to refuse
# quickly: it slows down with each level of brackets before it gives up.
MAX_FLOW_DEPTH = 40
_SIGNIFICANT = re.compile(r"[\[\]{}'\"#\n]")
_NODE_START = frozenset(":-,[{?\n")
SAVE_AS_UTF8 = "save the file as UTF-8 (in Notepad: Save As, Encoding: UTF-8) and run it again"


class UnreadablePlan(Exception):
    """The file cannot be read as a plan's text: what, the line (or None), how to fix it."""

    def __init__(self, line: int | None, message: str, fix: str) -> None:
        super().__init__(message)
        self.line, self.message, self.fix = line, message, fix


def read_plan_text(file: Path) -> str:
    """The file's text, decoded as UTF-8 (a UTF-8 byte-order mark is allowed).

    Raises UnreadablePlan for a file that cannot be opened, is larger than MAX_PLAN_BYTES
    (read no further than that, so a device or a pipe that never ends is refused too), is
    saved in another encoding (named, with the line of the first byte that is not UTF-8),
    or holds NUL characters.
    """
    try:
        with file.open("rb") as stream:
            data = stream.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise UnreadablePlan(
            None,
            f"cannot read the plan file: {exc.strerror or type(exc).__name__}",
            "check the path; `trials init` writes an example plan",
        ) from None
    if len(data) > MAX_PLAN_BYTES:
        raise UnreadablePlan(
            None,
            f"the file is larger than {MAX_PLAN_BYTES // 1024} KB; a plan is a few KB of YAML",
            "check that this is the plan file",
        )
    for bom, encoding in BOMS:
        if data.startswith(bom):
            raise UnreadablePlan(1, f"the file is saved as {encoding}, not UTF-8", SAVE_AS_UTF8)
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        if text.count("\x00") * 4 > len(text):  # every other byte: UTF-16 without a mark
            raise UnreadablePlan(line, "the file looks saved as UTF-16, not UTF-8", SAVE_AS_UTF8)
        raise UnreadablePlan(
            line, "a NUL character (byte 0x00) is in the text", "delete it; a plan is plain text"
        )
    return text


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> UnreadablePlan:
    """Where the first byte that is not UTF-8 is, and what the file is saved as instead."""
    line = data.count(b"\n", 0, exc.start) + 1
    byte = data[exc.start]
    try:
        shown = data.decode("cp1252")[exc.start]
    except UnicodeDecodeError:  # not Windows-1252 text either: a binary file, most likely
        return UnreadablePlan(
            line,
            f"the file is not text: byte 0x{byte:02X} is not UTF-8",
            "give the plan's YAML file; `trials init` writes an example",
        )
    return UnreadablePlan(
        line,
        f"the file is not UTF-8: byte 0x{byte:02X} reads as {shown!r} in Windows-1252, "
        "so the file is likely saved in that encoding (ANSI)",
        SAVE_AS_UTF8,
    )


def check_nesting(text: str) -> None:
    """Refuse YAML whose flow collections ([...], {...}) nest deeper than MAX_FLOW_DEPTH.

    A scan of the text, before the parser sees it, that skips comments and quoted strings
    and counts only brackets that open a value. Raises UnreadablePlan with the line.
    """
    depth, line, at = 0, 1, 0
    for found in _SIGNIFICANT.finditer(text):
        start = found.start()
        if start < at:
            continue  # inside a comment or a quoted string skipped below
        char = found.group()
        if char == "\n":
            line += 1
        elif char == "#" and (start == 0 or text[start - 1] in " \t\n"):
            at = text.find("\n", start)
            at = len(text) if at < 0 else at
        elif char in "'\"" and _opens_value(text, start):
            at = _closing_quote(text, start) + 1
            line += text.count("\n", start, at)
        elif char in "[{" and _opens_value(text, start):
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                raise UnreadablePlan(
                    line,
                    f"values are nested more than {MAX_FLOW_DEPTH} levels deep in brackets",
                    "a plan is a few levels deep: check that this is the plan file",
                )
        elif char in "]}" and depth > 0:
            depth -= 1


def _opens_value(text: str, at: int) -> bool:
    """Whether a value can start at `at`: after a colon, dash, comma, bracket or a line's start."""
    before = at - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    return before < 0 or text[before] in _NODE_START


def _closing_quote(text: str, at: int) -> int:
    """Where the quoted string that opens at `at` ends (its last character's index)."""
    quote, end = text[at], at + 1
    while True:
        end = text.find(quote, end)
        if end < 0:
            return len(text) - 1  # never closed: the parser reports it
        if quote == "'" and text.startswith("''", end):
            end += 2  # '' is a quote inside single quotes
        elif quote == '"' and _escaped(text, end):
            end += 1
        else:
            return end


def _escaped(text: str, at: int) -> bool:
    """Whether the character at `at` follows an odd number of backslashes."""
    slashes = 0
    while at - slashes - 1 >= 0 and text[at - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1
