"""Wires 互联互通 onto the hub's aiohttp app: the runtime under INTERCONNECT_KEY, the inbound route with every
handler table merged, and the outbound client opened and closed with the app.

An adapter module: imports aiohttp, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from hub.core.clock import Clock
from hub.core.remote import NoRemoteCpos, RemoteCpos
from hub.core.services import Core
from interconnect import cpo_notify, handlers_charge, handlers_data, handlers_emsp, regulator, tokens
from interconnect.admin import setup_interconnect_admin
from interconnect.client import InterconnectClient
from interconnect.pull import register_pull_job
from interconnect.push import register_pushes
from interconnect.runtime import INTERCONNECT_KEY, Agreement, Handler, InterconnectConfig, InterconnectRuntime
from interconnect.server import setup_interconnect_routes

MIN_SECRET_KEY_BYTES = 16


def merge_handlers(tables: list[Mapping[str, Handler]]) -> dict[str, Handler]:
    """One table of every interface we serve; an interface claimed twice is a programming error."""
    merged: dict[str, Handler] = {}
    for table in tables:
        for interface, handler in table.items():
            if interface in merged:
                raise ValueError(f"interface {interface!r} has two handlers")
            merged[interface] = handler
    return merged


def all_handlers() -> dict[str, Handler]:
    """Every interface we serve: as data provider, as CPO, as EMSP, to regulators, and query_token."""
    return merge_handlers(
        [
            tokens.HANDLERS,
            handlers_data.HANDLERS,
            handlers_charge.HANDLERS,
            handlers_emsp.HANDLERS,
            regulator.HANDLERS,
        ]
    )


def setup_interconnect(
    app: web.Application,
    config: InterconnectConfig,
    *,
    clock: Clock,
    core_getter: Callable[[], Core | None],
    admin_token: str,
    remote: RemoteCpos | None = None,
) -> InterconnectRuntime:
    """Call from `create_app`, before the app starts. The outbound client opens when the app starts and
    closes when it stops; `admin_token` guards the adapter's operator endpoints under /admin/interconnect/.
    `remote` reaches CPOs on other platforms (OCPI partner CPOs): their stations are served to operator
    partners and started for them (none without it)."""
    if config.partners and len(config.secret_key) < MIN_SECRET_KEY_BYTES:
        raise ValueError("the interconnect access tokens need the hub's secret key (at least 16 bytes)")
    rt = InterconnectRuntime(
        config=config,
        clock=clock,
        core_getter=core_getter,
        handlers=all_handlers(),
        remote=remote or NoRemoteCpos(),
    )
    app[INTERCONNECT_KEY] = rt
    setup_interconnect_routes(app.router, config.base_path)
    setup_interconnect_admin(app, rt, admin_token)

    async def client(app: web.Application) -> AsyncIterator[None]:
        session = aiohttp.ClientSession()
        rt.client = InterconnectClient(rt, session)
        try:
            yield
        finally:
            rt.client = None
            await session.close()

    app.cleanup_ctx.append(client)
    return rt


def start_interconnect(
    rt: InterconnectRuntime,
    scheduler: Any,
    bus: Any,
    *,
    agreements: Iterable[Agreement] = (),
    pull_interval_s: float = 3600.0,
    power_interval_s: float | None = None,
) -> None:
    """Call once the core and the scheduler (HubScheduler) exist: the outbox deliverer of every push and
    the status pushes (ours and remote CPOs'), the scheduled station pull, the CPO notifications (orders on
    our stations and at remote CPOs) and the regulator pushes."""
    register_pushes(rt, scheduler, bus, agreements=agreements)
    register_pull_job(rt, scheduler, pull_interval_s)
    cpo_notify.register(rt, bus, scheduler)
    if power_interval_s is None:
        regulator.register(rt, bus, scheduler)
    else:
        regulator.register(rt, bus, scheduler, power_interval_s=power_interval_s)
