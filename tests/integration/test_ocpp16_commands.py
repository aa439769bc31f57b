"""Every hub -> station operation in OCPP 1.6 over a real websocket against the real hub: the CALL the
station receives and the station's answer mapped to the neutral result (spec ocpp.md §6); CALLERROR ->
FAILED, offline -> UnavailableError, silence -> HubTimeoutError; and START/STOP_SESSION through the core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import HubTimeoutError, UnavailableError
from hub.core.models import CommandResultType, SessionStatus, StationCommandReply
from hub.ocpp.simulator import SimulatedStation, StationCallError
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub

ACCEPTED = CommandResultType.ACCEPTED


@pytest.fixture
async def cp(hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    await station.connect()
    await station.boot()
    yield station
    await station.close()


def answer(payload: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _request: payload


async def test_remote_start(hub: RunningHub, cp: SimulatedStation) -> None:
    cp.handlers["RemoteStartTransaction"] = answer({"status": "Accepted"})
    reply = await hub.gateway.start_transaction("CP001", 2, OWN_TOKEN, 77)
    assert reply == StationCommandReply(result=ACCEPTED)
    assert await cp.wait_for_call("RemoteStartTransaction") == {"idTag": OWN_TOKEN, "connectorId": 2}
    cp.handlers["RemoteStartTransaction"] = answer({"status": "Rejected"})
    reply = await hub.gateway.start_transaction("CP001", None, OWN_TOKEN, 78)
    assert reply.result is CommandResultType.REJECTED
    assert await cp.wait_for_call("RemoteStartTransaction") == {"idTag": OWN_TOKEN}


async def test_remote_start_with_a_too_long_token_is_refused_without_a_call(
    hub: RunningHub, cp: SimulatedStation
) -> None:
    reply = await hub.gateway.start_transaction("CP001", 1, "X" * 21, 1)
    assert reply.result is CommandResultType.REJECTED
    assert reply.message is not None
    assert "20" in reply.message
    assert [name for name, _ in cp.received] == []


async def test_remote_stop(hub: RunningHub, cp: SimulatedStation) -> None:
    cp.handlers["RemoteStopTransaction"] = answer({"status": "Accepted"})
    assert (await hub.gateway.stop_transaction("CP001", "17")).result is ACCEPTED
    assert await cp.wait_for_call("RemoteStopTransaction") == {"transactionId": 17}
    cp.handlers["RemoteStopTransaction"] = answer({"status": "Rejected"})
    assert (await hub.gateway.stop_transaction("CP001", "18")).result is CommandResultType.REJECTED
    assert (await hub.gateway.stop_transaction("CP001", "not-a-number")).result is CommandResultType.REJECTED
    assert (await hub.gateway.stop_transaction("CP001", "-1")).result is CommandResultType.REJECTED
    assert [name for name, _ in cp.received] == ["RemoteStopTransaction", "RemoteStopTransaction"]


UNLOCK_ANSWERS = [
    ("Unlocked", CommandResultType.ACCEPTED),
    ("UnlockFailed", CommandResultType.FAILED),
    ("NotSupported", CommandResultType.NOT_SUPPORTED),
]
RESERVE_ANSWERS = [
    ("Accepted", CommandResultType.ACCEPTED),
    ("Occupied", CommandResultType.EVSE_OCCUPIED),
    ("Faulted", CommandResultType.EVSE_INOPERATIVE),
    ("Unavailable", CommandResultType.EVSE_INOPERATIVE),
    ("Rejected", CommandResultType.REJECTED),
]


async def test_unlock_connector(hub: RunningHub, cp: SimulatedStation) -> None:
    for status, result in UNLOCK_ANSWERS:
        cp.handlers["UnlockConnector"] = answer({"status": status})
        assert (await hub.gateway.unlock_connector("CP001", 2, 1)).result is result, status
        assert await cp.wait_for_call("UnlockConnector") == {"connectorId": 2}


async def test_reserve_now(hub: RunningHub, cp: SimulatedStation) -> None:
    expiry = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    for status, result in RESERVE_ANSWERS:
        cp.handlers["ReserveNow"] = answer({"status": status})
        assert (await hub.gateway.reserve_now("CP001", 5, 1, OWN_TOKEN, expiry)).result is result, status
        assert await cp.wait_for_call("ReserveNow") == {
            "connectorId": 1,
            "expiryDate": "2026-06-01T12:30:00.000Z",
            "idTag": OWN_TOKEN,
            "reservationId": 5,
        }


async def test_reserve_without_evse_uses_connector_zero(hub: RunningHub, cp: SimulatedStation) -> None:
    expiry = datetime.now(UTC) + timedelta(minutes=15)
    assert (await hub.gateway.reserve_now("CP001", 6, None, OWN_TOKEN, expiry)).result is ACCEPTED
    assert (await cp.wait_for_call("ReserveNow"))["connectorId"] == 0


async def test_cancel_reservation(hub: RunningHub, cp: SimulatedStation) -> None:
    assert (await hub.gateway.cancel_reservation("CP001", 5)).result is ACCEPTED
    assert await cp.wait_for_call("CancelReservation") == {"reservationId": 5}
    cp.handlers["CancelReservation"] = answer({"status": "Rejected"})
    assert (await hub.gateway.cancel_reservation("CP001", 6)).result is CommandResultType.REJECTED


async def test_set_charging_limit_rounds_down_to_a_tenth(hub: RunningHub, cp: SimulatedStation) -> None:
    reply = await hub.gateway.set_charging_limit("CP001", 1, "42", 3, Decimal("16.99"), "A")
    assert reply.result is ACCEPTED
    request = await cp.wait_for_call("SetChargingProfile")
    assert request == {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 3,
            "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "transactionId": 42,
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.9}],
            },
        },
    }
    cp.handlers["SetChargingProfile"] = answer({"status": "NotSupported"})
    reply = await hub.gateway.set_charging_limit("CP001", 1, None, 4, Decimal(11000), "W")
    assert reply.result is CommandResultType.NOT_SUPPORTED
    profile = (await cp.wait_for_call("SetChargingProfile"))["csChargingProfiles"]
    assert "transactionId" not in profile
    assert profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 11000.0


async def test_clear_charging_profile(hub: RunningHub, cp: SimulatedStation) -> None:
    assert (await hub.gateway.clear_charging_profile("CP001", 3)).result is ACCEPTED
    assert await cp.wait_for_call("ClearChargingProfile") == {"id": 3}
    cp.handlers["ClearChargingProfile"] = answer({"status": "Unknown"})
    reply = await hub.gateway.clear_charging_profile("CP001", 4)
    assert (reply.result, reply.message) == (CommandResultType.REJECTED, "Unknown")


async def test_get_composite_schedule(hub: RunningHub, cp: SimulatedStation) -> None:
    reply = await hub.gateway.get_composite_schedule("CP001", 1, 3600, "A")
    assert reply.result is ACCEPTED
    assert await cp.wait_for_call("GetCompositeSchedule") == {
        "connectorId": 1,
        "duration": 3600,
        "chargingRateUnit": "A",
    }
    assert reply.data is not None
    assert reply.data["unit"] == "A"
    assert reply.data["periods"] == [{"start_s": 0, "limit": Decimal("32.0")}]
    assert isinstance(reply.data["start"], datetime)
    cp.handlers["GetCompositeSchedule"] = answer({"status": "Rejected"})
    rejected = await hub.gateway.get_composite_schedule("CP001", 1, 60, None)
    assert (rejected.result, rejected.data) == (CommandResultType.REJECTED, None)
    assert await cp.wait_for_call("GetCompositeSchedule") == {"connectorId": 1, "duration": 60}


async def test_reset(hub: RunningHub, cp: SimulatedStation) -> None:
    assert (await hub.gateway.reset("CP001", hard=True)).result is ACCEPTED
    assert await cp.wait_for_call("Reset") == {"type": "Hard"}
    cp.handlers["Reset"] = answer({"status": "Rejected"})
    assert (await hub.gateway.reset("CP001", hard=False)).result is CommandResultType.REJECTED
    assert await cp.wait_for_call("Reset") == {"type": "Soft"}


async def test_change_availability(hub: RunningHub, cp: SimulatedStation) -> None:
    assert (await hub.gateway.change_availability("CP001", 1, operative=False)).result is ACCEPTED
    assert await cp.wait_for_call("ChangeAvailability") == {"connectorId": 1, "type": "Inoperative"}
    cp.handlers["ChangeAvailability"] = answer({"status": "Scheduled"})
    reply = await hub.gateway.change_availability("CP001", 0, operative=True)
    assert (reply.result, reply.message) == (ACCEPTED, "Scheduled")
    assert await cp.wait_for_call("ChangeAvailability") == {"connectorId": 0, "type": "Operative"}


async def test_trigger_message(hub: RunningHub, cp: SimulatedStation) -> None:
    assert (await hub.gateway.trigger_message("CP001", "StatusNotification", 2)).result is ACCEPTED
    assert await cp.wait_for_call("TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "connectorId": 2,
    }
    assert (await hub.gateway.trigger_message("CP001", "Heartbeat", None)).result is ACCEPTED
    assert await cp.wait_for_call("TriggerMessage") == {"requestedMessage": "Heartbeat"}
    unsupported = await hub.gateway.trigger_message("CP001", "SignV2GCertificate", None)
    assert unsupported.result is CommandResultType.NOT_SUPPORTED
    cp.handlers["TriggerMessage"] = answer({"status": "NotImplemented"})
    reply = await hub.gateway.trigger_message("CP001", "MeterValues", 1)
    assert reply.result is CommandResultType.NOT_SUPPORTED


async def test_get_and_change_configuration(hub: RunningHub, cp: SimulatedStation) -> None:
    reply = await hub.gateway.get_configuration("CP001", ["HeartbeatInterval", "NoSuchKey"])
    assert reply.result is ACCEPTED
    assert reply.data == {"HeartbeatInterval": "300"}
    assert reply.message is not None
    assert "NoSuchKey" in reply.message
    assert await cp.wait_for_call("GetConfiguration") == {"key": ["HeartbeatInterval", "NoSuchKey"]}
    everything = await hub.gateway.get_configuration("CP001", [])
    assert everything.data is not None
    assert everything.data["NumberOfConnectors"] == "2"
    assert await cp.wait_for_call("GetConfiguration") == {}

    assert (await hub.gateway.change_configuration("CP001", "HeartbeatInterval", "600")).result is ACCEPTED
    assert cp.configuration["HeartbeatInterval"] == "600"
    cp.handlers["ChangeConfiguration"] = answer({"status": "RebootRequired"})
    reply = await hub.gateway.change_configuration("CP001", "WebSocketPingInterval", "30")
    assert (reply.result, reply.message) == (ACCEPTED, "RebootRequired")
    cp.handlers["ChangeConfiguration"] = answer({"status": "NotSupported"})
    reply = await hub.gateway.change_configuration("CP001", "Unknown", "1")
    assert reply.result is CommandResultType.NOT_SUPPORTED


async def test_send_local_list_full_and_differential(hub: RunningHub, cp: SimulatedStation) -> None:
    entries = [(OWN_TOKEN, True), ("BLOCKED1", False), ("Y" * 25, True)]
    reply = await hub.gateway.send_local_list("CP001", 3, entries, full=True)
    assert reply.result is ACCEPTED
    assert reply.message is not None  # the too-long uid was left out, and said so
    assert await cp.wait_for_call("SendLocalList") == {
        "listVersion": 3,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": OWN_TOKEN, "idTagInfo": {"status": "Accepted"}},
            {"idTag": "BLOCKED1", "idTagInfo": {"status": "Blocked"}},
        ],
    }
    cp.handlers["SendLocalList"] = answer({"status": "VersionMismatch"})
    reply = await hub.gateway.send_local_list("CP001", 4, [("GONE1", False)], full=False)
    assert (reply.result, reply.message) == (CommandResultType.REJECTED, "VersionMismatch")
    assert await cp.wait_for_call("SendLocalList") == {
        "listVersion": 4,
        "updateType": "Differential",
        "localAuthorizationList": [{"idTag": "GONE1"}],
    }


async def test_data_transfer(hub: RunningHub, cp: SimulatedStation) -> None:
    cp.handlers["DataTransfer"] = answer({"status": "Accepted", "data": "pong"})
    reply = await hub.gateway.data_transfer("CP001", "com.example", "Ping", "x")
    assert (reply.result, reply.data) == (ACCEPTED, {"data": "pong"})
    assert await cp.wait_for_call("DataTransfer") == {
        "vendorId": "com.example",
        "messageId": "Ping",
        "data": "x",
    }
    cp.handlers["DataTransfer"] = answer({"status": "UnknownVendorId"})
    reply = await hub.gateway.data_transfer("CP001", "org.other", None, None)
    assert reply.result is CommandResultType.NOT_SUPPORTED
    assert await cp.wait_for_call("DataTransfer") == {"vendorId": "org.other"}


async def test_call_error_from_the_station_is_failed(hub: RunningHub, cp: SimulatedStation) -> None:
    def refuse(_request: dict[str, Any]) -> dict[str, Any]:
        raise StationCallError("InternalError", "station broke")

    cp.handlers["Reset"] = refuse
    reply = await hub.gateway.reset("CP001", hard=True)
    assert reply.result is CommandResultType.FAILED
    assert reply.message is not None
    assert "InternalError" in reply.message


async def test_invalid_answer_from_the_station_is_failed(hub: RunningHub, cp: SimulatedStation) -> None:
    cp.handlers["UnlockConnector"] = answer({"status": "Wobbly"})
    reply = await hub.gateway.unlock_connector("CP001", 1, 1)
    assert reply.result is CommandResultType.FAILED


async def test_offline_station_is_unavailable(hub: RunningHub) -> None:
    assert not hub.gateway.is_connected("CP001")
    with pytest.raises(UnavailableError):
        await hub.gateway.reset("CP001", hard=False)


async def test_silent_station_times_out(make_hub: Callable[..., Awaitable[RunningHub]]) -> None:
    hub = await make_hub(ocpp={"call_timeout": 0.3})
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as station:
        never = asyncio.Event()

        async def hang(_request: dict[str, Any]) -> dict[str, Any]:
            await never.wait()
            return {}

        station.handlers["Reset"] = hang
        with pytest.raises(HubTimeoutError):
            await hub.gateway.reset("CP001", hard=True)
        assert hub.gateway.is_connected("CP001")  # a silent answer does not end the connection
        assert (await hub.gateway.change_availability("CP001", 1, operative=True)).result is ACCEPTED


async def test_start_and_stop_session_through_the_core(hub: RunningHub, cp: SimulatedStation) -> None:
    """START_SESSION -> RemoteStartTransaction -> the station starts -> ACTIVE session; STOP_SESSION ->
    RemoteStopTransaction with the 1.6 integer id -> COMPLETED."""
    await cp.status(1, "Available")  # the hub learns the station's EVSEs from its reports
    async with hub.db.unit_of_work() as uow:
        token = await uow.tokens.get(OWN_TOKEN)
    assert token is not None
    command = await hub.core.commands.start_session(station_id="CP001", evse_uid="CP001*1", token=token)
    done = await hub.core.commands.wait_result(command.id, timeout=5)
    assert done.result is ACCEPTED
    request = await cp.wait_for_call("RemoteStartTransaction")
    assert request["idTag"] == OWN_TOKEN
    tx = await cp.wait_for_transaction(timeout=5)
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("CP001", tx.id)
    assert session is not None
    assert session.status is SessionStatus.ACTIVE

    stop = await hub.core.commands.stop_session(session_id=session.id)
    assert (await hub.core.commands.wait_result(stop.id, timeout=5)).result is ACCEPTED
    assert await cp.wait_for_call("RemoteStopTransaction") == {"transactionId": int(tx.id)}
    await cp.wait_for_transaction_end(tx.id, timeout=5)
    async with hub.db.unit_of_work() as uow:
        ended = await uow.sessions.get(session.id)
    assert ended is not None
    assert ended.status is SessionStatus.COMPLETED
