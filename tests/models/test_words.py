"""The vagueness check and the authority split, as pure rules on words."""

from __future__ import annotations

from models.authority import entered_area, overlapping_areas
from models.vagueness import vague_terms, vagueness_message


def test_vague_words_are_found_in_prose_and_snake_case() -> None:
    assert vague_terms("Respond ASAP with high quality answers") == ["asap", "high quality"]
    assert vague_terms("good_response_time") == ["good"]
    assert vague_terms("best-effort, as needed") == ["best-effort", "as needed"]


def test_measurable_words_pass() -> None:
    for text in [
        "p90_first_response_minutes",
        "Tickets reopened within 7 days",
        "goodwill credits issued",
        "breakfast orders",
        "csat_score",
    ]:
        assert vague_terms(text) == [], text


def test_the_message_suggests_a_measurable_form() -> None:
    message = vagueness_message("fast")
    assert message is not None
    assert "'fast' cannot be measured" in message and "p90_first_response_minutes" in message
    assert vagueness_message("p90_resolution_hours") is None


def test_overlap_matches_word_forms() -> None:
    assert overlapping_areas(["Tools", "budget"], ["tooling", "staffing"]) == ["Tools"]
    assert overlapping_areas(["acceptance criteria"], ["implementation approach"]) == []


def test_a_text_entering_a_vendor_area_names_the_area_and_word() -> None:
    vendor = ["tooling", "staffing", "implementation approach"]
    assert entered_area("Log every call in ServiceNow", vendor) == ("tooling", "servicenow")
    assert entered_area("keep team size at four", vendor) == ("staffing", "team size")
    assert entered_area("follow our methodology", vendor) == (
        "implementation approach",
        "methodology",
    )
    assert entered_area("p90_first_response_minutes under 30", vendor) is None
