"""`/ocpi/2.1.1/via/{module}/{path}`: a hub URL that only speaks 2.2.1 (a hub proxy, RT-11; a hosted party's
2.2.1 URL), as a 2.1.1 partner gets it from us: a command's `response_url`, a next-page `Link`, a CDR's
`Location`. The call is made in process on `/ocpi/{path}` with the caller's own token, so the target applies
its own checks (a proxy URL works only for the platform it was handed to); a 2.1.1 CommandResponse POSTed here
becomes a 2.2.1 CommandResult on the way in, the answer's data becomes 2.1.1 on the way out.

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.errors import (
    InvalidParametersError,
    MethodNotAllowedError,
    NotFoundError,
    ServerError,
)
from ocpi_modules.common.headers import (
    AUTHORIZATION,
    CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    outbound_headers,
    request_ids,
)
from ocpi_modules.common.inprocess import call_handler
from ocpi_modules.common.routing import Untranslatable
from ocpi_modules.common.runtime import runtime
from ocpi_modules.common.status import StatusCode, is_success
from ocpi_modules.v2_1_1 import objects
from ocpi_modules.v2_1_1.lookups import Lookups
from ocpi_modules.v2_1_1.replies import reply
from ocpi_modules.v2_1_1.security import functional_partner
from ocpi_modules.v2_1_1.translate import Notes, command_result_to_221
from ocpi_modules.v2_1_1.urls import BASE_PATH, FUNCTIONAL_MODULES, VERSION, VIA, VIA_TARGETS

log = structlog.get_logger(__name__)

# What a via URL answers, per module: lists of these objects (next pages) or one of them (a CDR's Location).
_KINDS = {
    "locations": "location",
    "sessions": "session",
    "cdrs": "cdr",
    "tariffs": "tariff",
    "tokens": "token",
}


def target_of(request: web.Request, module: str) -> str:
    """`/ocpi/{path}?{query}` of a via URL; 404 for anything a via URL may not stand for."""
    prefix = f"{BASE_PATH}/{VERSION}/{VIA}/{module}/"
    raw = request.rel_url.raw_path
    rest = raw[len(prefix) :] if raw.startswith(prefix) else ""
    segments = rest.split("/")
    if not rest.startswith(VIA_TARGETS) or any(s in ("", ".", "..") for s in segments):
        raise NotFoundError("Unknown hub URL")
    query = request.rel_url.raw_query_string
    return f"{BASE_PATH}/{rest}" + (f"?{query}" if query else "")


async def follow_via(request: web.Request) -> web.Response:
    module = request.match_info["module"]
    rt = runtime(request)
    partner = await functional_partner(request)
    method = request.method
    if method not in ("GET", "POST") or (method == "POST" and module != "commands"):
        raise MethodNotAllowedError(f"{method} is not answered on this URL")
    target = target_of(request, module)
    _, correlation_id = request_ids(request)
    notes: Notes = []
    body = b""
    headers = outbound_headers(correlation_id=correlation_id)
    headers[AUTHORIZATION] = request.headers.get(AUTHORIZATION, "")
    if method == "POST":
        raw = await request.read()
        try:
            result = command_result_to_221(ocpi_json.loads(raw) if raw.strip() else None, notes=notes)
        except Untranslatable as exc:
            raise InvalidParametersError(f"Cannot be translated to OCPI 2.2.1: {exc}") from exc
        body = ocpi_json.dumps(result)
        headers[CONTENT_TYPE] = JSON_CONTENT_TYPE
    response = await call_handler(request, method, target, headers, body)
    raw_answer = getattr(response, "body", b"") or b""
    envelope = ocpi_json.loads(bytes(raw_answer)) if raw_answer else {}
    if not isinstance(envelope, dict):
        envelope = {}
    code = envelope.get("status_code")
    status_code = code if isinstance(code, int) else StatusCode.SERVER_ERROR
    data = None
    if method == "GET" and is_success(status_code) and envelope.get("data") is not None:
        data = await _data_211(
            Lookups(rt, partner.platform, correlation_id=correlation_id), module, envelope["data"], notes
        )
    if notes:
        log.warning("ocpi211_translation_lossy", platform_id=partner.platform.id, module=module, fields=notes)
    return reply(
        request,
        rt.config,
        module,
        data=data,
        status_code=status_code,
        message=envelope.get("status_message"),
        http_status=response.status,
        headers=dict(response.headers),
    )


async def _data_211(ctx: Lookups, module: str, data: Any, notes: Notes) -> Any:
    kind = _KINDS.get(module)
    if kind is None:
        return None

    async def convert(item: Any) -> Any:
        return await objects.to_211(ctx, kind, item, notes)

    if isinstance(data, list):
        return await objects.list_to(convert, data, module=module, direction="to 2.1.1", peer=ctx.platform.id)
    try:
        return await convert(data)
    except Untranslatable as exc:
        raise ServerError(f"Cannot be expressed in OCPI 2.1.1: {exc}") from exc


def add_routes(router: web.UrlDispatcher) -> None:
    for module in FUNCTIONAL_MODULES:
        router.add_route("*", f"{BASE_PATH}/{VERSION}/{VIA}/{{module:{module}}}/{{path:.+}}", follow_via)
