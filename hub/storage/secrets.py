"""Secrets at rest: `TokenCipher` encrypts partner tokens (Fernet) and gives their lookup digests
(HMAC-SHA256), both with keys derived from the hub's secret key; `load_secret_key` finds that key.

Imports the standard library, cryptography and structlog only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import structlog
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_KEY_ENV = "HUB_SECRET_KEY"  # noqa: S105 (the variable's name, not a secret)
MIN_SECRET_KEY_LENGTH = 16
_KEY_FILE_BYTES = 32
# Distinct HKDF contexts: the encryption key and the digest key never coincide.
_ENCRYPTION_INFO = b"ocpi-hub/token-encryption/v1"
_DIGEST_INFO = b"ocpi-hub/token-digest/v1"

_log = structlog.get_logger(__name__)


class SecretKeyError(RuntimeError):
    """Stored ciphertext does not open with this key (the hub's secret key changed), or no usable key."""


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class TokenCipher:
    """Encrypts and digests token strings with keys derived from `secret` (HKDF-SHA256).

    `encrypt` is randomised (Fernet: AES-128-CBC + HMAC, random IV), so equal tokens give different
    ciphertexts; `digest` is deterministic, for indexed exact-match lookups without storing the token."""

    __slots__ = ("_digest_key", "_fernet")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise SecretKeyError(f"the secret key must have at least {MIN_SECRET_KEY_LENGTH} bytes")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, _ENCRYPTION_INFO)))
        self._digest_key = _derive(secret, _DIGEST_INFO)

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Raises SecretKeyError when `ciphertext` was not made with this key (or was altered)."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as error:
            raise SecretKeyError(
                "a stored token cannot be decrypted: the hub's secret key differs from the one it was "
                "stored with"
            ) from error

    def digest(self, plain: str) -> str:
        """HMAC-SHA256 of `plain` as 64 hex digits."""
        return hmac.new(self._digest_key, plain.encode(), hashlib.sha256).hexdigest()


def random_secret_key() -> bytes:
    return secrets.token_bytes(_KEY_FILE_BYTES)


def load_secret_key(environ: Mapping[str, str], key_file: Path) -> bytes:
    """The hub's secret key: env `HUB_SECRET_KEY` (at least 16 characters) wins; otherwise the contents of
    `key_file`, which is created (32 random bytes, Base64, mode 0600) when missing, with a warning
    `secret_key_file_created` (back the file up: without it stored partner tokens cannot be read)."""
    from_env = environ.get(SECRET_KEY_ENV)
    if from_env is not None:
        if len(from_env) < MIN_SECRET_KEY_LENGTH:
            raise SecretKeyError(f"{SECRET_KEY_ENV} must have at least {MIN_SECRET_KEY_LENGTH} characters")
        return from_env.encode()
    try:
        stored = key_file.read_bytes().strip()
    except FileNotFoundError:
        return _create_key_file(key_file)
    if len(stored) < MIN_SECRET_KEY_LENGTH:
        raise SecretKeyError(f"the secret key file {key_file} holds fewer than {MIN_SECRET_KEY_LENGTH} bytes")
    return stored


def _create_key_file(key_file: Path) -> bytes:
    key = base64.b64encode(random_secret_key())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: a key file another process wrote meanwhile is never overwritten (it is read instead).
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    _log.warning("secret_key_file_created", path=str(key_file))
    return key
