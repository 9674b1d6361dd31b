"""The Vendor Work API's OpenAPI document, generated from the simulator's routes.

Run `python -m simulator.openapi` to rewrite `adapters/openapi.json` after changing the
contract models or the routes; a test fails while the two differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.app import create_app
from simulator.config import SimulatorConfig

SPEC_PATH = Path(__file__).resolve().parent.parent / "adapters" / "openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document the simulator serves; admin routes are not part of it."""
    return create_app(SimulatorConfig()).openapi()


def render() -> str:
    """The document as committed: pretty JSON, sorted keys, a trailing newline."""
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SPEC_PATH.write_text(render(), encoding="utf-8")
    print(f"Wrote {SPEC_PATH.name} ({len(document()['paths'])} paths).")
