"""A driver charges with an RFID card at a configured OCPP 1.6 station (CP001, Basic auth): what the station
sees on the wire, the session and CDR the hub stored, and the outbox rows written for the partners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.models import AuthMethod, EvseStatus, SessionStatus
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.scenarios.support import (
    CPO,
    LOCATION_KEY,
    MSP,
    STD_FLAT,
    T0,
    OutboxTap,
    assert_periods,
    cdrs_of,
    configured_stations,
    evse_of,
    evse_transitions,
    session_by_transaction,
    station_on,
    std_cost,
)

KWH = Decimal("12.345")


async def test_driver_charges_with_rfid_at_an_ocpp16_station(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)
    async with station_on(hub, "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now) as cp:
        boot = await cp.boot()
        assert (boot["status"], boot["interval"]) == ("Accepted", 300)
        assert await cp.status(1, "Available") == {}
        assert await cp.status(1, "Available") == {}  # a repeat changes nothing
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.AVAILABLE

        clock.advance(minutes=5)
        authorized = await cp.authorize(OWN_TOKEN)
        assert authorized["idTagInfo"]["status"] == "Accepted"
        await cp.status(1, "Preparing")
        started = clock.now()
        tx = await cp.start(1, OWN_TOKEN, meter_start_wh=1_000)
        start_answer = cp.transactions[tx].start_response
        assert start_answer["idTagInfo"]["status"] == "Accepted"
        assert isinstance(start_answer["transactionId"], int)
        assert 1 <= start_answer["transactionId"] <= 2**31 - 1
        await cp.status(1, "Charging")
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.CHARGING

        for register_wh in (5_000, 9_000, 13_345):  # Wh, as strings on the wire
            clock.advance(minutes=20)
            assert await cp.meter(1, tx, register_wh) == {}
        running = await session_by_transaction(hub, "CP001", tx)
        assert (running.status, running.kwh) == (SessionStatus.ACTIVE, KWH)

        clock.advance(minutes=15)  # the car is full and stays plugged in a quarter of an hour
        await cp.status(1, "SuspendedEV")
        ended = clock.now()
        stop_answer = await cp.stop(tx, 13_345, reason="EVDisconnected", id_tag=OWN_TOKEN)
        assert stop_answer.get("idTagInfo", {"status": "Accepted"})["status"] == "Accepted"
        await cp.status(1, "Finishing")
        await cp.status(1, "Available")
        assert (await evse_of(hub, "CP001*1")).status is EvseStatus.AVAILABLE
        rows = await tap.rows()

    session = await session_by_transaction(hub, "CP001", tx)
    assert session.status is SessionStatus.COMPLETED
    assert (session.start, session.end) == (started, ended)
    assert session.kwh == KWH
    assert (session.meter_start_wh, session.meter_last_wh) == (Decimal(1_000), Decimal(13_345))
    assert (session.token_uid, session.token_party, session.contract_id) == (
        OWN_TOKEN,
        MSP,
        "NL-MSP-C12345678-X",
    )
    assert session.auth_method is AuthMethod.WHITELIST
    assert (session.party, session.location_id, session.evse_uid, session.connector_id) == (
        CPO,
        "LOC001",
        "CP001*1",
        "1",
    )
    assert (session.tariff_id, session.currency, session.stop_reason) == ("STD", "EUR", "EVDisconnected")
    assert not session.offline
    assert not session.reconstructed
    # an hour charging 12.345 kWh, then a quarter of an hour parked (no energy)
    assert_periods(
        session.charging_periods,
        [
            (started, {"ENERGY": KWH, "TIME": Decimal(1)}),
            (started + timedelta(hours=1), {"PARKING_TIME": Decimal("0.25")}),
        ],
    )
    assert {p.tariff_id for p in session.charging_periods} == {"STD"}

    energy, excl, incl = std_cost(KWH)
    assert (energy, excl, incl) == (Decimal("3.09"), Decimal("5.09"), Decimal("6.16"))
    assert session.total_cost == excl
    cdrs = await cdrs_of(hub, session.id)
    assert len(cdrs) == 1
    cdr = cdrs[0]
    assert (cdr.start, cdr.end, cdr.station_id, cdr.evse_uid, cdr.location_id) == (
        started,
        ended,
        "CP001",
        "CP001*1",
        "LOC001",
    )
    assert (cdr.token_uid, cdr.contract_id, cdr.tariff_id) == (OWN_TOKEN, "NL-MSP-C12345678-X", "STD")
    assert cdr.charging_periods == session.charging_periods
    cost = cdr.cost
    assert cost.currency == "EUR"
    assert (cost.fixed_excl_vat, cost.energy_excl_vat) == (STD_FLAT, energy)
    assert (cost.total_excl_vat, cost.total_incl_vat) == (excl, incl)
    assert cost.total_energy_kwh == KWH
    assert cost.total_time_hours == Decimal("1.25")
    assert cost.total_parking_time_hours == Decimal("0.25")

    # Outbox: one session.updated per change (start, three meter values, stop), then the CDR, on one key.
    session_rows = [m for m in rows if m.key == f"session:{session.id}"]
    assert [m.topic for m in session_rows] == ["session.updated"] * 5 + ["cdr.created"]
    statuses: list[Any] = [m.payload["status"] for m in session_rows[:-1]]
    assert statuses == ["ACTIVE"] * 4 + ["COMPLETED"]
    assert [Decimal(str(m.payload["kwh"])) for m in session_rows[:-1]] == [
        Decimal(0),
        Decimal(4),
        Decimal(8),
        KWH,
        KWH,
    ]
    assert session_rows[-1].payload["id"] == cdr.id
    assert Decimal(str(session_rows[-1].payload["cost"]["total_incl_vat"])) == incl
    # EVSE status: a row per change only (a repeated Available and the 1.6 sub-states of CHARGING write none)
    assert evse_transitions(rows, "CP001*1") == [
        ("UNKNOWN", "AVAILABLE"),
        ("AVAILABLE", "CHARGING"),
        ("CHARGING", "AVAILABLE"),
    ]
    assert all(m.key == LOCATION_KEY for m in rows if m.topic == "evse.status")


async def test_driver_charges_two_hours_at_a_station_priced_per_quarter_hour(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    """Tariff HOUR: 4.00 EUR/h of charging, billed per started 15 minutes. Exactly two hours of charging
    with a meter value every 40 minutes (MeterValueSampleInterval 2400) costs 8 quarter-hours."""
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock, **configured_stations("CPH01", tariff_id="HOUR"))
    async with station_on(hub, "CPH01", "ocpp1.6", clock=clock.now) as cp:
        await cp.boot()
        await cp.status(1, "Available")
        await cp.authorize(OWN_TOKEN)
        started = clock.now()
        tx = await cp.start(1, OWN_TOKEN, meter_start_wh=0)
        for register_wh in (4_000, 8_000, 12_000):
            clock.advance(minutes=40)
            await cp.meter(1, tx, register_wh)
        await cp.stop(tx, 12_000, id_tag=OWN_TOKEN)
        await cp.status(1, "Available")

    session = await session_by_transaction(hub, "CPH01", tx)
    assert session.status is SessionStatus.COMPLETED
    assert session.end == started + timedelta(hours=2)
    [cdr] = await cdrs_of(hub, session.id)
    assert cdr.tariff_id == "HOUR"
    assert cdr.cost.time_excl_vat == Decimal("8.00")  # 8 quarter-hours at 1.00
    assert cdr.cost.total_incl_vat == Decimal("9.68")
    assert cdr.cost.total_time_hours == Decimal(2)
