"""Commands to stations and their results.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, field_validator

from hub.core.models.base import CoreModel, PartyRef


class CommandType(StrEnum):
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"
    RESERVE_NOW = "RESERVE_NOW"
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    SET_CHARGING_LIMIT = "SET_CHARGING_LIMIT"
    CLEAR_CHARGING_LIMIT = "CLEAR_CHARGING_LIMIT"  # removes the profile SET_CHARGING_LIMIT sent
    GET_CHARGING_SCHEDULE = "GET_CHARGING_SCHEDULE"  # the station's composite schedule, kept in `data`


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
    # JSON-ready extras: the station's reply data (GET_CHARGING_SCHEDULE: {"start", "unit", "duration_s"?,
    # "periods": [{"start_s", "limit"}]}) and, for SET_CHARGING_LIMIT, {"profile_id": int} as sent.
    data: dict[str, Any] | None = None
    reply_to: str | None = None  # opaque address for the asynchronous result (e.g. OCPI response_url)
    result: CommandResultType | None = None  # None while the station has not answered
    message: str | None = None
    created: AwareDatetime
    last_updated: AwareDatetime

    @field_validator("data", mode="after")
    @classmethod
    def _plain_data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return plain_data(value)


def plain_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """`data` as JSON-ready values (Decimal and datetime as strings): it reads back from storage unchanged."""
    if data is None:
        return None
    plain: dict[str, Any] = _JSON_OBJECT.dump_python(data, mode="json")
    return plain


_JSON_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


class StationCommandReply(CoreModel):
    """What a station answered to a command, mapped to the neutral result by the adapter."""

    result: CommandResultType
    message: str | None = None
    data: dict[str, Any] | None = None
