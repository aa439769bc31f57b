"""OCPP 2.0.1 TransactionEvent over a real websocket against the real app (SQLite and PostgreSQL): sessions,
idempotency on (station, transactionId, seqNo), offline and out-of-order delivery, CDRs, remote starts
tied by remoteStartId, and state kept across reconnects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.models import AuthMethod, Cdr, CommandResultType, Session, SessionStatus
from hub.ocpp.simulator import OCPP201, SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(UTC)


async def connect(hub: RunningHub, *, boot: bool = True) -> SimulatedStation:
    station = SimulatedStation(hub.ws_url(), "CP001", OCPP201, password=CP001_PASSWORD)
    await station.connect()
    if boot:
        assert (await station.boot())["status"] == "Accepted"
    return station


@pytest.fixture
async def station(hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = await connect(hub)
    yield station
    await station.close()


def transaction_event(
    event_type: str,
    transaction_id: str,
    seq_no: int,
    *,
    at: datetime | None = None,
    wh: float | None = None,
    evse: int | None = None,
    id_token: str | None = None,
    offline: bool = False,
    **info: Any,
) -> dict[str, Any]:
    """A TransactionEventRequest; `info` goes into transactionInfo (chargingState, stoppedReason, …)."""
    moment = at or now()
    trigger = {"Started": "Authorized", "Updated": "MeterValuePeriodic", "Ended": "EVDeparted"}[event_type]
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": iso(moment),
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, **info},
    }
    if offline:
        payload["offline"] = True
    if evse is not None:
        payload["evse"] = {"id": evse, "connectorId": 1}
    if id_token is not None:
        payload["idToken"] = {"idToken": id_token, "type": "ISO14443"}
    if wh is not None:
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
            event_type, "Sample.Periodic"
        )
        sampled = {"value": wh, "context": context, "unitOfMeasure": {"unit": "Wh"}}
        payload["meterValue"] = [{"timestamp": iso(moment), "sampledValue": [sampled]}]
    return payload


async def session_of(hub: RunningHub, transaction_id: str) -> Session:
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("CP001", transaction_id)
    assert session is not None, f"no session for transaction {transaction_id}"
    return session


async def sessions_of_station(hub: RunningHub) -> list[Session]:
    async with hub.db.unit_of_work() as uow:
        return [s for s in await uow.sessions.list() if s.station_id == "CP001"]


async def cdrs_of(hub: RunningHub, session_id: str) -> list[Cdr]:
    async with hub.db.unit_of_work() as uow:
        return list(await uow.cdrs.find_by_session(session_id))


async def test_a_charging_session_ends_completed_with_a_priced_cdr(
    hub: RunningHub, station: SimulatedStation
) -> None:
    tx_id = await station.charge(OWN_TOKEN, evse=2, energy_wh=7_400, samples=3)
    assert station.transactions[tx_id].start_response == {"idTokenInfo": {"status": "Accepted"}}
    assert station.transactions[tx_id].stop_response == {
        "idTokenInfo": {"status": "Accepted"}
    }  # idToken sent
    session = await session_of(hub, tx_id)
    assert session.status is SessionStatus.COMPLETED
    assert (session.evse_uid, session.connector_id, session.location_id) == ("CP001*2", "1", "LOC001")
    assert session.token_uid == OWN_TOKEN
    assert session.kwh == Decimal("7.4")
    assert session.last_seq_no == 4
    [cdr] = await cdrs_of(hub, session.id)
    assert cdr.cost.total_energy_kwh == Decimal("7.4")
    assert cdr.cost.total_excl_vat == Decimal("3.85")  # 7.4 kWh x 0.25 + 2.00 flat (tariff STD)
    assert cdr.evse_uid == "CP001*2"


async def test_the_evse_of_the_first_event_is_remembered(hub: RunningHub, station: SimulatedStation) -> None:
    tx_id = str(uuid.uuid4())
    start = now() - timedelta(minutes=2)
    await station.call("TransactionEvent", transaction_event("Started", tx_id, 0, at=start, wh=0, evse=2))
    await station.call(
        "TransactionEvent", transaction_event("Updated", tx_id, 1, at=start + timedelta(minutes=1), wh=500)
    )
    await station.call(
        "TransactionEvent", transaction_event("Ended", tx_id, 2, wh=1000, stoppedReason="Local")
    )
    session = await session_of(hub, tx_id)
    assert session.evse_uid == "CP001*2"
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == Decimal(1)


async def test_the_same_seq_no_twice_is_applied_once(hub: RunningHub, station: SimulatedStation) -> None:
    tx_id = str(uuid.uuid4())
    start = now() - timedelta(minutes=3)
    started = transaction_event("Started", tx_id, 0, at=start, wh=0, evse=1, id_token=OWN_TOKEN)
    first = await station.call("TransactionEvent", started)
    again = await station.call("TransactionEvent", started)  # our answer was "lost": the station retries
    assert first == again == {"idTokenInfo": {"status": "Accepted"}}
    updated = transaction_event("Updated", tx_id, 1, at=start + timedelta(minutes=1), wh=2_000)
    await station.call("TransactionEvent", updated)
    after_first = await session_of(hub, tx_id)
    assert await station.call("TransactionEvent", updated) == {}
    after_repeat = await session_of(hub, tx_id)
    assert after_repeat == after_first  # nothing changed, not even last_updated
    assert after_first.kwh == Decimal(2)
    assert [s.id for s in await sessions_of_station(hub)] == [after_first.id]


async def test_seq_no_gaps_are_tolerated(hub: RunningHub, station: SimulatedStation) -> None:
    tx_id = str(uuid.uuid4())
    start = now() - timedelta(minutes=10)
    await station.call("TransactionEvent", transaction_event("Started", tx_id, 0, at=start, wh=100, evse=1))
    await station.call(
        "TransactionEvent", transaction_event("Updated", tx_id, 4, at=start + timedelta(minutes=5), wh=1_100)
    )
    await station.call(
        "TransactionEvent",
        transaction_event(
            "Ended", tx_id, 9, at=start + timedelta(minutes=9), wh=2_100, stoppedReason="Local"
        ),
    )
    session = await session_of(hub, tx_id)
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == Decimal(2)
    assert session.last_seq_no == 9
    assert len(await cdrs_of(hub, session.id)) == 1


async def test_events_that_happened_offline_build_a_billed_session(
    hub: RunningHub, station: SimulatedStation
) -> None:
    tx_id = str(uuid.uuid4())
    start = now() - timedelta(hours=3)
    end = start + timedelta(hours=1)
    started = transaction_event(
        "Started", tx_id, 0, at=start, wh=10_000, evse=1, id_token=OWN_TOKEN, offline=True
    )
    ended = transaction_event(
        "Ended", tx_id, 1, at=end, wh=21_000, offline=True, stoppedReason="EVDisconnected"
    )
    assert await station.call("TransactionEvent", started) == {"idTokenInfo": {"status": "Accepted"}}
    assert await station.call("TransactionEvent", ended) == {}
    session = await session_of(hub, tx_id)
    assert session.status is SessionStatus.COMPLETED
    assert session.offline is True
    assert abs(session.start - start) < timedelta(milliseconds=1)
    assert session.end is not None
    assert abs(session.end - end) < timedelta(milliseconds=1)
    assert session.kwh == Decimal(11)
    assert session.stop_reason == "EVDisconnected"
    assert len(await cdrs_of(hub, session.id)) == 1


async def test_an_ended_event_whose_start_was_lost_still_yields_a_cdr(
    hub: RunningHub, station: SimulatedStation
) -> None:
    tx_id = str(uuid.uuid4())
    ended = transaction_event("Ended", tx_id, 5, wh=3_000, evse=1, id_token=OWN_TOKEN, stoppedReason="Local")
    response = await station.call("TransactionEvent", ended)
    assert response["idTokenInfo"]["status"] == "Accepted"
    session = await session_of(hub, tx_id)
    assert session.reconstructed is True
    assert session.status is SessionStatus.COMPLETED
    assert len(await cdrs_of(hub, session.id)) == 1


async def test_a_start_with_an_unknown_token_is_refused_and_never_billed(
    hub: RunningHub, station: SimulatedStation
) -> None:
    tx_id = str(uuid.uuid4())
    response = await station.call(
        "TransactionEvent", transaction_event("Started", tx_id, 0, wh=0, evse=1, id_token="DEADBEEF0000")
    )
    assert response == {"idTokenInfo": {"status": "Unknown"}}
    await station.call(
        "TransactionEvent", transaction_event("Ended", tx_id, 1, wh=500, stoppedReason="DeAuthorized")
    )
    session = await session_of(hub, tx_id)
    assert session.status is SessionStatus.INVALID
    assert await cdrs_of(hub, session.id) == []


async def test_remote_start_id_ties_the_start_session_command_to_the_session(
    hub: RunningHub, station: SimulatedStation
) -> None:
    await station.status(1, "Available")
    async with hub.db.unit_of_work() as uow:
        token = await uow.tokens.get(OWN_TOKEN)
    assert token is not None
    command = await hub.core.commands.start_session(
        evse_uid="CP001*1", token=token, authorization_reference="AUTH-REF-1"
    )
    request = await station.wait_for_call("RequestStartTransaction")
    assert request == {
        "idToken": {"idToken": OWN_TOKEN, "type": "Central"},
        "remoteStartId": command.remote_start_id,
        "evseId": 1,
    }
    done = await hub.core.commands.wait_result(command.id, timeout=5)
    assert done.result is CommandResultType.ACCEPTED
    tx = await station.wait_for_transaction(1, remote_start_id=command.remote_start_id)
    session = await session_of(hub, tx.id)
    assert session.status is SessionStatus.ACTIVE
    assert session.remote_start_id == command.remote_start_id
    assert session.auth_method is AuthMethod.COMMAND
    assert session.authorization_reference == "AUTH-REF-1"
    # one session for the one remote start: no stray PENDING beside the ACTIVE one
    assert [s.id for s in await sessions_of_station(hub)] == [session.id]

    stop = await hub.core.commands.stop_session(session_id=session.id)
    assert (await station.wait_for_call("RequestStopTransaction")) == {"transactionId": tx.id}
    assert (await hub.core.commands.wait_result(stop.id, timeout=5)).result is CommandResultType.ACCEPTED
    await station.wait_for_transaction_end(tx.id)
    stopped = await session_of(hub, tx.id)
    assert stopped.status is SessionStatus.COMPLETED
    assert stopped.stop_reason == "Remote"


async def test_a_transaction_survives_a_reconnect_without_boot(hub: RunningHub) -> None:
    first = await connect(hub)
    tx_id = await first.start(1, OWN_TOKEN, meter_start_wh=1_000)
    await first.close()
    second = await connect(hub, boot=False)
    try:
        # The new connection has not seen `evse`: the hub still knows where the transaction runs.
        await second.call("TransactionEvent", transaction_event("Updated", tx_id, 1, wh=1_500))
        await second.call(
            "TransactionEvent", transaction_event("Ended", tx_id, 2, wh=2_000, stoppedReason="Local")
        )
    finally:
        await second.close()
    session = await session_of(hub, tx_id)
    assert session.status is SessionStatus.COMPLETED
    assert session.evse_uid == "CP001*1"
    assert session.kwh == Decimal(1)


async def test_transaction_events_before_boot_are_processed(hub: RunningHub) -> None:
    """A station that booted before a hub restart (or lost the boot answer) still delivers its queued
    transaction data: 2.0.1 TransactionEvent is exempt from the SecurityError before boot."""
    station = SimulatedStation(hub.ws_url(), "CP201-QUEUE", OCPP201)
    await station.connect()
    try:
        tx_id = str(uuid.uuid4())
        start = now() - timedelta(minutes=30)
        await station.call(
            "TransactionEvent", transaction_event("Started", tx_id, 0, at=start, wh=0, evse=1, offline=True)
        )
        await station.call(
            "TransactionEvent",
            transaction_event(
                "Ended", tx_id, 1, at=start + timedelta(minutes=20), wh=4_000, stoppedReason="Local"
            ),
        )
    finally:
        await station.close()
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("CP201-QUEUE", tx_id)
    assert session is not None
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == Decimal(4)
