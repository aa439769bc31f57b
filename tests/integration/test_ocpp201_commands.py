"""Hub -> OCPP 2.0.1 station commands over a real websocket against the real app (SQLite and PostgreSQL):
every StationGateway operation with the CALL the station receives and its answers mapped to neutral results,
plus the core's command service (reserve, cancel, unlock, charging limit) end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import HubTimeoutError, UnavailableError
from hub.core.models import CommandResultType, SessionStatus
from hub.ocpp.simulator import OCPP201, SimulatedStation, StationCallError
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub


async def connect(hub: RunningHub) -> SimulatedStation:
    station = SimulatedStation(hub.ws_url(), "CP001", OCPP201, password=CP001_PASSWORD)
    await station.connect()
    assert (await station.boot())["status"] == "Accepted"
    await station.status(1, "Available")
    await station.status(2, "Available")
    return station


@pytest.fixture
async def station(hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = await connect(hub)
    yield station
    await station.close()


def answer(response: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _payload: response


async def test_request_start_and_stop_transaction(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.start_transaction("CP001", 2, OWN_TOKEN, 41)
    assert reply.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("RequestStartTransaction") == {
        "idToken": {"idToken": OWN_TOKEN, "type": "Central"},
        "remoteStartId": 41,
        "evseId": 2,
    }
    tx = await station.wait_for_transaction(2, remote_start_id=41)
    reply = await hub.gateway.stop_transaction("CP001", tx.id)
    assert reply.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("RequestStopTransaction") == {"transactionId": tx.id}
    await station.wait_for_transaction_end(tx.id)
    rejected = await hub.gateway.stop_transaction("CP001", "no-such-transaction")
    assert rejected.result is CommandResultType.REJECTED


# One hub per test, every answer in turn: the per-status tables are unit-tested; this proves the wire path.
UNLOCK_ANSWERS = [
    ("Unlocked", CommandResultType.ACCEPTED),
    ("UnlockFailed", CommandResultType.FAILED),
    ("OngoingAuthorizedTransaction", CommandResultType.REJECTED),
    ("UnknownConnector", CommandResultType.REJECTED),
]
RESERVE_ANSWERS = [
    ("Accepted", CommandResultType.ACCEPTED),
    ("Occupied", CommandResultType.EVSE_OCCUPIED),
    ("Faulted", CommandResultType.EVSE_INOPERATIVE),
    ("Unavailable", CommandResultType.EVSE_INOPERATIVE),
    ("Rejected", CommandResultType.REJECTED),
]


async def test_unlock_connector(hub: RunningHub, station: SimulatedStation) -> None:
    for status, result in UNLOCK_ANSWERS:
        station.handlers["UnlockConnector"] = answer({"status": status})
        reply = await hub.gateway.unlock_connector("CP001", 2, 1)
        assert reply.result is result, status
        assert await station.wait_for_call("UnlockConnector") == {"evseId": 2, "connectorId": 1}


async def test_reserve_now(hub: RunningHub, station: SimulatedStation) -> None:
    expiry = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    for number, (status, result) in enumerate(RESERVE_ANSWERS, start=1):
        station.handlers["ReserveNow"] = answer({"status": status})
        reply = await hub.gateway.reserve_now("CP001", number, 1, OWN_TOKEN, expiry)
        assert reply.result is result, status
        assert await station.wait_for_call("ReserveNow") == {
            "id": number,
            "expiryDateTime": "2030-01-01T12:00:00Z",
            "idToken": {"idToken": OWN_TOKEN, "type": "Central"},
            "evseId": 1,
        }


async def test_cancel_reservation(hub: RunningHub, station: SimulatedStation) -> None:
    assert (await hub.gateway.cancel_reservation("CP001", 9)).result is CommandResultType.ACCEPTED
    station.handlers["CancelReservation"] = answer({"status": "Rejected"})
    assert (await hub.gateway.cancel_reservation("CP001", 10)).result is CommandResultType.REJECTED
    assert [p for a, p in station.received if a == "CancelReservation"] == [
        {"reservationId": 9},
        {"reservationId": 10},
    ]


async def test_set_and_clear_charging_profile(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.set_charging_limit("CP001", 1, "tx-1", 3, Decimal("11.06"), "A")
    assert reply.result is CommandResultType.ACCEPTED
    request = await station.wait_for_call("SetChargingProfile")
    assert request == {
        "evseId": 1,
        "chargingProfile": {
            "id": 3,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": [
                {
                    "id": 3,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11.0}],
                }
            ],
            "transactionId": "tx-1",
        },
    }
    station.handlers["ClearChargingProfile"] = answer({"status": "Unknown"})
    cleared = await hub.gateway.clear_charging_profile("CP001", 3)
    assert cleared.result is CommandResultType.REJECTED
    assert await station.wait_for_call("ClearChargingProfile") == {"chargingProfileId": 3}


async def test_get_composite_schedule(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.get_composite_schedule("CP001", 1, 3600, "W")
    assert reply.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("GetCompositeSchedule") == {
        "evseId": 1,
        "duration": 3600,
        "chargingRateUnit": "W",
    }
    assert reply.data is not None
    assert reply.data["unit"] == "W"
    assert reply.data["periods"] == [{"start_s": 0, "limit": Decimal("22000.0")}]
    assert abs(reply.data["start"] - datetime.now(UTC)) < timedelta(minutes=1)


async def test_reset(hub: RunningHub, station: SimulatedStation) -> None:
    assert (await hub.gateway.reset("CP001", hard=True)).result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("Reset") == {"type": "Immediate"}
    station.handlers["Reset"] = answer({"status": "Scheduled"})
    assert (await hub.gateway.reset("CP001", hard=False)).result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("Reset") == {"type": "OnIdle"}
    station.handlers["Reset"] = answer({"status": "Rejected"})
    assert (await hub.gateway.reset("CP001", hard=False)).result is CommandResultType.REJECTED


async def test_change_availability(hub: RunningHub, station: SimulatedStation) -> None:
    assert (await hub.gateway.change_availability("CP001", 2, False)).result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("ChangeAvailability") == {
        "operationalStatus": "Inoperative",
        "evse": {"id": 2},
    }
    station.handlers["ChangeAvailability"] = answer({"status": "Rejected"})
    assert (await hub.gateway.change_availability("CP001", 0, True)).result is CommandResultType.REJECTED
    assert await station.wait_for_call("ChangeAvailability") == {"operationalStatus": "Operative"}


async def test_trigger_message_makes_the_station_report(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.trigger_message("CP001", "StatusNotification", 2)
    assert reply.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "evse": {"id": 2},
    }
    station.handlers["TriggerMessage"] = answer({"status": "NotImplemented"})
    reply = await hub.gateway.trigger_message("CP001", "MeterValues", None)
    assert reply.result is CommandResultType.NOT_SUPPORTED


async def test_get_and_change_configuration(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.change_configuration("CP001", "OCPPCommCtrlr.HeartbeatInterval", "900")
    assert reply.result is CommandResultType.ACCEPTED
    assert station.variables[("OCPPCommCtrlr", "HeartbeatInterval")] == "900"
    reply = await hub.gateway.get_configuration(
        "CP001", ["OCPPCommCtrlr.HeartbeatInterval", "AuthCtrlr.AuthorizeRemoteStart", "Nope.Nothing"]
    )
    assert reply.result is CommandResultType.ACCEPTED
    assert reply.data == {"OCPPCommCtrlr.HeartbeatInterval": "900", "AuthCtrlr.AuthorizeRemoteStart": "false"}
    assert reply.message == "Nope.Nothing: UnknownVariable"
    everything = await hub.gateway.get_configuration("CP001", [])
    assert everything.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("GetBaseReport") == {
        "requestId": 1,
        "reportBase": "ConfigurationInventory",
    }


async def test_send_local_list(hub: RunningHub, station: SimulatedStation) -> None:
    reply = await hub.gateway.send_local_list("CP001", 5, [(OWN_TOKEN, True), ("B10C4ED", False)], True)
    assert reply.result is CommandResultType.ACCEPTED
    assert await station.wait_for_call("SendLocalList") == {
        "versionNumber": 5,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idToken": {"idToken": OWN_TOKEN, "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}},
            {"idToken": {"idToken": "B10C4ED", "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}},
        ],
    }
    station.handlers["SendLocalList"] = answer({"status": "VersionMismatch"})
    assert (await hub.gateway.send_local_list("CP001", 6, [], False)).result is CommandResultType.REJECTED


async def test_data_transfer(hub: RunningHub, station: SimulatedStation) -> None:
    station.handlers["DataTransfer"] = answer({"status": "Accepted", "data": {"echo": "hello"}})
    reply = await hub.gateway.data_transfer("CP001", "com.example", "echo", "hello")
    assert reply.result is CommandResultType.ACCEPTED
    assert reply.data == {"data": {"echo": "hello"}}
    assert await station.wait_for_call("DataTransfer") == {
        "vendorId": "com.example",
        "messageId": "echo",
        "data": "hello",
    }


# --- failures ---------------------------------------------------------------------------------------


async def test_a_call_error_from_the_station_is_a_failed_command(
    hub: RunningHub, station: SimulatedStation
) -> None:
    def refuse(_payload: dict[str, Any]) -> dict[str, Any]:
        raise StationCallError("InternalError", "motor controller offline")

    station.handlers["UnlockConnector"] = refuse
    reply = await hub.gateway.unlock_connector("CP001", 1, 1)
    assert reply.result is CommandResultType.FAILED
    assert reply.message == "InternalError: motor controller offline"


async def test_an_answer_that_breaks_the_schema_is_a_failed_command(
    hub: RunningHub, station: SimulatedStation
) -> None:
    station.handlers["Reset"] = answer({"status": "Maybe"})
    reply = await hub.gateway.reset("CP001", hard=False)
    assert reply.result is CommandResultType.FAILED


async def test_commands_to_a_disconnected_station_are_unavailable(hub: RunningHub) -> None:
    station = await connect(hub)
    await station.close()
    with pytest.raises(UnavailableError):
        await hub.gateway.reset("CP001", hard=True)


async def test_a_station_that_never_answers_times_out(make_hub: Any) -> None:
    hub = await make_hub(ocpp={"call_timeout": 0.3})
    station = await connect(hub)
    never = asyncio.Event()

    async def silent(_payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return {}

    station.handlers["Reset"] = silent
    try:
        with pytest.raises(HubTimeoutError):
            await hub.gateway.reset("CP001", hard=True)
        assert "currentTime" in await station.heartbeat()  # the connection stays usable
    finally:
        await station.close()


# --- through the core's command service --------------------------------------------------------------


async def test_reserve_and_cancel_through_the_core(hub: RunningHub, station: SimulatedStation) -> None:
    async with hub.db.unit_of_work() as uow:
        token = await uow.tokens.get(OWN_TOKEN)
    assert token is not None
    expiry = datetime.now(UTC) + timedelta(minutes=30)
    reserved = await hub.core.commands.reserve_now(
        evse_uid="CP001*2", token=token, expiry=expiry, reservation_id="RES-1"
    )
    request = await station.wait_for_call("ReserveNow")
    assert request["id"] == reserved.station_reservation_id
    assert request["evseId"] == 2
    assert (await hub.core.commands.wait_result(reserved.id, 5)).result is CommandResultType.ACCEPTED
    cancel = await hub.core.commands.cancel_reservation(reservation_id="RES-1")
    assert await station.wait_for_call("CancelReservation") == {
        "reservationId": reserved.station_reservation_id
    }
    assert (await hub.core.commands.wait_result(cancel.id, 5)).result is CommandResultType.ACCEPTED


async def test_unlock_through_the_core(hub: RunningHub, station: SimulatedStation) -> None:
    station.handlers["UnlockConnector"] = answer({"status": "UnlockFailed"})
    command = await hub.core.commands.unlock_connector(evse_uid="CP001*1", connector_id="1")
    assert await station.wait_for_call("UnlockConnector") == {"evseId": 1, "connectorId": 1}
    assert (await hub.core.commands.wait_result(command.id, 5)).result is CommandResultType.FAILED


async def test_charging_limit_through_the_core_binds_the_transaction(
    hub: RunningHub, station: SimulatedStation
) -> None:
    tx_id = await station.start(1, OWN_TOKEN)
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("CP001", tx_id)
    assert session is not None
    assert session.status is SessionStatus.ACTIVE
    command = await hub.core.commands.set_charging_limit(session_id=session.id, limit=Decimal(7400), unit="W")
    request = await station.wait_for_call("SetChargingProfile")
    assert request["evseId"] == 1
    assert request["chargingProfile"]["transactionId"] == tx_id
    assert request["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 7400.0}
    ]
    assert (await hub.core.commands.wait_result(command.id, 5)).result is CommandResultType.ACCEPTED
