"""Example requests for the OpenAPI document: what the engine sends, and what a contract
test's examples phase sends first. Each is one the simulator accepts."""

from __future__ import annotations

from typing import Any

from fastapi import Body

TRIAL = "acme-helpdesk-2026q4"


def body(summary: str, value: dict[str, Any]) -> Any:
    """A request body parameter that documents one example."""
    return Body(openapi_examples={"engine": {"summary": summary, "value": value}})


WORK_ITEM = body(
    "The first rung of a pilot",
    {
        "client_ref": f"{TRIAL}:pilot:rung-1",
        "trial": TRIAL,
        "title": "Reset passwords for the finance team",
        "hours": {"engineer": "6", "lead": "2"},
        "rates": {"engineer": "95", "lead": "140"},
        "currency": "USD",
        "due_in_days": 5,
    },
)
ACK = body(
    "Two expectations to acknowledge",
    {
        "expectations": [
            {
                "id": "first-response",
                "metric": "p90_first_response_minutes",
                "comparator": "<=",
                "target": "30",
                "unit": "minutes",
            },
            {
                "id": "runbooks",
                "metric": "runbook_pages",
                "comparator": ">=",
                "target": "10",
                "unit": "pages",
            },
        ]
    },
)
DIRECTIVE = body(
    "An instruction in the client's own area",
    {
        "client_ref": f"{TRIAL}:directive:1",
        "text": "Escalate every P1 ticket to the client's security lead within 15 minutes.",
        "area": "security requirements",
    },
)
EXPORT = body("The client's data back, zipped", {"client_ref": f"{TRIAL}:exit:data_return"})
