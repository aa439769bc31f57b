"""Protocol-neutral models of the charge-point core: parties, locations, stations, tokens, sessions,
CDRs, tariffs, commands, alarms, outbox messages, partner platforms and partner records (one module per
subject, all re-exported here).

Imports the standard library and pydantic only. Money and energy are Decimal, times aware UTC.
"""

from hub.core.models.base import (
    CoreModel,
    Party,
    PartyProtocol,
    PartyRef,
    Role,
    trusted,
)
from hub.core.models.commands import (
    Command,
    CommandResultType,
    CommandType,
    StationCommandReply,
)
from hub.core.models.locations import (
    Capability,
    Connector,
    ConnectorFormat,
    Evse,
    EvseStatus,
    Location,
    PowerType,
)
from hub.core.models.platforms import (
    Endpoint,
    PartnerRecord,
    Platform,
    PlatformRole,
    PlatformStatus,
)
from hub.core.models.rating import CdrRating
from hub.core.models.records import (
    Alarm,
    OutboxMessage,
    StationNotification,
)
from hub.core.models.sessions import (
    AuthMethod,
    Cdr,
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    MeterSample,
    PricedSession,
    Session,
    SessionStatus,
)
from hub.core.models.stations import (
    BootStatus,
    ConnectorState,
    Station,
)
from hub.core.models.tariffs import (
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.models.tokens import (
    AuthorizationDecision,
    AuthorizationStatus,
    Token,
    TokenType,
    WhitelistType,
)

__all__ = [
    "Alarm",
    "AuthMethod",
    "AuthorizationDecision",
    "AuthorizationStatus",
    "BootStatus",
    "Capability",
    "Cdr",
    "CdrCost",
    "CdrRating",
    "ChargingPeriod",
    "Command",
    "CommandResultType",
    "CommandType",
    "Connector",
    "ConnectorFormat",
    "ConnectorState",
    "CoreModel",
    "CostDimension",
    "CostLine",
    "Dimension",
    "DimensionType",
    "Endpoint",
    "Evse",
    "EvseStatus",
    "Location",
    "MeterSample",
    "OutboxMessage",
    "PartnerRecord",
    "Party",
    "PartyProtocol",
    "PartyRef",
    "Platform",
    "PlatformRole",
    "PlatformStatus",
    "PowerType",
    "PriceComponent",
    "PriceComponentType",
    "PricedSession",
    "Role",
    "Session",
    "SessionStatus",
    "Station",
    "StationCommandReply",
    "StationNotification",
    "Tariff",
    "TariffElement",
    "Token",
    "TokenType",
    "WhitelistType",
    "trusted",
]
