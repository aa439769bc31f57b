"""Station passwords: scrypt hashes at rest (salted, constant-time check) and a keyed digest that lets a
reconnecting station skip the scrypt cost once its password verified.

Imports the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Station passwords: scrypt at rest (RFC 7914 interactive parameters); a verified password is remembered as a
# keyed digest so reconnects do not pay the scrypt cost again.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_PROCESS_KEY = secrets.token_bytes(32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    encoded_salt = base64.b64encode(salt).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded_salt}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check of `password` against `hash_password` output; False for a malformed hash."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def keyed(password: str) -> bytes:
    return hmac.new(_PROCESS_KEY, password.encode(), hashlib.sha256).digest()
