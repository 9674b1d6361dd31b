"""How one simulator instance behaves: profile, seed, token, pace, faults and webhooks."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook


class ProfileName(StrEnum):
    """The vendor behaviours the simulator can play."""

    RELIABLE = "reliable"
    OVERRUNNER = "overrunner"
    POOR = "poor"
    FLAKY = "flaky"
    GHOST = "ghost"
    HOSTILE_EXIT = "hostile-exit"


class SimulatorConfig(BaseModel):
    """Settings of one simulator; every behaviour is deterministic for a seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: ProfileName = ProfileName.RELIABLE
    seed: int = 7
    token: str = Field(default="sim-token", min_length=1)
    seconds_per_day: float = Field(default=1.0, gt=0, description="Real seconds per sim day.")
    tick_seconds: float = Field(default=0.1, gt=0, description="Real seconds between ticks.")
    idle_time_passes: bool = Field(
        default=True,
        description="Simulated time runs while the vendor has nothing in hand; off, it "
        "stands still then, so a trial's dates span only the vendor's work.",
    )
    fault_rate: float = Field(default=0.25, ge=0, le=1, description="Share of faulted requests.")
    slow_seconds: tuple[float, float] = Field(
        default=(1.0, 2.0), description="Range of a slow answer's delay (flaky)."
    )
    timeout_seconds: float = Field(
        default=8.0, ge=0, description="Delay of a timed-out answer, past a 5 s client timeout."
    )
    ghost_after_requests: int | None = Field(
        default=20, ge=0, description="The ghost stops answering after this many API requests."
    )
    ghost_after_days: float | None = Field(
        default=None, ge=0, description="The ghost stops answering after this many sim days."
    )
    hang_seconds: float = Field(
        default=600.0, ge=0, description="How long a ghost holds a request before a 503."
    )
    webhook_url: str | None = None
    webhook_secret: str | None = None
    vendor_name: str | None = None

    @field_validator("slow_seconds")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high:
            raise ValueError("slow_seconds must be (low, high) with 0 <= low <= high")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _standard_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            Webhook(value)
            valid = value.startswith("whsec_")
        except (ValueError, EmptyWebhookSecretError):
            valid = False
        if not valid:
            raise ValueError("not a Standard Webhooks secret; expected whsec_<base64>")
        return value

    @model_validator(mode="after")
    def _webhook_pair(self) -> SimulatorConfig:
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("a webhook URL and a webhook secret go together: give both or neither")
        return self
