"""Our CPO's ChargingProfiles Receiver (CP-01…CP-03): limits and schedules through the core's commands.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from hub.core.errors import HubError, InvalidRequestError
from hub.core.models import Command, CommandResultType, Session
from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.runtime import runtime
from ocpi_modules.v2_2_1.api.cpo.common import (
    caller,
    command_timeout,
    invalid,
    json_body,
    reply,
    session_of_caller,
)
from ocpi_modules.v2_2_1.chargingprofiles import SetChargingProfile, charging_profile_response, to_core_limit
from ocpi_modules.v2_2_1.security import Functional

log = structlog.get_logger(__name__)


def _profile_reply(request: web.Request, fn: Functional, result: str) -> web.Response:
    return reply(request, fn, charging_profile_response(result, command_timeout(runtime(request).core)))


async def _profile_session(request: web.Request, fn: Functional) -> Session | None:
    session = await runtime(request).core.sessions.get(request.match_info["session_id"])
    return session if session_of_caller(fn, session) else None


async def put_charging_profile(request: web.Request) -> web.Response:
    fn = await caller(request, "chargingprofiles")
    core = runtime(request).core
    body = await json_body(request)
    try:
        parsed = SetChargingProfile.model_validate(body)
        limit, unit = to_core_limit(parsed.charging_profile)
    except InvalidRequestError as exc:
        raise invalid(exc) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise InvalidParametersError(f"invalid SetChargingProfile: {exc}", http_status=200) from None
    session = await _profile_session(request, fn)
    if session is None:
        return _profile_reply(request, fn, "UNKNOWN_SESSION")
    try:
        command = await core.commands.set_charging_limit(
            session_id=session.id, limit=limit, unit=unit, requester=fn.party, reply_to=parsed.response_url
        )
    except HubError as exc:
        log.info("ocpi_charging_profile_refused", platform_id=fn.platform.id, reason=str(exc))
        return _profile_reply(request, fn, "REJECTED")
    return _profile_command_reply(request, fn, command)


def _profile_command_reply(request: web.Request, fn: Functional, command: Command) -> web.Response:
    """The ChargingProfileResponse for a command the core took (result None: still running) or refused."""
    if command.result is None or command.result is CommandResultType.ACCEPTED:
        return _profile_reply(request, fn, "ACCEPTED")
    if command.result is CommandResultType.UNKNOWN_SESSION:
        return _profile_reply(request, fn, "UNKNOWN_SESSION")
    return _profile_reply(request, fn, "REJECTED")


async def get_charging_profile(request: web.Request) -> web.Response:
    """GET `?duration=&response_url=`: the station's composite schedule follows as ActiveChargingProfileResult
    (CP-01, CP-03)."""
    fn = await caller(request, "chargingprofiles")
    response_url = request.query.get("response_url")
    if not response_url:
        raise InvalidParametersError("response_url is required")
    duration = request.query.get("duration", "")
    if not duration.isdigit():
        raise InvalidParametersError("duration must be a number of seconds")
    session = await _profile_session(request, fn)
    if session is None:
        return _profile_reply(request, fn, "UNKNOWN_SESSION")
    try:
        command = await runtime(request).core.commands.charging_schedule(
            session_id=session.id, duration_s=int(duration), requester=fn.party, reply_to=response_url
        )
    except HubError as exc:
        log.info("ocpi_charging_profile_refused", platform_id=fn.platform.id, reason=str(exc))
        return _profile_reply(request, fn, "REJECTED")
    return _profile_command_reply(request, fn, command)


async def delete_charging_profile(request: web.Request) -> web.Response:
    """DELETE `?response_url=`: the limit we set is cleared; ClearProfileResult follows (CP-01, CP-03)."""
    fn = await caller(request, "chargingprofiles")
    response_url = request.query.get("response_url")
    if not response_url:
        raise InvalidParametersError("response_url is required")
    session = await _profile_session(request, fn)
    if session is None:
        return _profile_reply(request, fn, "UNKNOWN_SESSION")
    try:
        command = await runtime(request).core.commands.clear_charging_limit(
            session_id=session.id, requester=fn.party, reply_to=response_url
        )
    except HubError as exc:
        log.info("ocpi_charging_profile_refused", platform_id=fn.platform.id, reason=str(exc))
        return _profile_reply(request, fn, "REJECTED")
    return _profile_command_reply(request, fn, command)
