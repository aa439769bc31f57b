"""OCPI 2.2.1 CDRs (mod_cdrs.asciidoc): core Cdr → wire dict (CdrToken, CdrLocation, Price totals, CD-08
period filtering), a partner's CDR → core (`to_core_cdr`, for re-rating) and the validator `check_cdr`.

An adapter module: imports the core and the sibling module mappings only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    Cdr,
    CdrCost,
    ChargingPeriod,
    Dimension,
    DimensionType,
    Location,
    PartyRef,
    Tariff,
    Token,
    TokenType,
)
from ocpi_modules.v2_2_1.locations import (
    CONNECTOR_FORMATS,
    CONNECTOR_TYPES,
    POWER_TYPES,
    coordinate,
)
from ocpi_modules.v2_2_1.sessions import (
    cdr_token,
    check_cdr_token,
    check_charging_periods,
    from_core_period,
    to_core_periods,
)
from ocpi_modules.v2_2_1.tariffs import check_tariff, from_core_tariff
from ocpi_modules.v2_2_1.types import (
    LATITUDE,
    LONGITUDE,
    NOT_AVAILABLE,
    Checker,
    number,
    price,
    to_datetime,
    to_decimal,
)

# CD-08: measured only while charging; a CDR never carries them
SESSION_ONLY_DIMENSIONS = frozenset(
    {
        DimensionType.CURRENT,
        DimensionType.ENERGY_EXPORT,
        DimensionType.ENERGY_IMPORT,
        DimensionType.POWER,
        DimensionType.STATE_OF_CHARGE,
    }
)
AUTH_METHODS = frozenset(a.value for a in AuthMethod)
TOKEN_TYPES = frozenset(t.value for t in TokenType)
SUB_TOTALS = ("fixed", "energy", "time", "parking", "reservation")  # total_{part}_cost (TA-14)
CDR_REQUIRED = (
    "id",
    "start_date_time",
    "end_date_time",
    "cdr_token",
    "auth_method",
    "cdr_location",
    "currency",
    "charging_periods",
    "total_cost",
    "total_energy",
    "total_time",
    "last_updated",
)  # fmt: skip  (CD-04)
CDR_LOCATION_REQUIRED = (
    "id",
    "address",
    "city",
    "country",
    "coordinates",
    "evse_uid",
    "evse_id",
    "connector_id",
    "connector_standard",
    "connector_format",
    "connector_power_type",
)  # fmt: skip  (CD-07)


def _cdr_location(cdr: Cdr, location: Location | None) -> dict[str, Any]:
    """CdrLocation (CD-07). EVSE and connector facts come from the location's EVSE/connector; `#NA` is used
    only for what is truly unknown (no location given, or a reservation-only CDR without EVSE)."""
    result: dict[str, Any] = {"id": location.id if location else cdr.location_id or NOT_AVAILABLE}
    if location is not None:
        if location.name is not None:
            result["name"] = location.name
        result["address"] = location.address
        result["city"] = location.city
        if location.postal_code is not None:
            result["postal_code"] = location.postal_code
        result["country"] = location.country
        result["coordinates"] = {
            "latitude": coordinate(location.latitude),
            "longitude": coordinate(location.longitude),
        }
    else:
        result.update(
            address=NOT_AVAILABLE,
            city=NOT_AVAILABLE,
            country=NOT_AVAILABLE,
            coordinates={"latitude": NOT_AVAILABLE, "longitude": NOT_AVAILABLE},
        )
    evse = location.evse(cdr.evse_uid) if location is not None and cdr.evse_uid else None
    connector = None
    if evse is not None and cdr.connector_id:
        connector = next((c for c in evse.connectors if c.id.lower() == cdr.connector_id.lower()), None)
    if evse is not None and connector is None and len(evse.connectors) == 1 and not cdr.connector_id:
        connector = evse.connectors[0]
    result["evse_uid"] = evse.uid if evse is not None else cdr.evse_uid or NOT_AVAILABLE
    result["evse_id"] = (evse.evse_id if evse is not None else None) or NOT_AVAILABLE
    result["connector_id"] = connector.id if connector is not None else cdr.connector_id or NOT_AVAILABLE
    result["connector_standard"] = connector.standard if connector is not None else NOT_AVAILABLE
    result["connector_format"] = connector.format.value if connector is not None else NOT_AVAILABLE
    result["connector_power_type"] = connector.power_type.value if connector is not None else NOT_AVAILABLE
    return result


def _periods(cdr: Cdr) -> list[dict[str, Any]]:
    """CDR charging periods without session-only dimensions (CD-08); a period left empty is dropped. A CDR
    needs at least one period (CD-04): without any, one summarising period at the start is emitted."""
    periods = [from_core_period(p, exclude=SESSION_ONLY_DIMENSIONS) for p in cdr.charging_periods]
    periods = [p for p in periods if p["dimensions"]]
    if cdr.tariff_id is not None:
        for period in periods:  # a period without its own tariff was priced by the CDR's tariff
            period.setdefault("tariff_id", cdr.tariff_id)
    if periods:
        return periods
    dimensions = [
        Dimension(type=DimensionType.ENERGY, volume=cdr.cost.total_energy_kwh),
        Dimension(type=DimensionType.TIME, volume=cdr.cost.total_time_hours),
    ]
    if cdr.cost.total_parking_time_hours:
        dimensions.append(
            Dimension(type=DimensionType.PARKING_TIME, volume=cdr.cost.total_parking_time_hours)
        )
    if cdr.cost.total_reservation_time_hours:
        dimensions.append(
            Dimension(type=DimensionType.RESERVATION_TIME, volume=cdr.cost.total_reservation_time_hours)
        )
    summary = ChargingPeriod(start_date_time=cdr.start, dimensions=tuple(dimensions), tariff_id=cdr.tariff_id)
    return [from_core_period(summary)]


def from_core_cdr(
    cdr: Cdr, *, location: Location | None, tariff: Tariff | None, token: Token | None
) -> dict[str, Any]:
    """A CDR for the wire. Pass the Location (and Tariff, Token) as at session start (CD-07).

    Sub-totals: fixed, energy and time costs are always stated (a priced CDR knows them, 0 included);
    parking cost and time when there was parking or it cost something; reservation cost when there was a
    reservation or it cost something (its time rides in the RESERVATION_TIME dimension: OCPI has no total
    for it). Each Price carries incl_vat when the cost knows it. A credit CDR (CD-10) states `credit` and
    `credit_reference_id`; its totals are negative as given."""
    cost = cdr.cost
    result: dict[str, Any] = {
        "country_code": cdr.party.country_code,
        "party_id": cdr.party.party_id,
        "id": cdr.id,
        "start_date_time": cdr.start,
        "end_date_time": cdr.end,
        "session_id": cdr.session_id,
        "cdr_token": cdr_token(
            token=token,
            uid=cdr.token_uid,
            token_type=cdr.token_type.value,
            token_party=cdr.token_party,
            contract_id=cdr.contract_id,
            fallback_party=cdr.party,
        ),
        "auth_method": cdr.auth_method.value,
    }
    if cdr.authorization_reference is not None:
        result["authorization_reference"] = cdr.authorization_reference
    result["cdr_location"] = _cdr_location(cdr, location)
    result["currency"] = cost.currency
    if tariff is not None:
        result["tariffs"] = [from_core_tariff(tariff)]
    result["charging_periods"] = _periods(cdr)
    result["total_cost"] = price(cost.total_excl_vat, cost.total_incl_vat)
    result["total_fixed_cost"] = price(cost.fixed_excl_vat, cost.fixed_incl_vat)
    result["total_energy"] = number(cost.total_energy_kwh)
    result["total_energy_cost"] = price(cost.energy_excl_vat, cost.energy_incl_vat)
    result["total_time"] = number(cost.total_time_hours)
    result["total_time_cost"] = price(cost.time_excl_vat, cost.time_incl_vat)
    if cost.total_parking_time_hours or cost.parking_excl_vat:
        result["total_parking_time"] = number(cost.total_parking_time_hours)
        result["total_parking_cost"] = price(cost.parking_excl_vat, cost.parking_incl_vat)
    if cost.total_reservation_time_hours or cost.reservation_excl_vat:
        result["total_reservation_cost"] = price(cost.reservation_excl_vat, cost.reservation_incl_vat)
    if cdr.remark is not None:
        result["remark"] = cdr.remark
    if cdr.credit:
        result["credit"] = True
        if cdr.credit_reference_id is not None:
            result["credit_reference_id"] = cdr.credit_reference_id
    result["last_updated"] = cdr.last_updated
    return result


# --- wire → core (re-rating a partner's CDR) ----------------------------------------------------------


def _text(data: dict[str, Any], key: str, *, required: bool = False, prefix: str = "") -> str | None:
    """A string field; a number in its place is read as its text (§22.4: store, flag, forward)."""
    value = data.get(key)
    field = f"{prefix}{key}"
    if value is None or value == "":
        if required:
            raise InvalidRequestError(f"{field}: missing", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidRequestError(f"{field}: not a string: {value!r}", field=field)
    return str(value)


def _party(data: dict[str, Any], prefix: str = "") -> PartyRef | None:
    if data.get("country_code") is None or data.get("party_id") is None:
        return None
    for key, length in (("country_code", 2), ("party_id", 3)):
        if len(str(data[key])) != length:  # CiString(2) / CiString(3), §20
            field = f"{prefix}{key}"
            raise InvalidRequestError(f"{field}: not {length} characters: {data[key]!r}", field=field)
    return PartyRef(country_code=str(data["country_code"]), party_id=str(data["party_id"]))


def _cost(data: dict[str, Any], key: str, *, required: bool = False) -> tuple[Decimal, Decimal | None]:
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidRequestError(f"{key}: missing", field=key)
        return Decimal(0), None
    if not isinstance(value, dict):  # 2.1.1-style bare numbers are refused, not guessed at (V211-02)
        raise InvalidRequestError(f"{key}: expected a Price object", field=key)
    incl = value.get("incl_vat")
    excl = to_decimal(value.get("excl_vat"), f"{key}.excl_vat")
    return excl, None if incl is None else to_decimal(incl, f"{key}.incl_vat")


def _quantity(data: dict[str, Any], key: str, *, required: bool = False) -> Decimal:
    if data.get(key) is None and not required:
        return Decimal(0)
    return to_decimal(data.get(key), key)


def to_core_cdr(data: dict[str, Any], *, default_party: PartyRef | None = None) -> Cdr:
    """Map a partner's OCPI 2.2.1 CDR for re-rating; raises InvalidRequestError naming the field.

    Lenient where pricing does not care (`check_cdr` reports those defects): optional fields may be absent,
    an unknown token type reads as OTHER, a missing `session_id` becomes the CDR id (CD-15: aggregators use
    it as the session id) and a missing `last_updated` the end time. Money is read as sent; a negative
    total is refused unless the CDR is a credit CDR (CD-10)."""
    if not isinstance(data, dict):
        raise InvalidRequestError("cdr: expected a JSON object", field="cdr")
    party = _party(data) or default_party
    if party is None:
        raise InvalidRequestError("country_code/party_id: missing", field="country_code")
    cdr_id = _text(data, "id", required=True)
    assert cdr_id is not None
    start = to_datetime(data.get("start_date_time"), "start_date_time")
    end = to_datetime(data.get("end_date_time"), "end_date_time")
    if end < start:
        raise InvalidRequestError("end_date_time: before start_date_time", field="end_date_time")
    token = data.get("cdr_token")
    if not isinstance(token, dict):
        raise InvalidRequestError("cdr_token: expected a CdrToken object", field="cdr_token")
    token_uid = _text(token, "uid", required=True, prefix="cdr_token.")
    assert token_uid is not None
    token_type = str(token.get("type") or "").strip().upper()
    auth = data.get("auth_method")
    try:
        auth_method = AuthMethod(auth.strip().upper() if isinstance(auth, str) else "")
    except ValueError:
        raise InvalidRequestError(f"auth_method: not a valid value: {auth!r}", field="auth_method") from None
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise InvalidRequestError(f"currency: not an ISO 4217 code: {currency!r}", field="currency")
    location = data.get("cdr_location")
    location = location if isinstance(location, dict) else {}

    def location_text(key: str) -> str | None:
        value = location.get(key)  # `#NA` is the sender's "unknown" (§5)
        return str(value) if value is not None and value != NOT_AVAILABLE else None

    tariffs = data.get("tariffs")
    first_tariff = tariffs[0] if isinstance(tariffs, list) and tariffs else None
    tariff_id = first_tariff.get("id") if isinstance(first_tariff, dict) else None
    periods = to_core_periods(data.get("charging_periods"))
    credit = data.get("credit")
    if credit is not None and not isinstance(credit, bool):
        raise InvalidRequestError(f"credit: not a boolean: {credit!r}", field="credit")
    total_excl, total_incl = _cost(data, "total_cost", required=True)
    if not credit and (total_excl < 0 or (total_incl is not None and total_incl < 0)):
        raise InvalidRequestError(
            "total_cost: negative in a CDR that is not a credit CDR", field="total_cost"
        )
    money: dict[str, Any] = {"currency": currency, "total_excl_vat": total_excl, "total_incl_vat": total_incl}
    for name in SUB_TOTALS:
        money[f"{name}_excl_vat"], money[f"{name}_incl_vat"] = _cost(data, f"total_{name}_cost")
    reservation_hours = sum(
        (d.volume for p in periods for d in p.dimensions if d.type is DimensionType.RESERVATION_TIME),
        Decimal(0),
    )
    cost = CdrCost.model_validate(
        {
            **money,
            "total_energy_kwh": _quantity(data, "total_energy", required=True),
            "total_time_hours": _quantity(data, "total_time", required=True),
            "total_parking_time_hours": _quantity(data, "total_parking_time"),
            "total_reservation_time_hours": reservation_hours,
        }
    )
    last_updated = data.get("last_updated")
    return Cdr(
        id=cdr_id,
        party=party,
        session_id=_text(data, "session_id") or cdr_id,
        start=start,
        end=end,
        location_id=location_text("id"),
        evse_uid=location_text("evse_uid"),
        connector_id=location_text("connector_id"),
        token_uid=token_uid,
        token_party=_party(token, "cdr_token."),
        token_type=TokenType(token_type) if token_type in TOKEN_TYPES else TokenType.OTHER,
        contract_id=_text(token, "contract_id", prefix="cdr_token."),
        auth_method=auth_method,
        authorization_reference=_text(data, "authorization_reference"),
        tariff_id=str(tariff_id) if tariff_id is not None else None,
        cost=cost,
        charging_periods=periods,
        credit=bool(credit),
        credit_reference_id=_text(data, "credit_reference_id"),
        remark=_text(data, "remark"),
        last_updated=end if last_updated is None else to_datetime(last_updated, "last_updated"),
    )


def _check_cdr_location(checker: Checker, data: Any, path: str) -> None:
    if not checker.is_object(data, path):
        return
    checker.required(data, path, *CDR_LOCATION_REQUIRED)
    checker.cistring(data, path, "id", 36)
    checker.string(data, path, "name", 255)
    checker.string(data, path, "address", 255)
    checker.string(data, path, "city", 45)
    checker.string(data, path, "postal_code", 10)
    checker.string(data, path, "state", 45)
    checker.string(data, path, "country", 3)
    coordinates = data.get("coordinates")
    if coordinates is not None and checker.is_object(coordinates, f"{path}.coordinates"):
        for name, pattern in (("latitude", LATITUDE), ("longitude", LONGITUDE)):
            value = coordinates.get(name)
            if not (isinstance(value, str) and pattern.match(value)):
                checker.add(f"{path}.coordinates.{name}", f"does not match {pattern.pattern}: {value!r}")
    checker.cistring(data, path, "evse_uid", 36)
    checker.cistring(data, path, "evse_id", 48)
    checker.cistring(data, path, "connector_id", 36)
    # `#NA` is allowed for the EVSE facts of a reservation-only CDR (§5)
    for name, allowed in (
        ("connector_standard", CONNECTOR_TYPES),
        ("connector_format", CONNECTOR_FORMATS),
        ("connector_power_type", POWER_TYPES),
    ):
        checker.enum(data, path, name, allowed | {NOT_AVAILABLE})


def check_cdr(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound CDR (CD-03…CD-08, CD-14, §20) as `path: problem` strings; never raises."""
    checker = Checker()
    if not checker.is_object(data, "cdr"):
        return checker.problems
    checker.party(data)
    checker.required(data, "", *CDR_REQUIRED)
    checker.cistring(data, "", "id", 39)
    for name in ("start_date_time", "end_date_time", "last_updated"):
        checker.datetime(data, "", name)
    checker.cistring(data, "", "session_id", 36)
    if data.get("cdr_token") is not None:
        check_cdr_token(checker, data["cdr_token"], "cdr_token")
    checker.enum(data, "", "auth_method", AUTH_METHODS)
    checker.cistring(data, "", "authorization_reference", 36)
    if data.get("cdr_location") is not None:
        _check_cdr_location(checker, data["cdr_location"], "cdr_location")
    checker.string(data, "", "meter_id", 255)
    checker.string(data, "", "currency", 3)
    for path, tariff in checker.objects(data, "", "tariffs"):
        checker.problems.extend(f"{path}.{problem}" for problem in check_tariff(dict(tariff)))
    check_charging_periods(checker, data, "", forbidden={d.value for d in SESSION_ONLY_DIMENSIONS})
    if isinstance(data.get("charging_periods"), list) and not data["charging_periods"]:
        checker.add("charging_periods", "at least one charging period required")
    signed = data.get("signed_data")
    if signed is not None and checker.is_object(signed, "signed_data"):
        checker.required(signed, "signed_data", "encoding_method", "signed_values")
        checker.cistring(signed, "signed_data", "encoding_method", 36)
        checker.string(signed, "signed_data", "public_key", 512)
        checker.string(signed, "signed_data", "url", 512)
        for path, value in checker.objects(signed, "signed_data", "signed_values"):
            checker.required(value, path, "nature", "plain_data", "signed_data")
            checker.cistring(value, path, "nature", 32)
            checker.string(value, path, "plain_data", 5000)
            checker.string(value, path, "signed_data", 5000)
    for name in ("total_cost", *(f"total_{part}_cost" for part in SUB_TOTALS)):
        checker.price(data, "", name)
    for name in ("total_energy", "total_time", "total_parking_time"):
        checker.number(data, "", name)
    checker.string(data, "", "remark", 255)
    checker.cistring(data, "", "invoice_reference_id", 39)
    checker.boolean(data, "", "credit")
    checker.cistring(data, "", "credit_reference_id", 39)
    if data.get("credit") is True and data.get("credit_reference_id") is None:
        checker.add("credit_reference_id", "required for a credit CDR (CD-10)")
    checker.boolean(data, "", "home_charging_compensation")
    return checker.problems
