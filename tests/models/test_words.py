"""The vagueness check and the authority split, as pure rules on words."""

from __future__ import annotations

import pytest

from models.authority import entered_area, mentioned_area, overlapping_areas
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


VENDOR = ["tooling", "staffing", "implementation approach"]


def test_a_text_entering_a_vendor_area_names_the_area_and_phrase() -> None:
    assert entered_area("Log every call in ServiceNow", VENDOR) == ("tooling", "in ServiceNow")
    assert entered_area("keep team size at four", VENDOR) == ("staffing", "team size")
    assert entered_area("follow our methodology", VENDOR) == (
        "implementation approach",
        "follow our methodology",
    )
    assert entered_area("p90_first_response_minutes under 30", VENDOR) is None


@pytest.mark.parametrize(
    ("text", "area", "phrase"),
    [
        # An order, in any voice, to use a tool, a method or a way of staffing.
        ("Tickets must be kept in Jira", "tooling", "kept in Jira"),
        ("Tickets kept in Jira", "tooling", "kept in Jira"),
        ("Use Jira for all tickets", "tooling", "Use Jira"),
        ("Jira must be used for all tickets", "tooling", "Jira"),
        ("Use of Jira for all tickets", "tooling", "Use of Jira"),
        ("ServiceNow only", "tooling", "ServiceNow"),
        ("Terraform-based deployments", "tooling", "Terraform"),
        ("Infrastructure implemented with Terraform", "tooling", "implemented with Terraform"),
        ("Deployments via Ansible", "tooling", "via Ansible"),
        ("Servers configured using Ansible", "tooling", "using Ansible"),
        ("Tickets raised through ServiceNow", "tooling", "through ServiceNow"),
        ("tickets_logged_in_jira_percent", "tooling", "logged_in_jira"),
        ("Delivered using agile methodology", "implementation approach", "using agile methodology"),
        # The client's own tool, when the vendor is told to use it.
        ("The vendor shall use the client's ServiceNow", "tooling", "use the client's ServiceNow"),
        ("The vendor must log tickets in our ServiceNow", "tooling", "in our ServiceNow"),
        ("Record every call in our ServiceNow", "tooling", "in our ServiceNow"),
        ("Tickets will be kept in the client's Jira", "tooling", "kept in the client's Jira"),
        ("Vendor to use our ServiceNow", "tooling", "use our ServiceNow"),
        # Who and how many do the work, wherever it is said.
        ("The vendor will staff 3 FTE onshore", "staffing", "staff"),
        ("Desk staffed by dedicated onshore engineers", "staffing", "staffed"),
        ("24/7 onshore support", "staffing", "onshore"),
        ("Monitored 24/7 by an onshore team", "staffing", "onshore"),
        ("Covered by 3 staff", "staffing", "3 staff"),
        ("Tickets must be handled by dedicated staff", "staffing", "staff"),
        ("Staff the desk with four engineers", "staffing", "Staff"),
        ("Hire two contractors", "staffing", "Hire"),
        ("onshore_fte_count", "staffing", "onshore"),
        # A description in one clause does not excuse an order in the next.
        (
            "Availability measured by the tool, and tickets must be kept in Jira",
            "tooling",
            "kept in Jira",
        ),
    ],
)
def test_an_order_on_how_the_vendor_works_prescribes_a_method(
    text: str, area: str, phrase: str
) -> None:
    assert entered_area(text, VENDOR) == (area, phrase)


@pytest.mark.parametrize(
    "text",
    [
        # How the client measures the result.
        "Service availability measured monthly by the uptime monitoring tool",
        "Response time as reported by the client's monitoring",
        "Uptime measured via the client's monitoring platform",
        "Resolution time measured using the client's ServiceNow reports",
        "Availability according to the client's uptime tool",
        "Availability must be measured by the client's uptime tool",
        # The people the service is for.
        "Priority 1 tickets from client staff get a response within 1 hour, 24/7",
        "Tickets from client staff must be answered within 1 hour",
        "Password resets for finance staff within 4 hours",
        "Passwords reset for client staff",
        "End users' tickets answered within 4 hours",
        "Staff augmentation for the service desk",
        "Laptops for new contractors ready on day one",
        # The client's own tools and places, described.
        "Tickets raised through the client's ServiceNow portal",
        "Tickets raised in our ServiceNow must get a response within 1 hour",
        "Tickets kept in the client's Jira",
        "Support for our offshore offices",
        # What the service is about, and when.
        "Platform availability at least 99.9%",
        "Jira uptime",
        "Critical defects in the software fixed within 1 day",
        "Changes implemented within 5 business days",
        "Responses within 8 working hours",
        "service_availability_percent",
    ],
)
def test_a_description_of_measurement_users_or_the_clients_own_is_not_a_prescription(
    text: str,
) -> None:
    assert entered_area(text, VENDOR) is None


def test_a_service_window_is_not_a_rota() -> None:
    assert entered_area("Responses within 8 working hours", ["scheduling"]) is None
    assert entered_area("Desk covered by a 24/7 rota", ["scheduling"]) == (
        "scheduling",
        "by a 24/7 rota",
    )


def test_what_a_text_is_about_is_still_read_from_its_words() -> None:
    # The override index infers the area an outcome rests on; that is a topic, not an order.
    assert mentioned_area("tooling_uptime", VENDOR) == ("tooling", "tool")
    assert mentioned_area("Jira uptime", VENDOR) == ("tooling", "jira")
    assert mentioned_area("p90_first_response_minutes", VENDOR) is None
