"""Names derived from a person's text (a vendor's name, a document's title), readable and
distinct in any script."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")  # Unicode-aware: every script's letters stay


def readable_slug(text: str, *, longest: int = 120) -> str:
    """A lowercase, dash-separated form of `text`: `acme-managed-services`, `株式会社サンプル`.

    The text is NFKC-normalised and case-folded; letters and digits of every script are
    kept, and each run of anything else becomes one dash. Text with no letter or digit at
    all gives `x` and eight hex digits of its SHA-256, so different texts stay different.
    At most `longest` characters.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    stem = _NOT_A_LETTER_OR_DIGIT.sub("-", folded).strip("-")[:longest].strip("-")
    return stem or "x" + hashlib.sha256(text.encode()).hexdigest()[:8]
