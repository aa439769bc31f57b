"""OCPI 2.1.1 partners of the hub (issue 4, checklist §21): a partner that speaks only 2.1.1 registers (its
role from its invitation), and exchanges locations, sessions, CDRs, tariffs, tokens and commands with every
other party through the router, translated to and from the hub's canonical 2.2.1 shapes (`translate`). What
cannot be translated is refused, never forwarded untranslated.

What the composition root wires:
- `add_routes(router)`: `/ocpi/2.1.1` (details), its credentials, one URL per module, and the "via" URLs;
- `link(rt)`: the `PlatformLink` for 2.1.1 platforms (`rt.links[VERSION]`);
- `details_url(config)`: the entry for `GET /ocpi/versions`;
- `register(rt, platform, versions_url, token_a)`: the hub registering with a partner offering only 2.1.1.

An adapter package: imports aiohttp, pydantic, structlog, ocpi_modules.common and the core only — never
another OCPI version's package.
"""

from __future__ import annotations

from aiohttp import web

from ocpi_modules.common.routing import PlatformLink
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_1_1 import api, inbound, via
from ocpi_modules.v2_1_1.link import Link211
from ocpi_modules.v2_1_1.registration import register
from ocpi_modules.v2_1_1.urls import VERSION, details_url


def add_routes(router: web.UrlDispatcher) -> None:
    api.add_routes(router)
    inbound.add_routes(router)
    via.add_routes(router)


def link(rt: OcpiRuntime) -> PlatformLink:
    return Link211(rt)


__all__ = ["VERSION", "Link211", "add_routes", "details_url", "link", "register"]
