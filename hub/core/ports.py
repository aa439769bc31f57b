"""The core's ports: repositories behind a unit of work, the station gateway, pricing and real-time
authorization. Storage and adapters implement them; the core depends on nothing else.

Imports the standard library and core models only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from hub.core.models import (
    Alarm,
    AuthorizationDecision,
    Cdr,
    CdrRating,
    Command,
    Location,
    OutboxMessage,
    PartnerRecord,
    Party,
    PartyRef,
    Platform,
    PricedSession,
    Session,
    Station,
    StationCommandReply,
    StationNotification,
    Tariff,
    Token,
    TokenType,
)

# --- Repositories -----------------------------------------------------------------------------
# Every method works inside the unit of work that owns the repository; nothing is visible to other
# units of work before `commit()`. Lookups of partner-facing ids are case-insensitive.


class PartyRepository(Protocol):
    async def get(self, ref: PartyRef) -> Party | None: ...
    async def put(self, party: Party) -> None: ...
    async def list(self) -> Sequence[Party]: ...


class LocationRepository(Protocol):
    async def get(self, party: PartyRef, location_id: str) -> Location | None: ...
    async def put(self, location: Location) -> None:
        """Insert or replace the location with its EVSEs and connectors."""
        ...

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Location]:
        """Ordered by last_updated then id; date_from inclusive, date_to exclusive."""
        ...

    async def count(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int: ...
    async def find_by_evse(self, evse_uid: str) -> Location | None: ...


class StationRepository(Protocol):
    async def get(self, station_id: str) -> Station | None: ...
    async def put(self, station: Station) -> None: ...
    async def list(self) -> Sequence[Station]: ...


class TokenRepository(Protocol):
    async def get(
        self, uid: str, party: PartyRef | None = None, type: TokenType | None = None
    ) -> Token | None:
        """A token is (party, uid, type) (TK-04). With `party` None, any party's token with this uid (own
        tokens first); with `type` None, any type (RFID first, then the others by name)."""
        ...

    async def put(self, token: Token) -> None: ...
    async def list(
        self, party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Token]: ...


class SessionRepository(Protocol):
    async def get(self, session_id: str) -> Session | None: ...
    async def put(self, session: Session) -> None: ...
    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None: ...
    async def find_by_idempotency_key(self, key: str) -> Session | None: ...
    async def find_active(self, station_id: str, evse_uid: str | None = None) -> Sequence[Session]:
        """PENDING or ACTIVE sessions of a station (optionally of one EVSE), oldest first."""
        ...

    async def find_pending_remote_start(self, station_id: str, remote_start_id: int) -> Session | None: ...
    async def find_pending(self, started_before: datetime, limit: int) -> Sequence[Session]:
        """PENDING sessions of every station that began before `started_before`, oldest first."""
        ...

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Session]: ...
    async def next_transaction_number(self) -> int:
        """A hub-wide integer for OCPP 1.6 transaction ids, 1 … 2**31-1, never handed out twice."""
        ...


class CdrRepository(Protocol):
    async def get(self, cdr_id: str) -> Cdr | None: ...
    async def add(self, cdr: Cdr) -> None:
        """CDRs are immutable: adding an existing id raises ConflictError."""
        ...

    async def find_by_session(self, session_id: str) -> Sequence[Cdr]: ...
    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Cdr]: ...


class TariffRepository(Protocol):
    async def get(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        """The current tariff."""
        ...

    async def get_at(self, party: PartyRef, tariff_id: str, at: datetime) -> Tariff | None:
        """The version stored with the greatest last_updated <= `at` (also of a since deleted tariff),
        None when there is none; its start/end_date_time are the caller's to check."""
        ...

    async def put(self, tariff: Tariff) -> None:
        """Insert or replace, and keep the tariff as its version at `last_updated` (a version stored with
        the same last_updated is replaced)."""
        ...

    async def delete(self, party: PartyRef, tariff_id: str) -> None:
        """Remove the current tariff; its versions stay."""
        ...

    async def list(self, party: PartyRef | None = None) -> Sequence[Tariff]: ...


class CdrRatingRepository(Protocol):
    """Our eMSP's ratings of partner CPOs' CDRs, keyed by (CPO party, CDR id), case-insensitive."""

    async def get(self, cpo_party: PartyRef, cdr_id: str) -> CdrRating | None: ...
    async def put(self, rating: CdrRating) -> None:
        """Insert or replace (a CDR rated again)."""
        ...

    async def list(
        self, emsp_party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[CdrRating]:
        """Ordered by rated_at, then CDR id; with `emsp_party` only that eMSP's ratings."""
        ...


class CommandRepository(Protocol):
    async def get(self, command_id: str) -> Command | None: ...
    async def put(self, command: Command) -> None: ...
    async def find_reservation(
        self, station_id: str, reservation_id: str, requester: PartyRef | None
    ) -> Command | None:
        """The latest RESERVE_NOW command for this requester's reservation id at this station."""
        ...

    async def next_station_number(self, station_id: str, kind: str) -> int:
        """Per-station integers for reservation ids, remote-start ids and charging profile ids."""
        ...


class AlarmRepository(Protocol):
    async def put(self, alarm: Alarm) -> None: ...
    async def open_alarms(self, station_id: str) -> Sequence[Alarm]: ...
    async def list(
        self, station_id: str | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Alarm]: ...


class StationNotificationRepository(Protocol):
    async def add(self, notification: StationNotification) -> None: ...
    async def list(
        self, station_id: str, kind: str | None = None, limit: int | None = None
    ) -> Sequence[StationNotification]: ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> int:
        """Store a message; returns its id. Written in the caller's transaction."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Undelivered messages due by `now`, at most one per key (the oldest), oldest first.

        On PostgreSQL the rows are locked (`FOR UPDATE SKIP LOCKED`) until the unit of work ends, so two
        processes never claim the same message."""
        ...

    async def mark_delivered(self, message_id: int, when: datetime) -> None: ...
    async def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None: ...
    async def lease(self, message_id: int, until: datetime) -> None:
        """Keep a claimed message from being claimed again before `until` (its delivery is in flight);
        unlike `mark_failed` it counts no attempt."""
        ...

    async def depth(self) -> int:
        """Number of undelivered messages."""
        ...

    async def latest(self, topic: str, target_prefix: str | None = None) -> Sequence[OutboxMessage]:
        """The newest message (highest id) of each (target, key) of `topic`, delivered or not, ordered by
        target (no target first), then key; with `target_prefix` only targets starting with it."""
        ...

    async def retry_failed(self, topic: str, target_prefix: str | None, when: datetime) -> int:
        """Make every undelivered message of `topic` that failed at least once (attempts > 0) due at `when`
        (with `target_prefix`, only targets starting with it); returns how many. Attempts are kept."""
        ...


class PlatformRepository(Protocol):
    """Partner platforms; tokens are kept encrypted by storage and found by exact match."""

    async def get(self, platform_id: str) -> Platform | None: ...
    async def put(self, platform: Platform) -> None:
        """Insert or replace."""
        ...

    async def list(self) -> Sequence[Platform]:
        """Ordered by name, then id."""
        ...

    async def find_by_token(self, token: str) -> Platform | None:
        """The platform whose invitation, inbound or previous inbound token is exactly `token` (case
        sensitive); expiry of the previous token and the status are checked by the caller."""
        ...

    async def find_by_party(self, party: PartyRef) -> Platform | None:
        """A platform, not SUSPENDED, whose roles carry `party` (case-insensitive); the most recently
        updated when several do."""
        ...


class PartnerRecordRepository(Protocol):
    """Objects partners pushed to our hosted parties, keyed by (module, owner party, id), case-insensitive."""

    async def get(self, module: str, party: PartyRef, record_id: str) -> PartnerRecord | None: ...
    async def put(self, record: PartnerRecord) -> None:
        """Insert or replace (the stored id keeps the spelling of the last put)."""
        ...

    async def delete(self, module: str, party: PartyRef, record_id: str) -> None: ...
    async def list(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[PartnerRecord]:
        """Ordered by last_updated then id; date_from inclusive, date_to exclusive."""
        ...

    async def count(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int: ...


class UnitOfWork(Protocol):
    """One database transaction: repositories that share it, committed or rolled back as one."""

    parties: PartyRepository
    locations: LocationRepository
    stations: StationRepository
    tokens: TokenRepository
    sessions: SessionRepository
    cdrs: CdrRepository
    tariffs: TariffRepository
    commands: CommandRepository
    alarms: AlarmRepository
    notifications: StationNotificationRepository
    outbox: OutboxRepository
    platforms: PlatformRepository
    records: PartnerRecordRepository
    ratings: CdrRatingRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Rolls back whatever was not committed."""
        ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Database(Protocol):
    """What the composition root needs of a storage backend besides units of work."""

    def unit_of_work(self) -> UnitOfWork: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


# --- Gateways and services implemented outside the core ----------------------------------------


class StationGateway(Protocol):
    """Reaches a connected station. Implemented by the OCPP adapter; every method returns the
    station's answer mapped to neutral terms, raises UnavailableError when the station is not connected
    and HubTimeoutError when it does not answer in time."""

    def is_connected(self, station_id: str) -> bool: ...

    async def start_transaction(
        self, station_id: str, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply: ...
    async def stop_transaction(self, station_id: str, transaction_id: str) -> StationCommandReply: ...
    async def unlock_connector(
        self, station_id: str, evse_no: int, connector_no: int
    ) -> StationCommandReply: ...
    async def reserve_now(
        self,
        station_id: str,
        reservation_id: int,
        evse_no: int | None,
        token_uid: str,
        expiry: datetime,
    ) -> StationCommandReply: ...
    async def cancel_reservation(self, station_id: str, reservation_id: int) -> StationCommandReply: ...
    async def set_charging_limit(
        self,
        station_id: str,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply: ...
    async def clear_charging_profile(self, station_id: str, profile_id: int) -> StationCommandReply: ...
    async def get_composite_schedule(
        self, station_id: str, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        """`data` holds the schedule in neutral form: {"start", "unit", "periods": [{"start_s", "limit"}]}."""
        ...

    async def reset(self, station_id: str, hard: bool) -> StationCommandReply: ...
    async def change_availability(
        self, station_id: str, evse_no: int, operative: bool
    ) -> StationCommandReply: ...
    async def trigger_message(
        self, station_id: str, message: str, evse_no: int | None
    ) -> StationCommandReply:
        """`message` is a neutral name: BootNotification, Heartbeat, StatusNotification, MeterValues, …"""
        ...

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> StationCommandReply:
        """`data` maps key -> value. 2.0.1 keys are `Component.Variable` (GetVariables)."""
        ...

    async def change_configuration(self, station_id: str, key: str, value: str) -> StationCommandReply: ...
    async def send_local_list(
        self, station_id: str, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        """Entries are (token uid, accepted)."""
        ...

    async def data_transfer(
        self, station_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply: ...


class PricingPort(Protocol):
    """Prices a finished session (or a CDR's periods) against a tariff in the location's time zone;
    raises InvalidRequestError naming the field for a tariff or periods it cannot price."""

    def price(self, session: Session | Cdr, tariff: Tariff | None, time_zone: str) -> PricedSession: ...


class RemoteAuthorizer(Protocol):
    """Asks a token's owner in real time (OCPI `POST tokens/{uid}/authorize`, …). Returns None when the
    owner cannot be asked (not connected, no such adapter) or did not answer in time."""

    async def authorize(
        self, token: Token, location_id: str | None, evse_uid: str | None
    ) -> AuthorizationDecision | None: ...
