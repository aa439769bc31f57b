"""Tariffs: elements and price components (restrictions are read by the pricing engine).

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from hub.core.models.base import CoreModel, PartyRef


class PriceComponentType(StrEnum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class PriceComponent(CoreModel):
    """One price of an element. `price` is per unit, excl. VAT (kWh, hour, or once for FLAT); `vat` is a
    percentage, None when no VAT applies (not 0 %). `step_size` is in Wh or seconds; 0 means no rounding
    (OCPI's free-of-charge example). `service_price`, for ENERGY only, is the part of `price` that is a
    service fee (互联互通 SevicePrice); the rest is electricity (ElecPrice)."""

    type: PriceComponentType
    price: Decimal = Field(ge=0)
    vat: Decimal | None = Field(default=None, ge=0)
    step_size: int = Field(default=1, ge=0)
    service_price: Decimal | None = Field(default=None, ge=0)


class TariffElement(CoreModel):
    price_components: tuple[PriceComponent, ...] = Field(min_length=1)
    restrictions: dict[str, Any] | None = None  # OCPI TariffRestrictions, interpreted by the tariff engine


class Tariff(CoreModel):
    id: str
    party: PartyRef
    currency: str = Field(min_length=3, max_length=3)
    elements: tuple[TariffElement, ...] = Field(min_length=1)
    type: str | None = None
    min_price_excl_vat: Decimal | None = None
    max_price_excl_vat: Decimal | None = None
    min_price_incl_vat: Decimal | None = None
    max_price_incl_vat: Decimal | None = None
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None
    source: dict[str, Any] | None = None  # the tariff as its publisher wrote it (OCPI JSON), kept verbatim
    last_updated: AwareDatetime
