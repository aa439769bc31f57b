"""OCPP 2.0.1 handlers for station-initiated CALLs: map the validated wire payload to the core, make one
`ChargePointApi` call, map the answer back. Business rules live in the core.

Imports the standard library, hub.core, hub.ocpp.rpc/errors and this version's mapping/policy.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

from hub.core.chargepoint import (
    ChargePointEvent,
    StatusReport,
    TransactionEventKind,
    TransactionOutcome,
    TransactionReport,
)
from hub.core.models import ConnectorState, SessionStatus
from hub.ocpp.errors import FormatViolationCallError, OcppCallError
from hub.ocpp.protocol import HandlerContext
from hub.ocpp.v201 import mapping

Payload = dict[str, Any]

# conn.state key: transactionId -> (evseId, connectorId), because `evse` is sent only in the first
# TransactionEvent of a transaction (E01.FR.16).
TRANSACTION_EVSES = "v201.transaction_evses"


def _wire_error(exc: mapping.WireValueError) -> OcppCallError:
    # A value the schema could not catch (e.g. 2026-02-30, or lenient validation let it through).
    return FormatViolationCallError(str(exc))


async def on_boot_notification(ctx: HandlerContext, payload: Payload) -> Payload:
    result = await ctx.api.boot(ctx.station_id, mapping.to_boot_info(payload))
    return {
        "status": result.status.value,
        "interval": result.interval_s,
        "currentTime": mapping.format_timestamp(result.current_time),
    }


async def on_heartbeat(ctx: HandlerContext, payload: Payload) -> Payload:
    now = await ctx.api.heartbeat(ctx.station_id)
    return {"currentTime": mapping.format_timestamp(now)}


async def on_status_notification(ctx: HandlerContext, payload: Payload) -> Payload:
    try:
        report = mapping.to_status_report(payload)
    except mapping.WireValueError as exc:
        raise _wire_error(exc) from exc
    await ctx.api.status(ctx.station_id, report)
    return {}


async def on_authorize(ctx: HandlerContext, payload: Payload) -> Payload:
    uid = mapping.token_uid(payload["idToken"])
    if uid is None:
        # NoAuthorization / empty token: there is nobody to authorize.
        return {"idTokenInfo": {"status": "Invalid"}}
    decision = await ctx.api.authorize(ctx.station_id, uid)
    return {"idTokenInfo": mapping.to_id_token_info(decision)}


async def on_transaction_event(ctx: HandlerContext, payload: Payload) -> Payload:
    evses: dict[str, tuple[int, int | None]] = ctx.connection.state.setdefault(TRANSACTION_EVSES, {})
    transaction_id = str(payload["transactionInfo"]["transactionId"])
    try:
        report = mapping.to_transaction_report(payload, evses.get(transaction_id))
    except mapping.WireValueError as exc:
        raise _wire_error(exc) from exc
    if report.kind is TransactionEventKind.ENDED:
        evses.pop(transaction_id, None)
    elif report.evse_no is not None:
        evses[transaction_id] = (report.evse_no, report.connector_no)
    outcome = await ctx.api.transaction(ctx.station_id, report)
    # idTokenInfo is required when the request carried an idToken: the station decides on it whether to
    # go on charging.
    if payload.get("idToken") is None:
        return {}
    return {"idTokenInfo": await _transaction_token_info(ctx, report, outcome)}


async def _transaction_token_info(
    ctx: HandlerContext, report: TransactionReport, outcome: TransactionOutcome
) -> Payload:
    if outcome.authorization is not None:
        return mapping.to_id_token_info(outcome.authorization)
    if report.id_tag is None:
        return {"status": "Accepted"}  # NoAuthorization: there is nothing to check
    session = outcome.session
    if (
        session is not None
        and session.status is not SessionStatus.INVALID
        and session.token_uid.upper() == report.id_tag.upper()
    ):
        return {"status": "Accepted"}  # the token that started this session, judged then
    # The core did not judge this token in this event (e.g. another card stops the transaction): ask it.
    decision = await ctx.api.authorize(ctx.station_id, report.id_tag, report.evse_no)
    return mapping.to_id_token_info(decision)


async def on_meter_values(ctx: HandlerContext, payload: Payload) -> Payload:
    try:
        samples = mapping.to_meter_samples(payload["meterValue"])
    except mapping.WireValueError as exc:
        raise _wire_error(exc) from exc
    await ctx.api.meter_values(ctx.station_id, int(payload["evseId"]), None, samples)
    return {}


def _record(
    kind: str, timestamp_field: str | None = None
) -> Callable[[HandlerContext, Payload], Awaitable[Payload]]:
    """A handler that only records the notification in the core and answers an empty payload."""

    async def handler(ctx: HandlerContext, payload: Payload) -> Payload:
        await _record_event(ctx, kind, payload, timestamp_field)
        return {}

    handler.__name__ = handler.__qualname__ = "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    return handler


async def _record_event(
    ctx: HandlerContext, kind: str, payload: Payload, timestamp_field: str | None
) -> None:
    timestamp = None
    if timestamp_field is not None and timestamp_field in payload:
        try:
            timestamp = mapping.parse_timestamp(payload[timestamp_field])
        except mapping.WireValueError as exc:
            raise _wire_error(exc) from exc
    await ctx.api.record(ctx.station_id, ChargePointEvent(kind=kind, timestamp=timestamp, payload=payload))


# Components whose AvailabilityState variable reports a connector's, an EVSE's or the station's state
# (stations may report availability through the device model instead of StatusNotification).
_AVAILABILITY_COMPONENTS = frozenset({"Connector", "EVSE", "ChargingStation"})


def _availability_reports(payload: Payload) -> list[StatusReport]:
    reports = []
    for event in payload["eventData"]:
        component, variable = event["component"], event["variable"]
        if component["name"] not in _AVAILABILITY_COMPONENTS or variable["name"] != "AvailabilityState":
            continue
        state = mapping.CONNECTOR_STATES.get(event["actualValue"])
        if state is None:
            continue
        evse = component.get("evse") or {}
        if component["name"] != "ChargingStation" and "id" not in evse:
            continue
        faulted = state is ConnectorState.FAULTED
        reports.append(
            StatusReport(
                evse_no=int(evse.get("id", 0)) if component["name"] != "ChargingStation" else 0,
                connector_no=evse.get("connectorId"),
                state=state,
                error_code=(event.get("techCode") or "Faulted") if faulted else None,
                info=event.get("techInfo"),
                timestamp=mapping.parse_timestamp(event["timestamp"]),
            )
        )
    return reports


async def on_notify_event(ctx: HandlerContext, payload: Payload) -> Payload:
    try:
        reports = _availability_reports(payload)
    except mapping.WireValueError as exc:
        raise _wire_error(exc) from exc
    await _record_event(ctx, "NotifyEvent", payload, "generatedAt")
    for report in reports:
        await ctx.api.status(ctx.station_id, report)
    return {}


async def on_data_transfer(ctx: HandlerContext, payload: Payload) -> Payload:
    await _record_event(ctx, "DataTransfer", payload, None)
    # The hub handles no vendor extension: every vendorId is unknown to it.
    return {"status": "UnknownVendorId"}


on_firmware_status_notification = _record("FirmwareStatusNotification")
on_log_status_notification = _record("LogStatusNotification")
on_security_event_notification = _record("SecurityEventNotification", "timestamp")
on_notify_report = _record("NotifyReport", "generatedAt")
on_reservation_status_update = _record("ReservationStatusUpdate")

Handler = Callable[[HandlerContext, Payload], Awaitable[Payload]]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "BootNotification": on_boot_notification,
        "Heartbeat": on_heartbeat,
        "StatusNotification": on_status_notification,
        "Authorize": on_authorize,
        "TransactionEvent": on_transaction_event,
        "MeterValues": on_meter_values,
        "NotifyEvent": on_notify_event,
        "DataTransfer": on_data_transfer,
        "FirmwareStatusNotification": on_firmware_status_notification,
        "LogStatusNotification": on_log_status_notification,
        "SecurityEventNotification": on_security_event_notification,
        "NotifyReport": on_notify_report,
        "ReservationStatusUpdate": on_reservation_status_update,
    }
)
