"""Partner URL checks, URL joining and Link parsing used by the OCPI client (VE-08, TY-01, PG-10)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_modules.common.client import check_partner_url, join_url, next_link, token_fingerprint


@pytest.mark.parametrize(
    "url",
    [
        "https://partner.example.com/ocpi/versions",
        "http://partner.example.com:8080/ocpi",
        "HTTPS://Partner.Example/x",
        "https://93.184.216.34/ocpi",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/ocpi",
    ],
)
def test_ve08_public_urls_are_allowed(url: str) -> None:
    assert check_partner_url(f"  {url} ", allow_private=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/ocpi",
        "http://LOCALHOST:9000",
        "http://api.localhost/",
        "http://127.0.0.1/ocpi",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://localhost./",
    ],
)
def test_ve08_private_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"private|localhost"):
        check_partner_url(url, allow_private=False)
    assert check_partner_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://partner.example/", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("partner.example/ocpi", "http or https"),
        ("https:///ocpi", "no host"),
        ("https://user:pw@partner.example/", "user info"),
        ("https://partner.example:99999/", "malformed"),
        ("", "http or https"),
    ],
)
def test_ve08_malformed_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_partner_url(url, allow_private=True)


@given(st.text(max_size=60))
def test_ve08_check_raises_only_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        check_partner_url(text, allow_private=False)


def test_ty01_join_url_percent_encodes_segments() -> None:
    assert (
        join_url("https://p.example/ocpi/tokens/", "NL", "TNM", "a/b c")
        == "https://p.example/ocpi/tokens/NL/TNM/a%2Fb%20c"
    )
    assert join_url("https://p.example/x", "id?#%", 3) == "https://p.example/x/id%3F%23%25/3"
    assert join_url("https://p.example/x/") == "https://p.example/x/"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://p.example/l?offset=5&limit=5>; rel="next"', "https://p.example/l?offset=5&limit=5"),
        ("<https://p.example/c/opaque-cursor>; rel=next", "https://p.example/c/opaque-cursor"),
        ('<https://p.example/prev>; rel="prev", <https://p.example/n>; rel="next"', "https://p.example/n"),
        ('<https://p.example/n>; title="x"; REL="Next"', "https://p.example/n"),
        ('<https://p.example/p>; rel="prev"', None),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_pg10_next_link_parsing(header: str | None, expected: str | None) -> None:
    assert next_link(header) == expected


def test_au10_token_fingerprint_hides_the_token() -> None:
    fingerprint = token_fingerprint("secret-token")
    assert fingerprint.startswith("fp:")
    assert len(fingerprint) == 13
    assert "secret" not in fingerprint
    assert fingerprint == token_fingerprint("secret-token")
