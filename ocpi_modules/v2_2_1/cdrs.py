"""OCPI 2.2.1 CDRs (mod_cdrs.asciidoc): core Cdr → wire dict (CdrToken, CdrLocation, Price totals, CD-08
period filtering) and the validator `check_cdr`.

An adapter module: imports the core and the sibling module mappings only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import (
    AuthMethod,
    Cdr,
    ChargingPeriod,
    Dimension,
    DimensionType,
    Location,
    Tariff,
    Token,
)
from ocpi_modules.v2_2_1.locations import (
    CONNECTOR_FORMATS,
    CONNECTOR_TYPES,
    POWER_TYPES,
    coordinate,
)
from ocpi_modules.v2_2_1.sessions import cdr_token, check_cdr_token, check_charging_periods, from_core_period
from ocpi_modules.v2_2_1.tariffs import check_tariff, from_core_tariff
from ocpi_modules.v2_2_1.types import LATITUDE, LONGITUDE, NOT_AVAILABLE, Checker, number, price

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
    summary = ChargingPeriod(start_date_time=cdr.start, dimensions=tuple(dimensions), tariff_id=cdr.tariff_id)
    return [from_core_period(summary)]


def from_core_cdr(
    cdr: Cdr, *, location: Location | None, tariff: Tariff | None, token: Token | None
) -> dict[str, Any]:
    """A CDR for the wire. Pass the Location (and Tariff, Token) as at session start (CD-07).

    Sub-totals: fixed, energy and time costs are always stated (a priced CDR knows them, 0 included);
    parking cost and time when there was parking or it cost something; reservation cost when non-zero."""
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
    result["total_fixed_cost"] = price(cost.fixed_excl_vat)
    result["total_energy"] = number(cost.total_energy_kwh)
    result["total_energy_cost"] = price(cost.energy_excl_vat)
    result["total_time"] = number(cost.total_time_hours)
    result["total_time_cost"] = price(cost.time_excl_vat)
    if cost.total_parking_time_hours or cost.parking_excl_vat:
        result["total_parking_time"] = number(cost.total_parking_time_hours)
        result["total_parking_cost"] = price(cost.parking_excl_vat)
    if cost.reservation_excl_vat:
        result["total_reservation_cost"] = price(cost.reservation_excl_vat)
    if cdr.remark is not None:
        result["remark"] = cdr.remark
    if cdr.credit:
        result["credit"] = True
        if cdr.credit_reference_id is not None:
            result["credit_reference_id"] = cdr.credit_reference_id
    result["last_updated"] = cdr.last_updated
    return result


def _check_cdr_location(checker: Checker, data: Any, path: str) -> None:
    if not checker.is_object(data, path):
        return
    checker.required(
        data,
        path,
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
    )
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
    checker.required(
        data,
        "",
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
    )
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
    for name in (
        "total_cost",
        "total_fixed_cost",
        "total_energy_cost",
        "total_time_cost",
        "total_parking_cost",
        "total_reservation_cost",
    ):
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
