"""How a simulated station answers the hub's CALLs by default, and what it does after answering.

Imports the standard library and the simulator's own modules only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.ocpp.simulator.common import (
    AfterHook,
    Handler,
    format_timestamp,
)

if TYPE_CHECKING:
    from hub.ocpp.simulator.station import SimulatedStation


def default_handlers(station: SimulatedStation) -> dict[str, Handler]:
    """What a compliant station answers to each hub CALL (tests override single entries)."""
    accepted: Handler = lambda _payload: {"status": "Accepted"}  # noqa: E731

    def remote_stop(payload: dict[str, Any]) -> dict[str, Any]:
        known = station._active(str(payload.get("transactionId"))) is not None
        return {"status": "Accepted" if known else "Rejected"}

    def get_configuration(payload: dict[str, Any]) -> dict[str, Any]:
        keys = payload.get("key") or list(station.configuration)
        known = [
            {"key": k, "readonly": False, "value": station.configuration[k]}
            for k in keys
            if k in station.configuration
        ]
        unknown = [k for k in keys if k not in station.configuration]
        return {"configurationKey": known, "unknownKey": unknown} if unknown else {"configurationKey": known}

    def change_configuration(payload: dict[str, Any]) -> dict[str, Any]:
        station.configuration[str(payload["key"])] = str(payload["value"])
        return {"status": "Accepted"}

    def get_variables(payload: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in payload.get("getVariableData", []):
            key = (item["component"]["name"], item["variable"]["name"])
            result: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
            if key in station.variables:
                result |= {"attributeStatus": "Accepted", "attributeValue": station.variables[key]}
            else:
                result["attributeStatus"] = "UnknownVariable"
            results.append(result)
        return {"getVariableResult": results}

    def set_variables(payload: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in payload.get("setVariableData", []):
            key = (item["component"]["name"], item["variable"]["name"])
            station.variables[key] = str(item["attributeValue"])
            results.append(
                {
                    "attributeStatus": "Accepted",
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return {"setVariableResult": results}

    def composite_schedule(payload: dict[str, Any]) -> dict[str, Any]:
        unit = payload.get("chargingRateUnit") or "A"
        periods = [{"startPeriod": 0, "limit": 32.0 if unit == "A" else 22000.0}]
        start = format_timestamp(station.clock())
        if station.is_v201:
            schedule = {
                "evseId": payload.get("evseId", 0),
                "duration": payload.get("duration", 0),
                "scheduleStart": start,
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods,
            }
            return {"status": "Accepted", "schedule": schedule}
        return {
            "status": "Accepted",
            "connectorId": payload.get("connectorId", 0),
            "scheduleStart": start,
            "chargingSchedule": {
                "duration": payload.get("duration", 0),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods,
            },
        }

    return {
        # OCPP 1.6
        "RemoteStartTransaction": accepted,
        "RemoteStopTransaction": remote_stop,
        "GetConfiguration": get_configuration,
        "ChangeConfiguration": change_configuration,
        "GetLocalListVersion": lambda _p: {"listVersion": 0},
        "GetDiagnostics": lambda _p: {},
        "UpdateFirmware": lambda _p: {},
        # OCPP 2.0.1
        "RequestStartTransaction": accepted,
        "RequestStopTransaction": remote_stop,
        "GetVariables": get_variables,
        "SetVariables": set_variables,
        "GetTransactionStatus": lambda _p: {"messagesInQueue": False, "ongoingIndicator": False},
        "GetBaseReport": accepted,
        # both
        "Reset": accepted,
        "UnlockConnector": lambda _p: {"status": "Unlocked"},
        "ReserveNow": accepted,
        "CancelReservation": accepted,
        "ChangeAvailability": accepted,
        "TriggerMessage": accepted,
        "SetChargingProfile": accepted,
        "ClearChargingProfile": accepted,
        "GetCompositeSchedule": composite_schedule,
        "SendLocalList": accepted,
        "ClearCache": accepted,
        "DataTransfer": accepted,
    }


def default_after_hooks(station: SimulatedStation) -> dict[str, AfterHook]:
    """What a station does after it answered: start or stop a remotely started transaction, resend a
    triggered message."""

    async def remote_start_16(request: dict[str, Any], response: dict[str, Any]) -> None:
        if response.get("status") != "Accepted":
            return
        evse = int(request.get("connectorId") or station._free_evse())
        await station.status(evse, "Preparing")
        await station.start(evse, str(request["idTag"]))
        await station.status(evse, "Charging")

    async def request_start_201(request: dict[str, Any], response: dict[str, Any]) -> None:
        if response.get("status") != "Accepted":
            return
        evse = int(request.get("evseId") or station._free_evse())
        token = request["idToken"]
        await station.status(evse, "Occupied")
        await station.start(
            evse,
            str(token["idToken"]),
            remote_start_id=request.get("remoteStartId"),
            token_type=str(token["type"]),
        )

    async def remote_stop(request: dict[str, Any], response: dict[str, Any]) -> None:
        tx = station._active(str(request.get("transactionId")))
        if response.get("status") != "Accepted" or tx is None:
            return
        await station.stop(tx.id, reason="Remote")
        await station.status(tx.evse, "Finishing")
        await station.status(tx.evse, "Available")

    async def trigger(request: dict[str, Any], response: dict[str, Any]) -> None:
        if response.get("status") != "Accepted":
            return
        message = request.get("requestedMessage")
        if message == "Heartbeat":
            await station.heartbeat()
        elif message == "BootNotification":
            await station.boot(reason="Triggered")
        elif message == "StatusNotification":
            evse_field = request.get("evse") if station.is_v201 else None
            wanted = evse_field.get("id") if isinstance(evse_field, dict) else request.get("connectorId")
            busy = {tx.evse for tx in station.transactions.values() if not tx.ended}
            for evse in [int(wanted)] if wanted is not None else range(1, station.connectors + 1):
                await station.status(evse, "Charging" if evse in busy else "Available")

    return {
        "RemoteStartTransaction": remote_start_16,
        "RequestStartTransaction": request_start_201,
        "RemoteStopTransaction": remote_stop,
        "RequestStopTransaction": remote_stop,
        "TriggerMessage": trigger,
    }
