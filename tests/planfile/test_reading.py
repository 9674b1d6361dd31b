"""Reading a plan file, whatever is in it: every failure to read, decode, parse or build a
value is one located refusal (exit 1), bounded in time and memory, with nothing stored."""

from __future__ import annotations

import codecs
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from models.checks import PlanPolicy
from models.tables import Trial
from planfile import load_plan
from planfile.loader import MAX_VALUES
from planfile.source import MAX_PLAN_BYTES
from store.db import read_session
from tests.conftest import VALID_PLAN, line_of

runner = CliRunner()
DATED = VALID_PLAN.replace("    holds_from: rung-3\n", "    holds_by: 2026-06-30\n", 1)
BOMB = "notes:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def hostile_files(folder: Path) -> dict[str, Path]:
    """A corpus of plan files that must each be refused: its name and path."""
    texts: dict[str, bytes] = {
        "utf-16-le": codecs.BOM_UTF16_LE + VALID_PLAN.encode("utf-16-le"),
        "utf-16-be": codecs.BOM_UTF16_BE + VALID_PLAN.encode("utf-16-be"),
        "utf-32": VALID_PLAN.encode("utf-32"),
        "utf-16-without-mark": VALID_PLAN.encode("utf-16-le"),
        "windows-1252": VALID_PLAN.replace("Desk Co", "Desk Zürich").encode("cp1252"),
        "random-bytes": random.Random(7).randbytes(64 * 1024),
        "nul-in-text": VALID_PLAN.replace("Pilot helpdesk", "Pilot\x00helpdesk").encode(),
        "control-character": VALID_PLAN.replace("Pilot helpdesk", "Pilot\x01helpdesk").encode(),
        "june-31": DATED.replace("2026-06-30", "2026-06-31").encode(),
        "february-29-2026": DATED.replace("2026-06-30", "2026-02-29").encode(),
        "month-13": DATED.replace("2026-06-30", "2026-13-01").encode(),
        "bad-float-tag": VALID_PLAN.replace("contingency: 0.15", "contingency: !!float x").encode(),
        "bad-int-tag": VALID_PLAN.replace("cap: 14000", "cap: !!int 14k").encode(),
        "nested-50000-deep": b"trial: " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
        "nested-100-deep": VALID_PLAN.encode() + b"notes: " + b"[" * 100 + b"]" * 100 + b"\n",
        "alias-bomb": (VALID_PLAN + BOMB).encode(),
        "amounts-1e308": VALID_PLAN.replace("estimate: 12600", "estimate: 1e308")
        .replace("cap: 14000", "cap: 1e308")
        .encode(),
        "too-large": VALID_PLAN.encode() + b"# padding\n" * (MAX_PLAN_BYTES // 10),
        "empty": b"",
        "a-list": b"- trial: x\n",
        # Numbers, money, names and addresses as people write them (their own kinds).
        "contingency-15-percent": VALID_PLAN.replace(
            "contingency: 0.15", "contingency: 15%"
        ).encode(),
        "estimate-with-separators": VALID_PLAN.replace(
            "estimate: 12600", 'estimate: "$12,600"'
        ).encode(),
        "rate-finer-than-the-currency": VALID_PLAN.replace(
            "engineer: 100", "engineer: 100.125"
        ).encode(),
        "currency-not-iso-4217": VALID_PLAN.replace("currency: USD", "currency: ABC").encode(),
        "currency-gold": VALID_PLAN.replace("currency: USD", "currency: XAU").encode(),
        "hours-finer-than-kept": VALID_PLAN.replace(
            "      engineer: 8\n", "      engineer: 8.125\n"
        ).encode(),
        "metadata-service-address": VALID_PLAN.replace(
            "http://127.0.0.1:8765", "http://169.254.169.254/latest"
        ).encode(),
        "vendor-named-in-symbols-only": VALID_PLAN.replace("name: Desk Co", 'name: "—"')
        .replace("engineer: 100", "engineer: 100.001")
        .encode(),
    }
    folder.mkdir(exist_ok=True)
    for name, data in texts.items():
        (folder / f"{name}.yaml").write_bytes(data)
    return {name: folder / f"{name}.yaml" for name in texts}


def refused_in_bounds(argv: list[str]) -> str:
    """Run the command in this process; check it refuses (exit 1) with a located message,
    within 5 s and 200 MB of Python allocations. Its output."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = runner.invoke(app, argv)
        took = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    assert argv[-1] in result.output  # the refusal names the file
    assert took < 5, f"{argv}: {took:.1f} s"
    assert peak < 200 * 2**20, f"{argv}: {peak / 2**20:.0f} MB"
    return result.output


@pytest.mark.parametrize("command", ["validate", "create"])
def test_hostile_files_are_refused_quickly_and_nothing_is_stored(
    command: str, settings: Settings, tmp_path: Path
) -> None:
    for path in [*hostile_files(tmp_path / "hostile").values(), Path("/dev/zero")]:
        refused_in_bounds([command, str(path)])
    with read_session(settings) as session:
        assert session.exec(select(Trial)).all() == []


Check = Callable[[str], bool]
EXPECTED: dict[str, tuple[int | None, Check]] = {
    # name: (the line the refusal names, or None for the whole file; what it must say)
    "utf-16-le": (
        1,
        lambda m: "saved as UTF-16 LE, not UTF-8" in m and "save the file as UTF-8" in m,
    ),
    "utf-16-be": (1, lambda m: "saved as UTF-16 BE" in m),
    "utf-32": (1, lambda m: "saved as UTF-32 LE" in m),
    "utf-16-without-mark": (1, lambda m: "looks saved as UTF-16" in m),
    "windows-1252": (4, lambda m: "0xFC reads as 'ü' in Windows-1252" in m and "UTF-8" in m),
    "nul-in-text": (2, lambda m: "NUL character" in m),
    "control-character": (2, lambda m: "character U+0001 cannot be in YAML" in m),
    "june-31": (None, lambda m: "valid date" in m and "YYYY-MM-DD" in m and "2026-06-31" in m),
    "february-29-2026": (None, lambda m: "valid date" in m and "2026-02-29" in m),
    "bad-float-tag": (15, lambda m: "cannot read this value" in m),
    "bad-int-tag": (16, lambda m: "cannot read this value" in m),
    "nested-50000-deep": (1, lambda m: "nested more than 40 levels deep in brackets" in m),
    "nested-100-deep": (None, lambda m: "nested more than 40 levels" in m),
    "alias-bomb": (None, lambda m: f"more than {MAX_VALUES:,} values" in m),
    "too-large": (None, lambda m: "larger than 1024 KB" in m),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_refusal_says_what_and_where(name: str, tmp_path: Path) -> None:
    path = hostile_files(tmp_path)[name]
    [finding] = load_plan(path, PlanPolicy()).findings
    line, says = EXPECTED[name]
    assert finding.severity == "error" and finding.fix, finding
    assert says(f"{finding.message} Fix: {finding.fix}"), str(finding)
    if line is not None:
        assert finding.line == line, str(finding)
    if name.startswith(("june", "february")):
        assert (finding.field, finding.line) == (
            "expectations[1].holds_by",
            line_of(path, "holds_by"),
        )
    if name in {"alias-bomb", "nested-100-deep"}:
        assert finding.line >= line_of(path, "notes:")


def test_a_utf8_byte_order_mark_is_fine(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan()
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    assert load_plan(path, PlanPolicy()).ok


def test_a_date_that_exists_is_read_as_a_date(tmp_path: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(DATED)
    report = load_plan(path, PlanPolicy())
    assert report.plan is not None, [str(f) for f in report.findings]
    assert str(report.plan.expectations[1].holds_by) == "2026-06-30"


FIRST_EXPECTATION = """\
  - id: first-response
    metric: p90_first_response_minutes
    comparator: "<="
    target: 30
    unit: minutes
    source: vendor_metrics
    holds_from: rung-2
    weight: 3
"""
MERGED = VALID_PLAN.replace(
    "expectations:\n",
    'defaults: &defaults\n  comparator: "<="\n  source: vendor_metrics\n  weight: WEIGHT\n'
    "expectations:\n",
).replace(
    FIRST_EXPECTATION,
    "  - <<: *defaults\n    id: first-response\n    metric: p90_first_response_minutes\n"
    "    target: 30\n    unit: minutes\n    holds_from: rung-2\n",
)


def test_values_merged_from_an_anchor_validate_like_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    # `defaults` is no section of a plan: the merge is read, the key itself refused.
    assert FIRST_EXPECTATION in VALID_PLAN
    path.write_text(MERGED.replace("WEIGHT", "2"))
    findings = load_plan(path, PlanPolicy()).findings
    assert [(f.field, f.line) for f in findings] == [("defaults", line_of(path, "defaults:"))]


def test_a_bad_value_merged_from_an_anchor_is_reported_where_it_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text(MERGED.replace("WEIGHT", "heavy"))
    weight = [f for f in load_plan(path, PlanPolicy()).findings if "weight" in f.field]
    assert [(f.field, f.line) for f in weight] == [
        ("expectations[0].weight", line_of(path, "weight: heavy"))
    ]
