"""The OCPI exception tree: one exception per status code plus transport-level HTTP errors.

Raised by routes and turned into an envelope by the middleware; imports the standard library only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ocpi_modules.common.status import StatusCode


class OcpiError(Exception):
    """An error answered as an OCPI envelope: `status_code` in the body, `http_status` on the response."""

    default_status_code: ClassVar[int] = StatusCode.CLIENT_ERROR
    default_http_status: ClassVar[int] = 400
    default_message: ClassVar[str] = "Client error"

    def __init__(
        self,
        message: str | None = None,
        *,
        http_status: int | None = None,
        data: Any = None,
        status_code: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.http_status = http_status if http_status is not None else self.default_http_status
        self.status_code = int(status_code if status_code is not None else self.default_status_code)
        self.data = data
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status_code}, http={self.http_status}, {self.message!r})"


# 2xxx: the client's fault (checklist §3)
class ClientError(OcpiError):
    default_status_code = StatusCode.CLIENT_ERROR
    default_http_status = 400
    default_message = "Client error"


class InvalidParametersError(OcpiError):
    """2001 with HTTP 200: valid JSON from an authenticated sender gets no HTTP error, the problem is in the
    status code (RF-05, errata 5dad8a7); pass `http_status=400` where the request itself is unusable."""

    default_status_code = StatusCode.INVALID_PARAMETERS
    default_http_status = 200
    default_message = "Invalid or missing parameters"


class NotEnoughInformationError(OcpiError):
    """2002; HTTP 200 because it answers valid JSON sent to an existing resource (RF-05)."""

    default_status_code = StatusCode.NOT_ENOUGH_INFORMATION
    default_http_status = 200
    default_message = "Not enough information"


class UnknownLocationError(OcpiError):
    """2003; HTTP 200 (e.g. START_SESSION for an unknown location is a valid command request, RF-05)."""

    default_status_code = StatusCode.UNKNOWN_LOCATION
    default_http_status = 200
    default_message = "Unknown location"


class UnknownTokenError(OcpiError):
    """2004 with HTTP 404 (RF-07: real-time authorization of an unknown token)."""

    default_status_code = StatusCode.UNKNOWN_TOKEN
    default_http_status = 404
    default_message = "Unknown token"


# 3xxx: the server's fault. HTTP 200: the request itself was fine (RF-05); never HTTP 500.
class ServerError(OcpiError):
    default_status_code = StatusCode.SERVER_ERROR
    default_http_status = 200
    default_message = "Server error"


class UnableToUseClientApiError(OcpiError):
    default_status_code = StatusCode.UNABLE_TO_USE_CLIENT_API
    default_http_status = 200
    default_message = "Unable to use the client's API"


class UnsupportedVersionError(OcpiError):
    default_status_code = StatusCode.UNSUPPORTED_VERSION
    default_http_status = 200
    default_message = "Unsupported version"


class NoMatchingEndpointsError(OcpiError):
    default_status_code = StatusCode.NO_MATCHING_ENDPOINTS
    default_http_status = 200
    default_message = "No matching endpoints or expected endpoints missing"


# 4xxx: hub errors (added in 2.2.1)
class HubGenericError(OcpiError):
    default_status_code = StatusCode.HUB_ERROR
    default_http_status = 200
    default_message = "Hub error"


class UnknownReceiverError(OcpiError):
    default_status_code = StatusCode.UNKNOWN_RECEIVER
    default_http_status = 200
    default_message = "Unknown receiver"


class ForwardTimeoutError(OcpiError):
    default_status_code = StatusCode.FORWARD_TIMEOUT
    default_http_status = 200
    default_message = "Timeout on forwarded request"


class ReceiverNotConnectedError(OcpiError):
    default_status_code = StatusCode.RECEIVER_NOT_CONNECTED
    default_http_status = 200
    default_message = "Receiving party not connected"


# Transport-level HTTP errors, still answered with an envelope (RF-08)
class UnauthorizedError(OcpiError):
    """HTTP 401 (AU-04, AU-05)."""

    default_status_code = StatusCode.CLIENT_ERROR
    default_http_status = 401
    default_message = "Unauthorized"


class MethodNotAllowedError(OcpiError):
    """HTTP 405 (router, credentials misuse §10)."""

    default_status_code = StatusCode.CLIENT_ERROR
    default_http_status = 405
    default_message = "Method not allowed"


class NotFoundError(OcpiError):
    """HTTP 404 (RF-06, CO-08); status 2000 by default, pass `status_code=2001` where the spec says so."""

    default_status_code = StatusCode.CLIENT_ERROR
    default_http_status = 404
    default_message = "Not found"


class InvalidJsonError(OcpiError):
    """HTTP 400 for a body that is not JSON (RF-04)."""

    default_status_code = StatusCode.CLIENT_ERROR
    default_http_status = 400
    default_message = "Request body is not valid JSON"
