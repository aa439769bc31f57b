"""OCPP 2.0.1 station commands: every `hub.core.ports.StationGateway` operation as a 2.0.1 CALL, the
station's answer mapped to a neutral `StationCommandReply`.

Imports the standard library, hub.core, hub.ocpp.rpc/errors and this version's mapping/policy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.core.models import CommandResultType, StationCommandReply, TokenType
from hub.ocpp.errors import OcppCallError
from hub.ocpp.rpc import Connection
from hub.ocpp.v201 import mapping, policy

Payload = dict[str, Any]

# conn.state key of the per-connection counter for GetBaseReport requestIds.
REQUEST_IDS = "v201.request_ids"


def _refused(message: str) -> StationCommandReply:
    # The hub will not send a CALL the station's schema forbids (e.g. a 37-character token).
    return StationCommandReply(result=CommandResultType.REJECTED, message=message)


def _failed(exc: OcppCallError) -> StationCommandReply:
    # A CALLERROR from the station, or an answer that violates its schema: the command FAILED (spec notes §6).
    return StationCommandReply(
        result=CommandResultType.FAILED,
        message=f"{exc.code}: {exc.description}" if exc.description else exc.code,
    )


class StationCommands:
    """The hub -> station side of OCPP 2.0.1. Every method takes the station's live `Connection`; it raises
    UnavailableError (closed) and HubTimeoutError (no answer) from `Connection.call` unchanged."""

    async def _call(self, conn: Connection, action: str, payload: Payload) -> Payload | StationCommandReply:
        try:
            return await conn.call(action, payload)
        except OcppCallError as exc:
            return _failed(exc)

    async def _status_call(
        self,
        conn: Connection,
        action: str,
        payload: Payload,
        results: Any,
    ) -> StationCommandReply:
        response = await self._call(conn, action, payload)
        if isinstance(response, StationCommandReply):
            return response
        return mapping.to_command_reply(response, results)

    # --- sessions --------------------------------------------------------------------------------

    async def start_transaction(
        self,
        conn: Connection,
        evse_no: int | None,
        token_uid: str,
        remote_start_id: int,
        *,
        token_type: TokenType | None = None,
    ) -> StationCommandReply:
        """RequestStartTransaction. Without `token_type` the token is hub-injected: type `Central`."""
        try:
            id_token = mapping.to_id_token(token_uid, token_type)
        except ValueError as exc:
            return _refused(str(exc))
        payload: Payload = {"idToken": id_token, "remoteStartId": remote_start_id}
        if evse_no is not None:
            payload["evseId"] = evse_no
        response = await self._call(conn, "RequestStartTransaction", payload)
        if isinstance(response, StationCommandReply):
            return response
        data = {"transaction_id": response["transactionId"]} if response.get("transactionId") else None
        return mapping.to_command_reply(response, mapping.START_STOP_RESULTS, data)

    async def stop_transaction(self, conn: Connection, transaction_id: str) -> StationCommandReply:
        if not transaction_id or len(transaction_id) > policy.TRANSACTION_ID_MAX_LENGTH:
            return _refused(f"transactionId must be 1..{policy.TRANSACTION_ID_MAX_LENGTH} characters")
        return await self._status_call(
            conn, "RequestStopTransaction", {"transactionId": transaction_id}, mapping.START_STOP_RESULTS
        )

    async def unlock_connector(
        self, conn: Connection, evse_no: int, connector_no: int
    ) -> StationCommandReply:
        return await self._status_call(
            conn, "UnlockConnector", {"evseId": evse_no, "connectorId": connector_no}, mapping.UNLOCK_RESULTS
        )

    # --- reservations ----------------------------------------------------------------------------

    async def reserve_now(
        self,
        conn: Connection,
        reservation_id: int,
        evse_no: int | None,
        token_uid: str,
        expiry: datetime,
        *,
        token_type: TokenType | None = None,
    ) -> StationCommandReply:
        """ReserveNow; without `evse_no` the station picks an EVSE (evseId omitted)."""
        try:
            id_token = mapping.to_id_token(token_uid, token_type)
        except ValueError as exc:
            return _refused(str(exc))
        payload: Payload = {
            "id": reservation_id,
            "expiryDateTime": mapping.format_timestamp(expiry),
            "idToken": id_token,
        }
        if evse_no is not None:
            payload["evseId"] = evse_no
        return await self._status_call(conn, "ReserveNow", payload, mapping.RESERVE_RESULTS)

    async def cancel_reservation(self, conn: Connection, reservation_id: int) -> StationCommandReply:
        return await self._status_call(
            conn, "CancelReservation", {"reservationId": reservation_id}, mapping.START_STOP_RESULTS
        )

    # --- smart charging --------------------------------------------------------------------------

    async def set_charging_limit(
        self,
        conn: Connection,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        """SetChargingProfile: a TxProfile bound to the transaction (TxDefaultProfile on the EVSE when no
        transaction id is known), one period from the start, limit rounded down to one decimal."""
        unit = unit.upper()
        if unit not in policy.CHARGING_RATE_UNITS:
            return _refused(f"charging rate unit must be W or A, not {unit!r}")
        if limit < 0:
            return _refused("charging limit must not be negative")
        profile: Payload = {
            "id": profile_id,
            "stackLevel": policy.CHARGING_PROFILE_STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile" if transaction_id else "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": [
                {
                    "id": profile_id,
                    "chargingRateUnit": unit,
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": mapping.to_wire_limit(limit)}],
                }
            ],
        }
        if transaction_id:
            profile["transactionId"] = transaction_id
        return await self._status_call(
            conn,
            "SetChargingProfile",
            {"evseId": evse_no, "chargingProfile": profile},
            mapping.GENERIC_RESULTS,
        )

    async def clear_charging_profile(self, conn: Connection, profile_id: int) -> StationCommandReply:
        return await self._status_call(
            conn, "ClearChargingProfile", {"chargingProfileId": profile_id}, mapping.CLEAR_PROFILE_RESULTS
        )

    async def get_composite_schedule(
        self, conn: Connection, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        payload: Payload = {"evseId": evse_no, "duration": duration_s}
        if unit is not None:
            if unit.upper() not in policy.CHARGING_RATE_UNITS:
                return _refused(f"charging rate unit must be W or A, not {unit!r}")
            payload["chargingRateUnit"] = unit.upper()
        response = await self._call(conn, "GetCompositeSchedule", payload)
        if isinstance(response, StationCommandReply):
            return response
        schedule = response.get("schedule")
        data = None
        if response.get("status") == "Accepted" and schedule is not None:
            try:
                data = mapping.to_composite_schedule(schedule)
            except mapping.WireValueError as exc:
                return StationCommandReply(
                    result=CommandResultType.FAILED, message=f"unreadable schedule: {exc}"
                )
        return mapping.to_command_reply(response, mapping.GENERIC_RESULTS, data)

    # --- station management ----------------------------------------------------------------------

    async def reset(self, conn: Connection, hard: bool) -> StationCommandReply:
        # Immediate ends transactions now; OnIdle waits until they are over (2.0.1 B11/B12).
        return await self._status_call(
            conn, "Reset", {"type": "Immediate" if hard else "OnIdle"}, mapping.SCHEDULED_RESULTS
        )

    async def change_availability(
        self, conn: Connection, evse_no: int, operative: bool
    ) -> StationCommandReply:
        payload: Payload = {"operationalStatus": "Operative" if operative else "Inoperative"}
        if evse_no:  # evse_no 0 = the whole station: `evse` omitted
            payload["evse"] = {"id": evse_no}
        return await self._status_call(conn, "ChangeAvailability", payload, mapping.SCHEDULED_RESULTS)

    async def trigger_message(
        self, conn: Connection, message: str, evse_no: int | None
    ) -> StationCommandReply:
        requested = policy.TRIGGER_MESSAGES.get(message)
        if requested is None:
            return StationCommandReply(
                result=CommandResultType.NOT_SUPPORTED, message=f"OCPP 2.0.1 cannot trigger {message!r}"
            )
        payload: Payload = {"requestedMessage": requested}
        if evse_no:
            payload["evse"] = {"id": evse_no}
        return await self._status_call(conn, "TriggerMessage", payload, mapping.TRIGGER_RESULTS)

    async def get_configuration(self, conn: Connection, keys: Sequence[str]) -> StationCommandReply:
        """GetVariables for `Component.Variable` keys; `data` maps each readable key to its value. With no
        keys, a GetBaseReport(ConfigurationInventory) is requested: the values arrive as NotifyReport."""
        if not keys:
            return await self._base_report(conn)
        try:
            entries = [mapping.parse_variable_key(key) for key in keys]
        except ValueError as exc:
            return _refused(str(exc))
        response = await self._call(conn, "GetVariables", {"getVariableData": entries})
        if isinstance(response, StationCommandReply):
            return response
        values: dict[str, Any] = {}
        problems: list[str] = []
        for result in response["getVariableResult"]:
            key = mapping.variable_key(result["component"], result["variable"])
            if result["attributeStatus"] == "Accepted":
                values[key] = result.get("attributeValue")
            else:
                problems.append(f"{key}: {result['attributeStatus']}")
        ok = bool(values)
        return StationCommandReply(
            result=CommandResultType.ACCEPTED if ok else CommandResultType.REJECTED,
            message="; ".join(problems) or None,
            data=values,
        )

    async def _base_report(self, conn: Connection) -> StationCommandReply:
        counter = conn.state.setdefault(REQUEST_IDS, itertools.count(1))
        request_id = next(counter)
        payload = {"requestId": request_id, "reportBase": policy.FULL_CONFIGURATION_REPORT}
        response = await self._call(conn, "GetBaseReport", payload)
        if isinstance(response, StationCommandReply):
            return response
        return mapping.to_command_reply(response, mapping.BASE_REPORT_RESULTS, {"request_id": request_id})

    async def change_configuration(self, conn: Connection, key: str, value: str) -> StationCommandReply:
        """SetVariables for one `Component.Variable` key; RebootRequired is ACCEPTED (the message says so)."""
        try:
            entry = mapping.parse_variable_key(key)
        except ValueError as exc:
            return _refused(str(exc))
        if len(value) > 1000:
            return _refused("attributeValue is at most 1000 characters")
        response = await self._call(
            conn, "SetVariables", {"setVariableData": [entry | {"attributeValue": value}]}
        )
        if isinstance(response, StationCommandReply):
            return response
        results = response["setVariableResult"]
        status = results[0]["attributeStatus"] if results else "Rejected"
        return mapping.to_command_reply(
            {"status": status, "statusInfo": results[0].get("attributeStatusInfo") if results else None},
            mapping.SET_VARIABLE_RESULTS,
        )

    async def send_local_list(
        self, conn: Connection, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        """SendLocalList: accepted entries as Accepted, the others Blocked (refused offline too)."""
        items = []
        for uid, accepted in entries:
            try:
                id_token = mapping.to_id_token(uid, TokenType.RFID)
            except ValueError as exc:
                return _refused(str(exc))
            items.append(
                {"idToken": id_token, "idTokenInfo": {"status": "Accepted" if accepted else "Blocked"}}
            )
        payload: Payload = {"versionNumber": version, "updateType": "Full" if full else "Differential"}
        if items:
            payload["localAuthorizationList"] = items
        return await self._status_call(conn, "SendLocalList", payload, mapping.LOCAL_LIST_RESULTS)

    async def data_transfer(
        self, conn: Connection, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        payload: Payload = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        response = await self._call(conn, "DataTransfer", payload)
        if isinstance(response, StationCommandReply):
            return response
        reply_data = {"data": response["data"]} if "data" in response else None
        return mapping.to_command_reply(response, mapping.DATA_TRANSFER_RESULTS, reply_data)
