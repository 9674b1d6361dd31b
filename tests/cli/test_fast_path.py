"""Read commands stay light: no Prefect, no server."""

from __future__ import annotations

import subprocess
import sys

from config import Settings

PROBE = """
import sys
from cli.main import app
try:
    app(["list", "--json"])
except SystemExit as exit:
    assert exit.code in (0, None), exit.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {
    "prefect", "httpx", "alembic", "sqlalchemy", "sqlmodel", "ruamel"})
print("HEAVY", heavy)
"""


def test_list_imports_neither_prefect_nor_sqlalchemy(settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
