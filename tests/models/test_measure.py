"""The deliverables rules: which names a pattern matches, how pages are counted, which units
fit, and a value only when every matched file was read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from models.deliverables import DeliveredFile, Problem, ReadFile, matched, no_match, outcome
from models.measure import (
    Measure,
    MeasureKind,
    can_hold_pages,
    document_pages,
    html_text,
    matches,
    pattern_problem,
    text_pages,
    unit_problem,
    words,
)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("runbooks/*.md", "runbooks/password-resets.md", True),
        ("runbooks/*.md", "Runbooks/Password-Resets.MD", True),  # case does not matter
        ("runbooks/*.md", "password-resets.md", False),
        ("runbooks/*.md", "docs/runbooks/password-resets.md", False),  # from the top
        ("runbooks/*.md", "runbooks/old/password-resets.md", False),  # * stays in a folder
        ("runbooks/**/*.md", "runbooks/old/password-resets.md", True),
        ("runbooks/**/*.md", "runbooks/password-resets.md", True),  # ** is zero folders too
        ("**/*.md", "a/b/c.md", True),
        ("*.pdf", "report.pdf", True),
        ("*.pdf", "handover/deep/report.pdf", True),  # no slash: the name, in any folder
        ("*.pdf", "report.pdf.zip", False),
        ("runbook-?.md", "runbook-1.md", True),
        ("runbook-?.md", "runbook-12.md", False),
        ("runbook-[0-9].md", "runbook-7.md", True),
        ("runbook-[!0-9].md", "runbook-7.md", False),
        ("runbooks/*.md", "runbooks\\windows.md", True),  # a vendor's backslashes are folders
        ("*", "", False),
    ],
)
def test_patterns_match_names_as_documented(pattern: str, name: str, expected: bool) -> None:
    assert pattern_problem(pattern) is None
    assert matches(pattern, name) is expected


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("/srv/runbooks/*.md", "absolute"),
        ("runbooks\\*.md", "backslash"),
        ("../secrets/*.md", ".."),
        ("runbooks//*.md", "empty"),
        ("runbooks/", "empty"),
        ("run**books/*.md", "** inside a name"),
        ("runbook-[0-9.md", "opens a ["),
        ("x" * 201, "longer than 200"),
    ],
)
def test_patterns_that_name_no_archived_file_are_refused(pattern: str, says: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and says in problem[0] and problem[1]


def test_a_measure_names_exactly_one_rule() -> None:
    assert Measure(count="runbooks/*.md").kind is MeasureKind.COUNT
    assert str(Measure(pages="*.pdf")) == "pages of *.pdf"
    for given in ({}, {"count": "*.md", "pages": "*.md"}):
        with pytest.raises(ValidationError, match="exactly one of count, bytes or pages"):
            Measure.model_validate(given)


def test_pages_are_refused_on_files_that_are_not_documents() -> None:
    assert can_hold_pages("runbooks/*.MD") and can_hold_pages("*.htm")
    for pattern in ("*.zip", "runbooks/*", "*.docx"):
        assert not can_hold_pages(pattern)
        with pytest.raises(ValidationError, match="matches none"):
            Measure(pages=pattern)
    assert Measure(count="*.zip").pattern == "*.zip"  # counting or sizing any file is fine
    assert Measure(bytes="*.zip").kind is MeasureKind.BYTES


def test_words_and_manuscript_pages() -> None:
    assert words("# Title\n\n- one two\n\n|---|---|\n| a | b |") == 5  # marks are not words
    assert [text_pages(n) for n in (0, 1, 500, 501, 1000, 1501)] == [0, 1, 1, 2, 2, 4]
    assert document_pages("a.md", "word " * 1200) == 3


def test_html_pages_count_what_a_reader_sees() -> None:
    html = "<html><head><style>p {color: red}</style><script>var a = 1;</script></head>"
    html += "<body><h1>Runbook</h1><p>Reset the <b>password</b> &amp; unlock.</p></body></html>"
    assert words(html_text(html)) == 5  # Runbook Reset the password unlock
    assert document_pages("runbook.HTML", html + "<p>" + "word " * 600 + "</p>") == 2


@pytest.mark.parametrize(
    ("kind", "unit", "fits"),
    [
        (MeasureKind.PAGES, "pages", True),
        (MeasureKind.PAGES, "page", True),
        (MeasureKind.PAGES, "minutes", False),
        (MeasureKind.PAGES, "files", False),
        (MeasureKind.BYTES, "bytes", True),
        (MeasureKind.BYTES, "MB", False),
        (MeasureKind.COUNT, "files", True),
        (MeasureKind.COUNT, "runbooks", True),
        (MeasureKind.COUNT, "rehearsals", True),
        (MeasureKind.COUNT, "pages", False),
        (MeasureKind.COUNT, "hours", False),
        (MeasureKind.COUNT, "%", False),
    ],
)
def test_the_unit_fits_what_the_rule_measures(kind: MeasureKind, unit: str, fits: bool) -> None:
    assert (unit_problem(kind, unit) is None) is fits


def delivered(name: str, size: int = 10, rung: str = "rung-1") -> DeliveredFile:
    return DeliveredFile(name=name, sha256="a" * 64, size=size, path=f"x/{name}", rung=rung)


def test_a_value_over_every_matched_file_with_their_checksums() -> None:
    files = [
        delivered("runbooks/a.md", 100),
        delivered("notes.md", 5),
        delivered("runbooks/b.md", 50, "rung-2"),
    ]
    pages = Measure(pages="runbooks/*.md")
    chosen = matched(pages, files)
    assert [f.name for f in chosen] == ["runbooks/a.md", "runbooks/b.md"]
    result = outcome(
        "runbooks", pages, [ReadFile(file=chosen[0], pages=4), ReadFile(file=chosen[1], pages=3)]
    )
    assert result.value == Decimal(7) and not result.problems
    assert [(f.name, f.sha256, f.size) for f in result.files] == [
        ("runbooks/a.md", "a" * 64, 100),
        ("runbooks/b.md", "a" * 64, 50),
    ]
    assert "4 + 3" in result.note and "rung-1, rung-2" in result.note
    sizes = outcome("runbooks", Measure(bytes="runbooks/*.md"), [ReadFile(file=f) for f in chosen])
    assert sizes.value == Decimal(150)
    count = outcome("runbooks", Measure(count="runbooks/*.md"), [ReadFile(file=f) for f in chosen])
    assert count.value == Decimal(2)


def test_one_unreadable_file_leaves_no_value_never_a_partial_one() -> None:
    rule = Measure(pages="*.pdf")
    bad = Problem(message="b.pdf is not a readable PDF", fix="deliver it again", file="b.pdf")
    read = [
        ReadFile(file=delivered("a.pdf"), pages=12),
        ReadFile(file=delivered("b.pdf"), problem=bad),
    ]
    result = outcome("manual", rule, read)
    assert result.value is None and result.problems == [bad] and not result.files
    assert str(bad) == "b.pdf is not a readable PDF. Fix: deliver it again"


def test_a_rule_matching_nothing_has_no_value_not_zero() -> None:
    rule = Measure(count="runbooks/*.md")
    result = no_match("runbooks", rule, [delivered("report.md"), delivered("notes.md")])
    assert result.value is None
    assert "no delivered file matches 'runbooks/*.md'" in result.problems[0].message
    assert "report.md, notes.md" in result.problems[0].message
    assert outcome("runbooks", rule, []).value is None
