"""Locations → EVSEs → connectors, with status and capabilities.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, Field

from hub.core.models.base import CoreModel, PartyRef


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
