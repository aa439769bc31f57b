"""Pure OCPP 2.0.1 wire <-> core conversions: statuses, timestamps, id tokens, meter values, command answers.

Imports the standard library and hub.core only; no I/O, no state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from hub.core.chargepoint import BootInfo, StatusReport, TransactionEventKind, TransactionReport
from hub.core.models import (
    AuthorizationDecision,
    AuthorizationStatus,
    CommandResultType,
    ConnectorState,
    MeterSample,
    StationCommandReply,
    TokenType,
)
from hub.ocpp import metering


class WireValueError(ValueError):
    """A value that passed (or skipped) schema validation but cannot be understood (e.g. a bad timestamp)."""


# --- Timestamps ---------------------------------------------------------------------------------


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 / ISO 8601 date-time -> aware UTC. Accepts `Z` or an offset, any number of fractional
    digits (truncated to microseconds); a missing offset is read as UTC (OCPP sends UTC times)."""
    if not isinstance(text, str) or len(text) < 16 or text[10] not in "Tt ":
        raise WireValueError(f"not a date-time: {text!r}")
    try:
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise WireValueError(f"not a date-time: {text!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(when: datetime) -> str:
    """Aware datetime -> `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (UTC, milliseconds only when present)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    utc = when.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    return text + "Z"


# --- Statuses -----------------------------------------------------------------------------------

CONNECTOR_STATES: Mapping[str, ConnectorState] = {
    "Available": ConnectorState.AVAILABLE,
    "Occupied": ConnectorState.OCCUPIED,
    "Reserved": ConnectorState.RESERVED,
    "Unavailable": ConnectorState.UNAVAILABLE,
    "Faulted": ConnectorState.FAULTED,
}


def to_connector_state(status: str) -> ConnectorState:
    try:
        return CONNECTOR_STATES[status]
    except KeyError:
        raise WireValueError(f"unknown connectorStatus {status!r}") from None


def to_status_report(payload: Mapping[str, Any]) -> StatusReport:
    """StatusNotificationRequest -> StatusReport (evseId 0 = the whole station)."""
    state = to_connector_state(payload["connectorStatus"])
    return StatusReport(
        evse_no=int(payload["evseId"]),
        connector_no=int(payload["connectorId"]),
        state=state,
        # 2.0.1 has no error code in StatusNotification: faults come through NotifyEvent.
        error_code=None,
        timestamp=parse_timestamp(payload["timestamp"]) if "timestamp" in payload else None,
    )


def to_boot_info(payload: Mapping[str, Any]) -> BootInfo:
    station = payload["chargingStation"]
    return BootInfo(
        vendor=station["vendorName"],
        model=station["model"],
        serial_number=station.get("serialNumber"),
        firmware_version=station.get("firmwareVersion"),
        reason=payload.get("reason"),
    )


# --- Id tokens and authorization ----------------------------------------------------------------

AUTHORIZATION_STATUSES: Mapping[AuthorizationStatus, str] = {
    AuthorizationStatus.ALLOWED: "Accepted",
    AuthorizationStatus.BLOCKED: "Blocked",
    AuthorizationStatus.EXPIRED: "Expired",
    AuthorizationStatus.NO_CREDIT: "NoCredit",
    AuthorizationStatus.NOT_ALLOWED: "Invalid",
    AuthorizationStatus.UNKNOWN: "Unknown",
}

TOKEN_TYPES: Mapping[TokenType, str] = {
    TokenType.RFID: "ISO14443",
    TokenType.APP_USER: "Central",
    TokenType.AD_HOC_USER: "Central",
    TokenType.OTHER: "Central",
}

# Id token types that name no user (a free-vend station sends {"idToken": "", "type": "NoAuthorization"}).
ANONYMOUS_TOKEN_TYPES = frozenset({"NoAuthorization"})

ID_TOKEN_MAX_LENGTH = 36


def to_id_token_type(token_type: TokenType | None) -> str:
    """The 2.0.1 IdTokenEnumType for a core token type; hub-injected tokens without a type are `Central`."""
    return "Central" if token_type is None else TOKEN_TYPES[token_type]


def to_id_token(uid: str, token_type: TokenType | None = None) -> dict[str, Any]:
    if not uid or len(uid) > ID_TOKEN_MAX_LENGTH:
        raise ValueError(f"idToken must be 1..{ID_TOKEN_MAX_LENGTH} characters")
    return {"idToken": uid, "type": to_id_token_type(token_type)}


def token_uid(id_token: Mapping[str, Any] | None) -> str | None:
    """The uid the core knows a token by, or None for an absent or anonymous token."""
    if not id_token:
        return None
    uid = id_token.get("idToken") or ""
    if not uid or id_token.get("type") in ANONYMOUS_TOKEN_TYPES:
        return None
    return str(uid)


def to_id_token_info(decision: AuthorizationDecision) -> dict[str, Any]:
    """AuthorizationDecision -> IdTokenInfoType."""
    info: dict[str, Any] = {"status": AUTHORIZATION_STATUSES[decision.status]}
    if decision.expires_at is not None:
        info["cacheExpiryDateTime"] = format_timestamp(decision.expires_at)
    token = decision.token
    if token is not None:
        if token.group_id and len(token.group_id) <= ID_TOKEN_MAX_LENGTH:
            info["groupIdToken"] = {"idToken": token.group_id, "type": "Central"}
        if token.language and len(token.language) <= 8:
            info["language1"] = token.language
    return info


# --- Meter values -------------------------------------------------------------------------------

DEFAULT_MEASURAND = metering.ENERGY_ACTIVE_IMPORT


def to_decimal(value: Any) -> Decimal:
    """A JSON number -> Decimal without binary float noise (0.1 stays 0.1). A numeric string (1.6 habit, only
    seen when schema validation is lenient) is read as well."""
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise WireValueError(f"{value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise WireValueError("number is not finite")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise WireValueError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise WireValueError("number is not finite")
    return number


def normalise_value(value: Any, unit: str, multiplier: int = 0) -> tuple[Decimal, str]:
    """Scale a sampled value by 10^multiplier and convert it to the core's unit for its kind."""
    number = to_decimal(value)
    if not -30 <= multiplier <= 30:
        raise WireValueError(f"multiplier {multiplier} out of range")
    normalised = metering.normalise(number, unit, multiplier)
    if normalised is None:
        raise WireValueError(f"{value!r} {unit} is beyond any plausible reading")
    return normalised


def to_meter_samples(meter_values: Iterable[Mapping[str, Any]]) -> tuple[MeterSample, ...]:
    """MeterValueType[] -> MeterSamples (energy kWh, power W, current A). Absurd readings are dropped."""
    samples: list[MeterSample] = []
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sampled in meter_value.get("sampledValue", ()):
            measurand = sampled.get("measurand", DEFAULT_MEASURAND)
            unit_of_measure = sampled.get("unitOfMeasure") or {}
            unit = unit_of_measure.get("unit") or metering.default_unit(measurand)
            try:
                value, unit = normalise_value(
                    sampled["value"], unit, int(unit_of_measure.get("multiplier", 0))
                )
            except WireValueError:
                continue  # not a number, or firmware garbage (counter overflow)
            samples.append(
                MeterSample(
                    timestamp=timestamp,
                    measurand=measurand,
                    value=value,
                    unit=unit,
                    phase=sampled.get("phase"),
                    context=sampled.get("context"),
                )
            )
    return tuple(samples)


# --- Transactions -------------------------------------------------------------------------------

TRANSACTION_EVENT_KINDS: Mapping[str, TransactionEventKind] = {
    "Started": TransactionEventKind.STARTED,
    "Updated": TransactionEventKind.UPDATED,
    "Ended": TransactionEventKind.ENDED,
}


def to_transaction_report(
    payload: Mapping[str, Any], known_evse: tuple[int, int | None] | None = None
) -> TransactionReport:
    """TransactionEventRequest -> TransactionReport. `known_evse` is the (evseId, connectorId) remembered from
    an earlier event of the same transaction: `evse` is sent only once (E01.FR.16)."""
    info = payload["transactionInfo"]
    evse = payload.get("evse")
    evse_no: int | None
    connector_no: int | None
    if evse is not None:
        evse_no, connector_no = int(evse["id"]), evse.get("connectorId")
    elif known_evse is not None:
        evse_no, connector_no = known_evse
    else:
        evse_no = connector_no = None
    samples = to_meter_samples(payload.get("meterValue", ()))
    return TransactionReport(
        kind=TRANSACTION_EVENT_KINDS[payload["eventType"]],
        timestamp=parse_timestamp(payload["timestamp"]),
        transaction_id=str(info["transactionId"]),
        evse_no=evse_no,
        connector_no=connector_no,
        id_tag=token_uid(payload.get("idToken")),
        # meter_wh stays None: 2.0.1 reports the register only as sampled values (the core reads `samples`).
        samples=samples,
        reservation_id=payload.get("reservationId"),
        remote_start_id=info.get("remoteStartId"),
        seq_no=int(payload["seqNo"]),
        offline=bool(payload.get("offline", False)),
        stop_reason=info.get("stoppedReason"),
        trigger_reason=payload.get("triggerReason"),
        charging_state=info.get("chargingState"),
    )


# --- Command answers ----------------------------------------------------------------------------

START_STOP_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
}
UNLOCK_RESULTS: Mapping[str, CommandResultType] = {
    "Unlocked": CommandResultType.ACCEPTED,
    "UnlockFailed": CommandResultType.FAILED,
    "OngoingAuthorizedTransaction": CommandResultType.REJECTED,
    "UnknownConnector": CommandResultType.REJECTED,
}
RESERVE_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Occupied": CommandResultType.EVSE_OCCUPIED,
    "Faulted": CommandResultType.EVSE_INOPERATIVE,
    "Unavailable": CommandResultType.EVSE_INOPERATIVE,
    "Rejected": CommandResultType.REJECTED,
}
GENERIC_RESULTS: Mapping[str, CommandResultType] = START_STOP_RESULTS
CLEAR_PROFILE_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Unknown": CommandResultType.REJECTED,
}
SCHEDULED_RESULTS: Mapping[str, CommandResultType] = {  # Reset, ChangeAvailability
    "Accepted": CommandResultType.ACCEPTED,
    "Scheduled": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
}
TRIGGER_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
    "NotImplemented": CommandResultType.NOT_SUPPORTED,
}
SET_VARIABLE_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "RebootRequired": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
    "UnknownComponent": CommandResultType.NOT_SUPPORTED,
    "UnknownVariable": CommandResultType.NOT_SUPPORTED,
    "NotSupportedAttributeType": CommandResultType.NOT_SUPPORTED,
}
LOCAL_LIST_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Failed": CommandResultType.FAILED,
    "VersionMismatch": CommandResultType.REJECTED,
}
DATA_TRANSFER_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
    "UnknownMessageId": CommandResultType.NOT_SUPPORTED,
    "UnknownVendorId": CommandResultType.NOT_SUPPORTED,
}
BASE_REPORT_RESULTS: Mapping[str, CommandResultType] = {
    "Accepted": CommandResultType.ACCEPTED,
    "EmptyResultSet": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.REJECTED,
    "NotSupported": CommandResultType.NOT_SUPPORTED,
}


def status_message(response: Mapping[str, Any]) -> str | None:
    """`status` plus the optional statusInfo, as a human-readable line."""
    status = response.get("status")
    info = response.get("statusInfo") or {}
    parts = [str(status)] if status is not None else []
    if info.get("reasonCode"):
        parts.append(str(info["reasonCode"]))
    if info.get("additionalInfo"):
        parts.append(str(info["additionalInfo"]))
    return ": ".join(parts) or None


def to_command_reply(
    response: Mapping[str, Any], results: Mapping[str, CommandResultType], data: dict[str, Any] | None = None
) -> StationCommandReply:
    """A status-bearing response -> StationCommandReply. Unknown statuses (cannot pass strict validation)
    count as FAILED."""
    result = results.get(str(response.get("status")), CommandResultType.FAILED)
    return StationCommandReply(result=result, message=status_message(response), data=data)


# --- Charging schedules -------------------------------------------------------------------------


def to_wire_limit(limit: Decimal) -> float:
    """Charging limits accept at most one fractional digit (2.0.1 ChargingSchedulePeriodType.limit): round
    down so the requested limit is never exceeded."""
    return float(limit.quantize(Decimal("0.1"), rounding=ROUND_FLOOR))


def to_composite_schedule(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """CompositeScheduleType -> neutral {"start", "unit", "periods": [{"start_s", "limit"}], …}."""
    periods = []
    for period in schedule["chargingSchedulePeriod"]:
        entry: dict[str, Any] = {
            "start_s": int(period["startPeriod"]),
            "limit": to_decimal(period["limit"]),
        }
        if "numberPhases" in period:
            entry["number_phases"] = int(period["numberPhases"])
        periods.append(entry)
    return {
        "start": parse_timestamp(schedule["scheduleStart"]),
        "unit": schedule["chargingRateUnit"],
        "duration_s": int(schedule["duration"]),
        "evse_no": int(schedule["evseId"]),
        "periods": periods,
    }


# --- Device model variables ---------------------------------------------------------------------


def parse_variable_key(key: str) -> dict[str, Any]:
    """`Component.Variable`, `Component.Instance.Variable` or `Component.Instance.Variable.Instance` ->
    GetVariableDataType's component/variable pair."""
    parts = key.split(".")
    variable_index = 1 if len(parts) == 2 else 2
    if len(parts) not in (2, 3, 4) or not parts[0] or not parts[variable_index]:
        raise ValueError(f"configuration key {key!r} is not Component.Variable")
    component: dict[str, Any] = {"name": parts[0]}
    variable: dict[str, Any]
    if len(parts) == 2:
        variable = {"name": parts[1]}
    else:
        if parts[1]:
            component["instance"] = parts[1]
        variable = {"name": parts[2]}
        if len(parts) == 4 and parts[3]:
            variable["instance"] = parts[3]
    for name in (component["name"], variable["name"]):
        if len(name) > 50:
            raise ValueError("component and variable names are at most 50 characters")
    return {"component": component, "variable": variable}


def variable_key(component: Mapping[str, Any], variable: Mapping[str, Any]) -> str:
    """The inverse of `parse_variable_key`."""
    parts = [str(component["name"])]
    if component.get("instance") or variable.get("instance"):
        parts.append(str(component.get("instance", "")))
    parts.append(str(variable["name"]))
    if variable.get("instance"):
        parts.append(str(variable["instance"]))
    return ".".join(parts)
