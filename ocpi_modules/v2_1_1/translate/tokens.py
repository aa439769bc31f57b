"""Tokens, LocationReferences and AuthorizationInfo between OCPI 2.1.1 and 2.2.1 (mod_tokens; checklist §21,
TK-03, TK-06).

The 2.1.1 Token names its contract `auth_id` (2.2.1 `contract_id`) and carries no owner (the caller passes
it); its types are RFID and OTHER only, so APP_USER and AD_HOC_USER tokens become OTHER. `group_id`,
`energy_contract` and `default_profile_type` have no 2.1.1 field and are dropped and noted. WhitelistType
is the same in both. A 2.1.1 AuthorizationInfo has no Token, which 2.2.1 requires: the caller passes the
token it knows (or the answer is refused).

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.v2_1_1.translate.common import (
    TOKEN_TYPES_221_ONLY,
    Notes,
    at,
    copy_fields,
    drop,
    note,
    obj,
    owner_fields,
    refuse,
)
from ocpi_modules.v2_1_1.translate.locations import NOT_IN_211, NOT_IN_221, unknown_fields

_SAME = ("uid", "type", "visual_number", "issuer", "valid", "whitelist", "language", "last_updated")
_DROPPED_221 = ("group_id", "energy_contract", "default_profile_type")
CDR_TOKEN_FIELDS = ("country_code", "party_id", "uid", "type", "contract_id")


def token_to_221(
    data: Any, owner: PartyRef, *, notes: Notes | None = None, partial: bool = False, path: str = "token"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {} if partial else owner_fields(owner)
    copy_fields(src, out, ("uid", "type"))
    if "auth_id" in src:
        out["contract_id"] = src["auth_id"]
    copy_fields(src, out, _SAME[2:])
    unknown_fields(src, {*_SAME, "auth_id"}, path, notes, NOT_IN_221)
    return out


def token_to_211(
    data: Any, *, notes: Notes | None = None, partial: bool = False, path: str = "token"
) -> dict[str, Any]:
    del partial  # every field maps one to one
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("uid",))
    if "type" in src:
        out["type"] = token_type_to_211(src["type"], at(path, "type"), notes)
    if "contract_id" in src:
        out["auth_id"] = src["contract_id"]
    copy_fields(src, out, _SAME[2:])
    drop(src, _DROPPED_221, path, notes, NOT_IN_211)
    known = {*_SAME, *_DROPPED_221, "contract_id", "country_code", "party_id"}
    unknown_fields(src, known, path, notes, NOT_IN_211)
    return out


def token_type_to_211(value: Any, path: str, notes: Notes | None) -> Any:
    if isinstance(value, str) and value in TOKEN_TYPES_221_ONLY:
        note(notes, path, f"{value} is OTHER in 2.1.1")
        return "OTHER"
    return value


def cdr_token_of(token: Any, path: str = "token") -> dict[str, Any]:
    """The CdrToken (2.2.1) of a 2.2.1 Token: who owns it and how it is identified."""
    src = obj(token, path)
    missing = [name for name in CDR_TOKEN_FIELDS if src.get(name) in (None, "")]
    if missing:
        refuse(at(path, missing[0]), "required in a CdrToken")
    return {name: src[name] for name in CDR_TOKEN_FIELDS}


def location_references_to_221(
    data: Any, *, notes: Notes | None = None, path: str = "location"
) -> dict[str, Any]:
    """2.2.1 LocationReferences have no `connector_ids`: dropped and noted."""
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("location_id", "evse_uids"))
    drop(src, ("connector_ids",), path, notes, NOT_IN_221)
    unknown_fields(src, {"location_id", "evse_uids", "connector_ids"}, path, notes, NOT_IN_221)
    return out


def location_references_to_211(
    data: Any, *, notes: Notes | None = None, path: str = "location"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("location_id", "evse_uids"))
    unknown_fields(src, {"location_id", "evse_uids"}, path, notes, NOT_IN_211)
    return out


def authorization_info_to_221(
    data: Any, *, token: dict[str, Any] | None, notes: Notes | None = None, path: str = "authorization"
) -> dict[str, Any]:
    """`token`: the 2.2.1 Token this authorization is about (2.2.1 requires it; None: refused)."""
    src = obj(data, path)
    if token is None:
        refuse(
            at(path, "token"),
            "2.2.1 requires the Token, which the 2.1.1 answer lacks and the hub does not know",
        )
    out: dict[str, Any] = {}
    copy_fields(src, out, ("allowed",))
    out["token"] = token
    if src.get("location") is not None:
        out["location"] = location_references_to_221(src["location"], notes=notes, path=at(path, "location"))
    copy_fields(src, out, ("info",))
    unknown_fields(src, {"allowed", "location", "info"}, path, notes, NOT_IN_221)
    return out


def authorization_info_to_211(
    data: Any, *, notes: Notes | None = None, path: str = "authorization"
) -> dict[str, Any]:
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, ("allowed",))
    if src.get("location") is not None:
        out["location"] = location_references_to_211(src["location"], notes=notes, path=at(path, "location"))
    copy_fields(src, out, ("info",))
    drop(src, ("authorization_reference",), path, notes, NOT_IN_211)
    known = {"allowed", "location", "info", "authorization_reference", "token"}
    unknown_fields(src, known, path, notes, NOT_IN_211)
    return out
