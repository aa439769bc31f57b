"""The shared sampled-value table of both OCPP versions: units, defaults, clamping and garbage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.ocpp import metering


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["Wh", "wh", "WH"]))
def test_wh_registers_become_exact_kwh_whatever_the_case(wh: int, unit: str) -> None:
    assert metering.normalise(Decimal(wh), unit) == (Decimal(wh) / 1000, "kWh")


@given(st.decimals(min_value=-(10**5), max_value=10**5, allow_nan=False, places=3), st.integers(-3, 3))
def test_power_in_kw_with_a_multiplier_becomes_watts(value: Decimal, multiplier: int) -> None:
    result = metering.normalise(value, "kW", multiplier)

    assert result is not None
    assert result[1] == "W"
    assert result[0] == value.scaleb(multiplier) * 1000


def test_counter_overflow_is_dropped_and_implausible_values_clamped() -> None:
    assert metering.normalise(Decimal("1850000000000000000"), "Wh") is None
    assert metering.normalise(Decimal(-5), "Wh") == (Decimal(0), "kWh")
    assert metering.normalise(Decimal(140), "Percent") == (Decimal(100), "Percent")


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("Celcius", "21.5", Decimal("21.5")),
        ("K", "300", Decimal("26.85")),
        ("Fahrenheit", "212", Decimal(100)),
    ],
)
def test_temperatures_end_in_celsius(unit: str, value: str, expected: Decimal) -> None:
    assert metering.normalise(Decimal(value), unit) == (expected, "Celsius")


@pytest.mark.parametrize(
    ("measurand", "unit"),
    [
        ("Energy.Active.Import.Register", "Wh"),
        ("Energy.Reactive.Export.Interval", "varh"),
        ("Power.Active.Import", "W"),
        ("Current.Import", "A"),
        ("SoC", "Percent"),
        ("Temperature", "Celsius"),
        ("Power.Factor", ""),
    ],
)
def test_default_units_follow_the_measurand(measurand: str, unit: str) -> None:
    assert metering.default_unit(measurand) == unit
