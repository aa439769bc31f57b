"""The hub restarts while a car charges: the first hub process stops (its websocket closes), a new one starts
on the same database, the station reconnects WITHOUT a new BootNotification and finishes its transaction.
One COMPLETED session, one CDR, nothing lost. Both OCPP versions, both storage backends (a SQLite file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest

from hub.core.clock import FixedClock
from hub.core.models import AuthMethod, BootStatus, CommandResultType, EvseStatus, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.scenarios.support import (
    T0,
    OutboxTap,
    assert_periods,
    cdrs_of,
    disconnect,
    evse_of,
    evse_transitions,
    own_token,
    session_by_transaction,
    sessions_of,
    std_cost,
)


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_hub_restart_keeps_everything(
    make_hub: Callable[..., Awaitable[RunningHub]], protocol: str
) -> None:
    clock = FixedClock(T0)
    first = await make_hub(clock=clock)
    first_tap = OutboxTap(first)
    cp = SimulatedStation(first.ws_url(), "CP001", protocol, password=CP001_PASSWORD, clock=clock.now)
    await cp.connect()
    try:
        await cp.boot()
        await cp.status(1, "Available")
        await cp.authorize(OWN_TOKEN)
        await cp.status(1, "Charging")
        started = clock.advance(minutes=1)
        tx = await cp.start(1, OWN_TOKEN, meter_start_wh=10_000)
        clock.advance(minutes=20)
        await cp.meter(1, tx, 14_000)
        before = await session_by_transaction(first, "CP001", tx)
        assert (before.status, before.kwh) == (SessionStatus.ACTIVE, Decimal(4))
        await first_tap.rows()

        await first.runner.cleanup()  # the hub process stops
        assert await cp.wait_closed() is not None
        await cp.close()

        rows = sorted(first_tap.delivered, key=lambda m: m.id or 0)  # with what it wrote while stopping

        clock.advance(minutes=1)
        second = await make_hub(clock=clock)  # same settings, same database
        assert second.settings.hub.database_url == first.settings.hub.database_url
        second_tap = OutboxTap(second)
        # the station's EVSE is UNKNOWN while the hub is down (its evse.status row may already have gone out
        # from the new hub's first drain, before this test could listen)
        assert (await evse_of(second, "CP001*1")).status is EvseStatus.UNKNOWN
        cp.url = second.ws_url("CP001")
        await cp.connect()  # reconnects, and carries on without booting again
        await cp.status(1, "Charging")
        assert (await evse_of(second, "CP001*1")).status is EvseStatus.CHARGING
        clock.advance(minutes=19)
        await cp.meter(1, tx, 18_000)
        ended = clock.advance(minutes=20)
        await cp.stop(tx, 22_345, id_tag=OWN_TOKEN)
        await cp.status(1, "Available")
        await disconnect(second, cp)
        rows += await second_tap.rows()
    finally:
        await cp.close()

    [session] = await sessions_of(second, "CP001")
    assert session.id == before.id
    assert session.status is SessionStatus.COMPLETED
    assert (session.start, session.end, session.transaction_id) == (started, ended, tx)
    kwh = Decimal("12.345")
    assert session.kwh == kwh
    assert_periods(session.charging_periods, [(started, {"ENERGY": kwh, "TIME": Decimal(1)})])
    [cdr] = await cdrs_of(second, session.id)
    _, excl, incl = std_cost(kwh)
    assert (cdr.cost.total_excl_vat, cdr.cost.total_incl_vat) == (excl, incl)
    async with second.db.unit_of_work() as uow:
        station = await uow.stations.get("CP001")
    assert station is not None
    # the only boot is the one before the restart (at T0); the station is known as accepted all along
    assert (station.boot_status, station.last_boot, station.connected) == (BootStatus.ACCEPTED, T0, False)

    session_rows = [m for m in rows if m.key == f"session:{session.id}"]
    assert [m.topic for m in session_rows] == ["session.updated"] * 4 + ["cdr.created"]
    assert [Decimal(str(m.payload["kwh"])) for m in session_rows[:-1]] == [0, 4, 8, kwh]
    assert session_rows[-2].payload["status"] == "COMPLETED"
    # partners hear every EVSE change: UNKNOWN while the hub was down, CHARGING again, AVAILABLE, and
    # UNKNOWN once the station left
    transitions = [t for t in evse_transitions(rows, "CP001*1") if t != ("CHARGING", "UNKNOWN")]
    assert transitions == [
        ("UNKNOWN", "AVAILABLE"),
        ("AVAILABLE", "CHARGING"),
        ("UNKNOWN", "CHARGING"),
        ("CHARGING", "AVAILABLE"),
        ("AVAILABLE", "UNKNOWN"),
    ]


async def test_a_remote_start_accepted_before_a_restart_becomes_one_session_after_it(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    """The operator starts a charge; the 1.6 station accepts, then the hub restarts before the car is
    plugged in. The StartTransaction that reaches the new hub takes over the PENDING session of the
    command instead of making a second one, and a new transaction gets a new id."""
    clock = FixedClock(T0)
    first = await make_hub(clock=clock)
    cp = SimulatedStation(first.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
    cp.after.pop("RemoteStartTransaction")  # accept, but start only when the car is plugged in (later)
    await cp.connect()
    try:
        await cp.boot()
        await cp.status(1, "Available")
        command = await first.core.commands.start_session(evse_uid="CP001*1", token=await own_token(first))
        assert (await first.core.commands.wait_result(command.id, timeout=5)).result is (
            CommandResultType.ACCEPTED
        )
        [pending] = await sessions_of(first, "CP001")
        assert pending.status is SessionStatus.PENDING

        await first.runner.cleanup()
        await cp.wait_closed()
        await cp.close()
        second = await make_hub(clock=clock)
        cp.url = second.ws_url("CP001")
        await cp.connect()

        started = clock.advance(minutes=2)
        await cp.status(1, "Preparing")
        tx = await cp.start(1, OWN_TOKEN, meter_start_wh=0)
        clock.advance(minutes=30)
        await cp.stop(tx, 7_400)
        await cp.status(1, "Available")
        next_tx = await cp.start(1, OWN_TOKEN)  # the next driver: a transaction id never handed out before
        await cp.stop(next_tx, 7_400)
    finally:
        await cp.close()

    assert next_tx != tx
    sessions = await sessions_of(second, "CP001")
    assert [s.transaction_id for s in sessions] == [tx, next_tx]
    session = sessions[0]
    assert session.id == pending.id  # the command's session, as the eMSP knows it
    assert (session.status, session.start, session.kwh) == (SessionStatus.COMPLETED, started, Decimal("7.4"))
    assert session.auth_method is AuthMethod.COMMAND
    assert len(await cdrs_of(second, session.id)) == 1
