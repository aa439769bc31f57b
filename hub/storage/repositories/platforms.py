"""SQL PlatformRepository: partner platforms with their tokens encrypted (Fernet) and found through
HMAC-SHA256 digests, never stored in plain (see hub.storage.secrets); roles and endpoints are JSON values.

Imports SQLAlchemy, pydantic, core models and hub.storage internals only.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, or_, select

from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from hub.storage.base import SqlRepository, dump_json, upsert
from hub.storage.engine import SqlTransaction
from hub.storage.secrets import TokenCipher
from hub.storage.tables import platforms

_ENDPOINTS: TypeAdapter[tuple[Endpoint, ...]] = TypeAdapter(tuple[Endpoint, ...])
_ROLES: TypeAdapter[tuple[PlatformRole, ...]] = TypeAdapter(tuple[PlatformRole, ...])
# The tokens a partner presents to us: `find_by_token` looks in these.
_INBOUND = ("invitation_token", "inbound_token", "previous_inbound_token")
_TOKENS = (*_INBOUND, "outbound_token")

_p = platforms.c
_GET = select(platforms).where(_p.id == bindparam("platform_id"))
_LIST = select(platforms).order_by(_p.name, _p.id)
_BY_DIGEST = (
    select(platforms)
    .where(or_(*(_p[f"{name}_digest"] == bindparam("digest") for name in _INBOUND)))
    .order_by(_p.last_updated.desc(), _p.id)
)


def party_keys(roles: Sequence[PlatformRole]) -> str:
    """The `party_keys` column: `|NL*CPO|DE*ABC|` (empty roles: `|`)."""
    return "|" + "".join(f"{role.party.key()}|" for role in roles)


def from_core_platform(platform: Platform, cipher: TokenCipher) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": platform.id,
        "name": platform.name,
        "status": platform.status.value,
        "version": platform.version,
        "versions_url": platform.versions_url,
        "endpoints_json": dump_json(_ENDPOINTS, platform.endpoints),
        "roles_json": dump_json(_ROLES, platform.roles),
        "party_keys": party_keys(platform.roles),
        "previous_inbound_until": platform.previous_inbound_until,
        "encode_token": platform.encode_token,
        "invited_role": None if platform.invited_role is None else platform.invited_role.value,
        "registered_at": platform.registered_at,
        "last_updated": platform.last_updated,
    }
    for name in _TOKENS:
        token: str | None = getattr(platform, name)
        values[name] = None if token is None else cipher.encrypt(token)
        values[f"{name}_digest"] = None if token is None else cipher.digest(token)
    return values


def to_core_platform(row: Any, cipher: TokenCipher) -> Platform:
    tokens = {name: _decrypted(cipher, getattr(row, name)) for name in _TOKENS}
    return Platform(
        id=row.id,
        name=row.name,
        status=PlatformStatus(row.status),
        version=row.version,
        versions_url=row.versions_url,
        endpoints=_ENDPOINTS.validate_json(row.endpoints_json),
        roles=_ROLES.validate_json(row.roles_json),
        previous_inbound_until=row.previous_inbound_until,
        encode_token=row.encode_token,
        invited_role=Role(row.invited_role) if row.invited_role else None,
        registered_at=row.registered_at,
        last_updated=row.last_updated,
        **tokens,
    )


def _decrypted(cipher: TokenCipher, ciphertext: str | None) -> str | None:
    return None if ciphertext is None else cipher.decrypt(ciphertext)


def _holds(platform: Platform, token: str) -> bool:
    return any(
        candidate is not None and hmac.compare_digest(candidate.encode(), token.encode())
        for candidate in (platform.invitation_token, platform.inbound_token, platform.previous_inbound_token)
    )


class SqlPlatformRepository(SqlRepository):
    __slots__ = ("_cipher",)

    def __init__(self, tx: SqlTransaction, cipher: TokenCipher) -> None:
        super().__init__(tx)
        self._cipher = cipher

    async def get(self, platform_id: str) -> Platform | None:
        row = (await self._tx.read(_GET, {"platform_id": platform_id})).first()
        return None if row is None else to_core_platform(row, self._cipher)

    async def put(self, platform: Platform) -> None:
        await self._tx.write(upsert(platforms, self._dialect), from_core_platform(platform, self._cipher))

    async def list(self) -> Sequence[Platform]:
        return [to_core_platform(row, self._cipher) for row in await self._tx.read(_LIST)]

    async def find_by_token(self, token: str) -> Platform | None:
        rows = await self._tx.read(_BY_DIGEST, {"digest": self._cipher.digest(token)})
        for row in rows:
            platform = to_core_platform(row, self._cipher)
            if _holds(platform, token):  # the digest matched; the token itself must too
                return platform
        return None

    async def find_by_party(self, party: PartyRef) -> Platform | None:
        statement = (
            select(platforms)
            .where(
                _p.status != PlatformStatus.SUSPENDED.value,
                _p.party_keys.contains(f"|{party.key()}|", autoescape=True),
            )
            .order_by(_p.last_updated.desc(), _p.id)
            .limit(1)
        )
        row = (await self._tx.read(statement)).first()
        return None if row is None else to_core_platform(row, self._cipher)
