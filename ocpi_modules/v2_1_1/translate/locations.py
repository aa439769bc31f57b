"""Locations, EVSEs and Connectors between OCPI 2.1.1 and 2.2.1 (mod_locations; checklist §21, LO-05, LO-11).

2.1.1 → 2.2.1: the owner's country_code/party_id come from the caller (2.1.1 objects carry none), `type`
becomes `parking_type`, `publish` is true (2.1.1 shares every Location it sends), a missing `time_zone` is
taken from a single-zone country or refused, `voltage`/`amperage`/`tariff_id` become `max_voltage`/
`max_amperage`/`tariff_ids`. 2.2.1 → 2.1.1: an unpublished Location, several tariffs on one connector and
connector standards or power types 2.1.1 lacks are refused; `state`, `max_electric_power` and 2.2.1-only
capabilities and facilities are dropped and noted; a missing postal code is "" (2.1.1 requires the field).

With `partial=True` (a PATCH body) only the fields present are translated and nothing is required.
Fields neither version defines are dropped and noted, never forwarded untranslated (V211-02).

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.v2_1_1.translate.common import (
    CAPABILITIES_221_ONLY,
    CONNECTOR_TYPES_221_ONLY,
    FACILITIES_221_ONLY,
    POWER_TYPES_221_ONLY,
    SHARED_PARKING_TYPES,
    Notes,
    at,
    copy_fields,
    drop,
    filter_enum_list,
    items,
    note,
    obj,
    owner_fields,
    refuse,
    refuse_enum,
)
from ocpi_modules.v2_1_1.translate.timezones import zone_of_country

# Fields both versions define with the same name and meaning.
_LOCATION_SAME = (
    "id", "name", "address", "city", "country", "directions", "operator", "suboperator", "owner", "images",
    "charging_when_closed", "time_zone", "last_updated",
)  # fmt: skip
_EVSE_SAME = (
    "uid", "evse_id", "status", "status_schedule", "floor_level", "physical_reference", "directions",
    "parking_restrictions", "images", "last_updated",
)  # fmt: skip
_CONNECTOR_SAME = ("id", "format", "terms_and_conditions", "last_updated")
_HOURS_SAME = ("regular_hours", "exceptional_openings", "exceptional_closings")
_MIX_SAME = ("is_green_energy", "energy_sources", "supplier_name", "energy_product_name")
_FIVE_DECIMALS = re.compile(r"-?[0-9]{1,3}\.[0-9]{5}")

NOT_IN_211 = "OCPI 2.1.1 has no such field"
NOT_IN_221 = "OCPI 2.2.1 has no such field"


def unknown_fields(src: dict[str, Any], known: set[str], path: str, notes: Notes | None, why: str) -> None:
    """Note every field of `src` outside `known`: dropped, as a field one version lacks cannot be carried."""
    for name in src:
        if name not in known:
            note(notes, at(path, name), f"dropped: {why}")


# --- 2.1.1 → 2.2.1 ------------------------------------------------------------------------------------------


def location_to_221(
    data: Any, owner: PartyRef, *, notes: Notes | None = None, partial: bool = False, path: str = "location"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {} if partial else {**owner_fields(owner), "publish": True}
    copy_fields(src, out, _LOCATION_SAME)
    if "type" in src:
        if src["type"] in ("OTHER", "UNKNOWN", None):
            pass  # "none of these" / "not known": 2.2.1 says it by leaving parking_type out
        else:
            out["parking_type"] = src["type"]  # shared values; a vendor value is forwarded as is (§22.4)
    if "postal_code" in src and src["postal_code"] not in ("", None):
        out["postal_code"] = src["postal_code"]
    if "coordinates" in src:
        out["coordinates"] = src["coordinates"]
    if "related_locations" in src:
        out["related_locations"] = src["related_locations"]
    if "facilities" in src:
        out["facilities"] = src["facilities"]
    if "evses" in src:
        out["evses"] = [
            evse_to_221(e, notes=notes, partial=partial, path=at(at(path, "evses"), n))
            for n, e in enumerate(items(src["evses"], at(path, "evses")))
        ]
    if "opening_times" in src:
        out["opening_times"] = hours_to_221(src["opening_times"], at(path, "opening_times"))
    if "energy_mix" in src:
        out["energy_mix"] = energy_mix_to_221(src["energy_mix"], at(path, "energy_mix"))
    if not partial and src.get("time_zone") in (None, ""):
        zone = zone_of_country(src.get("country"))
        if zone is None:
            refuse(
                at(path, "time_zone"),
                f"required in OCPI 2.2.1 and absent; country {src.get('country')!r} has no single time zone",
            )
        out["time_zone"] = zone
        note(notes, at(path, "time_zone"), f"absent in 2.1.1, {zone} taken from the country")
    known = {*_LOCATION_SAME, "type", "postal_code", "coordinates", "related_locations", "facilities"}
    unknown_fields(src, known | {"evses", "opening_times", "energy_mix"}, path, notes, NOT_IN_221)
    return out


def evse_to_221(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "evse"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _EVSE_SAME)
    copy_fields(src, out, ("capabilities", "coordinates"))
    return _with_connectors(
        src, out, connector_to_221, notes=notes, partial=partial, path=path, why=NOT_IN_221
    )


def connector_to_221(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "connector"
) -> dict[str, Any]:
    del partial  # every field maps one to one
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id", "standard", "format", "power_type"))
    if "voltage" in src:
        out["max_voltage"] = src["voltage"]
    if "amperage" in src:
        out["max_amperage"] = src["amperage"]
    if src.get("tariff_id") is not None:
        out["tariff_ids"] = [src["tariff_id"]]
    copy_fields(src, out, ("terms_and_conditions", "last_updated"))
    known = {*_CONNECTOR_SAME, "standard", "power_type", "voltage", "amperage", "tariff_id"}
    unknown_fields(src, known, path, notes, NOT_IN_221)
    return out


def hours_to_221(data: Any, path: str) -> dict[str, Any]:
    """2.1.1 Hours hold `regular_hours` *or* `twentyfourseven`; 2.2.1 always says `twentyfourseven`."""
    src = obj(data, path)
    out: dict[str, Any] = {"twentyfourseven": src.get("twentyfourseven") is True}
    copy_fields(src, out, _HOURS_SAME)
    return out


def energy_mix_to_221(data: Any, path: str) -> dict[str, Any]:
    """EnvironmentalImpact's `source` is `category` in 2.2.1."""
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _MIX_SAME)
    if "environ_impact" in src:
        impacts = items(src["environ_impact"], at(path, "environ_impact"))
        out["environ_impact"] = [
            _renamed(i, "source", "category", at(path, "environ_impact")) for i in impacts
        ]
    return out


# --- 2.2.1 → 2.1.1 ------------------------------------------------------------------------------------------


def location_to_211(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "location"
) -> dict[str, Any]:
    src = obj(data, path)
    if src.get("publish") is False:
        refuse(
            at(path, "publish"),
            "an unpublished Location cannot be sent: 2.1.1 has no publish or publish_allowed_to (LO-07)",
        )
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id",))
    if "parking_type" in src:
        out["type"] = _location_type(src["parking_type"], at(path, "parking_type"), notes)
    elif not partial:
        out["type"] = "UNKNOWN"  # 2.1.1's default for "not known by the operator"
    copy_fields(src, out, ("name", "address", "city"))
    if "postal_code" in src or not partial:
        # Required in 2.1.1; 2.2.1 leaves it out only where there is none (highways), so "" is the truth.
        out["postal_code"] = src.get("postal_code") or ""
    copy_fields(src, out, ("country",))
    if "coordinates" in src:
        out["coordinates"] = geo_to_211(src["coordinates"], at(path, "coordinates"))
    if "related_locations" in src:
        related = items(src["related_locations"], at(path, "related_locations"))
        out["related_locations"] = [
            geo_to_211(r, at(at(path, "related_locations"), n)) for n, r in enumerate(related)
        ]
    if "evses" in src:
        out["evses"] = [
            evse_to_211(e, notes=notes, partial=partial, path=at(at(path, "evses"), n))
            for n, e in enumerate(items(src["evses"], at(path, "evses")))
        ]
    copy_fields(src, out, ("directions", "operator", "suboperator", "owner"))
    if "facilities" in src:
        out["facilities"] = filter_enum_list(
            src["facilities"], FACILITIES_221_ONLY, at(path, "facilities"), notes, "not a 2.1.1 Facility"
        )
    copy_fields(src, out, ("time_zone",))
    if "opening_times" in src:
        out["opening_times"] = hours_to_211(src["opening_times"], at(path, "opening_times"))
    copy_fields(src, out, ("charging_when_closed", "images"))
    if "energy_mix" in src:
        out["energy_mix"] = energy_mix_to_211(src["energy_mix"], at(path, "energy_mix"))
    copy_fields(src, out, ("last_updated",))
    drop(src, ("state", "publish_allowed_to"), path, notes, NOT_IN_211)
    carried = {"country_code", "party_id", "publish", "state", "publish_allowed_to"}  # the URL carries cc/pid
    known = {*_LOCATION_SAME, "parking_type", "postal_code", "coordinates", "related_locations", "evses"}
    unknown_fields(
        src, known | carried | {"facilities", "opening_times", "energy_mix"}, path, notes, NOT_IN_211
    )
    return out


def evse_to_211(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "evse"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _EVSE_SAME)
    if "capabilities" in src:
        out["capabilities"] = filter_enum_list(
            src["capabilities"],
            CAPABILITIES_221_ONLY,
            at(path, "capabilities"),
            notes,
            "not a 2.1.1 Capability",
        )
    if "coordinates" in src:
        out["coordinates"] = geo_to_211(src["coordinates"], at(path, "coordinates"))
    return _with_connectors(
        src, out, connector_to_211, notes=notes, partial=partial, path=path, why=NOT_IN_211
    )


def connector_to_211(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "connector"
) -> dict[str, Any]:
    del partial  # every field maps one to one
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id",))
    if "standard" in src:
        out["standard"] = refuse_enum(src["standard"], CONNECTOR_TYPES_221_ONLY, at(path, "standard"))
    copy_fields(src, out, ("format",))
    if "power_type" in src:
        out["power_type"] = refuse_enum(src["power_type"], POWER_TYPES_221_ONLY, at(path, "power_type"))
    if "max_voltage" in src:
        out["voltage"] = src["max_voltage"]
    if "max_amperage" in src:
        out["amperage"] = src["max_amperage"]
    tariff_ids = items(src.get("tariff_ids"), at(path, "tariff_ids"))
    if len(tariff_ids) > 1:
        refuse(at(path, "tariff_ids"), f"{len(tariff_ids)} tariffs; a 2.1.1 connector carries one tariff_id")
    if tariff_ids:
        out["tariff_id"] = tariff_ids[0]
    copy_fields(src, out, ("terms_and_conditions", "last_updated"))
    drop(src, ("max_electric_power",), path, notes, NOT_IN_211)
    known = {*_CONNECTOR_SAME, "standard", "power_type", "max_voltage", "max_amperage", "tariff_ids"}
    unknown_fields(src, known | {"max_electric_power"}, path, notes, NOT_IN_211)
    return out


def hours_to_211(data: Any, path: str) -> dict[str, Any]:
    """`twentyfourseven: true`, or the regular hours (2.1.1's choice of one of two); exceptions either way."""
    src = obj(data, path)
    out: dict[str, Any] = {}
    if src.get("twentyfourseven") is True:
        out["twentyfourseven"] = True
    elif "regular_hours" in src:
        out["regular_hours"] = src["regular_hours"]
    copy_fields(src, out, ("exceptional_openings", "exceptional_closings"))
    return out


def energy_mix_to_211(data: Any, path: str) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _MIX_SAME)
    if "environ_impact" in src:
        impacts = items(src["environ_impact"], at(path, "environ_impact"))
        out["environ_impact"] = [
            _renamed(i, "category", "source", at(path, "environ_impact")) for i in impacts
        ]
    return out


def geo_to_211(data: Any, path: str) -> dict[str, Any]:
    """Coordinates with 5 decimals get a sixth zero: 2.1.1 demands exactly 6 (2.2.1 allows 5 to 7)."""
    src = obj(data, path)
    out = dict(src)
    for name in ("latitude", "longitude"):
        value = src.get(name)
        if isinstance(value, str) and _FIVE_DECIMALS.fullmatch(value):
            out[name] = value + "0"
    return out


def _with_connectors(
    src: dict[str, Any],
    out: dict[str, Any],
    convert: Callable[..., dict[str, Any]],
    *,
    notes: Notes | None,
    partial: bool,
    path: str,
    why: str,
) -> dict[str, Any]:
    """An EVSE's `out` with its connectors translated by `convert`; fields neither version's EVSE has noted
    as `why`."""
    if "connectors" in src:
        out["connectors"] = [
            convert(c, notes=notes, partial=partial, path=at(at(path, "connectors"), n))
            for n, c in enumerate(items(src["connectors"], at(path, "connectors")))
        ]
    unknown_fields(src, {*_EVSE_SAME, "capabilities", "coordinates", "connectors"}, path, notes, why)
    return out


def _location_type(value: Any, path: str, notes: Notes | None) -> Any:
    if value is None:
        return "UNKNOWN"
    if value in SHARED_PARKING_TYPES:
        return value
    if value in ("ALONG_MOTORWAY", "ON_DRIVEWAY"):
        note(notes, path, f"{value} is OTHER in 2.1.1")
        return "OTHER"
    return value  # a vendor value: forwarded as is (§22.4)


def _renamed(item: Any, old: str, new: str, path: str) -> dict[str, Any]:
    src = obj(item, path)
    return {(new if key == old else key): value for key, value in src.items()}
