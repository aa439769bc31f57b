"""Our CPO's Sessions Sender (SE-01, SE-02, PG-08) with the charging preferences endpoint.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from aiohttp import web

from hub.core.models import Capability
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.pagination import parse_page
from ocpi_modules.common.runtime import runtime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_2_1.api.cpo.common import caller, json_body, page_reply, reply, session_of_caller
from ocpi_modules.v2_2_1.sessions import CHARGING_PREFERENCES_PROFILES, from_core_session


async def get_sessions(request: web.Request) -> web.Response:
    fn = await caller(request, "sessions")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit, require_date_from=True)
    every = await rt.core.sessions.list(fn.hosted.ref, page.date_from, page.date_to)
    visible = [s for s in every if session_of_caller(fn, s)]
    return page_reply(request, fn, page, visible, lambda s: from_core_session(s, token=None))


async def put_charging_preferences(request: web.Request) -> web.Response:
    """SE-02: 404 + 2001 when the session's EVSE lacks CHARGING_PREFERENCES_CAPABLE; our stations cannot act
    on preferences, so a capable EVSE answers NOT_POSSIBLE."""
    fn = await caller(request, "sessions")
    core = runtime(request).core
    session_id = request.match_info["session_id"]
    session = await core.sessions.get(session_id)
    if session is None or not session_of_caller(fn, session):
        raise NotFoundError(f"Unknown session {session_id}", status_code=StatusCode.INVALID_PARAMETERS)
    body = await json_body(request)
    profile = body.get("profile_type")
    if not isinstance(profile, str) or profile.upper() not in CHARGING_PREFERENCES_PROFILES:
        raise InvalidParametersError(f"profile_type: unknown value {profile!r}", http_status=200)
    location = await core.locations.find_by_evse(session.evse_uid) if session.evse_uid else None
    evse = location.evse(session.evse_uid) if location is not None and session.evse_uid else None
    if evse is None or Capability.CHARGING_PREFERENCES_CAPABLE not in evse.capabilities:
        raise NotFoundError(
            "The EVSE of this session does not accept charging preferences",
            status_code=StatusCode.INVALID_PARAMETERS,
        )
    return reply(request, fn, "NOT_POSSIBLE")
