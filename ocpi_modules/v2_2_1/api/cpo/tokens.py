"""Our CPO's Tokens Receiver (TK-01, CO-02…CO-10): eMSP tokens stored in the core.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from hub.core.authorization import fingerprint
from hub.core.errors import InvalidRequestError
from hub.core.models import PartyRef, Token, TokenType
from hub.core.services import Core
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.runtime import runtime
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.api.cpo.common import caller, invalid, json_body, reply
from ocpi_modules.v2_2_1.security import Functional
from ocpi_modules.v2_2_1.tokens import check_token, from_core_token, merge_token, to_core_token, token_type
from ocpi_modules.v2_2_1.types import is_stale

log = structlog.get_logger(__name__)


def _token_owner(request: web.Request, fn: Functional) -> PartyRef:
    """The URL's cc/pid: it must be one of the caller's parties (CO-04: 404 otherwise)."""
    cc, pid = request.match_info["country_code"], request.match_info["party_id"]
    try:
        owner = PartyRef(country_code=cc, party_id=pid)
    except ValueError:
        raise NotFoundError(f"Unknown party {cc}*{pid}") from None
    entry = fn.platform.role_of(owner)
    if entry is None:
        raise NotFoundError(f"Party {cc}*{pid} is not one of yours")
    return entry.party


def _url_type(request: web.Request) -> TokenType:
    """TK-01: `?type=`, RFID when absent; a token is (party, uid, type) (TK-04)."""
    try:
        return token_type(request.query.get("type"))
    except InvalidRequestError as exc:
        raise InvalidParametersError(str(exc)) from None


async def _stored_token(core: Core, owner: PartyRef, uid: str, kind: TokenType) -> Token | None:
    token = await core.tokens.get(uid, owner, kind)
    if token is None or token.own:
        return None
    return token


def _check_identity(body: dict[str, Any], owner: PartyRef, uid: str, kind: TokenType) -> None:
    """CO-02/CO-03: identifiers in the body, when present, must be those of the URL."""
    expected = {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "uid": uid,
        "type": kind.value,
    }
    for name, value in expected.items():
        given = body.get(name)
        if given is not None and str(given).upper() != value.upper():
            raise InvalidParametersError(
                f"{name} {given!r} does not match the URL ({value!r})", http_status=200
            )


async def get_token(request: web.Request) -> web.Response:
    fn = await caller(request, "tokens")
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    token = await _stored_token(runtime(request).core, owner, uid, kind)
    if token is None:
        raise NotFoundError(f"Unknown token {kind.value} {fingerprint(uid)}")
    return reply(request, fn, from_core_token(token))


async def put_token(request: web.Request) -> web.Response:
    fn = await caller(request, "tokens")
    rt = runtime(request)
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    body = await json_body(request)
    _check_identity(body, owner, uid, kind)
    Findings(peer=fn.platform.id, module="tokens", object_id=fingerprint(uid)).extend(check_token(body))
    try:
        token = to_core_token({**body, "type": body.get("type", kind.value)}, own=False)
    except InvalidRequestError as exc:
        raise invalid(exc) from None
    existing = await rt.core.tokens.get(uid, owner, token.type)
    if existing is not None and existing.own:
        raise InvalidParametersError("This token belongs to a party of the hub", http_status=200)
    if existing is not None and is_stale(existing.last_updated, token.last_updated):
        log.info("ocpi_stale_write", module="tokens", token=fingerprint(uid), platform_id=fn.platform.id)
        return reply(request, fn)  # CO-10: acknowledged, not applied
    await rt.core.tokens.put(token.model_copy(update={"party": owner}))
    return reply(request, fn, http_status=201 if existing is None else 200)


async def patch_token(request: web.Request) -> web.Response:
    fn = await caller(request, "tokens")
    rt = runtime(request)
    owner = _token_owner(request, fn)
    uid, kind = request.match_info["uid"], _url_type(request)
    body = await json_body(request)
    _check_identity(body, owner, uid, kind)
    if body.get("last_updated") is None:
        raise InvalidParametersError("last_updated: a PATCH must carry last_updated", http_status=200)
    existing = await _stored_token(rt.core, owner, uid, kind)
    if existing is None:  # CO-08: the sender PUTs instead
        raise NotFoundError(f"Unknown token {kind.value} {fingerprint(uid)}")
    if is_stale(existing.last_updated, body.get("last_updated")):
        log.info("ocpi_stale_write", module="tokens", token=fingerprint(uid), platform_id=fn.platform.id)
        return reply(request, fn)
    try:
        merged = merge_token(existing, body)
    except InvalidRequestError as exc:
        raise invalid(exc) from None
    await rt.core.tokens.put(merged)
    return reply(request, fn)
