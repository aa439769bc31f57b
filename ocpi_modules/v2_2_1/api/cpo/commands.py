"""Our CPO's Commands Receiver (CM-01…CM-10): commands handed to the core's command service.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from hub.core.errors import HubError, InvalidRequestError
from hub.core.models import Capability, Command, CommandResultType, Location, Token
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.runtime import runtime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_2_1.api.cpo.common import (
    caller,
    command_timeout,
    invalid,
    json_body,
    reply,
    session_of_caller,
)
from ocpi_modules.v2_2_1.commands import (
    OCPI_COMMANDS,
    CancelReservation,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
    command_response,
    parse_command,
)
from ocpi_modules.v2_2_1.security import Functional
from ocpi_modules.v2_2_1.tokens import to_core_token

log = structlog.get_logger(__name__)


# The synchronous CommandResponse for a command the core refused at once (CM-02); None = still running.
_RESPONSE_OF: dict[CommandResultType, str] = {
    CommandResultType.ACCEPTED: "ACCEPTED",
    CommandResultType.NOT_SUPPORTED: "NOT_SUPPORTED",
    CommandResultType.UNKNOWN_SESSION: "UNKNOWN_SESSION",
}


def _command_reply(request: web.Request, fn: Functional, command: Command) -> web.Response:
    """CM-02: ACCEPTED (with timeout) while the station works on it — the result follows at response_url —
    else the refusal the core decided at once."""
    core = runtime(request).core
    if command.result is None:
        return reply(request, fn, command_response("ACCEPTED", command_timeout(core)))
    result = _RESPONSE_OF.get(command.result, "REJECTED")
    return reply(request, fn, command_response(result, command_timeout(core), command.message))


def _refused(request: web.Request, fn: Functional, result: str, message: str, **kw: Any) -> web.Response:
    core = runtime(request).core
    return reply(request, fn, command_response(result, command_timeout(core), message), **kw)


async def _own_location(request: web.Request, fn: Functional, location_id: str) -> Location | None:
    return await runtime(request).core.locations.get(fn.hosted.ref, location_id)


def _own_token(fn: Functional, wire: dict[str, Any]) -> Token:
    """CM-09: the token is not validated, but an eMSP may only use its own tokens."""
    try:
        token = to_core_token(wire, own=False)
    except InvalidRequestError as exc:
        raise InvalidParametersError(f"token.{exc}", http_status=200) from None
    if fn.platform.role_of(token.party) is None:
        raise _NotYoursError(f"token of {token.party} does not belong to the requesting party")
    return token


class _NotYoursError(Exception):
    """A command naming a token of another eMSP (CM-09): REJECTED."""


CommandHandler = Callable[[web.Request, Functional, Any], Awaitable[web.Response]]


async def _start_session(request: web.Request, fn: Functional, cmd: StartSession) -> web.Response:
    core = runtime(request).core
    location = await _own_location(request, fn, cmd.location_id)
    if location is None:
        return _refused(
            request, fn, "REJECTED", "unknown location", status_code=StatusCode.UNKNOWN_LOCATION
        )  # CM-04
    token = _own_token(fn, cmd.token)
    evse = location.evse(cmd.evse_uid) if cmd.evse_uid else None
    if cmd.evse_uid and evse is None:
        return _refused(request, fn, "REJECTED", "unknown EVSE")
    if (
        evse is not None
        and Capability.START_SESSION_CONNECTOR_REQUIRED in evse.capabilities
        and cmd.connector_id is None
    ):
        return _refused(request, fn, "REJECTED", "this EVSE needs a connector_id")
    command = await core.commands.start_session(
        location_id=location.id,
        evse_uid=evse.uid if evse is not None else None,
        connector_id=cmd.connector_id,
        token=token,
        authorization_reference=cmd.authorization_reference,
        requester=fn.party,
        reply_to=cmd.response_url,
    )
    return _command_reply(request, fn, command)


async def _stop_session(request: web.Request, fn: Functional, cmd: StopSession) -> web.Response:
    core = runtime(request).core
    session = await core.sessions.get(cmd.session_id)
    if not session_of_caller(fn, session):
        return _refused(request, fn, "UNKNOWN_SESSION", "unknown session")
    command = await core.commands.stop_session(
        session_id=cmd.session_id, requester=fn.party, reply_to=cmd.response_url
    )
    return _command_reply(request, fn, command)


async def _reserve_now(request: web.Request, fn: Functional, cmd: ReserveNow) -> web.Response:
    core = runtime(request).core
    location = await _own_location(request, fn, cmd.location_id)
    if location is None:
        return _refused(request, fn, "REJECTED", "unknown location", status_code=StatusCode.UNKNOWN_LOCATION)
    token = _own_token(fn, cmd.token)
    evse = location.evse(cmd.evse_uid) if cmd.evse_uid else None
    if cmd.evse_uid and evse is None:
        return _refused(request, fn, "REJECTED", "unknown EVSE")
    command = await core.commands.reserve_now(
        location_id=location.id,
        evse_uid=evse.uid if evse is not None else None,
        token=token,
        expiry=cmd.expiry_date,
        reservation_id=cmd.reservation_id,  # CM-10: the core maps it to a station number of its own
        requester=fn.party,
        reply_to=cmd.response_url,
    )
    return _command_reply(request, fn, command)


async def _cancel_reservation(request: web.Request, fn: Functional, cmd: CancelReservation) -> web.Response:
    core = runtime(request).core
    command = await core.commands.cancel_reservation(
        reservation_id=cmd.reservation_id, requester=fn.party, reply_to=cmd.response_url
    )
    return _command_reply(request, fn, command)


async def _unlock_connector(request: web.Request, fn: Functional, cmd: UnlockConnector) -> web.Response:
    core = runtime(request).core
    location = await _own_location(request, fn, cmd.location_id)
    if location is None:
        return _refused(request, fn, "REJECTED", "unknown location", status_code=StatusCode.UNKNOWN_LOCATION)
    if location.evse(cmd.evse_uid) is None:
        return _refused(request, fn, "REJECTED", "unknown EVSE")
    command = await core.commands.unlock_connector(
        location_id=location.id,
        evse_uid=cmd.evse_uid,
        connector_id=cmd.connector_id,
        requester=fn.party,
        reply_to=cmd.response_url,
    )
    return _command_reply(request, fn, command)


COMMANDS: dict[str, CommandHandler] = {
    "START_SESSION": _start_session,
    "STOP_SESSION": _stop_session,
    "RESERVE_NOW": _reserve_now,
    "CANCEL_RESERVATION": _cancel_reservation,
    "UNLOCK_CONNECTOR": _unlock_connector,
}


async def post_command(request: web.Request) -> web.Response:
    fn = await caller(request, "commands")
    name = request.match_info["command"].upper()
    if name not in OCPI_COMMANDS:
        raise NotFoundError(f"Unknown command {request.match_info['command']}")  # CM-01
    body = await json_body(request)
    try:
        parsed = parse_command(name, body)
    except InvalidRequestError as exc:
        raise invalid(exc) from None
    try:
        return await COMMANDS[name](request, fn, parsed)
    except _NotYoursError as exc:
        return _refused(request, fn, "REJECTED", str(exc))
    except HubError as exc:  # unknown EVSE/connector, several stations, … (ARCHITECTURE.md: one table)
        log.info("ocpi_command_refused", command=name, platform_id=fn.platform.id, reason=str(exc))
        return _refused(request, fn, "REJECTED", str(exc))
