"""A finding: one thing wrong or risky in a plan, pointing at the field it is about."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

Path = tuple[str | int, ...]


class Severity(StrEnum):
    """Errors refuse the plan; warnings let it through."""

    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """What is wrong, at which field, and how to fix it."""

    severity: Severity
    path: Path
    message: str
    fix: str = ""

    @property
    def field(self) -> str:
        """The path as a reader writes it: expectations[0].target."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text.lstrip(".") or "(plan)"


def error(path: Path, message: str, fix: str = "") -> Finding:
    """A finding that refuses the plan."""
    return Finding(severity=Severity.ERROR, path=path, message=message, fix=fix)


def warning(path: Path, message: str, fix: str = "") -> Finding:
    """A finding that lets the plan through but says why it is risky."""
    return Finding(severity=Severity.WARNING, path=path, message=message, fix=fix)
