"""Our eMSP as Commands Sender (checklist §18): START_SESSION / STOP_SESSION posted to a CPO platform's
commands Receiver, and the asynchronous CommandResult it later POSTs to our response_url, kept as a
`PartnerRecord` (module "command_results", keyed by our command id) and published to the core
(`RemoteCommandAnswered`, emsp.events).

An adapter module: imports the core and ocpi_modules only.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import structlog

from hub.core.authorization import fingerprint
from hub.core.errors import InvalidRequestError, NotFoundError, RejectedError, UnavailableError
from hub.core.models import PartnerRecord, PartyRef, Platform, PlatformStatus, Role
from ocpi_modules.common.client import OcpiTransportError, join_url
from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.common.routing import Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.emsp import events
from ocpi_modules.v2_2_1.emsp.mapping import to_remote_command
from ocpi_modules.v2_2_1.emsp.parties import our_emsp
from ocpi_modules.v2_2_1.emsp.records import locked
from ocpi_modules.v2_2_1.partner_call import call_partner
from ocpi_modules.v2_2_1.tokens import from_core_token

log = structlog.get_logger(__name__)

COMMAND_RESULTS = "command_results"
_EVENTS_KEY = "emsp.command_result_events"
COMMANDS = ("START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR")


def response_url(rt: OcpiRuntime, command: str, command_id: str) -> str:
    """Unique per request (CM-12): `{public}/ocpi/2.2.1/emsp/commands/{command}/{command_id}`."""
    return join_url(rt.config.url("/2.2.1/emsp/commands"), command, command_id)


async def cpo_platform(rt: OcpiRuntime, cpo: PartyRef) -> tuple[Platform, str]:
    """The CONNECTED platform carrying `cpo` as a CPO and its commands RECEIVER url; NotFoundError when no
    platform carries it, UnavailableError when it is not connected or has no commands endpoint."""
    platform = await rt.core.platforms.find_by_party(cpo)
    role = platform.role_of(cpo) if platform is not None else None
    if platform is None:
        platform = await hub_platform(rt)  # a CPO behind another hub (its credentials carry only HUB)
    elif role is None or role.role is not Role.CPO:
        raise NotFoundError(f"{cpo} is not a CPO")
    if platform is None:
        raise NotFoundError(f"no partner platform carries the CPO {cpo}")
    if platform.status is not PlatformStatus.CONNECTED:
        raise UnavailableError(f"the platform of {cpo} is {platform.status}, not CONNECTED")
    url = platform.endpoint("commands", "RECEIVER")
    if url is None or platform.outbound_token is None:
        raise UnavailableError(f"the platform of {cpo} has no commands RECEIVER endpoint")
    return platform, url


async def hub_platform(rt: OcpiRuntime) -> Platform | None:
    """The one platform of role HUB, when there is exactly one: it reaches the parties behind it."""
    hubs = [
        p
        for p in await rt.core.platforms.list()
        if p.status is not PlatformStatus.SUSPENDED and any(r.role is Role.HUB for r in p.roles)
    ]
    return hubs[0] if len(hubs) == 1 else None


async def _send(
    rt: OcpiRuntime, command: str, cpo: PartyRef, body: dict[str, Any], request: dict[str, Any]
) -> dict[str, Any]:
    """POST `body` to the CPO's `{commands}/{command}`; store the pending command; return what the operator
    sees: command id, the CPO's status and its synchronous CommandResponse."""
    emsp = our_emsp(rt)
    platform, endpoint = await cpo_platform(rt, cpo)
    command_id = uuid.uuid4().hex
    body = {"response_url": response_url(rt, command, command_id), **body}
    now = rt.clock.now()
    record: dict[str, Any] = {
        "command_id": command_id,
        "command": command,
        "cpo": str(cpo),
        "platform_id": platform.id,
        "request": request,
        "requested_at": format_datetime(now),
        "status_code": None,
        "status_message": None,
        "response": None,
        "result": None,
        "result_received_at": None,
    }
    # Stored before the call: a fast CPO may POST the result before its synchronous answer reaches us.
    await _put(rt, emsp.ref, command_id, record, now)
    assert platform.outbound_token is not None
    try:
        answer = await call_partner(
            rt, platform, "POST", join_url(endpoint, command), body=body, from_party=emsp.ref, to_party=cpo
        )
    except Untranslatable as exc:
        await rt.core.records.delete(COMMAND_RESULTS, emsp.ref, command_id)
        raise InvalidRequestError(f"the command cannot be sent to OCPI {platform.version}: {exc}") from exc
    except OcpiTransportError as exc:
        log.warning(
            "ocpi_command_unsent", command=command, command_id=command_id, cpo=str(cpo), reason=exc.reason
        )
        await rt.core.records.delete(COMMAND_RESULTS, emsp.ref, command_id)
        raise UnavailableError(f"the CPO {cpo} could not be reached ({exc.reason})") from exc
    async with locked(rt, COMMAND_RESULTS, emsp.ref, command_id):
        latest = await rt.core.records.get(COMMAND_RESULTS, emsp.ref, command_id)
        stored = dict(latest.data) if latest is not None else record
        stored.update(
            status_code=answer.status_code,
            status_message=answer.status_message,
            response=answer.data if isinstance(answer.data, dict) else None,
        )
        await _put(rt, emsp.ref, command_id, stored, rt.clock.now())
    log.info(
        "ocpi_command_sent",
        command=command,
        command_id=command_id,
        cpo=str(cpo),
        http_status=answer.http_status,
        status_code=answer.status_code,
        result=stored["response"].get("result") if stored["response"] else None,
    )
    return stored


async def _put(rt: OcpiRuntime, party: PartyRef, command_id: str, data: dict[str, Any], now: Any) -> None:
    await rt.core.records.put(
        PartnerRecord(module=COMMAND_RESULTS, party=party, id=command_id, data=data, last_updated=now)
    )


async def start_session(
    rt: OcpiRuntime,
    *,
    token_uid: str,
    location_id: str,
    evse_uid: str | None = None,
    connector_id: str | None = None,
    cpo: PartyRef,
    authorization_reference: str | None = None,
) -> dict[str, Any]:
    """START_SESSION with one of our tokens (the full Token object, CM-06) at a partner CPO's location;
    `authorization_reference` (CiString(36)) comes back in the CPO's Session and CDR. Raises NotFoundError
    for a token that is not ours or an unknown CPO, RejectedError for a blocked token, UnavailableError when
    the CPO cannot be reached; otherwise returns the stored command (its `response` is the CPO's
    CommandResponse)."""
    emsp = our_emsp(rt)
    token = await rt.core.tokens.get(token_uid, emsp.ref)
    if token is None:
        raise NotFoundError(f"unknown token {token_uid}")
    if not token.valid:  # the CPO would not check it (CM-09): our eMSP must not start with a blocked token
        raise RejectedError(f"token {token.uid} is blocked (valid=false)")
    body: dict[str, Any] = {"token": from_core_token(token), "location_id": location_id}
    if evse_uid is not None:
        body["evse_uid"] = evse_uid
    if connector_id is not None:
        body["connector_id"] = connector_id
    if authorization_reference is not None:
        body["authorization_reference"] = authorization_reference
    request = {
        "token_uid": token.uid,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "connector_id": connector_id,
        "authorization_reference": authorization_reference,
    }
    log.info("ocpi_start_session", token=fingerprint(token.uid), cpo=str(cpo), location_id=location_id)
    return await _send(rt, "START_SESSION", cpo, body, request)


async def stop_session(rt: OcpiRuntime, *, session_id: str, cpo: PartyRef) -> dict[str, Any]:
    """STOP_SESSION for a session at a partner CPO (CM-07); same answers as `start_session`."""
    return await _send(rt, "STOP_SESSION", cpo, {"session_id": session_id}, {"session_id": session_id})


async def command_result(rt: OcpiRuntime, command_id: str) -> dict[str, Any] | None:
    """The stored command with its CommandResult once the CPO sent it (`result` None until then)."""
    record = await rt.core.records.get(COMMAND_RESULTS, our_emsp(rt).ref, command_id)
    return None if record is None else record.data


async def receive_command_result(
    rt: OcpiRuntime, platform: Platform, command: str, command_id: str, result: dict[str, Any]
) -> bool:
    """Store the CommandResult a CPO POSTed to our response_url (CM-03). False when `command_id` is not a
    command we sent to that platform as `command` (the route answers 404)."""
    emsp = our_emsp(rt)
    async with locked(rt, COMMAND_RESULTS, emsp.ref, command_id):
        record = await rt.core.records.get(COMMAND_RESULTS, emsp.ref, command_id)
        if (
            record is None
            or record.data.get("platform_id") != platform.id
            or str(record.data.get("command", "")).upper() != command.upper()
        ):
            return False
        now = rt.clock.now()
        data = dict(record.data)
        data.update(result=result, result_received_at=format_datetime(now))
        await _put(rt, emsp.ref, command_id, data, now)
    event = _events(rt).pop(command_id, None)
    if event is not None:
        event.set()
    await events.command_answered(rt, to_remote_command(data, now))
    log.info(
        "ocpi_command_result", command=data.get("command"), command_id=command_id, result=result.get("result")
    )
    return True


def _events(rt: OcpiRuntime) -> dict[str, asyncio.Event]:
    events: dict[str, asyncio.Event] | None = rt.extras.get(_EVENTS_KEY)
    if events is None:
        events = rt.extras[_EVENTS_KEY] = {}
    return events


async def wait_for_result(rt: OcpiRuntime, command_id: str, seconds: float) -> dict[str, Any] | None:
    """The stored command (as `command_result`) once its CommandResult is there, or as it stands after
    `seconds`. A result received by another hub process is seen when the wait ends, not before."""
    events = _events(rt)
    event = events.setdefault(command_id, asyncio.Event())
    try:
        stored = await command_result(rt, command_id)  # read after registering: no result slips between
        if stored is None or stored.get("result") is not None or seconds <= 0:
            return stored
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
    finally:
        if events.get(command_id) is event and not event.is_set():
            del events[command_id]
    return await command_result(rt, command_id)
