"""OCPI 2.2.1 Sessions (mod_sessions.asciidoc): core Session → wire dict and PATCH body, wire charging periods
→ core, the eMSP receiver's PATCH merge (SE-05), status normalisation (SE-07, SE-11) and `check_session`.

An adapter module: imports the core and the sibling `types` module only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    ChargingPeriod,
    Dimension,
    DimensionType,
    PartyRef,
    Session,
    SessionStatus,
    Token,
)
from ocpi_modules.v2_2_1.types import NOT_AVAILABLE, Checker, number, price, to_datetime, to_decimal

SESSION_STATUSES = frozenset(s.value for s in SessionStatus)
AUTH_METHODS = frozenset(a.value for a in AuthMethod)
DIMENSION_TYPES = frozenset(d.value for d in DimensionType)
TOKEN_TYPES = frozenset({"AD_HOC_USER", "APP_USER", "OTHER", "RFID"})
# SE-07/SE-11: statuses seen in the field, read as the nearest SessionStatus (and flagged by check_session)
SESSION_STATUS_ALIASES: dict[str, str] = {
    "RESERVED": "RESERVATION",
    "STOPPING": "ACTIVE",
    "CHARGING": "ACTIVE",
    "SUSPENDED": "ACTIVE",
    "FINISHED": "COMPLETED",
    "STOPPED": "COMPLETED",
}
CHARGING_PREFERENCES_PROFILES = frozenset({"CHEAP", "FAST", "GREEN", "REGULAR"})


# --- core → wire ----------------------------------------------------------------------------------------


def cdr_token(
    *,
    token: Token | None,
    uid: str,
    token_type: str,
    token_party: PartyRef | None,
    contract_id: str | None,
    fallback_party: PartyRef,
) -> dict[str, Any]:
    """A CdrToken (CD-06). The full Token wins when known; otherwise the session's copy of it (CM-09: unknown
    tokens are copied), with the uid standing in for a missing contract_id."""
    if token is not None:
        return {
            "country_code": token.party.country_code,
            "party_id": token.party.party_id,
            "uid": token.uid,
            "type": token.type.value,
            "contract_id": token.contract_id,
        }
    party = token_party or fallback_party
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "uid": uid,
        "type": token_type,
        "contract_id": contract_id or uid,
    }


def from_core_period(period: ChargingPeriod, *, exclude: Iterable[DimensionType] = ()) -> dict[str, Any]:
    skip = set(exclude)
    result: dict[str, Any] = {
        "start_date_time": period.start_date_time,
        "dimensions": [
            {"type": d.type.value, "volume": number(d.volume)}
            for d in period.dimensions
            if d.type not in skip
        ],
    }
    if period.tariff_id is not None:
        result["tariff_id"] = period.tariff_id
    return result


def from_core_session(session: Session, *, token: Token | None) -> dict[str, Any]:
    """A Session for the wire. `total_cost` is omitted while unknown (SE-10: absent is not free);
    location/EVSE/connector ids fall back to `#NA` only when truly unknown (an unassigned reservation)."""
    result: dict[str, Any] = {
        "country_code": session.party.country_code,
        "party_id": session.party.party_id,
        "id": session.id,
        "start_date_time": session.start,
    }
    if session.end is not None:
        result["end_date_time"] = session.end
    result["kwh"] = number(session.kwh)
    result["cdr_token"] = cdr_token(
        token=token,
        uid=session.token_uid,
        token_type=session.token_type.value,
        token_party=session.token_party,
        contract_id=session.contract_id,
        fallback_party=session.party,
    )
    result["auth_method"] = session.auth_method.value
    if session.authorization_reference is not None:
        result["authorization_reference"] = session.authorization_reference
    result["location_id"] = session.location_id or NOT_AVAILABLE
    result["evse_uid"] = session.evse_uid or NOT_AVAILABLE
    result["connector_id"] = session.connector_id or NOT_AVAILABLE
    result["currency"] = session.currency
    result["charging_periods"] = [from_core_period(p) for p in session.charging_periods]
    if session.total_cost is not None:
        result["total_cost"] = price(session.total_cost)
    result["status"] = session.status.value
    result["last_updated"] = session.last_updated
    return result


def session_patch(session: Session, *, periods_sent: int) -> dict[str, Any]:
    """The PATCH body after `periods_sent` charging periods already reached the receiver: the changing fields
    and only the new periods (SE-05 appends them). `start_date_time` rides along because it moves on
    activation (SE-08); `end_date_time` once known."""
    result: dict[str, Any] = {"start_date_time": session.start}
    if session.end is not None:
        result["end_date_time"] = session.end
    result["kwh"] = number(session.kwh)
    result["status"] = session.status.value
    if session.total_cost is not None:
        result["total_cost"] = price(session.total_cost)
    new_periods = session.charging_periods[max(periods_sent, 0) :]
    if new_periods:
        result["charging_periods"] = [from_core_period(p) for p in new_periods]
    result["last_updated"] = session.last_updated
    return result


# --- wire → core ----------------------------------------------------------------------------------------


def _dimension(raw: Any, where: str) -> Dimension:
    if not isinstance(raw, dict):
        raise InvalidRequestError(f"{where}: expected a JSON object", field=where)
    kind = raw.get("type")
    try:
        # enum values compare case-insensitively on the way in (§22.6)
        dimension_type = DimensionType(kind.strip().upper() if isinstance(kind, str) else "")
    except ValueError:
        raise InvalidRequestError(
            f"{where}.type: unknown dimension {kind!r}", field=f"{where}.type"
        ) from None
    return Dimension(type=dimension_type, volume=to_decimal(raw.get("volume"), f"{where}.volume"))


def to_core_periods(raw: Any, field: str = "charging_periods") -> tuple[ChargingPeriod, ...]:
    """Wire ChargingPeriods as core periods, in the order given (ordering and volumes are the pricing
    validation's business). Absent (None) is no periods (SE-04); errors name the field, e.g.
    `charging_periods[2].dimensions[0].volume: not a number: 'x'`."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidRequestError(f"{field}: expected a list", field=field)
    periods = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequestError(f"{where}: expected a JSON object", field=where)
        start = to_datetime(item.get("start_date_time"), f"{where}.start_date_time")
        dimensions = item.get("dimensions")
        if not isinstance(dimensions, list):
            raise InvalidRequestError(f"{where}.dimensions: expected a list", field=f"{where}.dimensions")
        tariff_id = item.get("tariff_id")
        if tariff_id is not None and not isinstance(tariff_id, str):
            raise InvalidRequestError(f"{where}.tariff_id: not a string", field=f"{where}.tariff_id")
        periods.append(
            ChargingPeriod(
                start_date_time=start,
                dimensions=tuple(_dimension(d, f"{where}.dimensions[{j}]") for j, d in enumerate(dimensions)),
                tariff_id=tariff_id,
            )
        )
    return tuple(periods)


# --- the eMSP receiver's stored wire dicts --------------------------------------------------------------

_SESSION_KEYS = ("country_code", "party_id", "id")


def merge_session(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a Session PATCH to the stored wire dict (SE-05): `charging_periods` are appended (omitted or
    empty leaves them), every other field present replaces the stored one, identifiers never change. Raises
    InvalidRequestError when the PATCH lacks `last_updated` (CO-06)."""
    if not isinstance(patch, dict):
        raise InvalidRequestError("expected a JSON object", field="body")
    if patch.get("last_updated") is None:
        raise InvalidRequestError("last_updated: a PATCH must carry last_updated", field="last_updated")
    periods = patch.get("charging_periods")
    if periods is not None and not isinstance(periods, list):
        raise InvalidRequestError("charging_periods: expected a list", field="charging_periods")
    merged = copy.deepcopy(stored)
    for name, value in patch.items():
        if name in _SESSION_KEYS or name == "charging_periods":
            continue
        merged[name] = copy.deepcopy(value)
    if periods:
        existing = merged.get("charging_periods")
        merged["charging_periods"] = [
            *(existing if isinstance(existing, list) else []),
            *copy.deepcopy(periods),
        ]
    return merged


def normalise_session_status(value: Any) -> str:
    """The SessionStatus to act on: case-insensitive, `RESERVED` → `RESERVATION` (SE-07), known vendor values
    mapped (SE-11). Unknown values come back unchanged so `check_session` flags them."""
    if not isinstance(value, str):
        return str(value)
    canonical = value.strip().upper()
    if canonical in SESSION_STATUSES:
        return canonical
    return SESSION_STATUS_ALIASES.get(canonical, value)


# --- validation -----------------------------------------------------------------------------------------


def check_cdr_token(checker: Checker, data: Any, path: str) -> None:
    if not checker.is_object(data, path):
        return
    checker.party(data, path)
    checker.required(data, path, "uid", "type", "contract_id")
    checker.cistring(data, path, "uid", 36)
    checker.enum(data, path, "type", TOKEN_TYPES)
    checker.cistring(data, path, "contract_id", 36)


def check_charging_periods(
    checker: Checker, data: dict[str, Any], prefix: str, *, forbidden: Iterable[str] = ()
) -> None:
    banned = set(forbidden)
    for path, period in checker.objects(data, prefix, "charging_periods"):
        checker.required(period, path, "start_date_time", "dimensions")
        checker.datetime(period, path, "start_date_time")
        checker.cistring(period, path, "tariff_id", 36)
        dimensions = checker.objects(period, path, "dimensions")
        if isinstance(period.get("dimensions"), list) and not period["dimensions"]:
            checker.add(f"{path}.dimensions", "at least one dimension required")
        for dim_path, dimension in dimensions:
            checker.required(dimension, dim_path, "type", "volume")
            checker.enum(dimension, dim_path, "type", DIMENSION_TYPES)
            checker.number(dimension, dim_path, "volume")
            if isinstance(dimension.get("type"), str) and dimension["type"] in banned:
                checker.add(f"{dim_path}.type", f"{dimension['type']} is a session-only dimension (CD-08)")


def check_session(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound Session (SE-06, SE-07, §20) as `path: problem` strings; never raises."""
    checker = Checker()
    if not checker.is_object(data, "session"):
        return checker.problems
    checker.party(data)
    checker.required(
        data,
        "",
        "id",
        "start_date_time",
        "kwh",
        "cdr_token",
        "auth_method",
        "location_id",
        "evse_uid",
        "connector_id",
        "currency",
        "status",
        "last_updated",
    )
    checker.cistring(data, "", "id", 36)
    for name in ("start_date_time", "end_date_time", "last_updated"):
        checker.datetime(data, "", name)
    checker.number(data, "", "kwh")
    if data.get("cdr_token") is not None:
        check_cdr_token(checker, data["cdr_token"], "cdr_token")
    checker.enum(data, "", "auth_method", AUTH_METHODS)
    checker.cistring(data, "", "authorization_reference", 36)
    checker.cistring(data, "", "location_id", 36)
    checker.cistring(data, "", "evse_uid", 36)
    checker.cistring(data, "", "connector_id", 36)
    checker.string(data, "", "meter_id", 255)
    checker.string(data, "", "currency", 3)
    check_charging_periods(checker, data, "")
    checker.price(data, "", "total_cost")
    status = data.get("status")
    if status is not None and not (isinstance(status, str) and status in SESSION_STATUSES):
        read_as = normalise_session_status(status)
        if read_as in SESSION_STATUSES:
            checker.add("status", f"not a valid value: {status!r} (read as {read_as})")
        else:
            checker.add("status", f"not a valid value: {status!r}")
    return checker.problems
