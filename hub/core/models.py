"""Protocol-neutral models of the charge-point core: parties, locations, stations, tokens, sessions,
CDRs, tariffs, commands, alarms and outbox messages.

Imports the standard library and pydantic only. Money and energy are Decimal, times aware UTC.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CoreModel(BaseModel):
    """Frozen, strict-by-default base: change a model with `model_copy(update=...)`."""

    # Every datetime field is annotated `AwareDatetime`: naive values are a programming error, refused by
    # pydantic's own (compiled) check rather than by a Python validator run on every field of every model.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NSP = "NSP"
    NAP = "NAP"
    SCSP = "SCSP"
    OTHER = "OTHER"


class PartyProtocol(StrEnum):
    LOCAL = "local"  # run on this hub (our CPO for OCPP stations, our eMSP)
    OCPI = "ocpi"
    INTERCONNECT = "interconnect"


class PartyRef(CoreModel):
    """A party's identity across protocols: ISO country code plus party id (`NL*CPO`)."""

    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)

    @classmethod
    def parse(cls, text: str) -> PartyRef:
        """Parse `CC*PID` (also `CC-PID`), keeping the original case."""
        for sep in ("*", "-"):
            if sep in text:
                cc, pid = text.split(sep, 1)
                return cls(country_code=cc, party_id=pid)
        raise ValueError(f"party {text!r} is not of the form CC*PID")

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"

    def key(self) -> str:
        """Case-insensitive lookup key."""
        return f"{self.country_code}*{self.party_id}".upper()


class Party(CoreModel):
    ref: PartyRef
    role: Role
    name: str
    protocol: PartyProtocol = PartyProtocol.LOCAL
    last_updated: AwareDatetime


# --- Locations, EVSEs, connectors -------------------------------------------------------------


class EvseStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class Capability(StrEnum):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"  # noqa: S105 - a capability name, not a secret
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class PowerType(StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Connector(CoreModel):
    id: str  # OCPI connector id; for OCPP stations the station's connector number as text
    standard: str = "IEC_62196_T2"  # OCPI ConnectorType
    format: ConnectorFormat = ConnectorFormat.SOCKET
    power_type: PowerType = PowerType.AC_3_PHASE
    max_voltage: int = 230
    max_amperage: int = 32
    max_electric_power: int | None = None
    tariff_ids: tuple[str, ...] = ()
    last_updated: AwareDatetime


class Evse(CoreModel):
    uid: str  # unique within the CPO; `{station_id}*{evse_no}` for OCPP stations
    evse_id: str | None = None  # eMI3 EVSE ID, e.g. NL*CPO*ECP001*1
    status: EvseStatus = EvseStatus.UNKNOWN
    capabilities: tuple[Capability, ...] = ()
    connectors: tuple[Connector, ...] = ()
    station_id: str | None = None  # the OCPP identity that drives this EVSE
    station_evse_no: int | None = None  # OCPP 1.6 connectorId / 2.0.1 evseId
    last_updated: AwareDatetime


class Location(CoreModel):
    id: str
    party: PartyRef
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    country: str = Field(min_length=3, max_length=3)  # ISO 3166-1 alpha-3
    latitude: Decimal
    longitude: Decimal
    time_zone: str = "UTC"
    publish: bool = True
    evses: tuple[Evse, ...] = ()
    last_updated: AwareDatetime

    def evse(self, uid: str) -> Evse | None:
        return next((e for e in self.evses if e.uid.lower() == uid.lower()), None)


# --- Stations (OCPP identities) ---------------------------------------------------------------


class BootStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class Station(CoreModel):
    id: str  # the OCPP identity (last path segment of the websocket URL)
    party: PartyRef
    location_id: str | None = None
    tariff_id: str | None = None
    password_hash: str | None = None  # never the password itself
    protocol: str | None = None  # negotiated subprotocol, as the adapter names it
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_status: BootStatus | None = None  # None until a BootNotification was answered
    connected: bool = False
    last_boot: AwareDatetime | None = None
    last_seen: AwareDatetime | None = None
    registered: bool = False  # configured by the operator (False: accepted as unknown)
    last_updated: AwareDatetime


class ConnectorState(StrEnum):
    """Station-side connector state, the union of OCPP 1.6 and 2.0.1 values (mapped in the adapter)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    OCCUPIED = "Occupied"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


# --- Tokens and authorization -----------------------------------------------------------------


class TokenType(StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class Token(CoreModel):
    uid: str
    party: PartyRef  # the eMSP that issued it
    type: TokenType = TokenType.RFID
    contract_id: str
    visual_number: str | None = None
    issuer: str = ""
    group_id: str | None = None
    valid: bool = True
    whitelist: WhitelistType = WhitelistType.ALLOWED
    language: str | None = None
    own: bool = False  # issued by one of the parties run on this hub
    last_updated: AwareDatetime


class AuthorizationStatus(StrEnum):
    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"
    UNKNOWN = "UNKNOWN"  # the hub does not know the token at all


class AuthorizationDecision(CoreModel):
    status: AuthorizationStatus
    token: Token | None = None
    authorization_reference: str | None = None
    expires_at: AwareDatetime | None = None
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status is AuthorizationStatus.ALLOWED


# --- Sessions, charging periods, CDRs ---------------------------------------------------------


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


class CdrCost(CoreModel):
    """Totals of a priced CDR. `*_incl_vat` is None when the tariff gave no VAT (absent is not zero)."""

    currency: str
    total_excl_vat: Decimal
    total_incl_vat: Decimal | None = None
    fixed_excl_vat: Decimal = Decimal(0)
    energy_excl_vat: Decimal = Decimal(0)
    time_excl_vat: Decimal = Decimal(0)
    parking_excl_vat: Decimal = Decimal(0)
    reservation_excl_vat: Decimal = Decimal(0)
    total_energy_kwh: Decimal = Decimal(0)
    total_time_hours: Decimal = Decimal(0)
    total_parking_time_hours: Decimal = Decimal(0)


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


# --- Tariffs ----------------------------------------------------------------------------------


class PriceComponentType(StrEnum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class PriceComponent(CoreModel):
    type: PriceComponentType
    price: Decimal = Field(ge=0)
    vat: Decimal | None = None
    step_size: int = Field(default=1, ge=1)


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
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None
    source: dict[str, Any] | None = None  # the tariff as its publisher wrote it (OCPI JSON), kept verbatim
    last_updated: AwareDatetime


# --- Commands ---------------------------------------------------------------------------------


class CommandType(StrEnum):
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"
    RESERVE_NOW = "RESERVE_NOW"
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    SET_CHARGING_LIMIT = "SET_CHARGING_LIMIT"


class CommandResultType(StrEnum):
    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class Command(CoreModel):
    id: str
    type: CommandType
    requester: PartyRef | None = None  # who asked (an eMSP); None for the operator
    station_id: str
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    session_id: str | None = None
    token_uid: str | None = None
    token_party: PartyRef | None = None
    authorization_reference: str | None = None
    reservation_id: str | None = None  # the requester's reservation id (text)
    station_reservation_id: int | None = None  # the integer the station knows
    remote_start_id: int | None = None
    expiry: AwareDatetime | None = None
    limit: Decimal | None = None  # SET_CHARGING_LIMIT: watts or amperes per `limit_unit`
    limit_unit: str | None = None  # "W" or "A"
    reply_to: str | None = None  # opaque address for the asynchronous result (e.g. OCPI response_url)
    result: CommandResultType | None = None  # None while the station has not answered
    message: str | None = None
    created: AwareDatetime
    last_updated: AwareDatetime


class StationCommandReply(CoreModel):
    """What a station answered to a command, mapped to the neutral result by the adapter."""

    result: CommandResultType
    message: str | None = None
    data: dict[str, Any] | None = None


# --- Alarms, station notifications, outbox ----------------------------------------------------


class Alarm(CoreModel):
    """A station alarm (告警): a fault code on a station or one of its EVSEs, open until `ended`."""

    id: str
    station_id: str
    evse_uid: str | None = None
    code: str
    description: str | None = None
    severity: str = "fault"
    started: AwareDatetime
    ended: AwareDatetime | None = None
    last_updated: AwareDatetime


class StationNotification(CoreModel):
    """Recorded station-side facts the core does not act on (firmware, diagnostics, logs, security events,
    NotifyEvent, DataTransfer)."""

    id: str
    station_id: str
    kind: str
    timestamp: AwareDatetime
    payload: dict[str, Any]


class OutboxMessage(CoreModel):
    """Something a partner must be told, written in the same transaction as the state it reports.

    `topic` names the kind (e.g. `session.updated`), `key` orders delivery (one key is delivered in
    order), `target` names the receiving party or adapter route."""

    id: int | None = None
    topic: str
    key: str
    target: str | None = None
    payload: dict[str, Any]
    created: AwareDatetime
    attempts: int = 0
    next_attempt_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    last_error: str | None = None
