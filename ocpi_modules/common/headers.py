"""OCPI header names, routing headers (OCPI-from/to-*) and request/correlation ids (checklist §4, §11).

Imports aiohttp, the core models and the standard library only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from hub.core.models import PartyRef

AUTHORIZATION = "Authorization"
CONTENT_TYPE = "Content-Type"
LINK = "Link"
LOCATION = "Location"
X_REQUEST_ID = "X-Request-ID"
X_CORRELATION_ID = "X-Correlation-ID"
X_TOTAL_COUNT = "X-Total-Count"
X_LIMIT = "X-Limit"
FROM_COUNTRY_CODE = "OCPI-from-country-code"
FROM_PARTY_ID = "OCPI-from-party-id"
TO_COUNTRY_CODE = "OCPI-to-country-code"
TO_PARTY_ID = "OCPI-to-party-id"

JSON_CONTENT_TYPE = "application/json"

# Where the ids of a request are kept once read or generated, so the handler and the middleware echo the same.
REQUEST_IDS_KEY = web.RequestKey("ocpi_request_ids", tuple[str, str])
ROUTING_HEADERS_KEY = web.RequestKey("ocpi_routing_headers", object)

_COUNTRY = re.compile(r"[A-Za-z]{2}", re.ASCII)
_PARTY = re.compile(r"[A-Za-z0-9]{3}", re.ASCII)
# Ids we echo: printable ASCII, bounded, so an echoed header value can never be used for injection.
_ID = re.compile(r"[\x20-\x7e]{1,255}", re.ASCII)


@dataclass(frozen=True)
class RoutingHeaders:
    """The parties named by the `OCPI-from-*` / `OCPI-to-*` headers; None when absent or invalid."""

    from_party: PartyRef | None = None
    to_party: PartyRef | None = None


def _party(headers: Mapping[str, str], country_name: str, party_name: str) -> PartyRef | None:
    country = (headers.get(country_name) or "").strip()
    party = (headers.get(party_name) or "").strip()
    if not (_COUNTRY.fullmatch(country) and _PARTY.fullmatch(party)):
        return None
    return PartyRef(country_code=country, party_id=party)


def parse_routing_headers(headers: Mapping[str, str]) -> RoutingHeaders:
    """Routing headers from any case-insensitive mapping (aiohttp's CIMultiDict); values keep their case."""
    return RoutingHeaders(
        from_party=_party(headers, FROM_COUNTRY_CODE, FROM_PARTY_ID),
        to_party=_party(headers, TO_COUNTRY_CODE, TO_PARTY_ID),
    )


def routing_headers(request: web.Request) -> RoutingHeaders:
    """The request's routing headers; header names in any case, invalid or half-present pairs → None.
    Parsed once per request (the middleware, the authentication and the reply all ask)."""
    parsed: RoutingHeaders | None = request.get(ROUTING_HEADERS_KEY)
    if parsed is None:
        parsed = request[ROUTING_HEADERS_KEY] = parse_routing_headers(request.headers)
    return parsed


def new_id() -> str:
    return str(uuid.uuid4())


def request_ids(request: web.Request) -> tuple[str, str]:
    """(X-Request-ID, X-Correlation-ID) of a request, a uuid4 generated for each one missing (ID-05).

    Stable for the request: the first call stores them, so the handler and the middleware echo the same ids.
    """
    if REQUEST_IDS_KEY in request:
        return request[REQUEST_IDS_KEY]
    ids = (_valid_id(request.headers.get(X_REQUEST_ID)), _valid_id(request.headers.get(X_CORRELATION_ID)))
    request[REQUEST_IDS_KEY] = ids
    return ids


def _valid_id(value: str | None) -> str:
    value = (value or "").strip()
    return value if _ID.fullmatch(value) else new_id()


def party_headers(*, from_party: PartyRef | None = None, to_party: PartyRef | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if from_party is not None:
        headers[FROM_COUNTRY_CODE] = from_party.country_code
        headers[FROM_PARTY_ID] = from_party.party_id
    if to_party is not None:
        headers[TO_COUNTRY_CODE] = to_party.country_code
        headers[TO_PARTY_ID] = to_party.party_id
    return headers


def outbound_headers(
    *,
    correlation_id: str | None = None,
    from_party: PartyRef | None = None,
    to_party: PartyRef | None = None,
) -> dict[str, str]:
    """Headers of one outbound request: a NEW X-Request-ID each call, the given correlation id kept end to
    end (else a new one), and routing headers for the parties given (ID-03)."""
    headers = {X_REQUEST_ID: new_id(), X_CORRELATION_ID: correlation_id or new_id()}
    headers.update(party_headers(from_party=from_party, to_party=to_party))
    return headers
