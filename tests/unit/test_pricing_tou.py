"""Chinese time-of-use prices: StartTime parsing, policy validation, policy ↔ tariff mapping (round trip), and
(hypothesis) the tariff engine pricing a policy's tariff exactly as an independent slot-by-slot oracle, with
order money (electricity + service) equal to the CDR to the cent."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.pricing import RoundingPolicy, TariffEngine, validate_tariff
from hub.core.pricing.tou import (
    BusinessPolicy,
    PolicyPeriod,
    order_money,
    parse_start_time,
    policy_from_tariff,
    tariff_from_policy,
)

BEIJING = ZoneInfo("Asia/Shanghai")
CPO = PartyRef.parse("CN*HLT")
UPDATED = datetime(2024, 1, 1, tzinfo=UTC)
ENERGY, FLAT, TIME, PARKING = (
    PriceComponentType.ENERGY,
    PriceComponentType.FLAT,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
)
CENT = Decimal("0.01")


def policy(*periods: tuple[str, str, str], **overrides: Any) -> BusinessPolicy:
    """A policy from (StartTime, ElecPrice, SevicePrice) rows as the wire spells them."""
    rows = tuple(PolicyPeriod(parse_start_time(s), Decimal(e), Decimal(v)) for s, e, v in periods)
    return BusinessPolicy(periods=rows, **overrides)


def tou_tariff(of: BusinessPolicy, **overrides: Any) -> Tariff:
    return tariff_from_policy(of, party=CPO, tariff_id="TOU-1", last_updated=UPDATED, **overrides)


def a_tariff(*elements: TariffElement, **overrides: Any) -> Tariff:
    values: dict[str, Any] = {"id": "T", "party": CPO, "currency": "CNY", "last_updated": UPDATED}
    values.update(overrides)
    return Tariff(elements=elements, **values)


def element(*components: PriceComponent, **restrictions: Any) -> TariffElement:
    return TariffElement(price_components=components, restrictions=restrictions or None)


def energy(price: str, service: str | None = None, step: int = 1, vat: str | None = None) -> PriceComponent:
    return PriceComponent(
        type=ENERGY,
        price=Decimal(price),
        service_price=None if service is None else Decimal(service),
        step_size=step,
        vat=None if vat is None else Decimal(vat),
    )


def beijing(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, second, tzinfo=BEIJING).astimezone(UTC)


def charging(start: datetime, kwh: str) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=start, dimensions=(Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),)
    )


def parked(start: datetime, hours: Decimal) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=start, dimensions=(Dimension(type=DimensionType.PARKING_TIME, volume=hours),)
    )


def rejects(field: str, problem: str, build: Callable[[], object]) -> None:
    with pytest.raises(InvalidRequestError) as info:
        build()
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: {problem}"), str(info.value)


# A Beijing-style 峰谷平 policy: valley 23–07, flat 07–10, 15–18, 21–23, peak 10–15, 18–21.
VALLEY, FLAT_P, PEAK = ("0.3100", "0.4000"), ("0.6200", "0.6000"), ("1.0500", "0.8000")
PEAK_VALLEY = policy(
    ("000000", *VALLEY),
    ("070000", *FLAT_P),
    ("100000", *PEAK),
    ("150000", *FLAT_P),
    ("180000", *PEAK),
    ("210000", *FLAT_P),
    ("230000", *VALLEY),
    occupancy_price_per_hour=Decimal("6.00"),
    occupancy_step_s=900,
)


# ------------------------------------------------------------------------------------------- StartTime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("030234", time(3, 2, 34)),
        (30234, time(3, 2, 34)),  # the table says integer: left-pad to 6 digits (§3, §8)
        ("30234", time(3, 2, 34)),  # a number sent as a string (§8)
        (0, time(0)),
        ("000000", time(0)),
        (235959, time(23, 59, 59)),
        (700, time(0, 7)),
    ],
)
def test_start_time_is_parsed_from_hhmmss_strings_and_integers(value: object, expected: time) -> None:
    assert parse_start_time(value) == expected


@pytest.mark.parametrize(
    "value",
    ["240000", "006000", "000060", "1234567", "03:02:34", "", " 30234", "0x1234", -1, True, 30234.0, None],
)
def test_start_time_that_is_not_a_time_of_day_is_refused_naming_the_field(value: object) -> None:
    rejects("PolicyInfos[2].StartTime", "", lambda: parse_start_time(value, "PolicyInfos[2].StartTime"))


@given(st.times().map(lambda t: t.replace(microsecond=0)))
def test_start_time_reads_back_what_hhmmss_wrote(moment: time) -> None:
    assert parse_start_time(f"{moment:%H%M%S}") == moment
    assert parse_start_time(int(f"{moment:%H%M%S}")) == moment


# ------------------------------------------------------------------------------------------- validation


def _period(start: time, elec: Any = Decimal("1.0000"), service: Any = Decimal("0.5000")) -> PolicyPeriod:
    return PolicyPeriod(start, elec, service)


def _hours(*starts: int | time, **overrides: Any) -> Callable[[], BusinessPolicy]:
    periods = tuple(_period(s if isinstance(s, time) else time(s)) for s in starts)
    return lambda: BusinessPolicy(periods=periods, **overrides)


def _priced(**prices: Any) -> Callable[[], BusinessPolicy]:
    return lambda: BusinessPolicy(periods=(_period(time(0), **prices),))


@pytest.mark.parametrize(
    ("field", "problem", "build"),
    [
        ("PolicyInfos", "needs 1 to 32 periods, got 0", _hours()),
        ("PolicyInfos", "needs 1 to 32 periods, got 33", _hours(*(time(0, m) for m in range(33)))),
        ("PolicyInfos[0].StartTime", "the first period must start at 000000", _hours(time(0, 0, 1))),
        ("PolicyInfos[3].StartTime", "not after the previous period", _hours(0, 8, 12, 12)),
        ("PolicyInfos[2].StartTime", "not after the previous period", _hours(0, 12, 8)),
        ("PolicyInfos[1].StartTime", "must be a local time of day in whole", _hours(0, time(8, 0, 0, 5))),
        ("PolicyInfos[1].StartTime", "must be a local time of day in whole", _hours(0, time(8, tzinfo=UTC))),
        ("PolicyInfos[0].ElecPrice", "must not be negative", _priced(elec=Decimal("-0.1"))),
        ("PolicyInfos[0].SevicePrice", "0.12345 has more than 4", _priced(service=Decimal("0.12345"))),
        ("PolicyInfos[0].ElecPrice", "0.5 is not a finite Decimal", _priced(elec=0.5)),
        ("PolicyInfos[0].ElecPrice", "Decimal('NaN') is not a finite Decimal", _priced(elec=Decimal("NaN"))),
        ("occupancy_price_per_hour", "must not be negative", _hours(0, occupancy_price_per_hour=Decimal(-1))),
        ("occupancy_step_s", "must not be negative", _hours(0, occupancy_step_s=-60)),
    ],
)  # fmt: skip
def test_invalid_policies_are_refused_naming_the_field(
    field: str, problem: str, build: Callable[[], object]
) -> None:
    rejects(field, problem, build)


def test_a_policy_may_hold_32_periods_and_repeat_prices() -> None:
    rows = tuple(_period(time(0, m)) for m in range(32))
    assert len(BusinessPolicy(periods=rows).periods) == 32


# ------------------------------------------------------------------------------------------- policy → tariff


def test_each_period_becomes_a_time_restricted_energy_element_with_its_service_part() -> None:
    tariff = tou_tariff(PEAK_VALLEY)
    validate_tariff(tariff)
    assert tariff.currency == "CNY"
    windows = [e.restrictions for e in tariff.elements[:7]]
    assert windows == [
        {"start_time": "00:00", "end_time": "07:00"},
        {"start_time": "07:00", "end_time": "10:00"},
        {"start_time": "10:00", "end_time": "15:00"},
        {"start_time": "15:00", "end_time": "18:00"},
        {"start_time": "18:00", "end_time": "21:00"},
        {"start_time": "21:00", "end_time": "23:00"},
        {"start_time": "23:00", "end_time": "00:00"},  # "00:00" as an end is the end of the day (TA-08)
    ]
    peak = tariff.elements[2].price_components
    assert peak == (
        PriceComponent(
            type=ENERGY, price=Decimal("1.85"), vat=None, step_size=1, service_price=Decimal("0.8")
        ),
    )
    occupancy = tariff.elements[7]
    assert occupancy.restrictions is None
    assert occupancy.price_components == (
        PriceComponent(type=PARKING, price=Decimal("6.00"), vat=None, step_size=900),
    )


def test_a_one_period_policy_is_one_unrestricted_element() -> None:
    tariff = tou_tariff(policy(("000000", "0.8000", "0.4000")))
    assert [e.restrictions for e in tariff.elements] == [None]
    assert tariff.elements[0].price_components[0].price == Decimal("1.2")


def test_a_vat_when_asked_goes_on_every_component() -> None:
    tariff = tou_tariff(PEAK_VALLEY, vat=Decimal(13), currency="CNY")
    assert {c.vat for e in tariff.elements for c in e.price_components} == {Decimal(13)}


def test_a_period_starting_inside_a_minute_has_no_ocpi_form() -> None:
    odd = policy(("000000", "1", "0"), ("030234", "2", "0"))
    rejects("PolicyInfos[1].StartTime", "030234 is not on a whole minute", lambda: tou_tariff(odd))


# ------------------------------------------------------------------------------------------- tariff → policy


def test_a_tariff_of_time_windows_becomes_the_policy_that_prices_each_minute_alike() -> None:
    tariff = a_tariff(
        element(energy("1.85", "0.80"), start_time="10:00", end_time="15:00"),
        element(energy("0.71", "0.40"), start_time="22:00", end_time="06:00"),  # wraps past midnight
        element(energy("1.20")),  # the unrestricted default; no service part
        element(PriceComponent(type=PARKING, price=Decimal("3.00"), step_size=300)),
    )
    assert policy_from_tariff(tariff) == policy(
        ("000000", "0.31", "0.40"),
        ("060000", "1.20", "0"),
        ("100000", "1.05", "0.80"),
        ("150000", "1.20", "0"),
        ("220000", "0.31", "0.40"),
        occupancy_price_per_hour=Decimal("3.00"),
        occupancy_step_s=300,
    )


def test_the_first_matching_element_wins_and_uncovered_minutes_are_free() -> None:
    tariff = a_tariff(
        element(energy("2.00"), start_time="08:00", end_time="12:00"),
        element(energy("1.00", "0.25"), start_time="06:00", end_time="18:00"),  # TA-07: first match wins
        element(energy("3.00"), start_time="20:00"),  # no end_time: until the end of the day
    )
    assert policy_from_tariff(tariff) == policy(
        ("000000", "0", "0"),  # no element prices energy here: free (TA-07)
        ("060000", "0.75", "0.25"),
        ("080000", "2.00", "0"),
        ("120000", "0.75", "0.25"),
        ("180000", "0", "0"),
        ("200000", "3.00", "0"),
    )


_PARKING_BY_DAY = element(
    PriceComponent(type=PARKING, price=Decimal(1)), start_time="08:00", end_time="20:00"
)
_33_WINDOWS = (element(energy("1"), start_time=f"00:{m:02}", end_time=f"00:{m + 1:02}") for m in range(33))


@pytest.mark.parametrize(
    ("field", "problem", "tariff"),
    [
        ("elements[1].price_components[0].type", "FLAT is not expressible",
         a_tariff(element(energy("1")), element(PriceComponent(type=FLAT, price=Decimal(1))))),
        ("elements[0].price_components[1].type", "TIME is not expressible",
         a_tariff(element(energy("1"), PriceComponent(type=TIME, price=Decimal(1))))),
        ("elements[0].restrictions.min_kwh", "not expressible",
         a_tariff(element(energy("1"), min_kwh=Decimal(10)), element(energy("2")))),
        ("elements[0].restrictions.day_of_week", "not expressible",
         a_tariff(element(energy("1"), start_time="08:00", day_of_week=["MONDAY"]))),
        ("elements[0].price_components[0].step_size", "a business policy bills energy per Wh",
         a_tariff(element(energy("1", step=100)))),
        ("elements[1].restrictions", "an occupancy fee applies all day",
         a_tariff(element(energy("1")), _PARKING_BY_DAY)),
        ("elements[0].price_components[0].price", "1.23456 has more than 4 decimals",
         a_tariff(element(energy("1.23456")))),
        ("min_price_excl_vat", "not expressible",
         a_tariff(element(energy("1")), min_price_excl_vat=Decimal(5))),
        ("elements", "needs 34 periods; a business policy holds 32", a_tariff(*_33_WINDOWS)),
    ],
)  # fmt: skip
def test_a_tariff_a_policy_cannot_say_is_refused_naming_the_element(
    field: str, problem: str, tariff: Tariff
) -> None:
    rejects(field, problem, lambda: policy_from_tariff(tariff))


def test_a_tariff_the_engine_refuses_has_no_policy() -> None:
    broken = a_tariff(element(energy("1"), start_time="08:00", end_time="08:00"))
    rejects("elements[0].restrictions.start_time", "equals end_time", lambda: policy_from_tariff(broken))


def test_vat_does_not_change_the_policy() -> None:
    assert policy_from_tariff(tou_tariff(PEAK_VALLEY, vat=Decimal(13))) == PEAK_VALLEY


prices = st.integers(0, 50_000).map(lambda n: Decimal(n).scaleb(-4))  # 0–5 元/kWh, 4 decimals (§3)


@st.composite
def policies(draw: st.DrawFn) -> BusinessPolicy:
    count = draw(st.integers(1, 32))
    minutes = sorted(
        draw(st.lists(st.integers(1, 1439), min_size=count - 1, max_size=count - 1, unique=True))
    )
    periods = tuple(PolicyPeriod(time(m // 60, m % 60), draw(prices), draw(prices)) for m in [0, *minutes])
    occupancy = draw(st.none() | st.integers(0, 2000).map(lambda n: Decimal(n).scaleb(-2)))
    # The step only counts with an occupancy price; without one the round trip gives the default back.
    step = draw(st.sampled_from([0, 1, 60, 300, 900])) if occupancy is not None else 60
    return BusinessPolicy(periods=periods, occupancy_price_per_hour=occupancy, occupancy_step_s=step)


@given(policies())
def test_policy_to_tariff_to_policy_is_the_identity(of: BusinessPolicy) -> None:
    tariff = tou_tariff(of)
    validate_tariff(tariff)
    assert len(tariff.elements) == len(of.periods) + (of.occupancy_price_per_hour is not None)
    assert policy_from_tariff(tariff) == of


hh_mm = st.integers(0, 1439).map(lambda m: f"{m // 60:02}:{m % 60:02}")


@st.composite
def time_window_tariffs(draw: st.DrawFn) -> Tariff:
    windows = draw(
        st.lists(st.tuples(st.none() | hh_mm, st.none() | hh_mm), min_size=1, max_size=6, unique=True)
    )
    elements = []
    for start, end in windows:
        if start is not None and start == end:
            continue
        price = draw(prices)
        service = draw(st.none() | st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-4)))
        service = None if service is None else min(price, service)
        component = PriceComponent(type=ENERGY, price=price, service_price=service)
        restrictions = {k: v for k, v in (("start_time", start), ("end_time", end)) if v is not None}
        elements.append(TariffElement(price_components=(component,), restrictions=restrictions or None))
    if draw(st.booleans()):
        elements.append(element(PriceComponent(type=PARKING, price=draw(prices), step_size=60)))
    assume_elements = elements or [element(energy("1"))]
    return a_tariff(*assume_elements)


def _minute_prices(tariff: Tariff) -> list[tuple[Decimal, Decimal]]:
    """(price, service) per minute of the day, read straight from the tariff (TA-07, TA-08)."""
    result = []
    for minute in range(1440):
        chosen = (Decimal(0), Decimal(0))
        for e in tariff.elements:
            components = [c for c in e.price_components if c.type is ENERGY]
            window = e.restrictions or {}
            start = _hhmm(window.get("start_time", "00:00"))
            end = _hhmm(window.get("end_time", "00:00")) or 1440
            inside = start <= minute < end if start < end else not end <= minute < start
            if components and inside:
                chosen = (components[0].price, components[0].service_price or Decimal(0))
                break
        result.append(chosen)
    return result


def _hhmm(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


@given(time_window_tariffs())
def test_a_tariffs_policy_charges_the_same_price_and_service_part_every_minute(tariff: Tariff) -> None:
    of = policy_from_tariff(tariff)
    assert _minute_prices(tou_tariff(of)) == _minute_prices(tariff)


# ------------------------------------------------------------------------------------------- order money


def line(dimension: CostDimension, price: str, billed: str, amount: str, **overrides: Any) -> CostLine:
    values: dict[str, Any] = {
        "dimension": dimension,
        "element": 0,
        "price": Decimal(price),
        "start": beijing(1, 10),
        "end": beijing(1, 11),
        "consumed": Decimal(billed),
        "billed": Decimal(billed),
        "amount_excl_vat": Decimal(amount),
    }
    values.update(overrides)
    return CostLine(**values)


def cost(*lines: CostLine, **overrides: Any) -> CdrCost:
    values: dict[str, Any] = {
        "currency": "CNY",
        "total_excl_vat": sum((x.amount_excl_vat for x in lines), Decimal(0)),
        "lines": lines,
    }
    values.update(overrides)
    return CdrCost(**values)


def test_order_money_splits_each_energy_line_and_puts_occupancy_in_the_service_money() -> None:
    order = order_money(
        cost(
            line(CostDimension.ENERGY, "1.22", "6.1725", "7.53", service_price=Decimal("0.60"),
                 start=beijing(1, 9, 30), end=beijing(1, 10)),
            line(CostDimension.PARKING_TIME, "6.00", "0.5", "3.00",
                 start=beijing(1, 11, 30), end=beijing(1, 11, 52)),
            line(CostDimension.ENERGY, "1.20", "1", "1.20", start=beijing(1, 10), end=beijing(1, 11, 30)),
        )
    )  # fmt: skip
    first, second = order.details
    # 6.1725 kWh × 0.62 = 3.82695 → 3.83 electricity; the line's 7.53 less that is service.
    assert (first.elec_price, first.service_price, first.elec_money, first.service_money) == (
        Decimal("0.62"), Decimal("0.60"), Decimal("3.83"), Decimal("3.70"),
    )  # fmt: skip
    assert first.start == beijing(1, 9, 30)
    assert first.start.tzinfo is UTC
    # No service_price: all of it is electricity.
    assert (second.elec_price, second.service_price, second.elec_money, second.service_money) == (
        Decimal("1.20"), Decimal(0), Decimal("1.20"), Decimal("0.00"),
    )  # fmt: skip
    assert order.occupancy_money == Decimal("3.00")
    assert (order.elec_money, order.service_money, order.total_money) == (
        Decimal("5.03"), Decimal("6.70"), Decimal("11.73"),
    )  # fmt: skip
    assert order.total_power_kwh == Decimal("7.1725")


def test_zero_money_in_other_dimensions_is_no_obstacle() -> None:
    order = order_money(
        cost(line(CostDimension.TIME, "0", "1", "0.00"), line(CostDimension.ENERGY, "1", "2", "2.00"))
    )
    assert order.total_money == Decimal("2.00")
    assert len(order.details) == 1


@pytest.mark.parametrize(
    ("field", "problem", "priced"),
    [
        ("cost.lines[0].dimension", "FLAT money has no place",
         cost(line(CostDimension.FLAT, "2", "1", "2.00"))),
        ("cost.lines[1].dimension", "TIME money", cost(line(CostDimension.ENERGY, "1", "1", "1.00"),
                                                       line(CostDimension.TIME, "1", "1", "1.00"))),
        ("cost.clamped", "a total set by min_price", cost(line(CostDimension.ENERGY, "1", "1", "1.00"),
                                                          total_excl_vat=Decimal(5), clamped="min_price")),
        ("cost.currency", "EUR is not the order currency CNY",
         cost(line(CostDimension.ENERGY, "1", "1", "1.00"), currency="EUR")),
        ("cost.lines[0].amount_excl_vat", "not rounded",
         cost(line(CostDimension.ENERGY, "1", "1.005", "1.005"))),
    ],
)  # fmt: skip
def test_order_money_refuses_what_an_order_cannot_carry(field: str, problem: str, priced: CdrCost) -> None:
    rejects(field, problem, lambda: order_money(priced))


# ------------------------------------------------------------------------------------------- with the engine


def test_a_two_hour_charge_across_the_peak_boundary_by_hand() -> None:
    """09:30–11:30 Beijing, 12.345 kWh in the first hour and 10 kWh in the second, then 22 minutes parked.
    Flat 07–10 (0.62 + 0.60), peak 10–15 (1.05 + 0.80), occupancy 6.00/h in steps of 15 minutes."""
    periods = [
        charging(beijing(1, 9, 30), "12.345"),
        charging(beijing(1, 10, 30), "10.000"),
        parked(beijing(1, 11, 30), Decimal(22) / 60),
    ]
    priced = TariffEngine().price_periods(
        tou_tariff(PEAK_VALLEY),
        periods,
        start=beijing(1, 9, 30),
        end=beijing(1, 11, 52),
        time_zone="Asia/Shanghai",
    )
    # flat: 6.1725 kWh × 1.22 = 7.53045 → 7.53; peak: 16.1725 kWh × 1.85 = 29.919125 → 29.92;
    # occupancy: 22 min → 30 min × 6.00/h = 3.00.
    assert priced.cost.total_excl_vat == Decimal("40.45")
    assert priced.cost.total_incl_vat is None
    order = order_money(priced.cost)
    assert [(d.start, d.end, d.power_kwh, d.elec_money, d.service_money) for d in order.details] == [
        (beijing(1, 9, 30), beijing(1, 10), Decimal("6.1725"), Decimal("3.83"), Decimal("3.70")),  # 3.82695
        (
            beijing(1, 10),
            beijing(1, 11, 30),
            Decimal("16.1725"),
            Decimal("16.98"),
            Decimal("12.94"),
        ),  # 16.981125
    ]
    assert order.occupancy_money == Decimal("3.00")
    assert (order.elec_money, order.service_money, order.total_money) == (
        Decimal("20.81"), Decimal("19.64"), Decimal("40.45"),
    )  # fmt: skip


def test_a_night_charge_has_a_detail_on_each_side_of_midnight() -> None:
    """22:30–01:30, 30 kWh evenly: 5 kWh flat (1.22), 10 kWh valley before and 15 kWh valley after midnight
    (0.71): the last and first policy periods stay apart, as in the policy."""
    priced = TariffEngine().price_periods(
        tou_tariff(PEAK_VALLEY), [charging(beijing(1, 22, 30), "30")], start=beijing(1, 22, 30),
        end=beijing(2, 1, 30), time_zone="Asia/Shanghai",
    )  # fmt: skip
    order = order_money(priced.cost)
    assert [(d.start, d.power_kwh, d.elec_money, d.service_money) for d in order.details] == [
        (beijing(1, 22, 30), Decimal(5), Decimal("3.10"), Decimal("3.00")),
        (beijing(1, 23), Decimal(10), Decimal("3.10"), Decimal("4.00")),
        (beijing(2, 0), Decimal(15), Decimal("4.65"), Decimal("6.00")),
    ]
    assert order.total_money == priced.cost.total_excl_vat == Decimal("23.85")


# ------------------------------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Charge:
    """A session: charging periods (seconds, Wh) from `start`, then parking periods (seconds)."""

    start: datetime
    charging: tuple[tuple[int, int], ...]
    parking: tuple[int, ...]

    def periods(self) -> list[ChargingPeriod]:
        result, moment = [], self.start
        for seconds, wh in self.charging:
            dimensions = (
                Dimension(type=DimensionType.ENERGY, volume=Decimal(wh).scaleb(-3)),
                Dimension(type=DimensionType.TIME, volume=Decimal(seconds) / 3600),
            )
            result.append(ChargingPeriod(start_date_time=moment, dimensions=dimensions))
            moment += timedelta(seconds=seconds)
        for seconds in self.parking:
            result.append(parked(moment, Decimal(seconds) / 3600))  # multiples of 36 s: exact hours
            moment += timedelta(seconds=seconds)
        return result

    @property
    def charging_end(self) -> datetime:
        return self.start + timedelta(seconds=sum(s for s, _ in self.charging))

    @property
    def end(self) -> datetime:
        return self.charging_end + timedelta(seconds=sum(self.parking))


def half_up(amount: Fraction) -> Decimal:
    return Decimal(math.floor(amount * 100 + Fraction(1, 2))).scaleb(-2)


def oracle_runs(of: BusinessPolicy, charge: Charge) -> list[tuple[int, Fraction]]:
    """(policy period, exact kWh) per run of charging inside one policy period: every charging period split
    at the policy's boundaries in Beijing time, energy linear in time; time without energy joins no run."""
    starts = [p.start.hour * 3600 + p.start.minute * 60 + p.start.second for p in of.periods]
    runs: list[tuple[int, Fraction]] = []
    moment = charge.start
    for seconds, wh in charge.charging:
        end = moment + timedelta(seconds=seconds)
        while moment < end:
            local = moment.astimezone(BEIJING)
            second = local.hour * 3600 + local.minute * 60 + local.second
            slot = bisect_right(starts, second) - 1
            upto = starts[slot + 1] if slot + 1 < len(starts) else 86_400
            piece_end = min(end, moment + timedelta(seconds=upto - second))
            share = Fraction(wh, 1000) * int((piece_end - moment).total_seconds()) / seconds
            if share and runs and runs[-1][0] == slot:
                runs[-1] = (slot, runs[-1][1] + share)
            elif share:
                runs.append((slot, share))
            moment = piece_end
    return runs


def oracle_occupancy(of: BusinessPolicy, charge: Charge) -> Decimal:
    if of.occupancy_price_per_hour is None or not charge.parking:
        return Decimal(0)
    seconds, step = sum(charge.parking), of.occupancy_step_s
    billed = math.ceil(seconds / step) * step if step else seconds
    return half_up(Fraction(billed, 3600) * Fraction(of.occupancy_price_per_hour))


def near_a_half_cent(amount: Fraction, kwh: Fraction) -> bool:
    """The engine keeps split energy to 1 mWh (0.000001 kWh): an amount within that (× at most 10 元/kWh)
    of a half cent may round either way, unless the energy needed no cutting."""
    if (kwh * 1_000_000).denominator == 1:
        return False
    return abs(amount * 100 - math.floor(amount * 100) - Fraction(1, 2)) < Fraction(1, 500)


@st.composite
def charges(draw: st.DrawFn, of: BusinessPolicy, whole_minutes: bool = False) -> Charge:
    """Charging from near a price change or anywhere, 1–8 periods of up to 4 h, then maybe parking. With
    `whole_minutes`, every period starts on a minute with a whole number of Wh per minute, so energy split
    at minute boundaries stays exact."""
    unit = 60 if whole_minutes else 1
    day = draw(st.integers(0, 400))
    boundaries = [p.start.hour * 3600 + p.start.minute * 60 + p.start.second for p in of.periods]
    if draw(st.booleans()):  # start close to a price change or midnight
        second = (draw(st.sampled_from(boundaries)) + draw(st.integers(-15, 15)) * 60 // unit * unit) % 86_400
    else:
        second = draw(st.integers(0, 86_399 // unit)) * unit
    start = (datetime(2024, 1, 1, tzinfo=BEIJING) + timedelta(days=day, seconds=second)).astimezone(UTC)
    durations = draw(
        st.lists(st.integers(1, 4 * 3600 // unit).map(lambda n: n * unit), min_size=1, max_size=8)
    )
    # Up to 144 kW on average; whole Wh per period (per minute with `whole_minutes`), sometimes none.
    if whole_minutes:
        energies = [draw(st.integers(0, 2400)) * (seconds // 60) for seconds in durations]
    else:
        energies = [draw(st.just(0) | st.integers(1, max(1, seconds * 40))) for seconds in durations]
    parking = draw(st.lists(st.integers(1, 200).map(lambda n: n * 36), max_size=2))
    return Charge(start, tuple(zip(durations, energies, strict=True)), tuple(parking))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), policies())
def test_the_engine_prices_a_policy_tariff_as_the_policy_and_the_order_adds_up_to_the_cdr(
    data: st.DataObject, of: BusinessPolicy
) -> None:
    charge = data.draw(charges(of))
    runs = oracle_runs(of, charge)
    amounts = [kwh * Fraction(of.periods[s].elec_price + of.periods[s].service_price) for s, kwh in runs]
    assume(not any(near_a_half_cent(a, kwh) for a, (_, kwh) in zip(amounts, runs, strict=True)))
    occupancy = oracle_occupancy(of, charge)
    expected = sum((half_up(a) for a in amounts), Decimal(0)) + occupancy

    priced = TariffEngine().price_periods(
        tou_tariff(of), charge.periods(), start=charge.start, end=charge.end, time_zone="Asia/Shanghai"
    )
    total_wh = sum(wh for _, wh in charge.charging)
    energy_lines = [x for x in priced.cost.lines if x.dimension is CostDimension.ENERGY]
    assert sum((x.billed for x in energy_lines), Decimal(0)) == Decimal(total_wh).scaleb(-3), "billed energy"
    assert priced.cost.total_excl_vat == expected

    order = order_money(priced.cost)
    assert order.total_money == priced.cost.total_excl_vat
    assert order.elec_money + order.service_money == order.total_money
    assert order.occupancy_money == occupancy
    assert order.total_power_kwh == Decimal(total_wh).scaleb(-3)
    details = order.details
    # One detail per run of one policy period (the lines map 1:1 to periods), in time order.
    assert [(d.elec_price, d.service_price) for d in details] == [
        (of.periods[s].elec_price, of.periods[s].service_price) for s, _ in runs
    ]
    for energy_line, (_, kwh) in zip(sorted(energy_lines, key=lambda x: x.start), runs, strict=True):
        assert abs(Fraction(energy_line.consumed) - kwh) <= Fraction(1, 1_000_000)  # 1 mWh resolution
    for detail in details:
        assert detail.elec_money == half_up(Fraction(detail.power_kwh) * Fraction(detail.elec_price))
        assert detail.service_money >= 0
    assert all(a.end <= b.start for a, b in pairwise(details))
    if all(wh for _, wh in charge.charging):  # no idle period: the details cover the charging exactly
        assert details[0].start == charge.start
        assert details[-1].end == charge.charging_end
        assert all(a.end == b.start for a, b in pairwise(details))


def test_energy_split_over_three_periods_is_billed_as_metered() -> None:
    """One period 01:55–10:55 Beijing, 23.270 kWh: valley 13.1432407…, flat 7.7566666…, peak 2.3700925… kWh.
    Each split is kept to 1 mWh and all three round up (…241, …667, …093 = 23.270001), so a step_size of
    1 Wh on that sum would bill 23.271 kWh and 23.18 instead of 9.33 + 9.46 + 4.38 = 23.17."""
    priced = TariffEngine().price_periods(
        tou_tariff(PEAK_VALLEY), [charging(beijing(1, 1, 55), "23.270")], start=beijing(1, 1, 55),
        end=beijing(1, 10, 55), time_zone="Asia/Shanghai",
    )  # fmt: skip
    order = order_money(priced.cost)
    assert order.total_power_kwh == Decimal("23.270")
    assert [d.elec_money + d.service_money for d in order.details] == [
        Decimal("9.33"), Decimal("9.46"), Decimal("4.38"),
    ]  # fmt: skip
    assert priced.cost.total_excl_vat == Decimal("23.17")


@settings(max_examples=100, deadline=None)
@given(st.data(), time_window_tariffs())
def test_a_tariff_and_its_policy_price_the_same_sessions_alike(data: st.DataObject, tariff: Tariff) -> None:
    """Totals rounded once (lines differ: a window across midnight is one line, two policy periods)."""
    of = policy_from_tariff(tariff)
    charge = data.draw(charges(of, whole_minutes=True))
    engine = TariffEngine(policy=RoundingPolicy(scope="total"))

    def total(priced_by: Tariff) -> Decimal:
        return engine.price_periods(
            priced_by, charge.periods(), start=charge.start, end=charge.end, time_zone="Asia/Shanghai"
        ).cost.total_excl_vat

    assert total(tariff) == total(tou_tariff(of))
