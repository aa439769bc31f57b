"""The OCPI response envelope (checklist §2): `{data?, status_code, status_message?, timestamp}`, and the
aiohttp response that carries it with echoed ids and swapped routing headers.

Imports aiohttp, the core and the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from hub.core.clock import SystemClock
from ocpi_modules.common import json
from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.common.headers import (
    JSON_CONTENT_TYPE,
    X_CORRELATION_ID,
    X_REQUEST_ID,
    party_headers,
    request_ids,
    routing_headers,
)
from ocpi_modules.common.runtime import OCPI_KEY
from ocpi_modules.common.status import StatusCode

_FALLBACK_CLOCK = SystemClock()


def envelope(
    data: Any = None,
    *,
    status_code: int = StatusCode.SUCCESS,
    message: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """The envelope dict; `data` and `status_message` are omitted when None (RF-02, RF-03)."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if message is not None:
        body["status_message"] = message
    body["timestamp"] = _timestamp(now)
    return body


_last_stamp: tuple[datetime, str] | None = None


def _timestamp(now: datetime) -> str:
    """`format_datetime(now)`, reusing the last text while the millisecond has not changed (every response
    carries one)."""
    global _last_stamp
    last = _last_stamp
    if last is not None and last[0] == now.replace(microsecond=now.microsecond // 1000 * 1000):
        return last[1]
    text = format_datetime(now)
    _last_stamp = (now.replace(microsecond=now.microsecond // 1000 * 1000), text)
    return text


def request_now(request: web.Request) -> datetime:
    """The runtime's clock (tests fix it); the wall clock when the app carries no OCPI runtime."""
    ocpi = request.app.get(OCPI_KEY)
    return (ocpi.clock if ocpi is not None else _FALLBACK_CLOCK).now()


def response_headers(request: web.Request, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Echoed X-Request-ID/X-Correlation-ID (ID-01, ID-02, ID-05) and routing headers swapped: response FROM
    = request TO, response TO = request FROM, when present (RF-08); `extra` wins over all of them."""
    request_id, correlation_id = request_ids(request)
    routing = routing_headers(request)
    headers = {X_REQUEST_ID: request_id, X_CORRELATION_ID: correlation_id}
    headers.update(party_headers(from_party=routing.to_party, to_party=routing.from_party))
    if extra:
        headers.update(extra)
    return headers


def ocpi_response(
    request: web.Request,
    data: Any = None,
    *,
    status_code: int = StatusCode.SUCCESS,
    message: str | None = None,
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A JSON envelope response. Pass `headers=party_headers(from_party=hosted, to_party=caller)` to name the
    answering party explicitly; pagination headers (`page_headers`) go in `headers` too."""
    body = envelope(data, status_code=status_code, message=message, now=request_now(request))
    return web.Response(
        body=json.dumps(body),
        status=http_status,
        headers=response_headers(request, headers),
        content_type=JSON_CONTENT_TYPE,
    )
