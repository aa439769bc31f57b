"""The core's error hierarchy; every adapter maps these to its wire errors in one table.

Imports nothing but the standard library.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the core raises on purpose."""


class NotFoundError(HubError):
    """The object asked for does not exist."""


class ConflictError(HubError):
    """The request contradicts stored state (a duplicate id, an illegal state transition)."""


class RejectedError(HubError):
    """A business rule refused the request; `reason` says which, in words fit for a partner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnavailableError(HubError):
    """The party or station that must act is not reachable now (offline, not connected)."""


class HubTimeoutError(HubError):
    """The party or station did not answer within its deadline (named so as not to shadow the builtin)."""


class InvalidRequestError(HubError):
    """The request is well-formed for its protocol but invalid for the core (missing or bad field)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
