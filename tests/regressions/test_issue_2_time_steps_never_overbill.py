"""Issue 2: charging time was summed from per-reading hours rounded to 1e-10 h, so exactly two hours in three
40-minute readings became 2.0000000001 h and a per-quarter-hour TIME price billed a ninth quarter.
The tariff engine snaps each line's seconds to whole milliseconds before rounding up to a step."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import (
    ChargingPeriod,
    Dimension,
    DimensionType,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.pricing import TariffEngine
from tests.unit.core_kit import T0, a_tariff

QUANTUM = Decimal("1e-10")


def per_period_hours(delta: timedelta) -> Decimal:
    """How metering stores one period's hours."""
    micro = Decimal(delta // timedelta(microseconds=1))
    return (micro / Decimal(3_600_000_000)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def charging(parts_ms: list[int]) -> list[ChargingPeriod]:
    periods, moment = [], T0
    for ms in parts_ms:
        hours = per_period_hours(timedelta(milliseconds=ms))
        periods.append(
            ChargingPeriod(
                start_date_time=moment,
                dimensions=(
                    Dimension(type=DimensionType.ENERGY, volume=Decimal(1)),
                    Dimension(type=DimensionType.TIME, volume=hours),
                ),
            )
        )
        moment += timedelta(milliseconds=ms)
    return periods


def time_tariff(step: int) -> Tariff:
    component = PriceComponent(type=PriceComponentType.TIME, price=Decimal("1.00"), step_size=step)
    return a_tariff(elements=(TariffElement(price_components=(component,)),))


def billed_hours(parts_ms: list[int], step: int) -> Decimal:
    periods = charging(parts_ms)
    end = T0 + timedelta(milliseconds=sum(parts_ms))
    priced = TariffEngine().price_periods(time_tariff(step), periods, start=T0, end=end, time_zone="UTC")
    return sum((line.billed for line in priced.cost.lines), Decimal(0))


def test_three_forty_minute_periods_bill_exactly_two_hours() -> None:
    total = sum((per_period_hours(timedelta(minutes=40)) for _ in range(3)), Decimal(0))
    assert total != Decimal(2)  # the drift this guards against

    assert billed_hours([40 * 60_000] * 3, step=900) == Decimal(2)


@given(parts=st.lists(st.integers(min_value=1, max_value=6 * 3600 * 1000), min_size=1, max_size=30))
def test_summed_periods_bill_the_exact_duration_rounded_up_to_a_second(parts: list[int]) -> None:
    """Any split of a duration (whole milliseconds) into periods bills the duration itself, rounded up to
    the one-second step, never a step more."""
    exact_seconds = Decimal(sum(parts)) / 1000
    expected = Decimal(math.ceil(exact_seconds))

    assert (billed_hours(parts, step=1) * 3600).quantize(Decimal("0.001")) == expected
