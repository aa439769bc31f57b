"""Validation of what the tariff engine prices: a tariff (once per compiled tariff) and a session's
charging periods (on every call, so kept cheap). Raises InvalidRequestError naming the field.
Imports the standard library and hub.core only.

Tariff rules (TA-03/04/07/08): at least one element, each with components; every component of a known
type with a finite price, vat and service_price >= 0 (service_price on ENERGY only, never above the
price) and an integer step_size >= 0; restrictions only with the OCPI keys, well-formed values (HH:MM
00:00-23:59, valid YYYY-MM-DD dates, MONDAY..SUNDAY, RESERVATION|RESERVATION_EXPIRES, numbers >= 0,
integer durations), satisfiable bounds (min < max, start_date < end_date, start_time != end_time, a
non-empty day_of_week); reservation elements hold FLAT and TIME only; one component per type and
element; min_price <= max_price, both >= 0; start_date_time < end_date_time. An element whose
restrictions equal an earlier one's and which prices a dimension that earlier element already prices
can never apply to it (TA-07 first match) and is refused as a sign of a broken tariff. Kept valid on
purpose: a restriction set to null (= absent, OCPI #466), end_time before start_time (wraps past
midnight), end_time "00:00" (end of day), duplicate day names, a restricted element after an
unrestricted one (only identical restrictions are refused). "24:00" is refused (HH:MM runs to 23:59).

Period rules: at least one period; aware datetimes; end not before start; the first period not before
the session start, none after its end, none before the previous one (equal start times, i.e. empty
periods, are kept: stations repeat timestamps); the volumes the engine reads (ENERGY, the three times,
current and power) >= 0 and, except current and power, finite (an infinite current prices nothing
wrong), each at most once per period; STATE_OF_CHARGE and ENERGY_IMPORT/EXPORT (session-only, CD-08)
are not read. A period cannot hold both TIME and PARKING_TIME > 0 (the
engine could not tell which part was charging) nor RESERVATION_TIME > 0 with charging, parking or
energy (a reservation ends when charging starts); no reservation period follows charging or parking.
The time volumes together may not exceed the periods' span by more than a minute (CPOs round hours to
3 decimals; checked once per session, not per period, for speed). Zero volumes count as absent (CPOs
that list every dimension in every period stay valid), and energy in a parking period is kept (meters
tick after the EV stops requesting power).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import ChargingPeriod, DimensionType, PriceComponentType, Tariff

__all__ = ["validate_periods", "validate_tariff"]

ZERO = Decimal(0)
WEEKDAYS = frozenset({"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"})
RESERVATION_KINDS = frozenset({"RESERVATION", "RESERVATION_EXPIRES"})
COMPONENT_TYPES = frozenset(PriceComponentType)
RESERVATION_COMPONENTS = frozenset({PriceComponentType.FLAT, PriceComponentType.TIME})  # TA-08
NUMBER_KEYS = ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power")
DURATION_KEYS = ("min_duration", "max_duration")
RESTRICTION_KEYS = frozenset(
    {"start_time", "end_time", "start_date", "end_date", "day_of_week", "reservation", *NUMBER_KEYS}
    | set(DURATION_KEYS)
)
# (lower, upper): the lower bound is inclusive and the upper exclusive (TA-08), so equal bounds match nothing.
BOUNDS = (
    ("min_kwh", "max_kwh"),
    ("min_current", "max_current"),
    ("min_power", "max_power"),
    ("min_duration", "max_duration"),
)
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_ENERGY, _TIME, _PARKING, _RESERVATION = (
    DimensionType.ENERGY,
    DimensionType.TIME,
    DimensionType.PARKING_TIME,
    DimensionType.RESERVATION_TIME,
)
# Instantaneous values read by current/power restrictions (CURRENT and POWER in live sessions only, CD-08);
# STATE_OF_CHARGE and ENERGY_IMPORT/EXPORT are not read by the engine.
_LIMITS = frozenset(
    {
        DimensionType.MIN_CURRENT,
        DimensionType.MAX_CURRENT,
        DimensionType.CURRENT,
        DimensionType.MIN_POWER,
        DimensionType.MAX_POWER,
        DimensionType.POWER,
    }
)
_READ = _LIMITS | {_ENERGY, _TIME, _PARKING, _RESERVATION}
_SLACK_HOURS = Decimal(1) / 60  # CPOs round period hours to 3 decimals (3.6 s); a minute covers clock skew


def _fail(field: str, problem: str) -> InvalidRequestError:
    return InvalidRequestError(f"{field}: {problem}", field=field)


# ---------------------------------------------------------------------------------------------- tariff


def validate_tariff(tariff: Tariff) -> None:
    """Raise InvalidRequestError (message and `field` start with the path) for a tariff that cannot be
    priced without guessing; see the module docstring for the rules."""
    if len(tariff.currency) != 3 or not tariff.currency.isalpha():
        raise _fail("currency", f"not an ISO 4217 code: {tariff.currency!r}")
    if not tariff.elements:
        raise _fail("elements", "a tariff needs at least one element")
    first_pricing: dict[tuple[PriceComponentType, frozenset[tuple[str, Any]]], int] = {}
    for i, element in enumerate(tariff.elements):
        path = f"elements[{i}]"
        restrictions = _check_restrictions(element.restrictions, f"{path}.restrictions")
        reservation = restrictions.get("reservation") is not None
        if not element.price_components:
            raise _fail(f"{path}.price_components", "an element needs at least one price component")
        key = _restriction_key(restrictions)
        seen: set[PriceComponentType] = set()
        for j, component in enumerate(element.price_components):
            where = f"{path}.price_components[{j}]"
            _check_component(component.type, component, where)
            kind = component.type
            if kind in seen:
                raise _fail(f"{where}.type", f"a second {kind} component in the same element")
            seen.add(kind)
            if reservation and kind not in RESERVATION_COMPONENTS:
                raise _fail(f"{where}.type", f"a reservation element prices only FLAT and TIME, not {kind}")
            earlier = first_pricing.setdefault((kind, key), i)
            if earlier != i:
                raise _fail(
                    path,
                    f"its {kind} price can never apply: elements[{earlier}] has the same restrictions "
                    f"and prices {kind} first (TA-07)",
                )
    _check_price_bounds(tariff)
    if (
        tariff.start_date_time is not None
        and tariff.end_date_time is not None
        and tariff.start_date_time >= tariff.end_date_time
    ):
        raise _fail("end_date_time", "not after start_date_time")


def _check_component(kind: Any, component: Any, where: str) -> None:
    if kind not in COMPONENT_TYPES:
        raise _fail(f"{where}.type", f"unknown dimension {kind!r}")
    price = _finite(component.price, f"{where}.price")
    if price < 0:
        raise _fail(f"{where}.price", "must not be negative")
    if component.vat is not None and _finite(component.vat, f"{where}.vat") < 0:
        raise _fail(f"{where}.vat", "must not be negative")
    step = component.step_size
    if isinstance(step, bool) or not isinstance(step, int):
        raise _fail(f"{where}.step_size", f"not an integer: {step!r}")
    if step < 0:
        raise _fail(f"{where}.step_size", "must not be negative")
    service = component.service_price
    if service is not None:
        if kind != PriceComponentType.ENERGY:
            raise _fail(f"{where}.service_price", "only ENERGY components have a service price")
        service = _finite(service, f"{where}.service_price")
        if service < 0:
            raise _fail(f"{where}.service_price", "must not be negative")
        if service > price:
            raise _fail(f"{where}.service_price", "exceeds the price it is a part of")


def _check_price_bounds(tariff: Tariff) -> None:
    for kind in ("excl_vat", "incl_vat"):
        low_name, high_name = f"min_price_{kind}", f"max_price_{kind}"
        low, high = getattr(tariff, low_name), getattr(tariff, high_name)
        for name, value in ((low_name, low), (high_name, high)):
            if value is not None and _finite(value, name) < 0:
                raise _fail(name, "must not be negative")
        if low is not None and high is not None and low > high:
            raise _fail(low_name, f"{low} is above {high_name} {high}")


def _finite(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(field, f"not a number: {value!r}")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise _fail(field, "not a finite number")
    return number


def _check_restrictions(raw: Mapping[str, Any] | None, path: str) -> dict[str, Any]:
    """The restrictions without null values, checked; numbers as Decimal."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(path, "expected an object")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in RESTRICTION_KEYS:
            raise _fail(f"{path}.{name}", "unknown restriction")
        if value is not None:
            values[name] = _restriction_value(name, value, f"{path}.{name}")
    for low, high in BOUNDS:
        if low in values and high in values and values[low] >= values[high]:
            raise _fail(f"{path}.{low}", f"{values[low]} is not below {high} {values[high]}: never matches")
    if "start_date" in values and "end_date" in values and values["start_date"] >= values["end_date"]:
        raise _fail(f"{path}.start_date", "not before end_date (end_date is exclusive): never matches")
    if values.get("start_time") is not None and values.get("start_time") == values.get("end_time"):
        raise _fail(f"{path}.start_time", "equals end_time: the window is empty (TA-17)")
    return values


def _restriction_value(name: str, value: Any, field: str) -> Any:
    if name in ("start_time", "end_time"):
        if not isinstance(value, str) or not _HH_MM.fullmatch(value):
            raise _fail(field, f"not a HH:MM time between 00:00 and 23:59: {value!r}")
        return value
    if name in ("start_date", "end_date"):
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise _fail(field, f"not a YYYY-MM-DD date: {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _fail(field, f"not a calendar date: {value!r}") from None
    if name == "day_of_week":
        if isinstance(value, str) or not isinstance(value, Sequence | frozenset | set):
            raise _fail(field, f"expected a list of day names: {value!r}")
        if not value:
            raise _fail(field, "empty: never matches")
        for k, day in enumerate(value):
            if day not in WEEKDAYS:
                raise _fail(f"{field}[{k}]", f"not a day of the week: {day!r}")
        return frozenset(value)
    if name == "reservation":
        if value not in RESERVATION_KINDS:
            raise _fail(field, f"must be RESERVATION or RESERVATION_EXPIRES: {value!r}")
        return str(value)
    if name in DURATION_KEYS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(field, f"not a whole number of seconds: {value!r}")
        if value < 0:
            raise _fail(field, "must not be negative")
        return Decimal(value)
    number = _finite(value, field)
    if number < 0:
        raise _fail(field, "must not be negative")
    return number


def _restriction_key(values: dict[str, Any]) -> frozenset[tuple[str, Any]]:
    # Decimal, date, str and frozenset hash by value, so equal restrictions (32 == 32.00) share a key.
    return frozenset(values.items())


# ---------------------------------------------------------------------------------------------- periods


def validate_periods(periods: Sequence[ChargingPeriod], start: datetime, end: datetime) -> None:
    """Raise InvalidRequestError for charging periods no tariff can price; see the module docstring.

    Runs on every priced session, so the pass is flat: identity tests per dimension, sign tests per period
    on the non-zero volumes only; a period that looks wrong is examined again by `_explain` to name the
    field. NaN volumes raise InvalidOperation in a comparison and infinite ones show in the session's
    sums (both only through model_construct: pydantic refuses them)."""
    if start.tzinfo is None:
        raise _fail("start_date_time", "not time-zone aware")
    if end.tzinfo is None:
        raise _fail("end_date_time", "not time-zone aware")
    if end < start:
        raise _fail("end_date_time", "before start_date_time")
    if not periods:
        raise _fail("charging_periods", "at least one period is required")
    first = previous = periods[0].start_date_time
    if first < start:
        raise _fail("charging_periods[0].start_date_time", "before the session start")
    hours = kwh = ZERO
    charged = False
    try:
        for i, period in enumerate(periods):
            moment = period.start_date_time
            if moment < previous:
                raise _fail(f"charging_periods[{i}].start_date_time", "before the previous period")
            previous = moment
            energy = time = parking = reserved = None
            limits: list[DimensionType] | None = None
            suspect = False
            for dimension in period.dimensions:
                kind = dimension.type
                if kind is _ENERGY:
                    if energy is not None:
                        suspect = True
                    energy = dimension.volume
                elif kind is _TIME:
                    if time is not None:
                        suspect = True
                    time = dimension.volume
                elif kind is _PARKING:
                    if parking is not None:
                        suspect = True
                    parking = dimension.volume
                elif kind is _RESERVATION:
                    if reserved is not None:
                        suspect = True
                    reserved = dimension.volume
                elif kind in _LIMITS:
                    if dimension.volume < ZERO or (limits is not None and kind in limits):
                        suspect = True
                    limits = [kind] if limits is None else [*limits, kind]
            # Zero volumes are falsy and count as absent; negative ones are truthy and get checked.
            if time:
                if parking or reserved or time < ZERO:
                    suspect = True
                hours += time
                charged = True
            elif parking:
                if reserved or parking < ZERO:
                    suspect = True
                hours += parking
                charged = True
            elif reserved:
                if charged or energy or reserved < ZERO:
                    suspect = True
                hours += reserved
            if energy:
                if energy < ZERO:
                    suspect = True
                kwh += energy
            if suspect:
                _explain(i, period, charged)
    except InvalidOperation:  # a NaN volume
        for i, period in enumerate(periods):
            _check_dimensions(i, period)
        raise
    if previous > end:
        raise _fail(f"charging_periods[{len(periods) - 1}].start_date_time", "after the session end")
    if not (hours.is_finite() and kwh.is_finite()):
        for i, period in enumerate(periods):
            _check_dimensions(i, period)
    span = (end - first).total_seconds()
    if hours > Decimal(span) / 3600 + _SLACK_HOURS:
        raise _fail(
            "charging_periods",
            f"{hours} h of charging, parking and reservation time in {span / 3600:.3f} h of periods",
        )


def _explain(i: int, period: ChargingPeriod, after_charging: bool) -> None:
    """The slow path for a period that failed the fast checks: raise naming the field."""
    _check_dimensions(i, period)
    volumes = {d.type: d.volume for d in period.dimensions}
    time, parking, reserved = (volumes.get(kind, ZERO) > ZERO for kind in (_TIME, _PARKING, _RESERVATION))
    if time and parking:
        raise _fail(
            f"charging_periods[{i}].dimensions",
            "both TIME and PARKING_TIME: split the period where charging stops",
        )
    if reserved and (time or parking or volumes.get(_ENERGY, ZERO) > ZERO):
        raise _fail(
            f"charging_periods[{i}].dimensions",
            "RESERVATION_TIME with charging, parking or energy: a reservation ends when charging starts",
        )
    if reserved and after_charging:
        raise _fail(f"charging_periods[{i}]", "a reservation period after charging or parking")


def _check_dimensions(i: int, period: ChargingPeriod) -> None:
    """Name the dimension the engine reads that is negative, not finite, or given twice."""
    seen: set[DimensionType] = set()
    for k, dimension in enumerate(period.dimensions):
        kind = dimension.type
        if kind not in _READ:
            continue
        volume = dimension.volume
        if not volume.is_finite() or volume < ZERO:
            raise _fail(
                f"charging_periods[{i}].dimensions[{k}].volume",
                f"{kind} must be a finite number >= 0, not {volume}",
            )
        if kind in seen:
            raise _fail(f"charging_periods[{i}].dimensions[{k}].type", f"{kind} given twice")
        seen.add(kind)
