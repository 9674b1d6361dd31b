"""The one place configuration is read: environment variables prefixed TRIALS_."""

from __future__ import annotations

import getpass
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from platformdirs import user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from models.checks import PlanPolicy

from models.errors import TrialsError
from models.notify import Notify


class Settings(BaseSettings):
    """Engine settings; every field can be set as TRIALS_<NAME> or in a .env file."""

    # Frozen: get_settings hands the same instance to every caller.
    model_config = SettingsConfigDict(
        env_prefix="TRIALS_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(default_factory=lambda: user_data_path("vendor-trials"))
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the state store; SQLite in data_dir when unset.",
    )
    sqlite_busy_timeout_ms: int = 5000
    debug: bool = Field(default=False, description="Show tracebacks of internal errors.")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks secret (whsec_...) that vendors sign their webhooks with.",
    )
    vendor_connect_timeout: float = 3.0
    vendor_read_timeout: float = 5.0
    vendor_max_attempts: int = Field(default=6, ge=1)
    vendor_backoff_initial: float = Field(default=0.2, gt=0)
    vendor_backoff_max: float = Field(default=8.0, gt=0)
    vendor_max_connections: int = Field(default=10, ge=1)
    vendor_concurrency: int = Field(
        default=4,
        ge=1,
        description="Requests in flight to one vendor at once, across every worker of a "
        "Prefect server: the limit a vendor's Prefect concurrency limit is created with at "
        "onboarding. Within one process, TRIALS_VENDOR_MAX_CONNECTIONS bounds them too.",
    )
    gate_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often (seconds) a run paused at a gate checks for a person's answer: "
        "the most an answer waits before the run carries on.",
    )
    actor: str = Field(
        default_factory=getpass.getuser,
        description="Who is recorded in the audit log for CLI actions.",
    )
    notify: Notify | None = Field(
        default=None,
        description="Who is told about every trial, as a plan's notify: section, in JSON: "
        '{"chat": [URL], "webhooks": [URL], "email": [ADDRESS], "blocks": [TYPE/NAME]}.',
    )
    notify_webhook_secret: SecretStr | None = Field(
        default=None,
        description="The Standard Webhooks secret (whsec_...) generic notification webhooks "
        "are signed with.",
    )
    notify_failures_days: int = Field(
        default=7,
        gt=0,
        description="`trials status` shows notifications not sent this many days back.",
    )
    smtp_host: str | None = Field(default=None, description="The SMTP server e-mail goes by.")
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = Field(
        default="vendor-trials@localhost", description="The From: of notification e-mail."
    )
    first_rung_max_share: Decimal = Decimal("0.20")
    first_rung_max_days: int = 10
    min_contingency: Decimal = Decimal("0.10")
    allow_link_local_vendors: bool = Field(
        default=False,
        description="Allow a plan's vendor API at a link-local or cloud-metadata address "
        "(169.254.0.0/16, fe80::/10): refused by default, as calls there reach this "
        "machine's metadata service with the vendor's token.",
    )

    @field_validator("database_url")
    @classmethod
    def _supported_store(cls, url: str | None) -> str | None:
        if url and not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("use a sqlite:/// or postgresql+psycopg:// URL")
        return url

    @property
    def store_url(self) -> str:
        """The database URL in force: the configured one, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'trials.db'}"

    @property
    def policy(self) -> PlanPolicy:
        """The limits every plan is checked against."""
        from models.checks import PlanPolicy  # the plan rules are not needed to read trials

        return PlanPolicy(
            first_rung_max_share=self.first_rung_max_share,
            first_rung_max_days=self.first_rung_max_days,
            min_contingency=self.min_contingency,
            allow_link_local_vendors=self.allow_link_local_vendors,
        )


def get_settings() -> Settings:
    """Settings as the environment and the working directory's `.env` file give them now.

    Reading them walks every field through pydantic-settings (about 5 ms); a trial opens a
    store session at each step, so the result is kept while the environment, the working
    directory and its `.env` file stay as they were (tests change them between calls).

    Raises TrialsError naming each invalid TRIALS_ variable.
    """
    return _settings(_inputs())


def _inputs() -> tuple[str, bytes | None, tuple[tuple[str, str], ...]]:
    """What Settings() reads: the working directory, its .env file, the environment (all
    of it: the defaults read HOME, XDG_DATA_HOME and the login name too)."""
    try:
        with open(".env", "rb") as env_file:
            dotenv: bytes | None = env_file.read()
    except OSError:
        dotenv = None
    return os.getcwd(), dotenv, tuple(sorted(os.environ.items()))


@lru_cache(maxsize=8)
def _settings(inputs: tuple[str, bytes | None, tuple[tuple[str, str], ...]]) -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"TRIALS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise TrialsError(
            f"Invalid configuration: {problems}. Fix the environment variable or the .env file."
        ) from None
