"""The OCPI 2.2.1 tariff engine: splits a session's charging periods at every moment that changes cost
(pieces.py), picks the element per dimension and moment and applies step_size (lines.py), prices every line
in Decimal and clamps to min/max price (spec notes §16, TA-07…TA-16; README "Tariffs and pricing").

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from hub.core.models import (
    Cdr,
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    PricedSession,
    Session,
    Tariff,
    trusted,
)
from hub.core.pricing.compiled import compiled, from_us, utc_us
from hub.core.pricing.lines import MICRO_WH, MILLISECOND, ONE, Run, apply_steps, select
from hub.core.pricing.money import DEFAULT_ROUNDING, RoundingPolicy
from hub.core.pricing.pieces import (
    RESERVATION,
    SECONDS_PER_HOUR,
    US_PER_SECOND,
    ZERO,
    Piece,
    epoch_us,
    quantities,
    split_periods,
    split_pieces,
)
from hub.core.pricing.timezones import LocalClock
from hub.core.pricing.validation import validate_periods

log = structlog.get_logger(__name__)

HUNDRED = Decimal(100)


_SUBTOTALS = {
    CostDimension.FLAT: "fixed",
    CostDimension.ENERGY: "energy",
    CostDimension.TIME: "time",
    CostDimension.PARKING_TIME: "parking",
    CostDimension.RESERVATION_FLAT: "reservation",
    CostDimension.RESERVATION_TIME: "reservation",
}


class TariffEngine:
    """`PricingPort`: the full OCPI 2.2.1 tariff engine with a configurable rounding policy."""

    def __init__(self, policy: RoundingPolicy = DEFAULT_ROUNDING) -> None:
        self.policy = policy

    def price(self, session: Session | Cdr, tariff: Tariff | None, time_zone: str) -> PricedSession:
        periods = session.charging_periods
        end = session.end or session.start
        if isinstance(session, Session):
            currency, kwh = session.currency, session.kwh
        else:
            currency, kwh = session.cost.currency, session.cost.total_energy_kwh
        if not periods:
            # A session without periods counts start → end as one charging period.
            hours = Decimal(utc_us(end) - utc_us(session.start)) / US_PER_SECOND / SECONDS_PER_HOUR
            periods = (
                ChargingPeriod(
                    start_date_time=session.start,
                    dimensions=(
                        Dimension(type=DimensionType.ENERGY, volume=kwh),
                        Dimension(type=DimensionType.TIME, volume=hours),
                    ),
                ),
            )
        return self.price_periods(
            tariff, periods, start=session.start, end=end, time_zone=time_zone, currency=currency
        )

    def price_periods(
        self,
        tariff: Tariff | None,
        periods: Sequence[ChargingPeriod],
        *,
        start: datetime,
        end: datetime,
        time_zone: str,
        currency: str | None = None,
        reservation_expired: bool | None = None,
    ) -> PricedSession:
        validate_periods(periods, start, end)
        if tariff is None:
            return self._unpriced(periods, currency or "EUR", start, end)
        ct = compiled(tariff)
        clock = LocalClock.of(_zone(time_zone))
        pieces = split_pieces(periods, start, end, ct, clock)
        if reservation_expired is None:
            reservation_expired = all(piece.kind == RESERVATION for piece in pieces)
        lines = select(pieces, ct, clock, epoch_us(start), reservation_expired)
        apply_steps(lines.runs)
        cost = self._cost(tariff, lines.runs, pieces)
        return trusted(PricedSession, {"cost": cost, "periods": split_periods(pieces)})

    def _cost(self, tariff: Tariff, runs: list[Run], pieces: list[Piece]) -> CdrCost:
        currency = tariff.currency
        policy = self.policy
        round_money = policy.rounder(currency)
        per_line = policy.scope == "line"
        excl: dict[str, Decimal] = dict.fromkeys(("fixed", "energy", "time", "parking", "reservation"), ZERO)
        incl = dict(excl)
        has_vat = False
        cost_lines = []
        for run in sorted(runs, key=lambda r: (r.start, r.dimension != CostDimension.FLAT)):
            component = run.component
            billed = run.consumed + run.surplus
            if run.dimension in (CostDimension.FLAT, CostDimension.RESERVATION_FLAT):
                exact = component.price
                consumed, billed_unit = ONE, ONE
            elif run.dimension is CostDimension.ENERGY:
                exact = billed * component.price
                consumed, billed_unit = run.consumed, billed
            else:  # seconds → hours, divided once at the end so halves of a cent stay exact
                exact = billed * component.price / SECONDS_PER_HOUR
                consumed, billed_unit = run.consumed / SECONDS_PER_HOUR, billed / SECONDS_PER_HOUR
            amount = round_money(exact) if per_line else exact
            with_vat = None
            if component.vat is not None:
                has_vat = True
                with_vat = amount * (ONE + component.vat / HUNDRED)
            key = _SUBTOTALS[run.dimension]
            excl[key] += amount
            incl[key] += amount if with_vat is None else with_vat
            cost_lines.append(
                trusted(
                    CostLine,
                    dict(
                        dimension=run.dimension,
                        element=run.element,
                        price=component.price,
                        vat=component.vat,
                        start=from_us(run.start),
                        end=from_us(run.end),
                        consumed=consumed,
                        billed=billed_unit,
                        amount_excl_vat=amount,
                        amount_incl_vat=with_vat,
                        service_price=component.service_price,
                    ),
                )
            )
        total_excl = round_money(sum(excl.values(), ZERO))
        total_incl = sum(incl.values(), ZERO) if has_vat else None
        rates = {run.component.vat for run in runs}
        clamped_excl, clamped_incl, clamped = _clamp(
            tariff, total_excl, total_incl, policy.quantum(currency), rates.pop() if len(rates) == 1 else None
        )
        if clamped_incl is not None:
            clamped_incl = round_money(clamped_incl)
        energy, charging, parking, reserved = quantities(pieces)

        def sub(key: str) -> tuple[Decimal, Decimal | None]:
            return round_money(excl[key]), round_money(incl[key]) if has_vat else None

        fixed, energy_cost, time_cost, parking_cost, reservation_cost = (
            sub(k) for k in ("fixed", "energy", "time", "parking", "reservation")
        )
        return trusted(
            CdrCost,
            dict(
                currency=currency,
                total_excl_vat=round_money(clamped_excl),
                total_incl_vat=clamped_incl,
                fixed_excl_vat=fixed[0],
                energy_excl_vat=energy_cost[0],
                time_excl_vat=time_cost[0],
                parking_excl_vat=parking_cost[0],
                reservation_excl_vat=reservation_cost[0],
                fixed_incl_vat=fixed[1],
                energy_incl_vat=energy_cost[1],
                time_incl_vat=time_cost[1],
                parking_incl_vat=parking_cost[1],
                reservation_incl_vat=reservation_cost[1],
                total_energy_kwh=energy.quantize(MICRO_WH),
                total_time_hours=_hours(charging + parking),
                total_parking_time_hours=_hours(parking),
                total_reservation_time_hours=_hours(reserved),
                clamped=clamped,
                lines=tuple(cost_lines),
            ),
        )

    def _unpriced(
        self, periods: Sequence[ChargingPeriod], currency: str, start: datetime, end: datetime
    ) -> PricedSession:
        zero = self.policy.round(ZERO, currency)
        energy, charging, parking, reserved = quantities(split_pieces(periods, start, end, None, UTC_CLOCK))
        cost = CdrCost(
            currency=currency,
            total_excl_vat=zero,
            total_incl_vat=zero,
            fixed_excl_vat=zero,
            energy_excl_vat=zero,
            time_excl_vat=zero,
            parking_excl_vat=zero,
            reservation_excl_vat=zero,
            total_energy_kwh=energy.quantize(MICRO_WH),
            total_time_hours=_hours(charging + parking),
            total_parking_time_hours=_hours(parking),
            total_reservation_time_hours=_hours(reserved),
        )
        return PricedSession(cost=cost, periods=tuple(periods))


HOURS_QUANTUM = Decimal("1e-10")


def _hours(seconds: Decimal) -> Decimal:
    """Seconds snapped to whole milliseconds (station timestamps mean no more), as hours."""
    return (seconds.quantize(MILLISECOND) / SECONDS_PER_HOUR).quantize(HOURS_QUANTUM)


def _clamp(
    tariff: Tariff, excl: Decimal, incl: Decimal | None, quantum: Decimal, single_rate: Decimal | None
) -> tuple[Decimal, Decimal | None, str | None]:
    """min_price/max_price bound the excl. and incl. totals independently (TA-13). Bounds finer than the
    currency's unit are rounded inwards (a min up, a max down) so the rounded total still respects them.
    A bound without an incl. value scales the incl. total by the same ratio as the excl. one, or applies
    the session's only VAT rate when the unbounded total was zero."""
    clamped = None
    new_excl = excl
    low, high = (
        _bound(tariff.min_price_excl_vat, quantum, up=True),
        _bound(tariff.max_price_excl_vat, quantum),
    )
    if low is not None and excl < low:
        new_excl, clamped = low, "min_price"
    if high is not None and excl > high:
        new_excl, clamped = high, "max_price"
    if incl is None:
        return new_excl, None, clamped
    new_incl = incl
    low, high = (
        _bound(tariff.min_price_incl_vat, quantum, up=True),
        _bound(tariff.max_price_incl_vat, quantum),
    )
    if low is not None and incl < low:
        new_incl, clamped = low, clamped or "min_price"
    elif high is not None and incl > high:
        new_incl, clamped = high, clamped or "max_price"
    elif new_excl != excl:
        bound = tariff.min_price_incl_vat if clamped == "min_price" else tariff.max_price_incl_vat
        if bound is None:
            if excl > 0:
                new_incl = incl * new_excl / excl
            else:
                new_incl = new_excl * (ONE + single_rate / HUNDRED) if single_rate is not None else new_excl
    return new_excl, new_incl, clamped


def _bound(value: Decimal | None, quantum: Decimal, up: bool = False) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(quantum, rounding=ROUND_CEILING if up else ROUND_FLOOR)


UTC_CLOCK = LocalClock.of(ZoneInfo("UTC"))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("pricing_unknown_time_zone", time_zone=name)
        return ZoneInfo("UTC")
