"""Hub URLs standing for URLs only the original party can reach (RT-11, CM-13): a command's or charging
profile request's `response_url`, a page's `Link` and a CDR's `Location`. Each is a random key under
`{public_url}/ocpi/hub/{key}`, stored as a PartnerRecord ("hub.proxy", under the hub's party) with the real
URL, the platform that serves it, the platform allowed to call the hub URL and the parties of that leg.
Calling it forwards with the serving platform's credentials; the answer's URLs are proxied again.

An adapter module: imports aiohttp, ocpi_modules.common and the core only.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any

import structlog
from aiohttp import web

from hub.core.models import PartnerRecord, PartyRef, Platform, PlatformStatus
from ocpi_modules.common.client import next_link
from ocpi_modules.common.errors import NotFoundError, ReceiverNotConnectedError
from ocpi_modules.common.headers import LINK, LOCATION
from ocpi_modules.common.routing import RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

MODULE = "hub.proxy"
PATH = "/hub"  # under the OCPI base path: {public_url}/ocpi/hub/{key}
# How long a proxy URL works: a command result arrives within the command's timeout, a next page is fetched
# at once, a CDR's Location may be looked up during settlement.
LIFETIME = timedelta(days=35)
# The modules whose requests carry a `response_url` the receiver calls back (CM-13, CP-06).
CALLBACK_MODULES = frozenset({"commands", "chargingprofiles"})


def proxy_key(url: str, rt: OcpiRuntime) -> str | None:
    """The key of a hub proxy URL, or None when `url` is not one of ours."""
    prefix = rt.config.url(PATH) + "/"
    return url[len(prefix) :] if url.startswith(prefix) and "/" not in url[len(prefix) :] else None


async def make(
    rt: OcpiRuntime,
    *,
    url: str,
    serving: Platform,
    holder: Platform,
    from_party: PartyRef,
    to_party: PartyRef,
    module: str,
    role: str,
) -> str:
    """A hub URL for `url` (served by `serving`), callable by `holder` as `from_party` towards `to_party`."""
    key = secrets.token_urlsafe(24)
    await rt.core.records.put(
        PartnerRecord(
            module=MODULE,
            party=rt.config.hub_party,  # all under the hub's own party: the key alone finds them
            id=key,
            data={
                "url": url,
                "serving": serving.id,
                "holder": holder.id,
                "from": str(from_party),
                "to": str(to_party),
                "module": module,
                "role": role,
            },
            last_updated=rt.clock.now(),
        )
    )
    return rt.config.url(f"{PATH}/{key}")


async def hide_response_url(
    rt: OcpiRuntime, request: RelayRequest, *, receiver_platform: Platform
) -> RelayRequest:
    """Replace the `response_url` of a command or charging-profile request with a hub URL that forwards the
    result to the requester, FROM the receiver TO the requester (RT-14)."""
    body = request.body
    if request.module not in CALLBACK_MODULES or not isinstance(body, dict):
        return request
    original = body.get("response_url")
    if not isinstance(original, str) or request.to_party is None:
        return request
    hub_url = await make(
        rt,
        url=original,
        serving=request.platform,
        holder=receiver_platform,
        from_party=request.to_party,
        to_party=request.from_party,
        module=request.module,
        role="SENDER",
    )
    return replace(request, body={**body, "response_url": hub_url})


async def rewrite_answer(
    rt: OcpiRuntime, answer: RelayAnswer, request: RelayRequest, serving: Platform, *, responder: PartyRef
) -> RelayAnswer:
    """The answer with its `Link` (next page) and `Location` (a CDR's URL at the receiver) turned into hub
    URLs the requester may call, whatever HTTP status came with them (RT-11)."""
    headers = dict(answer.headers)
    lowered = {k.lower(): k for k in headers}
    link_name = lowered.get(LINK.lower())
    if link_name is not None:
        nxt = next_link(headers[link_name])
        del headers[link_name]
        if nxt is not None:
            hub_url = await _for_requester(rt, nxt, request, serving, responder)
            headers[LINK] = f'<{hub_url}>; rel="next"'
    location_name = lowered.get(LOCATION.lower())
    if location_name is not None:
        original = headers.pop(location_name)
        headers[LOCATION] = await _for_requester(rt, original, request, serving, responder)
    return replace(answer, headers=headers, responder=responder)


async def _for_requester(
    rt: OcpiRuntime, url: str, request: RelayRequest, serving: Platform, responder: PartyRef
) -> str:
    return await make(
        rt,
        url=url,
        serving=serving,
        holder=request.platform,
        from_party=request.from_party,
        to_party=responder,
        module=request.module,
        role=request.role,
    )


async def follow(
    rt: OcpiRuntime, key: str, caller: Platform, method: str, body: Any, correlation_id: str
) -> RelayAnswer:
    """Forward a call to a hub proxy URL to the URL it stands for. Only the platform it was handed to may
    use it (404 otherwise, as for any unknown URL)."""
    from ocpi_modules.hub.relay import send  # relay imports this module

    record = await rt.core.records.get(MODULE, rt.config.hub_party, key)
    if record is None or record.data.get("holder") != caller.id:
        raise NotFoundError("Unknown or expired hub URL")
    if rt.clock.now() - record.last_updated > LIFETIME:
        raise NotFoundError("Unknown or expired hub URL")
    serving = await rt.core.platforms.get(str(record.data["serving"]))
    if serving is None or serving.status is not PlatformStatus.CONNECTED:
        raise ReceiverNotConnectedError("The party behind this hub URL is not connected")
    leg = RelayRequest(
        module=str(record.data["module"]),
        role=str(record.data["role"]),
        method=method,
        tail=(),
        from_party=PartyRef.parse(str(record.data["from"])),
        to_party=PartyRef.parse(str(record.data["to"])),
        platform=caller,
        correlation_id=correlation_id,
        body=body,
    )
    answer = await send(rt, serving, leg, str(record.data["url"]))
    return await rewrite_answer(rt, answer, leg, serving, responder=leg.to_party or leg.from_party)


def add_routes(router: web.UrlDispatcher, handler: Any, base_path: str = "/ocpi") -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        router.add_route(method, f"{base_path}{PATH}/{{key}}", handler)
