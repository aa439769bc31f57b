"""Shared helpers of the end-to-end scenarios: simulated stations on the running hub, what the hub stored
(sessions, CDRs, EVSEs) and every outbox row written while a scenario ran.

Test code: imports the hub, its simulator and the test fixtures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.app import SCHEDULER_KEY
from hub.core.events import StationDisconnected
from hub.core.models import Cdr, ChargingPeriod, Evse, OutboxMessage, PartyRef, Session, Token
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import OWN_TOKEN, RunningHub

CPO = PartyRef(country_code="NL", party_id="CPO")
MSP = PartyRef(country_code="NL", party_id="MSP")
LOCATION_KEY = "location:NL*CPO:LOC001"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning; every scenario's fixed hub time starts here

# Tariff STD (fixtures/tariffs/standard.json): 2.00 EUR flat + 0.25 EUR/kWh (step 1 Wh), both with 21 % VAT.
STD_FLAT = Decimal("2.00")
STD_PER_KWH = Decimal("0.25")
STD_VAT = Decimal("0.21")
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def std_cost(kwh: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(energy excl. VAT, total excl. VAT, total incl. VAT) of a session under STD: each line rounded to
    cents half-up, VAT added per line and rounded again."""
    energy = cents(STD_PER_KWH * kwh)
    excl = STD_FLAT + energy
    incl = cents(STD_FLAT * (1 + STD_VAT)) + cents(energy * (1 + STD_VAT))
    return energy, excl, incl


@asynccontextmanager
async def station_on(
    hub: RunningHub, station_id: str, protocol: str = "ocpp1.6", **options: Any
) -> AsyncIterator[SimulatedStation]:
    """A connected simulated station, closed when the block ends."""
    station = SimulatedStation(hub.ws_url(), station_id, protocol, **options)
    await station.connect()
    try:
        yield station
    finally:
        await station.close()


async def disconnect(hub: RunningHub, station: SimulatedStation) -> None:
    """Close the station's websocket and wait until the hub has processed the disconnection."""
    gone = asyncio.Event()
    hub.core.bus.subscribe(StationDisconnected, lambda _event: gone.set())
    await station.close()
    async with asyncio.timeout(5):
        await gone.wait()


async def own_token(hub: RunningHub, uid: str = OWN_TOKEN) -> Token:
    async with hub.db.unit_of_work() as uow:
        token = await uow.tokens.get(uid)
    assert token is not None, uid
    return token


async def sessions_of(hub: RunningHub, station_id: str) -> list[Session]:
    async with hub.db.unit_of_work() as uow:
        sessions = await uow.sessions.list()
    return sorted((s for s in sessions if s.station_id == station_id), key=lambda s: s.start)


async def session_by_transaction(hub: RunningHub, station_id: str, transaction_id: str) -> Session:
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction(station_id, transaction_id)
    assert session is not None, f"no session for {station_id} transaction {transaction_id}"
    return session


async def cdrs_of(hub: RunningHub, session_id: str) -> list[Cdr]:
    async with hub.db.unit_of_work() as uow:
        return list(await uow.cdrs.find_by_session(session_id))


async def evse_of(hub: RunningHub, evse_uid: str) -> Evse:
    async with hub.db.unit_of_work() as uow:
        location = await uow.locations.find_by_evse(evse_uid)
    evse = location.evse(evse_uid) if location is not None else None
    assert evse is not None, evse_uid
    return evse


@dataclass
class OutboxTap:
    """Every outbox row the hub writes from now on, each exactly once.

    The hub's drainer runs every second and closes rows nobody receives, so a later `claim_due` would miss
    them. The tap registers itself as the receiver of every topic; `rows()` lets a pass finish, claims and
    records what is still undelivered (`claim_due`, oldest of each key first), and returns all rows in the
    order they were written. Rows already closed before the tap was registered (a new hub's first drain
    runs at start) are not seen."""

    hub: RunningHub
    delivered: list[OutboxMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hub.app[SCHEDULER_KEY].drainer.register("", self._receive)

    async def _receive(self, message: OutboxMessage) -> None:
        self.delivered.append(message)

    async def rows(self, *, key: str | None = None, topic: str | None = None) -> list[OutboxMessage]:
        drainer = self.hub.app[SCHEDULER_KEY].drainer
        while await drainer.drain_once():  # waits for a pass in flight; hands the rest to `_receive`
            pass
        clock = self.hub.core.clock
        while True:  # nothing may be left behind: claim the undelivered rows ourselves
            async with self.hub.db.unit_of_work() as uow:
                claimed = list(await uow.outbox.claim_due(clock.now(), 100))
                for message in claimed:
                    assert message.id is not None
                    await uow.outbox.mark_delivered(message.id, clock.now())
                await uow.commit()
            if not claimed:
                break
            self.delivered.extend(claimed)
        ids = [m.id for m in self.delivered]
        assert len(ids) == len(set(ids)), "an outbox row was delivered twice"
        rows = sorted(self.delivered, key=lambda m: m.id or 0)
        return [m for m in rows if (key is None or m.key == key) and (topic is None or m.topic == topic)]


def evse_transitions(rows: list[OutboxMessage], evse_uid: str) -> list[tuple[str, str]]:
    """(old, new) of the `evse.status` rows of one EVSE, in order."""
    return [
        (m.payload["old"], m.payload["new"])
        for m in rows
        if m.topic == "evse.status" and m.payload["evse_uid"] == evse_uid
    ]


HOURS_TOLERANCE = Decimal("1e-9")  # 3.6 µs: the hub keeps hours to 1e-10 per reading, which adds up


def period_summary(periods: tuple[ChargingPeriod, ...]) -> list[tuple[datetime, dict[str, Decimal]]]:
    """(start, {dimension: volume}) per charging period, for comparisons."""
    return [(p.start_date_time, {str(d.type): d.volume for d in p.dimensions}) for p in periods]


def assert_periods(
    periods: tuple[ChargingPeriod, ...], expected: list[tuple[datetime, dict[str, Decimal]]]
) -> None:
    """Same starts and dimensions; energy exact, times within HOURS_TOLERANCE."""
    actual = period_summary(periods)
    assert [(start, sorted(dims)) for start, dims in actual] == [
        (start, sorted(dims)) for start, dims in expected
    ], actual
    for (_, got), (_, want) in zip(actual, expected, strict=True):
        for name, volume in want.items():
            if name == "ENERGY":
                assert got[name] == volume, actual
            else:
                assert abs(got[name] - volume) <= HOURS_TOLERANCE, actual


def configured_stations(
    *extra_ids: str, password: str | None = None, tariff_id: str = "STD"
) -> dict[str, Any]:
    """`make_hub` overrides that configure more stations like CP001 (location LOC001, tariff STD unless
    told otherwise) and the extra tariff HOUR (4.00 EUR per hour, billed per 15 minutes)."""
    from tests.conftest import base_config

    base = base_config("sqlite://")
    stations = list(base["ocpp"]["stations"])
    for station_id in extra_ids:
        stations.append(
            {"id": station_id, "party": "NL*CPO", "location_id": "LOC001", "tariff_id": tariff_id}
            | ({"password": password} if password is not None else {})
        )
    hour = {"id": "HOUR", "party": "NL*CPO", "file": "tests/scenarios/per_hour_tariff.json"}
    return {"ocpp": {"stations": stations}, "tariffs": [*base["tariffs"], hour]}
