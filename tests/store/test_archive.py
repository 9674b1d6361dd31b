"""Archived deliverables read back from disk: verified against their sha256, pages counted,
and every reason a file cannot be used said with its fix."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from pypdf import PdfWriter

from models.deliverables import DeliveredFile
from models.measure import MeasureKind
from store.archive import read_back


def pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def archived(data_dir: Path, name: str, content: bytes) -> DeliveredFile:
    """Write the file where the archive keeps it, and its record."""
    relative = f"archive/t/deliverables/rung-1/{Path(name).name}"
    (data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / relative).write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    return DeliveredFile(name=name, sha256=digest, size=len(content), path=relative, rung="rung-1")


def test_a_pdf_has_the_pages_of_its_page_tree(tmp_path: Path) -> None:
    read = read_back(tmp_path, archived(tmp_path, "manual.pdf", pdf(3)), MeasureKind.PAGES)
    assert read.problem is None and read.pages == 3


def test_markdown_and_html_have_manuscript_pages(tmp_path: Path) -> None:
    markdown = archived(tmp_path, "runbooks/a.md", ("word " * 1001).encode())
    assert read_back(tmp_path, markdown, MeasureKind.PAGES).pages == 3
    html = archived(tmp_path, "a.html", b"\xef\xbb\xbf<p>" + b"word " * 20 + b"</p>")  # a BOM
    assert read_back(tmp_path, html, MeasureKind.PAGES).pages == 1


def test_a_corrupt_pdf_is_a_problem_not_zero_pages(tmp_path: Path) -> None:
    broken = archived(tmp_path, "manual.pdf", pdf(2)[:60])  # cut short
    read = read_back(tmp_path, broken, MeasureKind.PAGES)
    assert read.pages is None and read.problem is not None
    assert "manual.pdf (delivered at rung-1) is not a readable PDF" in read.problem.message
    assert "deliver the PDF again" in read.problem.fix
    garbage = archived(tmp_path, "notes.pdf", b"%PDF-1.7 this is not a PDF at all")
    assert read_back(tmp_path, garbage, MeasureKind.PAGES).problem is not None
    # A count or a size does not open the file: its checksum is what makes it usable.
    assert read_back(tmp_path, broken, MeasureKind.COUNT).problem is None


def test_a_file_changed_after_it_was_archived_is_never_measured(tmp_path: Path) -> None:
    file = archived(tmp_path, "runbooks/a.md", b"reset the password")
    (tmp_path / file.path).write_bytes(b"reset the password, and more")
    for kind in MeasureKind:
        read = read_back(tmp_path, file, kind)
        assert read.problem is not None and read.pages is None
        assert f"no longer matches its sha256 {file.sha256}" in read.problem.message
        assert f"restore {file.path} from a backup" in read.problem.fix


def test_a_missing_file_and_one_that_is_not_text(tmp_path: Path) -> None:
    gone = archived(tmp_path, "runbooks/a.md", b"text")
    (tmp_path / gone.path).unlink()
    read = read_back(tmp_path, gone, MeasureKind.COUNT)
    assert read.problem is not None and "cannot be read" in read.problem.message
    latin = archived(tmp_path, "runbooks/b.md", "caf\u00e9".encode("cp1252"))
    read = read_back(tmp_path, latin, MeasureKind.PAGES)
    assert read.problem is not None and "is not UTF-8 text: byte 0xE9" in read.problem.message
