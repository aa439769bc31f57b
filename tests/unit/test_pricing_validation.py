"""validate_tariff and validate_periods: every refused input names its field (message starts with the path),
plausible CPO data stays valid, and the engine refuses what validation refuses instead of guessing a price."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import InvalidRequestError
from hub.core.models import ChargingPeriod, Dimension, DimensionType, PriceComponent, Tariff, TariffElement
from hub.core.pricing import TariffEngine, validate_periods, validate_tariff
from tests.unit.pricing_kit import (
    ENERGY,
    TIME,
    a_tariff,
    element,
    energy,
    flat,
    parking,
    price,
    starting,
    time,
)
from tests.unit.test_pricing_examples import EXAMPLES

BASE = a_tariff(element(flat("0.50", 20), energy("0.25", 10)))


def with_component(bad: PriceComponent) -> Tariff:
    """BASE with its second component replaced (model_copy skips pydantic's checks, as a bug might)."""
    first = BASE.elements[0]
    return BASE.model_copy(
        update={
            "elements": (first.model_copy(update={"price_components": (first.price_components[0], bad)}),)
        }
    )


def restricted(**restrictions: Any) -> Tariff:
    return a_tariff(
        TariffElement(price_components=(energy("0.30"),), restrictions=restrictions), energy("0.25")
    )


def refused(check: Callable[[], object], field: str) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        check()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    return caught.value


# ---------------------------------------------------------------------------------------------- tariffs

BAD_TARIFFS: list[tuple[str, Callable[[], Tariff], str]] = [
    ("no elements", lambda: BASE.model_copy(update={"elements": ()}), "elements"),
    ("currency", lambda: BASE.model_copy(update={"currency": "E1R"}), "currency"),
    (
        "element without components",
        lambda: BASE.model_copy(update={"elements": (TariffElement.model_construct(price_components=()),)}),
        "elements[0].price_components",
    ),
    (
        "negative price",
        lambda: with_component(energy("0.25").model_copy(update={"price": Decimal("-0.01")})),
        "elements[0].price_components[1].price",
    ),
    (
        "unknown dimension",
        lambda: with_component(energy("0.25").model_copy(update={"type": "WATER"})),
        "elements[0].price_components[1].type",
    ),
    (
        "negative vat",
        lambda: with_component(energy("0.25").model_copy(update={"vat": Decimal(-1)})),
        "elements[0].price_components[1].vat",
    ),
    (
        "negative step_size",
        lambda: with_component(energy("0.25").model_copy(update={"step_size": -1})),
        "elements[0].price_components[1].step_size",
    ),
    (
        "fractional step_size",
        lambda: with_component(energy("0.25").model_copy(update={"step_size": 1.5})),
        "elements[0].price_components[1].step_size",
    ),
    (
        "non-finite price",
        lambda: with_component(energy("0.25").model_copy(update={"price": Decimal("Infinity")})),
        "elements[0].price_components[1].price",
    ),
    (
        "two ENERGY components in one element",
        lambda: with_component(energy("0.30")).model_copy(
            update={"elements": (element(energy("0.25"), energy("0.30")),)}
        ),
        "elements[0].price_components[1].type",
    ),
    (
        "service price on TIME",
        lambda: with_component(time("1.00").model_copy(update={"service_price": Decimal("0.1")})),
        "elements[0].price_components[1].service_price",
    ),
    (
        "service price above the price",
        lambda: with_component(energy("0.25").model_copy(update={"service_price": Decimal("0.26")})),
        "elements[0].price_components[1].service_price",
    ),
    ("unknown restriction", lambda: restricted(min_soc=80), "elements[0].restrictions.min_soc"),
    ("24:00", lambda: restricted(start_time="24:00"), "elements[0].restrictions.start_time"),
    ("9:00", lambda: restricted(start_time="9:00"), "elements[0].restrictions.start_time"),
    ("09:60", lambda: restricted(end_time="09:60"), "elements[0].restrictions.end_time"),
    ("time as a number", lambda: restricted(end_time=900), "elements[0].restrictions.end_time"),
    ("30 February", lambda: restricted(start_date="2026-02-30"), "elements[0].restrictions.start_date"),
    ("basic ISO date", lambda: restricted(end_date="20260101"), "elements[0].restrictions.end_date"),
    ("slashed date", lambda: restricted(end_date="2026/01/01"), "elements[0].restrictions.end_date"),
    (
        "unknown day",
        lambda: restricted(day_of_week=["MONDAY", "FUNDAY"]),
        "elements[0].restrictions.day_of_week[1]",
    ),
    ("day as a string", lambda: restricted(day_of_week="MONDAY"), "elements[0].restrictions.day_of_week"),
    ("no days", lambda: restricted(day_of_week=[]), "elements[0].restrictions.day_of_week"),
    ("reservation kind", lambda: restricted(reservation="RESERVED"), "elements[0].restrictions.reservation"),
    ("negative kWh", lambda: restricted(min_kwh=-1), "elements[0].restrictions.min_kwh"),
    ("power as text", lambda: restricted(min_power="11"), "elements[0].restrictions.min_power"),
    ("NaN current", lambda: restricted(max_current=float("nan")), "elements[0].restrictions.max_current"),
    ("boolean power", lambda: restricted(max_power=True), "elements[0].restrictions.max_power"),
    ("fractional duration", lambda: restricted(min_duration=1.5), "elements[0].restrictions.min_duration"),
    ("negative duration", lambda: restricted(max_duration=-60), "elements[0].restrictions.max_duration"),
    ("min_kwh = max_kwh", lambda: restricted(min_kwh=20, max_kwh=20.0), "elements[0].restrictions.min_kwh"),
    (
        "min_power > max_power",
        lambda: restricted(min_power=22, max_power=11),
        "elements[0].restrictions.min_power",
    ),
    (
        "min_current > max_current",
        lambda: restricted(min_current=32, max_current=16),
        "elements[0].restrictions.min_current",
    ),
    (
        "min_duration = max_duration",
        lambda: restricted(min_duration=600, max_duration=600),
        "elements[0].restrictions.min_duration",
    ),
    (
        "start_date after end_date",
        lambda: restricted(start_date="2026-02-01", end_date="2026-01-01"),
        "elements[0].restrictions.start_date",
    ),
    (
        "start_date = end_date (end exclusive)",
        lambda: restricted(start_date="2026-02-01", end_date="2026-02-01"),
        "elements[0].restrictions.start_date",
    ),
    (
        "start_time = end_time",
        lambda: restricted(start_time="10:00", end_time="10:00"),
        "elements[0].restrictions.start_time",
    ),
    (
        "ENERGY in a reservation element (TA-08)",
        lambda: a_tariff(element(time("5.00"), energy("0.25"), reservation="RESERVATION"), energy("0.25")),
        "elements[0].price_components[1].type",
    ),
    (
        "PARKING_TIME in a reservation element",
        lambda: a_tariff(element(parking("5.00"), reservation="RESERVATION_EXPIRES"), energy("0.25")),
        "elements[0].price_components[0].type",
    ),
    (
        "min_price above max_price",
        lambda: BASE.model_copy(update={"min_price_excl_vat": Decimal(5), "max_price_excl_vat": Decimal(4)}),
        "min_price_excl_vat",
    ),
    (
        "min_price incl above max_price incl",
        lambda: BASE.model_copy(update={"min_price_incl_vat": Decimal(5), "max_price_incl_vat": Decimal(4)}),
        "min_price_incl_vat",
    ),
    (
        "negative max_price",
        lambda: BASE.model_copy(update={"max_price_excl_vat": Decimal(-1)}),
        "max_price_excl_vat",
    ),
    (
        "validity ends at its start",
        lambda: BASE.model_copy(
            update={
                "start_date_time": starting("2026-01-05 10:00").start,
                "end_date_time": starting("2026-01-05 10:00").start,
            }
        ),
        "end_date_time",
    ),
    (
        "identical restrictions price ENERGY twice",
        lambda: a_tariff(
            element(energy("0.30"), start_time="08:00", end_time="20:00"),
            element(time("1.00"), energy("0.20"), end_time="20:00", start_time="08:00"),
        ),
        "elements[1]",
    ),
    (
        "equal numbers and day sets are identical restrictions",
        lambda: a_tariff(
            element(flat("1.00"), max_kwh=20, day_of_week=["MONDAY", "TUESDAY"]),
            element(energy("0.30"), max_kwh=Decimal("20.0")),
            element(flat("2.00"), max_kwh=20.0, day_of_week=["TUESDAY", "MONDAY"]),
        ),
        "elements[2]",
    ),
    (
        "two unrestricted defaults",
        lambda: a_tariff(energy("0.30"), element(energy("0.20"), start_time=None)),
        "elements[1]",
    ),
]


@pytest.mark.parametrize(("build", "field"), [c[1:] for c in BAD_TARIFFS], ids=[c[0] for c in BAD_TARIFFS])
def test_a_tariff_that_cannot_be_priced_is_refused_naming_the_field(
    build: Callable[[], Tariff], field: str
) -> None:
    refused(lambda: validate_tariff(build()), field)


VALID_TARIFFS: list[tuple[str, Callable[[], Tariff]]] = [
    (
        "null restrictions are absent (#466)",
        lambda: restricted(start_time=None, end_time="08:00", max_kwh=None),
    ),
    ("a window past midnight", lambda: restricted(start_time="22:00", end_time="06:00")),
    ("end_time 00:00 is the end of the day", lambda: restricted(start_time="20:00", end_time="00:00")),
    ("repeated day names", lambda: restricted(day_of_week=["MONDAY", "MONDAY"])),
    ("JSON floats and ints", lambda: restricted(min_kwh=0, max_kwh=20.5, max_current=32.0, min_duration=0)),
    (
        "step_size 0 (free-of-charge example, TA-12)",
        lambda: a_tariff(flat("0.00").model_copy(update={"step_size": 0})),
    ),
    ("vat 0 and vat absent", lambda: a_tariff(element(flat("0.50", 0), energy("0.25")))),
    (
        "min_price = max_price",
        lambda: BASE.model_copy(update={"min_price_excl_vat": Decimal(5), "max_price_excl_vat": Decimal(5)}),
    ),
    (
        "same restrictions, different dimensions",
        lambda: a_tariff(
            element(energy("0.30"), start_time="08:00"), element(time("1.00"), start_time="08:00")
        ),
    ),
    (
        "RESERVATION and RESERVATION_EXPIRES with the same TIME (TA-08)",
        lambda: a_tariff(
            element(time("6.00"), reservation="RESERVATION_EXPIRES"),
            element(time("3.00"), reservation="RESERVATION"),
            energy("0.25"),
        ),
    ),
    (
        "a restricted element after the unrestricted one",
        lambda: a_tariff(energy("0.25"), element(energy("0.20"), start_time="00:00", end_time="06:00")),
    ),
    (
        "service price part of an ENERGY price",
        lambda: a_tariff(energy("0.25").model_copy(update={"service_price": Decimal("0.25")})),
    ),
]


@pytest.mark.parametrize("build", [c[1] for c in VALID_TARIFFS], ids=[c[0] for c in VALID_TARIFFS])
def test_plausible_cpo_tariffs_stay_valid(build: Callable[[], Tariff]) -> None:
    validate_tariff(build())


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_worked_example_tariff_is_valid(example: Any) -> None:
    validate_tariff(example.tariff)


def test_the_engine_refuses_an_invalid_tariff_instead_of_pricing_it() -> None:
    session = starting("2026-01-05 10:00").charge(60, "20")
    refused(lambda: price(restricted(min_kwh=20, max_kwh=10), session), "elements[0].restrictions.min_kwh")


# ---------------------------------------------------------------------------------------------- periods

T0 = starting("2026-01-05 10:00").start


def period(minute: float, **volumes: str) -> ChargingPeriod:
    """A period starting `minute` minutes into the session; volumes by DimensionType name."""
    return ChargingPeriod(
        start_date_time=T0 + timedelta(minutes=minute),
        dimensions=tuple(Dimension(type=DimensionType[k], volume=Decimal(v)) for k, v in volumes.items()),
    )


def raw(minute: float, *dims: tuple[DimensionType, Decimal]) -> ChargingPeriod:
    """A period built without pydantic's checks (NaN, negative or repeated volumes), as a bug might."""
    return ChargingPeriod.model_construct(
        start_date_time=T0 + timedelta(minutes=minute),
        dimensions=tuple(Dimension.model_construct(type=t, volume=v) for t, v in dims),
        tariff_id=None,
    )


END = T0 + timedelta(minutes=60)
BAD_PERIODS: list[tuple[str, list[ChargingPeriod], datetime, datetime, str]] = [
    ("no periods", [], T0, END, "charging_periods"),
    ("end before start", [period(0, ENERGY="1")], T0, T0 - timedelta(seconds=1), "end_date_time"),
    ("naive start", [period(0, ENERGY="1")], T0.replace(tzinfo=None), END, "start_date_time"),
    ("naive end", [period(0, ENERGY="1")], T0, END.replace(tzinfo=None), "end_date_time"),
    ("before the session start", [period(-1, ENERGY="1")], T0, END, "charging_periods[0].start_date_time"),
    (
        "out of order",
        [period(0, ENERGY="1"), period(30, ENERGY="1"), period(20, ENERGY="1")],
        T0,
        END,
        "charging_periods[2].start_date_time",
    ),
    (
        "after the session end",
        [period(0, ENERGY="1"), period(61, ENERGY="1")],
        T0,
        END,
        "charging_periods[1].start_date_time",
    ),
    (
        "negative energy",
        [period(0, ENERGY="1"), raw(30, (DimensionType.ENERGY, Decimal("-0.1")))],
        T0,
        END,
        "charging_periods[1].dimensions[0].volume",
    ),
    (
        "negative TIME",
        [raw(0, (DimensionType.ENERGY, Decimal(1)), (DimensionType.TIME, Decimal(-1)))],
        T0,
        END,
        "charging_periods[0].dimensions[1].volume",
    ),
    (
        "NaN energy",
        [raw(0, (DimensionType.ENERGY, Decimal("NaN")))],
        T0,
        END,
        "charging_periods[0].dimensions[0].volume",
    ),
    (
        "infinite energy",
        [raw(0, (DimensionType.TIME, Decimal("0.5")), (DimensionType.ENERGY, Decimal("Infinity")))],
        T0,
        END,
        "charging_periods[0].dimensions[1].volume",
    ),
    (
        "negative MAX_POWER",
        [raw(0, (DimensionType.ENERGY, Decimal(1)), (DimensionType.MAX_POWER, Decimal(-11)))],
        T0,
        END,
        "charging_periods[0].dimensions[1].volume",
    ),
    (
        "ENERGY twice",
        [raw(0, (DimensionType.ENERGY, Decimal(1)), (DimensionType.ENERGY, Decimal(2)))],
        T0,
        END,
        "charging_periods[0].dimensions[1].type",
    ),
    (
        "MAX_CURRENT twice",
        [
            raw(
                0,
                (DimensionType.MAX_CURRENT, Decimal(16)),
                (DimensionType.ENERGY, Decimal(1)),
                (DimensionType.MAX_CURRENT, Decimal(32)),
            )
        ],
        T0,
        END,
        "charging_periods[0].dimensions[2].type",
    ),
    (
        "TIME and PARKING_TIME",
        [period(0, TIME="0.5", PARKING_TIME="0.5")],
        T0,
        END,
        "charging_periods[0].dimensions",
    ),
    (
        "RESERVATION_TIME with energy",
        [period(0, RESERVATION_TIME="0.25", ENERGY="1")],
        T0,
        END,
        "charging_periods[0].dimensions",
    ),
    (
        "reservation after charging",
        [period(0, ENERGY="1", TIME="0.25"), period(15, RESERVATION_TIME="0.25")],
        T0,
        END,
        "charging_periods[1]",
    ),
    ("more hours than the session lasts", [period(0, TIME="1.1")], T0, END, "charging_periods"),
]


@pytest.mark.parametrize(
    ("periods", "start", "end", "field"), [c[1:] for c in BAD_PERIODS], ids=[c[0] for c in BAD_PERIODS]
)
def test_periods_that_cannot_be_priced_are_refused_naming_the_field(
    periods: list[ChargingPeriod], start: datetime, end: datetime, field: str
) -> None:
    refused(lambda: validate_periods(periods, start, end), field)


VALID_PERIODS: list[tuple[str, list[ChargingPeriod]]] = [
    (
        "a repeated timestamp (empty period)",
        [period(0, ENERGY="1", TIME="0.5"), period(30), period(30, ENERGY="1", TIME="0.5")],
    ),
    (
        "zero volumes count as absent",
        [
            period(0, ENERGY="5", TIME="0.5", PARKING_TIME="0"),
            period(30, ENERGY="0", TIME="0", PARKING_TIME="0.5"),
        ],
    ),
    (
        "energy while parking",
        [period(0, ENERGY="5", TIME="0.5"), period(30, ENERGY="0.01", PARKING_TIME="0.5")],
    ),
    ("a gap after the session start", [period(5, ENERGY="5", TIME="0.5")]),
    ("a last period of no length", [period(0, ENERGY="5", TIME="1"), period(60, ENERGY="0")]),
    ("hours rounded up by a minute", [period(0, ENERGY="5", TIME="1.016")]),
    ("reservation then charging", [period(0, RESERVATION_TIME="0.25"), period(15, ENERGY="5", TIME="0.75")]),
    (
        "session-only dimensions are not read",
        [period(0, ENERGY="5", TIME="1", STATE_OF_CHARGE="80", ENERGY_EXPORT="0")],
    ),
    ("no volumes at all (times from timestamps)", [period(0, ENERGY="5")]),
]


@pytest.mark.parametrize("periods", [c[1] for c in VALID_PERIODS], ids=[c[0] for c in VALID_PERIODS])
def test_plausible_cpo_periods_stay_valid(periods: list[ChargingPeriod]) -> None:
    validate_periods(periods, T0, END)


def test_the_engine_validates_periods_on_every_call() -> None:
    session = starting("2026-01-05 10:00").charge(60, "20")
    bad = [session.periods[0], period(-5, ENERGY="1")]
    refused(lambda: price(BASE, session, periods=bad), "charging_periods[1].start_date_time")
    refused(
        lambda: TariffEngine().price_periods(
            None, bad, start=session.start, end=session.end, time_zone="UTC"
        ),
        "charging_periods[1].start_date_time",
    )


def test_zero_volumes_do_not_change_what_a_period_is() -> None:
    """A CPO listing every dimension in every period (zeros included) is priced like one listing only the
    non-zero ones: TIME 0 + PARKING_TIME 0.5 is parking, RESERVATION_TIME 0 with charging is charging."""
    tariff = a_tariff(element(energy("0.25"), time("1.00"), parking("2.00")))
    sparse = starting("2026-01-05 10:00").charge(30, "5").park(30)
    listed = [
        period(0, ENERGY="5", TIME="0.5", PARKING_TIME="0", RESERVATION_TIME="0"),
        period(30, ENERGY="0", TIME="0", PARKING_TIME="0.5", RESERVATION_TIME="0"),
    ]
    expected = price(tariff, sparse).cost
    assert expected.total_excl_vat == Decimal("2.75")
    got = price(tariff, sparse, periods=listed).cost
    assert (got.total_excl_vat, got.total_parking_time_hours) == (expected.total_excl_vat, Decimal("0.5"))


def test_validation_keeps_components_of_other_types_apart() -> None:
    """Identical restrictions on ENERGY and on TIME elements are not unreachable (TA-07 is per dimension)."""
    tariff = a_tariff(element(energy("0.30"), max_kwh=20), element(time("1.00"), max_kwh=20))
    validate_tariff(tariff)
    assert {
        line.dimension.value
        for line in price(tariff, starting("2026-01-05 10:00").charge(60, "5")).cost.lines
    } == {
        ENERGY.value,
        TIME.value,
    }
