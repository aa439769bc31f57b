"""OCPP 2.0.1 station -> hub messages over a real websocket against the real app (SQLite and PostgreSQL):
what the station reads on the wire and what the hub stored. Transactions are in test_ocpp201_transactions.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.core.clock import FixedClock
from hub.core.models import BootStatus, EvseStatus, PartyRef
from hub.ocpp.simulator import OCPP16, OCPP201, SimulatedStation, StationCallError
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub

CPO = PartyRef(country_code="NL", party_id="CPO")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def connect(hub: RunningHub, station_id: str = "CP001", *, boot: bool = True) -> SimulatedStation:
    password = CP001_PASSWORD if station_id == "CP001" else None
    station = SimulatedStation(hub.ws_url(), station_id, OCPP201, password=password)
    await station.connect()
    assert station.negotiated_protocol == OCPP201
    if boot:
        assert (await station.boot())["status"] == "Accepted"
    return station


@pytest.fixture
async def station(hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = await connect(hub)
    yield station
    await station.close()


async def evse_status(hub: RunningHub, evse_uid: str, location_id: str = "LOC001") -> EvseStatus:
    async with hub.db.unit_of_work() as uow:
        location = await uow.locations.get(CPO, location_id)
    assert location is not None
    evse = location.evse(evse_uid)
    assert evse is not None, f"no EVSE {evse_uid}"
    return evse.status


async def expect_call_error(
    station: SimulatedStation, action: str, payload: dict[str, Any]
) -> StationCallError:
    with pytest.raises(StationCallError) as caught:
        await station.call(action, payload)
    return caught.value


# --- boot, heartbeat, status ----------------------------------------------------------------------


async def test_boot_notification_is_answered_and_the_station_stored(hub: RunningHub) -> None:
    station = SimulatedStation(
        hub.ws_url(),
        "CP001",
        OCPP201,
        password=CP001_PASSWORD,
        serial_number="SN-201",
        firmware_version="2.0.7",
    )
    await station.connect(protocols=[OCPP16, OCPP201])  # 2.0.1 is the hub's preference
    try:
        assert station.negotiated_protocol == OCPP201
        response = await station.boot(reason="FirmwareUpdate")
    finally:
        await station.close()
    assert response["status"] == "Accepted"
    assert response["interval"] == 300
    assert response["currentTime"].endswith("Z")
    sent_at = datetime.fromisoformat(response["currentTime"])
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
    async with hub.db.unit_of_work() as uow:
        stored = await uow.stations.get("CP001")
    assert stored is not None
    assert (stored.vendor, stored.model, stored.serial_number, stored.firmware_version) == (
        "SimVendor",
        "SimModel",
        "SN-201",
        "2.0.7",
    )
    assert stored.boot_status is BootStatus.ACCEPTED
    assert stored.protocol == OCPP201


async def test_heartbeat_tells_the_hub_time(make_hub: Any) -> None:
    hub = await make_hub(clock=FixedClock(datetime(2026, 3, 1, 8, 30, tzinfo=UTC)))
    station = await connect(hub)
    try:
        assert await station.heartbeat() == {"currentTime": "2026-03-01T08:30:00Z"}
    finally:
        await station.close()


async def test_status_notifications_drive_the_evse_status_and_alarms(
    hub: RunningHub, station: SimulatedStation
) -> None:
    assert await station.status(1, "Available") == {}
    assert await evse_status(hub, "CP001*1") is EvseStatus.AVAILABLE
    await station.status(1, "Occupied")
    assert await evse_status(hub, "CP001*1") is EvseStatus.CHARGING
    await station.status(2, "Reserved")
    assert await evse_status(hub, "CP001*2") is EvseStatus.RESERVED
    await station.status(1, "Faulted")
    assert await evse_status(hub, "CP001*1") is EvseStatus.OUTOFORDER
    async with hub.db.unit_of_work() as uow:
        alarms = await uow.alarms.open_alarms("CP001")
    assert [(a.evse_uid, a.code) for a in alarms] == [("CP001*1", "Faulted")]
    await station.status(1, "Unavailable")
    assert await evse_status(hub, "CP001*1") is EvseStatus.INOPERATIVE
    async with hub.db.unit_of_work() as uow:
        assert list(await uow.alarms.open_alarms("CP001")) == []


async def test_status_of_a_second_connector_extends_the_evse(
    hub: RunningHub, station: SimulatedStation
) -> None:
    await station.status(1, "Available", connector=1)
    await station.status(1, "Available", connector=2)
    async with hub.db.unit_of_work() as uow:
        location = await uow.locations.get(CPO, "LOC001")
    assert location is not None
    evse = location.evse("CP001*1")
    assert evse is not None
    assert sorted(c.id for c in evse.connectors) == ["1", "2"]
    assert evse.station_evse_no == 1


# --- authorization ------------------------------------------------------------------------------


async def test_authorize_answers_the_core_decision(station: SimulatedStation) -> None:
    assert (await station.authorize(OWN_TOKEN))["idTokenInfo"]["status"] == "Accepted"
    assert (await station.authorize(OWN_TOKEN, token_type="eMAID"))["idTokenInfo"]["status"] == "Accepted"
    assert (await station.authorize("FFFF0000AAAA"))["idTokenInfo"]["status"] == "Unknown"


# --- notifications --------------------------------------------------------------------------------


async def notifications(hub: RunningHub, kind: str) -> list[dict[str, Any]]:
    async with hub.db.unit_of_work() as uow:
        return [n.payload for n in await uow.notifications.list("CP001", kind)]


# One hub for all of them; each is checked on the wire and in storage.
NOTIFICATIONS: list[tuple[str, dict[str, Any]]] = [
    ("FirmwareStatusNotification", {"status": "Installed", "requestId": 7}),
    ("LogStatusNotification", {"status": "Uploaded", "requestId": 8}),
    ("SecurityEventNotification", {"type": "SettingSystemTime", "timestamp": "2026-01-01T10:00:00Z"}),
    (
        "NotifyReport",
        {
            "requestId": 1,
            "generatedAt": "2026-01-01T10:00:00Z",
            "seqNo": 0,
            "reportData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "variableAttribute": [{"type": "Actual", "value": "300"}],
                }
            ],
        },
    ),
    ("ReservationStatusUpdate", {"reservationId": 3, "reservationUpdateStatus": "Expired"}),
]


async def test_notifications_are_recorded(hub: RunningHub, station: SimulatedStation) -> None:
    for action, payload in NOTIFICATIONS:
        assert await station.call(action, payload) == {}, action
        assert await notifications(hub, action) == [payload], action


async def test_data_transfer_is_recorded_and_answered_unknown_vendor(
    hub: RunningHub, station: SimulatedStation
) -> None:
    payload = {"vendorId": "com.example", "messageId": "ping", "data": {"n": 1}}
    assert await station.call("DataTransfer", payload) == {"status": "UnknownVendorId"}
    assert await notifications(hub, "DataTransfer") == [payload]


async def test_notify_event_is_recorded_and_a_faulted_connector_goes_out_of_order(
    hub: RunningHub, station: SimulatedStation
) -> None:
    await station.status(2, "Available")
    payload = {
        "generatedAt": iso(datetime.now(UTC)),
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 11,
                "timestamp": iso(datetime.now(UTC)),
                "trigger": "Delta",
                "actualValue": "Faulted",
                "techCode": "RCD-TRIP",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 2, "connectorId": 1}},
                "variable": {"name": "AvailabilityState"},
            }
        ],
    }
    assert await station.call("NotifyEvent", payload) == {}
    assert await notifications(hub, "NotifyEvent") == [payload]
    assert await evse_status(hub, "CP001*2") is EvseStatus.OUTOFORDER
    async with hub.db.unit_of_work() as uow:
        alarms = await uow.alarms.open_alarms("CP001")
    assert [(a.evse_uid, a.code) for a in alarms] == [("CP001*2", "RCD-TRIP")]


async def test_meter_values_outside_a_transaction_are_accepted(station: SimulatedStation) -> None:
    response = await station.meter(1, None, 1234.5)
    assert response == {}


# --- boot policy ----------------------------------------------------------------------------------


async def test_messages_before_an_accepted_boot_get_security_error(hub: RunningHub) -> None:
    station = await connect(hub, "CP201-NEW", boot=False)
    try:
        error = await expect_call_error(
            station,
            "StatusNotification",
            {
                "timestamp": iso(datetime.now(UTC)),
                "connectorStatus": "Available",
                "evseId": 1,
                "connectorId": 1,
            },
        )
        assert error.code == "SecurityError"
        error = await expect_call_error(
            station, "Authorize", {"idToken": {"idToken": OWN_TOKEN, "type": "ISO14443"}}
        )
        assert error.code == "SecurityError"
        assert "currentTime" in await station.heartbeat()  # Heartbeat is exempt
        assert (await station.boot())["status"] == "Accepted"
        assert await station.status(1, "Available") == {}
    finally:
        await station.close()


async def test_reconnect_without_boot_keeps_the_accepted_state(hub: RunningHub) -> None:
    first = await connect(hub)
    await first.close()
    second = await connect(hub, boot=False)
    try:
        assert await second.status(1, "Available") == {}
        assert (await second.authorize(OWN_TOKEN))["idTokenInfo"]["status"] == "Accepted"
    finally:
        await second.close()
    async with hub.db.unit_of_work() as uow:
        stored = await uow.stations.get("CP001")
    assert stored is not None
    assert stored.boot_status is BootStatus.ACCEPTED


# --- wire errors ----------------------------------------------------------------------------------

STATUS = {"timestamp": "2026-01-01T10:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("StatusNotification", {k: v for k, v in STATUS.items() if k != "evseId"}, "ProtocolError"),
    ("StatusNotification", {**STATUS, "evseId": "one"}, "TypeConstraintViolation"),
    ("Authorize", {"idToken": {"idToken": "x" * 37, "type": "ISO14443"}}, "TypeConstraintViolation"),
    ("Heartbeat", {"sneaky": True}, "FormatViolation"),
    ("StatusNotification", {**STATUS, "connectorStatus": "Charging"}, "FormatViolation"),
    ("StatusNotification", {**STATUS, "timestamp": "2026-02-30T10:00:00Z"}, "FormatViolation"),
    ("FlyToTheMoon", {}, "NotImplemented"),
    ("NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "EMS"}}, "NotSupported"),
]


async def test_bad_calls_get_the_right_call_error(station: SimulatedStation) -> None:
    for action, payload, code in BAD_CALLS:
        error = await expect_call_error(station, action, payload)
        assert error.code == code, (action, payload)
    assert await station.heartbeat()  # the connection survives them all


async def test_a_frame_that_is_not_json_gets_rpc_framework_error(station: SimulatedStation) -> None:
    await station.send_raw('[2, "abc", "Heartbeat", {')
    frame = json.loads(await station.recv_raw())
    assert frame[0] == 4
    assert frame[2] == "RpcFrameworkError"


async def test_an_unknown_message_type_gets_message_type_not_supported(station: SimulatedStation) -> None:
    await station.send_raw('[7, "m-7", "Heartbeat", {}]')
    frame = json.loads(await station.recv_raw())
    assert frame[:3] == [4, "m-7", "MessageTypeNotSupported"]
