"""Transaction starts: idempotent starts the hub numbers, station-made ids, remote-start correlation
(2.0.1 remoteStartId, else the PENDING session with this token on this EVSE), and ending a session that lost
its stop when a new one starts on the same EVSE.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

import structlog

from hub.core.authorization import Injection, Verdict
from hub.core.chargepoint import TransactionOutcome, TransactionReport
from hub.core.events import DomainEvent
from hub.core.metering import apply_reading, periods_end
from hub.core.models import (
    AuthMethod,
    AuthorizationDecision,
    AuthorizationStatus,
    Session,
    SessionStatus,
    Station,
)
from hub.core.ports import UnitOfWork
from hub.core.sessions.common import (
    REMOTE_START_WINDOW,
    SUPERSEDED,
    SessionParts,
    Write,
    charging_state,
    report_readings,
    save_session,
    start_key,
    token_matches,
)

log = structlog.get_logger(__name__)


class TransactionStarts(SessionParts):
    """Handles STARTED reports."""

    async def started(
        self, station: Station, evse_uid: str | None, connector_id: str | None, report: TransactionReport
    ) -> TransactionOutcome:
        verdict: Verdict | None = None
        for _ in range(2):
            need_verdict = False
            duplicate: Session | None = None
            write: Write | None = None
            candidate = self._authorization.injected.find_guard(
                station.id, report.id_tag, report.remote_start_id
            )
            async with (
                candidate.lock if candidate is not None else contextlib.nullcontext(),
                self._db.unit_of_work() as uow,
            ):
                duplicate = await self._find_started(uow, station, report)
                if duplicate is None:
                    # Looked up again under the lock: the command's answer may have taken it up meanwhile
                    # (then its PENDING session is committed and found here).
                    pending = await self._find_pending(uow, station, evse_uid, report)
                    injection = self._authorization.injected.find_start(
                        station.id, report.id_tag, report.remote_start_id
                    )
                    if verdict is None and pending is None and injection is None and report.id_tag:
                        need_verdict = True  # leave the unit of work before asking anyone
                    else:
                        write = await self._write_start(
                            uow, station, evse_uid, connector_id, report, pending, injection, verdict
                        )
                        await uow.commit()
            if duplicate is not None:
                return await self._duplicate(station, duplicate, report)
            if write is not None:
                return await self._finish(write)
            if need_verdict:
                assert report.id_tag is not None
                verdict = await self._authorization.verdict(
                    report.id_tag, station_id=station.id, location_id=station.location_id, evse_uid=evse_uid
                )
        raise AssertionError("unreachable: the second pass always writes")

    async def _find_started(
        self, uow: UnitOfWork, station: Station, report: TransactionReport
    ) -> Session | None:
        if report.transaction_id is None:
            return await uow.sessions.find_by_idempotency_key(start_key(station.id, report))
        known = self._live.by_transaction(station.id, report.transaction_id)
        return known or await uow.sessions.find_by_transaction(station.id, report.transaction_id)

    async def _find_pending(
        self, uow: UnitOfWork, station: Station, evse_uid: str | None, report: TransactionReport
    ) -> Session | None:
        if report.remote_start_id is not None:
            pending = await uow.sessions.find_pending_remote_start(station.id, report.remote_start_id)
            if pending is not None:
                return pending
        if not report.id_tag or self._live.has_no_pending(station.id):
            return None
        oldest_allowed = self._clock.now() - REMOTE_START_WINDOW
        epoch = self._live.pending_epoch
        active = await uow.sessions.find_active(station.id)
        if not any(s.status is SessionStatus.PENDING for s in active):
            self._live.mark_no_pending(station.id, epoch)
        for session in active:
            if (
                session.status is SessionStatus.PENDING
                and session.auth_method is AuthMethod.COMMAND
                and token_matches(session, report.id_tag)
                and (
                    session.evse_uid is None
                    or evse_uid is None
                    or session.evse_uid.upper() == evse_uid.upper()
                )
                and session.start >= oldest_allowed
            ):
                return session
        return None

    async def _write_start(
        self,
        uow: UnitOfWork,
        station: Station,
        evse_uid: str | None,
        connector_id: str | None,
        report: TransactionReport,
        pending: Session | None,
        injection: Injection | None,
        verdict: Verdict | None,
    ) -> Write:
        now = self._clock.now()
        offline = self._late(report, now)
        transaction_id = report.transaction_id or str(await uow.sessions.next_transaction_number())
        key = start_key(station.id, report) if report.transaction_id is None else None
        events: list[DomainEvent] = []
        decision: AuthorizationDecision | None = None
        if pending is not None:
            # SE-08: a PENDING session's start moves to the moment it became ACTIVE.
            session = pending.model_copy(
                update={
                    "status": SessionStatus.ACTIVE,
                    "start": report.timestamp,
                    "transaction_id": transaction_id,
                    "evse_uid": evse_uid or pending.evse_uid,
                    "connector_id": connector_id or pending.connector_id,
                    "idempotency_key": key,
                    "offline": offline,
                    "reservation_id": report.reservation_id or pending.reservation_id,
                    "last_seq_no": report.seq_no,
                }
            )
            decision = AuthorizationDecision(
                status=AuthorizationStatus.ALLOWED, authorization_reference=pending.authorization_reference
            )
            if injection is not None:
                decision = decision.model_copy(update={"token": injection.token})
        else:
            site = await self._site(uow, station, evse_uid, connector_id)
            session = self._new_session(station, evse_uid, site, report, now)
            session = session.model_copy(
                update={"transaction_id": transaction_id, "idempotency_key": key, "offline": offline}
            )
            if injection is not None:
                session = self._with_injection(session, injection)
                decision = AuthorizationDecision(
                    status=AuthorizationStatus.ALLOWED,
                    token=injection.token,
                    authorization_reference=injection.authorization_reference,
                )
            elif verdict is not None:
                session = self._with_verdict(session, verdict, offline)
                decision = verdict.decision
        for reading in report_readings(report):
            session = apply_reading(session, reading, charging_state(report))
        session = session.model_copy(update={"last_updated": now})
        events.extend(await self._supersede(uow, station, session, now))
        events.append(await save_session(uow, session, now, created=pending is None))
        log.info(
            "transaction_started",
            station_id=station.id,
            session_id=session.id,
            transaction_id=transaction_id,
            status=str(session.status),
            remote=pending is not None or injection is not None,
            offline=offline,
        )
        outcome = TransactionOutcome(session=session, transaction_id=transaction_id, authorization=decision)
        if injection is not None:
            injection.session_id = session.id
        return Write(outcome=outcome, events=events, injection=injection)

    async def _supersede(
        self, uow: UnitOfWork, station: Station, started: Session, now: datetime
    ) -> list[DomainEvent]:
        """An EVSE runs one transaction at a time: a session still ACTIVE there that began before this start
        lost its stop. End it at its last reading (and bill it) rather than leave it open forever."""
        if started.evse_uid is None:
            return []
        events: list[DomainEvent] = []
        for stale in await uow.sessions.find_active(station.id, started.evse_uid):
            if (
                stale.id == started.id
                or stale.status is not SessionStatus.ACTIVE
                or stale.start >= started.start
            ):
                continue
            log.warning("session_superseded", session_id=stale.id, by=started.id, station_id=station.id)
            _, ended = await self._complete(uow, station, stale, periods_end(stale), SUPERSEDED, now)
            events.extend(ended)
        return events
