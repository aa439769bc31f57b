"""Money rounding for priced CDRs: each currency's minor unit and the configurable rounding policy.

OCPI defines no rounding of money (TA-15); its worked examples round each line half-up to cents, which is
the default here. Imports the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from functools import cache
from typing import Literal

# ISO 4217 currencies whose minor unit is not 2 (everything else rounds to cents).
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

ROUNDING_MODES = {
    "HALF_UP": ROUND_HALF_UP,
    "HALF_EVEN": ROUND_HALF_EVEN,
    "HALF_DOWN": ROUND_HALF_DOWN,
    "UP": ROUND_UP,
    "DOWN": ROUND_DOWN,
    "CEILING": ROUND_CEILING,
    "FLOOR": ROUND_FLOOR,
}


@cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class RoundingPolicy:
    """How priced amounts become money.

    `scope = "line"` (default) rounds every cost line's excl.-VAT amount, then each total once from the
    rounded lines; `"total"` keeps lines exact and rounds only the totals. `mode` is one of ROUNDING_MODES;
    `places` overrides the currency's minor unit."""

    scope: Literal["line", "total"] = "line"
    mode: str = "HALF_UP"
    places: int | None = None

    def __post_init__(self) -> None:
        if self.scope not in ("line", "total"):
            raise ValueError(f"rounding scope must be 'line' or 'total', not {self.scope!r}")
        if self.mode not in ROUNDING_MODES:
            raise ValueError(f"rounding mode must be one of {', '.join(ROUNDING_MODES)}, not {self.mode!r}")
        if self.places is not None and not 0 <= self.places <= 6:
            raise ValueError(f"rounding places must be between 0 and 6, not {self.places}")

    def quantum(self, currency: str) -> Decimal:
        return _quantum(minor_unit(currency) if self.places is None else self.places)

    def round(self, amount: Decimal, currency: str) -> Decimal:
        return amount.quantize(self.quantum(currency), rounding=ROUNDING_MODES[self.mode])

    def rounder(self, currency: str) -> Callable[[Decimal], Decimal]:
        """`round` for one currency, looked up once (the engine rounds every line and total with it)."""
        quantum, mode = self.quantum(currency), ROUNDING_MODES[self.mode]
        return lambda amount: amount.quantize(quantum, rounding=mode)

    def round_line(self, amount: Decimal, currency: str) -> Decimal:
        return self.round(amount, currency) if self.scope == "line" else amount


DEFAULT_ROUNDING = RoundingPolicy()


def round_money(amount: Decimal, currency: str, policy: RoundingPolicy = DEFAULT_ROUNDING) -> Decimal:
    """Half-up to the currency's minor unit unless the policy says otherwise."""
    return policy.round(amount, currency)
