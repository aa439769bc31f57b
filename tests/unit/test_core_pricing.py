"""TariffEngine through `PricingPort.price` on core sessions: OCPI's worked examples on whole-session totals,
VAT absent vs zero, minor units, time zones, FLAT once. (The spec vectors with timestamps are in
test_pricing_examples.py, the hypothesis properties in test_pricing_properties.py.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    CdrCost,
    ChargingPeriod,
    Dimension,
    DimensionType,
    PriceComponent,
    PriceComponentType,
    Session,
    Tariff,
    TariffElement,
)
from hub.core.pricing import TariffEngine, round_money
from tests.unit.core_kit import T0, a_session, a_tariff

ENERGY, FLAT, TIME, PARKING = (
    PriceComponentType.ENERGY,
    PriceComponentType.FLAT,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
)


def component(kind: PriceComponentType, price: str, vat: int | None = None, step: int = 1) -> PriceComponent:
    return PriceComponent(
        type=kind, price=Decimal(price), vat=None if vat is None else Decimal(vat), step_size=step
    )


def tariff(*elements: tuple[PriceComponent, ...] | TariffElement, **overrides: Any) -> Tariff:
    built = tuple(e if isinstance(e, TariffElement) else TariffElement(price_components=e) for e in elements)
    return a_tariff(elements=built, **overrides)


def used(
    kwh: str | Decimal = "0", hours: str | Decimal = "0", parking: str | Decimal = "0", **kw: Any
) -> Session:
    """A completed session: charging period(s) with these totals."""
    charging_h, parking_h = Decimal(hours), Decimal(parking)
    start = kw.get("start", T0)
    periods = [
        ChargingPeriod(
            start_date_time=start,
            dimensions=(
                Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),
                Dimension(type=DimensionType.TIME, volume=charging_h),
            ),
        )
    ]
    if parking_h:
        periods.append(
            ChargingPeriod(
                start_date_time=start + timedelta(hours=float(charging_h)),
                dimensions=(Dimension(type=DimensionType.PARKING_TIME, volume=parking_h),),
            )
        )
    end = start + timedelta(hours=float(charging_h + parking_h))
    values: dict[str, Any] = {"kwh": Decimal(kwh), "charging_periods": tuple(periods), "end": end}
    values.update(kw)
    return a_session(**values)


class _Pricing:
    def price(self, session: Session, the_tariff: Tariff | None, time_zone: str) -> CdrCost:
        return TariffEngine().price(session, the_tariff, time_zone).cost


PRICING = _Pricing()


@pytest.mark.parametrize(
    ("name", "the_tariff", "session", "excl", "incl"),
    [
        (
            "tariff_8 20 kWh at 0.25",
            tariff((component(ENERGY, "0.25", 10),)),
            used("20", "2"),
            "5.00",
            "5.50",
        ),
        (
            "tariff_9 start fee + energy",
            tariff((component(FLAT, "0.50", 20), component(ENERGY, "0.25", 10))),
            used("20", "2"),
            "5.50",
            "6.10",
        ),
        (
            "tariff_1 2.5 h at 2.00/h",
            tariff((component(TIME, "2.00", 10, 60),)),
            used("10", "2.5"),
            "5.00",
            "5.50",
        ),
        (
            "tariff_13 time + parking rounded to 5 min",
            tariff((component(TIME, "3.00", 10, 60),), (component(PARKING, "5.00", 20, 300),)),
            used("10", "2.5", "0.7"),
            "11.25",
            "12.75",
        ),
        (
            "tariff_3 energy step 100 Wh",
            tariff((component(FLAT, "0.50", 20), component(ENERGY, "0.25", 10, 100))),
            used("20.45", "1"),
            "5.63",
            "6.24",
        ),
        (
            "tariff_12 min price",
            tariff((component(ENERGY, "0.25", 10),), min_price_excl_vat=Decimal("0.50")),
            used("1", "1"),
            "0.50",
            "0.55",
        ),
        (
            "tariff_6 under the max price",
            tariff(
                (component(FLAT, "0.50", 20), component(ENERGY, "0.25", 10)), max_price_excl_vat=Decimal(10)
            ),
            used("30", "3"),
            "8.00",
            "8.85",
        ),
    ],
)
def test_ocpi_worked_examples(name: str, the_tariff: Tariff, session: Session, excl: str, incl: str) -> None:
    cost = PRICING.price(session, the_tariff, "Europe/Amsterdam")
    assert (cost.total_excl_vat, cost.total_incl_vat) == (Decimal(excl), Decimal(incl)), name


def test_max_price_caps_the_total_but_not_the_lines() -> None:
    the_tariff = tariff(
        (component(FLAT, "0.50", 20), component(ENERGY, "0.25", 10)), max_price_excl_vat=Decimal("10.00")
    )
    cost = PRICING.price(used("50", "4"), the_tariff, "UTC")
    assert cost.total_excl_vat == Decimal("10.00")
    assert (cost.fixed_excl_vat, cost.energy_excl_vat) == (Decimal("0.50"), Decimal("12.50"))


def test_sub_totals_and_quantities_are_reported() -> None:
    the_tariff = tariff(
        (component(FLAT, "1.00", 21), component(ENERGY, "0.30", 21)),
        (component(TIME, "1.20", 21),),
        (component(PARKING, "6.00", 21),),
    )
    cost = PRICING.price(used("12.5", "1.5", "0.25"), the_tariff, "UTC")
    assert cost.fixed_excl_vat == Decimal("1.00")
    assert cost.energy_excl_vat == Decimal("3.75")
    assert cost.time_excl_vat == Decimal("1.80")
    assert cost.parking_excl_vat == Decimal("1.50")
    assert cost.total_excl_vat == Decimal("8.05")
    assert (cost.total_energy_kwh, cost.total_time_hours, cost.total_parking_time_hours) == (
        Decimal("12.5"),
        Decimal("1.75"),
        Decimal("0.25"),
    )


def test_absent_vat_is_not_zero_vat() -> None:
    without = PRICING.price(used("10", "1"), tariff((component(ENERGY, "0.25"),)), "UTC")
    zero = PRICING.price(used("10", "1"), tariff((component(ENERGY, "0.25", 0),)), "UTC")
    assert without.total_incl_vat is None
    assert zero.total_incl_vat == Decimal("2.50")


def test_rounding_is_half_up_per_line_to_the_currency_minor_unit() -> None:
    yen = PRICING.price(used("1.5", "1"), tariff((component(ENERGY, "33", 10),), currency="JPY"), "UTC")
    assert yen.total_excl_vat == Decimal(50)  # 49.5 → 50, no decimals for JPY
    assert yen.currency == "JPY"
    euro = PRICING.price(used("0.1", "1"), tariff((component(ENERGY, "0.125"),)), "UTC")
    assert euro.total_excl_vat == Decimal("0.01")  # 0.0125 → 0.01
    assert round_money(Decimal("0.005"), "EUR") == Decimal("0.01")


def test_without_a_tariff_the_price_is_zero_in_the_session_currency() -> None:
    cost = PRICING.price(used("10", "1", currency="SEK"), None, "UTC")
    assert (cost.currency, cost.total_excl_vat, cost.total_incl_vat) == (
        "SEK",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert cost.total_energy_kwh == Decimal(10)


def test_a_power_restriction_reads_the_average_power_of_the_period() -> None:
    fast = TariffElement(price_components=(component(ENERGY, "0.60", 21),), restrictions={"min_power": 50})
    normal = TariffElement(price_components=(component(ENERGY, "0.30", 21),))
    assert PRICING.price(used("10", "1"), tariff(fast, normal), "UTC").energy_excl_vat == Decimal("3.00")
    assert PRICING.price(used("60", "1"), tariff(fast, normal), "UTC").energy_excl_vat == Decimal("36.00")


def test_time_of_day_restrictions_are_evaluated_in_the_location_time_zone() -> None:
    day = TariffElement(
        price_components=(component(ENERGY, "0.40", 21),),
        restrictions={"start_time": "08:00", "end_time": "18:00", "day_of_week": ["MONDAY"]},
    )
    night = TariffElement(price_components=(component(ENERGY, "0.20", 21),))
    the_tariff = tariff(day, night)
    # T0 is Monday 09:00 UTC = 10:00 in Amsterdam; 17:30 UTC is 18:30 there.
    assert PRICING.price(used("10", "1"), the_tariff, "Europe/Amsterdam").energy_excl_vat == Decimal("4.00")
    evening = used("10", "1", start=T0 + timedelta(hours=8, minutes=30))
    assert PRICING.price(evening, the_tariff, "Europe/Amsterdam").energy_excl_vat == Decimal("2.00")
    # In UTC the same hour is 17:30-18:30: half of it day price, half night price (CD-09 split at 18:00).
    assert PRICING.price(evening, the_tariff, "UTC").energy_excl_vat == Decimal("3.00")


def test_flat_of_the_first_matching_element_is_billed_once() -> None:
    night = TariffElement(price_components=(component(FLAT, "1.00"),), restrictions={"start_time": "20:00"})
    the_tariff = tariff(night, (component(FLAT, "5.00"), component(ENERGY, "0.10")))
    cost = PRICING.price(used("10", "1"), the_tariff, "UTC")  # 09:00-10:00 UTC: the day fee
    assert (cost.fixed_excl_vat, cost.total_excl_vat) == (Decimal("5.00"), Decimal("6.00"))


def test_an_element_that_can_never_apply_is_refused_naming_it() -> None:
    the_tariff = tariff((component(FLAT, "1.00"),), (component(FLAT, "5.00"), component(ENERGY, "0.10")))
    with pytest.raises(InvalidRequestError) as refused:
        PRICING.price(used("10", "1"), the_tariff, "UTC")
    assert refused.value.field == "elements[1]"
