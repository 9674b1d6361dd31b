"""Files fetched from the vendor: archived whole and checked on disk, recorded once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.errors import StoreError
from models.exit_rules import ArchivedFile
from models.tables import StoredFile, utcnow


def write_verified(path: Path, content: bytes, sha256: str) -> None:
    """Write the file whole or not at all (a temporary file renamed), then check it on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise StoreError(
            f"The archived copy {path} does not match its sha256 {sha256}: the disk lost or "
            "changed it. Check the data directory (TRIALS_DATA_DIR), then run the exit again."
        )


def record_file(
    *, session: Session, trial_id: int, file: ArchivedFile, pilot_task_id: int | None = None
) -> None:
    """Upsert the archived file, unique per trial, kind and vendor reference."""
    values = {
        "trial_id": trial_id,
        "pilot_task_id": pilot_task_id,
        **file.model_dump(),
        "fetched_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(StoredFile).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["trial_id", "kind", "vendor_ref"],
            set_={
                k: statement.excluded[k] for k in ("name", "size", "sha256", "path", "fetched_at")
            },
        )
    )
