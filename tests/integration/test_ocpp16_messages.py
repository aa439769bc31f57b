"""Every OCPP 1.6 station message against the real hub over a real websocket (SQLite and PostgreSQL):
the answer on the wire and what the core stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.events import StationDisconnected
from hub.core.models import BootStatus, EvseStatus, PartyRef, Session, SessionStatus
from hub.ocpp import schemas
from hub.ocpp.simulator import SimulatedStation, StationCallError
from hub.ocpp.v16 import VERSION
from hub.ocpp.v16.mapping import parse_timestamp
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub

CPO = PartyRef(country_code="NL", party_id="CPO")


@pytest.fixture
async def cp(hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    await station.connect()
    yield station
    await station.close()


def assert_valid_response(action: str, payload: dict[str, Any]) -> None:
    assert schemas.check(VERSION.schema_dir, action, "Response", payload) is None, payload


async def session_of(hub: RunningHub, station_id: str, transaction_id: str | int) -> Session:
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction(station_id, str(transaction_id))
    assert session is not None, f"no session for transaction {transaction_id}"
    return session


async def all_sessions(hub: RunningHub) -> list[Session]:
    async with hub.db.unit_of_work() as uow:
        return list(await uow.sessions.list())


async def evse_status(hub: RunningHub, evse_uid: str) -> EvseStatus:
    async with hub.db.unit_of_work() as uow:
        location = await uow.locations.get(CPO, "LOC001")
    assert location is not None
    evse = location.evse(evse_uid)
    assert evse is not None, [e.uid for e in location.evses]
    return evse.status


async def test_boot_notification_is_accepted_and_stored(hub: RunningHub, cp: SimulatedStation) -> None:
    answer = await cp.boot()
    assert_valid_response("BootNotification", answer)
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 300
    assert abs(parse_timestamp(answer["currentTime"]) - datetime.now(UTC)) < timedelta(minutes=1)
    async with hub.db.unit_of_work() as uow:
        station = await uow.stations.get("CP001")
    assert station is not None
    assert (station.vendor, station.model, station.firmware_version) == ("SimVendor", "SimModel", "sim-1.0")
    assert station.boot_status is BootStatus.ACCEPTED
    assert station.connected
    assert station.protocol == "ocpp1.6"


async def test_heartbeat_answers_the_hub_time(cp: SimulatedStation) -> None:
    await cp.boot()
    answer = await cp.heartbeat()
    assert_valid_response("Heartbeat", answer)
    assert abs(parse_timestamp(answer["currentTime"]) - datetime.now(UTC)) < timedelta(minutes=1)


async def test_status_notification_updates_the_evse_and_alarms(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    assert await cp.status(1, "Available") == {}
    assert await evse_status(hub, "CP001*1") is EvseStatus.AVAILABLE
    await cp.status(1, "Charging")
    assert await evse_status(hub, "CP001*1") is EvseStatus.CHARGING
    await cp.status(1, "Faulted", error_code="GroundFailure")
    assert await evse_status(hub, "CP001*1") is EvseStatus.OUTOFORDER
    async with hub.db.unit_of_work() as uow:
        alarms = await uow.alarms.open_alarms("CP001")
    assert [a.code for a in alarms] == ["GroundFailure"]
    await cp.status(1, "Available")
    async with hub.db.unit_of_work() as uow:
        assert list(await uow.alarms.open_alarms("CP001")) == []


async def test_authorize_known_and_unknown_tokens(cp: SimulatedStation) -> None:
    await cp.boot()
    known = await cp.authorize(OWN_TOKEN)
    assert_valid_response("Authorize", known)
    assert known["idTagInfo"]["status"] == "Accepted"
    unknown = await cp.authorize("DEADBEEF")
    assert_valid_response("Authorize", unknown)
    assert unknown["idTagInfo"]["status"] == "Invalid"


async def test_a_whole_charging_session(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    await cp.status(1, "Preparing")
    tx = await cp.start(1, OWN_TOKEN, meter_start_wh=1000)
    start = cp.transactions[tx].start_response
    assert_valid_response("StartTransaction", start)
    assert isinstance(start["transactionId"], int)
    assert 1 <= start["transactionId"] <= 2**31 - 1
    assert start["idTagInfo"]["status"] == "Accepted"
    session = await session_of(hub, "CP001", tx)
    assert session.status is SessionStatus.ACTIVE
    assert session.evse_uid == "CP001*1"
    assert session.token_uid == OWN_TOKEN

    assert await cp.meter(1, tx, 3500) == {}
    session = await session_of(hub, "CP001", tx)
    assert session.kwh == Decimal("2.5")

    stop = await cp.stop(tx, 8400, id_tag=OWN_TOKEN)
    assert_valid_response("StopTransaction", stop)
    assert stop == {}  # the token that started it is not judged again (idTagInfo is optional)
    session = await session_of(hub, "CP001", tx)
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == Decimal("7.4")
    assert session.stop_reason == "Local"
    async with hub.db.unit_of_work() as uow:
        cdrs = await uow.cdrs.find_by_session(session.id)
    assert len(cdrs) == 1


async def test_stop_with_another_token_gets_its_id_tag_info(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    tx = await cp.start(1, OWN_TOKEN)
    stop = await cp.stop(tx, 1000, id_tag="DEADBEEF")
    assert_valid_response("StopTransaction", stop)
    assert stop["idTagInfo"]["status"] == "Invalid"
    assert (await session_of(hub, "CP001", tx)).status is SessionStatus.COMPLETED


async def test_start_transaction_is_idempotent(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    payload = {"connectorId": 1, "idTag": OWN_TOKEN, "meterStart": 0, "timestamp": "2026-03-01T10:00:00.000Z"}
    first = await cp.call("StartTransaction", payload)
    again = await cp.call("StartTransaction", payload)  # our answer was "lost": the station retries
    assert again["transactionId"] == first["transactionId"]
    assert again["idTagInfo"] == first["idTagInfo"]
    other = await cp.call("StartTransaction", {**payload, "connectorId": 2})
    assert other["transactionId"] != first["transactionId"]
    sessions = [s for s in await all_sessions(hub) if s.station_id == "CP001"]
    assert sorted(str(s.transaction_id) for s in sessions) == sorted(
        [str(first["transactionId"]), str(other["transactionId"])]
    )


async def test_late_offline_transaction_is_answered_and_flagged(
    hub: RunningHub, cp: SimulatedStation
) -> None:
    await cp.boot()
    began = datetime.now(UTC) - timedelta(hours=3)
    tx = await cp.start(2, OWN_TOKEN, meter_start_wh=0, timestamp=began)
    assert cp.transactions[tx].start_response["idTagInfo"]["status"] == "Accepted"
    await cp.meter(2, tx, 5000, timestamp=began + timedelta(hours=1))
    await cp.stop(tx, 10000, timestamp=began + timedelta(hours=2))
    session = await session_of(hub, "CP001", tx)
    assert session.offline
    assert session.status is SessionStatus.COMPLETED
    assert session.start == began.replace(microsecond=began.microsecond // 1000 * 1000)
    assert session.kwh == Decimal(10)


async def test_unknown_token_start_is_answered_normally(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    tx = await cp.start(1, "NOBODY")
    response = cp.transactions[tx].start_response
    assert_valid_response("StartTransaction", response)
    assert response["idTagInfo"]["status"] == "Invalid"
    assert response["transactionId"] >= 1
    stop = await cp.stop(tx, 10)
    assert_valid_response("StopTransaction", stop)


@pytest.mark.parametrize("placeholder", [-1, 0])
async def test_placeholder_transaction_ids_are_answered(
    hub: RunningHub, cp: SimulatedStation, placeholder: int
) -> None:
    await cp.boot()
    now = datetime.now(UTC)
    ts = now.isoformat()
    meter = {
        "connectorId": 1,
        "transactionId": placeholder,
        "meterValue": [{"timestamp": ts, "sampledValue": [{"value": "1500"}]}],
    }
    assert await cp.call("MeterValues", meter) == {}
    stop = {"transactionId": placeholder, "meterStop": 2000, "timestamp": ts, "idTag": OWN_TOKEN}
    answer = await cp.call("StopTransaction", stop)
    assert_valid_response("StopTransaction", answer)
    assert await cp.heartbeat()


async def test_placeholder_stop_after_an_offline_start_resolves_the_session(
    hub: RunningHub, cp: SimulatedStation
) -> None:
    await cp.boot()
    tx = await cp.start(1, OWN_TOKEN, meter_start_wh=100, timestamp=datetime.now(UTC) - timedelta(minutes=20))
    answer = await cp.call(
        "StopTransaction",
        {
            "transactionId": -1,
            "meterStop": 2100,
            "timestamp": datetime.now(UTC).isoformat(),
            "idTag": OWN_TOKEN,
        },
    )
    assert_valid_response("StopTransaction", answer)
    session = await session_of(hub, "CP001", tx)
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == Decimal(2)


async def test_stop_for_an_unknown_transaction_is_answered(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    answer = await cp.call(
        "StopTransaction",
        {
            "transactionId": 987654,
            "meterStop": 5000,
            "timestamp": datetime.now(UTC).isoformat(),
            "idTag": OWN_TOKEN,
        },
    )
    assert_valid_response("StopTransaction", answer)
    again = await cp.call(
        "StopTransaction",
        {"transactionId": 2**62, "meterStop": 5000, "timestamp": datetime.now(UTC).isoformat()},
    )
    assert again == {}
    assert await cp.heartbeat()


async def test_reconnect_without_boot_keeps_state(hub: RunningHub) -> None:
    gone = asyncio.Event()
    hub.core.bus.subscribe(StationDisconnected, lambda _event: gone.set())
    first = SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD)
    await first.connect()
    await first.boot()
    await first.status(1, "Available")
    tx = await first.start(1, OWN_TOKEN, meter_start_wh=0)
    await first.close()
    async with asyncio.timeout(5):
        await gone.wait()
    assert await evse_status(hub, "CP001*1") is EvseStatus.UNKNOWN  # disconnected

    again = SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD)
    await again.connect()
    try:
        # No BootNotification: the hub still knows the station and its running transaction.
        assert await again.heartbeat()
        await again.status(1, "Charging")
        assert await evse_status(hub, "CP001*1") is EvseStatus.CHARGING
        answer = await again.call(
            "StopTransaction",
            {"transactionId": int(tx), "meterStop": 3000, "timestamp": datetime.now(UTC).isoformat()},
        )
        assert answer == {}
        session = await session_of(hub, "CP001", tx)
        assert session.status is SessionStatus.COMPLETED
        assert session.kwh == Decimal(3)
        async with hub.db.unit_of_work() as uow:
            station = await uow.stations.get("CP001")
        assert station is not None
        assert station.boot_status is BootStatus.ACCEPTED
        assert station.vendor == "SimVendor"
        assert station.connected
    finally:
        await again.close()


async def test_data_transfer_is_recorded_and_unknown_vendor(hub: RunningHub, cp: SimulatedStation) -> None:
    await cp.boot()
    answer = await cp.call("DataTransfer", {"vendorId": "com.example", "messageId": "Ping", "data": "42"})
    assert answer == {"status": "UnknownVendorId"}
    async with hub.db.unit_of_work() as uow:
        recorded = await uow.notifications.list("CP001", kind="DataTransfer")
    assert [n.payload for n in recorded] == [{"vendorId": "com.example", "messageId": "Ping", "data": "42"}]


NOTIFICATIONS = [
    ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
    ("FirmwareStatusNotification", {"status": "Installed"}),
    (
        "SecurityEventNotification",
        {"type": "SettingSystemTime", "timestamp": "2026-01-01T00:00:00Z", "techInfo": "ntp"},
    ),
    ("LogStatusNotification", {"status": "Uploaded", "requestId": 7}),
    ("SignedFirmwareStatusNotification", {"status": "SignatureVerified", "requestId": 8}),
]


@pytest.mark.parametrize(("action", "payload"), NOTIFICATIONS)
async def test_notifications_are_recorded(
    hub: RunningHub, cp: SimulatedStation, action: str, payload: dict[str, Any]
) -> None:
    await cp.boot()
    assert await cp.call(action, payload) == {}
    async with hub.db.unit_of_work() as uow:
        recorded = await uow.notifications.list("CP001", kind=action)
    assert [n.payload for n in recorded] == [payload]
    if action == "SecurityEventNotification":
        assert recorded[0].timestamp == datetime(2026, 1, 1, tzinfo=UTC)


async def test_unknown_station_is_created_when_accepted(hub: RunningHub) -> None:
    async with SimulatedStation(hub.ws_url(), "NEW-STATION-7") as station:
        assert (await station.boot())["status"] == "Accepted"
        await station.status(1, "Available")
    async with hub.db.unit_of_work() as uow:
        stored = await uow.stations.get("NEW-STATION-7")
    assert stored is not None
    assert not stored.registered
    assert stored.vendor == "SimVendor"


async def test_unknown_action_is_not_implemented(cp: SimulatedStation) -> None:
    with pytest.raises(StationCallError) as err:
        await cp.call("BookATable", {"guests": 4})
    assert err.value.code == "NotImplemented"
    assert await cp.heartbeat()
