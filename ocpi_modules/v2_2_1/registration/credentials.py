"""The OCPI Credentials object (checklist §10): checking a partner's, building ours, and refusing roles that
clash with ours or another platform's. Imports pydantic, ocpi_modules.common and the core only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.core.models import PartyRef, PlatformRole, Role
from ocpi_modules.common.auth import is_valid_token
from ocpi_modules.common.client import token_fingerprint
from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.registration import check_parties
from ocpi_modules.common.runtime import OcpiConfig, OcpiRuntime

# --- The Credentials object ---------------------------------------------------------------------------------


class _BusinessDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(default="", max_length=100)
    website: str | None = None


class _CredentialsRole(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Role
    business_details: _BusinessDetails = _BusinessDetails()
    # §20; the same shapes routing headers accept (RT-01), so every registered party can be addressed.
    party_id: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    country_code: str = Field(pattern=r"^[A-Za-z]{2}$")


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str
    url: str
    roles: list[_CredentialsRole] = Field(min_length=1)


@dataclass(frozen=True)
class Credentials:
    """A partner's Credentials object, checked: its token (a secret), versions URL and roles."""

    token: str
    url: str
    roles: tuple[PlatformRole, ...]

    def __repr__(self) -> str:
        return (
            f"Credentials(token={token_fingerprint(self.token)}, url={self.url!r}, roles={len(self.roles)})"
        )


def parse_credentials(data: Any) -> Credentials:
    """Check a Credentials object; InvalidParametersError (2001) names what is wrong: the token must be 1–64
    printable ASCII characters (AU-06), each (role, country_code, party_id) appear once (CR-10)."""
    try:
        parsed = _Credentials.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "credentials"
        raise InvalidParametersError(f"Invalid credentials: {where}: {first['msg']}") from None
    if not is_valid_token(parsed.token):
        raise InvalidParametersError("Invalid credentials: token must be 1-64 printable ASCII characters")
    seen: set[tuple[str, str]] = set()
    roles: list[PlatformRole] = []
    for entry in parsed.roles:
        party = PartyRef(country_code=entry.country_code, party_id=entry.party_id)
        key = (str(entry.role), party.key())
        if key in seen:
            raise InvalidParametersError(f"Invalid credentials: role {entry.role} of {party} appears twice")
        seen.add(key)
        details = entry.business_details
        roles.append(PlatformRole(party=party, role=entry.role, name=details.name, website=details.website))
    return Credentials(token=parsed.token, url=parsed.url.strip(), roles=tuple(roles))


def hub_credentials(config: OcpiConfig, token: str) -> dict[str, Any]:
    """Our Credentials object: exactly one role, HUB, with the hub's identity (CR-11)."""
    return {
        "token": token,
        "url": config.url("/versions"),
        "roles": [
            {
                "role": "HUB",
                "business_details": {"name": config.hub_name},
                "party_id": config.hub_party.party_id,
                "country_code": config.hub_party.country_code,
            }
        ],
    }


async def check_roles(rt: OcpiRuntime, roles: tuple[PlatformRole, ...], platform_id: str) -> None:
    """Refuse (2001) parties that are ours (the hub or a hosted party) or already registered by another
    platform (CR-12)."""
    await check_parties(rt, (entry.party for entry in roles), platform_id)
