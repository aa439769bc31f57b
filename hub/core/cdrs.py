"""CDRs: created once when a session completes, priced through `PricingPort`, immutable afterwards, and
written with their outbox row in the session's unit of work.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from hub.core.clock import Clock, IdGenerator
from hub.core.models import Cdr, CdrCost, PartyRef, Session, Tariff
from hub.core.outbox import Topic, add_change, session_key
from hub.core.ports import Database, PricingPort, UnitOfWork
from hub.core.tariffs import find_tariff

log = structlog.get_logger(__name__)


class CdrService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, pricing: PricingPort) -> None:
        self._db = db
        self._clock = clock
        self._ids = ids
        self._pricing = pricing

    async def get(self, cdr_id: str) -> Cdr | None:
        async with self._db.unit_of_work() as uow:
            return await uow.cdrs.get(cdr_id)

    async def find_by_session(self, session_id: str) -> Sequence[Cdr]:
        async with self._db.unit_of_work() as uow:
            return await uow.cdrs.find_by_session(session_id)

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Cdr]:
        async with self._db.unit_of_work() as uow:
            return await uow.cdrs.list(party, date_from, date_to, offset, limit)

    async def tariff_for(self, uow: UnitOfWork, session: Session) -> Tariff | None:
        return await find_tariff(uow, session.party, [session.tariff_id])

    def price(self, session: Session, tariff: Tariff | None, time_zone: str) -> CdrCost:
        return self._pricing.price(session, tariff, time_zone)

    async def create(self, uow: UnitOfWork, session: Session, tariff: Tariff | None, cost: CdrCost) -> Cdr:
        """Add the CDR of a completed, priced session plus its `cdr.created` outbox row to `uow`; the caller
        commits both with the session, so a rollback discards all three."""
        if session.end is None:
            raise ValueError("a CDR needs a completed session")
        now = self._clock.now()
        cdr = Cdr(
            id=self._ids.new_id(),
            party=session.party,
            session_id=session.id,
            start=session.start,
            end=session.end,
            location_id=session.location_id,
            evse_uid=session.evse_uid,
            connector_id=session.connector_id,
            station_id=session.station_id,
            token_uid=session.token_uid,
            token_party=session.token_party,
            token_type=session.token_type,
            contract_id=session.contract_id,
            auth_method=session.auth_method,
            authorization_reference=session.authorization_reference,
            tariff_id=tariff.id if tariff is not None else None,
            cost=cost,
            charging_periods=session.charging_periods,
            remark="reconstructed from the station's stop data" if session.reconstructed else None,
            last_updated=now,
        )
        await uow.cdrs.add(cdr)
        await add_change(uow, Topic.CDR_CREATED, session_key(session.id), cdr, now)
        log.info("cdr_created", cdr_id=cdr.id, session_id=session.id, total=str(cost.total_excl_vat))
        return cdr
