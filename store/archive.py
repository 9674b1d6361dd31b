"""Archived deliverables read back from disk: checked against their sha256, their pages
counted (PDF with pypdf; Markdown and HTML by models.measure's manuscript rule)."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

from pypdf import PdfReader

from models.deliverables import DeliveredFile, Problem, ReadFile
from models.measure import PDF_SUFFIXES, MeasureKind, document_pages

# pypdf logs every repair it makes to a broken file; the problem is reported once, here.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_back(data_dir: Path, file: DeliveredFile, kind: MeasureKind) -> ReadFile:
    """The archived copy of a delivered file, verified; with its pages for a pages rule."""
    path = data_dir / file.path
    try:
        content = path.read_bytes()
    except OSError as exc:
        return _problem(
            file,
            f"the archived copy of {file.name} (delivered at {file.rung}) cannot be read: "
            f"{exc.strerror or type(exc).__name__}",
            f"restore {file.path} in the data directory from a backup, or ask the vendor to "
            "deliver it again",
        )
    digest = hashlib.sha256(content).hexdigest()
    if digest != file.sha256:
        return _problem(
            file,
            f"the archived copy of {file.name} (delivered at {file.rung}) no longer matches "
            f"its sha256 {file.sha256} (it is {digest} now): it changed after it was archived",
            f"restore {file.path} from a backup, or ask the vendor to deliver it again; "
            "a changed file is never measured",
        )
    if kind is not MeasureKind.PAGES:
        return ReadFile(file=file)
    if file.name.lower().endswith(PDF_SUFFIXES):
        return _pdf(file, content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _problem(
            file,
            f"{file.name} (delivered at {file.rung}) is not UTF-8 text: byte "
            f"0x{content[exc.start]:02X} at offset {exc.start}",
            "ask the vendor for the document saved as UTF-8",
        )
    return ReadFile(file=file, pages=document_pages(file.name, text))


def _pdf(file: DeliveredFile, content: bytes) -> ReadFile:
    """A PDF's page count, or why it cannot be read."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):  # an empty password opens many
            return _problem(
                file,
                f"{file.name} (delivered at {file.rung}) is an encrypted PDF",
                "ask the vendor for the document without a password",
            )
        pages = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on broken input; each means corrupt
        return _problem(
            file,
            f"{file.name} (delivered at {file.rung}) is not a readable PDF "
            f"({type(exc).__name__}: {str(exc)[:120]})",
            "ask the vendor to deliver the PDF again; its pages are not counted until then",
        )
    return ReadFile(file=file, pages=pages)


def _problem(file: DeliveredFile, message: str, fix: str) -> ReadFile:
    return ReadFile(file=file, problem=Problem(message=message, fix=fix, file=file.name))
