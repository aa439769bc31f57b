"""Secrets at rest: `TokenCipher` round-trips any token, never encrypts the same way twice, refuses a
foreign key; `load_secret_key` prefers HUB_SECRET_KEY, else reads or creates a private key file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from hub.storage.secrets import SecretKeyError, TokenCipher, load_secret_key

KEY = b"0123456789abcdef-the-hub-key"
CIPHER = TokenCipher(KEY)


@given(st.text())
def test_decrypt_returns_what_was_encrypted(token: str) -> None:
    ciphertext = CIPHER.encrypt(token)

    assert CIPHER.decrypt(ciphertext) == token
    assert ciphertext.isascii()


def test_encryption_is_randomised_and_the_digest_is_not() -> None:
    assert CIPHER.encrypt("tok") != CIPHER.encrypt("tok")
    assert CIPHER.digest("tok") == TokenCipher(KEY).digest("tok")
    assert CIPHER.digest("tok") != CIPHER.digest("Tok")
    assert len(CIPHER.digest("tok")) == 64


def test_keys_derived_from_another_secret_neither_digest_nor_decrypt_alike() -> None:
    other = TokenCipher(b"another secret of sixteen+ bytes")

    assert other.digest("tok") != CIPHER.digest("tok")
    with pytest.raises(SecretKeyError, match="secret key differs"):
        other.decrypt(CIPHER.encrypt("tok"))


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(SecretKeyError, match="at least 16"):
        TokenCipher(b"short")


def test_the_environment_wins_over_the_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"file-key-file-key-file-key")

    key = load_secret_key({"HUB_SECRET_KEY": "from-the-environment"}, key_file)

    assert key == b"from-the-environment"


def test_a_short_environment_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="HUB_SECRET_KEY"):
        load_secret_key({"HUB_SECRET_KEY": "too-short"}, tmp_path / "secret.key")
    assert not (tmp_path / "secret.key").exists()


def test_a_missing_key_file_is_created_private_and_reported(tmp_path: Path) -> None:
    key_file = tmp_path / "state" / "secret.key"

    with capture_logs() as logs:
        key = load_secret_key({}, key_file)

    assert len(base64.b64decode(key, validate=True)) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [e for e in logs if e["event"] == "secret_key_file_created"] == [
        {"event": "secret_key_file_created", "path": str(key_file), "log_level": "warning"}
    ]
    TokenCipher(key)  # usable as is


def test_an_existing_key_file_is_read_again(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    first = load_secret_key({}, key_file)

    with capture_logs() as logs:
        again = load_secret_key({}, key_file)

    assert again == first
    assert logs == []


def test_a_key_file_too_short_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"tiny\n")

    with pytest.raises(SecretKeyError, match="fewer than 16"):
        load_secret_key({}, key_file)
