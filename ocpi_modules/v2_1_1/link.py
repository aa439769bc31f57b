"""`Link211`: how the hub sends a canonical request (2.2.1 shapes) to a partner platform speaking OCPI 2.1.1
(`ocpi_modules.common.routing.PlatformLink`): the body translated to 2.1.1, the partner's own token as it
wants it (raw for 2.1.1 peers, AU-08), no routing headers (2.1.1 has none, V211-01), and the answer's `data`
translated back to 2.2.1. `Link`, `X-Total-Count`, `X-Limit` and `Location` pass through raw: the router
points them at the hub.

A command's `response_url` (already a hub URL) is handed out as its 2.1.1 "via" URL, so the 2.1.1 CPO's
CommandResponse reaches the hub in 2.1.1 shape and is translated on its way. `date_from` moves back one
second: 2.1.1 returns objects "after" it, 2.2.1 asks for those "after or equal" (checklist §21).

Errors: `Untranslatable` propagates (the router answers 4000 and logs it), transport failures propagate as
`OcpiTransportError`, an answer without an OCPI envelope is one (reason "invalid_envelope").

An adapter module: imports structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog

from hub.core.models import PartyRef, Platform
from ocpi_modules.common.client import OcpiTransportError
from ocpi_modules.common.datetimes import format_datetime, parse_datetime
from ocpi_modules.common.headers import LINK, LOCATION, X_LIMIT, X_TOTAL_COUNT
from ocpi_modules.common.routing import RECEIVER, SENDER, RelayAnswer, RelayRequest, Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import StatusCode, is_success
from ocpi_modules.v2_1_1 import objects
from ocpi_modules.v2_1_1.lookups import Lookups, party_of
from ocpi_modules.v2_1_1.translate import Notes
from ocpi_modules.v2_1_1.translate.tokens import token_type_to_211
from ocpi_modules.v2_1_1.urls import via_url

log = structlog.get_logger(__name__)

PASSED_HEADERS = (LINK, LOCATION, X_TOTAL_COUNT, X_LIMIT)


class Link211:
    """See the module docstring; one per runtime (`rt.links["2.1.1"]`)."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt

    async def send(self, platform: Platform, request: RelayRequest, url: str) -> RelayAnswer:
        rt = self._rt
        if platform.outbound_token is None:
            raise OcpiTransportError("no token for this platform", url=url, reason="connection")
        request = normalized(platform, request, url)
        ctx = Lookups(rt, platform, correlation_id=request.correlation_id, origin=request.origin)
        notes: Notes = []
        module, role, method, tail = request.module, request.role, request.method, request.tail
        kind = objects.body_kind(module, role, method, tail)
        body = None
        if kind is not None and request.body is not None:
            body = await objects.to_211(
                ctx,
                kind,
                request.body,
                notes,
                owner=_tail_owner(role, tail),
                partial=method == "PATCH",
                rewrite_url=self._response_url,
            )
        response = await rt.http.request(
            method,
            url,
            token=platform.outbound_token,
            encode=platform.encode_token,
            json=body,
            params=outbound_query(request) or None,
            correlation_id=request.correlation_id,
            timeout_s=rt.config.relay_timeout_s,
        )
        if response.status_code is None:
            raise OcpiTransportError(
                f"{url} answered HTTP {response.http_status} without an OCPI status code",
                url=url,
                reason="invalid_envelope",
            )
        status_code = response.status_code
        if (
            objects.is_authorize(module, role, tail)
            and response.http_status == 404
            and 2000 <= status_code < 3000
        ):
            status_code = StatusCode.UNKNOWN_TOKEN  # 2.1.1 has no 2004; HTTP 404 says it (SC-04, TK-05)
        data = None
        if is_success(status_code) and response.data is not None:
            data = await self._answer(ctx, request, platform, response.data, notes)
        if notes:
            log.warning(
                "ocpi211_translation_lossy",
                platform_id=platform.id,
                module=module,
                method=method,
                fields=notes,
            )
        lowered = {k.lower(): v for k, v in response.headers.items()}
        headers = {name: lowered[name.lower()] for name in PASSED_HEADERS if name.lower() in lowered}
        return RelayAnswer(
            http_status=response.http_status,
            status_code=status_code,
            status_message=response.status_message,
            data=data,
            headers=headers,
            responder=request.to_party or party_of(platform),
        )

    async def _answer(
        self, ctx: Lookups, request: RelayRequest, platform: Platform, data: Any, notes: Notes
    ) -> Any:
        module, role, method, tail = request.module, request.role, request.method, request.tail
        kind = objects.answer_kind(module, role, method, tail)
        if kind is None:
            return None  # 2.1.1 answers to pushes carry nothing 2.2.1 defines
        owner = _tail_owner(role, tail) or _answer_owner(request, platform)
        key = (tail[0], str(request.query.get("type") or "RFID")) if tail else None

        async def convert(item: Any) -> Any:
            return await objects.to_221(ctx, kind, item, owner, notes, token_key=key)

        if objects.is_list(module, role, method, tail):
            return await objects.list_to(convert, data, module=module, direction="to 2.2.1", peer=platform.id)
        return await convert(data)

    def _response_url(self, url: str) -> str:
        rewritten = via_url(self._rt.config, "commands", url)
        if rewritten is None:
            raise Untranslatable(
                "not a hub URL: the 2.1.1 CPO's answer could not be translated on its way",
                path="response_url",
            )
        return rewritten


def normalized(platform: Platform, request: RelayRequest, url: str) -> RelayRequest:
    """`request` with the interface role and URL tail the translation needs, for callers that give only the
    URL (the push service): a POST of commands to a URL outside the partner's commands Receiver is a
    CommandResult sent to a `response_url` (its Sender side); an empty tail is read off the URL below the
    interface's endpoint."""
    role, tail = request.role, request.tail
    if request.module == "commands" and request.method == "POST" and role == RECEIVER:
        base = platform.endpoint("commands", RECEIVER)
        if base is None or not url.startswith(base.rstrip("/") + "/"):
            role = SENDER
    if not tail:
        base = platform.endpoint(request.module, role)
        if base is not None and url.startswith(base.rstrip("/") + "/"):
            rest = urlsplit(url[len(base.rstrip("/")) + 1 :]).path
            tail = tuple(unquote(segment) for segment in rest.split("/") if segment)
    if (role, tail) == (request.role, request.tail):
        return request
    return replace(request, role=role, tail=tail)


def _tail_owner(role: str, tail: tuple[str, ...]) -> PartyRef | None:
    """The owner a Receiver URL names (`{cc}/{pid}/…`, CO-01)."""
    if role != RECEIVER or len(tail) < 3:
        return None
    try:
        return PartyRef(country_code=tail[0], party_id=tail[1])
    except ValueError:
        return None


def _answer_owner(request: RelayRequest, platform: Platform) -> PartyRef:
    """Whose objects a 2.1.1 answer holds: the answering party's (its Sender lists), except a CDR fetched back
    from an eMSP, which belongs to the CPO asking."""
    if request.module == "cdrs" and request.role == RECEIVER:
        return request.from_party
    return request.to_party or party_of(platform)


def outbound_query(request: RelayRequest) -> dict[str, str]:
    """The query as 2.1.1 takes it: `date_from` one second earlier; no `type` on the tokens Receiver (the body
    says it), a 2.1.1 TokenType on authorize."""
    query = {k: str(v) for k, v in request.query.items()}
    if "date_from" in query:
        with contextlib.suppress(ValueError):  # not a DateTime: forwarded as given, the partner answers it
            query["date_from"] = format_datetime(parse_datetime(query["date_from"]) - timedelta(seconds=1))
    if request.module == "tokens" and "type" in query:
        if request.role == RECEIVER:
            del query["type"]
        else:
            query["type"] = str(token_type_to_211(query["type"], "type", None))
    return query
