"""OCPP 2.0.1 handlers against an in-memory ChargePointApi: what reaches the core, and that every answer
is valid against the official response schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from hub.core.chargepoint import (
    BootInfo,
    BootResult,
    ChargePointApi,
    ChargePointEvent,
    StatusReport,
    TransactionEventKind,
    TransactionOutcome,
    TransactionReport,
)
from hub.core.errors import NotFoundError
from hub.core.models import (
    AuthorizationDecision,
    AuthorizationStatus,
    BootStatus,
    ConnectorState,
    MeterSample,
    PartyRef,
    Session,
    SessionStatus,
)
from hub.ocpp import schemas
from hub.ocpp.errors import FormatViolationCallError
from hub.ocpp.protocol import HandlerContext
from hub.ocpp.rpc import Connection
from hub.ocpp.v201 import VERSION, handlers, policy

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@dataclass
class FakeChargePointApi:
    """Records what the handlers ask of the core and answers with canned results."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    boot_status: BootStatus = BootStatus.ACCEPTED
    decision: AuthorizationDecision = field(
        default_factory=lambda: AuthorizationDecision(status=AuthorizationStatus.ALLOWED)
    )
    outcome_authorization: AuthorizationDecision | None = None
    session: Session | None = None

    async def boot(self, station_id: str, info: BootInfo) -> BootResult:
        self.calls.append(("boot", info))
        return BootResult(status=self.boot_status, interval_s=300, current_time=NOW)

    async def heartbeat(self, station_id: str) -> datetime:
        self.calls.append(("heartbeat", None))
        return NOW

    def is_accepted(self, station_id: str) -> bool:
        return True

    async def status(self, station_id: str, report: StatusReport) -> None:
        self.calls.append(("status", report))

    async def authorize(
        self, station_id: str, id_tag: str, evse_no: int | None = None
    ) -> AuthorizationDecision:
        self.calls.append(("authorize", id_tag))
        return self.decision

    async def transaction(self, station_id: str, report: TransactionReport) -> TransactionOutcome:
        self.calls.append(("transaction", report))
        return TransactionOutcome(
            session=self.session,
            transaction_id=report.transaction_id,
            authorization=self.outcome_authorization,
        )

    async def meter_values(
        self, station_id: str, evse_no: int, transaction_id: str | None, samples: tuple[MeterSample, ...]
    ) -> None:
        self.calls.append(("meter_values", (evse_no, transaction_id, samples)))

    async def record(self, station_id: str, event: ChargePointEvent) -> None:
        self.calls.append(("record", event))


class FakeConnection:
    def __init__(self) -> None:
        self.state: dict[str, Any] = {}


@pytest.fixture
def api() -> FakeChargePointApi:
    return FakeChargePointApi()


@pytest.fixture
def ctx(api: FakeChargePointApi) -> HandlerContext:
    return HandlerContext(
        station_id="CP201",
        api=cast(ChargePointApi, api),
        connection=cast(Connection, FakeConnection()),
        message_id="m-1",
    )


async def handle(ctx: HandlerContext, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate the request like the RPC layer does, run the handler, validate the answer."""
    schemas.validate(VERSION.schema_dir, action, "Request", payload)
    response = await VERSION.handlers[action](ctx, payload)
    schemas.validate(VERSION.schema_dir, action, "Response", response)
    return response


def test_every_station_message_the_brief_names_has_a_handler() -> None:
    required = {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "Authorize",
        "TransactionEvent",
        "MeterValues",
        "NotifyEvent",
        "DataTransfer",
        "FirmwareStatusNotification",
        "LogStatusNotification",
        "SecurityEventNotification",
        "NotifyReport",
        "ReservationStatusUpdate",
    }
    assert required <= set(VERSION.handlers)
    assert set(VERSION.handlers) <= policy.STATION_TO_CSMS_ACTIONS
    for action in VERSION.handlers:
        assert schemas.has_schema(VERSION.schema_dir, action, "Request")
    assert VERSION.boot_exempt >= {"BootNotification", "Heartbeat"}
    assert VERSION.reject_before_boot is True


async def test_boot_notification(ctx: HandlerContext, api: FakeChargePointApi) -> None:
    api.boot_status = BootStatus.PENDING
    response = await handle(
        ctx,
        "BootNotification",
        {
            "reason": "PowerUp",
            "chargingStation": {
                "vendorName": "ACME",
                "model": "X1",
                "serialNumber": "S-1",
                "firmwareVersion": "1.2",
            },
        },
    )
    assert response == {"status": "Pending", "interval": 300, "currentTime": "2026-01-01T12:00:00Z"}
    assert api.calls == [
        (
            "boot",
            BootInfo(
                vendor="ACME", model="X1", serial_number="S-1", firmware_version="1.2", reason="PowerUp"
            ),
        )
    ]


async def test_heartbeat(ctx: HandlerContext) -> None:
    assert await handle(ctx, "Heartbeat", {}) == {"currentTime": "2026-01-01T12:00:00Z"}


async def test_status_notification(ctx: HandlerContext, api: FakeChargePointApi) -> None:
    payload = {
        "timestamp": "2026-01-01T11:59:00Z",
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 2,
    }
    assert await handle(ctx, "StatusNotification", payload) == {}
    [(name, report)] = api.calls
    assert name == "status"
    assert (report.evse_no, report.connector_no, report.state) == (1, 2, ConnectorState.OCCUPIED)


async def test_status_notification_with_an_impossible_date_is_a_format_violation(ctx: HandlerContext) -> None:
    payload = {
        "timestamp": "2026-02-30T10:00:00Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    with pytest.raises(FormatViolationCallError):
        await handle(ctx, "StatusNotification", payload)


@pytest.mark.parametrize(
    ("status", "wire"),
    [
        (AuthorizationStatus.ALLOWED, "Accepted"),
        (AuthorizationStatus.BLOCKED, "Blocked"),
        (AuthorizationStatus.EXPIRED, "Expired"),
        (AuthorizationStatus.NO_CREDIT, "NoCredit"),
        (AuthorizationStatus.NOT_ALLOWED, "Invalid"),
        (AuthorizationStatus.UNKNOWN, "Unknown"),
    ],
)
async def test_authorize_maps_every_decision(
    ctx: HandlerContext, api: FakeChargePointApi, status: AuthorizationStatus, wire: str
) -> None:
    api.decision = AuthorizationDecision(status=status)
    response = await handle(ctx, "Authorize", {"idToken": {"idToken": "04A1B2", "type": "ISO14443"}})
    assert response == {"idTokenInfo": {"status": wire}}
    assert api.calls == [("authorize", "04A1B2")]


async def test_authorize_without_a_token_asks_nobody(ctx: HandlerContext, api: FakeChargePointApi) -> None:
    response = await handle(ctx, "Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
    assert response == {"idTokenInfo": {"status": "Invalid"}}
    assert api.calls == []


def a_started_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "Started",
        "timestamp": "2026-01-01T10:00:00Z",
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-9", "chargingState": "Charging", "remoteStartId": 5},
        "evse": {"id": 2, "connectorId": 1},
        "idToken": {"idToken": "04A1B2", "type": "ISO14443"},
        "meterValue": [
            {
                "timestamp": "2026-01-01T10:00:00Z",
                "sampledValue": [
                    {"value": 1000, "context": "Transaction.Begin", "unitOfMeasure": {"unit": "Wh"}}
                ],
            }
        ],
    }
    event.update(overrides)
    return event


async def test_transaction_events_remember_the_evse_of_the_transaction(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    api.outcome_authorization = AuthorizationDecision(status=AuthorizationStatus.ALLOWED)
    started = await handle(ctx, "TransactionEvent", a_started_event())
    assert started == {"idTokenInfo": {"status": "Accepted"}}
    updated = await handle(
        ctx,
        "TransactionEvent",
        {
            "eventType": "Updated",
            "timestamp": "2026-01-01T10:15:00Z",
            "triggerReason": "MeterValuePeriodic",
            "seqNo": 1,
            "transactionInfo": {"transactionId": "tx-9"},
            "meterValue": [
                {
                    "timestamp": "2026-01-01T10:15:00Z",
                    "sampledValue": [{"value": 3.5, "unitOfMeasure": {"unit": "kWh"}}],
                }
            ],
        },
    )
    assert updated == {}  # no idToken, no idTokenInfo
    ended = await handle(
        ctx,
        "TransactionEvent",
        {
            "eventType": "Ended",
            "timestamp": "2026-01-01T10:30:00Z",
            "triggerReason": "EVDeparted",
            "seqNo": 2,
            "offline": True,
            "transactionInfo": {"transactionId": "tx-9", "stoppedReason": "EVDisconnected"},
        },
    )
    assert ended == {}
    reports = [report for name, report in api.calls if name == "transaction"]
    assert [r.kind for r in reports] == [
        TransactionEventKind.STARTED,
        TransactionEventKind.UPDATED,
        TransactionEventKind.ENDED,
    ]
    assert [(r.evse_no, r.connector_no) for r in reports] == [(2, 1), (2, 1), (2, 1)]
    assert [r.seq_no for r in reports] == [0, 1, 2]
    assert reports[0].remote_start_id == 5
    assert [(s.value, s.unit) for s in reports[0].samples] == [(Decimal(1), "kWh")]
    assert [(s.value, s.unit) for s in reports[1].samples] == [(Decimal("3.5"), "kWh")]
    assert all(r.meter_wh is None for r in reports)  # 2.0.1 energy travels as samples only
    assert reports[2].offline is True
    assert reports[2].stop_reason == "EVDisconnected"
    assert ctx.connection.state[handlers.TRANSACTION_EVSES] == {}  # forgotten after Ended


async def test_a_token_the_core_did_not_judge_is_authorized_for_the_answer(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    api.decision = AuthorizationDecision(status=AuthorizationStatus.BLOCKED)
    assert await handle(ctx, "TransactionEvent", a_started_event()) == {"idTokenInfo": {"status": "Blocked"}}
    assert [name for name, _ in api.calls] == ["transaction", "authorize"]


@pytest.mark.parametrize(
    ("status", "token", "answer", "asked"),
    [
        (SessionStatus.ACTIVE, "04a1b2", "Accepted", False),  # the session's own token (any case)
        (SessionStatus.ACTIVE, "OTHER-CARD", "Blocked", True),
        (SessionStatus.INVALID, "04A1B2", "Blocked", True),
    ],
)
async def test_the_sessions_own_token_needs_no_new_decision(
    ctx: HandlerContext, api: FakeChargePointApi, status: SessionStatus, token: str, answer: str, asked: bool
) -> None:
    api.session = Session(
        id="s-1",
        party=PartyRef(country_code="NL", party_id="CPO"),
        status=status,
        start=NOW,
        token_uid="04A1B2",
        last_updated=NOW,
    )
    api.decision = AuthorizationDecision(status=AuthorizationStatus.BLOCKED)
    ended = a_started_event(eventType="Ended", seqNo=3, idToken={"idToken": token, "type": "ISO14443"})
    del ended["evse"]
    assert await handle(ctx, "TransactionEvent", ended) == {"idTokenInfo": {"status": answer}}
    assert [tag for name, tag in api.calls if name == "authorize"] == ([token] if asked else [])


async def test_free_vend_transaction_is_accepted_without_a_token(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    response = await handle(
        ctx, "TransactionEvent", a_started_event(idToken={"idToken": "", "type": "NoAuthorization"})
    )
    assert response == {"idTokenInfo": {"status": "Accepted"}}
    [(_, report)] = api.calls
    assert report.id_tag is None


async def test_meter_values_outside_a_transaction(ctx: HandlerContext, api: FakeChargePointApi) -> None:
    payload = {
        "evseId": 1,
        "meterValue": [
            {
                "timestamp": "2026-01-01T10:00:00Z",
                "sampledValue": [
                    {"value": 12, "unitOfMeasure": {"unit": "kWh"}},
                    {"value": 230.1, "measurand": "Voltage", "phase": "L1-N"},
                ],
            }
        ],
    }
    assert await handle(ctx, "MeterValues", payload) == {}
    [(name, (evse_no, transaction_id, samples))] = api.calls
    assert (name, evse_no, transaction_id) == ("meter_values", 1, None)
    assert [(s.measurand, s.value, s.unit) for s in samples] == [
        ("Energy.Active.Import.Register", Decimal(12), "kWh"),
        ("Voltage", Decimal("230.1"), "V"),
    ]


def an_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventId": 1,
        "timestamp": "2026-01-01T10:00:00Z",
        "trigger": "Delta",
        "actualValue": "Faulted",
        "techCode": "E42",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
        "variable": {"name": "AvailabilityState"},
    }
    event.update(overrides)
    return event


async def test_notify_event_is_recorded_and_availability_becomes_a_status(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    payload = {
        "generatedAt": "2026-01-01T10:00:01Z",
        "seqNo": 0,
        "eventData": [
            an_event(),
            an_event(eventId=2, actualValue="Available", component={"name": "ChargingStation"}),
            an_event(eventId=3, component={"name": "Connector"}),  # no EVSE: cannot be placed
            an_event(eventId=4, variable={"name": "Problem"}, actualValue="true"),
        ],
    }
    assert await handle(ctx, "NotifyEvent", payload) == {}
    assert [name for name, _ in api.calls] == ["record", "status", "status"]
    record = api.calls[0][1]
    assert (record.kind, record.timestamp, record.payload) == (
        "NotifyEvent",
        datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC),
        payload,
    )
    faulted, station = api.calls[1][1], api.calls[2][1]
    assert (faulted.evse_no, faulted.connector_no, faulted.state, faulted.error_code) == (
        1,
        1,
        ConnectorState.FAULTED,
        "E42",
    )
    assert (station.evse_no, station.state, station.error_code) == (0, ConnectorState.AVAILABLE, None)


async def test_data_transfer_is_recorded_and_answered_unknown_vendor(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    payload = {"vendorId": "com.acme", "messageId": "hello", "data": {"x": 1}}
    assert await handle(ctx, "DataTransfer", payload) == {"status": "UnknownVendorId"}
    [(name, event)] = api.calls
    assert (name, event.kind, event.payload) == ("record", "DataTransfer", payload)


@pytest.mark.parametrize(
    ("action", "payload", "timestamp"),
    [
        ("FirmwareStatusNotification", {"status": "Installed", "requestId": 3}, None),
        ("LogStatusNotification", {"status": "Uploaded", "requestId": 4}, None),
        (
            "SecurityEventNotification",
            {"type": "FirmwareUpdated", "timestamp": "2026-01-01T09:00:00Z", "techInfo": "v2"},
            datetime(2026, 1, 1, 9, tzinfo=UTC),
        ),
        (
            "NotifyReport",
            {"requestId": 1, "generatedAt": "2026-01-01T09:30:00Z", "seqNo": 0, "tbc": False},
            datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
        ),
        ("ReservationStatusUpdate", {"reservationId": 7, "reservationUpdateStatus": "Expired"}, None),
    ],
)
async def test_notifications_are_recorded(
    ctx: HandlerContext,
    api: FakeChargePointApi,
    action: str,
    payload: dict[str, Any],
    timestamp: datetime | None,
) -> None:
    assert await handle(ctx, action, payload) == {}
    [(name, event)] = api.calls
    assert (name, event.kind, event.timestamp, event.payload) == ("record", action, timestamp, payload)


async def test_core_errors_propagate_for_the_rpc_layer_to_map(
    ctx: HandlerContext, api: FakeChargePointApi
) -> None:
    async def missing(station_id: str, report: StatusReport) -> None:
        raise NotFoundError("no such EVSE")

    api.status = missing  # type: ignore[method-assign]
    payload = {
        "timestamp": "2026-01-01T11:59:00Z",
        "connectorStatus": "Occupied",
        "evseId": 9,
        "connectorId": 1,
    }
    with pytest.raises(NotFoundError):
        await handle(ctx, "StatusNotification", payload)
