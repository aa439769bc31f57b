"""The `Authorization: Token …` header (checklist §1): reading it permissively, writing it per peer, and
issuing credentials tokens.

Imports the standard library only.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets

TOKEN_MAX_LENGTH = 64
_PREFIX = re.compile(r"token +", re.IGNORECASE | re.ASCII)
_VALID_TOKEN = re.compile(r"[\x21-\x7e]{1,64}", re.ASCII)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}", re.ASCII)
_WHITESPACE = re.compile(r"\s")


def token_candidates(header_value: str | None) -> list[str]:
    """The tokens an Authorization header may stand for, most likely first; never raises.

    `Token` is matched case-insensitively; the spec asks for exactly one space after it (AU-01) but we accept
    one or more, and surrounding whitespace. The raw value comes first (some raw tokens happen to be valid
    Base64, AU-07), then its Base64 decoding (AU-02) with one trailing `\\n` stripped (AU-03) when it is
    valid standard-alphabet Base64 (padding optional) of non-empty UTF-8 text without control characters.
    A missing, empty or non-`Token` header gives [] (→ 401, AU-04).
    """
    if not isinstance(header_value, str):
        return []
    return list(_candidates(header_value))


@functools.lru_cache(maxsize=4096)  # every request of a partner carries the same header value
def _candidates(header_value: str) -> tuple[str, ...]:
    """`token_candidates` for one header value (cached: it is pure)."""
    value = header_value.strip()
    prefix = _PREFIX.match(value)
    if prefix is None:
        return ()
    raw = value[prefix.end() :].strip()
    if not raw or _WHITESPACE.search(raw):
        return ()
    candidates = [raw]
    decoded = _decode_base64(raw)
    if decoded is not None and decoded != raw:
        candidates.append(decoded)
    return tuple(candidates)


def _decode_base64(text: str) -> str | None:
    if not _BASE64.fullmatch(text):
        return None
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:  # no Base64 string has this length
        return None
    try:
        decoded = base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    if decoded.endswith("\n"):
        decoded = decoded[:-1]
    if not decoded or not decoded.isprintable():
        return None
    return decoded


def encode_token(token: str) -> str:
    """Base64 (RFC 4648 §4, padded) of the token's UTF-8 bytes (AU-02)."""
    return base64.b64encode(token.encode("utf-8")).decode("ascii")


def authorization_header(token: str, *, encode: bool) -> str:
    """`Token <Base64(token)>` for 2.2.1 peers, `Token <token>` for peers flagged raw (AU-08)."""
    return f"Token {encode_token(token) if encode else token}"


def is_valid_token(token: str) -> bool:
    """A credentials token as the spec allows it: 1–64 printable non-whitespace ASCII characters (AU-06)."""
    return isinstance(token, str) and _VALID_TOKEN.fullmatch(token) is not None


def new_token() -> str:
    """A fresh credentials token: 64 URL-safe characters (256+ bits of entropy), valid per AU-06. It never
    starts with `-`, so an operator can paste it after a command-line option (`--token-a TOKEN`)."""
    while True:
        token = secrets.token_urlsafe(48)
        if not token.startswith("-"):
            return token
