"""Chinese time-of-use prices: a 互联互通 business policy (PolicyInfos) to and from an OCPI tariff, and the
order money (electricity / service split, ChargeDetails) of a priced CDR. Imports the standard library and
the core only; formatting for the wire belongs to the 互联互通 adapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    CdrCost,
    CostDimension,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.pricing.money import round_money
from hub.core.pricing.validation import validate_tariff

MAX_PERIODS = 32  # SumPeriod 0–32 (interconnect §5); a policy with no period is "no policy" (FailReason 1)
PRICE_PLACES = 4  # ElecPrice / SevicePrice are sent with 4 decimals (interconnect §3)
MINUTES_PER_DAY = 1440
ZERO = Decimal(0)

_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_WINDOW_KEYS = frozenset({"start_time", "end_time"})


def _fail(field: str, problem: str) -> InvalidRequestError:
    return InvalidRequestError(f"{field}: {problem}", field=field)


def _fits(value: Decimal, places: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-places))


def _check_price(value: object, field: str, places: int | None) -> None:
    # Money is Decimal end to end: a float here would carry binary artefacts onto the wire (§3).
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _fail(field, f"{value!r} is not a finite Decimal")
    if value < 0:
        raise _fail(field, "must not be negative")
    if places is not None and not _fits(value, places):
        raise _fail(field, f"{value} has more than {places} decimals")


@dataclass(frozen=True, slots=True)
class PolicyPeriod:
    """One PolicyInfos entry: from `start` (local Beijing time) until the next period's start."""

    start: time
    elec_price: Decimal  # 元/kWh, ElecPrice
    service_price: Decimal  # 元/kWh, SevicePrice


@dataclass(frozen=True, slots=True)
class BusinessPolicy:
    """A station's 互联互通 business policy: 1–32 periods covering the day from 00:00:00, each lasting until
    the next start (the last until midnight), plus an optional occupancy (parking after charging) fee.

    The standard has no occupancy field; the hub keeps it beside the policy so it maps to OCPI PARKING_TIME.
    Prices are final prices (Chinese prices include tax) and map to OCPI prices as they are."""

    periods: tuple[PolicyPeriod, ...]
    occupancy_price_per_hour: Decimal | None = None
    # Billed occupancy is rounded up to this many seconds (0 = no rounding, TA-12); without an occupancy
    # price it means nothing, and a policy read back from a tariff has the default.
    occupancy_step_s: int = 60

    def __post_init__(self) -> None:
        if not 1 <= len(self.periods) <= MAX_PERIODS:
            raise _fail("PolicyInfos", f"needs 1 to {MAX_PERIODS} periods, got {len(self.periods)}")
        previous: time | None = None
        for i, period in enumerate(self.periods):
            field = f"PolicyInfos[{i}]"
            start = period.start
            if not isinstance(start, time) or start.tzinfo is not None or start.microsecond:
                raise _fail(f"{field}.StartTime", "must be a local time of day in whole seconds")
            if previous is None and start != time(0):
                raise _fail(f"{field}.StartTime", "the first period must start at 000000")
            if previous is not None and start <= previous:
                raise _fail(f"{field}.StartTime", "not after the previous period")
            previous = start
            _check_price(period.elec_price, f"{field}.ElecPrice", PRICE_PLACES)
            _check_price(period.service_price, f"{field}.SevicePrice", PRICE_PLACES)
        if self.occupancy_price_per_hour is not None:
            _check_price(self.occupancy_price_per_hour, "occupancy_price_per_hour", None)
        if isinstance(self.occupancy_step_s, bool) or not isinstance(self.occupancy_step_s, int):
            raise _fail("occupancy_step_s", "must be an integer number of seconds")
        if self.occupancy_step_s < 0:
            raise _fail("occupancy_step_s", "must not be negative")


def parse_start_time(value: object, field: str = "StartTime") -> time:
    """`PolicyInfos.StartTime` as HHmmss: the string the examples show, or the integer the table names,
    left-padded to 6 digits (`30234` → 03:02:34, interconnect §3 and §8)."""
    if isinstance(value, bool):
        raise _fail(field, f"{value!r} is not HHmmss")
    if isinstance(value, int):
        if value < 0:
            raise _fail(field, f"{value!r} is not HHmmss")
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise _fail(field, f"{value!r} is not HHmmss")
    # Numbers sent as strings are tolerated in numeric fields (§8), so a short digit string pads too.
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise _fail(field, f"{value!r} is not HHmmss")
    text = text.zfill(6)
    hours, minutes, seconds = int(text[:2]), int(text[2:4]), int(text[4:])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise _fail(field, f"{value!r} is not a time of day")
    return time(hours, minutes, seconds)


def _hh_mm(moment: time, field: str) -> str:
    # OCPI restricts time of day in HH:MM only (TA-08): a boundary inside a minute has no OCPI form.
    if moment.second:
        raise _fail(field, f"{moment:%H%M%S} is not on a whole minute; OCPI tariffs use HH:MM (TA-08)")
    return f"{moment:%H:%M}"


def tariff_from_policy(
    policy: BusinessPolicy,
    *,
    party: PartyRef,
    tariff_id: str,
    currency: str = "CNY",
    last_updated: datetime,
    vat: Decimal | None = None,
) -> Tariff:
    """The OCPI tariff that prices every session as the policy does.

    One ENERGY element per period, even where prices repeat, so the engine's ENERGY lines map 1:1 to
    policy periods (ChargeDetails): price = ElecPrice + SevicePrice, service_price = SevicePrice, step 1 Wh,
    restricted to [start, next start) with "00:00" as the end of the day (TA-08). A one-period policy is
    one unrestricted element (a 00:00–00:00 window is ambiguous in OCPI, TA-17). The occupancy fee is an
    unrestricted PARKING_TIME element. `vat` is None by default because Chinese prices are final; when
    given, the policy prices are read as excl. VAT."""
    periods = policy.periods
    elements: list[TariffElement] = []
    for i, period in enumerate(periods):
        restrictions: dict[str, Any] | None = None
        if len(periods) > 1:
            start = _hh_mm(period.start, f"PolicyInfos[{i}].StartTime")
            end = (
                "00:00"
                if i + 1 == len(periods)
                else _hh_mm(periods[i + 1].start, f"PolicyInfos[{i + 1}].StartTime")
            )
            restrictions = {"start_time": start, "end_time": end}
        component = PriceComponent(
            type=PriceComponentType.ENERGY,
            price=period.elec_price + period.service_price,
            vat=vat,
            step_size=1,
            service_price=period.service_price,
        )
        elements.append(TariffElement(price_components=(component,), restrictions=restrictions))
    if policy.occupancy_price_per_hour is not None:
        parking = PriceComponent(
            type=PriceComponentType.PARKING_TIME,
            price=policy.occupancy_price_per_hour,
            vat=vat,
            step_size=policy.occupancy_step_s,
        )
        elements.append(TariffElement(price_components=(parking,)))
    return Tariff(
        id=tariff_id,
        party=party,
        currency=currency,
        elements=tuple(elements),
        last_updated=last_updated,
    )


def _minute(text: object, field: str) -> int:
    match = _HH_MM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _fail(field, f"{text!r} is not HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def _window(index: int, restrictions: dict[str, Any]) -> tuple[int, int] | None:
    """[start, end) in minutes of day, as the engine reads it: a missing start is 00:00, a missing or
    "00:00" end is the end of the day, end <= start wraps past midnight (TA-08)."""
    for key in restrictions:
        if key not in _WINDOW_KEYS:
            raise _fail(
                f"elements[{index}].restrictions.{key}", "not expressible in a 互联互通 business policy"
            )
    if not restrictions:
        return None
    field = f"elements[{index}].restrictions"
    start = _minute(restrictions["start_time"], f"{field}.start_time") if "start_time" in restrictions else 0
    end = _minute(restrictions["end_time"], f"{field}.end_time") if "end_time" in restrictions else 0
    return start, end or MINUTES_PER_DAY


def _holds(window: tuple[int, int] | None, minute: int) -> bool:
    if window is None:
        return True
    start, end = window
    if start < end:
        return start <= minute < end
    return not end <= minute < start


def policy_from_tariff(tariff: Tariff) -> BusinessPolicy:
    """The business policy that prices every session as this tariff does; InvalidRequestError naming the
    element for anything a policy cannot say (FLAT or TIME components, restrictions other than time of day,
    ENERGY step sizes other than 1 Wh, restricted PARKING_TIME, min/max price, prices beyond 4 decimals).

    Per minute of the day the first element with an ENERGY component whose window holds is chosen (TA-07);
    each run of minutes chosen from one element becomes a period (so repeated prices stay apart and
    `policy_from_tariff(tariff_from_policy(p)) == p`). Minutes no element covers are free (TA-07): a
    period at price 0. Electricity = price − service_price; service_price None means no service part.
    Components' VAT is dropped: policy prices are the OCPI prices (excl. VAT). The tariff is validated
    as the engine does first (validate_tariff), so a tariff the engine refuses has no policy either."""
    validate_tariff(tariff)
    for bound in ("min_price_excl_vat", "max_price_excl_vat", "min_price_incl_vat", "max_price_incl_vat"):
        if getattr(tariff, bound) is not None:
            raise _fail(bound, "not expressible in a 互联互通 business policy")
    energy: list[tuple[int, tuple[int, int] | None, PriceComponent]] = []
    parking: PriceComponent | None = None
    for i, element in enumerate(tariff.elements):
        # None and [] values are no restriction, as the engine reads them.
        restrictions = {k: v for k, v in (element.restrictions or {}).items() if v is not None and v != []}
        window = _window(i, restrictions)
        for j, component in enumerate(element.price_components):  # one per type (validate_tariff)
            field = f"elements[{i}].price_components[{j}]"
            kind = component.type
            if kind not in (PriceComponentType.ENERGY, PriceComponentType.PARKING_TIME):
                raise _fail(f"{field}.type", f"{kind} is not expressible in a 互联互通 business policy")
            if kind is PriceComponentType.PARKING_TIME:
                if window is not None:
                    raise _fail(f"elements[{i}].restrictions", "an occupancy fee applies all day")
                if parking is None:  # later unrestricted ones are never selected (TA-07)
                    parking = component
                continue
            if component.step_size != 1:
                raise _fail(f"{field}.step_size", "a business policy bills energy per Wh (step_size 1)")
            service = component.service_price if component.service_price is not None else ZERO
            if service > component.price:
                raise _fail(f"{field}.service_price", "greater than the price")
            _check_price(component.price, f"{field}.price", PRICE_PLACES)
            _check_price(service, f"{field}.service_price", PRICE_PLACES)
            energy.append((i, window, component))
    periods: list[PolicyPeriod] = []
    owner: int | None = -1
    for minute in range(MINUTES_PER_DAY):
        chosen = next(((i, c) for i, w, c in energy if _holds(w, minute)), None)
        if (chosen[0] if chosen else None) == owner:
            continue
        owner = chosen[0] if chosen else None
        service = ZERO if chosen is None else chosen[1].service_price or ZERO
        price = ZERO if chosen is None else chosen[1].price
        periods.append(PolicyPeriod(time(minute // 60, minute % 60), price - service, service))
    if len(periods) > MAX_PERIODS:
        raise _fail("elements", f"needs {len(periods)} periods; a business policy holds {MAX_PERIODS}")
    return BusinessPolicy(
        periods=tuple(periods),
        occupancy_price_per_hour=parking.price if parking else None,
        occupancy_step_s=parking.step_size if parking else 60,
    )


@dataclass(frozen=True, slots=True)
class ChargeDetail:
    """One ChargeDetails entry: one ENERGY cost line (a run of one policy period)."""

    start: datetime  # aware, UTC
    end: datetime
    elec_price: Decimal
    service_price: Decimal
    power_kwh: Decimal  # billed energy, the quantity the money is computed from
    elec_money: Decimal
    service_money: Decimal


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """The money of a 互联互通 order (notification_charge_order_info), equal to the CDR's to the cent:
    total_money = elec_money + service_money = the CDR's total excl. VAT."""

    total_power_kwh: Decimal
    elec_money: Decimal  # TotalElecMoney
    service_money: Decimal  # TotalSeviceMoney, occupancy included
    occupancy_money: Decimal  # part of service_money; the standard has no field of its own
    total_money: Decimal
    details: tuple[ChargeDetail, ...]


def order_money(cost: CdrCost, currency: str = "CNY") -> OrderMoney:
    """Split a priced CDR's money into electricity and service (ChargeDetails per ENERGY line).

    A detail's total is its line's amount; its electricity money is round(billed × (price − service_price))
    half-up to the minor unit and its service money the rest, so the order adds up to the CDR by
    construction. PARKING_TIME lines (occupancy) are summed into the service money, because the standard
    has no occupancy field. Amounts are the CDR's excl.-VAT amounts, the final price for a tariff made from
    a policy. Refused: another currency, a clamped total (min/max price), money in other dimensions, and
    lines not rounded to the minor unit (the per-line rounding policy is needed)."""
    if cost.currency.upper() != currency.upper():
        raise _fail("cost.currency", f"{cost.currency} is not the order currency {currency}")
    if cost.clamped is not None:
        raise _fail("cost.clamped", f"a total set by {cost.clamped} cannot be split per period")
    details: list[ChargeDetail] = []
    occupancy = ZERO
    for i, line in enumerate(cost.lines):
        field = f"cost.lines[{i}]"
        if round_money(line.amount_excl_vat, currency) != line.amount_excl_vat:
            raise _fail(f"{field}.amount_excl_vat", "not rounded to the currency's minor unit")
        if line.dimension is CostDimension.PARKING_TIME:
            occupancy += line.amount_excl_vat
            continue
        if line.dimension is not CostDimension.ENERGY:
            if line.amount_excl_vat:
                raise _fail(f"{field}.dimension", f"{line.dimension} money has no place in a 互联互通 order")
            continue
        service_price = line.service_price if line.service_price is not None else ZERO
        if service_price > line.price:
            raise _fail(f"{field}.service_price", "greater than the price")
        elec_price = line.price - service_price
        elec_money = round_money(line.billed * elec_price, currency)
        details.append(
            ChargeDetail(
                start=line.start.astimezone(UTC),
                end=line.end.astimezone(UTC),
                elec_price=elec_price,
                service_price=service_price,
                power_kwh=line.billed,
                elec_money=elec_money,
                service_money=line.amount_excl_vat - elec_money,
            )
        )
    details.sort(key=lambda d: d.start)
    elec = sum((d.elec_money for d in details), ZERO)
    service = sum((d.service_money for d in details), ZERO) + occupancy
    return OrderMoney(
        total_power_kwh=sum((d.power_kwh for d in details), ZERO),
        elec_money=elec,
        service_money=service,
        occupancy_money=occupancy,
        total_money=elec + service,
        details=tuple(details),
    )
