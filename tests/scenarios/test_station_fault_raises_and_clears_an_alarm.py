"""A station reports a fault: the hub opens an alarm and shows the EVSE OUTOFORDER; when the station reports
the connector Available again the alarm ends and the EVSE is AVAILABLE. Partners get an `evse.status` row
for each change only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.core.clock import FixedClock
from hub.core.models import EvseStatus
from tests.conftest import CP001_PASSWORD, RunningHub
from tests.scenarios.support import T0, OutboxTap, evse_of, evse_transitions, station_on


async def test_station_fault_raises_and_clears_an_alarm(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)
    async with station_on(hub, "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now) as cp:
        await cp.boot()
        await cp.status(1, "Available")
        await cp.status(2, "Available")

        faulted_at = clock.advance(minutes=10)
        assert await cp.status(1, "Faulted", error_code="GroundFailure") == {}
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.OUTOFORDER
        assert (await evse_of(hub, "CP001*2")).status is EvseStatus.AVAILABLE  # the other EVSE is fine
        [alarm] = await hub.core.alarms.open("CP001")
        assert (alarm.code, alarm.evse_uid, alarm.started, alarm.ended) == (
            "GroundFailure",
            "CP001*1",
            faulted_at,
            None,
        )
        clock.advance(minutes=5)
        await cp.status(1, "Faulted", error_code="GroundFailure")  # reported again: still one alarm
        assert [a.id for a in await hub.core.alarms.open("CP001")] == [alarm.id]

        cleared_at = clock.advance(minutes=25)
        assert await cp.status(1, "Available", error_code="NoError") == {}
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.AVAILABLE
        assert list(await hub.core.alarms.open("CP001")) == []
        [ended] = await hub.core.alarms.list("CP001")
        assert (ended.id, ended.code, ended.started, ended.ended) == (
            alarm.id,
            "GroundFailure",
            faulted_at,
            cleared_at,
        )
        rows = await tap.rows()

    assert evse_transitions(rows, "CP001*1") == [
        ("UNKNOWN", "AVAILABLE"),
        ("AVAILABLE", "OUTOFORDER"),
        ("OUTOFORDER", "AVAILABLE"),
    ]
    assert evse_transitions(rows, "CP001*2") == [("UNKNOWN", "AVAILABLE")]


async def test_a_station_wide_fault_takes_every_evse_out_of_order_until_it_clears(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)
    async with station_on(hub, "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now) as cp:
        await cp.boot()
        await cp.status(1, "Available")
        await cp.status(2, "Charging")

        faulted_at = clock.advance(minutes=10)
        await cp.status(0, "Faulted", error_code="PowerMeterFailure")  # connector 0: the whole station
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.OUTOFORDER
        assert (await evse_of(hub, "CP001*2")).status is EvseStatus.OUTOFORDER
        [alarm] = await hub.core.alarms.open("CP001")
        assert (alarm.code, alarm.evse_uid, alarm.started) == ("PowerMeterFailure", None, faulted_at)

        clock.advance(minutes=10)
        await cp.status(0, "Available")
        assert list(await hub.core.alarms.open("CP001")) == []
        # the EVSEs return to what their connectors last reported
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.AVAILABLE
        assert (await evse_of(hub, "CP001*2")).status is EvseStatus.CHARGING
        rows = await tap.rows()

    assert evse_transitions(rows, "CP001*1")[1:] == [("AVAILABLE", "OUTOFORDER"), ("OUTOFORDER", "AVAILABLE")]
    assert evse_transitions(rows, "CP001*2")[1:] == [("CHARGING", "OUTOFORDER"), ("OUTOFORDER", "CHARGING")]


async def test_an_ocpp201_station_fault_raises_and_clears_an_alarm(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)
    async with station_on(hub, "CP001", "ocpp2.0.1", password=CP001_PASSWORD, clock=clock.now) as cs:
        await cs.boot()
        await cs.status(1, "Available")
        faulted_at = clock.advance(minutes=10)
        await cs.status(1, "Faulted")  # 2.0.1 has no errorCode: the alarm is named after the state
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.OUTOFORDER
        [alarm] = await hub.core.alarms.open("CP001")
        assert (alarm.code, alarm.evse_uid, alarm.started) == ("Faulted", "CP001*1", faulted_at)
        cleared_at = clock.advance(minutes=10)
        await cs.status(1, "Available")
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.AVAILABLE
        assert [(a.id, a.ended) for a in await hub.core.alarms.list("CP001")] == [(alarm.id, cleared_at)]
        rows = await tap.rows()

    assert evse_transitions(rows, "CP001*1") == [
        ("UNKNOWN", "AVAILABLE"),
        ("AVAILABLE", "OUTOFORDER"),
        ("OUTOFORDER", "AVAILABLE"),
    ]
