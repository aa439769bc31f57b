"""Wires OCPI onto the hub's aiohttp app: the envelope middleware, the shared runtime, the routes, the
operator endpoints and the outbound HTTP client; hands the composition root what it plugs into the core and
the scheduler (push deliverers, the real-time authorizer, the resync job).

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from hub.core.clock import Clock
from hub.core.models import OutboxMessage, Platform
from hub.core.services import Core
from ocpi_modules import v2_1_1
from ocpi_modules.common.client import OcpiClient
from ocpi_modules.common.middleware import ocpi_middleware
from ocpi_modules.common.runtime import OCPI_KEY, OcpiConfig, OcpiRuntime
from ocpi_modules.hub import HubRouter, broadcast, proxy
from ocpi_modules.hub.purge import purge
from ocpi_modules.v2_2_1 import hubclientinfo
from ocpi_modules.v2_2_1.admin import setup_ocpi_admin
from ocpi_modules.v2_2_1.api import setup_ocpi_routes
from ocpi_modules.v2_2_1.api.versions import OTHER_VERSIONS, VERSION
from ocpi_modules.v2_2_1.authorize import OcpiRemoteAuthorizer
from ocpi_modules.v2_2_1.emsp import resync
from ocpi_modules.v2_2_1.emsp_admin import setup_emsp_admin
from ocpi_modules.v2_2_1.hub_link import Link221, Local221
from ocpi_modules.v2_2_1.hub_routes import follow_proxy, hub_routing_middleware
from ocpi_modules.v2_2_1.push import OcpiPushService
from ocpi_modules.v2_2_1.registration import on_registered

Deliverer = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True)
class OcpiAdapter:
    """What the composition root plugs into the core (real-time authorization) and the scheduler (push
    deliverers, the resync job)."""

    runtime: OcpiRuntime

    @property
    def authorizer(self) -> OcpiRemoteAuthorizer:
        return OcpiRemoteAuthorizer(self.runtime)

    def deliverers(self) -> list[tuple[str, Deliverer]]:
        """Registered in order; the later prefix wins where both match ("ocpi.hub." over "ocpi.")."""
        return [
            *OcpiPushService(self.runtime).deliverers(),
            (broadcast.TOPIC, broadcast.deliverer(self.runtime)),
            *hubclientinfo.deliverers(self.runtime),  # "ocpi.clientinfo" over "ocpi."
        ]

    def set_kick(self, kick: Callable[[], None]) -> None:
        """Broadcasts are queued in the outbox; `kick` starts a drain at once."""
        self.runtime.router.kick = kick

    async def resync(self) -> None:
        await resync(self.runtime)

    async def still_alive(self) -> None:
        """Every minute (HC-08): probe silent platforms, publish HubClientInfo changes."""
        await hubclientinfo.still_alive(self.runtime)

    async def publish_client_info(self) -> None:
        """At start-up and after (un)registrations: push HubClientInfo changes (HC-05)."""
        await hubclientinfo.publish_changes(self.runtime)

    async def purge(self) -> None:
        """Daily: expired hub proxy URLs and remembered routes."""
        await purge(self.runtime)


def setup_ocpi(
    app: web.Application,
    config: OcpiConfig,
    *,
    clock: Clock,
    core_getter: Callable[[], Core | None],
    admin_token: str,
) -> OcpiAdapter:
    """Call from `create_app`, before the app starts. The HTTP client opens when the app starts and closes
    when it stops."""
    rt = OcpiRuntime(config=config, clock=clock, core_getter=core_getter)
    app[OCPI_KEY] = rt
    app.middlewares.append(ocpi_middleware)
    app.middlewares.append(hub_routing_middleware)  # inside ocpi_middleware: its errors become envelopes
    rt.links[VERSION] = Link221(rt)
    rt.links[v2_1_1.VERSION] = v2_1_1.link(rt)
    rt.extras[OTHER_VERSIONS] = [v2_1_1.VERSION]
    v2_1_1.add_routes(app.router)
    rt.router = HubRouter(rt, Local221())
    setup_ocpi_routes(app.router)
    proxy.add_routes(app.router, follow_proxy, config.base_path)
    setup_ocpi_admin(app, admin_token)
    setup_emsp_admin(app, admin_token)

    async def client(app: web.Application) -> AsyncIterator[None]:
        session = aiohttp.ClientSession()
        rt.http = OcpiClient(
            session, clock, timeout_s=config.request_timeout_s, allow_private=config.allow_private_urls
        )
        try:
            yield
        finally:
            await session.close()

    app.cleanup_ctx.append(client)

    async def welcome(rt: OcpiRuntime, platform: Platform) -> None:
        await OcpiPushService(rt).welcome(platform.id)

    on_registered(rt, welcome)

    async def publish_client_info(rt: OcpiRuntime, _platform: Platform) -> None:
        await hubclientinfo.publish_changes(rt)

    on_registered(rt, publish_client_info)
    return OcpiAdapter(runtime=rt)
