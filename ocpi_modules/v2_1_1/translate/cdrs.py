"""CDRs between OCPI 2.1.1 and 2.2.1 (mod_cdrs; checklist §21, CD-04…CD-07, V211-02).

2.1.1 → 2.2.1: `stop_date_time` → `end_date_time`, `auth_id` → `cdr_token` (looked up by the caller), the
embedded Location → `cdr_location` (its one EVSE and connector), `total_cost` (a number excluding VAT) →
Price with `excl_vat` only, the FLAT dimension dropped. The 2.1.1 tariffs in the CDR are dropped and noted:
their prices carry no VAT rate, and a 2.2.1 price without one claims that no VAT applies.

2.2.1 → 2.1.1 refuses a credit CDR (2.1.1 has none: its eMSP would bill a negative CDR as a charge) and an id
longer than 2.1.1's 36 characters; `total_cost` becomes its `excl_vat` (`incl_vat` dropped and noted); the
sub-totals, signed data and references 2.1.1 lacks are dropped and noted. The 2.1.1 CDR embeds a full Location
(`voltage`, `amperage` and `last_updated` included) which `cdr_location` does not carry: the caller passes
the live Location, and the CDR's frozen `cdr_location` facts are laid over it.

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.common.routing import Untranslatable
from ocpi_modules.v2_1_1.translate.common import (
    Notes,
    at,
    copy_fields,
    drop,
    items,
    note,
    number_from_price,
    obj,
    owner_fields,
    price_from_number,
    refuse,
)
from ocpi_modules.v2_1_1.translate.locations import NOT_IN_211, NOT_IN_221, location_to_211, unknown_fields
from ocpi_modules.v2_1_1.translate.sessions import (
    auth_id_of,
    auth_method_to_211,
    narrowed_location,
    periods_to_211,
    periods_to_221,
)
from ocpi_modules.v2_1_1.translate.tariffs import tariff_to_211

_SAME = (
    "id", "start_date_time", "auth_method", "meter_id", "currency", "total_energy", "total_time",
    "total_parking_time", "remark", "last_updated",
)  # fmt: skip
_DROPPED_221 = (
    "session_id", "authorization_reference", "signed_data", "total_fixed_cost", "total_energy_cost",
    "total_time_cost", "total_parking_cost", "total_reservation_cost", "invoice_reference_id",
    "credit_reference_id", "home_charging_compensation",
)  # fmt: skip
CDR_ID_MAX_211 = 36


def cdr_to_221(
    data: Any,
    owner: PartyRef,
    *,
    cdr_token: dict[str, Any] | None,
    notes: Notes | None = None,
    path: str = "cdr",
) -> dict[str, Any]:
    """`cdr_token`: the CdrToken of the CDR's `auth_id` (None when unknown: refused)."""
    src = obj(data, path)
    out: dict[str, Any] = owner_fields(owner)
    copy_fields(src, out, ("id", "start_date_time"))
    if "stop_date_time" in src:
        out["end_date_time"] = src["stop_date_time"]
    if cdr_token is None:
        refuse(
            at(path, "auth_id"),
            f"no token with auth_id {src.get('auth_id')!r} is known to the hub: the CDR's eMSP is unknown",
        )
    out["cdr_token"] = cdr_token
    copy_fields(src, out, ("auth_method",))
    if "location" not in src:
        refuse(at(path, "location"), "required")
    out["cdr_location"] = cdr_location_from_211(src["location"], at(path, "location"))
    copy_fields(src, out, ("meter_id", "currency"))
    if src.get("tariffs"):
        note(notes, at(path, "tariffs"), "dropped: 2.1.1 prices carry no VAT rate")
    periods = periods_to_221(src.get("charging_periods"), at(path, "charging_periods"), notes)
    if not periods:
        refuse(at(path, "charging_periods"), "no charging period left that 2.2.1 can carry")
    out["charging_periods"] = periods
    if "total_cost" not in src:
        refuse(at(path, "total_cost"), "required")
    out["total_cost"] = price_from_number(src["total_cost"])
    copy_fields(src, out, ("total_energy", "total_time", "total_parking_time", "remark", "last_updated"))
    known = {*_SAME, "stop_date_time", "auth_id", "location", "tariffs", "charging_periods", "total_cost"}
    unknown_fields(src, known, path, notes, NOT_IN_221)
    return out


def cdr_location_from_211(data: Any, path: str) -> dict[str, Any]:
    """The CdrLocation of a 2.1.1 Location "including only the relevant EVSE and connector"."""
    src = obj(data, path)
    evses = items(src.get("evses"), at(path, "evses"))
    if not evses:
        refuse(at(path, "evses"), "must hold the EVSE of the CDR")
    evse = obj(evses[0], at(at(path, "evses"), 0))
    connectors = items(evse.get("connectors"), at(at(at(path, "evses"), 0), "connectors"))
    if not connectors:
        refuse(at(at(at(path, "evses"), 0), "connectors"), "must hold the connector of the CDR")
    connector = obj(connectors[0], at(at(at(path, "evses"), 0), "connectors[0]"))
    if evse.get("evse_id") in (None, ""):
        refuse(at(at(at(path, "evses"), 0), "evse_id"), "required in a 2.2.1 CdrLocation")
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id", "name", "address", "city"))
    if src.get("postal_code") not in (None, ""):
        out["postal_code"] = src["postal_code"]
    copy_fields(src, out, ("country", "coordinates"))
    out["evse_uid"] = evse.get("uid")
    out["evse_id"] = evse["evse_id"]
    out["connector_id"] = connector.get("id")
    out["connector_standard"] = connector.get("standard")
    out["connector_format"] = connector.get("format")
    out["connector_power_type"] = connector.get("power_type")
    return out


def cdr_to_211(
    data: Any, *, location: dict[str, Any] | None, notes: Notes | None = None, path: str = "cdr"
) -> dict[str, Any]:
    """`location`: the live 2.2.1 Location of the CDR's `cdr_location` (None when it could not be found:
    refused, as 2.1.1 needs the connector's voltage and amperage)."""
    src = obj(data, path)
    if src.get("credit") is True:
        refuse(at(path, "credit"), "credit CDRs do not exist in OCPI 2.1.1")
    cdr_id = src.get("id")
    if isinstance(cdr_id, str) and len(cdr_id) > CDR_ID_MAX_211:
        refuse(at(path, "id"), f"{len(cdr_id)} characters; 2.1.1 CDR ids have at most {CDR_ID_MAX_211}")
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id", "start_date_time"))
    if "end_date_time" in src:
        out["stop_date_time"] = src["end_date_time"]
    out["auth_id"] = auth_id_of(src.get("cdr_token"), at(path, "cdr_token"))
    out["auth_method"] = auth_method_to_211(src.get("auth_method"), at(path, "auth_method"), notes)
    out["location"] = cdr_location_to_211(src.get("cdr_location"), location, at(path, "cdr_location"), notes)
    copy_fields(src, out, ("meter_id", "currency"))
    if "tariffs" in src:
        out["tariffs"] = _tariffs_to_211(src["tariffs"], at(path, "tariffs"), notes)
    periods = periods_to_211(src.get("charging_periods"), at(path, "charging_periods"), notes)
    if not periods:
        refuse(at(path, "charging_periods"), "no charging period left that 2.1.1 can carry")
    out["charging_periods"] = periods
    if src.get("total_cost") is None:
        refuse(at(path, "total_cost"), "required")
    out["total_cost"] = number_from_price(src["total_cost"], at(path, "total_cost"), notes)
    copy_fields(src, out, ("total_energy", "total_time", "total_parking_time", "remark", "last_updated"))
    drop(src, _DROPPED_221, path, notes, NOT_IN_211)
    known = {*_SAME, *_DROPPED_221, "country_code", "party_id", "end_date_time", "cdr_token", "cdr_location"}
    known |= {"tariffs", "charging_periods", "total_cost", "credit"}
    unknown_fields(src, known, path, notes, NOT_IN_211)
    return out


def cdr_location_to_211(
    cdr_location: Any, live: dict[str, Any] | None, path: str, notes: Notes | None
) -> dict[str, Any]:
    """The 2.1.1 Location of a CDR: the live Location narrowed to the CDR's EVSE and connector, with the facts
    the CDR froze at session start (address, coordinates, EVSE id, connector standard …) laid over it."""
    frozen = obj(cdr_location, path)
    if live is None:
        refuse(path, "2.1.1 embeds the full Location (voltage, amperage), which could not be found")
    narrowed = narrowed_location(live, frozen.get("evse_uid"), frozen.get("connector_id"), path)
    evse = dict(narrowed["evses"][0])
    connector = dict(evse["connectors"][0])
    if len(connector.get("tariff_ids") or ()) > 1:
        note(notes, at(path, "tariff_ids"), "the connector's several tariffs dropped (2.1.1 carries one)")
        connector.pop("tariff_ids")
    frozen_connector = (
        ("standard", "connector_standard"),
        ("format", "connector_format"),
        ("power_type", "connector_power_type"),
    )
    for name, source in frozen_connector:
        if frozen.get(source) is not None:
            connector[name] = frozen[source]
    if frozen.get("evse_id") is not None:
        evse["evse_id"] = frozen["evse_id"]
    evse["connectors"] = [connector]
    location = {**narrowed, "evses": [evse]}
    for name in ("id", "name", "address", "city", "postal_code", "state", "country", "coordinates"):
        if frozen.get(name) is not None:
            location[name] = frozen[name]
    return location_to_211(location, notes=notes, path=path)


def _tariffs_to_211(value: Any, path: str, notes: Notes | None) -> list[dict[str, Any]]:
    """The tariffs of a CDR are for reference: one 2.1.1 cannot express is dropped and noted, the CDR (whose
    total_cost is what is billed) still goes."""
    result = []
    for n, tariff in enumerate(items(value, path)):
        try:
            result.append(tariff_to_211(tariff, notes=notes, path=at(path, n)))
        except Untranslatable as exc:
            note(notes, at(path, n), f"dropped: {exc}")
    return result
