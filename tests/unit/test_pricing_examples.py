"""The worked examples of OCPI 2.2.1 mod_tariffs.asciidoc (spec notes §16 table) as test vectors for the
tariff engine: tariffs rebuilt from the published example values, sessions as charging periods at local
times in Europe/Berlin (the examples are German tariffs), exact Decimal totals excl. and incl. VAT.

Left out on purpose (§23 ER-05): tariff_4's Saturday row (#579) and tariff_14 #3's pre-errata 0.80 (#546).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from hub.core.models import CostDimension, Tariff
from hub.core.pricing import DEFAULT_ROUNDING, RoundingPolicy
from tests.unit.pricing_kit import (
    Timeline,
    a_tariff,
    element,
    energy,
    flat,
    parking,
    price,
    starting,
    time,
)

# ---------------------------------------------------------------------------------------------- tariffs
# Values from examples/tariff_*.json (tag v2.2.1-d2); alt texts, URLs and party fields left out.

WORKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
TARIFF_1 = a_tariff(time("2.00", 10, 60))
TARIFF_2 = a_tariff(time("1.90", "5.2", 300), type="AD_HOC_PAYMENT")
TARIFF_3 = a_tariff(element(flat("0.50", 20), energy("0.25", 10, 100)), type="PROFILE_CHEAP")
TARIFF_4 = a_tariff(
    flat("2.50", 15),
    element(time("1.00", 20, 900), max_current=32),
    element(
        time("2.00", 20, 600),
        min_current=32,
        day_of_week=WORKDAYS,
    ),
    element(time("1.25", 20, 600), min_current=32, day_of_week=["SATURDAY", "SUNDAY"]),
    element(
        parking("5.00", 10, 300),
        start_time="09:00",
        end_time="18:00",
        day_of_week=WORKDAYS,
    ),
    element(parking("6.00", 10, 300), start_time="10:00", end_time="17:00", day_of_week=["SATURDAY"]),
)
TARIFF_6 = a_tariff(
    element(flat("0.50", 20), energy("0.25", 10)),
    max_price_excl_vat=Decimal("10.00"),
    max_price_incl_vat=Decimal("11.00"),
    end_date_time=datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC),
)
TARIFF_8 = a_tariff(energy("0.25", 10))
TARIFF_9 = a_tariff(element(flat("0.50", 20), energy("0.25", 10)))
TARIFF_10 = a_tariff(element(flat("0.50", 20), energy("0.25", 10), parking("2.00", 20, 900)))
TARIFF_12 = a_tariff(
    energy("0.25", 10), min_price_excl_vat=Decimal("0.50"), min_price_incl_vat=Decimal("0.55")
)
TARIFF_13 = a_tariff(element(time("3.00", 10, 60), parking("5.00", 20, 300)))
TARIFF_14 = a_tariff(
    element(time("1.20", step=1800), parking("1.00", step=900), start_time="00:00", end_time="17:00"),
    element(time("2.40", step=900), parking("1.00", step=900), start_time="17:00", end_time="20:00"),
    element(time("2.40", step=900), start_time="20:00", end_time="00:00"),
)
CHARGING = element(flat("0.50", 20), energy("0.25", 10))  # the charging part of tariffs 15-18
TARIFF_15 = a_tariff(element(time("5.00", 20, 60), reservation="RESERVATION"), CHARGING)
TARIFF_16 = a_tariff(element(flat("2.00", 20), time("5.00", 20, 300), reservation="RESERVATION"), CHARGING)
TARIFF_17 = a_tariff(
    element(flat("4.00", 20), reservation="RESERVATION_EXPIRES"),
    element(time("2.00", 20, 600), reservation="RESERVATION"),
    CHARGING,
)
TARIFF_18 = a_tariff(
    element(time("6.00", 20, 600), reservation="RESERVATION_EXPIRES"),
    element(time("3.00", 20, 600), reservation="RESERVATION"),
    CHARGING,
)


def energy_note(step: int) -> Tariff:
    """The PriceComponent step_size note: ENERGY at 0.25/kWh, no VAT."""
    return a_tariff(energy("0.25", step=step))


# ---------------------------------------------------------------------------------------------- sessions

MONDAY = "2026-01-05"


def minutes(hours: Decimal) -> Decimal:
    """Hours as minutes to the millisecond (hours of 8 minutes do not end in Decimal)."""
    return (hours * 60).quantize(Decimal("0.00001"))


def at(clock: str, day: str = MONDAY) -> Timeline:
    return starting(f"{day} {clock}")


@dataclass(frozen=True)
class Example:
    name: str
    tariff: Tariff
    session: Callable[[], Timeline]
    excl: str
    incl: str | None
    subtotals: dict[str, str] = field(default_factory=dict)  # CdrCost field prefix -> excl. VAT
    expired: bool | None = None
    policy: RoundingPolicy = DEFAULT_ROUNDING
    clamped: str | None = None


EXAMPLES = [
    Example("tariff_8_simple_025kwh", TARIFF_8, lambda: at("10:00").charge(60, "20"), "5.00", "5.50"),
    Example(
        "tariff_9_025kwh_start",
        TARIFF_9,
        lambda: at("10:00").charge(60, "20"),
        "5.50",
        "6.10",
        {"fixed": "0.50", "energy": "5.00"},
    ),
    Example(
        "tariff_12_025kwh_min_price 20 kWh", TARIFF_12, lambda: at("10:00").charge(60, "20"), "5.00", "5.50"
    ),
    Example(
        "tariff_12_025kwh_min_price under 2 kWh",
        TARIFF_12,
        lambda: at("10:00").charge(10, "1.5"),
        "0.50",
        "0.55",
        {"energy": "0.38"},
        clamped="min_price",
    ),
    Example(
        "tariff_10_025kwh_parking_start",
        TARIFF_10,
        lambda: at("10:00").charge(60, "20").park(40),
        "7.00",
        "7.90",
        {"fixed": "0.50", "energy": "5.00", "parking": "1.50"},
    ),
    Example(
        "tariff_6_025kwh_start_max_price 50 kWh",
        TARIFF_6,
        lambda: at("10:00", "2019-06-03").charge(180, "50"),
        "10.00",
        "11.00",
        {"fixed": "0.50", "energy": "12.50"},
        clamped="max_price",
    ),
    Example(
        "tariff_6_025kwh_start_max_price 30 kWh",
        TARIFF_6,
        lambda: at("10:00", "2019-06-03").charge(120, "30"),
        "8.00",
        "8.85",
    ),
    Example("tariff_1_simple_2hour", TARIFF_1, lambda: at("10:00").charge(150, "20"), "5.00", "5.50"),
    Example(
        "tariff_13_simple_3hour_5parking",
        TARIFF_13,
        lambda: at("10:00").charge(150, "30").park(42),
        "11.25",
        "12.75",
        {"time": "7.50", "parking": "3.75"},
    ),
    Example("tariff_2_alt_text", TARIFF_2, lambda: at("10:00").charge(150, "20"), "4.75", "5.00"),
    Example(
        "tariff_3_alt_url",
        TARIFF_3,
        lambda: at("10:00").charge(90, "20.45"),
        "5.63",
        "6.24",
        {"fixed": "0.50", "energy": "5.13"},
    ),
    Example(
        "tariff_4_complex Monday",
        TARIFF_4,
        lambda: at("09:30").charge(165, "30", max_current="16").park(42),
        "9.00",
        "10.30",
        {"fixed": "2.50", "time": "2.75", "parking": "3.75"},
    ),
    Example(
        "tariff_14_step_size #1",
        TARIFF_14,
        lambda: at("16:55").charge(10, "3").park(2),
        "0.55",
        None,
        {"time": "0.30", "parking": "0.25"},
    ),
    Example(
        "tariff_14_step_size #2",
        TARIFF_14,
        lambda: at("16:35").charge(35, "10"),
        "1.30",
        None,
        {"time": "1.30"},
    ),
    Example(
        "tariff_14_step_size #3 (errata)",
        TARIFF_14,
        lambda: at("19:40").charge(12, "4").park(20),
        "0.73",
        None,
        {"time": "0.48", "parking": "0.25"},
    ),
    Example(
        "tariff_15_reservation_5_euro_per_hour",
        TARIFF_15,
        lambda: at("10:00").reserve(15).charge(60, "20"),
        "6.75",
        "7.60",
        {"reservation": "1.25", "fixed": "0.50", "energy": "5.00"},
    ),
    Example(
        "tariff_16_reservation_2_euro_fee_5_euro_per_hour",
        TARIFF_16,
        lambda: at("10:00").reserve(13).charge(60, "20"),
        "8.75",
        "10.00",
        {"reservation": "3.25", "fixed": "0.50", "energy": "5.00"},
    ),
    Example(
        "tariff_17_reservation_with_expire_fee used",
        TARIFF_17,
        lambda: at("10:00").reserve(22).charge(60, "20"),
        "6.50",
        "7.30",
        {"reservation": "1.00", "fixed": "0.50", "energy": "5.00"},
    ),
    Example(
        "tariff_17_reservation_with_expire_fee expired",
        TARIFF_17,
        lambda: at("10:00").reserve(60),
        "6.00",
        "7.20",
        {"reservation": "6.00", "fixed": "0.00"},
    ),
    Example(
        "tariff_18_reservation_with_expire_time used",
        TARIFF_18,
        lambda: at("10:00").reserve(22).charge(60, "20"),
        "7.00",
        "7.90",
        {"reservation": "1.50"},
    ),
    Example(
        "tariff_18_reservation_with_expire_time expired",
        TARIFF_18,
        lambda: at("10:00").reserve(90),
        "9.00",
        "10.80",
        {"reservation": "9.00"},
    ),
    *(
        Example(
            f"PriceComponent note step_size {step}",
            energy_note(step),
            lambda: at("10:00").charge(1, "0.1152"),
            expected,
            None,
            policy=RoundingPolicy(scope="total", places=3),
        )
        for step, expected in ((1, "0.029"), (25, "0.031"), (500, "0.125"))
    ),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_worked_example_totals(example: Example) -> None:
    priced = price(example.tariff, example.session(), policy=example.policy, expired=example.expired)
    cost = priced.cost
    assert cost.currency == "EUR"
    assert cost.total_excl_vat == Decimal(example.excl)
    assert cost.total_incl_vat == (None if example.incl is None else Decimal(example.incl))
    for name, expected in example.subtotals.items():
        assert getattr(cost, f"{name}_excl_vat") == Decimal(expected), name
    assert cost.clamped == example.clamped
    unclamped = sum((line.amount_excl_vat for line in cost.lines), Decimal(0))
    if example.clamped is None:
        assert example.policy.round(unclamped, "EUR") == cost.total_excl_vat


def test_tariff_4_monday_breakdown_matches_the_spec_table() -> None:
    """Flat 2.50 (15 %), 165 min at 1.00/h (20 %), 45 of 42 parking minutes at 5.00/h (10 %): the incl.
    VAT lines 2.875 + 3.30 + 4.125 are summed before rounding (10.30, not 10.31)."""
    cost = price(TARIFF_4, at("09:30").charge(165, "30", max_current="16").park(42)).cost
    lines = {line.dimension: line for line in cost.lines}
    assert set(lines) == {CostDimension.FLAT, CostDimension.TIME, CostDimension.PARKING_TIME}
    assert (lines[CostDimension.FLAT].element, lines[CostDimension.TIME].element) == (0, 1)
    assert lines[CostDimension.TIME].billed == Decimal("2.75")
    assert lines[CostDimension.PARKING_TIME].consumed == Decimal("0.7")
    assert lines[CostDimension.PARKING_TIME].billed == Decimal("0.75")
    assert sorted(line.amount_incl_vat or Decimal(0) for line in cost.lines) == [
        Decimal("2.875"),
        Decimal("3.30"),
        Decimal("4.125"),
    ]
    assert cost.total_time_hours == Decimal("3.45")
    assert cost.total_parking_time_hours == Decimal("0.7")


def test_tariff_14_splits_charging_at_17_00_and_bills_the_surplus_on_the_last_line() -> None:
    """#2: 25 min at 1.20/h, then 10 consumed + 10 surplus minutes at 2.40/h (step 900 of the last line)."""
    priced = price(TARIFF_14, at("16:35").charge(35, "10"))
    time_lines = [line for line in priced.cost.lines if line.dimension is CostDimension.TIME]
    assert [(line.element, minutes(line.consumed), minutes(line.billed)) for line in time_lines] == [
        (0, Decimal(25), Decimal(25)),
        (1, Decimal(10), Decimal(20)),
    ]
    assert [p.start_date_time for p in priced.periods] == [at("16:35").start, at("17:00").start]


def test_tariff_14_parking_after_20_00_is_free_and_not_rounded() -> None:
    """#3 (errata, #546): only the 8 priced parking minutes count, rounded up to 15 on the 19:52-20:00
    line."""
    cost = price(TARIFF_14, at("19:40").charge(12, "4").park(20)).cost
    parking_lines = [line for line in cost.lines if line.dimension is CostDimension.PARKING_TIME]
    assert len(parking_lines) == 1
    assert minutes(parking_lines[0].consumed) == 8
    assert minutes(parking_lines[0].billed) == 15
    assert parking_lines[0].end == at("20:00").start
    assert minutes(cost.total_parking_time_hours) == 20
