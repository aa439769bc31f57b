"""Stations (OCPP identities) and their connector states.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel, PartyRef


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
