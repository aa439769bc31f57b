"""A simple pricing engine behind `PricingPort`: FLAT, ENERGY, TIME and PARKING_TIME components priced on a
session's totals, VAT per component, Decimal money rounded half-up per line to the currency's minor unit.

Restrictions are evaluated only where they depend on the session's start moment (time of day, date, day of
week, in the location's time zone); an element with any other restriction is skipped with a log line (the
full OCPI tariff engine is a later issue). Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from hub.core.models import CdrCost, DimensionType, PriceComponent, PriceComponentType, Session, Tariff

log = structlog.get_logger(__name__)

ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)
WH_PER_KWH = Decimal(1000)

# ISO 4217 currencies whose minor unit is not 2 (everything else rounds to cents).
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

# Restrictions that depend only on when the session started; the simple engine evaluates these.
_START_MOMENT_RESTRICTIONS = frozenset({"start_time", "end_time", "start_date", "end_date", "day_of_week"})
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (OCPI defines none; its examples round each line to cents)."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Usage:
    """What a session consumed, as the pricing engine bills it."""

    energy_kwh: Decimal
    charging_hours: Decimal
    parking_hours: Decimal
    start: datetime


def usage_of(session: Session) -> Usage:
    """Totals from the charging periods; a session without periods counts start → end as charging time."""
    charging = ZERO
    parking = ZERO
    for period in session.charging_periods:
        for dimension in period.dimensions:
            if dimension.type is DimensionType.TIME:
                charging += dimension.volume
            elif dimension.type is DimensionType.PARKING_TIME:
                parking += dimension.volume
    if not session.charging_periods:
        end = session.end or session.start
        charging = Decimal((end - session.start).total_seconds()) / SECONDS_PER_HOUR
    return Usage(
        energy_kwh=max(session.kwh, ZERO),
        charging_hours=max(snap_hours(charging), ZERO),
        parking_hours=max(snap_hours(parking), ZERO),
        start=session.start,
    )


HOURS_QUANTUM = Decimal("1e-10")
MILLISECOND = Decimal("0.001")


def snap_hours(hours: Decimal) -> Decimal:
    """Undo the drift of summing per-period hours: each period's hours are rounded to 1e-10 h, so three
    periods of 20 minutes add up to 0.9999999999 h, and a step rounded up from that bills one step too
    many. Station timestamps carry at most millisecond meaning, so the total is snapped to whole
    milliseconds before it is billed or reported."""
    seconds = (hours * SECONDS_PER_HOUR).quantize(MILLISECOND, rounding=ROUND_HALF_UP)
    return (seconds / SECONDS_PER_HOUR).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def _round_up_to_step(quantity: Decimal, step: int) -> Decimal:
    """OCPI step_size: the billed amount is the consumed amount rounded up to a multiple of `step`."""
    if quantity <= 0:
        return ZERO
    steps = math.ceil(quantity / step)
    return Decimal(steps * step)


def _local_start(start: datetime, time_zone: str) -> datetime:
    try:
        return start.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("pricing_unknown_time_zone", time_zone=time_zone)
        return start


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


def _restrictions_hold(restrictions: dict[str, Any], local_start: datetime) -> bool:
    start_time, end_time = restrictions.get("start_time"), restrictions.get("end_time")
    if start_time is not None or end_time is not None:
        now = local_start.time().replace(tzinfo=None)
        begin = _parse_time(start_time) if start_time else time(0, 0)
        end = _parse_time(end_time) if end_time else time(0, 0)
        if begin < end and not (begin <= now < end):
            return False
        if begin > end and end <= now < begin:  # a window across midnight
            return False
    today = local_start.date()
    if restrictions.get("start_date") and today < date.fromisoformat(restrictions["start_date"]):
        return False
    if restrictions.get("end_date") and today >= date.fromisoformat(restrictions["end_date"]):
        return False
    days = restrictions.get("day_of_week")
    return not days or _WEEKDAYS[today.weekday()] in {str(d).upper() for d in days}


def _applicable_components(tariff: Tariff, local_start: datetime) -> dict[PriceComponentType, PriceComponent]:
    """The first applicable element's component of each type (OCPI: first match wins)."""
    chosen: dict[PriceComponentType, PriceComponent] = {}
    for index, element in enumerate(tariff.elements):
        restrictions = {k: v for k, v in (element.restrictions or {}).items() if v not in (None, [], "")}
        unknown = set(restrictions) - _START_MOMENT_RESTRICTIONS
        if unknown:
            log.info(
                "pricing_element_skipped", tariff_id=tariff.id, element=index, restrictions=sorted(unknown)
            )
            continue
        try:
            holds = _restrictions_hold(restrictions, local_start)
        except (ValueError, TypeError, IndexError):
            log.warning("pricing_element_unreadable", tariff_id=tariff.id, element=index)
            continue
        if not holds:
            continue
        for component in element.price_components:
            chosen.setdefault(component.type, component)
    return chosen


class SimplePricing:
    """`PricingPort` for whole-session totals (see the module docstring for what it leaves out)."""

    def price(self, session: Session, tariff: Tariff | None, time_zone: str) -> CdrCost:
        usage = usage_of(session)
        total_hours = usage.charging_hours + usage.parking_hours
        if tariff is None:
            zero = round_money(ZERO, session.currency)
            return CdrCost(
                currency=session.currency,
                total_excl_vat=zero,
                total_incl_vat=zero,
                fixed_excl_vat=zero,
                energy_excl_vat=zero,
                time_excl_vat=zero,
                parking_excl_vat=zero,
                total_energy_kwh=usage.energy_kwh,
                total_time_hours=total_hours,
                total_parking_time_hours=usage.parking_hours,
            )
        currency = tariff.currency
        components = _applicable_components(tariff, _local_start(usage.start, time_zone))
        lines: dict[PriceComponentType, Decimal] = {}
        for kind, component in components.items():
            lines[kind] = component.price * self._billed_quantity(kind, component, usage)
        excl = {kind: round_money(amount, currency) for kind, amount in lines.items()}
        vat_known = all(c.vat is not None for c in components.values())
        incl_exact = {kind: excl[kind] * (1 + (c.vat or ZERO) / 100) for kind, c in components.items()}
        total_excl = sum(excl.values(), ZERO)
        total_incl: Decimal | None = None
        if vat_known:
            total_incl = sum((round_money(amount, currency) for amount in incl_exact.values()), ZERO)
        clamped = self._clamp(total_excl, tariff)
        if clamped != total_excl and total_incl is not None:
            exact = sum(incl_exact.values(), ZERO)
            total_incl = self._scale_incl(exact, total_excl, clamped, components, currency)
        zero = round_money(ZERO, currency)
        return CdrCost(
            currency=currency,
            total_excl_vat=round_money(clamped, currency),
            total_incl_vat=total_incl,
            fixed_excl_vat=excl.get(PriceComponentType.FLAT, zero),
            energy_excl_vat=excl.get(PriceComponentType.ENERGY, zero),
            time_excl_vat=excl.get(PriceComponentType.TIME, zero),
            parking_excl_vat=excl.get(PriceComponentType.PARKING_TIME, zero),
            total_energy_kwh=usage.energy_kwh,
            total_time_hours=total_hours,
            total_parking_time_hours=usage.parking_hours,
        )

    @staticmethod
    def _billed_quantity(kind: PriceComponentType, component: PriceComponent, usage: Usage) -> Decimal:
        if kind is PriceComponentType.FLAT:
            return Decimal(1)  # at most once per session (OCPI #390)
        if kind is PriceComponentType.ENERGY:
            return _round_up_to_step(usage.energy_kwh * WH_PER_KWH, component.step_size) / WH_PER_KWH
        if kind is PriceComponentType.TIME:
            # Charging and parking time are each rounded up to their own step. OCPI TA-11 rounds only the
            # parking total when both are priced, which makes a minute of parking cheaper than none; this
            # engine stays monotone instead (the difference is below one TIME step; new tariffs use step 1).
            return (
                _round_up_to_step(usage.charging_hours * SECONDS_PER_HOUR, component.step_size)
                / SECONDS_PER_HOUR
            )
        return (
            _round_up_to_step(usage.parking_hours * SECONDS_PER_HOUR, component.step_size) / SECONDS_PER_HOUR
        )

    @staticmethod
    def _clamp(total: Decimal, tariff: Tariff) -> Decimal:
        if tariff.min_price_excl_vat is not None and total < tariff.min_price_excl_vat:
            total = tariff.min_price_excl_vat
        if tariff.max_price_excl_vat is not None and total > tariff.max_price_excl_vat:
            total = tariff.max_price_excl_vat
        return total

    @staticmethod
    def _scale_incl(
        total_incl: Decimal,
        total_excl: Decimal,
        clamped: Decimal,
        components: dict[PriceComponentType, PriceComponent],
        currency: str,
    ) -> Decimal | None:
        """The incl.-VAT total after a min/max clamp keeps the session's average VAT rate (computed before
        rounding, so a clamp to 0.50 at 10 % gives 0.55)."""
        if total_excl > 0:
            return round_money(total_incl * clamped / total_excl, currency)
        rates = {c.vat for c in components.values()}
        if len(rates) != 1 or None in rates:
            return None
        (rate,) = rates
        assert rate is not None
        return round_money(clamped * (1 + rate / 100), currency)
