"""Settings are read once for each environment, working directory and .env file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import get_settings
from models.errors import TrialsError


def test_the_same_environment_gives_the_same_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "3")
    first = get_settings()
    assert get_settings() is first
    assert first.vendor_max_attempts == 3
    with pytest.raises(ValidationError, match="frozen"):
        first.vendor_max_attempts = 4  # type: ignore[misc]


def test_a_changed_variable_or_a_new_default_source_is_read_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "3")
    assert get_settings().vendor_max_attempts == 3
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "5")
    assert get_settings().vendor_max_attempts == 5
    # data_dir's default follows XDG_DATA_HOME, which has no TRIALS_ prefix.
    monkeypatch.delenv("TRIALS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "one"))
    assert get_settings().data_dir == tmp_path / "one" / "vendor-trials"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "two"))
    assert get_settings().data_dir == tmp_path / "two" / "vendor-trials"


def test_an_edited_env_file_is_read_again_however_soon(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRIALS_GATE_POLL_SECONDS", raising=False)
    (tmp_path / ".env").write_text("TRIALS_GATE_POLL_SECONDS=1.5\n")
    assert get_settings().gate_poll_seconds == 1.5
    # Same size, written at once: no timestamp or size would tell the two apart.
    (tmp_path / ".env").write_text("TRIALS_GATE_POLL_SECONDS=2.5\n")
    assert get_settings().gate_poll_seconds == 2.5
    (tmp_path / ".env").unlink()
    assert get_settings().gate_poll_seconds == 2.0


def test_an_invalid_variable_is_refused_each_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "0")
    for _ in range(2):
        with pytest.raises(TrialsError, match="TRIALS_VENDOR_MAX_ATTEMPTS"):
            get_settings()
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")
    assert get_settings().vendor_max_attempts == 2
