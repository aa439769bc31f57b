"""Sampled meter values as both OCPP versions send them → the core's units (energy kWh, power W, current A),
shared by `v16/mapping.py` and `v201/mapping.py` so one table decides units, defaults and plausibility.

Imports the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

ENERGY_ACTIVE_IMPORT = "Energy.Active.Import.Register"

# Unit on the wire (case-insensitive) -> (core unit, factor): energy in k-units, power in W/var/VA.
_UNITS: Mapping[str, tuple[str, Decimal]] = MappingProxyType(
    {
        "wh": ("kWh", Decimal("0.001")),
        "kwh": ("kWh", Decimal(1)),
        "varh": ("kvarh", Decimal("0.001")),
        "kvarh": ("kvarh", Decimal(1)),
        "vah": ("kVAh", Decimal("0.001")),
        "kvah": ("kVAh", Decimal(1)),
        "w": ("W", Decimal(1)),
        "kw": ("W", Decimal(1000)),
        "var": ("var", Decimal(1)),
        "kvar": ("var", Decimal(1000)),
        "va": ("VA", Decimal(1)),
        "kva": ("VA", Decimal(1000)),
        "a": ("A", Decimal(1)),
        "v": ("V", Decimal(1)),
        "percent": ("Percent", Decimal(1)),
        "celsius": ("Celsius", Decimal(1)),
        "celcius": ("Celsius", Decimal(1)),  # OCPP 1.6 errata: both spellings occur, also on 2.0.1 firmware
        "hz": ("Hz", Decimal(1)),
    }
)

# The schemas default every unit to Wh; that is right for energy only, so the default follows the measurand.
_DEFAULT_UNITS: tuple[tuple[str, str], ...] = (
    ("Energy.Reactive", "varh"),
    ("Energy.Apparent", "VAh"),
    ("Energy", "Wh"),
    ("Power.Reactive", "var"),
    ("Power.Factor", ""),
    ("Power", "W"),
    ("Current", "A"),
    ("Voltage", "V"),
    ("Frequency", "Hz"),
    ("Temperature", "Celsius"),
    ("SoC", "Percent"),
)

# Beyond this (in core units) a reading is firmware garbage, e.g. a counter overflow (lbbrhzn/ocpp#1997
# reported ~1.8 billion connectors): dropped, never stored.
ABSURD = Decimal(10) ** 12

# Plausible ranges per core unit: readings outside are clamped into them (a register below zero, SoC 140 %).
_BOUNDS: Mapping[str, tuple[Decimal, Decimal]] = MappingProxyType(
    {
        "kWh": (Decimal(0), ABSURD),
        "kvarh": (Decimal(0), ABSURD),
        "kVAh": (Decimal(0), ABSURD),
        "Celsius": (Decimal(-273), Decimal(10000)),
        "Percent": (Decimal(0), Decimal(100)),
    }
)


def default_unit(measurand: str) -> str:
    for prefix, unit in _DEFAULT_UNITS:
        if measurand.startswith(prefix):
            return unit
    return "Wh"


def normalise(number: Decimal, unit: str, multiplier: int = 0) -> tuple[Decimal, str] | None:
    """(value, wire unit, 10^multiplier) -> (value, core unit), clamped into the unit's plausible range;
    None for an absurd reading."""
    lowered = unit.lower()
    if lowered == "k":
        number, core_unit = number.scaleb(multiplier) - Decimal("273.15"), "Celsius"
    elif lowered == "fahrenheit":
        number, core_unit = (number.scaleb(multiplier) - 32) * 5 / 9, "Celsius"
    else:
        core_unit, factor = _UNITS.get(lowered, (unit, Decimal(1)))
        number = number.scaleb(multiplier) * factor
    if abs(number) > ABSURD:
        return None
    low, high = _BOUNDS.get(core_unit, (-ABSURD, ABSURD))
    value = min(max(number, low), high)
    return (value.normalize() if value else Decimal(0)), core_unit
