"""Tariffs and pricing: the OCPI 2.2.1 tariff engine behind `PricingPort`, the money rounding policy,
tariff and period validation, and Chinese time-of-use prices (tou). Imports the standard library,
structlog and the core only.
"""

from hub.core.pricing.engine import TariffEngine
from hub.core.pricing.money import DEFAULT_ROUNDING, ROUNDING_MODES, RoundingPolicy, minor_unit, round_money
from hub.core.pricing.validation import validate_periods, validate_tariff

__all__ = [
    "DEFAULT_ROUNDING",
    "ROUNDING_MODES",
    "RoundingPolicy",
    "TariffEngine",
    "minor_unit",
    "round_money",
    "validate_periods",
    "validate_tariff",
]
