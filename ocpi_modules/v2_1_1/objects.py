"""Which object an OCPI message carries and its translation with the lookups it needs (checklist §21): the
one dispatch both directions use — inbound (a 2.1.1 partner's request to 2.2.1, the hub's answer back to
2.1.1) and outbound (`Link211`: a canonical request to 2.1.1, the partner's answer back to 2.2.1).

An object is named by `kind`: "location", "evse", "connector", "session", "cdr", "tariff", "token",
"location_references", "authorization", "command:<NAME>", "command_response", "command_result". `body_kind`
and `answer_kind` read it off an interface (module, role at the receiver), method and URL tail.

An adapter module: imports structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import structlog

from hub.core.models import PartyRef
from ocpi_modules.common.routing import RECEIVER, SENDER, Untranslatable
from ocpi_modules.v2_1_1 import translate as t
from ocpi_modules.v2_1_1.lookups import Lookups

log = structlog.get_logger(__name__)

# The object of one interface's single-object messages, by module and role at the receiver.
_OBJECTS = {"sessions": "session", "cdrs": "cdr", "tariffs": "tariff", "tokens": "token"}
_LOCATION_KINDS = ("location", "evse", "connector")


def location_kind(role: str, tail: tuple[str, ...]) -> str:
    """Receiver URLs are `{cc}/{pid}/{location}[/{evse}[/{connector}]]`, Sender URLs lack the cc/pid."""
    depth = len(tail) - (2 if role == RECEIVER else 0)
    if not 1 <= depth <= 3:
        raise Untranslatable("not a Location, EVSE or Connector URL", path="url")
    return _LOCATION_KINDS[depth - 1]


def is_authorize(module: str, role: str, tail: tuple[str, ...]) -> bool:
    return module == "tokens" and role == SENDER and len(tail) == 2 and tail[1].lower() == "authorize"


def body_kind(module: str, role: str, method: str, tail: tuple[str, ...]) -> str | None:
    """The object in the body of a request (None: the request has no body); Untranslatable for a request
    2.1.1 does not have."""
    if method in ("GET", "DELETE"):
        return None
    if module == "locations" and role == RECEIVER and method in ("PUT", "PATCH"):
        return location_kind(role, tail)
    if module in ("sessions", "tokens") and role == RECEIVER and method in ("PUT", "PATCH"):
        return _OBJECTS[module]
    if module == "tariffs" and role == RECEIVER and method == "PUT":
        return "tariff"
    if module == "cdrs" and role == RECEIVER and method == "POST":
        return "cdr"
    if method == "POST" and is_authorize(module, role, tail):
        return "location_references"
    if module == "commands" and method == "POST" and role == RECEIVER and len(tail) == 1:
        return f"command:{t.command_name(tail[0], 'url')}"
    if module == "commands" and method == "POST" and role == SENDER:
        return "command_result"
    raise Untranslatable(f"{method} on the {module} {role.lower()} interface does not exist in OCPI 2.1.1")


def answer_kind(module: str, role: str, method: str, tail: tuple[str, ...]) -> str | None:
    """The object in a successful answer's `data` (a list of them for a list GET); None: no data to carry."""
    if method == "GET":
        if module == "locations":
            return "location" if not tail else location_kind(role, tail)
        return _OBJECTS.get(module)
    if method == "POST" and is_authorize(module, role, tail):
        return "authorization"
    if module == "commands" and method == "POST" and role == RECEIVER:
        return "command_response"
    return None


def is_list(module: str, role: str, method: str, tail: tuple[str, ...]) -> bool:
    return method == "GET" and role == SENDER and not tail and module in ("locations", *_OBJECTS)


# --- translation tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One translation: the lookups, where drops are noted, and what the message says beyond its body —
    the object's owner (from the URL, or the party a 2.1.1 object belongs to), whether it is a PATCH, how a
    `response_url` must look to a 2.1.1 CPO, and the (uid, type) an AuthorizationInfo answers for."""

    ctx: Lookups
    notes: t.Notes
    owner: PartyRef | None = None
    partial: bool = False
    rewrite_url: Callable[[str], str] | None = None
    token_key: tuple[str, str] | None = None

    @property
    def party(self) -> PartyRef:
        """The owner a 2.1.1 object needs to become 2.2.1 (the caller always knows it)."""
        assert self.owner is not None, "a 2.1.1 object is translated for a known owner"
        return self.owner


Translation = Callable[[Job, Any], Awaitable[Any]]


async def _location_211(job: Job, data: Any) -> Any:
    return t.location_to_211(data, notes=job.notes, partial=job.partial)


async def _evse_211(job: Job, data: Any) -> Any:
    return t.evse_to_211(data, notes=job.notes, partial=job.partial)


async def _connector_211(job: Job, data: Any) -> Any:
    return t.connector_to_211(data, notes=job.notes, partial=job.partial)


async def _session_211(job: Job, data: Any) -> Any:
    if isinstance(data, dict):
        await job.ctx.remember_auth_id(data.get("cdr_token"))
    location = await _session_location(job.ctx, data, job.owner)
    return t.session_to_211(data, location=location, notes=job.notes, partial=job.partial)


async def _cdr_211(job: Job, data: Any) -> Any:
    if isinstance(data, dict):
        await job.ctx.remember_auth_id(data.get("cdr_token"))
    return t.cdr_to_211(data, location=await _cdr_location(job.ctx, data), notes=job.notes)


async def _tariff_211(job: Job, data: Any) -> Any:
    return t.tariff_to_211(data, notes=job.notes)


async def _token_211(job: Job, data: Any) -> Any:
    if not job.partial:
        await job.ctx.remember_token(data)
    return t.token_to_211(data, notes=job.notes, partial=job.partial)


async def _references_211(job: Job, data: Any) -> Any:
    return None if data is None else t.location_references_to_211(data, notes=job.notes)


async def _authorization_211(job: Job, data: Any) -> Any:
    if isinstance(data, dict):
        await job.ctx.remember_token(data.get("token"))
    return t.authorization_info_to_211(data, notes=job.notes)


def _command_211(name: str) -> Translation:
    async def translate(job: Job, data: Any) -> Any:
        body = t.command_to_211(name, data, notes=job.notes)
        if isinstance(data, dict) and isinstance(data.get("token"), dict):
            await job.ctx.remember_token(data["token"])
        if job.rewrite_url is not None and isinstance(body.get("response_url"), str):
            body["response_url"] = job.rewrite_url(body["response_url"])
        return body

    return translate


async def _command_response_211(job: Job, data: Any) -> Any:
    return t.command_response_to_211(data, notes=job.notes)


async def _command_result_211(job: Job, data: Any) -> Any:
    return t.command_result_to_211(data, notes=job.notes)


async def _location_221(job: Job, data: Any) -> Any:
    return t.location_to_221(data, job.party, notes=job.notes, partial=job.partial)


async def _evse_221(job: Job, data: Any) -> Any:
    return t.evse_to_221(data, notes=job.notes, partial=job.partial)


async def _connector_221(job: Job, data: Any) -> Any:
    return t.connector_to_221(data, notes=job.notes, partial=job.partial)


async def _session_221(job: Job, data: Any) -> Any:
    token = await _token_of_auth_id(job.ctx, data)
    return t.session_to_221(data, job.party, cdr_token=token, notes=job.notes, partial=job.partial)


async def _cdr_221(job: Job, data: Any) -> Any:
    token = await _token_of_auth_id(job.ctx, data)
    return t.cdr_to_221(data, job.party, cdr_token=token, notes=job.notes)


async def _tariff_221(job: Job, data: Any) -> Any:
    return t.tariff_to_221(data, job.party, notes=job.notes)


async def _token_221(job: Job, data: Any) -> Any:
    token = t.token_to_221(data, job.party, notes=job.notes, partial=job.partial)
    if not job.partial:
        await job.ctx.remember_token(token)
    return token


async def _references_221(job: Job, data: Any) -> Any:
    return None if data is None else t.location_references_to_221(data, notes=job.notes)


async def _authorization_221(job: Job, data: Any) -> Any:
    uid, token_type = job.token_key or ("", "RFID")
    token = await job.ctx.token(job.owner, uid, token_type)
    return t.authorization_info_to_221(data, token=token, notes=job.notes)


def _command_221(name: str) -> Translation:
    async def translate(job: Job, data: Any) -> Any:
        body = t.command_to_221(name, data, job.party, notes=job.notes)
        await job.ctx.remember_token(body.get("token"))
        return body

    return translate


async def _command_response_221(job: Job, data: Any) -> Any:
    return t.command_response_to_221(data, notes=job.notes)


async def _command_result_221(job: Job, data: Any) -> Any:
    return t.command_result_to_221(data, notes=job.notes)


_COMMANDS = sorted(t.COMMANDS_211)
TO_211: Mapping[str, Translation] = MappingProxyType(
    {
        "location": _location_211,
        "evse": _evse_211,
        "connector": _connector_211,
        "session": _session_211,
        "cdr": _cdr_211,
        "tariff": _tariff_211,
        "token": _token_211,
        "location_references": _references_211,
        "authorization": _authorization_211,
        **{f"command:{name}": _command_211(name) for name in _COMMANDS},
        "command_response": _command_response_211,
        "command_result": _command_result_211,
    }
)
TO_221: Mapping[str, Translation] = MappingProxyType(
    {
        "location": _location_221,
        "evse": _evse_221,
        "connector": _connector_221,
        "session": _session_221,
        "cdr": _cdr_221,
        "tariff": _tariff_221,
        "token": _token_221,
        "location_references": _references_221,
        "authorization": _authorization_221,
        **{f"command:{name}": _command_221(name) for name in _COMMANDS},
        "command_response": _command_response_221,
        "command_result": _command_result_221,
    }
)


async def to_211(
    ctx: Lookups,
    kind: str,
    data: Any,
    notes: t.Notes,
    *,
    owner: PartyRef | None = None,
    partial: bool = False,
    rewrite_url: Callable[[str], str] | None = None,
) -> Any:
    """`data` (2.2.1) as 2.1.1. `owner`: the object's owner when the URL names it (a PATCH body does not);
    `rewrite_url`: how a command's `response_url` must look to the 2.1.1 CPO."""
    translation = TO_211.get(kind)
    if translation is None:
        raise Untranslatable(f"no 2.1.1 form of {kind}")
    return await translation(Job(ctx, notes, owner, partial, rewrite_url), data)


async def to_221(
    ctx: Lookups,
    kind: str,
    data: Any,
    owner: PartyRef,
    notes: t.Notes,
    *,
    partial: bool = False,
    token_key: tuple[str, str] | None = None,
) -> Any:
    """`data` (2.1.1) as 2.2.1. `owner`: the party the object belongs to (2.1.1 objects do not say);
    `token_key`: (uid, type) of the token an AuthorizationInfo answers for."""
    translation = TO_221.get(kind)
    if translation is None:
        raise Untranslatable(f"no 2.2.1 form of {kind}")
    return await translation(Job(ctx, notes, owner, partial, token_key=token_key), data)


async def _session_location(ctx: Lookups, data: Any, owner: PartyRef | None) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    place = [data.get(name) for name in ("location_id", "evse_uid", "connector_id")]
    if all(value is None for value in place):
        return None
    if any(value is None for value in place):
        raise Untranslatable(
            "a 2.1.1 Session embeds its Location: location_id, evse_uid and connector_id go together",
            path="session.location_id",
        )
    owner = _owner(data) or owner
    if owner is None:
        return None
    found = await ctx.location(owner, place[0])
    return None if found is None else t.narrowed_location(found, place[1], place[2], "session.location")


async def _cdr_location(ctx: Lookups, data: Any) -> dict[str, Any] | None:
    owner = _owner(data)
    cdr_location = data.get("cdr_location") if isinstance(data, dict) else None
    if owner is None or not isinstance(cdr_location, dict):
        return None
    return await ctx.location(owner, cdr_location.get("id"))


def _owner(data: Any) -> PartyRef | None:
    if not isinstance(data, dict):
        return None
    try:
        return PartyRef(country_code=str(data.get("country_code")), party_id=str(data.get("party_id")))
    except ValueError:
        return None


async def _token_of_auth_id(ctx: Lookups, data: Any) -> dict[str, Any] | None:
    auth_id = data.get("auth_id") if isinstance(data, dict) else None
    token = await ctx.token_by_auth_id(auth_id)
    return t.cdr_token_of(token) if token is not None else None


# --- lists ------------------------------------------------------------------------------------------------


async def list_to(
    convert: Callable[[Any], Awaitable[Any]], objects: Any, *, module: str, direction: str, peer: str
) -> list[Any]:
    """Each object of a list GET through `convert`; one that cannot be translated is left out and logged
    (refused alone, the rest of the page still goes)."""
    result = []
    for item in objects if isinstance(objects, list) else ():
        try:
            result.append(await convert(item))
        except Untranslatable as exc:
            ident = item.get("id", item.get("uid")) if isinstance(item, dict) else None
            log.warning(
                "ocpi211_object_refused",
                module=module,
                direction=direction,
                peer=peer,
                id=ident,
                error=str(exc),
            )
    return result
