"""The fake platform's own 互联互通 envelope code (spec §2): AES-128-CBC/PKCS#7 + Base64, HMAC-MD5 Sig,
TimeStamp/Seq, exact-Decimal JSON, and the output variants a tolerant peer must accept (spec §8).

Test support: imports `cryptography` and the standard library only — never the hub's `interconnect` package,
so the two sides of every test are independent implementations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BEIJING = timedelta(hours=8)  # TimeStamp is Beijing time whatever the zone (spec §2.2)


@dataclass(frozen=True)
class Keys:
    """One issuer's key set, raw text (spec §1.2): the key bytes are the UTF-8 bytes of the text."""

    operator_secret: str
    data_secret: str
    data_iv: str
    sig_secret: str

    @classmethod
    def random(cls) -> Keys:
        alphabet = string.ascii_letters + string.digits

        def text(size: int) -> str:
            return "".join(secrets.choice(alphabet) for _ in range(size))

        return cls(text(32), text(16), text(16), text(16))


@dataclass(frozen=True)
class Style:
    """How the fake writes what it sends; every switch is a variant the hub must accept (spec §8)."""

    lowercase_sig: bool = False
    wrapped_base64: bool = False  # 76-column MIME lines with CRLF
    pretty_json: bool = False  # indented payload with CRLF line ends
    numbers_as_strings: bool = False  # "SuccStat": "0", "TotalPower": "1.52", Ret as "0"
    service_spelling: str = "Sevice"  # how money/price keys are spelt ("Sevice" or "Service")
    plain_token_data: bool = False  # query_token Data as plain JSON, both directions (Shanghai)


# --- crypto -------------------------------------------------------------------------------------------------
def encrypt(plain: bytes, key: str, iv: str) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv.encode())).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt(data: str, key: str, iv: str) -> bytes:
    """Raises ValueError on anything undecryptable (whitespace inside the Base64 is tolerated)."""
    raw = base64.b64decode("".join(data.split()), validate=True)
    if not raw or len(raw) % 16:
        raise ValueError("ciphertext is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv.encode())).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def wrap76(text: str) -> str:
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def sign(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "".join(parts).encode(), hashlib.md5).hexdigest().upper()


def sig_matches(secret: str, sig: Any, *parts: str) -> bool:
    return isinstance(sig, str) and hmac.compare_digest(sign(secret, *parts), sig.upper())


# --- time and sequence numbers -----------------------------------------------------------------------------
class SeqCounter:
    """4-digit Seq restarting at 0001 each Beijing second (spec §2.2)."""

    def __init__(self) -> None:
        self._second, self._count = "", 0

    def next(self, now: datetime) -> tuple[str, str]:
        stamp = (now.astimezone(UTC) + BEIJING).strftime("%Y%m%d%H%M%S")
        self._count = self._count + 1 if stamp == self._second else 1
        self._second = stamp
        return stamp, f"{self._count:04d}"


def beijing_text(moment: datetime) -> str:
    """Business time `yyyy-MM-dd HH:mm:ss` in Beijing time (spec §3)."""
    return (moment.astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M:%S")


# --- JSON ---------------------------------------------------------------------------------------------------
def loads(raw: bytes | str) -> Any:
    """Tolerant input: BOM, CRLF, indentation; numbers as Decimal/int so money compares exactly."""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, style: Style = Style()) -> str:
    """Compact JSON with Decimals as exact numbers; the style's variants applied."""
    value = respell(value, style.service_spelling)
    if style.numbers_as_strings:
        value = stringify_numbers(value)
    if style.pretty_json:
        return _dump(value, indent=0).replace("\n", "\r\n")
    return _dump(value, indent=None)


def _dump(value: Any, indent: int | None) -> str:
    if isinstance(value, dict):
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}:{_dump(v, _deeper(indent))}" for k, v in value.items()
        ]
        return _join("{", items, "}", indent)
    if isinstance(value, list | tuple):
        return _join("[", [_dump(v, _deeper(indent)) for v in value], "]", indent)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _deeper(indent: int | None) -> int | None:
    return None if indent is None else indent + 2


def _join(open_: str, items: list[str], close: str, indent: int | None) -> str:
    if indent is None or not items:
        return open_ + ",".join(items) + close
    pad, inner = " " * indent, " " * (indent + 2)
    return open_ + "\n" + ",\n".join(inner + item for item in items) + "\n" + pad + close


def respell(value: Any, spelling: str) -> Any:
    """Rename Sevice*/Service* keys to the wanted spelling (spec §5 "Spelling")."""
    other = "Service" if spelling == "Sevice" else "Sevice"
    if isinstance(value, dict):
        return {k.replace(other, spelling): respell(v, spelling) for k, v in value.items()}
    if isinstance(value, list):
        return [respell(v, spelling) for v in value]
    return value


def stringify_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: stringify_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify_numbers(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return value


def field(payload: Any, name: str, default: Any = None) -> Any:
    """A payload field matched case-insensitively after trimming, either spelling (spec §8)."""
    if not isinstance(payload, dict):
        return default
    wanted = {name.casefold(), name.replace("Sevice", "Service").casefold()}
    wanted.add(name.replace("Service", "Sevice").casefold())
    return next((v for k, v in payload.items() if str(k).strip().casefold() in wanted), default)


# --- envelopes ----------------------------------------------------------------------------------------------
def request_body(
    operator_id: str, payload: Any, keys: Keys, timestamp: str, seq: str, style: Style = Style(), *,
    plain: bool = False,
) -> dict[str, str]:  # fmt: skip
    text = dumps(payload, style)
    data = text if plain else encrypt(text.encode(), keys.data_secret, keys.data_iv)
    if style.wrapped_base64 and not plain:
        data = wrap76(data)
    sig = sign(keys.sig_secret, operator_id, data, timestamp, seq)
    return {
        "OperatorID": operator_id,
        "Data": data,
        "TimeStamp": timestamp,
        "Seq": seq,
        "Sig": sig.lower() if style.lowercase_sig else sig,
    }


def response_body(
    ret: int, msg: str, payload: Any, keys: Keys, style: Style = Style(), *, plain: bool = False
) -> dict[str, Any]:
    data = ""
    if payload is not None:
        text = dumps(payload, style)
        data = text if plain else encrypt(text.encode(), keys.data_secret, keys.data_iv)
        if style.wrapped_base64 and not plain:
            data = wrap76(data)
    sig = sign(keys.sig_secret, str(ret), msg, data)
    return {
        "Ret": str(ret) if style.numbers_as_strings else ret,
        "Msg": msg,
        "Data": data,
        "Sig": sig.lower() if style.lowercase_sig else sig,
    }
