"""Outbound OCPI calls: one envelope-aware request, page crawling by `Link`, and partner URL checks
(RF-01, RF-09, ID-03, AU-08, PG-10, TY-01, VE-08).

Imports aiohttp, structlog, the core and the standard library only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import aiohttp
import structlog
from multidict import CIMultiDict, CIMultiDictProxy

from hub.core.clock import Clock
from hub.core.models import PartyRef
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.auth import authorization_header
from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.common.errors import InvalidJsonError
from ocpi_modules.common.headers import (
    AUTHORIZATION,
    CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    LINK,
    X_CORRELATION_ID,
    X_REQUEST_ID,
    X_TOTAL_COUNT,
    outbound_headers,
)
from ocpi_modules.common.status import is_success

log = structlog.get_logger(__name__)

Params = Mapping[str, str | int] | None


class OcpiTransportError(Exception):
    """The call produced no usable OCPI answer: connection refused/reset, timeout, a body that is not JSON,
    or a URL refused by `check_partner_url`. `reason` is one of `connection`, `timeout`, `invalid_json`,
    `refused_url`, `status` (see OcpiStatusError)."""

    def __init__(self, message: str, *, url: str, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


class OcpiStatusError(OcpiTransportError):
    """A page of `iterate` answered without success (HTTP not 2xx or status code not 1xxx) or no list."""

    def __init__(self, message: str, *, url: str, response: OcpiResponse) -> None:
        super().__init__(message, url=url, reason="status")
        self.response = response


@dataclass(frozen=True)
class OcpiResponse:
    """A peer's answer. `status_code` is None when the body is no envelope (empty body, JSON without
    `status_code`); `data` is None when absent (RF-03, RF-09)."""

    http_status: int
    status_code: int | None
    status_message: str | None
    data: Any
    headers: Mapping[str, str] = field(default_factory=lambda: CIMultiDictProxy(CIMultiDict()))
    timestamp: datetime | None = None

    @property
    def ok(self) -> bool:
        """HTTP 2xx and an OCPI success code (1xxx)."""
        return 200 <= self.http_status < 300 and is_success(self.status_code)

    @property
    def next_url(self) -> str | None:
        """The `rel="next"` target of the `Link` header, as given (possibly relative or an opaque cursor)."""
        return next_link(self.headers.get(LINK))

    @property
    def total_count(self) -> int | None:
        value = self.headers.get(X_TOTAL_COUNT, "")
        return int(value) if value.strip().isdigit() else None

    @property
    def request_id(self) -> str | None:
        return self.headers.get(X_REQUEST_ID)

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get(X_CORRELATION_ID)


_LINK_PART = re.compile(r"<(?P<url>[^>]*)>(?P<params>[^,<]*)")
_REL = re.compile(r"""rel\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s;,]+))""", re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    """The URL of the `rel="next"` entry of a Link header (RFC 8288); None when absent or malformed."""
    if not header:
        return None
    for part in _LINK_PART.finditer(header):
        for rel in _REL.finditer(part["params"]):
            values = (rel["quoted"] if rel["quoted"] is not None else rel["bare"]).lower().split()
            if "next" in values:
                url = part["url"].strip()
                return url or None
    return None


def token_fingerprint(token: str) -> str:
    """How a token appears in logs (AU-10): `fp:` + 10 hex digits of its SHA-256."""
    return "fp:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:10]


def _envelope_from(http_status: int, headers: Mapping[str, str], parsed: Any) -> OcpiResponse:
    if not isinstance(parsed, dict):
        return OcpiResponse(http_status, None, None, parsed, headers)
    code = parsed.get("status_code")
    if isinstance(code, str) and code.strip().isdigit():  # tolerate "1000" (§22)
        code = int(code)
    status_code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = parsed.get("status_message")
    timestamp: datetime | None = None
    if isinstance(parsed.get("timestamp"), str):
        try:
            timestamp = parse_datetime(parsed["timestamp"])
        except ValueError:
            timestamp = None
    return OcpiResponse(
        http_status=http_status,
        status_code=status_code,
        status_message=message if isinstance(message, str) else None,
        data=parsed.get("data"),
        headers=headers,
        timestamp=timestamp,
    )


class OcpiClient:
    """Calls to partners' OCPI endpoints over a shared aiohttp session.

    With `allow_private=False` every URL is checked by `check_partner_url` before the call (VE-08); None
    (the default) leaves checking to the caller.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        clock: Clock,
        *,
        timeout_s: float = 10.0,
        allow_private: bool | None = None,
    ) -> None:
        self._session = session
        self._clock = clock
        self._timeout_s = timeout_s
        self._allow_private = allow_private

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        encode: bool = True,
        json: Any = None,
        params: Params = None,
        from_party: PartyRef | None = None,
        to_party: PartyRef | None = None,
        correlation_id: str | None = None,
        timeout_s: float | None = None,
    ) -> OcpiResponse:
        """One call; the envelope is parsed whatever the HTTP status (RF-09).

        Sends a new X-Request-ID, the given X-Correlation-ID (new when None), routing headers for the parties
        given, `Authorization: Token …` Base64-encoded or raw per `encode` (AU-08) and, with a `json` body,
        `Content-Type: application/json` (RF-01). Raises OcpiTransportError on connection errors, timeouts
        and bodies that are not JSON (an empty body gives `status_code=None`).
        """
        if self._allow_private is not None:
            try:
                check_partner_url(url, allow_private=self._allow_private)
            except ValueError as exc:
                raise OcpiTransportError(str(exc), url=url, reason="refused_url") from exc
        headers = outbound_headers(correlation_id=correlation_id, from_party=from_party, to_party=to_party)
        headers[AUTHORIZATION] = authorization_header(token, encode=encode)
        body: bytes | None = None
        if json is not None:
            body = ocpi_json.dumps(json)
            headers[CONTENT_TYPE] = JSON_CONTENT_TYPE
        query = {k: str(v) for k, v in params.items()} if params else None
        timeout = aiohttp.ClientTimeout(total=timeout_s if timeout_s is not None else self._timeout_s)
        started = time.perf_counter()
        context = {
            "method": method.upper(),
            "url": url,
            "request_id": headers[X_REQUEST_ID],
            "correlation_id": headers[X_CORRELATION_ID],
            "token_fp": token_fingerprint(token),
        }
        try:
            async with self._session.request(
                method.upper(), url, data=body, params=query, headers=headers, timeout=timeout
            ) as response:
                raw = await response.read()
                http_status = response.status
                response_headers: Mapping[str, str] = CIMultiDictProxy(CIMultiDict(response.headers))
        except TimeoutError as exc:
            log.warning("ocpi_call_failed", reason="timeout", **context)
            raise OcpiTransportError(f"timeout calling {url}", url=url, reason="timeout") from exc
        except aiohttp.ClientError as exc:
            log.warning("ocpi_call_failed", reason="connection", error=type(exc).__name__, **context)
            raise OcpiTransportError(
                f"cannot reach {url}: {type(exc).__name__}", url=url, reason="connection"
            ) from exc
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        if not raw.strip():
            result = OcpiResponse(http_status, None, None, None, response_headers)
        else:
            try:
                parsed = ocpi_json.loads(raw)
            except InvalidJsonError as exc:
                log.warning("ocpi_call_failed", reason="invalid_json", http_status=http_status, **context)
                raise OcpiTransportError(
                    f"{url} answered HTTP {http_status} with a body that is not JSON",
                    url=url,
                    reason="invalid_json",
                ) from exc
            result = _envelope_from(http_status, response_headers, parsed)
        log.info(
            "ocpi_call",
            http_status=http_status,
            status_code=result.status_code,
            duration_ms=duration_ms,
            **context,
        )
        return result

    async def iterate(
        self,
        url: str,
        *,
        token: str,
        encode: bool = True,
        params: Params = None,
        from_party: PartyRef | None = None,
        to_party: PartyRef | None = None,
        correlation_id: str | None = None,
        timeout_s: float | None = None,
        max_pages: int = 10_000,
    ) -> AsyncIterator[Any]:
        """Every item of a paginated list GET: the first page with `params`, then each `Link: rel="next"`
        exactly as given, resolved against the current URL (opaque cursors work, PG-10). A missing `data` is
        an empty page (RF-09). One correlation id for the whole crawl. Stops at the last page, at a Link
        seen before, or after `max_pages`. Raises OcpiStatusError when a page is not a success or its `data`
        is not a list, OcpiTransportError on transport failures.
        """
        correlation_id = correlation_id or outbound_headers()[X_CORRELATION_ID]
        current: str | None = url
        query = params
        seen: set[str] = set()
        pages = 0
        while current is not None and pages < max_pages:
            seen.add(_with_query(current, query))
            pages += 1
            response = await self.request(
                "GET",
                current,
                token=token,
                encode=encode,
                params=query,
                from_party=from_party,
                to_party=to_party,
                correlation_id=correlation_id,
                timeout_s=timeout_s,
            )
            if not response.ok:
                raise OcpiStatusError(
                    f"{current} answered HTTP {response.http_status}, status {response.status_code}: "
                    f"{response.status_message or ''}".rstrip(),
                    url=current,
                    response=response,
                )
            data = response.data if response.data is not None else []
            if not isinstance(data, list):
                raise OcpiStatusError(
                    f"{current} answered a list GET without a list", url=current, response=response
                )
            for item in data:
                yield item
            link = response.next_url
            following = urljoin(current, link) if link else None
            if following is not None and following in seen:
                log.warning("ocpi_pagination_loop", url=following, correlation_id=correlation_id)
                following = None
            current, query = following, None


def _with_query(url: str, params: Params) -> str:
    """The URL a request with `params` goes to (for loop detection only)."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({k: str(v) for k, v in params.items()})}"


_IPV4_LEGACY = re.compile(r"[0-9a-fx.]+", re.ASCII)


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a literal host names, without DNS; also the legacy IPv4 forms connect() accepts
    (`127.1`, `2130706433`, `0x7f.0.0.1`)."""
    candidate = host.strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        if not _IPV4_LEGACY.fullmatch(candidate.lower()):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_partner_url(url: str, *, allow_private: bool) -> str:
    """The URL (surrounding whitespace removed) if a partner may make us call it, else ValueError (VE-08).

    Only http and https, with a host, without user info. Unless `allow_private`, refuse `localhost` and
    literal loopback, private, link-local, unspecified, multicast and reserved IPs. Host names are not
    resolved (no DNS at check time).
    """
    if not isinstance(url, str):
        raise ValueError("partner URL must be a string")
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError as exc:
        raise ValueError(f"partner URL {text!r} is malformed") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"partner URL {text!r} must use http or https")
    if not host:
        raise ValueError(f"partner URL {text!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("partner URL must not carry user info")
    if allow_private:
        return text
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise ValueError(f"partner URL {text!r} points at localhost; private URLs are not allowed")
    address = _literal_ip(name)
    if address is not None and (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    ):
        raise ValueError(
            f"partner URL {text!r} points at a private address {address}; private URLs are not allowed"
        )
    return text


def join_url(base: str, *segments: str | int) -> str:
    """`base/seg1/seg2…` with each segment percent-encoded, `/` included (TY-01: ids may contain `/`)."""
    encoded = "/".join(quote(str(segment), safe="") for segment in segments)
    if not encoded:
        return base
    return f"{base.rstrip('/')}/{encoded}"
