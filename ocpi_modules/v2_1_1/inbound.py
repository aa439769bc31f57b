"""The hub's OCPI 2.1.1 module endpoints, one URL per module (`/ocpi/2.1.1/{module}`, both directions): each
call of a registered 2.1.1 partner becomes a canonical `RelayRequest` for `rt.router` and the answer comes
back in 2.1.1 shapes.

The interface follows the caller's role (its credentials carry no role; the invitation named it): a 2.1.1 eMSP
GETs the Locations, Sessions, CDRs and Tariffs Senders (a list is a GET All, addressed to the hub), pushes to
the Tokens Receiver and POSTs commands; a 2.1.1 CPO pushes to the Locations, Sessions and Tariffs Receivers,
POSTs CDRs, GETs the Tokens Sender and asks for real-time authorization. Pushes name the caller's own party
in the URL (404 otherwise, CO-04); Locations, Tariffs and Tokens are addressed to the hub (broadcast),
Sessions and CDRs to their token's eMSP, everything else goes by open routing.

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import structlog
from aiohttp import web

from hub.core.models import PartyRef, Role
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.errors import (
    InvalidParametersError,
    MethodNotAllowedError,
    NotFoundError,
    OcpiError,
    ServerError,
)
from ocpi_modules.common.headers import X_LIMIT, X_TOTAL_COUNT, request_ids
from ocpi_modules.common.pagination import page_headers
from ocpi_modules.common.routing import RECEIVER, SENDER, RelayAnswer, RelayRequest, Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.common.status import is_success
from ocpi_modules.v2_1_1 import objects
from ocpi_modules.v2_1_1.lookups import TOKENS, Lookups, token_key
from ocpi_modules.v2_1_1.replies import error_211, reply
from ocpi_modules.v2_1_1.security import Partner, functional_partner
from ocpi_modules.v2_1_1.translate import Notes
from ocpi_modules.v2_1_1.urls import BASE_PATH, FUNCTIONAL_MODULES, VERSION

log = structlog.get_logger(__name__)

# (caller's role, module) → the role of the interface it reaches (mod_*.md "Interfaces").
INTERFACES: dict[tuple[Role, str], str] = {
    (Role.EMSP, "locations"): SENDER,
    (Role.EMSP, "sessions"): SENDER,
    (Role.EMSP, "cdrs"): SENDER,
    (Role.EMSP, "tariffs"): SENDER,
    (Role.EMSP, "tokens"): RECEIVER,
    (Role.EMSP, "commands"): RECEIVER,
    (Role.CPO, "locations"): RECEIVER,
    (Role.CPO, "sessions"): RECEIVER,
    (Role.CPO, "cdrs"): RECEIVER,
    (Role.CPO, "tariffs"): RECEIVER,
    (Role.CPO, "tokens"): SENDER,
}
# (module, role, method) → the URL tail lengths 2.1.1 defines for it.
METHODS: dict[tuple[str, str, str], frozenset[int]] = {
    ("locations", SENDER, "GET"): frozenset({0, 1, 2, 3}),
    ("sessions", SENDER, "GET"): frozenset({0}),
    ("cdrs", SENDER, "GET"): frozenset({0}),
    ("tariffs", SENDER, "GET"): frozenset({0}),
    ("tokens", SENDER, "GET"): frozenset({0}),
    ("tokens", SENDER, "POST"): frozenset({2}),
    ("locations", RECEIVER, "GET"): frozenset({3, 4, 5}),
    ("locations", RECEIVER, "PUT"): frozenset({3, 4, 5}),
    ("locations", RECEIVER, "PATCH"): frozenset({3, 4, 5}),
    ("sessions", RECEIVER, "GET"): frozenset({3}),
    ("sessions", RECEIVER, "PUT"): frozenset({3}),
    ("sessions", RECEIVER, "PATCH"): frozenset({3}),
    ("tariffs", RECEIVER, "GET"): frozenset({3}),
    ("tariffs", RECEIVER, "PUT"): frozenset({3}),
    ("tariffs", RECEIVER, "PATCH"): frozenset({3}),  # refused with a reason: 2.2.1 tariffs take no PATCH
    ("tariffs", RECEIVER, "DELETE"): frozenset({3}),
    ("tokens", RECEIVER, "GET"): frozenset({3}),
    ("tokens", RECEIVER, "PUT"): frozenset({3}),
    ("tokens", RECEIVER, "PATCH"): frozenset({3}),
    ("cdrs", RECEIVER, "POST"): frozenset({0}),
    ("commands", RECEIVER, "POST"): frozenset({1}),
}
BROADCAST = frozenset({"locations", "tariffs", "tokens"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def tail_of(request: web.Request, module: str) -> tuple[str, ...]:
    """The decoded path segments after `/ocpi/2.1.1/{module}` (ids may hold an encoded `/`, TY-01)."""
    raw = request.rel_url.raw_path
    prefix = f"{BASE_PATH}/{VERSION}/{module}"
    segments = raw[len(prefix) :].split("/") if raw.startswith(prefix) else []
    return tuple(unquote(s) for s in segments if s != "")


def interface_of(partner: Partner, module: str, method: str, tail: tuple[str, ...]) -> str:
    role = INTERFACES.get((partner.role, module))
    if role is None or len(tail) not in METHODS.get((module, role, method), frozenset()):
        raise MethodNotAllowedError(f"{method} {module} is not an OCPI 2.1.1 {partner.role} interface")
    if role == RECEIVER and module not in ("cdrs", "commands"):
        named = PartyRef(country_code=tail[0], party_id=tail[1]) if _party_like(tail) else None
        if named is None or named.key() != partner.party.key():
            raise NotFoundError(f"{'/'.join(tail[:2])} is not the caller's party {partner.party}")
    return role


def _party_like(tail: tuple[str, ...]) -> bool:
    return len(tail) >= 2 and len(tail[0]) == 2 and len(tail[1]) == 3


async def handle(request: web.Request) -> web.Response:
    module = request.match_info["module"]
    rt = runtime(request)
    partner = await functional_partner(request)
    method = request.method
    tail = tail_of(request, module)
    role = interface_of(partner, module, method, tail)
    if module == "tariffs" and method == "PATCH":
        raise InvalidParametersError("OCPI 2.2.1 tariffs take no PATCH: PUT the whole tariff")
    request_id, correlation_id = request_ids(request)
    ctx = Lookups(rt, partner.platform, correlation_id=correlation_id, origin=request)
    notes: Notes = []
    body = await _body(request, ctx, partner, module, role, method, tail, notes)
    relay = RelayRequest(
        module=module,
        role=role,
        method=method,
        tail=tail,
        from_party=partner.party,
        to_party=_addressee(rt, module, role, method, tail, body),
        platform=partner.platform,
        correlation_id=correlation_id,
        request_id=request_id,
        query=await _query(ctx, module, role, method, tail, dict(request.query), body),
        body=body,
        origin=request,
    )
    if rt.router is None:
        raise ServerError("The hub does not route OCPI requests yet")
    try:
        answer = await rt.router.route(relay)
    except OcpiError as exc:
        raise error_211(exc) from exc
    data = await _answer(ctx, relay, answer, notes)
    if notes:
        log.warning("ocpi211_translation_lossy", platform_id=partner.platform.id, module=module, fields=notes)
    return reply(
        request,
        rt.config,
        module,
        data=data,
        status_code=answer.status_code,
        message=answer.status_message,
        http_status=answer.http_status,
        headers=_page_headers(request, rt, relay, answer),
    )


async def _body(
    request: web.Request,
    ctx: Lookups,
    partner: Partner,
    module: str,
    role: str,
    method: str,
    tail: tuple[str, ...],
    notes: Notes,
) -> Any:
    """The request body in 2.2.1 shapes; what 2.1.1 sent that 2.2.1 cannot carry is refused with 2001."""
    if method not in _BODY_METHODS or not request.can_read_body:
        return None
    raw = await request.read()
    data = ocpi_json.loads(raw) if raw.strip() else None
    try:
        kind = objects.body_kind(module, role, method, tail)
        if kind is None or data is None:
            if kind not in (None, "location_references"):
                raise Untranslatable("a body is required", path=kind or "body")
            return None
        return await objects.to_221(ctx, kind, data, partner.party, notes, partial=method == "PATCH")
    except Untranslatable as exc:
        log.info("ocpi211_request_refused", platform_id=partner.platform.id, module=module, error=str(exc))
        raise InvalidParametersError(f"Cannot be translated to OCPI 2.2.1: {exc}") from exc


def _addressee(
    rt: OcpiRuntime, module: str, role: str, method: str, tail: tuple[str, ...], body: Any
) -> PartyRef | None:
    """TO for the router: the hub for a list GET (GET All) and for a broadcast push, the token's eMSP for a
    Session or CDR (RT-12), nobody (open routing) otherwise."""
    if role == SENDER and method == "GET" and not tail:
        return rt.config.hub_party
    if role == RECEIVER and module in BROADCAST and method != "GET":
        return rt.config.hub_party
    token = body.get("cdr_token") if isinstance(body, dict) else None
    if module in ("sessions", "cdrs") and isinstance(token, dict):
        try:
            return PartyRef(country_code=str(token.get("country_code")), party_id=str(token.get("party_id")))
        except ValueError:
            return None
    return None


async def _query(
    ctx: Lookups,
    module: str,
    role: str,
    method: str,
    tail: tuple[str, ...],
    query: dict[str, str],
    body: Any,
) -> dict[str, str]:
    """2.2.1 names a token's type in the Receiver URL (`?type=`, RFID when absent); 2.1.1 only in the body."""
    if module != "tokens" or role != RECEIVER or method == "GET":
        return query
    kind = body.get("type") if isinstance(body, dict) else None
    if kind is None and method == "PATCH":
        owner = PartyRef(country_code=tail[0], party_id=tail[1])
        other = await ctx.rt.core.records.get(TOKENS, owner, token_key(tail[2], "OTHER"))
        rfid = await ctx.rt.core.records.get(TOKENS, owner, token_key(tail[2], "RFID"))
        kind = "OTHER" if other is not None and rfid is None else None
    if isinstance(kind, str) and kind.upper() != "RFID":
        query["type"] = kind
    return query


async def _answer(ctx: Lookups, relay: RelayRequest, answer: RelayAnswer, notes: Notes) -> Any:
    """The answer's `data` in 2.1.1 shapes; in a list, an object 2.1.1 cannot carry is left out (logged), a
    single one is refused with 3000."""
    module, role, method, tail = relay.module, relay.role, relay.method, relay.tail
    kind = objects.answer_kind(module, role, method, tail)
    if kind is None or not is_success(answer.status_code) or answer.data is None:
        return None
    owner = (
        PartyRef(country_code=tail[0], party_id=tail[1]) if role == RECEIVER and _party_like(tail) else None
    )

    async def convert(item: Any) -> Any:
        return await objects.to_211(ctx, kind, item, notes, owner=owner)

    if objects.is_list(module, role, method, tail):
        return await objects.list_to(
            convert, answer.data, module=module, direction="to 2.1.1", peer=ctx.platform.id
        )
    try:
        return await convert(answer.data)
    except Untranslatable as exc:
        log.info("ocpi211_answer_refused", platform_id=ctx.platform.id, module=module, error=str(exc))
        raise ServerError(f"Cannot be expressed in OCPI 2.1.1: {exc}") from exc


def _page_headers(
    request: web.Request, rt: OcpiRuntime, relay: RelayRequest, answer: RelayAnswer
) -> dict[str, str]:
    """A GET All page's own pagination (PG-02…PG-04, with our 2.1.1 URL in Link); other answers' headers as
    the router gave them."""
    headers = dict(answer.headers)
    if not objects.is_list(relay.module, relay.role, relay.method, relay.tail):
        return headers
    if answer.responder is not None and answer.responder.key() != rt.config.hub_party.key():
        return headers
    lowered = {k.lower(): v for k, v in headers.items()}
    returned = len(answer.data) if isinstance(answer.data, list) else 0
    offset = int(relay.query.get("offset") or 0) if str(relay.query.get("offset") or "0").isdigit() else 0
    cap = rt.config.page_limit
    limit = int(lowered.get(X_LIMIT.lower()) or cap)
    total = int(lowered.get(X_TOTAL_COUNT.lower()) or returned)
    return page_headers(
        request,
        public_url=rt.config.public_url,
        total=total,
        offset=offset,
        limit=limit,
        cap=cap,
        returned=returned,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    for module in FUNCTIONAL_MODULES:
        path = f"{BASE_PATH}/{VERSION}/{{module:{module}}}"
        router.add_route("*", path, handle)
        router.add_route("*", path + "/", handle)  # 2.1.1 examples publish URLs ending in `/`
        router.add_route("*", path + "/{tail:.+}", handle)
