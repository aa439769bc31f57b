"""What our eMSP received from partner CPOs, as the core's view of remote CPOs (`hub.core.remote`): a stored
Location or Session wire dict → core model, a stored command (emsp.commands) → `RemoteCommand`.

Lenient where the core does not care (§22: store, flag, forward — `check_location` / `check_session` report
the defects when the object arrives): unknown enum values read as the neutral default, unknown capabilities
are left out. What the core cannot do without raises InvalidRequestError naming the field.

An adapter module: imports the core and the sibling OCPI 2.2.1 modules only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    Capability,
    CommandResultType,
    CommandType,
    Connector,
    ConnectorFormat,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    PowerType,
    Session,
    SessionStatus,
    TokenType,
)
from hub.core.models.remote import RemoteCommand
from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.v2_2_1.sessions import normalise_session_status, to_core_periods
from ocpi_modules.v2_2_1.types import to_datetime, to_decimal

_CAPABILITIES = {c.value: c for c in Capability}
_RESULTS = {r.value: r for r in CommandResultType}
_ENDED = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})


def _text(data: dict[str, Any], key: str, prefix: str = "", *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InvalidRequestError(f"{prefix}{key}: missing", field=f"{prefix}{key}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidRequestError(f"{prefix}{key}: not a string", field=f"{prefix}{key}")
    return str(value)


def _int(data: dict[str, Any], key: str, prefix: str, default: int | None) -> int | None:
    value = data.get(key)
    if value is None:
        return default
    number = to_decimal(value, f"{prefix}{key}")
    return int(number)


def _enum(enum: Any, value: Any, default: Any) -> Any:
    try:
        return enum(str(value).strip().upper())
    except ValueError:
        return default


def _stamp(data: dict[str, Any], prefix: str, default: datetime) -> datetime:
    value = data.get("last_updated")
    return default if value is None else to_datetime(value, f"{prefix}last_updated")


def _connector(data: Any, where: str, default: datetime) -> Connector:
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{where}: expected a JSON object", field=where)
    prefix = f"{where}."
    tariff_ids = data.get("tariff_ids")
    return Connector(
        id=_text(data, "id", prefix, required=True) or "",
        standard=_text(data, "standard", prefix) or "IEC_62196_T2",
        format=_enum(ConnectorFormat, data.get("format"), ConnectorFormat.SOCKET),
        power_type=_enum(PowerType, data.get("power_type"), PowerType.AC_3_PHASE),
        max_voltage=_int(data, "max_voltage", prefix, 230) or 0,
        max_amperage=_int(data, "max_amperage", prefix, 32) or 0,
        max_electric_power=_int(data, "max_electric_power", prefix, None),
        tariff_ids=tuple(str(t) for t in tariff_ids) if isinstance(tariff_ids, list) else (),
        last_updated=_stamp(data, prefix, default),
    )


def _evse(data: Any, where: str, default: datetime) -> Evse:
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{where}: expected a JSON object", field=where)
    prefix = f"{where}."
    stamp = _stamp(data, prefix, default)
    connectors = data.get("connectors")
    capabilities = data.get("capabilities")
    return Evse(
        uid=_text(data, "uid", prefix, required=True) or "",
        evse_id=_text(data, "evse_id", prefix),
        status=_enum(EvseStatus, data.get("status"), EvseStatus.UNKNOWN),
        capabilities=tuple(
            _CAPABILITIES[c]
            for c in (capabilities if isinstance(capabilities, list) else ())
            if c in _CAPABILITIES
        ),
        connectors=tuple(
            _connector(c, f"{prefix}connectors[{i}]", stamp)
            for i, c in enumerate(connectors if isinstance(connectors, list) else ())
        ),
        last_updated=stamp,
    )


def to_core_location(data: dict[str, Any], party: PartyRef) -> Location:
    """A partner CPO's Location as stored by our eMSP, owned by `party` (the record's owner). Its EVSEs are
    driven by no station of this hub."""
    if not isinstance(data, dict):
        raise InvalidRequestError("location: expected a JSON object", field="location")
    stamp = to_datetime(data.get("last_updated"), "last_updated")
    coordinates = data.get("coordinates")
    if not isinstance(coordinates, dict):
        raise InvalidRequestError("coordinates: missing", field="coordinates")
    evses = data.get("evses")
    country = _text(data, "country") or ""
    if len(country) != 3:
        raise InvalidRequestError(f"country: not ISO 3166-1 alpha-3: {country!r}", field="country")
    return Location(
        id=_text(data, "id", required=True) or "",
        party=party,
        name=_text(data, "name"),
        address=_text(data, "address") or "",
        city=_text(data, "city") or "",
        postal_code=_text(data, "postal_code"),
        country=country,
        latitude=to_decimal(coordinates.get("latitude"), "coordinates.latitude"),
        longitude=to_decimal(coordinates.get("longitude"), "coordinates.longitude"),
        time_zone=_text(data, "time_zone") or "UTC",
        publish=data.get("publish") is not False,
        evses=tuple(
            _evse(e, f"evses[{i}]", stamp) for i, e in enumerate(evses if isinstance(evses, list) else ())
        ),
        last_updated=stamp,
    )


def to_core_session(data: dict[str, Any], party: PartyRef) -> Session:
    """A partner CPO's Session as stored by our eMSP. A COMPLETED or INVALID session without
    `end_date_time` ends at its `last_updated` (the core reads `end` as "over")."""
    if not isinstance(data, dict):
        raise InvalidRequestError("session: expected a JSON object", field="session")
    status = _enum(SessionStatus, normalise_session_status(data.get("status")), SessionStatus.ACTIVE)
    stamp = to_datetime(data.get("last_updated"), "last_updated")
    end_text = data.get("end_date_time")
    end = to_datetime(end_text, "end_date_time") if end_text is not None else None
    if end is None and status in _ENDED:
        end = stamp
    token = data.get("cdr_token")
    token = token if isinstance(token, dict) else {}
    token_party = None
    if isinstance(token.get("country_code"), str) and isinstance(token.get("party_id"), str):
        try:
            token_party = PartyRef(country_code=token["country_code"], party_id=token["party_id"])
        except ValueError:
            token_party = None
    total = data.get("total_cost")
    currency = _text(data, "currency") or "EUR"
    return Session(
        id=_text(data, "id", required=True) or "",
        party=party,
        status=status,
        start=to_datetime(data.get("start_date_time"), "start_date_time"),
        end=end,
        location_id=_text(data, "location_id"),
        evse_uid=_text(data, "evse_uid"),
        connector_id=_text(data, "connector_id"),
        token_uid=_text(token, "uid", "cdr_token.", required=True) or "",
        token_party=token_party,
        token_type=_enum(TokenType, token.get("type"), TokenType.OTHER),
        contract_id=_text(token, "contract_id", "cdr_token."),
        auth_method=_enum(AuthMethod, data.get("auth_method"), AuthMethod.COMMAND),
        authorization_reference=_text(data, "authorization_reference"),
        kwh=to_decimal(data.get("kwh", 0), "kwh"),
        charging_periods=to_core_periods(data.get("charging_periods")),
        currency=currency,
        total_cost=(
            to_decimal(total.get("excl_vat"), "total_cost.excl_vat") if isinstance(total, dict) else None
        ),
        last_updated=stamp,
    )


def _result(answer: Any) -> CommandResultType | None:
    value = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(value, str):
        return None
    return _RESULTS.get(value.strip().upper(), CommandResultType.FAILED)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _display_text(value: Any) -> str | None:
    """The first text of a DisplayText list (CommandResult.message), or the value itself as text."""
    if isinstance(value, list):
        value = next((m.get("text") for m in value if isinstance(m, dict) and m.get("text")), None)
    return None if value is None else str(value)


def to_remote_command(data: dict[str, Any], fallback: datetime) -> RemoteCommand:
    """A command record of emsp.commands. The CPO's synchronous answer counts only with OCPI status 1000; a
    refused request (any other status) reads as REJECTED, a pending one (no answer yet) as None."""
    request = data.get("request") if isinstance(data.get("request"), dict) else {}
    assert isinstance(request, dict)
    status_code = data.get("status_code")
    response = _result(data.get("response")) if status_code == 1000 else None
    if status_code is not None and status_code != 1000:
        response = CommandResultType.REJECTED
    result = data.get("result")
    message = _display_text(result.get("message") if isinstance(result, dict) else None)
    return RemoteCommand(
        id=str(data["command_id"]),
        type=CommandType(str(data["command"]).upper()),
        cpo=PartyRef.parse(str(data["cpo"])),
        token_uid=request.get("token_uid"),
        session_id=request.get("session_id"),
        location_id=request.get("location_id"),
        evse_uid=request.get("evse_uid"),
        response=response,
        result=_result(result),
        message=message or _display_text(data.get("status_message")),
        requested=_time(data.get("requested_at")) or fallback,
        answered=_time(data.get("result_received_at")),
    )
