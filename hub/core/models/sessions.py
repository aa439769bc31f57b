"""Sessions, charging periods, meter samples and CDRs.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel, PartyRef
from hub.core.models.tokens import TokenType


class SessionStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    RESERVATION = "RESERVATION"


class AuthMethod(StrEnum):
    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class DimensionType(StrEnum):
    """OCPI CdrDimensionType, the names the whole core uses for measured quantities."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class Dimension(CoreModel):
    type: DimensionType
    volume: Decimal


class ChargingPeriod(CoreModel):
    start_date_time: AwareDatetime
    dimensions: tuple[Dimension, ...]
    tariff_id: str | None = None


class MeterSample(CoreModel):
    """One sampled value from a station, normalised: energy in kWh, power in W, current in A."""

    timestamp: AwareDatetime
    measurand: str = "Energy.Active.Import.Register"
    value: Decimal
    unit: str = "kWh"
    phase: str | None = None
    context: str | None = None


class Session(CoreModel):
    id: str  # OCPI session id (UUID), never the OCPP transaction id
    party: PartyRef  # the CPO
    status: SessionStatus
    start: AwareDatetime
    end: AwareDatetime | None = None
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    station_id: str | None = None
    transaction_id: str | None = None  # as the station knows it (1.6 integer as text, 2.0.1 string)
    token_uid: str
    token_party: PartyRef | None = None  # the eMSP that owns the token
    token_type: TokenType = TokenType.RFID
    contract_id: str | None = None
    auth_method: AuthMethod = AuthMethod.WHITELIST
    authorization_reference: str | None = None
    meter_start_wh: Decimal | None = None
    meter_last_wh: Decimal | None = None
    kwh: Decimal = Decimal(0)
    charging_periods: tuple[ChargingPeriod, ...] = ()
    currency: str = "EUR"
    tariff_id: str | None = None
    total_cost: Decimal | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    last_seq_no: int | None = None  # 2.0.1 TransactionEvent seqNo seen so far (highest)
    offline: bool = False  # any part was reported after the fact
    reconstructed: bool = False  # built from Stop data because the start was never seen
    stop_reason: str | None = None
    idempotency_key: str | None = None
    last_updated: AwareDatetime


class CostDimension(StrEnum):
    """What a cost line bills: the OCPI tariff dimensions, with reservation time and fees apart."""

    FLAT = "FLAT"
    ENERGY = "ENERGY"
    TIME = "TIME"
    PARKING_TIME = "PARKING_TIME"
    RESERVATION_FLAT = "RESERVATION_FLAT"
    RESERVATION_TIME = "RESERVATION_TIME"


class CostLine(CoreModel):
    """One line of a priced CDR: a run of consecutive periods billed by the same price component.

    `consumed` and `billed` are in the component's unit (kWh, hours, 1 for a fee); `billed` includes the
    step_size surplus, which OCPI bills on the dimension's last line. `amount_excl_vat` is rounded per the
    rounding policy; `amount_incl_vat` is `amount_excl_vat` plus `vat` %, unrounded (totals round once),
    None when no VAT applies."""

    dimension: CostDimension
    element: int  # index in the tariff's elements
    price: Decimal  # per unit, excl. VAT
    vat: Decimal | None = None
    start: AwareDatetime
    end: AwareDatetime
    consumed: Decimal
    billed: Decimal
    amount_excl_vat: Decimal
    amount_incl_vat: Decimal | None = None
    service_price: Decimal | None = None  # ENERGY: the service-fee part of `price` (互联互通)


class CdrCost(CoreModel):
    """Totals of a priced CDR. `*_incl_vat` is None when no priced component carries VAT (absent is not
    zero); sub-totals are before, `total_*` after the tariff's min/max price (`clamped` names which)."""

    currency: str
    total_excl_vat: Decimal
    total_incl_vat: Decimal | None = None
    fixed_excl_vat: Decimal = Decimal(0)
    energy_excl_vat: Decimal = Decimal(0)
    time_excl_vat: Decimal = Decimal(0)
    parking_excl_vat: Decimal = Decimal(0)
    reservation_excl_vat: Decimal = Decimal(0)
    fixed_incl_vat: Decimal | None = None
    energy_incl_vat: Decimal | None = None
    time_incl_vat: Decimal | None = None
    parking_incl_vat: Decimal | None = None
    reservation_incl_vat: Decimal | None = None
    total_energy_kwh: Decimal = Decimal(0)
    total_time_hours: Decimal = Decimal(0)  # charging + parking (OCPI total_time)
    total_parking_time_hours: Decimal = Decimal(0)
    total_reservation_time_hours: Decimal = Decimal(0)
    clamped: str | None = None  # "min_price" or "max_price" when that bound set the total
    lines: tuple[CostLine, ...] = ()


class PricedSession(CoreModel):
    """What the tariff engine returns: the cost, and the charging periods split at every moment that
    changes cost (OCPI CD-09), each naming the tariff that priced it."""

    cost: CdrCost
    periods: tuple[ChargingPeriod, ...]


class Cdr(CoreModel):
    id: str
    party: PartyRef  # the CPO that issued it
    session_id: str
    start: AwareDatetime
    end: AwareDatetime
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    station_id: str | None = None
    token_uid: str
    token_party: PartyRef | None = None
    token_type: TokenType = TokenType.RFID
    contract_id: str | None = None
    auth_method: AuthMethod = AuthMethod.WHITELIST
    authorization_reference: str | None = None
    tariff_id: str | None = None
    cost: CdrCost
    charging_periods: tuple[ChargingPeriod, ...] = ()
    credit: bool = False
    credit_reference_id: str | None = None
    remark: str | None = None
    last_updated: AwareDatetime
