"""Sessions and charging periods between OCPI 2.1.1 and 2.2.1 (mod_sessions; checklist §21, SE-06, SE-07).

2.1.1 names the token by `auth_id` and embeds the whole Location; 2.2.1 names the token by `cdr_token`
(owner, uid, type, contract_id) and the place by `location_id`/`evse_uid`/`connector_id`. Neither side can be
derived from the other alone, so the caller looks them up and passes them in: the CdrToken of the auth_id
(2.1.1 → 2.2.1) and the 2.1.1 Location narrowed to the session's EVSE and connector (2.2.1 → 2.1.1).
`total_cost` is a number excluding VAT in 2.1.1 and a Price in 2.2.1 (`incl_vat` never invented).

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.v2_1_1.translate.common import (
    DIMENSIONS_211_ONLY,
    DIMENSIONS_221_ONLY,
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

_SAME = ("id", "kwh", "auth_method", "meter_id", "currency", "status", "last_updated")
_PLACE = ("location_id", "evse_uid", "connector_id")


# --- shared by Sessions and CDRs ----------------------------------------------------------------------------


def auth_method_to_211(value: Any, path: str, notes: Notes | None) -> Any:
    """COMMAND (2.2.1) is an authorization the eMSP gave, which 2.1.1 calls AUTH_REQUEST."""
    if value == "COMMAND":
        note(notes, path, "COMMAND is AUTH_REQUEST in 2.1.1")
        return "AUTH_REQUEST"
    return value


def auth_id_of(cdr_token: Any, path: str) -> Any:
    """The 2.1.1 `auth_id` of a 2.2.1 CdrToken or Token: its contract_id (both "identify the EV driver
    contract token within the eMSP's platform")."""
    token = obj(cdr_token, path)
    if token.get("contract_id") in (None, ""):
        refuse(at(path, "contract_id"), "needed as the 2.1.1 auth_id")
    return token["contract_id"]


def periods_to_221(value: Any, path: str, notes: Notes | None) -> list[dict[str, Any]]:
    """Charging periods without the FLAT dimension (2.2.1 has none); a period left without dimensions is
    dropped."""
    return _periods(value, path, notes, DIMENSIONS_211_ONLY, NOT_IN_221)


def periods_to_211(value: Any, path: str, notes: Notes | None) -> list[dict[str, Any]]:
    """Charging periods without the dimensions and `tariff_id` 2.1.1 lacks."""
    return _periods(value, path, notes, DIMENSIONS_221_ONLY, NOT_IN_211)


def _periods(
    value: Any, path: str, notes: Notes | None, unknown: frozenset[str], why: str
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for n, raw in enumerate(items(value, path)):
        where = at(path, n)
        period = obj(raw, where)
        dimensions = []
        for m, dimension in enumerate(items(period.get("dimensions"), at(where, "dimensions"))):
            kind = obj(dimension, at(at(where, "dimensions"), m)).get("type")
            if kind in unknown:
                note(
                    notes,
                    at(at(where, "dimensions"), m),
                    f"{kind} dropped: the other version has no such dimension",
                )
            else:
                dimensions.append(dimension)
        unknown_fields(period, {"start_date_time", "dimensions"}, where, notes, why)
        if not dimensions:
            note(notes, where, "dropped: no dimension left")
            continue
        result.append({"start_date_time": period.get("start_date_time"), "dimensions": dimensions})
    return result


def narrowed_location(location: Any, evse_uid: Any, connector_id: Any, path: str) -> dict[str, Any]:
    """A 2.2.1 Location holding only the EVSE `evse_uid` with only its connector `connector_id`, published (a
    session or CDR is reported whatever the Location's visibility, CD-15); refused when either is missing."""
    src = obj(location, path)
    evse = next(
        (
            e
            for e in items(src.get("evses"), at(path, "evses"))
            if isinstance(e, dict) and str(e.get("uid", "")).lower() == str(evse_uid).lower()
        ),
        None,
    )
    if evse is None:
        refuse(at(path, "evses"), f"the Location has no EVSE {evse_uid!r}")
    connector = next(
        (
            c
            for c in items(evse.get("connectors"), at(path, "connectors"))
            if isinstance(c, dict) and str(c.get("id", "")).lower() == str(connector_id).lower()
        ),
        None,
    )
    if connector is None:
        refuse(at(path, "connectors"), f"EVSE {evse_uid!r} has no connector {connector_id!r}")
    narrowed = {k: v for k, v in src.items() if k not in ("publish_allowed_to",)}
    narrowed["publish"] = True
    narrowed["evses"] = [{**evse, "connectors": [connector]}]
    return narrowed


def place_of(location: Any, path: str, notes: Notes | None) -> dict[str, Any]:
    """location_id, evse_uid and connector_id of a 2.1.1 Location "including only the relevant EVSE and
    connector"."""
    src = obj(location, path)
    evses = items(src.get("evses"), at(path, "evses"))
    if not evses:
        refuse(at(path, "evses"), "must hold the EVSE of the session")
    evse = obj(evses[0], at(at(path, "evses"), 0))
    connectors = items(evse.get("connectors"), at(at(at(path, "evses"), 0), "connectors"))
    if not connectors:
        refuse(at(at(at(path, "evses"), 0), "connectors"), "must hold the connector of the session")
    connector = obj(connectors[0], at(at(at(path, "evses"), 0), "connectors[0]"))
    if len(evses) > 1 or len(connectors) > 1:
        note(notes, path, "holds several EVSEs or connectors: the first ones are taken")
    if src.get("id") is None or evse.get("uid") is None or connector.get("id") is None:
        refuse(path, "id, evses[0].uid and evses[0].connectors[0].id are required")
    return {"location_id": src["id"], "evse_uid": evse["uid"], "connector_id": connector["id"]}


# --- Session ------------------------------------------------------------------------------------------------


def session_to_221(
    data: Any,
    owner: PartyRef,
    *,
    cdr_token: dict[str, Any] | None,
    notes: Notes | None = None,
    partial: bool = False,
    path: str = "session",
) -> dict[str, Any]:
    """`cdr_token`: the CdrToken the session's `auth_id` stands for (None when unknown: refused)."""
    src = obj(data, path)
    out: dict[str, Any] = {} if partial else owner_fields(owner)
    copy_fields(src, out, ("id",))
    if "start_datetime" in src:
        out["start_date_time"] = src["start_datetime"]
    if "end_datetime" in src:
        out["end_date_time"] = src["end_datetime"]
    copy_fields(src, out, ("kwh",))
    if "auth_id" in src or not partial:
        if cdr_token is None:
            refuse(
                at(path, "auth_id"),
                f"no token with auth_id {src.get('auth_id')!r} is known to the hub: the session's eMSP "
                "cannot be named (2.2.1 cdr_token)",
            )
        out["cdr_token"] = cdr_token
    copy_fields(src, out, ("auth_method",))
    if "location" in src:
        out.update(place_of(src["location"], at(path, "location"), notes))
    elif not partial:
        refuse(at(path, "location"), "required")
    copy_fields(src, out, ("meter_id", "currency"))
    if "charging_periods" in src:
        out["charging_periods"] = periods_to_221(src["charging_periods"], at(path, "charging_periods"), notes)
    if "total_cost" in src:
        out["total_cost"] = price_from_number(src["total_cost"])
    copy_fields(src, out, ("status", "last_updated"))
    known = {
        *_SAME,
        "start_datetime",
        "end_datetime",
        "auth_id",
        "location",
        "charging_periods",
        "total_cost",
    }
    unknown_fields(src, known, path, notes, NOT_IN_221)
    return out


def session_to_211(
    data: Any,
    *,
    location: dict[str, Any] | None,
    notes: Notes | None = None,
    partial: bool = False,
    path: str = "session",
) -> dict[str, Any]:
    """`location`: the session's 2.2.1 Location (see `narrowed_location`), needed whenever the session names
    its place (always for a full Session); None when it could not be found (refused)."""
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("id",))
    if "start_date_time" in src:
        out["start_datetime"] = src["start_date_time"]
    if "end_date_time" in src:
        out["end_datetime"] = src["end_date_time"]
    copy_fields(src, out, ("kwh",))
    if "cdr_token" in src:
        out["auth_id"] = auth_id_of(src["cdr_token"], at(path, "cdr_token"))
    elif not partial:
        refuse(at(path, "cdr_token"), "required")
    if "auth_method" in src:
        out["auth_method"] = auth_method_to_211(src["auth_method"], at(path, "auth_method"), notes)
    if not partial or any(name in src for name in _PLACE):
        if location is None:
            refuse(at(path, "location_id"), "the 2.1.1 Session embeds its Location, which could not be found")
        out["location"] = location_to_211(location, notes=notes, path=at(path, "location"))
    copy_fields(src, out, ("meter_id", "currency"))
    if "charging_periods" in src:
        out["charging_periods"] = periods_to_211(src["charging_periods"], at(path, "charging_periods"), notes)
    if "total_cost" in src:
        out["total_cost"] = number_from_price(src["total_cost"], at(path, "total_cost"), notes)
    if "status" in src:
        out["status"] = _status_to_211(src["status"], at(path, "status"), notes)
    copy_fields(src, out, ("last_updated",))
    drop(src, ("authorization_reference",), path, notes, NOT_IN_211)
    known = {*_SAME, *_PLACE, "country_code", "party_id", "start_date_time", "end_date_time", "cdr_token"}
    known |= {"charging_periods", "total_cost", "authorization_reference"}
    unknown_fields(src, known, path, notes, NOT_IN_211)
    return out


def _status_to_211(value: Any, path: str, notes: Notes | None) -> Any:
    if value in ("RESERVATION", "RESERVED"):
        note(notes, path, f"{value} is PENDING in 2.1.1 (not started yet)")
        return "PENDING"
    return value
