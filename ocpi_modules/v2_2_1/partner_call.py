"""One call from a party on the hub to a partner platform, whatever OCPI version it speaks: 2.2.1 partners
get the request as is through the HTTP client; partners of another version (2.1.1) through their link, which
translates the 2.2.1 body and answer or refuses what the version cannot carry (`Untranslatable`, never sent
untranslated, V211-02). Pushes, real-time authorization and our eMSP's commands all call through here.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from hub.core.models import PartyRef, Platform
from ocpi_modules.common.client import OcpiResponse
from ocpi_modules.common.headers import new_id
from ocpi_modules.common.routing import RECEIVER, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime

VERSION = "2.2.1"  # the shapes the hub's parties speak


def module_of(platform: Platform, url: str) -> str:
    """The module of a partner URL: the endpoint it starts with (a command's response_url: "commands")."""
    for endpoint in platform.endpoints:
        if url.startswith(endpoint.url.rstrip("/")):
            return endpoint.identifier
    return "commands"


async def call_partner(
    rt: OcpiRuntime,
    platform: Platform,
    method: str,
    url: str,
    *,
    from_party: PartyRef | None,
    to_party: PartyRef | None,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    role: str = RECEIVER,
    timeout_s: float | None = None,
) -> OcpiResponse:
    """Raises OcpiTransportError when the partner cannot be reached, Untranslatable for a 2.2.1 body its
    version cannot carry."""
    assert platform.outbound_token is not None
    link = rt.links.get(str(platform.version)) if platform.version not in (None, VERSION) else None
    if link is None:
        return await rt.http.request(  # type: ignore[no-any-return]
            method,
            url,
            token=platform.outbound_token,
            encode=platform.encode_token,
            json=body,
            params=params,
            from_party=from_party,
            to_party=to_party,
            timeout_s=timeout_s if timeout_s is not None else rt.config.request_timeout_s,
        )
    request = RelayRequest(
        module=module_of(platform, url),
        role=role,
        method=method,
        tail=(),
        from_party=from_party or rt.config.hub_party,
        to_party=to_party,
        platform=platform,
        correlation_id=new_id(),
        query=dict(params or {}),
        body=body,
    )
    answer = await link.send(platform, request, url)
    return OcpiResponse(
        answer.http_status,
        answer.status_code,
        answer.status_message,
        answer.data,
        CIMultiDictProxy(CIMultiDict(answer.headers)),
    )
