"""Answers to 2.1.1 partners (checklist §2, §3, SC-04): the envelope with status codes 2.1.1 knows — a hub
error 4xxx becomes 3000 with its message kept, 2004 becomes 2000 with HTTP 404 — and the URLs in `Link` and
`Location` headers turned into 2.1.1 URLs (or left out when they cannot be, so no 2.2.1 URL is handed out).

An adapter module: imports aiohttp, structlog, ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from aiohttp import web

from ocpi_modules.common.client import next_link
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.headers import LINK, LOCATION, X_LIMIT, X_TOTAL_COUNT
from ocpi_modules.common.runtime import OcpiConfig
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_1_1.urls import via_url

log = structlog.get_logger(__name__)


def status_211(status_code: int, http_status: int) -> tuple[int, int, str | None]:
    """(status code, HTTP status, message prefix) a 2.1.1 peer understands for a 2.2.1 answer."""
    if 4000 <= status_code < 5000:
        return StatusCode.SERVER_ERROR, http_status, f"Hub error {status_code}"
    if status_code == StatusCode.UNKNOWN_TOKEN:
        return StatusCode.CLIENT_ERROR, 404, "Unknown token"
    return status_code, http_status, None


def error_211(error: OcpiError) -> OcpiError:
    """`error` with a 2.1.1 status code; the message kept (SC-04)."""
    code, http, prefix = status_211(error.status_code, error.http_status)
    if code == error.status_code and http == error.http_status:
        return error
    message = f"{prefix}: {error.message}" if prefix else error.message
    return OcpiError(message, http_status=http, status_code=code, data=error.data)


def reply(
    request: web.Request,
    config: OcpiConfig,
    module: str,
    *,
    data: Any,
    status_code: int,
    message: str | None,
    http_status: int,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    code, http, prefix = status_211(status_code, http_status)
    if prefix is not None:
        message = f"{prefix}: {message}" if message else prefix
    return ocpi_response(
        request,
        data if 1000 <= code < 2000 else None,
        status_code=code,
        message=message,
        http_status=http,
        headers=headers_211(config, module, headers or {}),
    )


def headers_211(config: OcpiConfig, module: str, headers: Mapping[str, str]) -> dict[str, str]:
    """Pagination counts as given; `Link` and `Location` as 2.1.1 URLs, dropped (and logged) when the URL is
    one a 2.1.1 partner would get 2.2.1 shapes from."""
    lowered = {k.lower(): v for k, v in headers.items()}
    out = {name: lowered[name.lower()] for name in (X_TOTAL_COUNT, X_LIMIT) if name.lower() in lowered}
    link = next_link(lowered.get(LINK.lower()))
    if link is not None:
        rewritten = via_url(config, module, link)
        if rewritten is not None:
            out[LINK] = f'<{rewritten}>; rel="next"'
        else:
            log.warning("ocpi211_header_dropped", header=LINK, module=module)
    location = lowered.get(LOCATION.lower())
    if location is not None:
        rewritten = via_url(config, module, location)
        if rewritten is not None:
            out[LOCATION] = rewritten
        else:
            log.warning("ocpi211_header_dropped", header=LOCATION, module=module)
    return out
