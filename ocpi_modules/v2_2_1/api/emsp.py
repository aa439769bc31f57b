"""Our eMSP's OCPI 2.2.1 interfaces under `/ocpi/2.2.1/emsp/`: Tokens Sender (list, real-time authorize),
the Locations/Sessions/CDRs/Tariffs Receivers (partner objects kept as PartnerRecords) and the commands
response_url that receives CommandResults.

An adapter module: imports aiohttp, ocpi_modules and the core only. Handlers are thin: authenticate, read
the URL and body, call `emsp.receivers` / `emsp.commands`, answer with an envelope.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from hub.core.authorization import fingerprint
from hub.core.errors import InvalidRequestError
from hub.core.models import AuthorizationDecision, AuthorizationStatus, PartyRef, Role, TokenType
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import join_url
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError, UnknownTokenError
from ocpi_modules.common.headers import LOCATION, party_headers
from ocpi_modules.common.pagination import page_headers, parse_page
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.emsp import commands, receivers
from ocpi_modules.v2_2_1.emsp.receivers import CDRS, LOCATIONS, SESSIONS, TARIFFS, Outcome
from ocpi_modules.v2_2_1.security import Functional, functional_caller
from ocpi_modules.v2_2_1.tokens import from_core_decision, from_core_token, location_references

log = structlog.get_logger(__name__)

PREFIX = "/ocpi/2.2.1/emsp"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- shared pieces ------------------------------------------------------------------------------------


async def _caller(request: web.Request, module: str) -> Functional:
    return await functional_caller(request, module=module, hosted_role=Role.EMSP)


def _reply(
    request: web.Request,
    fn: Functional,
    data: Any = None,
    *,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An envelope from our eMSP to the calling party (response FROM/TO, design "Which hosted party")."""
    all_headers = party_headers(from_party=fn.hosted.ref, to_party=fn.party)
    all_headers.update(headers or {})
    return ocpi_response(request, data, http_status=http_status, headers=all_headers)


def _stored(request: web.Request, fn: Functional, outcome: Outcome) -> web.Response:
    """PUT that creates → 201, anything else → 200 (RF-06); stale writes are acknowledged too (CO-10)."""
    return _reply(request, fn, http_status=201 if outcome is Outcome.CREATED else 200)


def _url_party(request: web.Request, fn: Functional) -> PartyRef:
    """The URL's `{country_code}/{party_id}`: it must be one of the caller's CredentialsRoles, else HTTP 404
    (CO-04, RF-07)."""
    cc, pid = request.match_info["cc"], request.match_info["pid"]
    try:
        party = PartyRef(country_code=cc, party_id=pid)
    except ValueError:
        raise NotFoundError(f"unknown party {cc}/{pid}") from None
    if fn.platform.role_of(party) is None:
        log.info("ocpi_foreign_party", platform_id=fn.platform.id, party=str(party), path=request.path)
        raise NotFoundError(f"{party} is not a party of the calling platform")
    return party


async def _body(request: web.Request) -> Any:
    return ocpi_json.loads(await request.read())


def _findings(fn: Functional, module: str, object_id: str | None) -> Findings:
    return Findings(peer=fn.platform.id, module=module, object_id=object_id)


# --- Tokens Sender (TK-02, TK-05…TK-07) -------------------------------------------------------------------


async def get_tokens(request: web.Request) -> web.Response:
    """Our eMSP's tokens, paginated on last_updated (PG-01…PG-05)."""
    fn = await _caller(request, "tokens")
    rt = runtime(request)
    cap = rt.config.page_limit
    page = parse_page(request, cap=cap)
    tokens = [
        t
        for t in await rt.core.tokens.list(fn.hosted.ref)
        if (page.date_from is None or t.last_updated >= page.date_from)
        and (page.date_to is None or t.last_updated < page.date_to)
    ]
    tokens.sort(key=lambda t: (t.last_updated, t.uid.upper()))
    chunk = tokens[page.offset : page.offset + page.limit]
    headers = page_headers(
        request,
        public_url=rt.config.public_url,
        total=len(tokens),
        offset=page.offset,
        limit=page.limit,
        cap=cap,
        returned=len(chunk),
    )
    return _reply(request, fn, [from_core_token(t) for t in chunk], headers=headers)


async def authorize_token(request: web.Request) -> web.Response:
    """Real-time authorization of one of our tokens: unknown → HTTP 404 + 2004 (TK-05); known → 1000 with
    ALLOWED when valid, else BLOCKED; never refused for opening hours or EVSE status (TK-06, TK-07)."""
    fn = await _caller(request, "tokens")
    rt = runtime(request)
    uid = request.match_info["uid"]
    type_text = request.query.get("type", TokenType.RFID.value)
    try:
        token_type = TokenType(type_text.upper())
    except ValueError:
        raise InvalidParametersError(f"type {type_text!r} is not a TokenType") from None
    raw = await request.read()
    try:
        location_id, evse_uids = location_references(ocpi_json.loads(raw) if raw.strip() else None)
    except InvalidRequestError as exc:
        raise InvalidParametersError(str(exc)) from None
    token = await rt.core.tokens.get(uid, fn.hosted.ref, token_type)
    if token is None or token.type is not token_type:
        log.info("ocpi_authorize_unknown_token", token=fingerprint(uid), platform_id=fn.platform.id)
        raise UnknownTokenError(f"unknown token {uid}")
    decision = AuthorizationDecision(
        status=AuthorizationStatus.ALLOWED if token.valid else AuthorizationStatus.BLOCKED,
        token=token,
        authorization_reference=uuid.uuid4().hex,
    )
    log.info(
        "ocpi_authorize",
        token=fingerprint(token.uid),
        platform_id=fn.platform.id,
        party=str(fn.party),
        allowed=str(decision.status),
        location_id=location_id,
    )
    return _reply(request, fn, from_core_decision(decision, location_id=location_id, evse_uids=evse_uids))


# --- Locations Receiver (LO-02, LO-04, CO-01…CO-10) ------------------------------------------------------


def _location_ids(request: web.Request) -> tuple[str, str | None, str | None]:
    info = request.match_info
    return info["location_id"], info.get("evse_uid"), info.get("connector_id")


async def get_location(request: web.Request) -> web.Response:
    fn = await _caller(request, LOCATIONS)
    party = _url_party(request, fn)
    location_id, evse_uid, connector_id = _location_ids(request)
    data = await receivers.get_location(
        runtime(request), party, location_id, evse_uid=evse_uid, connector_id=connector_id
    )
    if data is None:
        raise NotFoundError("unknown location, EVSE or connector")
    return _reply(request, fn, data)


async def put_location(request: web.Request) -> web.Response:
    fn = await _caller(request, LOCATIONS)
    party = _url_party(request, fn)
    location_id, evse_uid, connector_id = _location_ids(request)
    body = await _body(request)
    outcome = await receivers.put_location(
        runtime(request),
        party,
        location_id,
        body,
        _findings(fn, LOCATIONS, location_id),
        evse_uid=evse_uid,
        connector_id=connector_id,
    )
    return _stored(request, fn, outcome)


async def patch_location(request: web.Request) -> web.Response:
    fn = await _caller(request, LOCATIONS)
    party = _url_party(request, fn)
    location_id, evse_uid, connector_id = _location_ids(request)
    body = await _body(request)
    await receivers.patch_location(
        runtime(request),
        party,
        location_id,
        body,
        _findings(fn, LOCATIONS, location_id),
        evse_uid=evse_uid,
        connector_id=connector_id,
    )
    return _reply(request, fn)


# --- Sessions Receiver (SE-03…SE-07) -----------------------------------------------------------------------


async def get_session(request: web.Request) -> web.Response:
    fn = await _caller(request, SESSIONS)
    party = _url_party(request, fn)
    data = await receivers.get_session(runtime(request), party, request.match_info["session_id"])
    if data is None:
        raise NotFoundError("unknown session")
    return _reply(request, fn, data)


async def put_session(request: web.Request) -> web.Response:
    fn = await _caller(request, SESSIONS)
    party = _url_party(request, fn)
    session_id = request.match_info["session_id"]
    body = await _body(request)
    outcome = await receivers.put_session(
        runtime(request), party, session_id, body, _findings(fn, SESSIONS, session_id)
    )
    return _stored(request, fn, outcome)


async def patch_session(request: web.Request) -> web.Response:
    fn = await _caller(request, SESSIONS)
    party = _url_party(request, fn)
    session_id = request.match_info["session_id"]
    body = await _body(request)
    await receivers.patch_session(
        runtime(request), party, session_id, body, _findings(fn, SESSIONS, session_id)
    )
    return _reply(request, fn)


# --- CDRs Receiver (CD-02, CD-13) ---------------------------------------------------------------------------


def cdr_url(rt: OcpiRuntime, party: PartyRef, cdr_id: str) -> str:
    """Where a received CDR can be fetched again: the `Location` header of the POST (CD-02)."""
    return join_url(rt.config.url(f"/2.2.1/emsp/{CDRS}"), party.country_code, party.party_id, cdr_id)


async def post_cdr(request: web.Request) -> web.Response:
    fn = await _caller(request, CDRS)
    rt = runtime(request)
    body = receivers.as_object(await _body(request), "CDR")
    party = receivers.party_of(body, "CDR")
    if fn.platform.role_of(party) is None:
        log.info("ocpi_foreign_party", platform_id=fn.platform.id, party=str(party), path=request.path)
        raise NotFoundError(f"{party} is not a party of the calling platform")
    cdr_id = receivers.cdr_id(body)
    await receivers.post_cdr(rt, party, body, _findings(fn, CDRS, cdr_id))
    return _reply(request, fn, headers={LOCATION: cdr_url(rt, party, cdr_id)})


async def get_cdr(request: web.Request) -> web.Response:
    fn = await _caller(request, CDRS)
    party = _url_party(request, fn)
    data = await receivers.get_cdr(runtime(request), party, request.match_info["cdr_id"])
    if data is None:
        raise NotFoundError("unknown CDR")
    return _reply(request, fn, data)


# --- Tariffs Receiver (TA-01) -------------------------------------------------------------------------------


async def get_tariff(request: web.Request) -> web.Response:
    fn = await _caller(request, TARIFFS)
    party = _url_party(request, fn)
    data = await receivers.get_tariff(runtime(request), party, request.match_info["tariff_id"])
    if data is None:
        raise NotFoundError("unknown tariff")
    return _reply(request, fn, data)


async def put_tariff(request: web.Request) -> web.Response:
    fn = await _caller(request, TARIFFS)
    party = _url_party(request, fn)
    tariff_id = request.match_info["tariff_id"]
    body = await _body(request)
    outcome = await receivers.put_tariff(
        runtime(request), party, tariff_id, body, _findings(fn, TARIFFS, tariff_id)
    )
    return _stored(request, fn, outcome)


async def delete_tariff(request: web.Request) -> web.Response:
    fn = await _caller(request, TARIFFS)
    party = _url_party(request, fn)
    if not await receivers.delete_tariff(runtime(request), party, request.match_info["tariff_id"]):
        raise NotFoundError("unknown tariff")
    return _reply(request, fn)


# --- Commands: our response_url (CM-03, CM-12) --------------------------------------------------------------


async def post_command_result(request: web.Request) -> web.Response:
    """A CPO's asynchronous CommandResult for a command we sent; answered 1000 without data (RF-03)."""
    fn = await _caller(request, "commands")
    command = request.match_info["command"].upper()
    command_id = request.match_info["command_id"]
    if command not in commands.COMMANDS:
        raise NotFoundError(f"unknown command {command}")
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("result"), str):
        raise InvalidParametersError("a CommandResult needs a result")
    if not await commands.receive_command_result(runtime(request), fn.platform, command, command_id, body):
        log.info(
            "ocpi_unknown_command_result", platform_id=fn.platform.id, command=command, command_id=command_id
        )
        raise NotFoundError(f"unknown command {command_id}")
    return _reply(request, fn)


def add_routes(router: web.UrlDispatcher) -> None:
    location = f"{PREFIX}/{LOCATIONS}/{{cc}}/{{pid}}/{{location_id}}"
    routes: list[tuple[str, str, Handler]] = [
        ("GET", f"{PREFIX}/tokens", get_tokens),
        ("POST", f"{PREFIX}/tokens/{{uid}}/authorize", authorize_token),
        ("POST", f"{PREFIX}/{CDRS}", post_cdr),
        ("GET", f"{PREFIX}/{CDRS}/{{cc}}/{{pid}}/{{cdr_id}}", get_cdr),
        ("GET", f"{PREFIX}/{SESSIONS}/{{cc}}/{{pid}}/{{session_id}}", get_session),
        ("PUT", f"{PREFIX}/{SESSIONS}/{{cc}}/{{pid}}/{{session_id}}", put_session),
        ("PATCH", f"{PREFIX}/{SESSIONS}/{{cc}}/{{pid}}/{{session_id}}", patch_session),
        ("GET", f"{PREFIX}/{TARIFFS}/{{cc}}/{{pid}}/{{tariff_id}}", get_tariff),
        ("PUT", f"{PREFIX}/{TARIFFS}/{{cc}}/{{pid}}/{{tariff_id}}", put_tariff),
        ("DELETE", f"{PREFIX}/{TARIFFS}/{{cc}}/{{pid}}/{{tariff_id}}", delete_tariff),
        ("POST", f"{PREFIX}/commands/{{command}}/{{command_id}}", post_command_result),
    ]
    for path in (location, f"{location}/{{evse_uid}}", f"{location}/{{evse_uid}}/{{connector_id}}"):
        routes += [("GET", path, get_location), ("PUT", path, put_location), ("PATCH", path, patch_location)]
    for method, path, handler in routes:
        router.add_route(method, path, handler)
