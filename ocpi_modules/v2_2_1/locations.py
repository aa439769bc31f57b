"""OCPI 2.2.1 Locations (mod_locations.asciidoc): core Location/EVSE/Connector → wire dicts, the eMSP
receiver's PUT/PATCH helpers on stored wire dicts (LO-04 bubbling, CO-09 array merge) and `check_location`.

An adapter module: imports the core and the sibling `types` module only.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hub.core.errors import InvalidRequestError, NotFoundError
from hub.core.models import Capability, Connector, ConnectorFormat, Evse, EvseStatus, Location, PowerType
from ocpi_modules.v2_2_1.types import LATITUDE, LONGITUDE, Checker, latest

EVSE_STATUSES = frozenset(s.value for s in EvseStatus)
CAPABILITIES = frozenset(c.value for c in Capability)
CONNECTOR_FORMATS = frozenset(f.value for f in ConnectorFormat)
POWER_TYPES = frozenset(p.value for p in PowerType)
CONNECTOR_TYPES = frozenset(
    {
        "CHADEMO", "CHAOJI",
        *(f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKLMNO"),
        "GBT_AC", "GBT_DC",
        "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64",
        "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A",
        "IEC_62196_T3C",
        "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
        "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
    }
)  # fmt: skip
PARKING_TYPES = frozenset(
    {"ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"}
)
FACILITIES = frozenset(
    {
        "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
        "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
        "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
    }
)  # fmt: skip
PARKING_RESTRICTIONS = frozenset({"EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"})
TOKEN_TYPES = frozenset({"AD_HOC_USER", "APP_USER", "OTHER", "RFID"})


# --- core → wire ----------------------------------------------------------------------------------------


def coordinate(value: Decimal) -> str:
    """A WGS 84 coordinate as OCPI wants it: a string with 5 to 7 decimals (LO-08)."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 7
    places = min(max(places, 5), 7)
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def from_core_connector(c: Connector) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": c.id,
        "standard": c.standard,
        "format": c.format.value,
        "power_type": c.power_type.value,
        "max_voltage": c.max_voltage,
        "max_amperage": c.max_amperage,
    }
    if c.max_electric_power is not None:
        result["max_electric_power"] = c.max_electric_power
    if c.tariff_ids:
        result["tariff_ids"] = list(c.tariff_ids)
    result["last_updated"] = c.last_updated
    return result


def from_core_evse(evse: Evse, loc: Location) -> dict[str, Any]:
    """One EVSE of `loc` (station wiring such as `station_id` stays inside the hub)."""
    del loc  # the EVSE carries everything OCPI needs; kept in the signature for EVSE-level overrides
    result: dict[str, Any] = {"uid": evse.uid}
    if evse.evse_id is not None:
        result["evse_id"] = evse.evse_id
    result["status"] = evse.status.value
    result["capabilities"] = [c.value for c in evse.capabilities]
    result["connectors"] = [from_core_connector(c) for c in evse.connectors]
    result["last_updated"] = evse.last_updated
    return result


def from_core_location(loc: Location) -> dict[str, Any]:
    result: dict[str, Any] = {
        "country_code": loc.party.country_code,
        "party_id": loc.party.party_id,
        "id": loc.id,
        "publish": loc.publish,
    }
    if loc.name is not None:
        result["name"] = loc.name
    result["address"] = loc.address
    result["city"] = loc.city
    if loc.postal_code is not None:
        result["postal_code"] = loc.postal_code
    result["country"] = loc.country
    result["coordinates"] = {"latitude": coordinate(loc.latitude), "longitude": coordinate(loc.longitude)}
    result["time_zone"] = loc.time_zone
    result["evses"] = [from_core_evse(e, loc) for e in loc.evses]
    result["last_updated"] = loc.last_updated
    return result


def evse_status_patch(evse: Evse) -> dict[str, Any]:
    """The high-rate EVSE status PATCH body (LO-15)."""
    return {"status": evse.status.value, "last_updated": evse.last_updated}


# --- the eMSP receiver's stored wire dicts --------------------------------------------------------------

_LOCATION_KEYS = ("country_code", "party_id", "id")


def _same(a: Any, b: Any) -> bool:
    """CiString ids compare case-insensitively (§5)."""
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


def _index(items: list[Any], key: str, value: str) -> int | None:
    return next(
        (i for i, item in enumerate(items) if isinstance(item, dict) and _same(item.get(key), value)), None
    )


def _require_last_updated(patch: dict[str, Any]) -> None:
    if not isinstance(patch, dict):
        raise InvalidRequestError("expected a JSON object", field="body")
    if patch.get("last_updated") is None:  # CO-06
        raise InvalidRequestError("last_updated: a PATCH must carry last_updated", field="last_updated")


def _bubble(target: dict[str, Any], last_updated: Any) -> None:
    """LO-04: a child's newer `last_updated` becomes its parent's; a parent never goes back in time."""
    if last_updated is not None:
        target["last_updated"] = latest(target.get("last_updated"), last_updated)


def _merge_list(stored: Any, patch: list[Any], key: str, merge_item: Any) -> list[Any]:
    """CO-09: an array inside a PATCH is merged item by item on `key` (uid/id); new items are appended."""
    items = list(stored) if isinstance(stored, list) else []
    for item in patch:
        if not isinstance(item, dict) or item.get(key) is None:
            continue
        at = _index(items, key, str(item[key]))
        if at is None:
            items.append(copy.deepcopy(item))
        else:
            items[at] = merge_item(items[at], item)
    return items


def _merge_connector(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for name, value in patch.items():
        if name != "id":
            merged[name] = copy.deepcopy(value)
    return merged


def _merge_evse(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for name, value in patch.items():
        if name == "uid":
            continue
        if name == "connectors" and isinstance(value, list):
            merged[name] = _merge_list(stored.get(name), value, "id", _merge_connector)
        else:
            merged[name] = copy.deepcopy(value)
    for connector in merged.get("connectors") or ():
        if isinstance(connector, dict):
            _bubble(merged, connector.get("last_updated"))
    return merged


def _evse_at(location: dict[str, Any], evse_uid: str) -> tuple[list[Any], int]:
    evses = location.get("evses")
    evses = list(evses) if isinstance(evses, list) else []
    at = _index(evses, "uid", evse_uid)
    if at is None:
        raise NotFoundError(f"EVSE {evse_uid!r} not found in location {location.get('id')!r}")
    return evses, at


def put_evse(stored_location: dict[str, Any], evse: dict[str, Any]) -> dict[str, Any]:
    """The stored location with `evse` inserted or replaced (matched on uid); `last_updated` bubbles up."""
    if not isinstance(evse, dict) or evse.get("uid") is None:
        raise InvalidRequestError("uid: an EVSE needs a uid", field="uid")
    location = copy.deepcopy(stored_location)
    evses = location.get("evses")
    evses = list(evses) if isinstance(evses, list) else []
    at = _index(evses, "uid", str(evse["uid"]))
    if at is None:
        evses.append(copy.deepcopy(evse))
    else:
        evses[at] = copy.deepcopy(evse)
    location["evses"] = evses
    _bubble(location, evse.get("last_updated"))
    return location


def put_connector(
    stored_location: dict[str, Any], evse_uid: str, connector: dict[str, Any]
) -> dict[str, Any]:
    """The stored location with `connector` inserted or replaced in EVSE `evse_uid`; raises NotFoundError when
    that EVSE is not stored (the sender must PUT it first). `last_updated` bubbles to EVSE and location."""
    if not isinstance(connector, dict) or connector.get("id") is None:
        raise InvalidRequestError("id: a connector needs an id", field="id")
    location = copy.deepcopy(stored_location)
    evses, at = _evse_at(location, evse_uid)
    evse = dict(evses[at])
    connectors = evse.get("connectors")
    connectors = list(connectors) if isinstance(connectors, list) else []
    index = _index(connectors, "id", str(connector["id"]))
    if index is None:
        connectors.append(copy.deepcopy(connector))
    else:
        connectors[index] = copy.deepcopy(connector)
    evse["connectors"] = connectors
    _bubble(evse, connector.get("last_updated"))
    evses[at] = evse
    location["evses"] = evses
    _bubble(location, evse.get("last_updated"))
    return location


def merge_location(
    stored: dict[str, Any],
    patch: dict[str, Any],
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> dict[str, Any]:
    """Apply a PATCH at location, EVSE (`evse_uid`) or connector (`evse_uid` + `connector_id`) level.

    Omitted fields stay; identifiers are never changed; `evses`/`connectors` arrays inside a PATCH are merged
    by uid/id (CO-09); the PATCH's `last_updated` (required, CO-06) bubbles up (LO-04). Raises
    InvalidRequestError without `last_updated`, NotFoundError for an unknown EVSE or connector."""
    _require_last_updated(patch)
    if connector_id is not None and evse_uid is None:
        raise InvalidRequestError("evse_uid: a connector PATCH needs its EVSE", field="evse_uid")
    location = copy.deepcopy(stored)
    if evse_uid is None:
        for name, value in patch.items():
            if name in _LOCATION_KEYS:
                continue
            if name == "evses" and isinstance(value, list):
                location[name] = _merge_list(location.get(name), value, "uid", _merge_evse)
            else:
                location[name] = copy.deepcopy(value)
        for evse in location.get("evses") or ():
            if isinstance(evse, dict):
                _bubble(location, evse.get("last_updated"))
        return location
    evses, at = _evse_at(location, evse_uid)
    if connector_id is None:
        evses[at] = _merge_evse(evses[at], patch)
    else:
        evse = dict(evses[at])
        connectors = evse.get("connectors")
        connectors = list(connectors) if isinstance(connectors, list) else []
        index = _index(connectors, "id", connector_id)
        if index is None:
            raise NotFoundError(f"connector {connector_id!r} not found in EVSE {evse_uid!r}")
        connectors[index] = _merge_connector(connectors[index], patch)
        evse["connectors"] = connectors
        _bubble(evse, patch["last_updated"])
        evses[at] = evse
    location["evses"] = evses
    _bubble(location, evses[at].get("last_updated"))
    return location


# --- validation -----------------------------------------------------------------------------------------


def _check_connector(checker: Checker, data: Any, prefix: str) -> None:
    if not checker.is_object(data, prefix or "connector"):
        return
    checker.required(
        data, prefix, "id", "standard", "format", "power_type", "max_voltage", "max_amperage", "last_updated"
    )
    checker.cistring(data, prefix, "id", 36)
    checker.enum(data, prefix, "standard", CONNECTOR_TYPES)
    checker.enum(data, prefix, "format", CONNECTOR_FORMATS)
    checker.enum(data, prefix, "power_type", POWER_TYPES)
    for name in ("max_voltage", "max_amperage", "max_electric_power"):
        checker.integer(data, prefix, name)
    checker.cistring_list(data, prefix, "tariff_ids", 36)
    checker.string(data, prefix, "terms_and_conditions", 255)
    checker.datetime(data, prefix, "last_updated")


def _check_geo(checker: Checker, data: Any, path: str) -> None:
    if not checker.is_object(data, path):
        return
    checker.required(data, path, "latitude", "longitude")
    for name, pattern in (("latitude", LATITUDE), ("longitude", LONGITUDE)):
        value = data.get(name)
        if value is not None and not (isinstance(value, str) and pattern.match(value)):
            checker.add(f"{path}.{name}", f"does not match {pattern.pattern}: {value!r}")


def _check_evse(checker: Checker, data: Any, prefix: str) -> None:
    if not checker.is_object(data, prefix or "evse"):
        return
    checker.required(data, prefix, "uid", "status", "connectors", "last_updated")
    checker.cistring(data, prefix, "uid", 36)
    checker.cistring(data, prefix, "evse_id", 48)
    checker.enum(data, prefix, "status", EVSE_STATUSES)
    checker.enum_list(data, prefix, "capabilities", CAPABILITIES)
    checker.string(data, prefix, "floor_level", 4)
    checker.string(data, prefix, "physical_reference", 16)
    checker.enum_list(data, prefix, "parking_restrictions", PARKING_RESTRICTIONS)
    checker.display_texts(data, prefix, "directions")
    if data.get("coordinates") is not None:
        _check_geo(checker, data["coordinates"], checker.path(prefix, "coordinates"))
    checker.datetime(data, prefix, "last_updated")
    connectors = checker.objects(data, prefix, "connectors")
    if isinstance(data.get("connectors"), list) and not data["connectors"]:
        checker.add(checker.path(prefix, "connectors"), "at least one connector required")
    for path, connector in connectors:
        _check_connector(checker, connector, path)


def check_connector(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound Connector (LO-05, §20) as `path: problem` strings; never raises."""
    checker = Checker()
    _check_connector(checker, data, "")
    return checker.problems


def check_evse(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound EVSE and its connectors (LO-05, LO-06, §20); never raises."""
    checker = Checker()
    _check_evse(checker, data, "")
    return checker.problems


def check_location(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound Location with its EVSEs and connectors (LO-05…LO-12, §20); never raises."""
    checker = Checker()
    if not checker.is_object(data, "location"):
        return checker.problems
    checker.party(data)
    checker.required(
        data, "", "id", "publish", "address", "city", "country", "coordinates", "time_zone", "last_updated"
    )
    checker.cistring(data, "", "id", 36)
    checker.boolean(data, "", "publish")
    checker.string(data, "", "name", 255)
    checker.string(data, "", "address", 255)
    checker.string(data, "", "city", 45)
    checker.string(data, "", "postal_code", 10)
    checker.string(data, "", "state", 45)
    checker.string(data, "", "time_zone", 255)
    country = data.get("country")
    if country is not None and not (isinstance(country, str) and len(country) == 3 and country.isalpha()):
        checker.add("country", f"not an ISO 3166-1 alpha-3 code: {country!r}")
    if data.get("coordinates") is not None:
        _check_geo(checker, data["coordinates"], "coordinates")
    checker.enum(data, "", "parking_type", PARKING_TYPES)
    checker.enum_list(data, "", "facilities", FACILITIES)
    checker.boolean(data, "", "charging_when_closed")
    checker.datetime(data, "", "last_updated")
    for path, allowed in checker.objects(data, "", "publish_allowed_to"):
        if all(allowed.get(name) is None for name in ("uid", "visual_number", "group_id")):
            checker.add(path, "needs at least one of uid, visual_number, group_id (LO-07)")
        if allowed.get("uid") is not None and allowed.get("type") is None:
            checker.add(checker.path(path, "type"), "required when uid is set (LO-07)")
        if allowed.get("visual_number") is not None and allowed.get("issuer") is None:
            checker.add(checker.path(path, "issuer"), "required when visual_number is set (LO-07)")
        checker.cistring(allowed, path, "uid", 36)
        checker.enum(allowed, path, "type", TOKEN_TYPES)
        checker.string(allowed, path, "visual_number", 64)
        checker.string(allowed, path, "issuer", 64)
        checker.cistring(allowed, path, "group_id", 36)
    if data.get("opening_times") is not None:
        _check_hours(checker, data["opening_times"], "opening_times")
    for path, evse in checker.objects(data, "", "evses"):
        _check_evse(checker, evse, path)
    return checker.problems


def _check_hours(checker: Checker, hours: Any, path: str) -> None:
    """LO-09: `twentyfourseven` always present, `regular_hours` required when it is false."""
    if not checker.is_object(hours, path):
        return
    checker.required(hours, path, "twentyfourseven")
    checker.boolean(hours, path, "twentyfourseven")
    if hours.get("twentyfourseven") is False and not hours.get("regular_hours"):
        checker.add(f"{path}.regular_hours", "required when twentyfourseven is false")
    for item_path, regular in checker.objects(hours, path, "regular_hours"):
        weekday = regular.get("weekday")
        if not (isinstance(weekday, int) and not isinstance(weekday, bool) and 1 <= weekday <= 7):
            checker.add(f"{item_path}.weekday", f"not a weekday 1…7: {weekday!r}")
        for name in ("period_begin", "period_end"):
            value = regular.get(name)
            if not (isinstance(value, str) and len(value) == 5 and value[2] == ":"):
                checker.add(f"{item_path}.{name}", f"not a HH:MM time: {value!r}")
