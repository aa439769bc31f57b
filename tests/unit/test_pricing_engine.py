"""TariffEngine internals seen from outside: the split charging periods it returns (CD-09), local time
across DST switches, kWh thresholds met exactly, the rounding policy, and the unvalidated model builder
it uses on its hot path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.models import (
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
    trusted,
)
from hub.core.pricing import RoundingPolicy, TariffEngine

PARTY = PartyRef(country_code="NL", party_id="CPO")
ENERGY, TIME, PARKING, FLAT = (
    PriceComponentType.ENERGY,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
    PriceComponentType.FLAT,
)


def element(kind: PriceComponentType, price: str, step: int = 1, **restrictions: Any) -> TariffElement:
    return TariffElement(
        price_components=(PriceComponent(type=kind, price=Decimal(price), step_size=step),),
        restrictions=restrictions or None,
    )


def a_tariff(*elements: TariffElement, **kw: Any) -> Tariff:
    return Tariff(
        id="T1",
        party=PARTY,
        currency=kw.pop("currency", "EUR"),
        elements=elements,
        last_updated=datetime(2024, 1, 1, tzinfo=UTC),
        **kw,
    )


def charging(start: datetime, minutes: int, kwh: str) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=start,
        dimensions=(
            Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),
            Dimension(type=DimensionType.TIME, volume=Decimal(minutes) / 60),
        ),
    )


def price(tariff: Tariff, periods: list[ChargingPeriod], end: datetime, tz: str = "UTC", **kw: Any) -> Any:
    engine = TariffEngine(kw.pop("policy", RoundingPolicy()))
    return engine.price_periods(
        tariff, periods, start=periods[0].start_date_time, end=end, time_zone=tz, **kw
    )


def test_a_period_across_a_price_change_is_split_there_with_energy_in_proportion() -> None:
    day_night = a_tariff(
        element(ENERGY, "0.40", start_time="07:00", end_time="23:00"), element(ENERGY, "0.20")
    )
    start = datetime(2024, 3, 4, 22, 0, tzinfo=UTC)
    priced = price(day_night, [charging(start, 120, "30")], start + timedelta(hours=2))

    assert [p.start_date_time for p in priced.periods] == [start, start + timedelta(hours=1)]
    assert [p.dimensions[0].volume for p in priced.periods] == [Decimal(15), Decimal(15)]
    assert priced.cost.total_excl_vat == Decimal("9.00")  # 15 × 0.40 + 15 × 0.20
    assert [line.element for line in priced.cost.lines] == [0, 1]


def test_a_period_without_a_cost_change_is_returned_as_it_came() -> None:
    flat_rate = a_tariff(element(ENERGY, "0.30"))
    period = charging(datetime(2024, 3, 4, 10, tzinfo=UTC), 60, "11")
    priced = price(flat_rate, [period], period.start_date_time + timedelta(hours=1))

    assert priced.periods == (period,)


def test_local_time_follows_the_dst_switch() -> None:
    """Europe/Amsterdam springs forward on 2024-03-31 at 01:00 UTC (02:00 → 03:00 local). An element from
    03:00 local starts at 01:00 UTC that night, not at 02:00 UTC."""
    night = a_tariff(element(ENERGY, "0.10", start_time="03:00", end_time="06:00"), element(ENERGY, "1.00"))
    start = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)  # 01:00 local
    priced = price(night, [charging(start, 120, "12")], start + timedelta(hours=2), tz="Europe/Amsterdam")

    cuts = [p.start_date_time for p in priced.periods]
    assert datetime(2024, 3, 31, 1, 0, tzinfo=UTC) in cuts
    assert priced.cost.total_excl_vat == Decimal("6.60")  # 6 kWh at 1.00 + 6 kWh at 0.10


def test_a_kwh_threshold_is_met_exactly_inside_a_period() -> None:
    tiers = a_tariff(element(ENERGY, "0.50", max_kwh=10), element(ENERGY, "0.25", min_kwh=10))
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    priced = price(tiers, [charging(start, 45, "7"), charging(start + timedelta(minutes=45), 60, "9")],
                   start + timedelta(minutes=105))  # fmt: skip

    energy = [line for line in priced.cost.lines if line.dimension is CostDimension.ENERGY]
    assert [(line.consumed, line.amount_excl_vat) for line in energy] == [
        (Decimal(10), Decimal("5.00")),
        (Decimal(6), Decimal("1.50")),
    ]


def test_rounding_scope_total_keeps_lines_exact() -> None:
    tariff = a_tariff(element(ENERGY, "0.125"))
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    periods = [charging(start, 60, "0.1")]
    per_line = price(tariff, periods, start + timedelta(hours=1))
    per_total = price(tariff, periods, start + timedelta(hours=1), policy=RoundingPolicy(scope="total"))

    assert per_line.cost.lines[0].amount_excl_vat == Decimal("0.01")
    assert per_total.cost.lines[0].amount_excl_vat == Decimal("0.0125")
    assert per_total.cost.total_excl_vat == Decimal("0.01")


def test_rounding_policy_refuses_unknown_settings() -> None:
    with pytest.raises(ValueError, match="rounding mode"):
        RoundingPolicy(mode="BANKERS")
    with pytest.raises(ValueError, match="rounding scope"):
        RoundingPolicy(scope="cdr")  # type: ignore[arg-type]


def test_an_expired_reservation_can_be_named_explicitly() -> None:
    tariff = a_tariff(
        TariffElement(
            price_components=(PriceComponent(type=FLAT, price=Decimal(3)),),
            restrictions={"reservation": "RESERVATION_EXPIRES"},
        ),
        element(TIME, "2.00", reservation="RESERVATION"),
    )
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    reserved = ChargingPeriod(
        start_date_time=start, dimensions=(Dimension(type=DimensionType.RESERVATION_TIME, volume=Decimal(1)),)
    )
    end = start + timedelta(hours=1)
    assert price(tariff, [reserved], end).cost.total_excl_vat == Decimal("5.00")  # expired by default
    kept = price(tariff, [reserved], end, reservation_expired=False).cost
    assert (kept.total_excl_vat, kept.reservation_excl_vat) == (Decimal("2.00"), Decimal("2.00"))


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=1, max_value=240), min_size=1, max_size=12),
    start_minute=st.integers(min_value=0, max_value=7 * 24 * 60),
)
def test_memoised_choices_equal_a_fresh_engine(minutes: list[int], start_minute: int) -> None:
    """The per-band memo of element choices gives what evaluating every restriction afresh gives."""

    def build() -> Tariff:
        return a_tariff(
            element(ENERGY, "0.45", start_time="08:00", end_time="20:00", max_kwh=15),
            element(ENERGY, "0.35", min_kwh=15, day_of_week=["SATURDAY", "SUNDAY"]),
            element(TIME, "1.00", min_duration=3600),
            element(ENERGY, "0.30"),
        )

    start = datetime(2024, 6, 3, tzinfo=UTC) + timedelta(minutes=start_minute)
    periods, moment = [], start
    for i, length in enumerate(minutes):
        periods.append(charging(moment, length, str(Decimal(length) / 20 + i)))
        moment += timedelta(minutes=length)
    warm = build()
    for _ in range(2):  # the second run answers from the memo
        memoised = price(warm, periods, moment, tz="Europe/Berlin")
    fresh = price(build(), periods, moment, tz="Europe/Berlin")
    assert memoised.cost == fresh.cost


def test_trusted_builds_what_validation_builds_and_refuses_missing_fields() -> None:
    values = {
        "dimension": CostDimension.ENERGY,
        "element": 0,
        "price": Decimal("0.25"),
        "vat": None,
        "start": datetime(2024, 1, 1, tzinfo=UTC),
        "end": datetime(2024, 1, 1, 1, tzinfo=UTC),
        "consumed": Decimal(2),
        "billed": Decimal(2),
        "amount_excl_vat": Decimal("0.50"),
        "amount_incl_vat": None,
        "service_price": None,
    }
    assert trusted(CostLine, dict(values)) == CostLine(**values)
    assert trusted(CostLine, dict(values)).model_dump_json() == CostLine(**values).model_dump_json()
    del values["service_price"]
    with pytest.raises(TypeError, match="service_price"):
        trusted(CostLine, values)


def with_vat(kind: PriceComponentType, price: str, vat: str) -> PriceComponent:
    return PriceComponent(type=kind, price=Decimal(price), vat=Decimal(vat))


def test_energy_metered_while_parked_is_billed() -> None:
    tariff = a_tariff(element(ENERGY, "1.00"), element(PARKING, "1.00"))
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    parked = ChargingPeriod(
        start_date_time=start + timedelta(hours=1),
        dimensions=(
            Dimension(type=DimensionType.PARKING_TIME, volume=Decimal(1)),
            Dimension(type=DimensionType.ENERGY, volume=Decimal("0.5")),
        ),
    )
    cost = price(tariff, [charging(start, 60, "10"), parked], start + timedelta(hours=2)).cost

    assert (cost.energy_excl_vat, cost.parking_excl_vat, cost.total_excl_vat) == (
        Decimal("10.50"),
        Decimal("1.00"),
        Decimal("11.50"),
    )


@pytest.mark.parametrize(
    ("bounds", "kwh", "total"),
    [
        ({"max_price_excl_vat": Decimal("0.2355")}, "1", "0.23"),
        ({"min_price_excl_vat": Decimal("0.2345")}, "0.1", "0.24"),
    ],
)
def test_bounds_finer_than_a_cent_are_respected_after_rounding(
    bounds: dict[str, Decimal], kwh: str, total: str
) -> None:
    tariff = a_tariff(element(ENERGY, "1.00"), **bounds)
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert price(
        tariff, [charging(start, 60, kwh)], start + timedelta(hours=1)
    ).cost.total_excl_vat == Decimal(total)


def test_a_free_session_raised_to_the_min_price_gets_the_tariffs_vat() -> None:
    tariff = a_tariff(
        TariffElement(price_components=(with_vat(FLAT, "0.00", "20"), with_vat(ENERGY, "0.25", "20"))),
        min_price_excl_vat=Decimal("0.50"),
    )
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    cost = price(tariff, [charging(start, 60, "0")], start + timedelta(hours=1)).cost

    assert (cost.total_excl_vat, cost.total_incl_vat, cost.clamped) == (
        Decimal("0.50"),
        Decimal("0.60"),
        "min_price",
    )
