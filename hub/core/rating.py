"""Re-rating for our eMSP: a partner CPO's CDR keeps the CPO's price, and the end-customer tariff of the
receiving eMSP party prices its charging periods again as the driver's price; both are stored side by side.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import structlog

from hub.core.cdrs import negate_cost
from hub.core.clock import Clock
from hub.core.models import Cdr, CdrCost, CdrRating, ChargingPeriod, Dimension, PartyRef, Tariff
from hub.core.ports import Database, PricingPort, UnitOfWork
from hub.core.tariffs import find_tariff

log = structlog.get_logger(__name__)

DEFAULT_TIME_ZONE = "UTC"
_PAGE = 500


class RatingService:
    """Rates partner CDRs with the customer tariff of each of our eMSP parties (`use_customer_tariff`,
    set from the configuration at start-up; a party without one gets ratings with `msp_cost` None)."""

    def __init__(self, db: Database, clock: Clock, pricing: PricingPort) -> None:
        self._db = db
        self._clock = clock
        self._pricing = pricing
        self._customer_tariffs: dict[str, str] = {}  # eMSP party key -> tariff id (stored under that party)

    def use_customer_tariff(self, emsp_party: PartyRef, tariff_id: str | None) -> None:
        if tariff_id is None:
            self._customer_tariffs.pop(emsp_party.key(), None)
        else:
            self._customer_tariffs[emsp_party.key()] = tariff_id

    def customer_tariff_id(self, emsp_party: PartyRef) -> str | None:
        return self._customer_tariffs.get(emsp_party.key())

    async def rate(self, cdr: Cdr, emsp_party: PartyRef, time_zone: str | None = None) -> CdrRating:
        """Store (replacing an earlier one) the rating of `cdr`, a CDR of the partner CPO `cdr.party` for a
        token of `emsp_party`. `time_zone` is the charging location's (from the partner's Location when we
        hold it); None prices in UTC, and the log line says which was used. A credit CDR is priced from its
        quantities and its MSP cost negated, like its CPO cost (CD-10). Raises InvalidRequestError when
        the CDR's periods cannot be priced."""
        zone = time_zone or DEFAULT_TIME_ZONE
        async with self._db.unit_of_work() as uow:
            tariff = await self._customer_tariff(uow, emsp_party, cdr)
            msp_cost = self._price(cdr, tariff, zone) if tariff is not None else None
            rating = CdrRating(
                cdr_id=cdr.id,
                cpo_party=cdr.party,
                emsp_party=emsp_party,
                session_id=cdr.session_id,
                start=cdr.start,
                end=cdr.end,
                token_uid=cdr.token_uid,
                cpo_cost=cdr.cost,
                msp_cost=msp_cost,
                msp_tariff_id=tariff.id if tariff is not None else None,
                time_zone=time_zone,
                credit=cdr.credit,
                credit_reference_id=cdr.credit_reference_id,
                rated_at=self._clock.now(),
            )
            await uow.ratings.put(rating)
            await uow.commit()
        log.info(
            "cdr_rated",
            cdr_id=cdr.id,
            cpo=str(cdr.party),
            emsp=str(emsp_party),
            cpo_total=str(cdr.cost.total_excl_vat),
            msp_total=str(msp_cost.total_excl_vat) if msp_cost is not None else None,
            msp_tariff_id=rating.msp_tariff_id,
            time_zone=zone,
            time_zone_source="location" if time_zone else "default (the CPO's location is unknown to us)",
        )
        return rating

    async def get(self, cpo_party: PartyRef, cdr_id: str) -> CdrRating | None:
        async with self._db.unit_of_work() as uow:
            return await uow.ratings.get(cpo_party, cdr_id)

    async def list(
        self, emsp_party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[CdrRating]:
        async with self._db.unit_of_work() as uow:
            return await uow.ratings.list(emsp_party, offset, limit)

    async def find(self, cdr_id: str, emsp_party: PartyRef | None = None) -> Sequence[CdrRating]:
        """The ratings of every CPO's CDR with this id (case-insensitive), when the CPO is not known."""
        found: builtins.list[CdrRating] = []
        offset = 0
        async with self._db.unit_of_work() as uow:
            while True:
                page = await uow.ratings.list(emsp_party, offset, _PAGE)
                found.extend(r for r in page if r.cdr_id.upper() == cdr_id.upper())
                if len(page) < _PAGE:
                    return found
                offset += _PAGE

    async def _customer_tariff(self, uow: UnitOfWork, emsp_party: PartyRef, cdr: Cdr) -> Tariff | None:
        tariff_id = self.customer_tariff_id(emsp_party)
        if tariff_id is None:
            return None
        # The version in force when the charge began, as for our own CDRs.
        return await find_tariff(uow, emsp_party, [tariff_id], at=cdr.start)

    def _price(self, cdr: Cdr, tariff: Tariff, time_zone: str) -> CdrCost:
        if not cdr.credit:
            return self._pricing.price(cdr, tariff, time_zone).cost
        # A credit CDR repeats the original's data; some CPOs negate its volumes too (CD-10 allows it), so
        # the quantities are priced as used and the money negated.
        periods = tuple(_unsigned(period) for period in cdr.charging_periods)
        priced = self._pricing.price(cdr.model_copy(update={"charging_periods": periods}), tariff, time_zone)
        return negate_cost(priced.cost)


def _unsigned(period: ChargingPeriod) -> ChargingPeriod:
    dimensions = tuple(Dimension(type=d.type, volume=abs(d.volume)) for d in period.dimensions)
    return period.model_copy(update={"dimensions": dimensions})
