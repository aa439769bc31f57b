"""CDRs: created once when a session completes, priced through `PricingPort`, immutable afterwards, and
written with their outbox row in the session's unit of work; corrected only by credit CDRs (CD-10).

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import structlog

from hub.core.clock import Clock, IdGenerator
from hub.core.errors import ConflictError, InvalidRequestError, NotFoundError, RejectedError
from hub.core.events import CdrCreated, EventBus
from hub.core.models import Cdr, CdrCost, CostLine, PartyRef, PricedSession, Session, Tariff
from hub.core.outbox import Topic, add_change, session_key
from hub.core.ports import Database, PricingPort, UnitOfWork
from hub.core.pricing.tou import order_money
from hub.core.tariffs import find_tariff

log = structlog.get_logger(__name__)


class CdrService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ids: IdGenerator,
        pricing: PricingPort,
        bus: EventBus | None = None,  # CdrCreated of credit CDRs (the session service publishes its own)
    ) -> None:
        self._db = db
        self._clock = clock
        self._ids = ids
        self._pricing = pricing
        self._bus = bus

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

    def price(self, session: Session, tariff: Tariff | None, time_zone: str) -> PricedSession:
        return self._pricing.price(session, tariff, time_zone)

    async def create(
        self, uow: UnitOfWork, session: Session, tariff: Tariff | None, priced: PricedSession
    ) -> Cdr:
        """Add the CDR of a completed, priced session plus its `cdr.created` outbox row to `uow`; the caller
        commits both with the session, so a rollback discards all three."""
        if session.end is None:
            raise ValueError("a CDR needs a completed session")
        now = self._clock.now()
        cost = priced.cost
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
            charging_periods=priced.periods,
            remark=_remark(session, cost),
            last_updated=now,
        )
        await uow.cdrs.add(cdr)
        await add_change(uow, Topic.CDR_CREATED, session_key(session.id), cdr, now)
        log.info("cdr_created", cdr_id=cdr.id, session_id=session.id, total=str(cost.total_excl_vat))
        return cdr

    # --- corrections (CD-10): a CDR is never edited; a credit CDR cancels it, a new CDR may replace it ---

    async def credit(self, cdr_id: str, reason: str | None = None) -> Cdr:
        """Issue the credit CDR of `cdr_id` (id + "-C", negative money, `cdr.created` outbox row so the
        token's eMSP receives it like any CDR). Refused for an unknown CDR (NotFoundError), a credit CDR
        (RejectedError) and a CDR credited before (ConflictError)."""
        async with self._db.unit_of_work() as uow:
            _original, credit = await self._add_credit(uow, cdr_id, reason)
            await uow.commit()
        await self._publish(credit)
        return credit

    async def correct(
        self, cdr_id: str, tariff: Tariff | None = None, reason: str | None = None
    ) -> tuple[Cdr, Cdr]:
        """Credit `cdr_id` and issue a new normal CDR (new id) priced again from the original's charging
        periods with `tariff`, or else the original's tariff as it was at the CDR's start. Both CDRs and
        their outbox rows commit together, credit first (one outbox key: delivered in that order)."""
        async with self._db.unit_of_work() as uow:
            original, credit = await self._add_credit(uow, cdr_id, reason)
            if tariff is None and original.tariff_id is not None:
                tariff = await find_tariff(uow, original.party, [original.tariff_id], at=original.start)
                if tariff is None:
                    # Pricing without it would bill nothing: a silent wrong price.
                    raise NotFoundError(f"tariff {original.tariff_id} of CDR {original.id} no longer exists")
            location = (
                await uow.locations.get(original.party, original.location_id)
                if original.location_id
                else None
            )
            time_zone = location.time_zone if location is not None else "UTC"
            priced = self._pricing.price(original, tariff, time_zone)
            now = self._clock.now()
            replacement = original.model_copy(
                update={
                    "id": self._ids.new_id(),
                    "tariff_id": tariff.id if tariff is not None else None,
                    "cost": priced.cost,
                    "charging_periods": priced.periods,
                    "remark": f"replaces CDR {original.id}",
                    "last_updated": now,
                }
            )
            await uow.cdrs.add(replacement)
            await add_change(uow, Topic.CDR_CREATED, session_key(replacement.session_id), replacement, now)
            await uow.commit()
        log.info(
            "cdr_corrected",
            cdr_id=original.id,
            credit_id=credit.id,
            replacement_id=replacement.id,
            total=str(replacement.cost.total_excl_vat),
        )
        await self._publish(credit)
        await self._publish(replacement)
        return credit, replacement

    async def _add_credit(self, uow: UnitOfWork, cdr_id: str, reason: str | None) -> tuple[Cdr, Cdr]:
        original = await uow.cdrs.get(cdr_id)
        if original is None:
            raise NotFoundError(f"unknown CDR {cdr_id}")
        if original.credit:
            raise RejectedError(f"CDR {original.id} is a credit CDR; a credit is never credited (CD-10)")
        credit_id = credit_id_of(original.id)
        if len(credit_id) > MAX_CDR_ID:
            raise RejectedError(f"CDR {original.id} is too long to credit: {credit_id} exceeds 39 (CD-03)")
        earlier = await uow.cdrs.get(credit_id)
        if earlier is not None:
            raise ConflictError(f"CDR {original.id} was already credited by {earlier.id}")
        now = self._clock.now()
        credit = original.model_copy(
            update={
                "id": credit_id,
                "credit": True,
                "credit_reference_id": original.id,
                "cost": negate_cost(original.cost),
                "remark": reason if reason else original.remark,
                "last_updated": now,
            }
        )
        await uow.cdrs.add(credit)
        await add_change(uow, Topic.CDR_CREATED, session_key(credit.session_id), credit, now)
        log.info("cdr_credited", cdr_id=original.id, credit_id=credit_id, reason=reason)
        return original, credit

    async def _publish(self, cdr: Cdr) -> None:
        if self._bus is not None:
            await self._bus.publish(CdrCreated(cdr=cdr))


# CD-03: CDR ids are CiString(39); ours stay within 36 so that the credit suffix fits.
MAX_CDR_ID = 39
CREDIT_SUFFIX = "-C"
ZERO = Decimal(0)


def credit_id_of(cdr_id: str) -> str:
    return cdr_id + CREDIT_SUFFIX


def _negated(amount: Decimal) -> Decimal:
    # 0 - x rather than -x: a zero stays "0.00" on the wire instead of "-0.00".
    return ZERO - amount


def _negated_or_none(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else _negated(amount)


def negate_cost(cost: CdrCost) -> CdrCost:
    """The money of a credit CDR (CD-10): every total, sub-total and line amount negated; prices,
    quantities (energy, time) and the currency unchanged."""
    lines: tuple[CostLine, ...] = tuple(
        line.model_copy(
            update={
                "amount_excl_vat": _negated(line.amount_excl_vat),
                "amount_incl_vat": _negated_or_none(line.amount_incl_vat),
            }
        )
        for line in cost.lines
    )
    return cost.model_copy(
        update={
            "total_excl_vat": _negated(cost.total_excl_vat),
            "total_incl_vat": _negated_or_none(cost.total_incl_vat),
            "fixed_excl_vat": _negated(cost.fixed_excl_vat),
            "energy_excl_vat": _negated(cost.energy_excl_vat),
            "time_excl_vat": _negated(cost.time_excl_vat),
            "parking_excl_vat": _negated(cost.parking_excl_vat),
            "reservation_excl_vat": _negated(cost.reservation_excl_vat),
            "fixed_incl_vat": _negated_or_none(cost.fixed_incl_vat),
            "energy_incl_vat": _negated_or_none(cost.energy_incl_vat),
            "time_incl_vat": _negated_or_none(cost.time_incl_vat),
            "parking_incl_vat": _negated_or_none(cost.parking_incl_vat),
            "reservation_incl_vat": _negated_or_none(cost.reservation_incl_vat),
            "lines": lines,
        }
    )


def _remark(session: Session, cost: CdrCost) -> str | None:
    """Free text for the CDR: a reconstructed session says so; a price with a service-fee part (a 互联互通
    time-of-use tariff) states its electricity and service money, which OCPI's sub-totals cannot carry."""
    notes: list[str] = []
    if session.reconstructed:
        notes.append("reconstructed from the station's stop data")
    if any(line.service_price for line in cost.lines):
        try:
            split = order_money(cost, cost.currency)
        except InvalidRequestError:
            split = None
        if split is not None:
            elec, service = f"{split.elec_money} {cost.currency}", f"{split.service_money} {cost.currency}"
            notes.append(f"electricity {elec}, service {service}")
    return "; ".join(notes) or None
