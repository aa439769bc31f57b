"""OCPP 1.6 handlers for station-initiated CALLs: map the validated wire payload to the core, make one
`ChargePointApi` call, map the answer back. Business rules live in the core; no handler awaits a CALL.

Imports the standard library, hub.core, hub.ocpp.rpc/errors and this version's mapping/policy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

from hub.core.chargepoint import ChargePointEvent
from hub.ocpp.errors import FormatViolationCallError
from hub.ocpp.protocol import HandlerContext
from hub.ocpp.v16 import mapping

Payload = dict[str, Any]
Handler = Callable[[HandlerContext, Payload], Awaitable[Payload]]


def _unusable(exc: mapping.WireValueError) -> FormatViolationCallError:
    # A value the schema could not catch (e.g. 2026-02-30): the data is not usable, the station must fix it.
    return FormatViolationCallError(str(exc))


async def on_boot_notification(ctx: HandlerContext, payload: Payload) -> Payload:
    result = await ctx.api.boot(ctx.station_id, mapping.to_boot_info(payload))
    return mapping.from_boot_result(result)


async def on_heartbeat(ctx: HandlerContext, payload: Payload) -> Payload:
    return {"currentTime": mapping.format_timestamp(await ctx.api.heartbeat(ctx.station_id))}


async def on_status_notification(ctx: HandlerContext, payload: Payload) -> Payload:
    try:
        report = mapping.to_status_report(payload)
    except mapping.WireValueError as exc:
        raise _unusable(exc) from exc
    await ctx.api.status(ctx.station_id, report)
    return {}


async def on_authorize(ctx: HandlerContext, payload: Payload) -> Payload:
    decision = await ctx.api.authorize(ctx.station_id, payload["idTag"])
    return {"idTagInfo": mapping.to_id_tag_info(decision)}


async def on_start_transaction(ctx: HandlerContext, payload: Payload) -> Payload:
    """Always answered normally when the data is usable (1.6 ed. 2 §3.7); a retry gets the same id."""
    try:
        report = mapping.to_start_report(payload)
    except mapping.WireValueError as exc:
        raise _unusable(exc) from exc
    outcome = await ctx.api.transaction(ctx.station_id, report)
    transaction_id = mapping.wire_transaction_id(outcome.transaction_id)
    if transaction_id is None:
        # The core numbers every 1.6 transaction; without a number the station cannot go on.
        raise RuntimeError(f"the core gave no 1.6 transaction id (got {outcome.transaction_id!r})")
    if outcome.authorization is not None:
        info = mapping.to_id_tag_info(outcome.authorization)
    else:
        info = {"status": "Accepted"}  # the core did not judge the idTag (nothing to refuse)
    return {"transactionId": transaction_id, "idTagInfo": info}


async def on_stop_transaction(ctx: HandlerContext, payload: Payload) -> Payload:
    """Always answered normally when the data is usable, also for unknown or placeholder ids (-1, 0)."""
    try:
        report = mapping.to_stop_report(payload)
    except mapping.WireValueError as exc:
        raise _unusable(exc) from exc
    outcome = await ctx.api.transaction(ctx.station_id, report)
    if payload.get("idTag") is not None and outcome.authorization is not None:
        return {"idTagInfo": mapping.to_id_tag_info(outcome.authorization)}
    return {}


async def on_meter_values(ctx: HandlerContext, payload: Payload) -> Payload:
    try:
        samples = mapping.to_meter_samples(payload["meterValue"])
    except mapping.WireValueError as exc:
        raise _unusable(exc) from exc
    transaction = payload.get("transactionId")
    await ctx.api.meter_values(
        ctx.station_id,
        int(payload["connectorId"]),
        str(int(transaction)) if transaction is not None else None,
        samples,
    )
    return {}


async def on_data_transfer(ctx: HandlerContext, payload: Payload) -> Payload:
    await _record(ctx, "DataTransfer", payload, None)
    # The hub implements no vendor extension (OCPP 1.6 §4.3: unknown vendor -> UnknownVendorId).
    return {"status": "UnknownVendorId"}


async def _record(ctx: HandlerContext, kind: str, payload: Payload, timestamp_field: str | None) -> None:
    timestamp = None
    if timestamp_field is not None and payload.get(timestamp_field) is not None:
        try:
            timestamp = mapping.parse_timestamp(payload[timestamp_field])
        except mapping.WireValueError as exc:
            raise _unusable(exc) from exc
    await ctx.api.record(ctx.station_id, ChargePointEvent(kind=kind, timestamp=timestamp, payload=payload))


def _recorder(kind: str, timestamp_field: str | None = None) -> Handler:
    """A handler that records the notification in the core and answers an empty payload."""

    async def handler(ctx: HandlerContext, payload: Payload) -> Payload:
        await _record(ctx, kind, payload, timestamp_field)
        return {}

    handler.__name__ = handler.__qualname__ = f"on_{kind}"
    return handler


on_diagnostics_status_notification = _recorder("DiagnosticsStatusNotification")
on_firmware_status_notification = _recorder("FirmwareStatusNotification")
# Security Whitepaper ed. 2 notifications.
on_security_event_notification = _recorder("SecurityEventNotification", "timestamp")
on_log_status_notification = _recorder("LogStatusNotification")
on_signed_firmware_status_notification = _recorder("SignedFirmwareStatusNotification")

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "BootNotification": on_boot_notification,
        "Heartbeat": on_heartbeat,
        "StatusNotification": on_status_notification,
        "Authorize": on_authorize,
        "StartTransaction": on_start_transaction,
        "StopTransaction": on_stop_transaction,
        "MeterValues": on_meter_values,
        "DataTransfer": on_data_transfer,
        "DiagnosticsStatusNotification": on_diagnostics_status_notification,
        "FirmwareStatusNotification": on_firmware_status_notification,
        "SecurityEventNotification": on_security_event_notification,
        "LogStatusNotification": on_log_status_notification,
        "SignedFirmwareStatusNotification": on_signed_firmware_status_notification,
    }
)
