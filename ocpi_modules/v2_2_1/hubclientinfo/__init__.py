"""HubClientInfo (checklist §12): the ConnectionStatus of every party the hub knows, served paginated to
partner platforms (`GET /ocpi/2.2.1/hubclientinfo`, the hub is Sender, HC-03) and pushed to their Receivers
on every change (`publish`, HC-05), plus the still-alive job that marks silent platforms OFFLINE or CONNECTED
(HC-08). The statuses themselves are pure functions (`status`).

For the composition root: `add_routes`, `publish_changes`, `still_alive`, `deliverers`.
An adapter package: imports aiohttp, structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from hub.core.models import PlatformStatus
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import UnauthorizedError
from ocpi_modules.common.pagination import page_headers, parse_page
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.v2_2_1 import stillalive
from ocpi_modules.v2_2_1.hubclientinfo.publish import (
    AUDIENCE,
    MODULE,
    PUBLISHED,
    TOPIC,
    ClientInfoPushError,
    Publication,
    current_state,
    deliverers,
    ordered,
    publish_changes,
    push_client_info,
)
from ocpi_modules.v2_2_1.hubclientinfo.status import (
    ClientInfo,
    ConnectionStatus,
    Known,
    agreement_parties,
    derive,
    visible_to,
)
from ocpi_modules.v2_2_1.registration import credentials_lock
from ocpi_modules.v2_2_1.security import REGISTERED, authenticate

__all__ = [
    "AUDIENCE",
    "MODULE",
    "PATH",
    "PUBLISHED",
    "TOPIC",
    "ClientInfo",
    "ClientInfoPushError",
    "ConnectionStatus",
    "Known",
    "Publication",
    "add_routes",
    "agreement_parties",
    "deliverers",
    "derive",
    "publish_changes",
    "push_client_info",
    "still_alive",
    "visible_to",
]

log = structlog.get_logger(__name__)

# Advertised by api/versions.py (VE-06); spelled out here because the api package imports this one.
PATH = "/ocpi/2.2.1/hubclientinfo"


# --- the Sender interface ----------------------------------------------------------------------------------


async def get_client_infos(request: web.Request) -> web.Response:
    """HC-03: the caller's page of ClientInfo objects, `date_from`/`date_to`/`offset`/`limit` as every list
    (§6). A configuration module: no routing headers are required or used (RT-02, HC-06)."""
    rt = runtime(request)
    caller = await authenticate(request)
    if caller.via_invitation or caller.platform.status not in REGISTERED:
        raise UnauthorizedError("Platform is not registered")
    page = parse_page(request, cap=rt.config.page_limit)
    state = await current_state(rt, rt.clock.now())
    visible = [
        info
        for info in ordered(state.infos.values())
        if visible_to(info, caller.platform, state.agreements)
        and (page.date_from is None or info.last_updated >= page.date_from)
        and (page.date_to is None or info.last_updated < page.date_to)
    ]
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
    return ocpi_response(request, [info.to_wire() for info in chosen], headers=headers)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PATH, get_client_infos)


# --- still alive -------------------------------------------------------------------------------------------


async def still_alive(rt: OcpiRuntime) -> None:
    """The minute job (HC-08): probe every platform due (stillalive.due), mark it CONNECTED or OFFLINE by the
    answer, then publish what changed. Logs and survives its own errors (a scheduler job)."""
    try:
        now = rt.clock.now()
        due = [p for p in await rt.core.platforms.list() if stillalive.due(rt, p, now)]
        answers = await asyncio.gather(*(stillalive.probe(rt, p) for p in due))
        for platform, alive in zip(due, answers, strict=True):
            wanted = PlatformStatus.CONNECTED if alive else PlatformStatus.OFFLINE
            await _set_status(rt, platform.id, wanted)
        await publish_changes(rt)
    except Exception:
        log.exception("ocpi_still_alive_failed")


async def _set_status(rt: OcpiRuntime, platform_id: str, wanted: PlatformStatus) -> None:
    """Store `wanted` on a platform the still-alive job watches, re-read under its handshake lock so that a
    concurrent credentials change is not overwritten."""
    async with credentials_lock(rt, platform_id):
        current = await rt.core.platforms.get(platform_id)
        if current is None or current.status not in stillalive.WATCHED or current.status is wanted:
            return
        await rt.core.platforms.put(
            current.model_copy(update={"status": wanted, "last_updated": rt.clock.now()})
        )
    log.info(
        "ocpi_platform_status_changed",
        platform_id=platform_id,
        old=str(current.status),
        new=str(wanted),
        reason="still_alive",
    )
