"""A text as clauses of words, each word with its stem and where it was written."""

from __future__ import annotations

import re
from typing import NamedTuple

# A word: letters and digits in any script, with an apostrophe ending ("client's").
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# Marks between two words that end a clause; "24/7" and "P1/P2" stay in theirs.
_BREAK = re.compile(r"[.,;:!?()\[\]{}|\n]")
# Words that join two clauses; each clause is read on its own.
_JOINS = frozenset({"and", "or", "but", "while", "whereas", "which", "where", "then"})
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "es", "ed", "s")


class Word(NamedTuple):
    """One word: lowercased, its stem, and the span of the text it was read from."""

    text: str
    stem: str
    start: int
    end: int


def stem(word: str) -> str:
    """A crude stem, enough to match 'tooling', 'tools' and 'tool'."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def clauses(text: str) -> list[list[Word]]:
    """The clauses of `text`, split at punctuation and at joining words ("and", "or")."""
    found: list[list[Word]] = [[]]
    last = 0
    for match in _WORD.finditer(text):
        word = match.group().lower().replace("’", "'")
        if _BREAK.search(text, last, match.start()) or word in _JOINS:
            found.append([])
        if word not in _JOINS:
            base = word.removesuffix("'s").removesuffix("'")
            found[-1].append(Word(word, stem(base), match.start(), match.end()))
        last = match.end()
    return [clause for clause in found if clause]
