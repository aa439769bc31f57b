"""What a 2.1.1 partner is answered (checklist §3, SC-04, RT-11): hub status codes 2.1.1 does not know mapped
with their message kept, and the URLs in Link/Location headers as 2.1.1 "via" URLs — never a 2.2.1 URL, never
another application path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import PartyRef
from ocpi_modules.common.errors import (
    ForwardTimeoutError,
    InvalidParametersError,
    OcpiError,
    ReceiverNotConnectedError,
    UnknownReceiverError,
    UnknownTokenError,
)
from ocpi_modules.common.runtime import OcpiConfig
from ocpi_modules.v2_1_1.replies import error_211, headers_211, status_211
from ocpi_modules.v2_1_1.urls import via_url

CONFIG = OcpiConfig(public_url="https://hub.example", hub_party=PartyRef.parse("NL*HUB"), hub_name="Hub")


@given(st.integers(4000, 4999), st.sampled_from([200, 404, 504]))
def test_every_hub_code_is_3000_for_2_1_1_with_the_code_in_the_message(code: int, http: int) -> None:
    assert status_211(code, http) == (3000, http, f"Hub error {code}")


@pytest.mark.parametrize("code", [1000, 1900, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003])
def test_codes_2_1_1_knows_pass_unchanged(code: int) -> None:
    assert status_211(code, 200) == (code, 200, None)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (UnknownReceiverError("Unknown receiver DE*XYZ"), "Hub error 4001: Unknown receiver DE*XYZ"),
        (ForwardTimeoutError("no answer within 3 s"), "Hub error 4002: no answer within 3 s"),
        (ReceiverNotConnectedError("offline"), "Hub error 4003: offline"),
    ],
)
def test_hub_errors_become_3000_keeping_their_message(error: OcpiError, message: str) -> None:
    mapped = error_211(error)
    assert (mapped.status_code, mapped.http_status, mapped.message) == (3000, 200, message)


def test_an_unknown_token_keeps_http_404_without_2004() -> None:
    mapped = error_211(UnknownTokenError())
    assert (mapped.status_code, mapped.http_status) == (2000, 404)


def test_an_error_2_1_1_knows_is_the_same_object() -> None:
    error = InvalidParametersError("bad")
    assert error_211(error) is error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hub.example/ocpi/hub/KEY", "https://hub.example/ocpi/2.1.1/via/cdrs/hub/KEY"),
        (
            "https://hub.example/ocpi/2.2.1/emsp/cdrs/NL/CPO/C1",
            "https://hub.example/ocpi/2.1.1/via/cdrs/2.2.1/emsp/cdrs/NL/CPO/C1",
        ),
        ("https://hub.example/ocpi/2.1.1/cdrs?offset=5", "https://hub.example/ocpi/2.1.1/cdrs?offset=5"),
        ("https://hub.example/ocpi/../admin/x", None),
        ("https://hub.example/ocpi/hub/../../admin", None),
        ("https://hub.example/admin/ocpi/platforms", None),
        ("https://partner.example/ocpi/cdrs/1", None),
    ],
)
def test_via_urls_stand_only_for_hub_proxies_and_2_2_1_interfaces(url: str, expected: str | None) -> None:
    assert via_url(CONFIG, "cdrs", url) == expected


def test_link_and_location_headers_become_2_1_1_urls_and_others_are_dropped() -> None:
    headers = {
        "x-total-count": "7",
        "X-Limit": "5",
        "Link": '<https://hub.example/ocpi/hub/NEXT>; rel="next"',
        "Location": "https://partner.example/ocpi/2.2.1/cdrs/1",
        "OCPI-from-party-id": "CPO",
    }
    assert headers_211(CONFIG, "locations", headers) == {
        "X-Total-Count": "7",
        "X-Limit": "5",
        "Link": '<https://hub.example/ocpi/2.1.1/via/locations/hub/NEXT>; rel="next"',
    }
