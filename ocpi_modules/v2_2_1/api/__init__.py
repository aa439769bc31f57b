"""OCPI 2.2.1 routes: versions and credentials, our CPO's interfaces (`cpo/…`), our eMSP's (`emsp/…`) and the
hub's HubClientInfo Sender.

An adapter package: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from aiohttp import web

from ocpi_modules.v2_2_1 import hubclientinfo
from ocpi_modules.v2_2_1.api import cpo, credentials, emsp, versions


def setup_ocpi_routes(router: web.UrlDispatcher) -> None:
    for module in (versions, credentials, cpo, emsp, hubclientinfo):
        module.add_routes(router)
