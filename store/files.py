"""Files fetched from the vendor: archived on disk, recorded once in the store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlmodel import Session, select

from models.tables import StoredFile


def archive_path(data_dir: Path, slug: str, kind: str, name: str) -> Path:
    """Where a fetched file is kept: data_dir/archive/<trial>/<kind>/<name>."""
    return data_dir / "archive" / slug / kind / Path(name).name


def write_atomically(path: Path, content: bytes) -> None:
    """Write the file whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_file(*, session: Session, row: StoredFile) -> StoredFile:
    """The stored file for (trial, kind, vendor_ref): recorded before, or recorded now."""
    existing = session.exec(
        select(StoredFile).where(
            StoredFile.trial_id == row.trial_id,
            StoredFile.kind == row.kind,
            StoredFile.vendor_ref == row.vendor_ref,
        )
    ).first()
    if existing is not None:
        return existing
    session.add(row)
    session.flush()
    return row
