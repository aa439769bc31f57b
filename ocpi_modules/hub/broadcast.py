"""Broadcast Push (RT-03…RT-08): a write addressed to the hub (or to nobody, when its content names no
receiver) is answered at once, stored for GET All, handed in process to the hosted parties of the other role
and queued in the outbox for every CONNECTED partner party of the other role that implements the module and
has an agreement with the owner. URL segments keep the owner's cc/pid and `last_updated` is untouched.
Receivers' errors are logged per receiver, never returned to the pusher (RT-06).

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog

from hub.core.models import OutboxMessage, PartyRef, Platform, PlatformStatus, Role
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import join_url
from ocpi_modules.common.errors import InvalidParametersError, OcpiError
from ocpi_modules.common.routing import RECEIVER, LocalParties, RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.hub import stored

log = structlog.get_logger(__name__)

TOPIC = "ocpi.hub.broadcast"
BROADCAST_MODULES = frozenset({"locations", "tariffs", "tokens"})
# Who hears whom (RT-04): a CPO's data reaches eMSPs, NSPs and OTHER parties; an eMSP's or OTHER's, CPOs.
AUDIENCE: dict[Role, frozenset[Role]] = {
    Role.CPO: frozenset({Role.EMSP, Role.NSP, Role.OTHER}),
    Role.EMSP: frozenset({Role.CPO}),
    Role.OTHER: frozenset({Role.CPO}),
    Role.NSP: frozenset({Role.CPO}),
}
MAX_ATTEMPTS = 5  # a receiver that keeps failing is logged and skipped; it resyncs with GET (HC-02)


def sender_role(request: RelayRequest) -> Role:
    entry = request.platform.role_of(request.from_party)
    if entry is not None and entry.role is not Role.HUB:
        return entry.role
    return Role.EMSP if request.module == "tokens" else Role.CPO


def _owner(request: RelayRequest) -> PartyRef:
    """RT-05: the URL's cc/pid name the owner; a party broadcasts its own objects only."""
    if len(request.tail) < 3:
        raise InvalidParametersError(f"a broadcast {request.module} push needs /country_code/party_id/id")
    try:
        owner = PartyRef(country_code=request.tail[0], party_id=request.tail[1])
    except ValueError as exc:
        raise InvalidParametersError("invalid country_code/party_id in the URL") from exc
    return owner


async def broadcast(
    rt: OcpiRuntime, local: LocalParties, request: RelayRequest, kick: Callable[[], None] | None
) -> RelayAnswer:
    if request.method == "GET":
        raise InvalidParametersError("GET is never broadcast: name the receiver or ask the hub (GET All)")
    if request.module not in BROADCAST_MODULES or request.role != RECEIVER:
        raise InvalidParametersError(f"{request.module} cannot be broadcast: name the receiver (TO headers)")
    owner = _owner(request)
    audience = AUDIENCE.get(sender_role(request), frozenset())
    answers = await _hosted(rt, local, request, owner, audience)
    accepted = [a for a in answers if a.status_code == StatusCode.SUCCESS]
    if answers and not accepted:
        return answers[0]  # every party on the hub refused it (invalid, stale …): nobody else gets it
    if owner.key() != request.from_party.key():
        raise InvalidParametersError(f"{request.from_party} cannot push objects of {owner}")  # RT-05, CO-04
    await stored.apply(rt, request, owner)
    queued = await _queue(rt, request, owner, audience)
    if queued and kick is not None:
        kick()
    log.info(
        "ocpi_broadcast",
        module=request.module,
        owner=str(owner),
        method=request.method,
        hosted=len(accepted),
        queued=queued,
        correlation_id=request.correlation_id,
    )
    if request.to_party is None and len(answers) == 1:
        return answers[0]  # addressless, one party on the hub: its own answer (201 for a new object …)
    return RelayAnswer(http_status=200, status_code=StatusCode.SUCCESS, responder=rt.config.hub_party)


async def _hosted(
    rt: OcpiRuntime, local: LocalParties, request: RelayRequest, owner: PartyRef, audience: frozenset[Role]
) -> list[RelayAnswer]:
    """The answers of the hosted parties the push is for, each given it in process."""
    answers: list[RelayAnswer] = []
    for hosted in rt.config.hosted:
        if hosted.role not in audience or not rt.agreements.allows(owner, hosted.ref, request.module):
            continue
        answer = await local.answer(hosted.ref, replace(request, to_party=hosted.ref))
        if answer.status_code != StatusCode.SUCCESS:
            log.info(
                "ocpi_broadcast_receiver_error", receiver=str(hosted.ref), status_code=answer.status_code
            )
        answers.append(answer)
    return answers


def receivers(
    platforms: list[Platform],
    request: RelayRequest,
    owner: PartyRef,
    audience: frozenset[Role],
    rt: OcpiRuntime,
) -> list[tuple[Platform, PartyRef]]:
    """Every (platform, party) a broadcast goes to (RT-04): CONNECTED, not the pusher's platform, with the
    module as RECEIVER, a party of the audience (or, for another hub, the hub itself) under an agreement."""
    found: list[tuple[Platform, PartyRef]] = []
    for platform in platforms:
        if (
            platform.status is not PlatformStatus.CONNECTED
            or platform.id == request.platform.id
            or platform.endpoint(request.module, RECEIVER) is None
        ):
            continue
        parties = [e.party for e in platform.roles if e.role in audience]
        if not parties:
            parties = [e.party for e in platform.roles if e.role is Role.HUB][:1]
        found.extend((platform, p) for p in parties if rt.agreements.allows(owner, p, request.module))
    return found


async def _queue(rt: OcpiRuntime, request: RelayRequest, owner: PartyRef, audience: frozenset[Role]) -> int:
    now = rt.clock.now()
    targets = receivers(list(await rt.core.platforms.list()), request, owner, audience, rt)
    if not targets:
        return 0
    body = None if request.body is None else ocpi_json.dumps(request.body).decode("utf-8")
    async with rt.core.db.unit_of_work() as uow:
        for platform, party in targets:
            target = f"{platform.id}|{party}"
            await uow.outbox.add(
                OutboxMessage(
                    topic=TOPIC,
                    key=f"{target}|{request.module}|{'/'.join(request.tail[:3])}",
                    target=target,
                    payload={
                        "module": request.module,
                        "method": request.method,
                        "tail": list(request.tail),
                        "query": dict(request.query),
                        "body": body,
                        "from": str(request.from_party),
                        "to": str(party),
                        "caller": request.platform.id,
                        "correlation_id": request.correlation_id,
                    },
                    created=now,
                    next_attempt_at=now,
                )
            )
        await uow.commit()
    return len(targets)


def deliverer(rt: OcpiRuntime) -> Callable[[OutboxMessage], Any]:
    """The outbox deliverer of queued broadcasts: one receiver per row, through its platform's link."""
    from ocpi_modules.hub.relay import send

    async def deliver(message: OutboxMessage) -> None:
        payload = message.payload
        platform_id = str(message.target).partition("|")[0]
        platform = await rt.core.platforms.get(platform_id)
        if platform is None or platform.status is not PlatformStatus.CONNECTED:
            log.info("ocpi_broadcast_skipped", platform_id=platform_id, reason="not connected")
            return  # OFFLINE parties are sent nothing and resync with GET when back (HC-02)
        caller = await rt.core.platforms.get(str(payload["caller"])) or platform
        tail = tuple(str(s) for s in payload["tail"])
        request = RelayRequest(
            module=str(payload["module"]),
            role=RECEIVER,
            method=str(payload["method"]),
            tail=tail,
            from_party=PartyRef.parse(str(payload["from"])),
            to_party=PartyRef.parse(str(payload["to"])),
            platform=caller,
            correlation_id=str(payload["correlation_id"]),
            query={str(k): str(v) for k, v in dict(payload.get("query") or {}).items()},
            body=None if payload.get("body") is None else ocpi_json.loads(str(payload["body"]).encode()),
        )
        base = platform.endpoint(request.module, RECEIVER)
        if base is None:
            return
        try:
            answer = await send(rt, platform, request, join_url(base, *tail))
        except OcpiError as exc:
            if message.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("ocpi_broadcast_given_up", platform_id=platform.id, status_code=exc.status_code)
                return
            raise
        if answer.status_code != StatusCode.SUCCESS:
            log.info(
                "ocpi_broadcast_receiver_error",
                platform_id=platform.id,
                receiver=str(request.to_party),
                status_code=answer.status_code,
                http_status=answer.http_status,
            )

    return deliver
