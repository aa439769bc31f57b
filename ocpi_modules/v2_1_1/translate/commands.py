"""Commands between OCPI 2.1.1 and 2.2.1 (mod_commands; checklist §21, CM-01…CM-08).

2.1.1 knows RESERVE_NOW, START_SESSION, STOP_SESSION and UNLOCK_CONNECTOR; CANCEL_RESERVATION is refused.
ReserveNow's `reservation_id` is an int in 2.1.1 and a CiString(36) in 2.2.1 (only digits translate back);
StartSession's `connector_id` and `authorization_reference` have no 2.1.1 field (dropped and noted).

2.1.1 has one object for both answers, CommandResponse `{result}`: the CPO's synchronous answer and the
charge point's result POSTed to `response_url` later. 2.2.1 splits them into CommandResponse `{result,
timeout, message?}` and CommandResult `{result, message?}`, with different result values:

- 2.1.1 sync → 2.2.1 CommandResponse: TIMEOUT → REJECTED (with a message); `timeout` = `DEFAULT_TIMEOUT_S`;
- 2.1.1 async → 2.2.1 CommandResult: UNKNOWN_SESSION → REJECTED (with a message);
- 2.2.1 CommandResult → 2.1.1: FAILED, EVSE_OCCUPIED, EVSE_INOPERATIVE, CANCELED_RESERVATION and
  UNKNOWN_RESERVATION → REJECTED.

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

import re
from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.v2_1_1.translate.common import Notes, at, copy_fields, drop, note, obj, refuse
from ocpi_modules.v2_1_1.translate.locations import NOT_IN_211, NOT_IN_221, unknown_fields
from ocpi_modules.v2_1_1.translate.tokens import token_to_211, token_to_221

COMMANDS_211 = frozenset({"RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"})
# How long a 2.2.1 eMSP waits for the result of a command a 2.1.1 CPO accepted: 2.1.1 answers give no
# timeout, and 2.2.1 requires one (CM-02). Long enough for a charge point on a slow link (CM-05).
DEFAULT_TIMEOUT_S = 60
# 2.1.1 ReserveNow.reservation_id is an int: 32-bit signed, as OCPP's reservationId it ends up in.
_INT32_DIGITS = re.compile(r"0|[1-9][0-9]{0,9}")
_INT32_MAX = 2**31 - 1

_FIELDS = {
    "START_SESSION": ("response_url", "token", "location_id", "evse_uid"),
    "STOP_SESSION": ("response_url", "session_id"),
    "RESERVE_NOW": ("response_url", "token", "expiry_date", "reservation_id", "location_id", "evse_uid"),
    "UNLOCK_CONNECTOR": ("response_url", "location_id", "evse_uid", "connector_id"),
}
_DROPPED_221 = {
    "START_SESSION": ("connector_id", "authorization_reference"),
    "RESERVE_NOW": ("authorization_reference",),
}
_RESULT_221_TO_211 = {
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "TIMEOUT": "TIMEOUT",
    "FAILED": "REJECTED",
    "EVSE_OCCUPIED": "REJECTED",
    "EVSE_INOPERATIVE": "REJECTED",
    "CANCELED_RESERVATION": "REJECTED",
    "UNKNOWN_RESERVATION": "REJECTED",
}


def command_name(value: str, path: str = "command") -> str:
    """The 2.1.1 command named in a URL, upper case; anything else is refused."""
    name = value.upper()
    if name not in COMMANDS_211:
        refuse(path, f"{value} is not an OCPI 2.1.1 command")
    return name


def command_to_221(
    command: str, data: Any, owner: PartyRef, *, notes: Notes | None = None, path: str = "command"
) -> dict[str, Any]:
    """A 2.1.1 command request from the eMSP `owner` (the owner of its token)."""
    name = command_name(command)
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _FIELDS[name])
    if "token" in out:
        out["token"] = token_to_221(src["token"], owner, notes=notes, path=at(path, "token"))
    if name == "RESERVE_NOW" and "reservation_id" in src:
        value = src["reservation_id"]
        if isinstance(value, bool) or not isinstance(value, int):
            refuse(at(path, "reservation_id"), "must be an integer in 2.1.1")
        out["reservation_id"] = str(value)
    unknown_fields(src, set(_FIELDS[name]), path, notes, NOT_IN_221)
    return out


def command_to_211(
    command: str, data: Any, *, notes: Notes | None = None, path: str = "command"
) -> dict[str, Any]:
    """A 2.2.1 command request as a 2.1.1 CPO takes it."""
    name = command_name(command)
    src = obj(data, path)
    out: dict[str, Any] = {}
    copy_fields(src, out, _FIELDS[name])
    if "token" in out:
        out["token"] = token_to_211(src["token"], notes=notes, path=at(path, "token"))
    if name == "RESERVE_NOW" and "reservation_id" in src:
        out["reservation_id"] = reservation_id_to_211(src["reservation_id"], at(path, "reservation_id"))
    dropped = _DROPPED_221.get(name, ())
    drop(src, dropped, path, notes, NOT_IN_211)
    unknown_fields(src, {*_FIELDS[name], *dropped}, path, notes, NOT_IN_211)
    return out


def reservation_id_to_211(value: Any, path: str) -> int:
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not _INT32_DIGITS.fullmatch(text) or int(text) > _INT32_MAX:
        refuse(path, f"{value!r} is not a 2.1.1 reservation id (a non-negative 32-bit integer)")
    return int(text)


def command_response_to_221(
    data: Any, *, notes: Notes | None = None, path: str = "response"
) -> dict[str, Any]:
    """A 2.1.1 CPO's synchronous CommandResponse as 2.2.1's (with `timeout`)."""
    src = obj(data, path)
    result = src.get("result")
    out: dict[str, Any] = {"result": result, "timeout": DEFAULT_TIMEOUT_S}
    if result == "TIMEOUT":
        out["result"] = "REJECTED"
        out["message"] = [_text("TIMEOUT: the charge point did not answer the CPO")]
        note(notes, at(path, "result"), "TIMEOUT is REJECTED in a 2.2.1 CommandResponse")
    unknown_fields(src, {"result"}, path, notes, NOT_IN_221)
    return out


def command_response_to_211(
    data: Any, *, notes: Notes | None = None, path: str = "response"
) -> dict[str, Any]:
    src = obj(data, path)
    drop(src, ("message",), path, notes, NOT_IN_211)
    unknown_fields(src, {"result", "timeout", "message"}, path, notes, NOT_IN_211)
    return {"result": src.get("result")}


def command_result_to_221(data: Any, *, notes: Notes | None = None, path: str = "result") -> dict[str, Any]:
    """The CommandResponse a 2.1.1 CPO POSTs to `response_url` as a 2.2.1 CommandResult."""
    src = obj(data, path)
    result = src.get("result")
    out: dict[str, Any] = {"result": result}
    if result == "UNKNOWN_SESSION":
        out["result"] = "REJECTED"
        out["message"] = [_text("UNKNOWN_SESSION: the session is not known to the CPO")]
        note(notes, at(path, "result"), "UNKNOWN_SESSION is REJECTED in a 2.2.1 CommandResult")
    unknown_fields(src, {"result"}, path, notes, NOT_IN_221)
    return out


def command_result_to_211(data: Any, *, notes: Notes | None = None, path: str = "result") -> dict[str, Any]:
    """A 2.2.1 CommandResult as the CommandResponse a 2.1.1 eMSP expects at its `response_url`."""
    src = obj(data, path)
    result = src.get("result")
    mapped = _RESULT_221_TO_211.get(result, result) if isinstance(result, str) else result
    if mapped != result:
        note(notes, at(path, "result"), f"{result} is {mapped} in 2.1.1")
    drop(src, ("message",), path, notes, NOT_IN_211)
    unknown_fields(src, {"result", "message"}, path, notes, NOT_IN_211)
    return {"result": mapped}


def _text(text: str) -> dict[str, str]:
    return {"language": "en", "text": text}
