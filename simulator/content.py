"""Deterministic file contents: the same seed and names always give the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from collections.abc import Mapping
from typing import Any

WORDS = (
    "access account backup change client config desk escalate incident install laptop "
    "licence mailbox monitor network office password patch printer queue restore runbook "
    "server service share shift ticket update user vendor verify vpn"
).split()
FORMATS = ("zip", "json")
# A fixed timestamp keeps archives byte-identical between runs.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def sha256(data: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def document(seed: int, key: str, title: str, paragraphs: int = 6) -> bytes:
    """A markdown document whose words depend only on the seed and the key."""
    rng = random.Random(f"{seed}:doc:{key}")
    lines = [f"# {title}", ""]
    for number in range(1, paragraphs + 1):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
        lines += [f"## Step {number}", "", words.capitalize() + ".", ""]
    return "\n".join(lines).encode()


def runbook(seed: int, key: str, title: str, words: int) -> bytes:
    """A markdown runbook of exactly `words` words, headings included, in numbered steps."""
    rng = random.Random(f"{seed}:runbook:{key}")
    lines = [f"# {title}", ""]
    left = words - len(title.split())
    number = 0
    while left > 2:  # a step's heading, "## Step N", is two words
        number += 1
        count = min(rng.randint(40, 80), left - 2)
        left -= count + 2
        text = " ".join(rng.choice(WORDS) for _ in range(count))
        lines += [f"## Step {number}", "", text.capitalize() + ".", ""]
    return "\n".join(lines).encode()


def archive(files: Mapping[str, Any], format_: str = "zip") -> bytes:
    """A zip of JSON files (or one JSON document), byte-identical for identical contents."""
    if format_ == "json":
        return json.dumps(files, indent=2, sort_keys=True, default=str).encode() + b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            text = json.dumps(files[name], indent=2, sort_keys=True, default=str)
            zipped.writestr(info, text + "\n")
    return buffer.getvalue()
