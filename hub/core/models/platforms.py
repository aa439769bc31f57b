"""Roaming partners: a `Platform` (one partner registered with the hub: its tokens, version, endpoints and
parties) and `PartnerRecord` (an object a partner pushed to one of our hosted parties, kept verbatim).

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, field_validator

from hub.core.models.base import CoreModel, PartyRef, Role

# The credentials module is reached the same way whatever role the partner gives it.
_ROLE_FREE_MODULES = frozenset({"credentials"})


class PlatformStatus(StrEnum):
    PLANNED = "PLANNED"  # invited (Token A issued) or registration not finished
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"  # registered, but not reachable now
    SUSPENDED = "SUSPENDED"  # unregistered or blocked: none of its tokens is accepted


class PlatformRole(CoreModel):
    """One party a platform carries (OCPI CredentialsRole)."""

    party: PartyRef
    role: Role
    name: str = ""
    website: str | None = None


class Endpoint(CoreModel):
    """One module endpoint of a partner (OCPI Endpoint); `role` is "SENDER" or "RECEIVER"."""

    identifier: str
    role: str
    url: str


class Platform(CoreModel):
    """A roaming partner platform and the credentials exchanged with it.

    Tokens are secrets: storage keeps them encrypted, logs only show fingerprints."""

    id: str  # uuid4 hex, ours
    name: str
    status: PlatformStatus = PlatformStatus.PLANNED
    version: str | None = None  # the agreed version, e.g. "2.2.1"
    versions_url: str | None = None  # the partner's versions endpoint
    endpoints: tuple[Endpoint, ...] = ()
    roles: tuple[PlatformRole, ...] = ()
    invitation_token: str | None = None  # Token A we issued; valid only until registration succeeds
    inbound_token: str | None = None  # what the partner presents to us (we created it)
    previous_inbound_token: str | None = None  # still accepted until previous_inbound_until
    previous_inbound_until: AwareDatetime | None = None
    outbound_token: str | None = None  # what we present to the partner (they created it)
    encode_token: bool = True  # Base64-encode our outbound Authorization header
    # The role its invitation names: what a partner whose version has no roles in its credentials (2.1.1) is.
    invited_role: Role | None = None
    registered_at: AwareDatetime | None = None
    last_updated: AwareDatetime

    def endpoint(self, identifier: str, role: str) -> str | None:
        """The url of the partner's `identifier` endpoint in `role`, or None; role is ignored for
        "credentials". Identifiers and roles compare case-insensitively."""
        wanted = identifier.lower()
        for endpoint in self.endpoints:
            if endpoint.identifier.lower() != wanted:
                continue
            if wanted in _ROLE_FREE_MODULES or endpoint.role.upper() == role.upper():
                return endpoint.url
        return None

    def role_of(self, party: PartyRef) -> PlatformRole | None:
        """The role entry of `party` (case-insensitive), or None when this platform does not carry it."""
        wanted = party.key()
        for entry in self.roles:
            if entry.party.key() == wanted:
                return entry
        return None


class PartnerRecord(CoreModel):
    """An object a partner pushed to one of our hosted parties, as received (merged by PATCH); unknown
    fields are kept. `module` is "locations", "sessions", "cdrs" or "tariffs"; `party` owns the object.

    `data` holds JSON values only: str, int, Decimal (numbers with a fraction or exponent), bool, None,
    lists and str-keyed dicts. Floats become Decimals and tuples lists; anything else (a datetime, say) is
    refused, so what is stored reads back equal."""

    module: str
    party: PartyRef
    id: str
    data: dict[str, Any]
    last_updated: AwareDatetime

    @field_validator("data")
    @classmethod
    def _json_values_only(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {key: _json_value(value, key) for key, value in data.items()}


def _json_value(value: Any, path: str) -> Any:
    """`value` as a plain JSON value (see PartnerRecord); raises ValueError naming the offending path."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{path}: {value} is not a JSON number")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a JSON number")
        return Decimal(repr(value))
    if isinstance(value, dict):
        converted: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: object key {key!r} is not a string")
            converted[key] = _json_value(item, f"{path}.{key}")
        return converted
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{path}[{n}]") for n, item in enumerate(value)]
    raise ValueError(f"{path}: {type(value).__name__} is not a JSON value (format it as the wire does)")
