"""OCPP 2.0.1 StationCommands against a scripted connection: every CALL the hub builds is valid against the
official request schema, and every station answer maps to the right neutral result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from hub.core.errors import HubTimeoutError, UnavailableError
from hub.core.models import CommandResultType, TokenType
from hub.ocpp import schemas
from hub.ocpp.errors import CallErrorReceived
from hub.ocpp.rpc import Connection
from hub.ocpp.v201 import VERSION
from hub.ocpp.v201.commands import StationCommands

Answer = dict[str, Any] | Exception | Callable[[dict[str, Any]], dict[str, Any]]


class ScriptedConnection:
    """Answers each CALL from `answers[action]` after checking the request against its schema."""

    def __init__(self, **answers: Answer) -> None:
        self.answers = answers
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.state: dict[str, Any] = {}

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - mirrors Connection.call
    ) -> dict[str, Any]:
        schemas.validate(VERSION.schema_dir, action, "Request", payload)
        self.sent.append((action, payload))
        answer = self.answers[action]
        if isinstance(answer, Exception):
            raise answer
        response = answer(payload) if callable(answer) else answer
        schemas.validate(VERSION.schema_dir, action, "Response", response)
        return response


commands = StationCommands()


def conn_of(scripted: ScriptedConnection) -> Connection:
    return cast(Connection, scripted)


def test_commands_cover_the_station_gateway_port() -> None:
    from hub.core.ports import StationGateway

    operations = {
        name for name in vars(StationGateway) if not name.startswith("_") and name != "is_connected"
    }
    assert operations <= {name for name in dir(StationCommands) if not name.startswith("_")}
    assert isinstance(VERSION.commands, StationCommands)


@pytest.mark.parametrize(
    ("token_type", "wire_type"),
    [
        (None, "Central"),
        (TokenType.RFID, "ISO14443"),
        (TokenType.APP_USER, "Central"),
        (TokenType.OTHER, "Central"),
    ],
)
async def test_request_start_transaction(token_type: TokenType | None, wire_type: str) -> None:
    scripted = ScriptedConnection(RequestStartTransaction={"status": "Accepted", "transactionId": "tx-1"})
    reply = await commands.start_transaction(conn_of(scripted), 2, "04A1B2", 17, token_type=token_type)
    assert reply.result is CommandResultType.ACCEPTED
    assert reply.data == {"transaction_id": "tx-1"}
    assert scripted.sent == [
        (
            "RequestStartTransaction",
            {"idToken": {"idToken": "04A1B2", "type": wire_type}, "remoteStartId": 17, "evseId": 2},
        )
    ]


async def test_request_start_without_evse_lets_the_station_choose() -> None:
    scripted = ScriptedConnection(RequestStartTransaction={"status": "Rejected"})
    reply = await commands.start_transaction(conn_of(scripted), None, "x" * 36, 1)
    assert reply.result is CommandResultType.REJECTED
    assert "evseId" not in scripted.sent[0][1]


async def test_tokens_longer_than_36_are_refused_without_a_call() -> None:
    scripted = ScriptedConnection()
    reply = await commands.start_transaction(conn_of(scripted), 1, "x" * 37, 1)
    assert reply.result is CommandResultType.REJECTED
    reply = await commands.reserve_now(conn_of(scripted), 1, 1, "x" * 37, datetime(2026, 1, 1, tzinfo=UTC))
    assert reply.result is CommandResultType.REJECTED
    assert scripted.sent == []


@pytest.mark.parametrize(("status", "result"), [("Accepted", "ACCEPTED"), ("Rejected", "REJECTED")])
async def test_request_stop_transaction(status: str, result: str) -> None:
    scripted = ScriptedConnection(RequestStopTransaction={"status": status})
    reply = await commands.stop_transaction(conn_of(scripted), "c0ffee-1")
    assert reply.result == result
    assert scripted.sent == [("RequestStopTransaction", {"transactionId": "c0ffee-1"})]


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("Unlocked", CommandResultType.ACCEPTED),
        ("UnlockFailed", CommandResultType.FAILED),
        ("OngoingAuthorizedTransaction", CommandResultType.REJECTED),
        ("UnknownConnector", CommandResultType.REJECTED),
    ],
)
async def test_unlock_connector(status: str, result: CommandResultType) -> None:
    scripted = ScriptedConnection(UnlockConnector={"status": status})
    reply = await commands.unlock_connector(conn_of(scripted), 1, 2)
    assert reply.result is result
    assert scripted.sent == [("UnlockConnector", {"evseId": 1, "connectorId": 2})]


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("Accepted", CommandResultType.ACCEPTED),
        ("Occupied", CommandResultType.EVSE_OCCUPIED),
        ("Faulted", CommandResultType.EVSE_INOPERATIVE),
        ("Unavailable", CommandResultType.EVSE_INOPERATIVE),
        ("Rejected", CommandResultType.REJECTED),
    ],
)
async def test_reserve_now(status: str, result: CommandResultType) -> None:
    scripted = ScriptedConnection(ReserveNow={"status": status})
    expiry = datetime(2026, 1, 1, 13, 30, tzinfo=UTC)
    reply = await commands.reserve_now(
        conn_of(scripted), 12, None, "04A1B2", expiry, token_type=TokenType.RFID
    )
    assert reply.result is result
    assert scripted.sent == [
        (
            "ReserveNow",
            {
                "id": 12,
                "expiryDateTime": "2026-01-01T13:30:00Z",
                "idToken": {"idToken": "04A1B2", "type": "ISO14443"},
            },
        )
    ]


async def test_cancel_reservation() -> None:
    scripted = ScriptedConnection(CancelReservation={"status": "Rejected"})
    reply = await commands.cancel_reservation(conn_of(scripted), 12)
    assert reply.result is CommandResultType.REJECTED
    assert scripted.sent == [("CancelReservation", {"reservationId": 12})]


async def test_set_charging_limit_binds_a_tx_profile_to_the_transaction() -> None:
    scripted = ScriptedConnection(SetChargingProfile={"status": "Accepted"})
    reply = await commands.set_charging_limit(conn_of(scripted), 1, "tx-1", 4, Decimal("7400.19"), "w")
    assert reply.result is CommandResultType.ACCEPTED
    [(action, payload)] = scripted.sent
    assert action == "SetChargingProfile"
    assert payload == {
        "evseId": 1,
        "chargingProfile": {
            "id": 4,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "transactionId": "tx-1",
            "chargingSchedule": [
                {
                    "id": 4,
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.1}],
                }
            ],
        },
    }


async def test_set_charging_limit_without_transaction_is_a_default_profile() -> None:
    scripted = ScriptedConnection(SetChargingProfile={"status": "Rejected"})
    reply = await commands.set_charging_limit(conn_of(scripted), 2, None, 5, Decimal(16), "A")
    assert reply.result is CommandResultType.REJECTED
    profile = scripted.sent[0][1]["chargingProfile"]
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert "transactionId" not in profile


@pytest.mark.parametrize(("limit", "unit"), [(Decimal(16), "kW"), (Decimal(-1), "A")])
async def test_bad_limits_are_refused_without_a_call(limit: Decimal, unit: str) -> None:
    scripted = ScriptedConnection()
    reply = await commands.set_charging_limit(conn_of(scripted), 1, "tx", 1, limit, unit)
    assert reply.result is CommandResultType.REJECTED
    assert scripted.sent == []


@pytest.mark.parametrize(("status", "result"), [("Accepted", "ACCEPTED"), ("Unknown", "REJECTED")])
async def test_clear_charging_profile(status: str, result: str) -> None:
    scripted = ScriptedConnection(ClearChargingProfile={"status": status})
    reply = await commands.clear_charging_profile(conn_of(scripted), 4)
    assert reply.result == result
    assert scripted.sent == [("ClearChargingProfile", {"chargingProfileId": 4})]


async def test_get_composite_schedule_returns_neutral_data() -> None:
    schedule = {
        "evseId": 1,
        "duration": 600,
        "scheduleStart": "2026-01-01T12:00:00Z",
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}, {"startPeriod": 300, "limit": 10.5}],
    }
    scripted = ScriptedConnection(GetCompositeSchedule={"status": "Accepted", "schedule": schedule})
    reply = await commands.get_composite_schedule(conn_of(scripted), 1, 600, "a")
    assert reply.result is CommandResultType.ACCEPTED
    assert scripted.sent == [
        ("GetCompositeSchedule", {"evseId": 1, "duration": 600, "chargingRateUnit": "A"})
    ]
    assert reply.data is not None
    assert reply.data["start"] == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert reply.data["unit"] == "A"
    assert reply.data["periods"] == [
        {"start_s": 0, "limit": Decimal("16.0")},
        {"start_s": 300, "limit": Decimal("10.5")},
    ]


async def test_rejected_composite_schedule_has_no_data() -> None:
    scripted = ScriptedConnection(GetCompositeSchedule={"status": "Rejected"})
    reply = await commands.get_composite_schedule(conn_of(scripted), 1, 600, None)
    assert (reply.result, reply.data) == (CommandResultType.REJECTED, None)
    assert scripted.sent == [("GetCompositeSchedule", {"evseId": 1, "duration": 600})]


@pytest.mark.parametrize(
    ("hard", "status", "wire_type", "result"),
    [
        (True, "Accepted", "Immediate", "ACCEPTED"),
        (False, "Scheduled", "OnIdle", "ACCEPTED"),
        (False, "Rejected", "OnIdle", "REJECTED"),
    ],
)
async def test_reset(hard: bool, status: str, wire_type: str, result: str) -> None:
    scripted = ScriptedConnection(Reset={"status": status})
    reply = await commands.reset(conn_of(scripted), hard)
    assert reply.result == result
    assert scripted.sent == [("Reset", {"type": wire_type})]


async def test_change_availability() -> None:
    scripted = ScriptedConnection(ChangeAvailability={"status": "Scheduled"})
    assert (
        await commands.change_availability(conn_of(scripted), 2, False)
    ).result is CommandResultType.ACCEPTED
    assert (
        await commands.change_availability(conn_of(scripted), 0, True)
    ).result is CommandResultType.ACCEPTED
    assert scripted.sent == [
        ("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}}),
        ("ChangeAvailability", {"operationalStatus": "Operative"}),
    ]


async def test_trigger_message() -> None:
    scripted = ScriptedConnection(TriggerMessage={"status": "NotImplemented"})
    reply = await commands.trigger_message(conn_of(scripted), "StatusNotification", 1)
    assert reply.result is CommandResultType.NOT_SUPPORTED
    assert scripted.sent == [
        ("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1}})
    ]
    unknown = await commands.trigger_message(conn_of(scripted), "DiagnosticsUpload", None)
    assert unknown.result is CommandResultType.NOT_SUPPORTED
    assert len(scripted.sent) == 1


async def test_get_configuration_reads_variables() -> None:
    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in payload["getVariableData"]:
            known = item["variable"]["name"] == "HeartbeatInterval"
            result = {"component": item["component"], "variable": item["variable"]}
            result |= (
                {"attributeStatus": "Accepted", "attributeValue": "300"}
                if known
                else {"attributeStatus": "UnknownVariable"}
            )
            results.append(result)
        return {"getVariableResult": results}

    scripted = ScriptedConnection(GetVariables=answer)
    reply = await commands.get_configuration(conn_of(scripted), ["OCPPCommCtrlr.HeartbeatInterval", "X.Y"])
    assert reply.result is CommandResultType.ACCEPTED
    assert reply.data == {"OCPPCommCtrlr.HeartbeatInterval": "300"}
    assert reply.message == "X.Y: UnknownVariable"
    nothing = await commands.get_configuration(conn_of(scripted), ["X.Y"])
    assert (nothing.result, nothing.data) == (CommandResultType.REJECTED, {})


async def test_get_configuration_without_keys_asks_for_a_base_report() -> None:
    scripted = ScriptedConnection(GetBaseReport={"status": "Accepted"})
    first = await commands.get_configuration(conn_of(scripted), [])
    second = await commands.get_configuration(conn_of(scripted), [])
    assert first.result is CommandResultType.ACCEPTED
    assert [payload["requestId"] for _, payload in scripted.sent] == [1, 2]
    assert first.data == {"request_id": 1}
    assert second.data == {"request_id": 2}


async def test_get_configuration_refuses_malformed_keys() -> None:
    scripted = ScriptedConnection()
    reply = await commands.get_configuration(conn_of(scripted), ["HeartbeatInterval"])
    assert reply.result is CommandResultType.REJECTED
    assert scripted.sent == []


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("Accepted", CommandResultType.ACCEPTED),
        ("RebootRequired", CommandResultType.ACCEPTED),
        ("Rejected", CommandResultType.REJECTED),
        ("UnknownVariable", CommandResultType.NOT_SUPPORTED),
    ],
)
async def test_change_configuration(status: str, result: CommandResultType) -> None:
    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        [item] = payload["setVariableData"]
        return {
            "setVariableResult": [
                {"attributeStatus": status, "component": item["component"], "variable": item["variable"]}
            ]
        }

    scripted = ScriptedConnection(SetVariables=answer)
    reply = await commands.change_configuration(conn_of(scripted), "OCPPCommCtrlr.HeartbeatInterval", "600")
    assert reply.result is result
    assert reply.message == status
    assert scripted.sent == [
        (
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "attributeValue": "600",
                    }
                ]
            },
        )
    ]


@pytest.mark.parametrize(
    ("status", "result"),
    [("Accepted", "ACCEPTED"), ("Failed", "FAILED"), ("VersionMismatch", "REJECTED")],
)
async def test_send_local_list(status: str, result: str) -> None:
    scripted = ScriptedConnection(SendLocalList={"status": status})
    reply = await commands.send_local_list(
        conn_of(scripted), 3, [("04A1", True), ("DEAD", False)], full=False
    )
    assert reply.result == result
    assert scripted.sent == [
        (
            "SendLocalList",
            {
                "versionNumber": 3,
                "updateType": "Differential",
                "localAuthorizationList": [
                    {
                        "idToken": {"idToken": "04A1", "type": "ISO14443"},
                        "idTokenInfo": {"status": "Accepted"},
                    },
                    {
                        "idToken": {"idToken": "DEAD", "type": "ISO14443"},
                        "idTokenInfo": {"status": "Blocked"},
                    },
                ],
            },
        )
    ]


async def test_empty_full_local_list_clears_the_list() -> None:
    scripted = ScriptedConnection(SendLocalList={"status": "Accepted"})
    await commands.send_local_list(conn_of(scripted), 4, [], full=True)
    assert scripted.sent == [("SendLocalList", {"versionNumber": 4, "updateType": "Full"})]


@pytest.mark.parametrize(
    ("status", "result"),
    [("Accepted", "ACCEPTED"), ("Rejected", "REJECTED"), ("UnknownVendorId", "NOT_SUPPORTED")],
)
async def test_data_transfer(status: str, result: str) -> None:
    scripted = ScriptedConnection(DataTransfer={"status": status, "data": "pong"})
    reply = await commands.data_transfer(conn_of(scripted), "com.acme", "ping", "hello")
    assert reply.result == result
    assert reply.data == {"data": "pong"}
    assert scripted.sent == [("DataTransfer", {"vendorId": "com.acme", "messageId": "ping", "data": "hello"})]


async def test_a_call_error_from_the_station_is_a_failed_command() -> None:
    scripted = ScriptedConnection(UnlockConnector=CallErrorReceived("NotSupported", "no motor"))
    reply = await commands.unlock_connector(conn_of(scripted), 1, 1)
    assert reply.result is CommandResultType.FAILED
    assert reply.message == "NotSupported: no motor"


@pytest.mark.parametrize("error", [UnavailableError("gone"), HubTimeoutError("slow")])
async def test_transport_failures_propagate(error: Exception) -> None:
    scripted = ScriptedConnection(Reset=error)
    with pytest.raises(type(error)):
        await commands.reset(conn_of(scripted), hard=True)
