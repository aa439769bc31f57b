"""The session service: queries, the PENDING session of a START_SESSION, and the entry points for station
transaction reports and meter values (starts and updates are handled in `starts` and `updates`).

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from hub.core.authorization import AuthorizationService
from hub.core.cdrs import CdrService
from hub.core.chargepoint import TransactionEventKind, TransactionOutcome, TransactionReport
from hub.core.clock import Clock, IdGenerator
from hub.core.events import DomainEvent, EventBus, SessionUpdated
from hub.core.metering import apply_reading, energy_readings
from hub.core.models import (
    AuthMethod,
    MeterSample,
    PartyRef,
    Session,
    SessionStatus,
    Station,
    Token,
)
from hub.core.ports import Database, UnitOfWork
from hub.core.sessions.common import LiveSessions, SessionParts, is_placeholder, save_session
from hub.core.sessions.starts import TransactionStarts
from hub.core.sessions.updates import TransactionUpdates

log = structlog.get_logger(__name__)

# stop_reason of a PENDING session whose station never started it in time.
PENDING_EXPIRED = "EVConnectTimeout"


class SessionService(SessionParts):
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        authorization: AuthorizationService,
        cdrs: CdrService,
        currency: str,
    ) -> None:
        super().__init__(db, bus, clock, ids, authorization, cdrs, currency, live=LiveSessions())
        parts = (db, bus, clock, ids, authorization, cdrs, currency)
        self._starts = TransactionStarts(*parts, live=self._live)
        self._updates = TransactionUpdates(*parts, live=self._live)

    def forget_station(self, station_id: str) -> None:
        """The station (re)connected: what this process remembers of its sessions may be stale (it may have
        been connected to another process meanwhile), so the next reports read them again."""
        self._live.forget_station(station_id)

    # --- queries ----------------------------------------------------------------------------------

    async def get(self, session_id: str) -> Session | None:
        async with self._db.unit_of_work() as uow:
            return await uow.sessions.get(session_id)

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Session]:
        async with self._db.unit_of_work() as uow:
            return await uow.sessions.list(party, date_from, date_to, offset, limit)

    async def active(self, station_id: str, evse_uid: str | None = None) -> Sequence[Session]:
        async with self._db.unit_of_work() as uow:
            return await uow.sessions.find_active(station_id, evse_uid)

    async def create_pending(
        self,
        uow: UnitOfWork,
        station: Station,
        *,
        token: Token,
        evse_uid: str | None,
        connector_id: str | None,
        location_id: str | None,
        authorization_reference: str | None,
        remote_start_id: int | None,
        now: datetime,
    ) -> SessionUpdated:
        """The PENDING session of an accepted START_SESSION (ocpp.md §5); the station's start makes it
        ACTIVE. Added to `uow`; returns the event to publish after commit."""
        self._live.pending_appeared(station.id)
        site = await self._site(uow, station, evse_uid, connector_id)
        session = Session(
            id=self._ids.new_id(),
            party=station.party,
            status=SessionStatus.PENDING,
            start=now,
            location_id=location_id
            or (site.location.id if site.location is not None else station.location_id),
            evse_uid=evse_uid,
            connector_id=site.connector_id if evse_uid is not None else connector_id,
            station_id=station.id,
            token_uid=token.uid,
            token_party=token.party,
            token_type=token.type,
            contract_id=token.contract_id,
            auth_method=AuthMethod.COMMAND,
            authorization_reference=authorization_reference,
            tariff_id=site.tariff.id if site.tariff is not None else None,
            currency=site.tariff.currency if site.tariff is not None else self._currency,
            remote_start_id=remote_start_id,
            last_updated=now,
        )
        return await save_session(uow, session, now, created=True)

    async def cancel_pending(
        self, uow: UnitOfWork, session_id: str, now: datetime, reason: str
    ) -> SessionUpdated | None:
        """End a PENDING session the station never started: INVALID (never billed), ended now. Added to
        `uow`; returns the event to publish after commit, or None when the session is no longer PENDING."""
        session = await uow.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.PENDING:
            return None
        cancelled = session.model_copy(
            update={
                "status": SessionStatus.INVALID,
                "end": max(now, session.start),
                "stop_reason": reason,
                "last_updated": now,
            }
        )
        log.info(
            "pending_session_cancelled", session_id=session.id, station_id=session.station_id, reason=reason
        )
        return await save_session(uow, cancelled, now)

    async def expire_pending(self, older_than: timedelta, batch: int = 100) -> int:
        """Cancel PENDING sessions that began more than `older_than` ago: the station accepted the
        START_SESSION but no EV started in time (OCPP ConnectionTimeOut). Their injected tokens are
        withdrawn. Returns how many sessions were cancelled."""
        expired = 0
        while True:
            now = self._clock.now()
            events: list[SessionUpdated] = []
            async with self._db.unit_of_work() as uow:
                for session in await uow.sessions.find_pending(now - older_than, batch):
                    event = await self.cancel_pending(uow, session.id, now, PENDING_EXPIRED)
                    if event is not None:
                        events.append(event)
                await uow.commit()
            for event in events:
                injection = self._authorization.injected.find_session(event.session.id)
                if injection is not None:
                    self._authorization.injected.remove(injection)
            published: list[DomainEvent] = [*events]
            await self._bus.publish_all(published)
            expired += len(events)
            if len(events) < batch:
                return expired

    # --- station reports ---------------------------------------------------------------------------

    async def on_transaction(
        self, station: Station, evse_uid: str | None, connector_id: str | None, report: TransactionReport
    ) -> TransactionOutcome:
        """Apply one transaction report; see ChargePointApi.transaction."""
        if report.kind is TransactionEventKind.STARTED:
            known = await self._known_transaction(station, report)
            if not known:
                return await self._starts.started(station, evse_uid, connector_id, report)
        return await self._updates.apply(station, evse_uid, connector_id, report)

    async def on_meter_values(
        self,
        station: Station,
        evse_uid: str | None,
        transaction_id: str | None,
        samples: Sequence[MeterSample],
    ) -> None:
        readings = energy_readings(samples)
        if not readings:
            return
        async with self._db.unit_of_work() as uow:
            session = None
            if transaction_id is not None and not is_placeholder(transaction_id):
                session = self._live.by_transaction(station.id, transaction_id)
                if session is None:
                    session = await uow.sessions.find_by_transaction(station.id, transaction_id)
            if session is None and evse_uid is not None:
                running = [
                    s for s in await uow.sessions.find_active(station.id, evse_uid) if self._running(s)
                ]
                session = running[-1] if running else None
            if session is None or session.end is not None:
                log.info("meter_values_without_session", station_id=station.id, transaction_id=transaction_id)
                return
            updated = session
            for reading in readings:
                updated = apply_reading(updated, reading)
            if updated == session:
                return
            now = self._clock.now()
            event = await save_session(uow, updated.model_copy(update={"last_updated": now}), now)
            await uow.commit()
        self._live.note_session(event.session)
        await self._bus.publish(event)

    async def _known_transaction(self, station: Station, report: TransactionReport) -> bool:
        """A station-made id we have seen already (an Updated overtook its Started): handle as an update."""
        if report.transaction_id is None:
            return False
        async with self._db.unit_of_work() as uow:
            return await uow.sessions.find_by_transaction(station.id, report.transaction_id) is not None
