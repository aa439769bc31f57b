"""What the session service's parts share: transaction-id rules and idempotency keys, the base with the
dependencies, and the steps both starts and updates take (new session, token verdicts, completion with
the CDR, repeats, the site a report belongs to).

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from hub.core.authorization import AuthorizationService, Injection, Verdict
from hub.core.cdrs import CdrService
from hub.core.chargepoint import TransactionOutcome, TransactionReport
from hub.core.clock import Clock, IdGenerator
from hub.core.errors import InvalidRequestError
from hub.core.events import CdrCreated, DomainEvent, EventBus, SessionUpdated
from hub.core.metering import Reading, close_periods, energy_readings
from hub.core.models import (
    AuthMethod,
    AuthorizationDecision,
    AuthorizationStatus,
    Location,
    Session,
    SessionStatus,
    Station,
    Tariff,
)
from hub.core.outbox import Topic, add_change, session_key
from hub.core.ports import Database, UnitOfWork
from hub.core.tariffs import find_tariff

log = structlog.get_logger(__name__)

# OCPP 1.6 echoes nothing of a RemoteStartTransaction: the next start on the same station, EVSE and token
# within this window belongs to the PENDING session (ConnectionTimeOut is typically 1-5 minutes).
REMOTE_START_WINDOW = timedelta(minutes=10)
# A report older than this when it arrives happened while the station was offline.
LATE_REPORT_AFTER = timedelta(minutes=5)
SUPERSEDED = "SupersededByNewTransaction"


def is_placeholder(transaction_id: str | None) -> bool:
    """OCPP 1.6 stations send -1 (offline start) or 0 (rejected start) when they have no real id."""
    if transaction_id is None:
        return True
    try:
        return int(transaction_id) <= 0
    except ValueError:
        return False


def _decimal_text(value: object) -> str:
    return "" if value is None else str(value)


def start_key(station_id: str, report: TransactionReport) -> str:
    """Idempotency key of a start the hub numbers: (station, connector, idTag, timestamp, meterStart)."""
    parts = (
        "start",
        station_id.upper(),
        _decimal_text(report.evse_no),
        _decimal_text(report.connector_no),
        (report.id_tag or "").upper(),
        report.timestamp.astimezone(UTC).isoformat(),
        _decimal_text(report.meter_wh),
    )
    return "|".join(parts)


def stop_key(station_id: str, report: TransactionReport) -> str:
    """Idempotency key of a stop resolved without a usable transaction id."""
    parts = (
        "stop",
        station_id.upper(),
        report.transaction_id or "",
        (report.id_tag or "").upper(),
        report.timestamp.astimezone(UTC).isoformat(),
        _decimal_text(report.meter_wh),
    )
    return "|".join(parts)


def report_readings(report: TransactionReport) -> list[Reading]:
    readings = energy_readings(report.samples)
    if report.meter_wh is not None:
        readings.append(Reading(report.timestamp, report.meter_wh))
        readings.sort(key=lambda r: r.timestamp)
    return readings


def charging_state(report: TransactionReport) -> bool | None:
    if report.charging_state is None:
        return None
    return report.charging_state.lower() == "charging"


def token_matches(session: Session, id_tag: str) -> bool:
    return bool(session.token_uid) and session.token_uid.upper() == id_tag.upper()


async def save_session(
    uow: UnitOfWork, session: Session, now: datetime, created: bool = False
) -> SessionUpdated:
    """Store a session with its `session.updated` outbox row; returns the event to publish after commit."""
    await uow.sessions.put(session)
    await add_change(uow, Topic.SESSION_UPDATED, session_key(session.id), session, now)
    return SessionUpdated(session=session, created=created)


@dataclass
class Site:
    location: Location | None
    tariff: Tariff | None
    connector_id: str | None

    @property
    def time_zone(self) -> str:
        return self.location.time_zone if self.location is not None else "UTC"


class LiveSessions:
    """What this process knows without reading: the running sessions it last wrote, by (station, transaction
    id), and the stations known to have no PENDING session. A station's connection lives in one process, so
    its reports come here; when it (re)connects, `forget_station` drops what another process may have
    changed meanwhile. Filled only from committed writes (`note`) and from reads."""

    __slots__ = ("_by_tx", "_key_of", "_no_pending", "pending_epoch")

    def __init__(self) -> None:
        self._by_tx: dict[str, dict[str, Session]] = {}  # station key -> transaction id -> session
        self._key_of: dict[str, tuple[str, str]] = {}  # session id -> its (station key, transaction id)
        self._no_pending: set[str] = set()
        self.pending_epoch = 0  # moves whenever a PENDING session may have appeared

    def by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        running = self._by_tx.get(station_id.upper())
        return None if running is None else running.get(transaction_id)

    def note(self, events: list[DomainEvent]) -> None:
        """Sessions written by a committed unit of work (their SessionUpdated events)."""
        for event in events:
            if isinstance(event, SessionUpdated):
                self.note_session(event.session)

    def note_session(self, session: Session) -> None:
        old = self._key_of.pop(session.id, None)
        if old is not None:
            running = self._by_tx.get(old[0])
            if running is not None:
                running.pop(old[1], None)
                if not running:
                    del self._by_tx[old[0]]
        if session.status is SessionStatus.PENDING:
            self.pending_appeared(session.station_id)
        if (
            session.transaction_id is not None
            and session.end is None
            and session.status in (SessionStatus.ACTIVE, SessionStatus.INVALID)
        ):
            station_key = (session.station_id or "").upper()
            running = self._by_tx.setdefault(station_key, {})
            stale = running.get(session.transaction_id)
            if stale is not None:
                self._key_of.pop(stale.id, None)
            running[session.transaction_id] = session
            self._key_of[session.id] = (station_key, session.transaction_id)

    def has_no_pending(self, station_id: str) -> bool:
        return station_id.upper() in self._no_pending

    def mark_no_pending(self, station_id: str, epoch: int) -> None:
        """A read (begun at `epoch`) found no PENDING session at the station."""
        if epoch == self.pending_epoch:
            self._no_pending.add(station_id.upper())

    def pending_appeared(self, station_id: str | None) -> None:
        self.pending_epoch += 1
        if station_id is not None:
            self._no_pending.discard(station_id.upper())

    def forget_station(self, station_id: str) -> None:
        self.pending_appeared(station_id)
        for session in self._by_tx.pop(station_id.upper(), {}).values():
            self._key_of.pop(session.id, None)


@dataclass
class Write:
    """What one unit of work produced: the outcome for the station and the events to publish."""

    outcome: TransactionOutcome
    events: list[DomainEvent] = field(default_factory=list)
    injection: Injection | None = None


class SessionParts:
    """Dependencies and shared steps of the session service and its start/update handlers."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        authorization: AuthorizationService,
        cdrs: CdrService,
        currency: str,
        live: LiveSessions | None = None,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._authorization = authorization
        self._cdrs = cdrs
        self._currency = currency
        self._live = live if live is not None else LiveSessions()

    def _new_session(
        self, station: Station, evse_uid: str | None, site: Site, report: TransactionReport, now: datetime
    ) -> Session:
        return Session(
            id=self._ids.new_id(),
            party=station.party,
            status=SessionStatus.ACTIVE,
            start=report.timestamp,
            location_id=site.location.id if site.location is not None else station.location_id,
            evse_uid=evse_uid,
            connector_id=site.connector_id,
            station_id=station.id,
            token_uid=report.id_tag or "",
            contract_id=report.id_tag,
            tariff_id=site.tariff.id if site.tariff is not None else None,
            currency=site.tariff.currency if site.tariff is not None else self._currency,
            reservation_id=report.reservation_id,
            remote_start_id=report.remote_start_id,
            last_seq_no=report.seq_no,
            last_updated=now,
        )

    @staticmethod
    def _with_injection(session: Session, injection: Injection) -> Session:
        token = injection.token
        return session.model_copy(
            update={
                "token_uid": token.uid,
                "token_party": token.party,
                "token_type": token.type,
                "contract_id": token.contract_id,
                "auth_method": AuthMethod.COMMAND,
                "authorization_reference": injection.authorization_reference,
                "remote_start_id": injection.remote_start_id,
            }
        )

    @staticmethod
    def _with_verdict(session: Session, verdict: Verdict, offline: bool) -> Session:
        decision = verdict.decision
        update: dict[str, object] = {"auth_method": verdict.method}
        if decision.token is not None:
            update.update(
                token_uid=decision.token.uid,
                token_party=decision.token.party,
                token_type=decision.token.type,
                contract_id=decision.token.contract_id,
            )
        if decision.authorization_reference is not None:
            update["authorization_reference"] = decision.authorization_reference
        if not decision.allowed and not offline and session.status is not SessionStatus.COMPLETED:
            update["status"] = SessionStatus.INVALID
        return session.model_copy(update=update)

    async def _complete(
        self,
        uow: UnitOfWork,
        station: Station,
        session: Session,
        end: datetime,
        stop_reason: str | None,
        now: datetime,
        created: bool = False,
    ) -> tuple[Session, list[DomainEvent]]:
        """End a session; a billable one gets its CDR in the same unit of work."""
        # A CDR is written only in the unit of work that sets `end`: a session still running has none yet.
        may_have_cdr = session.end is not None
        end = max(end, session.start)
        session = close_periods(session, end)
        status = SessionStatus.INVALID if session.status is SessionStatus.INVALID else SessionStatus.COMPLETED
        session = session.model_copy(
            update={"status": status, "end": end, "stop_reason": stop_reason, "last_updated": now}
        )
        events: list[DomainEvent] = []
        if status is SessionStatus.COMPLETED and not (
            may_have_cdr and await uow.cdrs.find_by_session(session.id)
        ):
            site = await self._site(uow, station, session.evse_uid, session.connector_id)
            # The tariff the session started with, else what the EVSE has now (it may have been added since).
            tariff = (
                await find_tariff(uow, session.party, [session.tariff_id], at=session.start) or site.tariff
            )
            try:
                priced = self._cdrs.price(session, tariff, site.time_zone)
            except InvalidRequestError as error:
                # Never a silently wrong price: the session completes, its CDR waits for a fixed tariff.
                log.error("cdr_pricing_failed", session_id=session.id, field=error.field, reason=str(error))
                events.append(await save_session(uow, session, now, created=created))
                return session, events
            cost = priced.cost
            session = session.model_copy(
                update={
                    "total_cost": cost.total_excl_vat,
                    "tariff_id": tariff.id if tariff is not None else None,
                    "currency": cost.currency,
                }
            )
            events.append(await save_session(uow, session, now, created=created))
            cdr = await self._cdrs.create(uow, session, tariff, priced)
            events.append(CdrCreated(cdr=cdr))
        else:
            events.append(await save_session(uow, session, now, created=created))
        log.info(
            "transaction_ended",
            station_id=station.id,
            session_id=session.id,
            status=str(status),
            kwh=str(session.kwh),
            reason=stop_reason,
        )
        return session, events

    async def _duplicate(
        self, station: Station, session: Session, report: TransactionReport
    ) -> TransactionOutcome:
        """The same answer again for a retried message; no state changes."""
        decision: AuthorizationDecision | None = None
        if report.id_tag:
            if session.status is SessionStatus.INVALID:
                verdict = await self._authorization.verdict(
                    report.id_tag, station_id=station.id, location_id=station.location_id, reuse_recent=True
                )
                decision = verdict.decision
            else:
                decision = AuthorizationDecision(
                    status=AuthorizationStatus.ALLOWED,
                    authorization_reference=session.authorization_reference,
                )
        log.info("transaction_repeat", station_id=station.id, session_id=session.id, kind=str(report.kind))
        return TransactionOutcome(
            session=session,
            transaction_id=session.transaction_id or report.transaction_id,
            authorization=decision,
            duplicate=True,
        )

    async def _finish(self, write: Write) -> TransactionOutcome:
        self._live.note(write.events)
        await self._bus.publish_all(write.events)
        return write.outcome

    def _late(self, report: TransactionReport, now: datetime) -> bool:
        return report.offline or now - report.timestamp > LATE_REPORT_AFTER

    async def _site(
        self, uow: UnitOfWork, station: Station, evse_uid: str | None, connector_id: str | None
    ) -> Site:
        """The location, tariff (the connector's, else the station's) and connector id of a report."""
        location = (
            await uow.locations.get(station.party, station.location_id) if station.location_id else None
        )
        evse = location.evse(evse_uid) if location is not None and evse_uid is not None else None
        connector = None
        if evse is not None and evse.connectors:
            connector = next((c for c in evse.connectors if c.id == connector_id), None) or (
                evse.connectors[0] if connector_id is None else None
            )
        tariff_ids: list[str | None] = [*(connector.tariff_ids if connector else ()), station.tariff_id]
        tariff = await find_tariff(uow, station.party, tariff_ids)
        if connector is not None:
            connector_id = connector.id
        elif evse_uid is not None and connector_id is None:
            connector_id = "1"
        return Site(location=location, tariff=tariff, connector_id=connector_id)

    @staticmethod
    def _running(session: Session) -> bool:
        return session.status in (SessionStatus.ACTIVE, SessionStatus.INVALID) and session.end is None
