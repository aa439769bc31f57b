"""aiohttp middleware for everything under the OCPI base path: every error becomes an OCPI envelope with the
right HTTP status and the echoed ids and routing headers (RF-02, RF-04, RF-08, ID-01, ID-02, ID-05).

Imports aiohttp, structlog and the standard library only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from ocpi_modules.common.envelope import ocpi_response, response_headers
from ocpi_modules.common.errors import (
    ClientError,
    MethodNotAllowedError,
    NotFoundError,
    OcpiError,
    ServerError,
)
from ocpi_modules.common.headers import X_CORRELATION_ID, X_REQUEST_ID, request_ids
from ocpi_modules.common.runtime import OCPI_KEY

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_BASE_PATH = "/ocpi"
# What a caller sees of an unexpected failure: never the exception text (it may carry internals).
INTERNAL_ERROR_MESSAGE = "Internal server error"


def _base_path(request: web.Request) -> str:
    ocpi = request.app.get(OCPI_KEY)
    return ocpi.config.base_path if ocpi is not None else DEFAULT_BASE_PATH


def is_ocpi_path(request: web.Request) -> bool:
    base = _base_path(request).rstrip("/")
    path = request.path
    return path == base or path.startswith(base + "/")


def error_response(request: web.Request, error: OcpiError) -> web.Response:
    """The envelope for an OcpiError: its status code and message, its HTTP status, its `data` if any."""
    try:
        return ocpi_response(
            request,
            error.data,
            status_code=error.status_code,
            message=error.message,
            http_status=error.http_status,
        )
    except TypeError:  # `data` not serialisable: answer without it rather than fail the error path
        log.warning("ocpi_error_data_unserialisable", path=request.path, status_code=error.status_code)
        return ocpi_response(
            request, status_code=error.status_code, message=error.message, http_status=error.http_status
        )


def _from_http_exception(exc: web.HTTPException) -> OcpiError:
    if exc.status == 404:
        return NotFoundError("Not found")
    if exc.status == 405:
        return MethodNotAllowedError("Method not allowed")
    if exc.status >= 500:
        return ServerError(exc.reason, http_status=exc.status)
    return ClientError(exc.reason, http_status=exc.status)


@web.middleware
async def ocpi_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Paths outside the OCPI base path pass through untouched. Inside it:

    - OcpiError → its envelope and HTTP status;
    - aiohttp HTTP errors (router 404/405, 413 body too large, …) → envelope 2000 with the same HTTP status
      (405 keeps its `Allow` header); redirects and other non-error HTTPExceptions propagate;
    - any other exception → logged with its traceback, envelope 3000 "Internal server error" with HTTP 200
      (never HTTP 500, never the exception text);
    - every response, successful or not, carries X-Request-ID and X-Correlation-ID (generated when missing).
    """
    if not is_ocpi_path(request):
        return await handler(request)
    request_id, correlation_id = request_ids(request)
    try:
        if _CONTROL.search(request.path):
            # No OCPI id holds control characters (CiString/string, §5); PostgreSQL text cannot hold U+0000.
            raise NotFoundError("Unknown object")
        response = await handler(request)
    except (HttpProcessingError, RequestPayloadError):  # e.g. a body that does not decode per its encoding
        return error_response(request, ClientError("Unreadable request body"))
    except OcpiError as exc:
        log.info(
            "ocpi_error_response",
            method=request.method,
            path=request.path,
            status_code=exc.status_code,
            http_status=exc.http_status,
            status_message=exc.message,
            request_id=request_id,
            correlation_id=correlation_id,
        )
        return error_response(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(request, _from_http_exception(exc))
        allow = exc.headers.get("Allow")
        if allow is not None:
            response.headers["Allow"] = allow
        return response
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception(
            "ocpi_unhandled_error",
            method=request.method,
            path=request.path,
            request_id=request_id,
            correlation_id=correlation_id,
        )
        return error_response(request, ServerError(INTERNAL_ERROR_MESSAGE))
    if not response.prepared and not (
        X_REQUEST_ID in response.headers and X_CORRELATION_ID in response.headers
    ):
        # Responses built without `ocpi_response` still echo the ids (ID-01, ID-02) and, when the handler set
        # no routing header itself, the swapped routing headers (RF-08).
        has_routing = any(name.lower().startswith("ocpi-") for name in response.headers)
        for name, value in response_headers(request).items():
            if name in response.headers or (has_routing and name.lower().startswith("ocpi-")):
                continue
            response.headers[name] = value
    elif X_REQUEST_ID not in response.headers or X_CORRELATION_ID not in response.headers:
        log.warning("ocpi_response_without_ids", path=request.path)
    return response
