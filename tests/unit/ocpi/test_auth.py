"""The Authorization header: reading raw and Base64 tokens, writing them per peer, issuing tokens (§1)."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from ocpi_modules.common.auth import (
    authorization_header,
    encode_token,
    is_valid_token,
    new_token,
    token_candidates,
)

printable_tokens = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64
)


def test_au02_example_token_vector() -> None:
    assert encode_token("example-token") == "ZXhhbXBsZS10b2tlbg=="
    assert authorization_header("example-token", encode=True) == "Token ZXhhbXBsZS10b2tlbg=="
    assert token_candidates("Token ZXhhbXBsZS10b2tlbg==") == ["ZXhhbXBsZS10b2tlbg==", "example-token"]


def test_au01_prefix_is_case_insensitive() -> None:
    assert token_candidates("token abc!") == ["abc!"]
    assert token_candidates("TOKEN abc!") == ["abc!"]
    assert token_candidates("ToKeN abc!") == ["abc!"]


def test_au01_one_or_more_spaces_after_token_are_accepted() -> None:
    # The spec asks for exactly one space; we tolerate more (documented in token_candidates).
    assert token_candidates("Token   abc!") == ["abc!"]
    assert token_candidates("  Token abc!  ") == ["abc!"]


def test_au04_missing_or_malformed_header_gives_no_candidates() -> None:
    for value in (
        None,
        "",
        "Token",
        "Token ",
        "Bearer abc",
        "Tokenabc",
        "Basic ZXhhbXBsZS10b2tlbg==",
        "Token a b",
    ):
        assert token_candidates(value) == [], value


def test_au03_one_trailing_newline_after_decoding_is_stripped() -> None:
    encoded = base64.b64encode(b"example-token\n").decode()
    assert token_candidates(f"Token {encoded}") == [encoded, "example-token"]


def test_au07_raw_token_that_is_valid_base64_matches_raw_first() -> None:
    # "abcd" is itself valid Base64 (of b"i\xb7\x1d", not UTF-8): raw only.
    assert token_candidates("Token abcd") == ["abcd"]
    # "dGVzdA==" is a raw token that decodes to "test": the raw value is still looked up first.
    assert token_candidates("Token dGVzdA==") == ["dGVzdA==", "test"]


def test_au07_undecodable_value_gives_raw_only() -> None:
    assert token_candidates("Token not*base64") == ["not*base64"]
    assert token_candidates("Token abcde") == ["abcde"]  # length 5 (mod 4 == 1) is never Base64
    assert token_candidates("Token AAAA") == ["AAAA"]  # decodes to NUL bytes: control characters


def test_au07_unpadded_base64_is_decoded() -> None:
    assert token_candidates("Token ZXhhbXBsZS10b2tlbg") == ["ZXhhbXBsZS10b2tlbg", "example-token"]


@given(st.text())
def test_au07_arbitrary_header_text_never_raises(text: str) -> None:
    result = token_candidates(text)
    assert isinstance(result, list)
    assert all(isinstance(c, str) and c for c in result)


@given(st.text(max_size=80))
def test_au07_arbitrary_token_text_never_raises(text: str) -> None:
    token_candidates("Token " + text)


@given(
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=64)
)
def test_au02_base64_of_any_printable_token_decodes_back(token: str) -> None:
    candidates = token_candidates(authorization_header(token, encode=True))
    assert candidates[0] == encode_token(token)
    assert token in candidates


@given(printable_tokens)
def test_au08_raw_header_gives_the_token_first(token: str) -> None:
    assert token_candidates(authorization_header(token, encode=False))[0] == token


def test_au06_new_token_is_valid_and_unique() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert is_valid_token(token)
        assert len(token) <= 64


def test_au06_token_validity() -> None:
    assert is_valid_token("a" * 64)
    assert not is_valid_token("a" * 65)
    assert not is_valid_token("")
    assert not is_valid_token("with space")
    assert not is_valid_token("tab\there")
    assert not is_valid_token("ünïcode")
