"""Every `StationGateway` operation in OCPP 1.6 terms: neutral arguments -> the 1.6 CALL, the station's answer
-> a neutral `StationCommandReply` (spec ocpp.md §6). A CALLERROR or an invalid answer is FAILED; not
connected / no answer in time propagate as UnavailableError / HubTimeoutError.

Imports the standard library, hub.core, hub.ocpp.rpc/errors and this version's mapping/policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.core.models import CommandResultType, StationCommandReply
from hub.ocpp.errors import OcppCallError
from hub.ocpp.rpc import Connection
from hub.ocpp.v16 import mapping, policy

Payload = dict[str, Any]


def _refused(message: str, result: CommandResultType = CommandResultType.REJECTED) -> StationCommandReply:
    return StationCommandReply(result=result, message=message)


async def _call(conn: Connection, action: str, payload: Payload) -> Payload | StationCommandReply:
    """The station's answer, or FAILED when it answered with a CALLERROR or an invalid payload."""
    try:
        return await conn.call(action, payload)
    except OcppCallError as exc:
        return StationCommandReply(
            result=CommandResultType.FAILED, message=f"{exc.code}: {exc.description}"[:255]
        )


async def _status_call(
    conn: Connection, action: str, payload: Payload, table: Mapping[str, CommandResultType]
) -> StationCommandReply:
    answer = await _call(conn, action, payload)
    if isinstance(answer, StationCommandReply):
        return answer
    return mapping.to_reply(table, answer["status"])


def _int_transaction_id(transaction_id: str | None) -> int | None:
    number = mapping.wire_transaction_id(transaction_id)
    if number is None or number in policy.PLACEHOLDER_TRANSACTION_IDS or number > policy.TRANSACTION_ID_MAX:
        return None
    return number


class StationCommands:
    """OCPP 1.6 strategy of the gateway: one method per StationGateway operation, `conn` instead of the id."""

    async def start_transaction(
        self, conn: Connection, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply:
        # 1.6 echoes no remote-start id: the core matches the next StartTransaction on (station, connector,
        # idTag). idTag is CiString20: longer OCPI uids cannot be sent (spec ocpp.md §6 traps).
        if len(token_uid) > policy.ID_TAG_MAX_LENGTH:
            return _refused(
                f"token uid longer than {policy.ID_TAG_MAX_LENGTH} characters cannot be sent to OCPP 1.6"
            )
        payload: Payload = {"idTag": token_uid}
        if evse_no is not None and evse_no > 0:
            payload["connectorId"] = evse_no  # some stations reject a start without one (steve#1211)
        return await _status_call(conn, "RemoteStartTransaction", payload, mapping.START_RESULTS)

    async def stop_transaction(self, conn: Connection, transaction_id: str) -> StationCommandReply:
        number = _int_transaction_id(transaction_id)
        if number is None:
            return _refused(f"transaction {transaction_id!r} has no OCPP 1.6 transaction id")
        return await _status_call(
            conn, "RemoteStopTransaction", {"transactionId": number}, mapping.STOP_RESULTS
        )

    async def unlock_connector(
        self, conn: Connection, evse_no: int, connector_no: int
    ) -> StationCommandReply:
        # 1.6 has one connector per connectorId: the EVSE number is the connector.
        return await _status_call(conn, "UnlockConnector", {"connectorId": evse_no}, mapping.UNLOCK_RESULTS)

    async def reserve_now(
        self, conn: Connection, reservation_id: int, evse_no: int | None, token_uid: str, expiry: datetime
    ) -> StationCommandReply:
        if len(token_uid) > policy.ID_TAG_MAX_LENGTH:
            return _refused(
                f"token uid longer than {policy.ID_TAG_MAX_LENGTH} characters cannot be sent to OCPP 1.6"
            )
        payload: Payload = {
            "connectorId": evse_no if evse_no is not None else 0,  # 0 = any connector
            "expiryDate": mapping.format_timestamp(expiry),
            "idTag": token_uid,
            "reservationId": reservation_id,
        }
        return await _status_call(conn, "ReserveNow", payload, mapping.RESERVE_RESULTS)

    async def cancel_reservation(self, conn: Connection, reservation_id: int) -> StationCommandReply:
        return await _status_call(
            conn, "CancelReservation", {"reservationId": reservation_id}, mapping.CANCEL_RESERVATION_RESULTS
        )

    async def set_charging_limit(
        self,
        conn: Connection,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        if unit not in policy.CHARGING_RATE_UNITS:
            return _refused(f"charging rate unit {unit!r} is not W or A", CommandResultType.NOT_SUPPORTED)
        if limit < 0:
            return _refused("a charging limit cannot be negative")
        profile: Payload = {
            "chargingProfileId": profile_id,
            "stackLevel": policy.TX_PROFILE_STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",  # relative to the start of the transaction
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": mapping.limit_json(limit)}],
            },
        }
        number = _int_transaction_id(transaction_id)
        if number is not None:
            profile["transactionId"] = number
        payload = {"connectorId": evse_no, "csChargingProfiles": profile}
        return await _status_call(conn, "SetChargingProfile", payload, mapping.CHARGING_PROFILE_RESULTS)

    async def clear_charging_profile(self, conn: Connection, profile_id: int) -> StationCommandReply:
        return await _status_call(
            conn, "ClearChargingProfile", {"id": profile_id}, mapping.CLEAR_PROFILE_RESULTS
        )

    async def get_composite_schedule(
        self, conn: Connection, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        payload: Payload = {"connectorId": evse_no, "duration": duration_s}
        if unit is not None:
            if unit not in policy.CHARGING_RATE_UNITS:
                return _refused(f"charging rate unit {unit!r} is not W or A", CommandResultType.NOT_SUPPORTED)
            payload["chargingRateUnit"] = unit
        answer = await _call(conn, "GetCompositeSchedule", payload)
        if isinstance(answer, StationCommandReply):
            return answer
        data = mapping.to_composite_schedule(answer) if answer["status"] == "Accepted" else None
        return mapping.to_reply(mapping.COMPOSITE_RESULTS, answer["status"], data)

    async def reset(self, conn: Connection, hard: bool) -> StationCommandReply:
        return await _status_call(conn, "Reset", {"type": "Hard" if hard else "Soft"}, mapping.RESET_RESULTS)

    async def change_availability(
        self, conn: Connection, evse_no: int, operative: bool
    ) -> StationCommandReply:
        payload = {"connectorId": evse_no, "type": "Operative" if operative else "Inoperative"}
        return await _status_call(conn, "ChangeAvailability", payload, mapping.AVAILABILITY_RESULTS)

    async def trigger_message(
        self, conn: Connection, message: str, evse_no: int | None
    ) -> StationCommandReply:
        requested = policy.TRIGGER_MESSAGES.get(message)
        if requested is None:
            return _refused(f"OCPP 1.6 cannot trigger {message}", CommandResultType.NOT_SUPPORTED)
        payload: Payload = {"requestedMessage": requested}
        if evse_no is not None and evse_no > 0:
            payload["connectorId"] = evse_no
        return await _status_call(conn, "TriggerMessage", payload, mapping.TRIGGER_RESULTS)

    async def get_configuration(self, conn: Connection, keys: Sequence[str]) -> StationCommandReply:
        payload: Payload = {"key": list(keys)} if keys else {}
        answer = await _call(conn, "GetConfiguration", payload)
        if isinstance(answer, StationCommandReply):
            return answer
        values, unknown = mapping.to_configuration(answer)
        message = f"unknown keys: {', '.join(unknown)}"[:255] if unknown else None
        return StationCommandReply(result=CommandResultType.ACCEPTED, message=message, data=values)

    async def change_configuration(self, conn: Connection, key: str, value: str) -> StationCommandReply:
        if (
            len(key) > policy.CONFIGURATION_KEY_MAX_LENGTH
            or len(value) > policy.CONFIGURATION_VALUE_MAX_LENGTH
        ):
            return _refused("configuration key or value too long for OCPP 1.6")
        return await _status_call(
            conn, "ChangeConfiguration", {"key": key, "value": value}, mapping.CHANGE_CONFIGURATION_RESULTS
        )

    async def send_local_list(
        self, conn: Connection, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        items: list[Payload] = []
        skipped = 0
        for uid, accepted in entries:
            if len(uid) > policy.ID_TAG_MAX_LENGTH:
                skipped += 1
                continue
            if accepted:
                items.append({"idTag": uid, "idTagInfo": {"status": "Accepted"}})
            elif full:
                items.append({"idTag": uid, "idTagInfo": {"status": "Blocked"}})
            else:
                items.append({"idTag": uid})  # differential update without idTagInfo: remove the entry
        payload: Payload = {"listVersion": version, "updateType": "Full" if full else "Differential"}
        if items:
            payload["localAuthorizationList"] = items
        reply = await _status_call(conn, "SendLocalList", payload, mapping.LOCAL_LIST_RESULTS)
        if skipped:
            note = f"{skipped} token uid(s) longer than {policy.ID_TAG_MAX_LENGTH} characters left out"
            reply = reply.model_copy(
                update={"message": f"{reply.message}; {note}" if reply.message else note}
            )
        return reply

    async def data_transfer(
        self, conn: Connection, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        if len(vendor_id) > policy.VENDOR_ID_MAX_LENGTH or (
            message_id is not None and len(message_id) > policy.MESSAGE_ID_MAX_LENGTH
        ):
            return _refused("vendorId or messageId too long for OCPP 1.6")
        payload: Payload = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        answer = await _call(conn, "DataTransfer", payload)
        if isinstance(answer, StationCommandReply):
            return answer
        reply_data = {"data": answer["data"]} if answer.get("data") is not None else None
        return mapping.to_reply(mapping.DATA_TRANSFER_RESULTS, answer["status"], reply_data)
