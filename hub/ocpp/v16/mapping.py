"""Pure OCPP 1.6 wire <-> core conversions: timestamps, boot info, statuses, idTagInfo, transaction reports,
sampled values (strings, Wh by default) and the station's answers to the hub's commands.

Imports the standard library, hub.core and this version's policy only; no I/O, no state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from hub.core.chargepoint import BootInfo, BootResult, StatusReport, TransactionEventKind, TransactionReport
from hub.core.models import (
    AuthorizationDecision,
    AuthorizationStatus,
    CommandResultType,
    ConnectorState,
    MeterSample,
    StationCommandReply,
)
from hub.ocpp import metering
from hub.ocpp.v16 import policy


class WireValueError(ValueError):
    """A value the schema let through that still cannot be understood (e.g. 2026-02-30)."""


# --- Timestamps -------------------------------------------------------------------------------------


def parse_timestamp(text: Any) -> datetime:
    """ISO 8601 -> aware UTC. A missing offset means UTC (many 1.6 stations omit it)."""
    if not isinstance(text, str):
        raise WireValueError(f"timestamp {text!r} is not a string")
    value = text.strip().replace(",", ".")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        # Python 3.11 accepts at most microseconds; some stations send nanoseconds.
        head, dot, rest = value.partition(".")
        if not dot:
            raise WireValueError(f"timestamp {text!r} is not ISO 8601") from None
        digits = len(rest) - len(rest.lstrip("0123456789"))
        try:
            parsed = datetime.fromisoformat(f"{head}.{rest[: min(digits, 6)] or '0'}{rest[digits:]}")
        except ValueError:
            raise WireValueError(f"timestamp {text!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(when: datetime) -> str:
    """Aware datetime -> `2026-01-01T12:00:00.000Z`."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- Boot, status ------------------------------------------------------------------------------------


def to_boot_info(payload: Mapping[str, Any]) -> BootInfo:
    return BootInfo(
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber") or payload.get("chargeBoxSerialNumber"),
        firmware_version=payload.get("firmwareVersion"),
    )


def from_boot_result(result: BootResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "currentTime": format_timestamp(result.current_time),
        "interval": max(0, int(result.interval_s)),
    }


# 1.6 ChargePointStatus -> the core's connector state (same words).
CONNECTOR_STATES: Mapping[str, ConnectorState] = MappingProxyType(
    {
        "Available": ConnectorState.AVAILABLE,
        "Preparing": ConnectorState.PREPARING,
        "Charging": ConnectorState.CHARGING,
        "SuspendedEV": ConnectorState.SUSPENDED_EV,
        "SuspendedEVSE": ConnectorState.SUSPENDED_EVSE,
        "Finishing": ConnectorState.FINISHING,
        "Reserved": ConnectorState.RESERVED,
        "Unavailable": ConnectorState.UNAVAILABLE,
        "Faulted": ConnectorState.FAULTED,
    }
)


def to_status_report(payload: Mapping[str, Any]) -> StatusReport:
    state = CONNECTOR_STATES.get(payload["status"])
    if state is None:
        raise WireValueError(f"unknown status {payload['status']!r}")
    timestamp = payload.get("timestamp")
    return StatusReport(
        evse_no=int(payload["connectorId"]),
        state=state,
        error_code=payload.get("errorCode"),
        info=payload.get("info"),
        vendor_error_code=payload.get("vendorErrorCode"),
        timestamp=parse_timestamp(timestamp) if timestamp is not None else None,
    )


# --- Authorization -----------------------------------------------------------------------------------

ID_TAG_STATUSES: Mapping[AuthorizationStatus, str] = MappingProxyType(
    {
        AuthorizationStatus.ALLOWED: "Accepted",
        AuthorizationStatus.BLOCKED: "Blocked",
        AuthorizationStatus.EXPIRED: "Expired",
        AuthorizationStatus.NO_CREDIT: "Invalid",
        AuthorizationStatus.NOT_ALLOWED: "Invalid",
        AuthorizationStatus.UNKNOWN: "Invalid",
    }
)


def to_id_tag_info(decision: AuthorizationDecision, *, concurrent_tx: bool = False) -> dict[str, Any]:
    """The core's decision as a 1.6 IdTagInfo (ALLOWED→Accepted, BLOCKED→Blocked, EXPIRED→Expired, others
    Invalid; ConcurrentTx when the station already charges with this idTag)."""
    info: dict[str, Any] = {"status": "ConcurrentTx" if concurrent_tx else ID_TAG_STATUSES[decision.status]}
    if decision.expires_at is not None:
        info["expiryDate"] = format_timestamp(decision.expires_at)
    group = decision.token.group_id if decision.token is not None else None
    if group and len(group) <= policy.ID_TAG_MAX_LENGTH:
        info["parentIdTag"] = group
    return info


# --- Transactions ------------------------------------------------------------------------------------


def meter_wh(value: Any) -> Decimal:
    """meterStart / meterStop: integer Wh, clamped to 0 … METER_WH_MAX."""
    number = Decimal(int(value))
    return min(max(number, Decimal(0)), policy.METER_WH_MAX)


def to_start_report(payload: Mapping[str, Any]) -> TransactionReport:
    reservation = payload.get("reservationId")
    return TransactionReport(
        kind=TransactionEventKind.STARTED,
        timestamp=parse_timestamp(payload["timestamp"]),
        evse_no=int(payload["connectorId"]),
        id_tag=payload["idTag"],
        meter_wh=meter_wh(payload["meterStart"]),
        reservation_id=int(reservation) if reservation is not None else None,
    )


def to_stop_report(payload: Mapping[str, Any]) -> TransactionReport:
    return TransactionReport(
        kind=TransactionEventKind.ENDED,
        timestamp=parse_timestamp(payload["timestamp"]),
        transaction_id=str(int(payload["transactionId"])),
        id_tag=payload.get("idTag"),
        meter_wh=meter_wh(payload["meterStop"]),
        samples=to_meter_samples(payload.get("transactionData") or ()),
        stop_reason=payload.get("reason") or "Local",  # 1.6: absent reason means Local
    )


def wire_transaction_id(transaction_id: str | None) -> int | None:
    """The core's transaction id as the 1.6 integer; None when it is not one the station can use."""
    if transaction_id is None:
        return None
    try:
        number = int(transaction_id)
    except ValueError:
        return None
    return number if -(2**63) <= number < 2**63 else None


# --- Meter values ------------------------------------------------------------------------------------


def _parse_decimal(text: Any) -> Decimal | None:
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return None
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def to_meter_samples(meter_values: Iterable[Mapping[str, Any]]) -> tuple[MeterSample, ...]:
    """1.6 MeterValue[] -> core samples (energy kWh, power W, temperature Celsius). Signed data and values
    that are not numbers are skipped (they cannot be billed on)."""
    samples: list[MeterSample] = []
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sampled in meter_value.get("sampledValue") or ():
            if sampled.get("format") == "SignedData":
                continue
            number = _parse_decimal(sampled.get("value"))
            if number is None:
                continue
            measurand = sampled.get("measurand") or metering.ENERGY_ACTIVE_IMPORT
            normalised = metering.normalise(number, sampled.get("unit") or metering.default_unit(measurand))
            if normalised is None:
                continue  # firmware garbage (counter overflow)
            value, unit = normalised
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


# --- Commands: neutral arguments -> 1.6, 1.6 answers -> neutral results --------------------------------


def round_limit(limit: Decimal) -> Decimal:
    """A charging limit as 1.6 allows it (multipleOf 0.1), rounded DOWN so the request is never exceeded."""
    return limit.quantize(policy.LIMIT_STEP, rounding=ROUND_FLOOR)


def limit_json(limit: Decimal) -> float:
    """The rounded limit as a JSON number with at most one decimal (float('21.4') encodes as 21.4)."""
    number = float(round_limit(limit))
    if not math.isfinite(number):
        raise WireValueError(f"limit {limit} is not finite")
    return number


START_RESULTS = MappingProxyType(
    {"Accepted": CommandResultType.ACCEPTED, "Rejected": CommandResultType.REJECTED}
)
STOP_RESULTS = START_RESULTS
UNLOCK_RESULTS = MappingProxyType(
    {
        "Unlocked": CommandResultType.ACCEPTED,
        "UnlockFailed": CommandResultType.FAILED,
        "NotSupported": CommandResultType.NOT_SUPPORTED,
    }
)
RESERVE_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Occupied": CommandResultType.EVSE_OCCUPIED,
        "Faulted": CommandResultType.EVSE_INOPERATIVE,
        "Unavailable": CommandResultType.EVSE_INOPERATIVE,
        "Rejected": CommandResultType.REJECTED,
    }
)
CANCEL_RESERVATION_RESULTS = START_RESULTS
CHARGING_PROFILE_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Rejected": CommandResultType.REJECTED,
        "NotSupported": CommandResultType.NOT_SUPPORTED,
    }
)
CLEAR_PROFILE_RESULTS = MappingProxyType(
    {"Accepted": CommandResultType.ACCEPTED, "Unknown": CommandResultType.REJECTED}
)
COMPOSITE_RESULTS = START_RESULTS
RESET_RESULTS = START_RESULTS
AVAILABILITY_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Scheduled": CommandResultType.ACCEPTED,  # applied after the running transaction
        "Rejected": CommandResultType.REJECTED,
    }
)
TRIGGER_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Rejected": CommandResultType.REJECTED,
        "NotImplemented": CommandResultType.NOT_SUPPORTED,
    }
)
CHANGE_CONFIGURATION_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "RebootRequired": CommandResultType.ACCEPTED,
        "Rejected": CommandResultType.REJECTED,
        "NotSupported": CommandResultType.NOT_SUPPORTED,
    }
)
LOCAL_LIST_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Failed": CommandResultType.FAILED,
        "NotSupported": CommandResultType.NOT_SUPPORTED,
        "VersionMismatch": CommandResultType.REJECTED,
    }
)
DATA_TRANSFER_RESULTS = MappingProxyType(
    {
        "Accepted": CommandResultType.ACCEPTED,
        "Rejected": CommandResultType.REJECTED,
        "UnknownMessageId": CommandResultType.NOT_SUPPORTED,
        "UnknownVendorId": CommandResultType.NOT_SUPPORTED,
    }
)


def to_reply(
    table: Mapping[str, CommandResultType], status: str, data: dict[str, Any] | None = None
) -> StationCommandReply:
    """A station's status word -> the neutral reply; the word itself stays in `message` unless it is plain
    Accepted (e.g. "Scheduled", "RebootRequired", "VersionMismatch")."""
    result = table.get(status, CommandResultType.FAILED)
    message = None if status == "Accepted" else status
    return StationCommandReply(result=result, message=message, data=data)


def to_composite_schedule(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """GetCompositeSchedule.conf -> {"start", "unit", "periods": [{"start_s", "limit", "phases"?}]}."""
    schedule = payload.get("chargingSchedule")
    if schedule is None:
        return None
    start = schedule.get("startSchedule") or payload.get("scheduleStart")
    periods = []
    for period in schedule.get("chargingSchedulePeriod") or ():
        item: dict[str, Any] = {
            "start_s": int(period["startPeriod"]),
            "limit": Decimal(str(period["limit"])),
        }
        if period.get("numberPhases") is not None:
            item["phases"] = int(period["numberPhases"])
        periods.append(item)
    return {
        "start": parse_timestamp(start) if start is not None else None,
        "unit": schedule["chargingRateUnit"],
        "duration_s": schedule.get("duration"),
        "periods": periods,
        "connector_id": payload.get("connectorId"),
    }


def to_configuration(payload: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """GetConfiguration.conf -> ({key: value}, unknown keys). Keys without a value map to None."""
    values = {item["key"]: item.get("value") for item in payload.get("configurationKey") or ()}
    return values, list(payload.get("unknownKey") or ())
