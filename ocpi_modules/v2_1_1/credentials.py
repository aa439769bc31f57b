"""The flat 2.1.1 Credentials object `{token, url, business_details, party_id, country_code}` (credentials.md,
checklist §21): checking a partner's, building ours, and the roles registration with either side stores
(the lock, listeners and party checks are common.registration).

2.1.1 credentials name one party and no role, so a 2.1.1 partner's role comes from the invitation it was
given (`Platform.invited_role`, `[[ocpi.invitations]] role = …`) or, on a PUT, from its registration.

An adapter module: imports pydantic, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.core.models import PartyRef, Platform, PlatformRole, Role
from ocpi_modules.common.auth import is_valid_token
from ocpi_modules.common.client import token_fingerprint
from ocpi_modules.common.errors import InvalidParametersError, UnableToUseClientApiError
from ocpi_modules.common.runtime import OcpiConfig

log = structlog.get_logger(__name__)


class _BusinessDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(default="", max_length=100)
    website: str | None = None


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str
    url: str
    business_details: _BusinessDetails = _BusinessDetails()
    party_id: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    country_code: str = Field(pattern=r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class Credentials:
    """A 2.1.1 partner's Credentials object, checked (the token is a secret)."""

    token: str
    url: str
    party: PartyRef
    name: str
    website: str | None

    def __repr__(self) -> str:
        return f"Credentials(token={token_fingerprint(self.token)}, url={self.url!r}, party={self.party})"


def parse_credentials(data: Any) -> Credentials:
    """InvalidParametersError (2001) names what is wrong; the token must be 1–64 printable ASCII (AU-06)."""
    try:
        parsed = _Credentials.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "credentials"
        raise InvalidParametersError(f"Invalid credentials: {where}: {first['msg']}") from None
    if not is_valid_token(parsed.token):
        raise InvalidParametersError("Invalid credentials: token must be 1-64 printable ASCII characters")
    return Credentials(
        token=parsed.token,
        url=parsed.url.strip(),
        party=PartyRef(country_code=parsed.country_code, party_id=parsed.party_id),
        name=parsed.business_details.name,
        website=parsed.business_details.website,
    )


def hub_credentials(config: OcpiConfig, token: str) -> dict[str, Any]:
    """Our 2.1.1 Credentials: the hub's own identity (the parties behind it are not listed, CR-11)."""
    return {
        "token": token,
        "url": config.url("/versions"),
        "business_details": {"name": config.hub_name},
        "party_id": config.hub_party.party_id,
        "country_code": config.hub_party.country_code,
    }


def role_of(platform: Platform, party: PartyRef) -> Role:
    """The partner's role: what its registration says for `party`, else what its invitation named; 3001 when
    neither does (2.1.1 credentials carry no role, and the hub cannot guess which side it is)."""
    entry = platform.role_of(party)
    if entry is not None and entry.role in (Role.CPO, Role.EMSP):
        return entry.role
    if platform.invited_role in (Role.CPO, Role.EMSP):
        return platform.invited_role
    raise UnableToUseClientApiError(
        "OCPI 2.1.1 credentials carry no role and this invitation names none: ask the hub's operator to set "
        'role = "CPO" or "EMSP" on the invitation'
    )


def registered_roles(offered: Credentials, role: Role) -> tuple[PlatformRole, ...]:
    """A 2.1.1 platform's roles: the one party its credentials name, with their business details' name."""
    return (PlatformRole(party=offered.party, role=role, name=offered.name, website=offered.website),)
