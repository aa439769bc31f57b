"""Our CPO's OCPI 2.2.1 interfaces under `/ocpi/2.2.1/cpo/`: the Locations, Sessions, CDRs and Tariffs Senders
(data from the core, filtered to what the caller may see) and the Tokens, Commands and ChargingProfiles
Receivers (tokens stored in the core, commands handed to the core's command service).

An adapter module: imports aiohttp, ocpi_modules and the core only. Handlers are thin: authenticate, read the
URL and body, one core call, answer with an envelope.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from hub.core.authorization import fingerprint
from hub.core.errors import HubError, InvalidRequestError
from hub.core.models import (
    Capability,
    Command,
    CommandResultType,
    Evse,
    Location,
    PartyRef,
    Role,
    Session,
    Token,
    TokenType,
)
from hub.core.services import Core
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.headers import party_headers
from ocpi_modules.common.pagination import PageRequest, page_headers, parse_page
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.api.versions import BASE_PATH, VERSION
from ocpi_modules.v2_2_1.chargingprofiles import SetChargingProfile, charging_profile_response, to_core_limit
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
from ocpi_modules.v2_2_1.location_pages import LocationPages
from ocpi_modules.v2_2_1.locations import from_core_connector, from_core_evse, from_core_location
from ocpi_modules.v2_2_1.push import cdr_for_wire
from ocpi_modules.v2_2_1.security import Functional, functional_caller
from ocpi_modules.v2_2_1.sessions import CHARGING_PREFERENCES_PROFILES, from_core_session
from ocpi_modules.v2_2_1.tariffs import from_core_tariff
from ocpi_modules.v2_2_1.tokens import check_token, from_core_token, merge_token, to_core_token, token_type
from ocpi_modules.v2_2_1.types import is_stale

log = structlog.get_logger(__name__)

PREFIX = f"{BASE_PATH}/{VERSION}/cpo"

# The synchronous CommandResponse for a command the core refused at once (CM-02); None = still running.
_RESPONSE_OF: dict[CommandResultType, str] = {
    CommandResultType.ACCEPTED: "ACCEPTED",
    CommandResultType.NOT_SUPPORTED: "NOT_SUPPORTED",
    CommandResultType.UNKNOWN_SESSION: "UNKNOWN_SESSION",
}


# --- shared pieces ------------------------------------------------------------------------------------


async def _caller(request: web.Request, module: str) -> Functional:
    return await functional_caller(request, module=module, hosted_role=Role.CPO)


def _reply(
    request: web.Request,
    fn: Functional,
    data: Any = None,
    *,
    http_status: int = 200,
    status_code: int = StatusCode.SUCCESS,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An envelope from our CPO to the calling party (response FROM/TO, design "Which hosted party")."""
    all_headers = party_headers(from_party=fn.hosted.ref, to_party=fn.party)
    all_headers.update(headers or {})
    return ocpi_response(
        request, data, status_code=status_code, message=message, http_status=http_status, headers=all_headers
    )


def _page_reply(
    request: web.Request,
    fn: Functional,
    page: PageRequest,
    visible: Sequence[Any],
    render: Callable[[Any], Any],
) -> web.Response:
    """One page of `visible` (all the caller may see, in order) with X-Total-Count, X-Limit and Link."""
    rt = runtime(request)
    chosen = visible[page.offset : page.offset + page.limit]
    headers = page_headers(
        request,
        public_url=rt.config.public_url,
        total=len(visible),
        offset=page.offset,
        limit=page.limit,
        cap=rt.config.page_limit,
        returned=len(chosen),
    )
    return _reply(request, fn, [render(item) for item in chosen], headers=headers)


async def _body(request: web.Request) -> dict[str, Any]:
    data = ocpi_json.loads(await request.read())
    if not isinstance(data, dict):
        raise InvalidParametersError("expected a JSON object", http_status=200)
    return data


def _invalid(exc: InvalidRequestError) -> InvalidParametersError:
    """Valid JSON to an existing resource from an authenticated caller: 2001 with HTTP 200 (RF-05)."""
    return InvalidParametersError(str(exc), http_status=200)


def _caller_parties(fn: Functional) -> set[str]:
    """Keys of every party the calling platform carries: it sees the sessions and CDRs of their tokens."""
    return {role.party.key() for role in fn.platform.roles} | {fn.party.key()}


def _in_window(when: datetime, page: PageRequest) -> bool:
    if page.date_from is not None and when < page.date_from:
        return False
    return page.date_to is None or when < page.date_to


# --- Locations Sender (LO-01, LO-07, LO-04) -------------------------------------------------------------


def visible_location(location: Location) -> bool:
    """LO-07: an unpublished location is shown to holders of a matching `publish_allowed_to` entry only; the
    core has no such list yet, so unpublished locations are shown to nobody."""
    return location.publish


def bubbled(location: Location) -> Location:
    """`last_updated` bubbles connector → EVSE → location (LO-04): never older than what it contains."""
    evses = []
    for evse in location.evses:
        newest = max([evse.last_updated, *(c.last_updated for c in evse.connectors)])
        evses.append(
            evse if newest == evse.last_updated else evse.model_copy(update={"last_updated": newest})
        )
    newest = max([location.last_updated, *(e.last_updated for e in evses)])
    return location.model_copy(update={"evses": tuple(evses), "last_updated": newest})


async def _location(request: web.Request, fn: Functional) -> Location:
    location_id = request.match_info["location_id"]
    location = await runtime(request).core.locations.get(fn.hosted.ref, location_id)
    if location is None or not visible_location(location):
        raise NotFoundError(f"Unknown location {location_id}")
    return bubbled(location)


def _evse(request: web.Request, location: Location) -> Evse:
    evse_uid = request.match_info["evse_uid"]
    evse = location.evse(evse_uid)
    if evse is None:
        raise NotFoundError(f"Unknown EVSE {evse_uid}")
    return evse


async def get_locations(request: web.Request) -> web.Response:
    fn = await _caller(request, "locations")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    # The core filters by owner and window; visibility (LO-07) is applied before paging so X-Total-Count
    # counts only what this caller may see (PG-02). Pages are cut from serialized windows (location_pages).
    pages = _location_pages(rt)
    result = await pages.page(rt.core, fn.hosted.ref, page.date_from, page.date_to, page.offset, page.limit)
    headers = page_headers(
        request,
        public_url=rt.config.public_url,
        total=result.total,
        offset=page.offset,
        limit=page.limit,
        cap=rt.config.page_limit,
        returned=result.returned,
    )
    return _reply(request, fn, result.data, headers=headers)


LOCATION_PAGES = "location_pages"


def _location_pages(rt: OcpiRuntime) -> LocationPages:
    pages = rt.extras.get(LOCATION_PAGES)
    if pages is None:
        pages = rt.extras[LOCATION_PAGES] = LocationPages(
            rt.clock, lambda loc: from_core_location(bubbled(loc)), visible_location
        )
    assert isinstance(pages, LocationPages)
    return pages


async def get_location(request: web.Request) -> web.Response:
    fn = await _caller(request, "locations")
    return _reply(request, fn, from_core_location(await _location(request, fn)))


async def get_evse(request: web.Request) -> web.Response:
    fn = await _caller(request, "locations")
    location = await _location(request, fn)
    return _reply(request, fn, from_core_evse(_evse(request, location), location))


async def get_connector(request: web.Request) -> web.Response:
    fn = await _caller(request, "locations")
    evse = _evse(request, await _location(request, fn))
    connector_id = request.match_info["connector_id"]
    connector = next((c for c in evse.connectors if c.id.lower() == connector_id.lower()), None)
    if connector is None:
        raise NotFoundError(f"Unknown connector {connector_id}")
    return _reply(request, fn, from_core_connector(connector))


# --- Sessions Sender (SE-01, SE-02, PG-08) --------------------------------------------------------------


def _session_of_caller(fn: Functional, session: Session | None) -> bool:
    return (
        session is not None
        and session.party.key() == fn.hosted.ref.key()
        and session.token_party is not None
        and session.token_party.key() in _caller_parties(fn)
    )


async def get_sessions(request: web.Request) -> web.Response:
    fn = await _caller(request, "sessions")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit, require_date_from=True)
    every = await rt.core.sessions.list(fn.hosted.ref, page.date_from, page.date_to)
    visible = [s for s in every if _session_of_caller(fn, s)]
    return _page_reply(request, fn, page, visible, lambda s: from_core_session(s, token=None))


async def put_charging_preferences(request: web.Request) -> web.Response:
    """SE-02: 404 + 2001 when the session's EVSE lacks CHARGING_PREFERENCES_CAPABLE; our stations cannot act
    on preferences, so a capable EVSE answers NOT_POSSIBLE."""
    fn = await _caller(request, "sessions")
    core = runtime(request).core
    session_id = request.match_info["session_id"]
    session = await core.sessions.get(session_id)
    if session is None or not _session_of_caller(fn, session):
        raise NotFoundError(f"Unknown session {session_id}", status_code=StatusCode.INVALID_PARAMETERS)
    body = await _body(request)
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
    return _reply(request, fn, "NOT_POSSIBLE")


# --- CDRs and Tariffs Senders (CD-01, TA-01) ------------------------------------------------------------


async def get_cdrs(request: web.Request) -> web.Response:
    fn = await _caller(request, "cdrs")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    parties = _caller_parties(fn)
    every = await rt.core.cdrs.list(fn.hosted.ref, page.date_from, page.date_to)
    visible = [c for c in every if c.token_party is not None and c.token_party.key() in parties]
    chosen = visible[page.offset : page.offset + page.limit]
    rendered = {c.id: await cdr_for_wire(rt.core, c) for c in chosen}
    return _page_reply(request, fn, page, visible, lambda c: rendered[c.id])


async def get_tariffs(request: web.Request) -> web.Response:
    fn = await _caller(request, "tariffs")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    every = await rt.core.tariffs.list(fn.hosted.ref)
    visible = sorted(
        (t for t in every if _in_window(t.last_updated, page)), key=lambda t: (t.last_updated, t.id.upper())
    )
    return _page_reply(request, fn, page, visible, from_core_tariff)


# --- Tokens Receiver (TK-01, CO-02…CO-10) ---------------------------------------------------------------


def _token_owner(request: web.Request, fn: Functional) -> PartyRef:
    """The URL's cc/pid: it must be one of the caller's parties (CO-04: 404 otherwise)."""
    cc, pid = request.match_info["country_code"], request.match_info["party_id"]
    try:
        owner = PartyRef(country_code=cc, party_id=pid)
    except ValueError:
        raise NotFoundError(f"Unknown party {cc}*{pid}") from None
    entry = fn.platform.role_of(owner)
    if entry is None:
        raise NotFoundError(f"Party {cc}*{pid} is not one of yours")
    return entry.party


def _url_type(request: web.Request) -> TokenType:
    """TK-01: `?type=`, RFID when absent; a token is (party, uid, type) (TK-04)."""
    try:
        return token_type(request.query.get("type"))
    except InvalidRequestError as exc:
        raise InvalidParametersError(str(exc)) from None


async def _stored_token(core: Core, owner: PartyRef, uid: str, kind: TokenType) -> Token | None:
    token = await core.tokens.get(uid, owner, kind)
    if token is None or token.own:
        return None
    return token


def _check_identity(body: dict[str, Any], owner: PartyRef, uid: str, kind: TokenType) -> None:
    """CO-02/CO-03: identifiers in the body, when present, must be those of the URL."""
    expected = {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "uid": uid,
        "type": kind.value,
    }
    for name, value in expected.items():
        given = body.get(name)
        if given is not None and str(given).upper() != value.upper():
            raise InvalidParametersError(
                f"{name} {given!r} does not match the URL ({value!r})", http_status=200
            )


async def get_token(request: web.Request) -> web.Response:
    fn = await _caller(request, "tokens")
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    token = await _stored_token(runtime(request).core, owner, uid, kind)
    if token is None:
        raise NotFoundError(f"Unknown token {kind.value} {fingerprint(uid)}")
    return _reply(request, fn, from_core_token(token))


async def put_token(request: web.Request) -> web.Response:
    fn = await _caller(request, "tokens")
    rt = runtime(request)
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    body = await _body(request)
    _check_identity(body, owner, uid, kind)
    Findings(peer=fn.platform.id, module="tokens", object_id=fingerprint(uid)).extend(check_token(body))
    try:
        token = to_core_token({**body, "type": body.get("type", kind.value)}, own=False)
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
    existing = await rt.core.tokens.get(uid, owner, token.type)
    if existing is not None and existing.own:
        raise InvalidParametersError("This token belongs to a party of the hub", http_status=200)
    if existing is not None and is_stale(existing.last_updated, token.last_updated):
        log.info("ocpi_stale_write", module="tokens", token=fingerprint(uid), platform_id=fn.platform.id)
        return _reply(request, fn)  # CO-10: acknowledged, not applied
    await rt.core.tokens.put(token.model_copy(update={"party": owner}))
    return _reply(request, fn, http_status=201 if existing is None else 200)


async def patch_token(request: web.Request) -> web.Response:
    fn = await _caller(request, "tokens")
    rt = runtime(request)
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    body = await _body(request)
    _check_identity(body, owner, uid, kind)
    if body.get("last_updated") is None:
        raise InvalidParametersError("last_updated: a PATCH must carry last_updated", http_status=200)
    existing = await _stored_token(rt.core, owner, uid, kind)
    if existing is None:  # CO-08: the sender PUTs instead
        raise NotFoundError(f"Unknown token {kind.value} {fingerprint(uid)}")
    if is_stale(existing.last_updated, body.get("last_updated")):
        log.info("ocpi_stale_write", module="tokens", token=fingerprint(uid), platform_id=fn.platform.id)
        return _reply(request, fn)
    try:
        merged = merge_token(existing, body)
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
    await rt.core.tokens.put(merged)
    return _reply(request, fn)


# --- Commands Receiver (CM-01…CM-10) --------------------------------------------------------------------


def _timeout(core: Core) -> int:
    return math.ceil(core.options.command_timeout_s)


def _command_reply(request: web.Request, fn: Functional, command: Command) -> web.Response:
    """CM-02: ACCEPTED (with timeout) while the station works on it — the result follows at response_url —
    else the refusal the core decided at once."""
    core = runtime(request).core
    if command.result is None:
        return _reply(request, fn, command_response("ACCEPTED", _timeout(core)))
    result = _RESPONSE_OF.get(command.result, "REJECTED")
    return _reply(request, fn, command_response(result, _timeout(core), command.message))


def _refused(request: web.Request, fn: Functional, result: str, message: str, **kw: Any) -> web.Response:
    core = runtime(request).core
    return _reply(request, fn, command_response(result, _timeout(core), message), **kw)


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
    if not _session_of_caller(fn, session):
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
    fn = await _caller(request, "commands")
    name = request.match_info["command"].upper()
    if name not in OCPI_COMMANDS:
        raise NotFoundError(f"Unknown command {request.match_info['command']}")  # CM-01
    body = await _body(request)
    try:
        parsed = parse_command(name, body)
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
    try:
        return await COMMANDS[name](request, fn, parsed)
    except _NotYoursError as exc:
        return _refused(request, fn, "REJECTED", str(exc))
    except HubError as exc:  # unknown EVSE/connector, several stations, … (ARCHITECTURE.md: one table)
        log.info("ocpi_command_refused", command=name, platform_id=fn.platform.id, reason=str(exc))
        return _refused(request, fn, "REJECTED", str(exc))


# --- ChargingProfiles Receiver (CP-01…CP-03) ------------------------------------------------------------


def _profile_reply(request: web.Request, fn: Functional, result: str) -> web.Response:
    return _reply(request, fn, charging_profile_response(result, _timeout(runtime(request).core)))


async def _profile_session(request: web.Request, fn: Functional) -> Session | None:
    session = await runtime(request).core.sessions.get(request.match_info["session_id"])
    return session if _session_of_caller(fn, session) else None


async def put_charging_profile(request: web.Request) -> web.Response:
    fn = await _caller(request, "chargingprofiles")
    core = runtime(request).core
    body = await _body(request)
    try:
        parsed = SetChargingProfile.model_validate(body)
        limit, unit = to_core_limit(parsed.charging_profile)
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
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
    fn = await _caller(request, "chargingprofiles")
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
    fn = await _caller(request, "chargingprofiles")
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


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(f"{PREFIX}/locations", get_locations)
    router.add_get(f"{PREFIX}/locations/{{location_id}}", get_location)
    router.add_get(f"{PREFIX}/locations/{{location_id}}/{{evse_uid}}", get_evse)
    router.add_get(f"{PREFIX}/locations/{{location_id}}/{{evse_uid}}/{{connector_id}}", get_connector)
    router.add_get(f"{PREFIX}/sessions", get_sessions)
    router.add_put(f"{PREFIX}/sessions/{{session_id}}/charging_preferences", put_charging_preferences)
    router.add_get(f"{PREFIX}/cdrs", get_cdrs)
    router.add_get(f"{PREFIX}/tariffs", get_tariffs)
    token_path = f"{PREFIX}/tokens/{{country_code}}/{{party_id}}/{{uid}}"
    router.add_get(token_path, get_token)
    router.add_put(token_path, put_token)
    router.add_patch(token_path, patch_token)
    router.add_post(f"{PREFIX}/commands/{{command}}", post_command)
    profile_path = f"{PREFIX}/chargingprofiles/{{session_id}}"
    router.add_get(profile_path, get_charging_profile)
    router.add_put(profile_path, put_charging_profile)
    router.add_delete(profile_path, delete_charging_profile)
