"""OCPI 2.2.1 ChargingProfiles (mod_charging_profiles.asciidoc): the SetChargingProfile request, the limit
the core applies (CP-05), the synchronous ChargingProfileResponse and the asynchronous results (CP-02, CP-03).

An adapter module: imports pydantic, the core and the sibling `types` module only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from hub.core.errors import InvalidRequestError
from hub.core.models import CommandResultType
from ocpi_modules.v2_2_1.types import number, to_datetime, to_decimal

CHARGING_PROFILE_RESPONSE_TYPES = frozenset(
    {"ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TOO_OFTEN", "UNKNOWN_SESSION"}
)
CHARGING_PROFILE_RESULT_TYPES = frozenset({"ACCEPTED", "REJECTED", "UNKNOWN"})
CHARGING_RATE_UNITS = frozenset({"W", "A"})


class SetChargingProfile(BaseModel):
    """PUT body (CP-01); unknown fields kept. The profile stays a dict: `to_core_limit` reads it."""

    model_config = ConfigDict(extra="allow")

    charging_profile: dict[str, Any]
    response_url: str


def to_core_limit(profile: dict[str, Any]) -> tuple[Decimal, str]:
    """The first period's limit and its unit (W = total power, A = per phase; CP-05). Raises
    InvalidRequestError naming the field when the profile has no usable unit or period."""
    if not isinstance(profile, dict):
        raise InvalidRequestError("charging_profile: expected a JSON object", field="charging_profile")
    unit = profile.get("charging_rate_unit")
    unit = unit.upper() if isinstance(unit, str) else unit
    if unit not in CHARGING_RATE_UNITS:
        raise InvalidRequestError(
            f"charging_profile.charging_rate_unit: expected W or A, got {unit!r}",
            field="charging_profile.charging_rate_unit",
        )
    periods = profile.get("charging_profile_period")
    field = "charging_profile.charging_profile_period"
    if not isinstance(periods, list) or not periods:
        raise InvalidRequestError(f"{field}: at least one period required", field=field)
    usable = [p for p in periods if isinstance(p, dict)]
    if len(usable) != len(periods):
        raise InvalidRequestError(f"{field}: expected JSON objects", field=field)
    first = min(usable, key=lambda p: _start_period(p, field))
    limit = to_decimal(first.get("limit"), f"{field}[0].limit")
    if limit < 0:
        raise InvalidRequestError(f"{field}[0].limit: must not be negative", field=f"{field}[0].limit")
    return limit, str(unit)


def _start_period(period: dict[str, Any], field: str) -> Decimal:
    value = period.get("start_period", 0)
    return to_decimal(value, f"{field}.start_period")


def charging_profile_response(result: str, timeout: int) -> dict[str, Any]:
    """A ChargingProfileResponse (CP-02); raises ValueError for a result outside its type."""
    value = str(result)
    if value not in CHARGING_PROFILE_RESPONSE_TYPES:
        raise ValueError(f"not a ChargingProfileResponseType: {value!r}")
    return {"result": value, "timeout": int(timeout)}


def profile_result(result: str | CommandResultType, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """ActiveChargingProfileResult (with `profile`), ChargingProfileResult or ClearProfileResult (CP-03).

    A core CommandResultType is folded into ChargingProfileResultType: ACCEPTED stays, an unknown
    session/reservation is UNKNOWN, every other failure is REJECTED."""
    value = str(result)
    if value not in CHARGING_PROFILE_RESULT_TYPES:
        unknown = {CommandResultType.UNKNOWN_SESSION.value, CommandResultType.UNKNOWN_RESERVATION.value}
        value = "UNKNOWN" if value in unknown else "REJECTED"
    body: dict[str, Any] = {"result": value}
    if profile is not None:
        body["profile"] = profile
    return body


def from_core_schedule(data: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The gateway's neutral composite schedule `{"start", "unit", "duration_s"?, "periods": [{"start_s",
    "limit"}]}` as an ActiveChargingProfile; `now` stands in for a schedule without a start. Limits carry
    one decimal (CP-05)."""
    start = data.get("start")
    start_at = to_datetime(start, "start") if start is not None else now
    if start_at is None:
        raise InvalidRequestError("start: the schedule has no start time", field="start")
    unit = str(data.get("unit", "W")).upper()
    profile: dict[str, Any] = {"start_date_time": start_at}
    if data.get("duration_s") is not None:
        profile["duration"] = int(data["duration_s"])
    profile["charging_rate_unit"] = unit
    profile["charging_profile_period"] = [
        {
            "start_period": int(period.get("start_s", 0)),
            "limit": number(to_decimal(period.get("limit"), "periods.limit"), 1),
        }
        for period in data.get("periods") or ()
    ]
    return {"start_date_time": start_at, "charging_profile": profile}
