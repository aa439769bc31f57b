"""OCPI 2.2.1 Tokens (mod_tokens.asciidoc): Token ↔ core Token, PATCH merge, LocationReferences and
AuthorizationInfo ↔ core AuthorizationDecision, and the validator `check_token`.

An adapter module: imports the core and the sibling `types` module only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthorizationDecision,
    AuthorizationStatus,
    PartyRef,
    Token,
    TokenType,
    WhitelistType,
)
from ocpi_modules.v2_2_1.types import Checker, display_text, to_datetime, upper

TOKEN_TYPES = frozenset(t.value for t in TokenType)
WHITELIST_TYPES = frozenset(w.value for w in WhitelistType)
ALLOWED_TYPES = frozenset({"ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"})
PROFILE_TYPES = frozenset({"CHEAP", "FAST", "GREEN", "REGULAR"})
_IDENTITY = ("country_code", "party_id", "uid", "type")


def _text(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidRequestError(f"{name}: missing", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRequestError(f"{name}: expected a string", field=name)
    return str(value)


def token_type(value: Any, field: str = "type") -> TokenType:
    """A TokenType, case-insensitive; absent means RFID (the URL default, TK-01)."""
    if value is None:
        return TokenType.RFID
    try:
        return TokenType(upper(value))
    except ValueError:
        raise InvalidRequestError(f"{field}: unknown token type {value!r}", field=field) from None


def to_core_token(data: dict[str, Any], *, own: bool = False) -> Token:
    """Map an OCPI Token. Structurally unusable input (no party, uid, `valid` or `last_updated`, unknown
    enum values) raises InvalidRequestError naming the field; a missing contract_id falls back to the uid
    and is left for `check_token` to flag. `energy_contract`/`default_profile_type` have no core home yet."""
    if not isinstance(data, dict):
        raise InvalidRequestError("token: expected a JSON object", field="token")
    country_code = _text(data, "country_code", required=True)
    party_id = _text(data, "party_id", required=True)
    try:
        party = PartyRef(country_code=country_code or "", party_id=party_id or "")
    except ValueError:
        raise InvalidRequestError("country_code/party_id: malformed", field="country_code") from None
    uid = _text(data, "uid", required=True) or ""
    if not uid:
        raise InvalidRequestError("uid: empty", field="uid")
    valid = data.get("valid")
    if not isinstance(valid, bool):
        raise InvalidRequestError(f"valid: expected true or false, got {valid!r}", field="valid")
    whitelist_raw = data.get("whitelist")
    try:
        whitelist = WhitelistType.ALLOWED if whitelist_raw is None else WhitelistType(upper(whitelist_raw))
    except ValueError:
        raise InvalidRequestError(f"whitelist: unknown value {whitelist_raw!r}", field="whitelist") from None
    return Token(
        uid=uid,
        party=party,
        type=token_type(data.get("type")),
        contract_id=_text(data, "contract_id") or uid,
        visual_number=_text(data, "visual_number"),
        issuer=_text(data, "issuer") or "",
        group_id=_text(data, "group_id"),
        valid=valid,
        whitelist=whitelist,
        language=_text(data, "language"),
        own=own,
        last_updated=to_datetime(data.get("last_updated"), "last_updated"),
    )


def from_core_token(token: Token) -> dict[str, Any]:
    result: dict[str, Any] = {
        "country_code": token.party.country_code,
        "party_id": token.party.party_id,
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
    }
    if token.visual_number is not None:
        result["visual_number"] = token.visual_number
    result["issuer"] = token.issuer
    if token.group_id is not None:
        result["group_id"] = token.group_id
    result["valid"] = token.valid
    result["whitelist"] = token.whitelist.value
    if token.language is not None:
        result["language"] = token.language
    result["last_updated"] = token.last_updated
    return result


def merge_token(stored: Token, patch: dict[str, Any]) -> Token:
    """Apply a Token PATCH (CO-06): fields present replace the stored ones, identity (party, uid, type) and
    `own` never change. Raises InvalidRequestError without `last_updated` or on unusable values."""
    if not isinstance(patch, dict):
        raise InvalidRequestError("token: expected a JSON object", field="token")
    if patch.get("last_updated") is None:
        raise InvalidRequestError("last_updated: a PATCH must carry last_updated", field="last_updated")
    merged = from_core_token(stored)
    merged.update({name: value for name, value in patch.items() if name not in _IDENTITY})
    return to_core_token(merged, own=stored.own)


def location_references(data: dict[str, Any] | None) -> tuple[str | None, tuple[str, ...]]:
    """LocationReferences of an authorize request (TK-02) → (location_id, evse_uids); no body → (None, ())."""
    if data is None:
        return None, ()
    if not isinstance(data, dict):
        raise InvalidRequestError("location references: expected a JSON object", field="location_id")
    location_id = _text(data, "location_id")
    raw_uids = data.get("evse_uids")
    if raw_uids is None:
        raw_uids = []
    if not isinstance(raw_uids, list) or not all(isinstance(u, str) for u in raw_uids):
        raise InvalidRequestError("evse_uids: expected a list of strings", field="evse_uids")
    if location_id is None and raw_uids:
        raise InvalidRequestError("location_id: required with evse_uids", field="location_id")
    return location_id, tuple(raw_uids)


def from_core_decision(
    decision: AuthorizationDecision, *, location_id: str | None, evse_uids: Sequence[str]
) -> dict[str, Any]:
    """AuthorizationInfo (TK-06). `location` is echoed only when allowed (only allowed EVSEs are listed; the
    core's decision covers all asked). The core's UNKNOWN has no AllowedType: the route answers 2004 for
    unknown tokens, so it is read as NOT_ALLOWED here. Raises ValueError without a token."""
    if decision.token is None:
        raise ValueError("an AuthorizationInfo needs the token the decision is about")
    allowed = decision.status.value if decision.status.value in ALLOWED_TYPES else "NOT_ALLOWED"
    result: dict[str, Any] = {"allowed": allowed, "token": from_core_token(decision.token)}
    if location_id is not None and decision.status is AuthorizationStatus.ALLOWED:
        result["location"] = {"location_id": location_id, "evse_uids": list(evse_uids)}
    if decision.authorization_reference is not None:
        result["authorization_reference"] = decision.authorization_reference
    if decision.reason:
        result["info"] = display_text(decision.reason)
    return result


def to_core_decision(data: dict[str, Any], token: Token) -> AuthorizationDecision:
    """An eMSP's AuthorizationInfo for `token` (the one asked about). The echoed Token replaces it when it
    parses and names the same uid; unknown `allowed` values are read as NOT_ALLOWED (fail closed)."""
    if not isinstance(data, dict):
        raise InvalidRequestError("authorization info: expected a JSON object", field="allowed")
    allowed = data.get("allowed")
    if allowed is None:
        raise InvalidRequestError("allowed: missing", field="allowed")
    reason: str | None = None
    try:
        status = AuthorizationStatus(upper(allowed))
        if status is AuthorizationStatus.UNKNOWN:
            raise ValueError(allowed)
    except ValueError:
        status = AuthorizationStatus.NOT_ALLOWED
        reason = f"unknown allowed value {allowed!r}"
    decided_token = token
    echoed = data.get("token")
    if isinstance(echoed, dict):
        try:
            parsed = to_core_token(echoed, own=token.own)
        except InvalidRequestError:
            parsed = None
        if parsed is not None and parsed.uid.lower() == token.uid.lower():
            decided_token = parsed
    info = data.get("info")
    if reason is None and isinstance(info, dict) and isinstance(info.get("text"), str):
        reason = info["text"]
    reference = data.get("authorization_reference")
    return AuthorizationDecision(
        status=status,
        token=decided_token,
        authorization_reference=str(reference) if reference is not None else None,
        reason=reason,
    )


def check_token(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound Token (TK-03, §20) as `path: problem` strings; never raises."""
    checker = Checker()
    if not checker.is_object(data, "token"):
        return checker.problems
    checker.party(data)
    checker.required(data, "", "uid", "type", "contract_id", "issuer", "valid", "whitelist", "last_updated")
    checker.cistring(data, "", "uid", 36)
    checker.enum(data, "", "type", TOKEN_TYPES)
    checker.cistring(data, "", "contract_id", 36)
    checker.string(data, "", "visual_number", 64)
    checker.string(data, "", "issuer", 64)
    checker.cistring(data, "", "group_id", 36)
    checker.boolean(data, "", "valid")
    checker.enum(data, "", "whitelist", WHITELIST_TYPES)
    checker.string(data, "", "language", 2)
    checker.enum(data, "", "default_profile_type", PROFILE_TYPES)
    contract = data.get("energy_contract")
    if contract is not None and checker.is_object(contract, "energy_contract"):
        checker.required(contract, "energy_contract", "supplier_name")
        checker.string(contract, "energy_contract", "supplier_name", 64)
        checker.string(contract, "energy_contract", "contract_id", 64)
    checker.datetime(data, "", "last_updated")
    return checker.problems
