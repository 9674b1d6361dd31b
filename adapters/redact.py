"""Keep tokens out of logs: a filter that masks credentials in every record it sees."""

from __future__ import annotations

import logging
import re

MASK = "***"
_PATTERNS = [
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(bearer\s+)?[^\s\"',}]+"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:token|secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"),
]


def redact(text: str, secrets: frozenset[str] = frozenset()) -> str:
    """`text` with credentials and the given secret values masked."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) or "") + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks credentials in a record's final message before any handler writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with credentials masked; never drop it."""
        message = record.getMessage()
        cleaned = redact(message, frozenset(self.secrets))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


FILTER = RedactingFilter()


def protect(*secrets: str) -> None:
    """Mask these values, and any bearer token, in the vendor and HTTP loggers."""
    FILTER.secrets.update(s for s in secrets if s)
    for name in ("trials.vendor", "httpx", "httpcore"):
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
