"""The operator API under `/admin/interconnect/`: list 互联互通 partners (never a secret or a token) and
pull a partner's stations now. JSON in and out, behind the `[admin]` bearer token (404 while it is empty,
401 when wrong), like the rest of `/admin/`.

An adapter module: imports aiohttp, structlog, interconnect and the core only.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import structlog
from aiohttp import web

from hub.core.errors import HubError
from interconnect.client import InterconnectCallError
from interconnect.pull import PAGE_SIZE, PageProgress, last_query_time, pull_stations
from interconnect.runtime import InterconnectError, InterconnectRuntime, PartnerConfig

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]
PREFIX = "/admin/interconnect"


class AdminRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def admin_error(status: int, message: str, **extra: Any) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": message, **extra}, status=status, headers=headers)


def partner_json(partner: PartnerConfig, token: dict[str, Any], last_pull: str) -> dict[str, Any]:
    """What an operator sees of a partner: names, ids and states — never a key, secret or token."""
    return {
        "name": partner.name,
        "operator_id": partner.operator_id,
        "our_operator_id": partner.our_operator_id,
        "kind": partner.kind,
        "party": str(partner.ocpi_party),
        "base_url": partner.base_url,
        "token": token,
        "last_query_time": last_pull or None,
    }


def setup_interconnect_admin(app: web.Application, runtime: InterconnectRuntime, admin_token: str) -> None:
    """Register `/admin/interconnect/…` (before the hub's `/admin/{tail}` catch-all). With an empty
    `admin_token` every such path answers 404 (disabled)."""
    if not admin_token:

        async def disabled(_request: web.Request) -> web.Response:
            return admin_error(404, "the operator API is disabled (set [admin] token)")

        app.router.add_route("*", PREFIX + "/{tail:.*}", disabled)
        return
    expected = admin_token.encode()

    def guarded(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.Response:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            # Constant-time comparison, taken for missing and empty values too.
            if not (hmac.compare_digest(given.strip().encode(), expected) and scheme.lower() == "bearer"):
                log.warning("admin_unauthorized", path=request.path, remote=request.remote)
                return admin_error(401, "unauthorized")
            try:
                return await handler(request)
            except AdminRequestError as exc:
                return admin_error(exc.status, str(exc))
            except InterconnectCallError as exc:  # the partner failed: a bad gateway, not our error
                return admin_error(502, str(exc), ret=exc.ret, retryable=exc.retryable)
            except InterconnectError as exc:  # e.g. the core is not started yet
                return admin_error(503, exc.msg)
            except HubError as exc:
                return admin_error(409, str(exc) or type(exc).__name__)

        return run

    def partner_named(request: web.Request) -> PartnerConfig:
        name = request.match_info["name"]
        partner = runtime.config.partner_named(name)
        if partner is None:
            raise AdminRequestError(404, f"no interconnect partner {name!r}")
        return partner

    def token_of(partner: PartnerConfig) -> dict[str, Any]:
        if runtime.client is None:
            return {"state": "none", "expires": None}
        return runtime.client.token_state(partner)

    async def list_partners(_request: web.Request) -> web.Response:
        partners = [
            partner_json(p, token_of(p), await last_query_time(runtime, p)) for p in runtime.config.partners
        ]
        return web.json_response({"partners": partners})

    async def pull(request: web.Request) -> web.Response:
        partner = partner_named(request)
        full = request.query.get("full", "").lower() in ("1", "true", "yes")
        try:
            page_size = int(request.query.get("page_size", PAGE_SIZE))
        except ValueError:
            raise AdminRequestError(400, "page_size is not a number") from None
        if not 1 <= page_size <= PAGE_SIZE:
            raise AdminRequestError(400, f"page_size must be 1..{PAGE_SIZE}")
        pages: list[PageProgress] = []
        report = await pull_stations(runtime, partner, full=full, page_size=page_size, progress=pages.append)
        body = report.as_json()
        body["page_progress"] = [asdict(p) for p in pages]
        return web.json_response(body)

    async def no_endpoint(request: web.Request) -> web.Response:
        return admin_error(404, f"no endpoint {request.method} {request.path}")

    app.router.add_route("GET", f"{PREFIX}/partners", guarded(list_partners))
    app.router.add_route("POST", PREFIX + "/partners/{name}/pull", guarded(pull))
    # Every other `/admin/interconnect/` request (unknown path, wrong method) is a JSON error too.
    app.router.add_route("*", PREFIX + "/{tail:.*}", guarded(no_endpoint))
