"""The access tokens we issue to 互联互通 partners (spec §2.7/§2.8) and the `query_token` handler.

Tokens are stateless: HMAC-SHA256 under a key derived from the hub's secret key over the OperatorID they
were issued to, their expiry and a random nonce, so every hub process accepts them and a restart keeps
them. Imports the standard library and interconnect.runtime only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

from interconnect.runtime import Call, Handler, InterconnectError, Ret

_VERSION = 1
_NONCE_BYTES = 8
_MAC_BYTES = 16  # HMAC-SHA256 truncated to 128 bits: the token stays 44 characters
_TOKEN_BYTES = 1 + 8 + _NONCE_BYTES + _MAC_BYTES
_KEY_CONTEXT = b"ocpi-hub/interconnect-access-token/v1"

# query_token FailReason (spec §2.7).
FAIL_NONE = 0
FAIL_UNKNOWN_OPERATOR = 1
FAIL_WRONG_SECRET = 2


@lru_cache(maxsize=8)
def _token_key(secret_key: bytes) -> bytes:
    # A key of its own: a token MAC never equals any other use of the hub's secret key.
    return hmac.new(secret_key, _KEY_CONTEXT, hashlib.sha256).digest()


def _mac(secret_key: bytes, operator_id: str, header: bytes, operator_secret: str) -> bytes:
    # The partner's OperatorSecret is part of the message: rotating it in config ends its old tokens.
    message = b"|".join(
        (header, operator_id.encode("utf-8"), hashlib.sha256(operator_secret.encode("utf-8")).digest())
    )
    return hmac.new(_token_key(secret_key), message, hashlib.sha256).digest()[:_MAC_BYTES]


def issue_token(secret_key: bytes, operator_id: str, operator_secret: str, expires: datetime) -> str:
    """An opaque URL-safe token valid for `operator_id` until `expires`."""
    expiry = int(expires.timestamp()).to_bytes(8, "big")
    header = bytes([_VERSION]) + expiry + secrets.token_bytes(_NONCE_BYTES)
    raw = header + _mac(secret_key, operator_id, header, operator_secret)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def token_valid(secret_key: bytes, token: str, operator_id: str, operator_secret: str, now: datetime) -> bool:
    """True when `token` was issued by us to `operator_id` and has not expired at `now`."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    if len(raw) != _TOKEN_BYTES or raw[0] != _VERSION:
        return False
    header, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret_key, operator_id, header, operator_secret)):
        return False
    return int.from_bytes(raw[1:9], "big") > now.timestamp()


def token_expiry(token: str) -> float:
    """The POSIX time a token (already checked by `token_valid`) expires at."""
    return float(int.from_bytes(base64.urlsafe_b64decode(token.encode("ascii"))[1:9], "big"))


def fingerprint(token: str) -> str:
    """What a log line may carry of a token: 8 hex digits of its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:8]


def _field(payload: dict[str, Any], name: str) -> str | None:
    # Spec §8: keys matched case-insensitively after trimming; numbers sent for strings accepted.
    wanted = name.casefold()
    for key, value in payload.items():
        if isinstance(key, str) and key.strip().casefold() == wanted:
            if isinstance(value, str):
                return value.strip()
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            return None
    return None


async def query_token(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Spec §2.7: a token for the calling partner; refusals are SuccStat 1 with FailReason 1 (payload
    OperatorID is not the envelope's) or 2 (wrong OperatorSecret), both Ret 0."""
    if not isinstance(payload, dict):
        raise InterconnectError(Ret.PAYLOAD, detail="query_token payload is not an object")
    operator_id = _field(payload, "OperatorID")
    secret = _field(payload, "OperatorSecret")
    if operator_id is None or secret is None:
        raise InterconnectError(Ret.PAYLOAD, detail="query_token needs OperatorID and OperatorSecret")
    partner = call.partner

    def refused(reason: int) -> dict[str, Any]:
        return {
            "OperatorID": operator_id,
            "SuccStat": 1,
            "AccessToken": "",
            "TokenAvailableTime": 0,
            "FailReason": reason,
        }

    if operator_id != partner.operator_id:
        return refused(FAIL_UNKNOWN_OPERATOR)
    if not hmac.compare_digest(secret.encode("utf-8"), partner.ours.operator_secret.encode("utf-8")):
        return refused(FAIL_WRONG_SECRET)
    lifetime = partner.token_lifetime_s
    now = call.runtime.clock.now()
    expires = datetime.fromtimestamp(now.timestamp() + lifetime, tz=now.tzinfo)
    token = issue_token(call.runtime.config.secret_key, operator_id, partner.ours.operator_secret, expires)
    return {
        "OperatorID": operator_id,
        "SuccStat": 0,
        "AccessToken": token,
        "TokenAvailableTime": lifetime,
        "FailReason": FAIL_NONE,
    }


HANDLERS: dict[str, Handler] = {"query_token": query_token}
