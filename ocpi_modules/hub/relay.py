"""One onward leg to a party on a partner platform (RT-09…RT-12): pick its platform and interface URL, check
it may be reached, send through the platform's link within the relay timeout, map failures to hub status
codes, and point the URLs in the answer at the hub.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import structlog

from hub.core.models import PartyRef, Platform, PlatformStatus
from ocpi_modules.common.client import OcpiTransportError, join_url
from ocpi_modules.common.errors import (
    ForwardTimeoutError,
    HubGenericError,
    ReceiverNotConnectedError,
    UnknownReceiverError,
)
from ocpi_modules.common.headers import LINK, LOCATION
from ocpi_modules.common.routing import RelayAnswer, RelayRequest, Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.hub import proxy

log = structlog.get_logger(__name__)

DEFAULT_VERSION = "2.2.1"


async def platform_of(rt: OcpiRuntime, party: PartyRef, request: RelayRequest) -> Platform:
    """The platform carrying `party`, ready to be called: 4001 when nobody carries it, 4000 for a loop back to
    the caller, 4003 when it is not CONNECTED."""
    platform = await rt.core.platforms.find_by_party(party)
    if platform is None:
        raise UnknownReceiverError(f"Unknown receiver {party}")
    if platform.id == request.platform.id:
        log.info("ocpi_relay_loop", platform_id=platform.id, to=str(party), module=request.module)
        raise HubGenericError(f"Routing loop: {party} is reached through the requesting platform itself")
    if platform.status is not PlatformStatus.CONNECTED:
        raise ReceiverNotConnectedError(f"Receiver {party} is not connected ({platform.status.value})")
    return platform


async def relay(rt: OcpiRuntime, request: RelayRequest, party: PartyRef) -> RelayAnswer:
    """Send `request` on to `party` on its partner platform and bring back its answer unchanged (SC-01),
    URLs rewritten to hub proxies (RT-11). Raises the hub error for what went wrong (RT-09)."""
    platform = await platform_of(rt, party, request)
    base = platform.endpoint(request.module, request.role)
    if base is None:
        raise ReceiverNotConnectedError(
            f"Receiver {party} has no {request.module} {request.role.lower()} interface"
        )
    onward = replace(request, to_party=party)
    onward = await proxy.hide_response_url(rt, onward, receiver_platform=platform)
    url = join_url(base, *request.tail) if request.tail else base
    answer = await send(rt, platform, onward, url)
    return await proxy.rewrite_answer(rt, answer, onward, platform, responder=party)


async def send(rt: OcpiRuntime, platform: Platform, request: RelayRequest, url: str) -> RelayAnswer:
    """One call through the platform's link, bounded by the relay timeout; hub errors for failures."""
    link = rt.links.get(platform.version or DEFAULT_VERSION)
    if link is None:
        raise HubGenericError(f"OCPI {platform.version} receivers are not supported")
    if not platform.outbound_token:
        raise ReceiverNotConnectedError("Receiver platform has no token for the hub")
    timeout = rt.config.relay_timeout_s
    context = {"platform_id": platform.id, "module": request.module, "method": request.method}
    try:
        return await asyncio.wait_for(link.send(platform, request, url), timeout)
    except TimeoutError as exc:
        log.warning("ocpi_relay_failed", reason="timeout", timeout_s=timeout, **context)
        raise ForwardTimeoutError(f"Receiver did not answer within {timeout:g} s") from exc
    except Untranslatable as exc:
        log.info("ocpi_relay_untranslatable", error=str(exc), **context)
        raise HubGenericError(f"Cannot be translated for OCPI {platform.version}: {exc}") from exc
    except OcpiTransportError as exc:
        log.warning("ocpi_relay_failed", reason=exc.reason, **context)
        if exc.reason == "timeout":
            raise ForwardTimeoutError(f"Receiver did not answer within {timeout:g} s") from exc
        if exc.reason in ("connection", "refused_url"):
            raise ReceiverNotConnectedError("Receiver cannot be reached") from exc
        raise HubGenericError(f"Receiver answered no OCPI message ({exc.reason})") from exc


def answer_headers(answer: RelayAnswer) -> dict[str, str]:
    """The headers of an answer worth passing to the requester (RT-11)."""
    keep = ("X-Total-Count", "X-Limit", LINK, LOCATION)
    lowered = {k.lower(): v for k, v in answer.headers.items()}
    return {name: lowered[name.lower()] for name in keep if name.lower() in lowered}
