"""OCPI 2.2.1 status codes (status_codes.asciidoc, checklist §3).

Imports the standard library only.
"""

from __future__ import annotations

from enum import IntEnum


class StatusCode(IntEnum):
    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    UNKNOWN_RECEIVER = 4001
    FORWARD_TIMEOUT = 4002
    RECEIVER_NOT_CONNECTED = 4003


def is_success(code: int | None) -> bool:
    """1000 and the custom success range 1900–1999 (every 1xxx counts as success)."""
    return code is not None and 1000 <= code < 2000
