"""Issue 2: charging time was summed from per-reading hours rounded to 1e-10 h, so exactly two hours in three
40-minute readings became 2.0000000001 h and a per-quarter-hour TIME price billed a ninth quarter.
The pricing engine now snaps summed hours to whole milliseconds before rounding up to a step."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from hub.core.pricing import snap_hours

QUANTUM = Decimal("1e-10")


def per_period_hours(delta: timedelta) -> Decimal:
    """How metering stores one period's hours."""
    micro = Decimal(delta // timedelta(microseconds=1))
    return (micro / Decimal(3_600_000_000)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def test_three_forty_minute_periods_are_exactly_two_hours() -> None:
    total = sum((per_period_hours(timedelta(minutes=40)) for _ in range(3)), Decimal(0))

    assert total != Decimal(2)  # the drift this guards against
    assert snap_hours(total) == Decimal(2)


@given(
    parts=st.lists(st.integers(min_value=1, max_value=6 * 3600 * 1000), min_size=1, max_size=50),
)
def test_summed_periods_snap_to_the_exact_total(parts: list[int]) -> None:
    """Any split of a duration (whole milliseconds) into periods sums back to the duration itself."""
    total = sum((per_period_hours(timedelta(milliseconds=ms)) for ms in parts), Decimal(0))
    exact_seconds = Decimal(sum(parts)) / 1000

    assert snap_hours(total) == (exact_seconds / 3600).quantize(QUANTUM, rounding=ROUND_HALF_UP)
