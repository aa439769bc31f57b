"""How the hub reaches 2.2.1 parties: `Link221` sends a canonical request to a partner platform as is (the
canonical shapes are 2.2.1's), and `Local221` has a party hosted on the hub answer it in process through the
same 2.2.1 handler a partner reaches over HTTP (`ocpi_modules.common.inprocess`).

An adapter module: imports aiohttp, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hub.core.models import PartyRef, Platform
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import OcpiTransportError
from ocpi_modules.common.errors import ServerError
from ocpi_modules.common.headers import AUTHORIZATION, CONTENT_TYPE, JSON_CONTENT_TYPE, outbound_headers
from ocpi_modules.common.inprocess import call_handler
from ocpi_modules.common.routing import FUNCTIONAL_MODULES, RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_2_1.api.versions import BASE_PATH, ENDPOINTS, VERSION

# (module, role) → the path of our hosted party's interface under /ocpi/2.2.1. Functional modules only:
# configuration modules (credentials, hubclientinfo) are never routed (RT-02).
INTERFACE_PATHS = {
    (identifier, role): path for identifier, role, path in ENDPOINTS if identifier in FUNCTIONAL_MODULES
}


class Link221:
    """A 2.2.1 partner platform: Base64 (or raw, per the platform's flag) token, routing headers, the same
    correlation id, a new request id (ID-03, RT-10)."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt

    async def send(self, platform: Platform, request: RelayRequest, url: str) -> RelayAnswer:
        assert platform.outbound_token is not None
        response = await self._rt.http.request(
            request.method,
            url,
            token=platform.outbound_token,
            encode=platform.encode_token,
            json=request.body,
            params=dict(request.query) or None,
            from_party=request.from_party,
            to_party=request.to_party,
            correlation_id=request.correlation_id,
            timeout_s=self._rt.config.relay_timeout_s,
        )
        if response.status_code is None:
            raise OcpiTransportError(
                f"{url} answered HTTP {response.http_status} without an OCPI status code",
                url=url,
                reason="invalid_envelope",
            )
        return RelayAnswer(
            http_status=response.http_status,
            status_code=response.status_code,
            status_message=response.status_message,
            data=response.data,
            headers=response.headers,
            responder=request.to_party,
        )


class Local221:
    """Hosted parties answer through their own 2.2.1 handlers, called in process with the caller's token and
    routing headers FROM the caller TO the hosted party."""

    async def answer(self, hosted: PartyRef, request: RelayRequest) -> RelayAnswer:
        if request.origin is None:
            raise ServerError("a hosted party is answered only while serving a request")
        path = INTERFACE_PATHS.get((request.module, request.role))
        if path is None:
            raise ServerError(f"no hosted {request.module} {request.role} interface")
        url = f"{BASE_PATH}/{VERSION}/{path}"
        if request.tail:
            url += "/" + "/".join(quote(segment, safe="") for segment in request.tail)
        if request.query:
            url += "?" + urlencode(dict(request.query))
        headers = outbound_headers(
            correlation_id=request.correlation_id, from_party=request.from_party, to_party=hosted
        )
        headers[AUTHORIZATION] = request.origin.headers.get(AUTHORIZATION, "")
        body = b""
        if request.body is not None:
            body = ocpi_json.dumps(request.body)
            headers[CONTENT_TYPE] = JSON_CONTENT_TYPE
        response = await call_handler(request.origin, request.method, url, headers, body)
        raw = getattr(response, "body", b"") or b""
        envelope = ocpi_json.loads(raw if isinstance(raw, bytes) else bytes(raw)) if raw else {}
        if not isinstance(envelope, dict):
            envelope = {}
        code = envelope.get("status_code")
        return RelayAnswer(
            http_status=response.status,
            status_code=int(code) if isinstance(code, int) else StatusCode.SERVER_ERROR,
            status_message=envelope.get("status_message"),
            data=envelope.get("data"),
            headers=dict(response.headers),
            responder=hosted,
        )


__all__ = ["INTERFACE_PATHS", "Link221", "Local221"]
