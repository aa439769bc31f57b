"""The hub role on the 2.2.1 wire: a middleware that sends every functional request (checklist §11) either to
the handler of the hosted party it names or to the router (`rt.router`: relay, open routing, broadcast, GET
All), and the handler of hub proxy URLs (`/ocpi/hub/{key}`, RT-11).

A request naming a hosted party in OCPI-to-* goes straight to its handler, as before the hub role existed;
everything else becomes a canonical `RelayRequest`. Answers carry FROM = the answering party and TO = the
requester, the requester's X-Request-ID and the same X-Correlation-ID.

An adapter module: imports aiohttp, ocpi_modules.common, ocpi_modules.v2_2_1 and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import structlog
from aiohttp import web

from hub.core.models import Platform
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import HubGenericError, UnauthorizedError
from ocpi_modules.common.headers import party_headers, request_ids, routing_headers
from ocpi_modules.common.pagination import page_headers
from ocpi_modules.common.routing import SENDER, RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.hub import proxy
from ocpi_modules.hub.relay import answer_headers
from ocpi_modules.v2_2_1.api.versions import BASE_PATH, VERSION
from ocpi_modules.v2_2_1.hub_link import INTERFACE_PATHS
from ocpi_modules.v2_2_1.security import REGISTERED, authenticate, calling_party

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PREFIX = f"{BASE_PATH}/{VERSION}/"
# interface path ("cpo/locations") → (module, role at the receiver). Our eMSP's commands SENDER URL only
# takes CommandResults for commands it sent itself: never routed.
ROUTED = {path: key for key, path in INTERFACE_PATHS.items() if key != ("commands", SENDER)}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def parse_interface(path: str) -> tuple[str, str, tuple[str, ...]] | None:
    """`/ocpi/2.2.1/cpo/locations/L1/E1` → ("locations", "SENDER", ("L1", "E1")); None outside the routed
    interfaces."""
    if not path.startswith(PREFIX):
        return None
    segments = path[len(PREFIX) :].split("/")
    key = ROUTED.get("/".join(segments[:2]))
    if key is None:
        return None
    tail = tuple(unquote(s) for s in segments[2:] if s != "")
    return key[0], key[1], tail


async def _caller(request: web.Request, rt: OcpiRuntime, module: str) -> tuple[Platform, Any]:
    caller = await authenticate(request)
    if caller.platform.status not in REGISTERED:
        raise UnauthorizedError("Platform is not registered")
    party = await calling_party(rt, caller.platform, caller.from_party, module)
    return caller.platform, party


@web.middleware
async def hub_routing_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    parsed = parse_interface(request.raw_path.split("?", 1)[0])
    if parsed is None:
        return await handler(request)
    rt = runtime(request)
    if rt.router is None:
        return await handler(request)
    module, role, tail = parsed
    to = routing_headers(request).to_party
    hosted = rt.config.hosted_party(to) if to is not None else None
    if hosted is not None and not rt.agreements.configured:
        return await handler(request)  # the common case: a partner talks to one of our parties
    platform, party = await _caller(request, rt, module)
    if hosted is not None:
        if not rt.agreements.allows(party, hosted.ref, module):
            raise HubGenericError(f"No roaming agreement between {party} and {hosted.ref} for {module}")
        return await handler(request)
    body: Any = None
    if request.method in _WRITES and request.can_read_body:
        raw = await request.read()
        body = ocpi_json.loads(raw) if raw.strip() else None
    request_id, correlation_id = request_ids(request)
    relay = RelayRequest(
        module=module,
        role=role,
        method=request.method,
        tail=tail,
        from_party=party,
        to_party=to,
        platform=platform,
        correlation_id=correlation_id,
        request_id=request_id,
        query={k: v for k, v in request.query.items()},
        body=body,
        origin=request,
    )
    answer = await rt.router.route(relay)
    return render(request, rt, relay, answer)


def render(request: web.Request, rt: OcpiRuntime, relay: RelayRequest, answer: RelayAnswer) -> web.Response:
    """The answer to the requester: FROM the responder TO the requester (RT table, relay response legs),
    the pagination headers, and for a GET All page our own next-page Link (PG-04)."""
    headers = party_headers(from_party=answer.responder or rt.config.hub_party, to_party=relay.from_party)
    passed = answer_headers(answer)
    if (
        relay.method == "GET"
        and not relay.tail
        and relay.role == SENDER
        and answer.responder == rt.config.hub_party
    ):
        data = answer.data if isinstance(answer.data, list) else []
        offset = int(relay.query.get("offset") or 0)
        limit = int(passed.get("X-Limit") or rt.config.page_limit)
        passed = page_headers(
            request,
            public_url=rt.config.public_url,
            total=int(passed.get("X-Total-Count") or len(data)),
            offset=offset,
            limit=limit,
            cap=rt.config.page_limit,
            returned=len(data),
        )
    headers.update(passed)
    return ocpi_response(
        request,
        answer.data,
        status_code=answer.status_code,
        message=answer.status_message,
        http_status=answer.http_status,
        headers=headers,
    )


async def follow_proxy(request: web.Request) -> web.Response:
    """A call to a hub proxy URL (RT-11): forwarded to the URL it stands for, for the platform it was handed
    to."""
    rt = runtime(request)
    caller = await authenticate(request)
    if caller.platform.status not in REGISTERED:
        raise UnauthorizedError("Platform is not registered")
    body: Any = None
    if request.method in ("POST", "PUT", "PATCH"):
        body = ocpi_json.loads(await request.read())  # RF-04: no body or not JSON → HTTP 400
    _, correlation_id = request_ids(request)
    answer = await proxy.follow(
        rt, request.match_info["key"], caller.platform, request.method, body, correlation_id
    )
    headers = party_headers(from_party=answer.responder, to_party=caller.from_party)
    headers.update(answer_headers(answer))
    return ocpi_response(
        request,
        answer.data,
        status_code=answer.status_code,
        message=answer.status_message,
        http_status=answer.http_status,
        headers=headers,
    )
