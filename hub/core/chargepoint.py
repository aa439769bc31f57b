"""Version-neutral station facts and the one service the OCPP adapter calls for everything a station
reports: admission, boot, heartbeat, status, authorization, transactions, meter values, notifications.

Imports the standard library, pydantic, structlog and the core only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from pydantic import AwareDatetime

from hub.core.models import (
    AuthorizationDecision,
    BootStatus,
    ConnectorState,
    CoreModel,
    MeterSample,
    Session,
    Station,
)


class BootInfo(CoreModel):
    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    reason: str | None = None  # 2.0.1 BootReason


class BootResult(CoreModel):
    status: BootStatus
    interval_s: int
    current_time: AwareDatetime


class StatusReport(CoreModel):
    """A connector (or, with evse_no 0, the whole station) changed state."""

    evse_no: int  # 1.6 connectorId, 2.0.1 evseId; 0 = the station itself
    connector_no: int | None = None  # 2.0.1 connectorId; 1.6 has one connector per EVSE (None = 1)
    state: ConnectorState
    error_code: str | None = None  # 1.6 ChargePointErrorCode; None or "NoError" = no fault
    info: str | None = None
    vendor_error_code: str | None = None
    timestamp: AwareDatetime | None = None


class TransactionEventKind(StrEnum):
    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


class TransactionReport(CoreModel):
    """One transaction message from a station, in neutral form.

    OCPP 1.6 StartTransaction is STARTED with `transaction_id` None (the hub assigns one); StopTransaction is
    ENDED with the integer id as text (it may be a placeholder: "-1" or "0"). OCPP 2.0.1 TransactionEvent
    carries the station's own `transaction_id`, `seq_no` and `offline`."""

    kind: TransactionEventKind
    timestamp: AwareDatetime
    transaction_id: str | None = None
    evse_no: int | None = None
    connector_no: int | None = None
    id_tag: str | None = None
    meter_wh: Decimal | None = None  # 1.6 meterStart / meterStop (integer Wh)
    samples: tuple[MeterSample, ...] = ()
    reservation_id: int | None = None
    remote_start_id: int | None = None
    seq_no: int | None = None
    offline: bool = False
    stop_reason: str | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None


class TransactionOutcome(CoreModel):
    """What the station is told: the transaction id to use (1.6) and the token's authorization."""

    session: Session | None
    transaction_id: str | None
    authorization: AuthorizationDecision | None
    duplicate: bool = False  # the message had been processed before (a retry)


class AdmissionResult(CoreModel):
    """Whether a websocket for `station_id` may open, checked before the upgrade."""

    admitted: bool
    known: bool
    reason: str | None = None
    station: Station | None = None


class ChargePointEvent(CoreModel):
    """A station-side notification the core records (firmware, diagnostics, log upload, security event,
    NotifyEvent, DataTransfer, reservation status)."""

    kind: str
    timestamp: AwareDatetime | None = None
    payload: dict[str, Any]


class ChargePointApi(Protocol):
    """What the OCPP adapter may ask of the core. Implemented by `hub.core.stations.ChargePointService`.

    Every method is one unit of work: state, alarms and outbox rows are committed together, then the
    domain events are published. Methods never wait on a station (no outgoing CALL inside)."""

    async def admit(
        self, station_id: str, password: str | None, client_cert_cn: str | None
    ) -> AdmissionResult:
        """Decide before the websocket upgrade. Unknown ids are admitted only with
        `accept_unknown_stations`; a configured password must match (constant-time compare)."""
        ...

    async def connected(self, station_id: str, protocol: str) -> None:
        """The websocket is open. Keeps everything known about the station (no fresh Boot required)."""
        ...

    async def disconnected(self, station_id: str) -> None:
        """The websocket closed: the station's EVSEs become UNKNOWN."""
        ...

    async def boot(self, station_id: str, info: BootInfo) -> BootResult: ...

    async def heartbeat(self, station_id: str) -> datetime:
        """Returns the hub's current time (UTC). Cheap: no write on every call."""
        ...

    def is_accepted(self, station_id: str) -> bool:
        """True once a BootNotification was Accepted for this station (now or in an earlier connection)."""
        ...

    async def status(self, station_id: str, report: StatusReport) -> None:
        """Maps the state to the EVSE status, raises/clears alarms for error codes, publishes
        EvseStatusChanged only when the mapped status changes."""
        ...

    async def authorize(
        self, station_id: str, id_tag: str, evse_no: int | None = None
    ) -> AuthorizationDecision: ...

    async def transaction(self, station_id: str, report: TransactionReport) -> TransactionOutcome:
        """STARTED/UPDATED/ENDED. Idempotent: a repeat returns the same outcome with `duplicate` True.
        Never raises for hub-side trouble a station cannot fix (OCPP 1.6 ed. 2 §3.7): it answers."""
        ...

    async def meter_values(
        self, station_id: str, evse_no: int, transaction_id: str | None, samples: tuple[MeterSample, ...]
    ) -> None: ...

    async def record(self, station_id: str, event: ChargePointEvent) -> None: ...
