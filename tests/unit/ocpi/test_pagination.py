"""Pagination parameters and headers (§6)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.pagination import PageRequest, page_headers, parse_page
from tests.unit.ocpi.kit import a_request

PATH = "/ocpi/2.2.1/cpo/sessions"


def test_pg01_defaults() -> None:
    assert parse_page(a_request(PATH), cap=50) == PageRequest(
        date_from=None, date_to=None, offset=0, limit=50
    )


def test_pg01_all_parameters() -> None:
    page = parse_page(
        a_request(
            PATH + "?date_from=2025-01-01T00:00:00Z&date_to=2025-02-01T02:00:00%2B02:00&offset=10&limit=5"
        ),
        cap=50,
    )
    assert page == PageRequest(
        date_from=datetime(2025, 1, 1, tzinfo=UTC),
        date_to=datetime(2025, 2, 1, tzinfo=UTC),
        offset=10,
        limit=5,
    )


def test_pg05_limit_above_cap_is_capped() -> None:
    assert parse_page(a_request(PATH + "?limit=1000"), cap=100).limit == 100


@pytest.mark.parametrize(
    "query",
    [
        "offset=-1",
        "limit=-5",
        "offset=abc",
        "limit=1.5",
        "limit=1e3",
        "offset=%2B3",
        "limit=99999999999999999999",
        "date_from=yesterday",
        "date_to=2025-01-01",
    ],
)
def test_pg01_bad_parameters_are_2001(query: str) -> None:
    with pytest.raises(InvalidParametersError) as info:
        parse_page(a_request(f"{PATH}?{query}"), cap=100)
    assert info.value.status_code == 2001


def test_pg08_date_from_required_for_sessions() -> None:
    with pytest.raises(InvalidParametersError, match="date_from"):
        parse_page(a_request(PATH + "?limit=5"), cap=100, require_date_from=True)
    assert parse_page(
        a_request(PATH + "?date_from=2025-01-01T00:00:00"), cap=100, require_date_from=True
    ).date_from


def test_pg02_pg03_headers_on_the_last_page_have_no_link() -> None:
    headers = page_headers(
        a_request(PATH),
        public_url="https://hub.example.com",
        total=12,
        offset=10,
        limit=5,
        cap=100,
        returned=2,
    )
    assert headers == {"X-Total-Count": "12", "X-Limit": "100"}


def test_pg02_empty_result_has_no_link() -> None:
    headers = page_headers(
        a_request(PATH), public_url="https://hub.example.com", total=0, offset=0, limit=5, cap=100, returned=0
    )
    assert headers == {"X-Total-Count": "0", "X-Limit": "100"}


def test_pg04_link_keeps_filters_advances_offset_and_uses_public_url() -> None:
    request = a_request(
        PATH
        + "?date_from=2025-01-01T00:00:00%2B02:00&date_to=2025-02-01T00:00:00Z&limit=5&extra=a%20b&offset=5",
        headers={"Host": "internal:8080"},
    )
    headers = page_headers(
        request,
        public_url="https://hub.example.com/prefix/",
        total=30,
        offset=5,
        limit=5,
        cap=100,
        returned=5,
    )
    assert headers["X-Total-Count"] == "30"
    assert headers["X-Limit"] == "100"
    link = headers["Link"]
    assert link.startswith("<https://hub.example.com/prefix/ocpi/2.2.1/cpo/sessions?")
    assert link.endswith('>; rel="next"')
    url = link[1 : link.index(">")]
    assert "internal" not in url
    assert "%2B02%3A00" in url  # percent-encoded: a literal `+` would read back as a space
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "date_from": "2025-01-01T00:00:00+02:00",
        "date_to": "2025-02-01T00:00:00Z",
        "extra": "a b",
        "offset": "10",
        "limit": "5",
    }


def test_pg04_link_keeps_percent_encoded_path_segments() -> None:
    request = a_request("/ocpi/2.2.1/emsp/tokens/a%2Fb/x")
    headers = page_headers(
        request, public_url="https://h.example", total=3, offset=0, limit=1, cap=1, returned=1
    )
    assert (
        headers["Link"] == '<https://h.example/ocpi/2.2.1/emsp/tokens/a%2Fb/x?offset=1&limit=1>; rel="next"'
    )
