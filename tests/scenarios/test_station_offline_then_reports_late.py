"""A 1.6 station loses its connection while a driver charges: it queues StartTransaction, MeterValues and
StopTransaction and delivers them with their original timestamps after reconnecting (without a new
BootNotification). The reply to its first StartTransaction is lost with a second connection drop, so it
repeats that message. The hub keeps exactly one session with the original times, and one CDR."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.models import SessionStatus
from hub.ocpp.simulator import SimulatedStation, format_timestamp
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.scenarios.support import T0, OutboxTap, assert_periods, cdrs_of, disconnect, sessions_of, std_cost

KWH = Decimal("9.87")


async def test_station_offline_then_reports_late(make_hub: Callable[..., Awaitable[RunningHub]]) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)

    def station() -> SimulatedStation:
        return SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)

    cp = await station().connect()
    await cp.boot()
    await cp.status(1, "Available")
    await disconnect(hub, cp)

    # Offline: the driver charges from 09:10 to 10:10; the station keeps the messages.
    started, ended = T0 + timedelta(minutes=10), T0 + timedelta(minutes=70)
    start_payload = {
        "connectorId": 1,
        "idTag": OWN_TOKEN,
        "meterStart": 2_000,
        "timestamp": format_timestamp(started),
    }
    clock.advance(hours=3)  # the connection is back three hours later

    cp = await station().connect()  # no BootNotification: nothing about the station changed
    await cp.status(1, "Available")  # status may overtake the queued transaction messages
    await cp.send_raw(json.dumps([2, "lost-1", "StartTransaction", start_payload]))
    first_answer = json.loads(await cp.recv_raw())  # the hub answered, but the link dropped right after
    assert first_answer[:2] == [3, "lost-1"]
    transaction_id = first_answer[2]["transactionId"]
    await disconnect(hub, cp)

    cp = await station().connect()
    again = await cp.call("StartTransaction", start_payload)  # the station never saw the answer: repeat
    assert again["transactionId"] == transaction_id
    assert again["idTagInfo"]["status"] == "Accepted"
    for minutes, register_wh in ((30, 5_000), (50, 9_000)):
        sample = {"value": str(register_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        moment = format_timestamp(T0 + timedelta(minutes=minutes))
        meter_values = [{"timestamp": moment, "sampledValue": [sample]}]
        answer = await cp.call(
            "MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": meter_values}
        )
        assert answer == {}
    stop = {
        "transactionId": transaction_id,
        "meterStop": 2_000 + 9_870,
        "timestamp": format_timestamp(ended),
        "reason": "EVDisconnected",
        "idTag": OWN_TOKEN,
    }
    answer = await cp.call("StopTransaction", stop)
    assert answer.get("idTagInfo", {"status": "Accepted"})["status"] == "Accepted"
    await cp.call("StopTransaction", stop)  # a repeated stop changes nothing either
    rows = await tap.rows()
    await cp.close()

    [session] = await sessions_of(hub, "CP001")
    assert session.status is SessionStatus.COMPLETED
    assert session.transaction_id == str(transaction_id)
    assert (session.start, session.end) == (started, ended)
    assert session.kwh == KWH
    assert session.offline
    assert not session.reconstructed
    assert_periods(session.charging_periods, [(started, {"ENERGY": KWH, "TIME": Decimal(1)})])
    [cdr] = await cdrs_of(hub, session.id)
    assert (cdr.start, cdr.end) == (started, ended)
    _, excl, incl = std_cost(KWH)
    assert (cdr.cost.total_excl_vat, cdr.cost.total_incl_vat, cdr.cost.total_energy_kwh) == (excl, incl, KWH)
    assert [m.topic for m in rows if m.topic == "cdr.created"] == ["cdr.created"]
    session_rows = [m for m in rows if m.key == f"session:{session.id}"]
    assert session_rows[-1].topic == "cdr.created"
    assert {datetime.fromisoformat(m.payload["start"]) for m in session_rows[:-1]} == {started}


async def test_an_ocpp201_station_offline_then_reports_late(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    """The same on 2.0.1: TransactionEvents flagged `offline`, delivered late in seqNo order, the Started
    event repeated because its answer was lost."""
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)

    def station() -> SimulatedStation:
        return SimulatedStation(hub.ws_url(), "CP001", "ocpp2.0.1", password=CP001_PASSWORD, clock=clock.now)

    cs = await station().connect()
    await cs.boot()
    await cs.status(1, "Available")
    await disconnect(hub, cs)

    started, ended = T0 + timedelta(minutes=10), T0 + timedelta(minutes=70)
    tx = "offline-tx-0001"

    def event(
        kind: str,
        seq_no: int,
        minutes: int,
        register_wh: int,
        *,
        trigger: str = "MeterValuePeriodic",
        info: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        moment = format_timestamp(T0 + timedelta(minutes=minutes))
        sample = {
            "value": register_wh,
            "measurand": "Energy.Active.Import.Register",
            "unitOfMeasure": {"unit": "Wh"},
        }
        return {
            "eventType": kind,
            "timestamp": moment,
            "triggerReason": trigger,
            "seqNo": seq_no,
            "offline": True,
            "transactionInfo": {"transactionId": tx, "chargingState": "Charging"} | (info or {}),
            "meterValue": [{"timestamp": moment, "sampledValue": [sample]}],
            **extra,
        }

    started_event = event(
        "Started",
        0,
        10,
        2_000,
        trigger="Authorized",
        idToken={"idToken": OWN_TOKEN, "type": "ISO14443"},
        evse={"id": 1, "connectorId": 1},
    )
    clock.advance(hours=3)
    cs = await station().connect()
    await cs.send_raw(json.dumps([2, "lost-1", "TransactionEvent", started_event]))
    first_answer = json.loads(await cs.recv_raw())
    assert first_answer[:2] == [3, "lost-1"]
    await disconnect(hub, cs)

    cs = await station().connect()
    again = await cs.call("TransactionEvent", started_event)
    assert again["idTokenInfo"]["status"] == "Accepted"
    await cs.call("TransactionEvent", event("Updated", 1, 30, 5_000))
    await cs.call("TransactionEvent", event("Updated", 2, 50, 9_000))
    end_info = {"chargingState": "Idle", "stoppedReason": "EVDisconnected"}
    ended_event = event("Ended", 3, 70, 11_870, trigger="EVDeparted", info=end_info)
    await cs.call("TransactionEvent", ended_event)
    await cs.call("TransactionEvent", ended_event)  # repeated as well
    rows = await tap.rows()
    await cs.close()

    [session] = await sessions_of(hub, "CP001")
    assert session.status is SessionStatus.COMPLETED
    assert (session.transaction_id, session.start, session.end, session.kwh) == (tx, started, ended, KWH)
    assert session.offline
    assert_periods(session.charging_periods, [(started, {"ENERGY": KWH, "TIME": Decimal(1)})])
    [cdr] = await cdrs_of(hub, session.id)
    assert (cdr.start, cdr.end, cdr.cost.total_energy_kwh) == (started, ended, KWH)
    assert [m.topic for m in rows if m.topic == "cdr.created"] == ["cdr.created"]
