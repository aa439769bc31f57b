"""Request/correlation ids, routing headers and the response envelope (§2, §4)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from hub.core.models import PartyRef
from ocpi_modules.common.envelope import envelope, ocpi_response
from ocpi_modules.common.headers import (
    outbound_headers,
    party_headers,
    request_ids,
    routing_headers,
)
from tests.unit.ocpi.kit import NOW, a_request


def body_of(response: web.Response) -> Any:
    assert isinstance(response.body, bytes)
    return orjson.loads(response.body)


CPO = PartyRef(country_code="NL", party_id="CPO")
MSP = PartyRef(country_code="DE", party_id="MSP")


def test_id01_id02_request_ids_are_read() -> None:
    request = a_request(headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"})
    assert request_ids(request) == ("req-1", "corr-1")


def test_id05_missing_ids_are_generated_once_per_request() -> None:
    request = a_request()
    first = request_ids(request)
    assert request_ids(request) == first
    for value in first:
        assert uuid.UUID(value).version == 4
    assert first[0] != first[1]


def test_id05_header_names_are_case_insensitive() -> None:
    request = a_request(headers={"x-request-id": "r", "X-CORRELATION-ID": "c"})
    assert request_ids(request) == ("r", "c")


def test_rf08_routing_headers_any_case_invalid_is_none() -> None:
    request = a_request(
        headers={
            "ocpi-FROM-country-code": "de",
            "OCPI-from-party-id": "msp",
            "OCPI-to-country-code": "NLD",  # invalid: three letters
            "OCPI-to-party-id": "CPO",
        }
    )
    routing = routing_headers(request)
    assert routing.from_party == PartyRef(country_code="de", party_id="msp")  # values keep their case
    assert routing.to_party is None
    assert routing_headers(a_request(headers={"OCPI-from-country-code": "DE"})).from_party is None


def test_id03_outbound_headers_new_request_id_same_correlation() -> None:
    first = outbound_headers(correlation_id="corr", from_party=CPO, to_party=MSP)
    second = outbound_headers(correlation_id="corr")
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert first["X-Correlation-ID"] == second["X-Correlation-ID"] == "corr"
    assert first["OCPI-from-country-code"] == "NL"
    assert first["OCPI-from-party-id"] == "CPO"
    assert first["OCPI-to-country-code"] == "DE"
    assert first["OCPI-to-party-id"] == "MSP"
    assert "OCPI-from-party-id" not in second
    assert uuid.UUID(outbound_headers()["X-Correlation-ID"]).version == 4


def test_rf02_envelope_fields() -> None:
    assert envelope([1], now=NOW) == {"data": [1], "status_code": 1000, "timestamp": "2025-01-31T12:00:00Z"}
    assert envelope(status_code=2001, message="bad", now=NOW) == {
        "status_code": 2001,
        "status_message": "bad",
        "timestamp": "2025-01-31T12:00:00Z",
    }
    assert envelope([], now=NOW)["data"] == []


def test_rf02_rf08_ocpi_response_echoes_ids_and_swaps_routing() -> None:
    request = a_request(
        headers={
            "X-Request-ID": "r1",
            "X-Correlation-ID": "c1",
            "OCPI-from-country-code": "DE",
            "OCPI-from-party-id": "MSP",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "CPO",
        }
    )
    response = ocpi_response(request, {"id": "x"}, http_status=201)
    assert response.status == 201
    assert response.content_type == "application/json"
    assert response.headers["X-Request-ID"] == "r1"
    assert response.headers["X-Correlation-ID"] == "c1"
    assert (response.headers["OCPI-from-country-code"], response.headers["OCPI-from-party-id"]) == (
        "NL",
        "CPO",
    )
    assert (response.headers["OCPI-to-country-code"], response.headers["OCPI-to-party-id"]) == ("DE", "MSP")
    assert body_of(response) == {
        "data": {"id": "x"},
        "status_code": 1000,
        "timestamp": "2025-01-31T12:00:00Z",
    }


def test_rf03_ocpi_response_omits_absent_data_and_lets_headers_win() -> None:
    request = a_request(headers={"OCPI-from-country-code": "DE", "OCPI-from-party-id": "MSP"})
    hub = PartyRef(country_code="NL", party_id="HUB")
    response = ocpi_response(request, headers={**party_headers(from_party=hub), "X-Total-Count": "0"})
    assert "data" not in body_of(response)
    assert response.headers["OCPI-from-party-id"] == "HUB"
    assert response.headers["OCPI-to-party-id"] == "MSP"
    assert response.headers["X-Total-Count"] == "0"
    assert "X-Request-ID" in response.headers
