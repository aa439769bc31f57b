"""Thirty stations (half OCPP 1.6, half 2.0.1) connect, boot and charge at the same time: every session ends
COMPLETED with its own kWh and one CDR, and `/metrics` counts exactly the OCPP traffic that happened."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from decimal import Decimal

import aiohttp

from hub.core.events import StationDisconnected
from hub.core.models import SessionStatus
from hub.ocpp.simulator import SimulatedStation, SimulationStats, run_simulation
from tests.conftest import OWN_TOKEN, RunningHub
from tests.scenarios.support import cdrs_of, session_by_transaction

STATIONS = 30
SAMPLES = 3
_SAMPLE = re.compile(r'^ocpp_messages_total\{action="([^"]*)",direction="(in|out)",result="([^"]*)"\} (\d+)$')


async def metrics_text(hub: RunningHub) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/metrics") as response:
        assert response.status == 200
        return await response.text()


async def connected_gauge(hub: RunningHub) -> int:
    [value] = re.findall(r"^ocpp_connected_stations (\d+)$", await metrics_text(hub), re.MULTILINE)
    return int(value)


async def ocpp_messages(hub: RunningHub) -> Counter[tuple[str, str, str]]:
    """`ocpp_messages_total` samples from `/metrics`, by (action, direction, result)."""
    text = await metrics_text(hub)
    counts: Counter[tuple[str, str, str]] = Counter()
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            action, direction, result, value = match.groups()
            counts[(action, direction, result)] = int(value)
    return counts


def energy_of(index: int) -> int:
    return 5_000 + 37 * index  # Wh: a different amount per station


def expected_messages(protocol: str) -> Counter[str]:
    """The CALLs one station sends: boot, Available, then `charge` (Authorize, Preparing, start, meter values,
    stop, Available) and a heartbeat."""
    if protocol == "ocpp1.6":
        transaction = {"StartTransaction": 1, "MeterValues": SAMPLES, "StopTransaction": 1}
    else:
        transaction = {"TransactionEvent": 2 + SAMPLES}
    return Counter(
        {"BootNotification": 1, "StatusNotification": 3, "Authorize": 1, "Heartbeat": 1, **transaction}
    )


async def test_many_stations_charge_at_once(hub: RunningHub) -> None:
    before = await ocpp_messages(hub)
    assert await connected_gauge(hub) == 0
    left: set[str] = set()
    all_left = asyncio.Event()

    def on_disconnect(event: StationDisconnected) -> None:
        left.add(event.station_id)
        if len(left) == STATIONS:
            all_left.set()

    hub.core.bus.subscribe(StationDisconnected, on_disconnect)
    protocols = ["ocpp1.6" if i % 2 == 0 else "ocpp2.0.1" for i in range(STATIONS)]
    stations = [
        SimulatedStation(hub.ws_url(), f"MANY{i:03d}", protocol, connectors=1)
        for i, protocol in enumerate(protocols)
    ]

    booted: list[str] = []
    everyone_booted, gauge_read = asyncio.Event(), asyncio.Event()

    async def drive(index: int, station: SimulatedStation) -> str:
        await station.connect()
        try:
            assert (await station.boot())["status"] == "Accepted"
            booted.append(station.station_id)
            if len(booted) == STATIONS:
                everyone_booted.set()
            await gauge_read.wait()  # all 30 are online together before anyone charges
            await station.status(1, "Available")
            tx = await station.charge(OWN_TOKEN, 1, energy_of(index), SAMPLES)
            await station.heartbeat()
            return tx
        finally:
            await station.close()

    async def watch_gauge() -> int:
        await everyone_booted.wait()
        try:
            return await connected_gauge(hub)
        finally:
            gauge_read.set()

    async with asyncio.timeout(20):
        transactions, peak = await asyncio.gather(
            asyncio.gather(*(drive(i, s) for i, s in enumerate(stations))), watch_gauge()
        )
        await all_left.wait()
    after = await ocpp_messages(hub)
    assert peak == STATIONS
    assert await connected_gauge(hub) == 0

    for index, (station, tx) in enumerate(zip(stations, transactions, strict=True)):
        session = await session_by_transaction(hub, station.station_id, tx)
        assert session.status is SessionStatus.COMPLETED, station.station_id
        assert session.kwh == Decimal(energy_of(index)) / 1000, station.station_id
        cdrs = await cdrs_of(hub, session.id)
        assert [c.cost.total_energy_kwh for c in cdrs] == [session.kwh], station.station_id
    async with hub.db.unit_of_work() as uow:
        sessions = [s for s in await uow.sessions.list() if (s.station_id or "").startswith("MANY")]
        cdrs = [c for c in await uow.cdrs.list() if (c.station_id or "").startswith("MANY")]
    assert len(sessions) == len(cdrs) == STATIONS
    assert len({s.transaction_id for s in sessions}) == STATIONS

    # /metrics: every CALL a station sent was answered "ok" and counted once, nothing else came in
    delta = after - before
    incoming = Counter({action: n for (action, direction, result), n in delta.items() if direction == "in"})
    wanted: Counter[str] = Counter()
    for protocol in protocols:
        wanted += expected_messages(protocol)
    assert incoming == wanted
    assert all(result == "ok" for (_, direction, result) in delta if direction == "in")
    assert sum(wanted.values()) == sum(s.calls_sent for s in stations)
    outgoing = Counter({action: n for (action, direction, _), n in delta.items() if direction == "out"})
    sent_to_stations = Counter(action for s in stations for action, _ in s.received)
    assert outgoing == sent_to_stations


async def test_a_mixed_fleet_charges_through_run_simulation(hub: RunningHub) -> None:
    """The simulator's fleet runner (also behind `python -m hub simulate`): 15 + 15 stations at once."""

    async def fleet(protocol: str, prefix: str) -> SimulationStats:
        return await run_simulation(
            hub.ws_url(), 15, protocol, 1, station_prefix=prefix, energy_wh=7_400, progress=None
        )

    async with asyncio.timeout(20):
        stats = await asyncio.gather(fleet("ocpp1.6", "SIXTEEN"), fleet("ocpp2.0.1", "TWOONE"))
    for result in stats:
        assert result.failures == []
        assert (result.connected, result.booted, result.sessions) == (15, 15, 15)
        assert result.energy_wh == 15 * 7_400
    async with hub.db.unit_of_work() as uow:
        sessions = [s for s in await uow.sessions.list() if s.station_id and s.station_id != "CP001"]
        cdrs = list(await uow.cdrs.list())
    assert len(sessions) == 30
    assert {(s.status, s.kwh) for s in sessions} == {(SessionStatus.COMPLETED, Decimal("7.4"))}
    assert sorted(c.session_id for c in cdrs) == sorted(s.id for s in sessions)
