"""A tariff read once into the form the engine evaluates fast: each element's restrictions as plain
numbers (minutes of day, day numbers, microseconds, Decimal thresholds) and the instants they can change at.

Imports the standard library and the core only; the tariff is validated first (validation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.models import PriceComponent, PriceComponentType, Tariff
from hub.core.pricing.validation import validate_tariff

DAY_S = 86_400
US = 1_000_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass(slots=True)
class Moment:
    """What restrictions look at, at the start of a (split) period (TA-08)."""

    second_of_day: int  # local
    day: int  # local date as days since 1970-01-01
    elapsed_us: int  # since the session start
    kwh: Decimal  # consumed before this moment
    current: Decimal | None  # A, summed over phases
    power: Decimal | None  # kW


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal() - EPOCH_ORDINAL


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class CompiledElement:
    index: int
    components: dict[PriceComponentType, PriceComponent]  # the element's first component of each type
    reservation: str | None  # RESERVATION, RESERVATION_EXPIRES or None
    window: tuple[int, int] | None  # local seconds of day [start, end); end < start wraps past midnight
    start_day: int | None
    end_day: int | None  # exclusive
    weekdays: frozenset[int] | None  # 0 = Monday
    min_kwh: Decimal | None
    max_kwh: Decimal | None
    min_current: Decimal | None
    max_current: Decimal | None
    min_power: Decimal | None
    max_power: Decimal | None
    min_elapsed_us: int | None
    max_elapsed_us: int | None
    unrestricted: bool

    def holds(self, at: Moment) -> bool:
        """Every restriction holds at this moment (logical AND, TA-07)."""
        if self.unrestricted:
            return True
        if self.window is not None:
            start, end = self.window
            now = at.second_of_day
            if start < end:
                if not start <= now < end:
                    return False
            elif end <= now < start:  # a window across midnight
                return False
        if self.start_day is not None and at.day < self.start_day:
            return False
        if self.end_day is not None and at.day >= self.end_day:
            return False
        if self.weekdays is not None and (at.day + 3) % 7 not in self.weekdays:  # 1970-01-01 = Thursday
            return False
        if self.min_kwh is not None and at.kwh < self.min_kwh:
            return False
        if self.max_kwh is not None and at.kwh >= self.max_kwh:
            return False
        if self.min_elapsed_us is not None and at.elapsed_us < self.min_elapsed_us:
            return False
        if self.max_elapsed_us is not None and at.elapsed_us >= self.max_elapsed_us:
            return False
        # Current and power are instantaneous (TA-08): unknown values satisfy no bound on them.
        if self.min_current is not None and (at.current is None or at.current < self.min_current):
            return False
        if self.max_current is not None and (at.current is None or at.current >= self.max_current):
            return False
        if self.min_power is not None and (at.power is None or at.power < self.min_power):
            return False
        return not (self.max_power is not None and (at.power is None or at.power >= self.max_power))


def _window(restrictions: dict[str, Any]) -> tuple[int, int] | None:
    start, end = restrictions.get("start_time"), restrictions.get("end_time")
    if start is None and end is None:
        return None
    begin = _minutes(start) * 60 if start is not None else 0
    finish = _minutes(end) * 60 if end is not None else 0
    if finish == 0:
        finish = DAY_S  # "00:00" as an end means the end of the day (TA-08)
    return begin, finish


def compile_element(
    index: int, components: tuple[PriceComponent, ...], raw: dict[str, Any] | None
) -> CompiledElement:
    restrictions = {k: v for k, v in (raw or {}).items() if v is not None and v != []}
    chosen: dict[PriceComponentType, PriceComponent] = {}
    for component in components:
        chosen.setdefault(component.type, component)
    days = restrictions.get("day_of_week")
    min_duration, max_duration = restrictions.get("min_duration"), restrictions.get("max_duration")
    return CompiledElement(
        index=index,
        components=chosen,
        reservation=str(restrictions["reservation"]).upper() if "reservation" in restrictions else None,
        window=_window(restrictions),
        start_day=_day(restrictions["start_date"]) if "start_date" in restrictions else None,
        end_day=_day(restrictions["end_date"]) if "end_date" in restrictions else None,
        weekdays=frozenset(WEEKDAYS.index(str(d).upper()) for d in days) if days else None,
        min_kwh=_decimal(restrictions.get("min_kwh")),
        max_kwh=_decimal(restrictions.get("max_kwh")),
        min_current=_decimal(restrictions.get("min_current")),
        max_current=_decimal(restrictions.get("max_current")),
        min_power=_decimal(restrictions.get("min_power")),
        max_power=_decimal(restrictions.get("max_power")),
        min_elapsed_us=None if min_duration is None else int(min_duration) * US,
        max_elapsed_us=None if max_duration is None else int(max_duration) * US,
        unrestricted=not (set(restrictions) - {"reservation"}),
    )


@dataclass(frozen=True, slots=True)
class CompiledTariff:
    tariff: Tariff
    elements: tuple[CompiledElement, ...]
    # Per dimension, the elements that have a component for it, in list order; split by reservation kind.
    charging: dict[PriceComponentType, tuple[CompiledElement, ...]]
    reserved: dict[PriceComponentType, tuple[CompiledElement, ...]]
    expired: dict[PriceComponentType, tuple[CompiledElement, ...]]
    day_cuts: tuple[int, ...]  # local seconds of day where some restriction can change (0 = midnight)
    elapsed_cuts: tuple[int, ...]  # µs since session start
    kwh_cuts: tuple[Decimal, ...]
    has_power: bool  # some restriction reads current or power
    has_days: bool  # some restriction reads the local date or weekday
    current_cuts: tuple[Decimal, ...]
    power_cuts: tuple[Decimal, ...]
    # Element choices per state (see engine._choices): every restriction compares a value with a bound
    # (x >= bound or x < bound), so moments between the same bounds choose the same elements.
    memo: dict[tuple[object, ...], tuple[CompiledElement | None, ...]]


def _by_dimension(elements: list[CompiledElement]) -> dict[PriceComponentType, tuple[CompiledElement, ...]]:
    return {
        kind: tuple(e for e in elements if kind in e.components)
        for kind in PriceComponentType
        if any(kind in e.components for e in elements)
    }


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    validate_tariff(tariff)
    elements = [compile_element(i, e.price_components, e.restrictions) for i, e in enumerate(tariff.elements)]
    day_cuts: set[int] = set()
    elapsed_cuts: set[int] = set()
    kwh_cuts: set[Decimal] = set()
    has_power = has_days = False
    current_cuts: set[Decimal] = set()
    power_cuts: set[Decimal] = set()
    for e in elements:
        if e.window is not None:
            day_cuts.update(s % DAY_S for s in e.window)
        if e.start_day is not None or e.end_day is not None or e.weekdays is not None:
            day_cuts.add(0)
            has_days = True
        current_cuts.update(x for x in (e.min_current, e.max_current) if x is not None)
        power_cuts.update(x for x in (e.min_power, e.max_power) if x is not None)
        elapsed_cuts.update(x for x in (e.min_elapsed_us, e.max_elapsed_us) if x is not None)
        kwh_cuts.update(x for x in (e.min_kwh, e.max_kwh) if x is not None)
        has_power = has_power or any(
            x is not None for x in (e.min_current, e.max_current, e.min_power, e.max_power)
        )
    expires = [e for e in elements if e.reservation == "RESERVATION_EXPIRES"]
    return CompiledTariff(
        tariff=tariff,
        elements=tuple(elements),
        charging=_by_dimension([e for e in elements if e.reservation is None]),
        reserved=_by_dimension([e for e in elements if e.reservation == "RESERVATION"]),
        # An expired reservation is priced by RESERVATION_EXPIRES elements first (TA-08), then RESERVATION.
        expired=_by_dimension(expires + [e for e in elements if e.reservation == "RESERVATION"]),
        day_cuts=tuple(sorted(day_cuts)),
        elapsed_cuts=tuple(sorted(elapsed_cuts)),
        kwh_cuts=tuple(sorted(kwh_cuts)),
        has_power=has_power,
        has_days=has_days,
        current_cuts=tuple(sorted(current_cuts)),
        power_cuts=tuple(sorted(power_cuts)),
        memo={},
    )


_CACHE: dict[int, CompiledTariff] = {}
_CACHE_LIMIT = 512


def compiled(tariff: Tariff) -> CompiledTariff:
    """The compiled form of this tariff object, cached by identity (tariffs are immutable models)."""
    hit = _CACHE.get(id(tariff))
    if hit is not None and hit.tariff is tariff:
        return hit
    result = compile_tariff(tariff)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[id(tariff)] = result
    return result


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def utc_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime, exactly."""
    return (moment - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)
