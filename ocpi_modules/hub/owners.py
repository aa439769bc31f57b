"""Open routing (RT-02 table, RT-12, RT-13): whose is the object a request without TO headers is about — the
location's CPO for a GET or a command, the token's eMSP for an authorization, a Session or a CDR, the
session's CPO for a stop or a charging profile — and what the hub remembers to answer that later (which CPO
and eMSP a relayed session or reservation is between, PartnerRecords "hub.routes" under the hub's party).

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import PartnerRecord, PartyRef, Role, TokenType
from ocpi_modules.common.routing import RECEIVER, SENDER, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.hub.stored import STORED

ROUTES = "hub.routes"

# Which role answers an interface: (module, role at the receiver) → role of the receiving party.
ANSWERING = {
    ("locations", SENDER): Role.CPO,
    ("sessions", SENDER): Role.CPO,
    ("cdrs", SENDER): Role.CPO,
    ("tariffs", SENDER): Role.CPO,
    ("tokens", RECEIVER): Role.CPO,
    ("commands", RECEIVER): Role.CPO,
    ("chargingprofiles", RECEIVER): Role.CPO,
    ("locations", RECEIVER): Role.EMSP,
    ("sessions", RECEIVER): Role.EMSP,
    ("cdrs", RECEIVER): Role.EMSP,
    ("tariffs", RECEIVER): Role.EMSP,
    ("tokens", SENDER): Role.EMSP,
    ("commands", SENDER): Role.EMSP,
    ("chargingprofiles", SENDER): Role.EMSP,
}


def answering_role(module: str, role: str) -> Role:
    return ANSWERING.get((module, role), Role.CPO)


def _party(value: Any) -> PartyRef | None:
    if not isinstance(value, dict):
        return None
    try:
        return PartyRef(country_code=str(value.get("country_code")), party_id=str(value.get("party_id")))
    except ValueError:
        return None


async def remote_parties(rt: OcpiRuntime, role: Role) -> list[PartyRef]:
    """Parties of `role` on registered partner platforms."""
    return [
        entry.party
        for platform in await rt.core.platforms.list()
        for entry in platform.roles
        if entry.role is role
    ]


async def location_owner(rt: OcpiRuntime, location_id: str) -> PartyRef | None:
    for hosted in rt.config.hosted_by_role(Role.CPO):
        if await rt.core.locations.get(hosted.ref, location_id) is not None:
            return hosted.ref
    for party in await remote_parties(rt, Role.CPO):
        if await rt.core.records.get(STORED["locations"], party, location_id) is not None:
            return party
    return None


async def token_owner(rt: OcpiRuntime, uid: str, token_type: str) -> PartyRef | None:
    try:
        wanted = TokenType(token_type.upper())
    except ValueError:
        return None
    for hosted in rt.config.hosted_by_role(Role.EMSP):
        if await rt.core.tokens.get(uid, hosted.ref, wanted) is not None:
            return hosted.ref
    for party in await remote_parties(rt, Role.EMSP):
        if await rt.core.records.get(STORED["tokens"], party, f"{uid}|{token_type.upper()}") is not None:
            return party
    return None


async def remembered(rt: OcpiRuntime, kind: str, object_id: str) -> dict[str, Any] | None:
    record = await rt.core.records.get(ROUTES, rt.config.hub_party, f"{kind}|{object_id}")
    return record.data if record is not None else None


async def remember(rt: OcpiRuntime, kind: str, object_id: str, *, cpo: PartyRef, emsp: PartyRef) -> None:
    await rt.core.records.put(
        PartnerRecord(
            module=ROUTES,
            party=rt.config.hub_party,
            id=f"{kind}|{object_id}",
            data={"cpo": str(cpo), "emsp": str(emsp)},
            last_updated=rt.clock.now(),
        )
    )


async def _remembered_party(rt: OcpiRuntime, kind: str, object_id: str, side: str) -> PartyRef | None:
    data = await remembered(rt, kind, object_id)
    return PartyRef.parse(str(data[side])) if data and side in data else None


async def owner(rt: OcpiRuntime, request: RelayRequest) -> PartyRef | None:
    """The party an addressless request is for, or None when the content does not say."""
    module, role, tail, body = request.module, request.role, request.tail, request.body
    payload = body if isinstance(body, dict) else {}
    if module == "locations" and role == SENDER and tail:
        return await location_owner(rt, tail[0])
    if module == "commands" and role == RECEIVER and tail:
        command = tail[0].upper()
        if isinstance(payload.get("location_id"), str):
            return await location_owner(rt, payload["location_id"])
        if command == "STOP_SESSION" and isinstance(payload.get("session_id"), str):
            return await _remembered_party(rt, "session", payload["session_id"], "cpo")
        if command == "CANCEL_RESERVATION" and isinstance(payload.get("reservation_id"), str):
            return await _remembered_party(rt, "reservation", payload["reservation_id"], "cpo")
        return None
    if module == "tokens" and role == SENDER and len(tail) >= 2 and tail[1].lower() == "authorize":
        return await token_owner(rt, tail[0], str(request.query.get("type") or "RFID"))
    if module in ("sessions", "cdrs") and role == RECEIVER:
        named = _party(payload.get("cdr_token"))
        if named is not None:
            return named
        if module == "sessions" and len(tail) >= 3:
            return await _remembered_party(rt, "session", tail[2], "emsp")
        return None
    if (module == "chargingprofiles" and role == RECEIVER and tail) or (
        module == "sessions" and role == SENDER and len(tail) >= 2
    ):
        return await _remembered_party(rt, "session", tail[0], "cpo")
    return None


async def learn(rt: OcpiRuntime, request: RelayRequest, receiver: PartyRef) -> None:
    """Remember who a relayed session or reservation is between, for later addressless requests."""
    body = request.body if isinstance(request.body, dict) else {}
    if (
        request.module == "sessions"
        and request.role == RECEIVER
        and request.method == "PUT"
        and len(request.tail) >= 3
    ):
        await remember(rt, "session", request.tail[2], cpo=request.from_party, emsp=receiver)
    elif request.module == "commands" and request.tail and request.tail[0].upper() == "RESERVE_NOW":
        reservation = body.get("reservation_id")
        if isinstance(reservation, str):
            await remember(rt, "reservation", reservation, cpo=receiver, emsp=request.from_party)
