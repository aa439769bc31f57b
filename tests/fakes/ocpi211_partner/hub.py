"""The real hub for the 2.1.1 tests, started like `make_hub` does (create_app, loopback port, public URL on
the real port), with the 2.1.1 routes and link wired in when the composition root does not wire them yet.

Test support: imports aiohttp, the hub's composition root and ocpi_modules.v2_1_1's public surface only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from hub.settings import Settings
from ocpi_modules import v2_1_1
from ocpi_modules.common.runtime import OCPI_KEY
from tests.conftest import RunningHub

WIRED_BY_ROOT = "ocpi211_wired_by_root"


def is_wired(app: web.Application) -> bool:
    """Whether the composition root registered the 2.1.1 routes itself."""
    return any(r.canonical == f"/ocpi/{v2_1_1.VERSION}" for r in app.router.resources())


def wire(app: web.Application) -> None:
    """What the composition root is asked to do (see the 2.1.1 hand-over): routes and `rt.links["2.1.1"]`."""
    if not is_wired(app):
        v2_1_1.add_routes(app.router)
    rt = app[OCPI_KEY]
    rt.links.setdefault(v2_1_1.VERSION, v2_1_1.link(rt))


async def start_hub(settings: Settings, *, clock: Any = None) -> RunningHub:
    from hub.app import create_app
    from hub.cli import server_ssl_context

    app = create_app(settings, clock=clock)
    wired_by_root = is_wired(app)
    wire(app)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(settings))
    await site.start()
    port = runner.addresses[0][1]
    hub = RunningHub(app=app, runner=runner, settings=settings, port=port)
    hub.extra[WIRED_BY_ROOT] = wired_by_root
    rt = app[OCPI_KEY]
    rt.config = dataclasses.replace(rt.config, public_url=hub.url)
    return hub


def wired_by_root(hub: RunningHub) -> bool:
    return bool(hub.extra.get(WIRED_BY_ROOT))


# --- a roaming set-up: our CPO with one EVSE, invitations for 2.1.1 and 2.2.1 partners ----------------------

EMSP_211_A = "invite-emsp-211"
CPO_211_A = "invite-cpo-211"
PARTNER_221_A = "invite-221-emsp"
CPO_221_A = "invite-221-cpo"
STATION = {
    "id": "CP001",
    "party": "NL*CPO",
    "location_id": "LOC001",
    "tariff_id": "STD",
    "connectors": [{"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}],
}


def roaming_settings(settings_factory: Any, *, password: str, page_limit: int = 100) -> Settings:
    """Settings of a hub with our CPO (LOC001, EVSE CP001*1) and eMSP, and four invitations: a 2.1.1 eMSP, a
    2.1.1 CPO (their roles named, as 2.1.1 requires) and two 2.2.1 partners."""
    return settings_factory(  # type: ignore[no-any-return]
        ocpi={
            "allow_private_urls": True,
            "callback_timeout": 2.0,
            "relay_timeout": 3.0,
            "page_limit": page_limit,
            "invitations": [
                {"name": "eMSP 2.1.1", "token": EMSP_211_A, "role": "EMSP"},
                {"name": "CPO 2.1.1", "token": CPO_211_A, "role": "CPO"},
                {"name": "eMSP 2.2.1", "token": PARTNER_221_A},
                {"name": "CPO 2.2.1", "token": CPO_221_A},
            ],
        },
        ocpp={"call_timeout": 0.5, "stations": [{**STATION, "password": password}]},
    )


async def register_211(hub: RunningHub, partner: Any, token_a: str) -> None:
    answer = await partner.register_with(
        f"{hub.url}/ocpi/versions", token_a, details_url=f"{hub.url}/ocpi/{v2_1_1.VERSION}"
    )
    assert answer.status_code == 1000, answer.body


async def drain(hub: RunningHub) -> None:
    """Let background tasks (welcomes) finish, then deliver everything the outbox holds (broadcasts)."""
    import asyncio

    from hub.app import SCHEDULER_KEY

    async with asyncio.timeout(10):
        await hub.core.tasks.join()
    drainer = hub.app[SCHEDULER_KEY].drainer
    while await drainer.drain_once():
        pass
