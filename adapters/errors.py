"""Vendor failures, typed by what the caller does; each says vendor, call, what, and retry."""

from __future__ import annotations

from models.errors import TrialsError


class VendorError(TrialsError):
    """A call to a vendor's API failed."""

    retryable = False

    def __init__(self, vendor: str, call: str, what: str, *, attempts: int = 1) -> None:
        self.vendor, self.call, self.what, self.attempts = vendor, call, what, attempts
        self.final = False  # set once the client has stopped trying
        super().__init__(self._message())

    def _message(self) -> str:
        if self.retryable and self.final:
            fate = (
                f"gave up after {self.attempts} attempt{'s' if self.attempts > 1 else ''}; "
                "try again once it answers"
            )
        elif self.retryable:
            fate = "will be retried"
        else:
            fate = "not retried: " + self.fix
        return f"Vendor {self.vendor}, {self.call}: {self.what} ({fate})."

    @property
    def fix(self) -> str:
        """What the user should change before trying again."""
        return "check the request against the Vendor Work API contract"

    def after(self, attempts: int) -> VendorError:
        """The same failure, reported once the client stopped after `attempts` attempts."""
        self.attempts, self.final = attempts, True
        self.args = (self._message(),)
        return self


class VendorUnavailable(VendorError):
    """The vendor did not answer usefully: unreachable, timed out, 429 or 5xx."""

    retryable = True

    def __init__(
        self,
        vendor: str,
        call: str,
        what: str,
        *,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(vendor, call, what, attempts=attempts)


class VendorAuthError(VendorError):
    """The token is missing, wrong, or lacks a scope."""

    @property
    def fix(self) -> str:
        """Auth failures need a new token, not a retry."""
        return "check the token the plan names (vendor.api.token) and its scopes"


class VendorNotFound(VendorError):
    """The vendor does not know the thing asked for."""


class VendorRejected(VendorError):
    """The vendor refused the request (a 4xx other than auth and not-found)."""


class VendorContractError(VendorError):
    """The vendor answered something that does not match the contract."""

    @property
    def fix(self) -> str:
        """A contract breach is the vendor's to fix, or an adapter's to map."""
        return "the vendor's API breaks the contract; ask the vendor, or map it with an adapter"


class VendorSetupError(VendorError):
    """The vendor's system is reachable but not set up as the plan says: a project, tracker,
    status, activity or user the plan names is missing, or the key may not do what it must."""

    def __init__(self, vendor: str, call: str, what: str, fix: str) -> None:
        self._fix = fix
        super().__init__(vendor, call, what)

    @property
    def fix(self) -> str:
        """What to change in the plan or in the vendor's system."""
        return self._fix
