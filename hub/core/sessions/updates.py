"""Transaction updates and ends: the session a report belongs to (transaction id, a stop seen before, or the
running session of that EVSE and token), repeats, sessions rebuilt from stop data, a late START_SESSION taking
over a running transaction, and the end with its CDR.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from hub.core.authorization import Verdict, fingerprint
from hub.core.chargepoint import TransactionEventKind, TransactionOutcome, TransactionReport
from hub.core.events import DomainEvent
from hub.core.metering import apply_reading
from hub.core.models import (
    Session,
    SessionStatus,
    Station,
)
from hub.core.ports import UnitOfWork
from hub.core.sessions.common import (
    SessionParts,
    Write,
    charging_state,
    is_placeholder,
    report_readings,
    save_session,
    stop_key,
    token_matches,
)

log = structlog.get_logger(__name__)


class TransactionUpdates(SessionParts):
    """Handles UPDATED and ENDED reports (and STARTED for a transaction already known)."""

    async def apply(
        self, station: Station, evse_uid: str | None, connector_id: str | None, report: TransactionReport
    ) -> TransactionOutcome:
        verdict: Verdict | None = None
        for _ in range(2):
            need_verdict = False
            duplicate: Session | None = None
            write: Write | None = None
            async with self._db.unit_of_work() as uow:
                session = await self._resolve(uow, station, evse_uid, report)
                if session is not None and self._is_repeat(session, report):
                    duplicate = session
                elif (
                    verdict is None
                    and report.id_tag
                    and (session is None or not token_matches(session, report.id_tag))
                ):
                    need_verdict = True
                else:
                    write = await self._write_event(
                        uow, station, evse_uid, connector_id, session, report, verdict
                    )
                    await uow.commit()
            if duplicate is not None:
                return await self._duplicate(station, duplicate, report)
            if write is not None:
                return await self._finish(write)
            if need_verdict:
                assert report.id_tag is not None
                verdict = await self._authorization.verdict(
                    report.id_tag,
                    station_id=station.id,
                    location_id=station.location_id,
                    evse_uid=evse_uid,
                    reuse_recent=True,
                )
        raise AssertionError("unreachable: the second pass always writes")

    async def _resolve(
        self, uow: UnitOfWork, station: Station, evse_uid: str | None, report: TransactionReport
    ) -> Session | None:
        """The session a report belongs to: by transaction id, else (ids the hub numbers) by a stop already
        seen or by the station's running session on that EVSE with that token."""
        hub_numbered = report.seq_no is None
        tx = report.transaction_id
        # Only stops with a placeholder id are stored under their stop key (see _write_event).
        if hub_numbered and report.kind is TransactionEventKind.ENDED and is_placeholder(tx):
            seen = await uow.sessions.find_by_idempotency_key(stop_key(station.id, report))
            if seen is not None:
                return seen
        if tx is not None and not (hub_numbered and is_placeholder(tx)):
            session = self._live.by_transaction(station.id, tx)
            if session is None:
                session = await uow.sessions.find_by_transaction(station.id, tx)
            if session is not None or not hub_numbered:
                return session  # a station-made id we never saw is a transaction whose start was lost
        candidates = [
            s
            for s in await uow.sessions.find_active(station.id, evse_uid)
            if self._running(s) and s.start <= report.timestamp
        ]
        if report.id_tag:
            same_token = [s for s in candidates if token_matches(s, report.id_tag)]
            if same_token:
                return same_token[-1]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            log.warning(
                "transaction_ambiguous", station_id=station.id, transaction_id=tx, candidates=len(candidates)
            )
        return None

    @staticmethod
    def _is_repeat(session: Session, report: TransactionReport) -> bool:
        if session.end is not None:
            return True  # the session is over: a repeat, or a straggler that must not change a billed session
        return (
            report.seq_no is not None
            and session.last_seq_no is not None
            and report.seq_no <= session.last_seq_no
        )

    async def _write_event(
        self,
        uow: UnitOfWork,
        station: Station,
        evse_uid: str | None,
        connector_id: str | None,
        session: Session | None,
        report: TransactionReport,
        verdict: Verdict | None,
    ) -> Write:
        now = self._clock.now()
        offline = self._late(report, now)
        events: list[DomainEvent] = []
        created = session is None
        if session is None:
            session = await self._reconstruct(uow, station, evse_uid, connector_id, report, now)
        update: dict[str, object] = {"offline": session.offline or offline}
        if session.evse_uid is None and evse_uid is not None:
            site = await self._site(uow, station, evse_uid, connector_id)
            update.update(evse_uid=evse_uid, connector_id=site.connector_id)
        if report.seq_no is not None:
            update["last_seq_no"] = max(report.seq_no, session.last_seq_no or 0)
        if report.reservation_id is not None and session.reservation_id is None:
            update["reservation_id"] = report.reservation_id
        session = session.model_copy(update=update)
        if report.kind is TransactionEventKind.STARTED and report.timestamp < session.start:
            session = session.model_copy(update={"start": report.timestamp})
        if verdict is not None and (created or not session.token_uid):
            session = self._with_verdict(session, verdict, session.offline)
        if report.remote_start_id is not None and session.remote_start_id is None:
            original_id = session.id
            session, absorbed = await self._absorb_pending(uow, station, session, report.remote_start_id, now)
            events.extend(absorbed)
            created = created and session.id == original_id
        for reading in report_readings(report):
            session = apply_reading(session, reading, charging_state(report))
        if report.kind is TransactionEventKind.ENDED:
            if is_placeholder(report.transaction_id) and report.seq_no is None:
                session = session.model_copy(update={"idempotency_key": stop_key(station.id, report)})
            session, ended = await self._complete(
                uow, station, session, report.timestamp, report.stop_reason, now, created=created
            )
            events.extend(ended)
        else:
            session = session.model_copy(update={"last_updated": now})
            events.append(await save_session(uow, session, now, created=created))
        decision = verdict.decision if verdict is not None else None
        transaction_id = session.transaction_id or report.transaction_id
        outcome = TransactionOutcome(session=session, transaction_id=transaction_id, authorization=decision)
        return Write(outcome=outcome, events=events)

    async def _reconstruct(
        self,
        uow: UnitOfWork,
        station: Station,
        evse_uid: str | None,
        connector_id: str | None,
        report: TransactionReport,
        now: datetime,
    ) -> Session:
        """A transaction whose start the hub never saw: build its session from what this report carries."""
        readings = report_readings(report)
        start = min([report.timestamp, *(r.timestamp for r in readings)])
        site = await self._site(uow, station, evse_uid, connector_id)
        tx = report.transaction_id
        session = self._new_session(
            station, evse_uid, site, report.model_copy(update={"timestamp": start}), now
        )
        log.warning(
            "transaction_reconstructed",
            station_id=station.id,
            session_id=session.id,
            transaction_id=tx,
            token=fingerprint(report.id_tag or ""),
        )
        return session.model_copy(
            update={
                "transaction_id": None
                if tx is None or (report.seq_no is None and is_placeholder(tx))
                else tx,
                "reconstructed": True,
                "offline": True,
            }
        )

    async def _absorb_pending(
        self, uow: UnitOfWork, station: Station, session: Session, remote_start_id: int, now: datetime
    ) -> tuple[Session, list[DomainEvent]]:
        """A START_SESSION answered after the transaction had begun (2.0.1 TxStartPoint EVConnected): the
        PENDING session the eMSP knows takes over the running transaction; the tokenless one is voided."""
        pending = await uow.sessions.find_pending_remote_start(station.id, remote_start_id)
        if pending is None or pending.id == session.id:
            return session.model_copy(update={"remote_start_id": remote_start_id}), []
        merged = pending.model_copy(
            update={
                "status": SessionStatus.ACTIVE,
                "start": session.start,
                "transaction_id": session.transaction_id,
                "evse_uid": session.evse_uid or pending.evse_uid,
                "connector_id": session.connector_id or pending.connector_id,
                "meter_start_wh": session.meter_start_wh,
                "meter_last_wh": session.meter_last_wh,
                "kwh": session.kwh,
                "charging_periods": session.charging_periods,
                "last_seq_no": session.last_seq_no,
                "offline": session.offline,
                "reconstructed": session.reconstructed,
            }
        )
        voided = session.model_copy(
            update={"status": SessionStatus.INVALID, "transaction_id": None, "end": now, "last_updated": now}
        )
        injection = self._authorization.injected.find_start(station.id, pending.token_uid, remote_start_id)
        if injection is not None:
            injection.session_id = merged.id
        if await uow.sessions.get(session.id) is None:
            return merged, []  # reconstructed just now and never stored: nothing to void
        return merged, [await save_session(uow, voided, now)]
