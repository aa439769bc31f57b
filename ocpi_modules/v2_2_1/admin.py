"""The operator API for OCPI registrations under `/admin/ocpi/`: invite a partner (Token A), register with a
partner's Token A, list platforms (never their tokens), rotate credentials, unregister. JSON in and out,
behind the same bearer token as the rest of `/admin/` (404 while it is empty, 401 when wrong).

An adapter module: imports aiohttp, structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from hub.core.errors import (
    ConflictError,
    HubError,
    InvalidRequestError,
    NotFoundError,
    RejectedError,
    UnavailableError,
)
from hub.core.models import Platform
from ocpi_modules.common.client import check_partner_url
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.runtime import OCPI_KEY, OcpiRuntime
from ocpi_modules.v2_2_1 import registration
from ocpi_modules.v2_2_1.api.versions import versions_url

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]
PREFIX = "/admin/ocpi"
NAME_MAX_LENGTH = 100

# Core errors → HTTP status; an OcpiError (the partner could not be used, or answered badly) → 502.
ERROR_STATUS: tuple[tuple[type[HubError], int], ...] = (
    (NotFoundError, 404),
    (InvalidRequestError, 400),
    (UnavailableError, 409),
    (ConflictError, 409),
    (RejectedError, 409),
)


class AdminRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def admin_error(status: int, message: str, **extra: Any) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": message, **extra}, status=status, headers=headers)


def platform_json(platform: Platform) -> dict[str, Any]:
    """What an operator sees of a platform: never a token."""
    return {
        "id": platform.id,
        "name": platform.name,
        "status": str(platform.status),
        "version": platform.version,
        "versions_url": platform.versions_url,
        "roles": [
            {"role": str(entry.role), "party": str(entry.party), "name": entry.name}
            for entry in platform.roles
        ],
        "endpoints": len(platform.endpoints),
        "invitation_pending": platform.invitation_token is not None,
        "registered_at": platform.registered_at.isoformat() if platform.registered_at else None,
        "last_updated": platform.last_updated.isoformat(),
    }


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise AdminRequestError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AdminRequestError(400, "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise AdminRequestError(400, f"field '{name}' is required")
        return None
    if not isinstance(value, str):
        raise AdminRequestError(400, f"field '{name}' must be str")
    return value.strip()


def _name(value: str) -> str:
    if len(value) > NAME_MAX_LENGTH:
        raise AdminRequestError(400, f"field 'name' must be at most {NAME_MAX_LENGTH} characters")
    return value


def _runtime(request: web.Request) -> OcpiRuntime:
    rt = request.app[OCPI_KEY]
    if rt.core_getter() is None:
        raise AdminRequestError(503, "the hub is starting")
    return rt


async def create_invitation(request: web.Request) -> web.Response:
    rt = _runtime(request)
    name = _name(_text(await _body(request), "name") or "")
    platform, token = await registration.invite(rt, name)
    return web.json_response(
        {"platform_id": platform.id, "token": token, "versions_url": versions_url(rt.config)}, status=201
    )


async def register(request: web.Request) -> web.Response:
    rt = _runtime(request)
    body = await _body(request)
    url = _text(body, "versions_url") or ""
    try:
        check_partner_url(url, allow_private=rt.config.allow_private_urls)
    except ValueError as exc:
        raise AdminRequestError(400, f"field 'versions_url': {exc}") from None
    token = _text(body, "token") or ""
    name = _name(_text(body, "name", required=False) or urlsplit(url).hostname or url)
    platform = await registration.register(rt, versions_url=url, token_a=token, name=name)
    return web.json_response(platform_json(platform), status=201)


async def list_platforms(request: web.Request) -> web.Response:
    platforms = await _runtime(request).core.platforms.list()
    return web.json_response({"platforms": [platform_json(p) for p in platforms]})


async def update_platform(request: web.Request) -> web.Response:
    platform = await registration.update(_runtime(request), request.match_info["platform_id"])
    return web.json_response(platform_json(platform))


async def unregister_platform(request: web.Request) -> web.Response:
    platform = await registration.unregister(_runtime(request), request.match_info["platform_id"])
    return web.json_response(platform_json(platform))


def bearer_guard(admin_token: str) -> Callable[[Handler], Handler]:
    """Wrap an operator handler: `Authorization: Bearer <admin token>` (compared in constant time) or 401;
    request, OCPI and core errors become JSON errors (`ERROR_STATUS`; a partner that failed → 502)."""
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
            except OcpiError as exc:
                log.warning("admin_ocpi_failed", path=request.path, status_code=exc.status_code)
                return admin_error(502, exc.message, status_code=exc.status_code)
            except HubError as exc:
                for kind, status in ERROR_STATUS:
                    if isinstance(exc, kind):
                        return admin_error(status, str(exc) or type(exc).__name__)
                raise

        return run

    return guarded


def setup_ocpi_admin(app: web.Application, admin_token: str) -> None:
    """Register `/admin/ocpi/…`. With an empty `admin_token` every such path answers 404 (disabled)."""
    if not admin_token:

        async def disabled(_request: web.Request) -> web.Response:
            return admin_error(404, "the operator API is disabled (set [admin] token)")

        app.router.add_route("*", PREFIX + "/{tail:.*}", disabled)
        return
    guarded = bearer_guard(admin_token)

    async def no_endpoint(request: web.Request) -> web.Response:
        raise AdminRequestError(404, f"no endpoint {request.method} {request.path}")

    platform = PREFIX + "/platforms/{platform_id}"
    routes: tuple[tuple[str, str, Handler], ...] = (
        ("POST", f"{PREFIX}/invitations", create_invitation),
        ("POST", f"{PREFIX}/register", register),
        ("GET", f"{PREFIX}/platforms", list_platforms),
        ("POST", f"{platform}/update", update_platform),
        ("DELETE", platform, unregister_platform),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))
    # Every other `/admin/ocpi/` request (unknown path, wrong method) is a JSON error too.
    app.router.add_route("*", PREFIX + "/{tail:.*}", guarded(no_endpoint))
