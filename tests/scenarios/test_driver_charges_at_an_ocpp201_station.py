"""A driver charges at a configured OCPP 2.0.1 station that reports its energy register in kWh (numbers,
`unitOfMeasure: kWh`): the TransactionEvent flow on the wire, the session and priced CDR the hub stored,
and the outbox rows written for the partners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.models import AuthMethod, EvseStatus, SessionStatus
from hub.ocpp.simulator import SimulatedStation, format_timestamp
from tests.conftest import OWN_TOKEN, RunningHub
from tests.scenarios.support import (
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

PASSWORD = "cp201-secret-password-0123"
TX = "9b7e3c2a-5d41-4f7e-8a90-0c1d2e3f4a5b"
KWH = Decimal("12.345")
ENERGY = "Energy.Active.Import.Register"


def register_kwh(value: float, moment: datetime, context: str) -> list[dict[str, Any]]:
    """One meterValue with the energy register as a JSON number in kWh."""
    return [
        {
            "timestamp": format_timestamp(moment),
            "sampledValue": [
                {"value": value, "context": context, "measurand": ENERGY, "unitOfMeasure": {"unit": "kWh"}}
            ],
        }
    ]


async def transaction_event(
    station: SimulatedStation, kind: str, seq_no: int, moment: datetime, **fields: Any
) -> dict[str, Any]:
    info = {"transactionId": TX, "chargingState": fields.pop("charging_state", "Charging")}
    if "stopped_reason" in fields:
        info["stoppedReason"] = fields.pop("stopped_reason")
    payload = {
        "eventType": kind,
        "timestamp": format_timestamp(moment),
        "triggerReason": fields.pop("trigger"),
        "seqNo": seq_no,
        "transactionInfo": info,
        **fields,
    }
    return await station.call("TransactionEvent", payload)


async def test_driver_charges_at_an_ocpp201_station(make_hub: Callable[..., Awaitable[RunningHub]]) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock, **configured_stations("CP201", password=PASSWORD))
    tap = OutboxTap(hub)
    id_token = {"idToken": OWN_TOKEN, "type": "ISO14443"}
    async with station_on(hub, "CP201", "ocpp2.0.1", password=PASSWORD, clock=clock.now) as cs:
        assert cs.negotiated_protocol == "ocpp2.0.1"
        boot = await cs.boot()
        assert (boot["status"], boot["interval"]) == ("Accepted", 300)
        assert await cs.status(1, "Available") == {}
        assert (await evse_of(hub, "CP201*1")).status is EvseStatus.AVAILABLE

        clock.advance(minutes=5)
        authorized = await cs.call("Authorize", {"idToken": id_token})
        assert authorized["idTokenInfo"]["status"] == "Accepted"
        await cs.status(1, "Occupied")
        started = clock.now()
        answer = await transaction_event(
            cs,
            "Started",
            0,
            started,
            trigger="Authorized",
            idToken=id_token,
            evse={"id": 1, "connectorId": 1},
            meterValue=register_kwh(100.0, started, "Transaction.Begin"),
        )
        assert answer["idTokenInfo"]["status"] == "Accepted"
        assert (await evse_of(hub, "CP201*1")).status is EvseStatus.CHARGING

        for seq_no, value in ((1, 104.0), (2, 108.0), (3, 112.345)):
            moment = clock.advance(minutes=20)
            answer = await transaction_event(
                cs,
                "Updated",
                seq_no,
                moment,
                trigger="MeterValuePeriodic",
                meterValue=register_kwh(value, moment, "Sample.Periodic"),
            )
            assert "idTokenInfo" not in answer
        running = await session_by_transaction(hub, "CP201", TX)
        assert (running.status, running.kwh, running.last_seq_no) == (SessionStatus.ACTIVE, KWH, 3)

        ended = clock.advance(minutes=15)  # full at 112.345 kWh; the car leaves a quarter of an hour later
        await transaction_event(
            cs,
            "Ended",
            4,
            ended,
            trigger="EVDeparted",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            meterValue=register_kwh(112.345, ended, "Transaction.End"),
        )
        await cs.status(1, "Available")
        assert (await evse_of(hub, "CP201*1")).status is EvseStatus.AVAILABLE
        rows = await tap.rows()

    session = await session_by_transaction(hub, "CP201", TX)
    assert session.status is SessionStatus.COMPLETED
    assert (session.start, session.end, session.last_seq_no) == (started, ended, 4)
    assert session.kwh == KWH
    assert (session.meter_start_wh, session.meter_last_wh) == (Decimal(100_000), Decimal(112_345))
    assert (session.token_uid, session.token_party, session.auth_method) == (
        OWN_TOKEN,
        MSP,
        AuthMethod.WHITELIST,
    )
    assert (session.location_id, session.evse_uid, session.connector_id) == ("LOC001", "CP201*1", "1")
    assert (session.tariff_id, session.stop_reason) == ("STD", "EVDisconnected")
    assert not session.offline
    assert not session.reconstructed
    assert_periods(
        session.charging_periods,
        [
            (started, {"ENERGY": KWH, "TIME": Decimal(1)}),
            (started + timedelta(hours=1), {"PARKING_TIME": Decimal("0.25")}),
        ],
    )

    energy, excl, incl = std_cost(KWH)
    assert session.total_cost == excl
    cdrs = await cdrs_of(hub, session.id)
    assert len(cdrs) == 1
    cost = cdrs[0].cost
    assert (cost.fixed_excl_vat, cost.energy_excl_vat) == (STD_FLAT, energy)
    assert (cost.total_excl_vat, cost.total_incl_vat, cost.total_energy_kwh) == (excl, incl, KWH)
    assert cost.total_parking_time_hours == Decimal("0.25")
    assert (cdrs[0].start, cdrs[0].end, cdrs[0].evse_uid) == (started, ended, "CP201*1")

    session_rows = [m for m in rows if m.key == f"session:{session.id}"]
    assert [m.topic for m in session_rows] == ["session.updated"] * 5 + ["cdr.created"]
    assert [m.payload["status"] for m in session_rows[:-1]] == ["ACTIVE"] * 4 + ["COMPLETED"]
    assert session_rows[-1].payload["id"] == cdrs[0].id
    assert evse_transitions(rows, "CP201*1") == [
        ("UNKNOWN", "AVAILABLE"),
        ("AVAILABLE", "CHARGING"),
        ("CHARGING", "AVAILABLE"),
    ]
    assert all(m.key == LOCATION_KEY for m in rows if m.topic == "evse.status")
