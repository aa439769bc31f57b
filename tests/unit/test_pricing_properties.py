"""Hypothesis properties of the tariff engine (issue 6 "Done when"): cost never negative, monotone in energy
and time, step rounding never bills less than used, min/max respected, splitting a period where no
restriction changes keeps the total, first-match element selection (TA-07), totals = sum of lines.

Restriction boundaries are whole minutes (local time of day, elapsed time) and sessions start on a whole
local minute in zones with whole-hour offsets, so an instant 30 s past a minute is never a cut. OCPI bills
a dimension's step_size surplus at its last line's price, so more energy or time that moves (part of) the
last line to a cheaper element may cost less; the monotonicity properties therefore grow only a final
period that lies inside one minute, or use step_size 0.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hub.core.models import (
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    PriceComponentType,
    Tariff,
)
from hub.core.pricing import DEFAULT_ROUNDING
from tests.unit.pricing_kit import (
    EXACT,
    ZERO_STEPS,
    Timeline,
    first_match,
    hours,
    price,
    sessions,
    tariffs,
)

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ZERO = Decimal(0)
CENT = Decimal("0.01")
FEES = (CostDimension.FLAT, CostDimension.RESERVATION_FLAT)


def line_sum(cost: CdrCost) -> Decimal:
    return sum((line.amount_excl_vat for line in cost.lines), ZERO)


def grown(session: Timeline, *, kwh: Decimal = ZERO, seconds: int = 0) -> Timeline:
    """The session with `kwh` more in its last period, or that period `seconds` longer at the same power."""
    last = session.periods[-1]
    length = (session.end - last.start_date_time).total_seconds()
    dims = []
    for d in last.dimensions:
        volume = d.volume
        if d.type is DimensionType.ENERGY:
            volume = (volume + kwh) * Decimal(length + seconds) / Decimal(length)
        elif d.type in (DimensionType.TIME, DimensionType.PARKING_TIME):
            volume = hours(Decimal(str(length + seconds)))
        dims.append(Dimension(type=d.type, volume=volume))
    periods = [*session.periods[:-1], last.model_copy(update={"dimensions": tuple(dims)})]
    return Timeline(session.start, session.zone, periods, session.end + timedelta(seconds=seconds))


def is_charging(period: ChargingPeriod) -> bool:
    return any(d.type is DimensionType.TIME for d in period.dimensions)


# ---------------------------------------------------------------------------------------------- sign, sums


@PROPERTY
@given(tariff=tariffs(), session=sessions(power=True))
def test_cost_is_never_negative_and_totals_are_their_lines(tariff: Tariff, session: Timeline) -> None:
    cost = price(tariff, session).cost
    assert cost.total_excl_vat >= 0
    assert all(line.amount_excl_vat >= 0 and (line.amount_incl_vat or ZERO) >= 0 for line in cost.lines)
    for line in cost.lines:
        exact = line.price if line.dimension in FEES else line.billed * line.price
        assert line.amount_excl_vat == DEFAULT_ROUNDING.round(exact, "EUR")
        if line.vat is None:
            assert line.amount_incl_vat is None
        else:
            assert line.amount_incl_vat == line.amount_excl_vat * (1 + line.vat / 100)
    by_group = {"fixed": ZERO, "energy": ZERO, "time": ZERO, "parking": ZERO, "reservation": ZERO}
    group = {
        CostDimension.FLAT: "fixed",
        CostDimension.ENERGY: "energy",
        CostDimension.TIME: "time",
        CostDimension.PARKING_TIME: "parking",
        CostDimension.RESERVATION_FLAT: "reservation",
        CostDimension.RESERVATION_TIME: "reservation",
    }
    for line in cost.lines:
        by_group[group[line.dimension]] += line.amount_excl_vat
    for name, amount in by_group.items():
        assert getattr(cost, f"{name}_excl_vat") == amount
    if cost.clamped is None:
        assert cost.total_excl_vat == line_sum(cost)
    with_vat = [line for line in cost.lines if line.vat is not None]
    if not with_vat:
        assert cost.total_incl_vat is None
    else:
        incl = sum((line.amount_incl_vat or line.amount_excl_vat for line in cost.lines), ZERO)
        assert cost.total_incl_vat is not None
        if cost.clamped is None:
            assert cost.total_incl_vat == DEFAULT_ROUNDING.round(incl, "EUR")
        assert cost.total_incl_vat >= cost.total_excl_vat  # every vat >= 0


@PROPERTY
@given(tariff=tariffs(), session=sessions(power=True))
def test_min_and_max_price_are_respected(tariff: Tariff, session: Timeline) -> None:
    cost = price(tariff, session).cost
    # Bounds with more decimals than the currency are compared rounded: the engine rounds the clamped total.
    if tariff.min_price_excl_vat is not None:
        assert cost.total_excl_vat >= DEFAULT_ROUNDING.round(tariff.min_price_excl_vat, "EUR")
    if tariff.max_price_excl_vat is not None:
        assert cost.total_excl_vat <= DEFAULT_ROUNDING.round(tariff.max_price_excl_vat, "EUR")
    if cost.total_incl_vat is not None:
        if tariff.min_price_incl_vat is not None:
            assert cost.total_incl_vat >= DEFAULT_ROUNDING.round(tariff.min_price_incl_vat, "EUR")
        if tariff.max_price_incl_vat is not None:
            assert cost.total_incl_vat <= DEFAULT_ROUNDING.round(tariff.max_price_incl_vat, "EUR")
    unclamped = line_sum(cost)
    if cost.total_excl_vat != unclamped:
        assert cost.clamped in ("min_price", "max_price")


# ---------------------------------------------------------------------------------------------- step_size


def rounded_groups(lines: tuple[CostLine, ...]) -> list[list[CostLine]]:
    """TA-10/TA-11: ENERGY; reservation time; parking time if priced, else charging time."""
    pick = [[line for line in lines if line.dimension is d] for d in CostDimension]
    named = dict(zip(CostDimension, pick, strict=True))
    time_group = named[CostDimension.PARKING_TIME] or named[CostDimension.TIME]
    return [named[CostDimension.ENERGY], named[CostDimension.RESERVATION_TIME], time_group]


@PROPERTY
@given(tariff=tariffs(), session=sessions(power=True))
def test_step_rounding_never_bills_less_than_consumed(tariff: Tariff, session: Timeline) -> None:
    cost = price(tariff, session).cost
    rounded: set[int] = set()
    for group in rounded_groups(cost.lines):
        if not group:
            continue
        rounded.update(id(line) for line in group)
        last = group[-1]
        unit = Decimal(1000) if last.dimension is CostDimension.ENERGY else Decimal(3600)  # Wh or s
        consumed = sum((line.consumed for line in group), ZERO) * unit
        billed = sum((line.billed for line in group), ZERO) * unit
        kind = last.dimension.value.removeprefix("RESERVATION_")  # reservation time is a TIME component
        step_size = next(
            c.step_size for c in tariff.elements[last.element].price_components if c.type == kind
        )
        assert billed.quantize(Decimal("0.001")) >= consumed.quantize(Decimal("0.001"))
        if step_size > 0:
            assert billed - consumed < step_size + Decimal("0.001")
            assert (billed.quantize(Decimal("0.001")) % step_size) == 0
        for line in group[:-1]:
            assert line.billed == line.consumed  # the surplus goes on the last line only
    for line in cost.lines:
        assert line.billed >= line.consumed
        if id(line) not in rounded and line.dimension not in FEES:
            assert line.billed == line.consumed  # charging time before parking is not rounded (TA-11)
    exact = sum(
        (line.price if line.dimension in FEES else line.consumed * line.price for line in cost.lines), ZERO
    )
    if cost.clamped != "max_price":
        assert cost.total_excl_vat >= exact - Decimal("0.005") * len(cost.lines)


# ---------------------------------------------------------------------------------------------- monotone


@PROPERTY
@given(
    tariff=tariffs(dimensions=False, steps=ZERO_STEPS),
    session=sessions(),
    more=st.integers(1, 20_000).map(lambda wh: Decimal(wh) / 1000),
)
def test_more_energy_never_costs_less_without_step_size(
    tariff: Tariff, session: Timeline, more: Decimal
) -> None:
    assume(is_charging(session.periods[-1]))
    before = price(tariff, session, policy=EXACT).cost
    after = price(tariff, grown(session, kwh=more), policy=EXACT).cost
    assert after.total_excl_vat >= before.total_excl_vat
    if after.clamped is None:  # a clamp without an incl. bound scales incl. by the excl. ratio (see README)
        assert (after.total_incl_vat or ZERO) >= (before.total_incl_vat or ZERO)


@PROPERTY
@given(
    tariff=tariffs(dimensions=False),
    session=sessions(tail_seconds=30),
    more=st.integers(1, 20_000).map(lambda wh: Decimal(wh) / 1000),
)
def test_more_energy_in_the_last_period_never_costs_less(
    tariff: Tariff, session: Timeline, more: Decimal
) -> None:
    assume(session.periods[-1].dimensions[0].volume > 0)  # a new last ENERGY line could be cheaper (see top)
    for policy in (EXACT, DEFAULT_ROUNDING):
        before = price(tariff, session, policy=policy).cost
        after = price(tariff, grown(session, kwh=more), policy=policy).cost
        assert after.total_excl_vat >= before.total_excl_vat


@PROPERTY
@given(tariff=tariffs(dimensions=False, steps=ZERO_STEPS), session=sessions(), more=st.integers(1, 7200))
def test_a_longer_last_period_never_costs_less_without_step_size(
    tariff: Tariff, session: Timeline, more: int
) -> None:
    before = price(tariff, session, policy=EXACT).cost
    after = price(tariff, grown(session, seconds=more), policy=EXACT).cost
    assert after.total_excl_vat >= before.total_excl_vat


@PROPERTY
@given(tariff=tariffs(dimensions=False), session=sessions(tail_seconds=30), more=st.integers(1, 29))
def test_a_longer_last_period_never_costs_less(tariff: Tariff, session: Timeline, more: int) -> None:
    assume(session.periods[-1].dimensions[0].volume > 0)
    for policy in (EXACT, DEFAULT_ROUNDING):
        before = price(tariff, session, policy=policy).cost
        after = price(tariff, grown(session, seconds=more), policy=policy).cost
        assert after.total_excl_vat >= before.total_excl_vat


# ---------------------------------------------------------------------------------------------- splitting


@PROPERTY
@given(tariff=tariffs(price_bounds=False), session=sessions(power=True), data=st.data())
def test_splitting_a_period_where_nothing_changes_keeps_the_total(
    tariff: Tariff, session: Timeline, data: st.DataObject
) -> None:
    """Split at a whole minute + 30 s (never a cut); energy and time divided in proportion (TA-08's linear
    energy), MAX_CURRENT/MAX_POWER copied, so current and power restrictions read the same values."""
    starts = [p.start_date_time for p in session.periods] + [session.end]
    index = data.draw(st.integers(0, len(session.periods) - 1))
    length = int((starts[index + 1] - starts[index]).total_seconds())
    assume(length >= 120)
    offset = data.draw(st.integers(0, length // 60 - 1)) * 60 + 30
    share = Decimal(offset) / Decimal(length)
    first, second = [], []
    for d in session.periods[index].dimensions:
        if d.type in (DimensionType.ENERGY, DimensionType.TIME, DimensionType.PARKING_TIME):
            part = d.volume * share
            first.append(Dimension(type=d.type, volume=part))
            second.append(Dimension(type=d.type, volume=d.volume - part))
        else:
            first.append(d)
            second.append(d)
    split = [
        *session.periods[:index],
        ChargingPeriod(start_date_time=starts[index], dimensions=tuple(first)),
        ChargingPeriod(start_date_time=starts[index] + timedelta(seconds=offset), dimensions=tuple(second)),
        *session.periods[index + 1 :],
    ]
    whole = price(tariff, session, policy=EXACT).cost
    parts = price(tariff, session, policy=EXACT, periods=split).cost
    assert parts.total_excl_vat == whole.total_excl_vat
    assert parts.total_incl_vat == whole.total_incl_vat
    assert [(line.dimension, line.element) for line in parts.lines] == [
        (line.dimension, line.element) for line in whole.lines
    ]


# ---------------------------------------------------------------------------------------------- TA-07


@PROPERTY
@given(tariff=tariffs(price_bounds=False), session=sessions(power=True))
def test_each_dimension_is_priced_by_the_first_matching_element(tariff: Tariff, session: Timeline) -> None:
    """Every priced stretch of the returned (split) periods is billed by the first element, in list order,
    with a component of that dimension whose restrictions all hold at the stretch's start (TA-07)."""
    priced = price(tariff, session)
    lines = priced.cost.lines
    zone = ZoneInfo(session.zone)
    ends = [p.start_date_time for p in priced.periods[1:]] + [session.end]
    kwh = ZERO
    expected_fees: set[int] = set()
    for period, end in zip(priced.periods, ends, strict=True):
        volumes = {d.type: d.volume for d in period.dimensions}
        energy = volumes.get(DimensionType.ENERGY, ZERO)
        parked = volumes.get(DimensionType.PARKING_TIME, ZERO) > 0
        moment = {
            "local": period.start_date_time.astimezone(zone),
            "elapsed_s": (period.start_date_time - session.start).total_seconds(),
            "kwh": kwh,
            "current": ZERO if parked else volumes.get(DimensionType.MAX_CURRENT),
            "power": ZERO if parked else volumes.get(DimensionType.MAX_POWER),
        }
        kwh += energy
        fee = first_match(tariff, PriceComponentType.FLAT, False, **moment)
        if fee is not None:
            expected_fees.add(fee)
        if end <= period.start_date_time:
            continue
        checks = (
            [(CostDimension.PARKING_TIME, PriceComponentType.PARKING_TIME, True)]
            if parked
            else [
                (CostDimension.ENERGY, PriceComponentType.ENERGY, energy > 0),
                (CostDimension.TIME, PriceComponentType.TIME, True),
            ]
        )
        for dimension, kind, used in checks:
            if not used:
                continue
            expected = first_match(tariff, kind, False, **moment)
            covering = [
                line.element
                for line in lines
                if line.dimension is dimension and line.start <= period.start_date_time < line.end
            ]
            assert covering == ([] if expected is None else [expected]), (dimension, period.start_date_time)
    assert {line.element for line in lines if line.dimension is CostDimension.FLAT} == expected_fees
