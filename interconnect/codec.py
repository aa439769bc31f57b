"""互联互通 envelope codec (spec §2, §3, §8): AES-128-CBC + Base64, HMAC-MD5 Sig, TimeStamp/Seq, sequence
numbers, Decimal-exact JSON and envelope build/read. Pure functions, no I/O.

Imports the standard library, cryptography and interconnect.runtime (for KeySet and Ret) only.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from interconnect.runtime import InterconnectError, KeySet, Ret

BEIJING = timezone(timedelta(hours=8))  # spec §2.2: Beijing time, UTC+8, no DST, whatever our zone
_BLOCK = 16


class CodecError(InterconnectError):
    """Bad wire input. `ret` is the Ret a server answers with (spec §2.6): 4003 for the envelope and Data
    that does not decrypt, 4001 for a signature, 4004 for a payload; `detail` (= str()) names the problem
    and never carries a secret."""

    def __init__(self, detail: str, ret: Ret = Ret.ENVELOPE) -> None:
        super().__init__(ret, None, detail)

    def __str__(self) -> str:
        return self.detail or self.msg


class NotAnEnvelopeError(CodecError):
    """The body is not an envelope at all (not JSON, not an object, a required field missing): 4003."""


class SignatureError(CodecError):
    """A Sig that does not verify: 4001."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, Ret.SIGNATURE)


# ---------------------------------------------------------------------------------------------- AES (§2.4)


@lru_cache(maxsize=256)
def _cipher(key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    # A Cipher is immutable and only hands out fresh contexts, so caching it per key set is safe.
    if len(key) != _BLOCK or len(iv) != _BLOCK:
        raise ValueError("DataSecret and DataSecretIV must be exactly 16 bytes (spec §1.2)")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def encrypt(plain: bytes, key: bytes, iv: bytes) -> str:
    """AES-128-CBC with PKCS#7 padding, standard Base64 on one line (spec §2.4)."""
    pad = _BLOCK - len(plain) % _BLOCK
    context = _cipher(key, iv).encryptor()
    raw = context.update(plain + bytes((pad,)) * pad) + context.finalize()
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


def decrypt(data: str, key: bytes, iv: bytes) -> bytes:
    """Inverse of `encrypt`. Base64 wrapped with CR/LF or spaces is accepted (spec §8); anything that is not
    Base64, not whole blocks or not PKCS#7-padded (zero padding included) raises CodecError (4003)."""
    try:
        raw = binascii.a2b_base64(data, strict_mode=True)
    except ValueError:
        try:  # line breaks are the one variant seen in the wild; strip whitespace only, nothing else
            raw = binascii.a2b_base64("".join(data.split()), strict_mode=True)
        except ValueError:
            raise CodecError("Data is not standard Base64") from None
    if not raw or len(raw) % _BLOCK:
        raise CodecError(f"Data is {len(raw)} bytes, not whole AES blocks")
    context = _cipher(key, iv).decryptor()
    plain = context.update(raw) + context.finalize()
    pad = plain[-1]
    # A padding oracle needs unsigned probes: servers verify Sig before decrypting (spec §2.6 order).
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes((pad,)) * pad:
        raise CodecError("Data does not decrypt (wrong key or not PKCS#7 padded)")
    return plain[:-pad]


# ------------------------------------------------------------------------------------- signatures (§2.5)


@lru_cache(maxsize=256)
def _hmac_md5(sig_secret: bytes) -> hmac.HMAC:
    # The key is folded into the inner and outer MD5 states once per SigSecret; each signature copies them.
    return hmac.new(sig_secret, digestmod=hashlib.md5)


def _sign(sig_secret: bytes, *parts: str) -> str:
    mac = _hmac_md5(sig_secret).copy()
    for part in parts:
        mac.update(part.encode("utf-8"))
    return mac.hexdigest().upper()


def request_sig(operator_id: str, data: str, timestamp: str, seq: str, sig_secret: bytes) -> str:
    """Uppercase hex HMAC-MD5 of `OperatorID + Data + TimeStamp + Seq` (spec §2.5, V2)."""
    return _sign(sig_secret, operator_id, data, timestamp, seq)


def response_sig(ret: int, msg: str, data: str, sig_secret: bytes) -> str:
    """Uppercase hex HMAC-MD5 of `Ret + Msg + Data`, Ret in decimal (spec §2.5, V7)."""
    return _sign(sig_secret, str(int(ret)), msg, data)


def sig_ok(expected: str, got: str | None) -> bool:
    """Constant-time comparison, case-insensitive (lowercase hex is accepted, spec §8)."""
    if not isinstance(got, str) or not got.isascii():
        return False
    return hmac.compare_digest(expected.upper().encode("ascii"), got.upper().encode("ascii"))


# ------------------------------------------------------------------------------------ times (§2.2, §3)


def _beijing(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(BEIJING)


def beijing_timestamp(now: datetime) -> str:
    """Envelope TimeStamp `yyyyMMddHHmmss` in Beijing time."""
    t = _beijing(now)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"


def business_time(moment: datetime) -> str:
    """Business time `yyyy-MM-dd HH:mm:ss` in Beijing time (spec §3)."""
    t = _beijing(moment)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


_BUSINESS_TIME = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?", re.ASCII
)


def parse_business_time(text: str) -> datetime:
    """`yyyy-MM-dd HH:mm:ss` Beijing → aware UTC. Also takes `/`, `T`, missing seconds, fractions.
    Anything else raises CodecError (4004)."""
    match = _BUSINESS_TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise CodecError(f"not a yyyy-MM-dd HH:mm:ss time: {str(text)[:40]!r}", Ret.PAYLOAD)
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise CodecError(f"not a valid time: {text[:40]!r}", Ret.PAYLOAD) from None


def _digits_time(text: str, layout: tuple[int, ...]) -> datetime | None:
    values, at = [], 0
    for width in layout:
        values.append(int(text[at : at + width]))
        at += width
    if layout[0] == 2:
        values[0] += 2000
    year, month, day, hour, minute, second = values + [0] * (6 - len(values))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        return None


def parse_timestamp(text: str) -> datetime | None:
    """An envelope TimeStamp as aware UTC, tolerantly (spec §8): 14 digits (Beijing), 12 digits
    (`yyyyMMddHHmm`, else `yyMMddHHmmss`), Unix seconds (9-11 digits) or milliseconds (13); None otherwise."""
    text = text.strip() if isinstance(text, str) else ""
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) == 14:
        return _digits_time(text, (4, 2, 2, 2, 2, 2))
    if len(text) == 12:
        found = _digits_time(text, (4, 2, 2, 2, 2))
        if found is None or not 2000 <= found.year <= 2099:
            found = _digits_time(text, (2, 2, 2, 2, 2, 2))
        return found
    if 9 <= len(text) <= 11 or len(text) == 13:
        seconds = int(text) / 1000 if len(text) == 13 else int(text)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def timestamp_within(text: str, now: datetime, window_s: float) -> bool:
    """True when the TimeStamp parses and lies within ±window_s of `now` (the replay flag, spec §8)."""
    moment = parse_timestamp(text)
    return moment is not None and abs((moment - now).total_seconds()) <= window_s


# ------------------------------------------------------------------------------ Seq and sequence numbers


class SeqCounter:
    """Envelope Seq (spec §2.2): `0001` upward within one Beijing second, restarting each new second. One per
    process. Past `9999` in a second (and if the clock steps back) it borrows the next second instead of
    sleeping, so the (TimeStamp, Seq) pairs from `stamp` never repeat."""

    def __init__(self) -> None:
        self._second: datetime | None = None
        self._count = 0
        self._lock = threading.Lock()

    def stamp(self, now: datetime) -> tuple[str, str]:
        """(TimeStamp, Seq) for one message."""
        second = _beijing(now).replace(microsecond=0)
        with self._lock:
            if self._second is None or second > self._second:
                self._second, self._count = second, 0
            elif self._count >= 9999:
                self._second, self._count = self._second + timedelta(seconds=1), 0
            self._count += 1
            return beijing_timestamp(self._second), f"{self._count:04d}"

    def next(self, now: datetime) -> str:
        """The Seq for a message stamped `beijing_timestamp(now)`."""
        return self.stamp(now)[1]


def mint_sequence(operator_id: str, now: datetime, counter: SeqCounter) -> str:
    """StartChargeSeq / EquipAuthSeq / CheckOrderSeq …: OperatorID + yyyyMMddHHmmss + 4 digits, 27 chars
    (spec §3). Give it its own counter, not the envelope's."""
    if len(operator_id) != 9:
        raise ValueError("an OperatorID has 9 characters (spec §1.2)")
    timestamp, seq = counter.stamp(now)
    return f"{operator_id}{timestamp}{seq}"


# ---------------------------------------------------------------------------------------- JSON (§3, §8)

# Decimals go through the stdlib encoder as a marker string carrying their digits, then each quoted marker
# is replaced by the bare digits. The marker holds a per-process random nonce that never leaves the
# process, so no payload string can produce it.
_NONCE = secrets.token_hex(16)
_MARK = f"\x00{_NONCE}:"
_MARK_OUT = f'"\\u0000{_NONCE}:'  # the marker as the encoder writes it, opening quote included
_POSITIONAL_EXPONENT = 40  # beyond it keep the scientific form (`1E+400`), still a valid JSON number


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        text = str(obj)
        if not text[-1].isdigit():  # NaN, sNaN, Infinity
            raise TypeError(f"{text} is not a JSON number")
        if "E" in text:
            exponent = obj.as_tuple().exponent
            if isinstance(exponent, int) and -_POSITIONAL_EXPONENT <= exponent <= _POSITIONAL_EXPONENT:
                text = format(obj, "f")  # 1E+2 → 100, 1E-7 → 0.0000001: what every peer parses
        return _MARK + text
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON (CJK text unescaped). Decimal → a JSON number with its exact digits (`5.50` stays
    `5.50`); NaN/Infinity and other non-JSON values raise TypeError (a bug of ours, not wire input)."""
    text = _ENCODER.encode(obj)
    if _MARK_OUT in text:
        head, *rest = text.split(_MARK_OUT)
        # Each piece starts with the digits and the marker string's closing quote: drop that quote.
        text = head + "".join(piece.replace('"', "", 1) for piece in rest)
    return text.encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def loads(data: bytes | bytearray | str, ret: Ret = Ret.PAYLOAD) -> Any:
    """Parse JSON tolerantly (UTF-8 BOM, CRLF, pretty printing, spec §8); fractions/exponents → Decimal.
    Not UTF-8 or not JSON raises CodecError with `ret` (4004 for a payload, pass 4003 for an envelope)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes | bytearray) else data.lstrip("\ufeff")
        return _DECODER.decode(text)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CodecError("not UTF-8 JSON", ret) from None


# ------------------------------------------------------------------------------------- envelope (§2.2-3)

_REQUEST_KEYS = ("OperatorID", "Data", "TimeStamp", "Seq", "Sig")


@dataclass(frozen=True, slots=True)
class RequestFields:
    """The five request fields exactly as received (what the Sig covers)."""

    operator_id: str
    data: str
    timestamp: str
    seq: str
    sig: str


def _fields(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise NotAnEnvelopeError(f"{what} is not a JSON object")
    return body


def _get(body: dict[str, Any], key: str) -> Any:
    """body[key], else the first key equal to it after trimming and ignoring case (spec §8)."""
    if key in body:
        return body[key]
    wanted = key.casefold()
    for name, value in body.items():
        if isinstance(name, str) and name.strip().casefold() == wanted:
            return value
    return None


def read_request_fields(body: Any) -> RequestFields:
    """The five envelope fields of a parsed request body; integers are taken as their decimal text.
    Missing or non-string fields, an empty OperatorID or Data raise CodecError (4003)."""
    fields = _fields(body, "request body")
    values = []
    for key in _REQUEST_KEYS:
        value = _get(fields, key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif not isinstance(value, str):
            raise NotAnEnvelopeError(f"envelope field {key} is missing or not a string")
        values.append(value)
    if not values[0] or not values[1]:
        raise NotAnEnvelopeError("envelope OperatorID or Data is empty")
    return RequestFields(*values)


def parse_request(body: bytes | bytearray | str) -> RequestFields:
    """Raw request body → its five fields; anything unreadable raises CodecError (4003)."""
    return read_request_fields(_envelope_json(body))


def check_request_sig(fields: RequestFields, sig_secret: bytes) -> None:
    """Raise CodecError (4001) unless the request's Sig verifies."""
    expected = request_sig(fields.operator_id, fields.data, fields.timestamp, fields.seq, sig_secret)
    if not sig_ok(expected, fields.sig):
        raise SignatureError("request Sig does not verify")


def open_data(data: str, keys: KeySet, plain: bool = False) -> Any:
    """Decrypt (4003 on failure) and parse (4004) a Data field. With `plain` (the query_token flag, spec §8)
    a Data that is JSON text is parsed as is; Base64 never starts with `{` or `[`, so both forms pass."""
    if plain and data.lstrip()[:1] in ("{", "["):
        return loads(data)
    return loads(decrypt(data, keys.data_secret, keys.data_iv))


def _seal(payload: Any, keys: KeySet, plain: bool) -> str:
    body = dumps(payload)
    return body.decode("utf-8") if plain else encrypt(body, keys.data_secret, keys.data_iv)


def build_request(
    operator_id: str, payload: Any, keys: KeySet, timestamp: str, seq: str, plain: bool = False
) -> dict[str, str]:
    """A request envelope: the payload as compact JSON, encrypted (or as plain JSON text with `plain`),
    signed with `keys.sig_secret`."""
    data = _seal(payload, keys, plain)
    sig = request_sig(operator_id, data, timestamp, seq, keys.sig_secret)
    return {"OperatorID": operator_id, "Data": data, "TimeStamp": timestamp, "Seq": seq, "Sig": sig}


def build_response(
    ret: int, msg: str, payload: Any | None, keys: KeySet | None, plain: bool = False
) -> dict[str, Any]:
    """A response envelope signed `Ret+Msg+Data`. No payload → Data ""; no keys (a caller we cannot
    identify, spec §2.6) → Data "" and Sig ""."""
    if keys is None:
        if payload is not None:
            raise ValueError("a payload needs the caller's keys")
        return {"Ret": int(ret), "Msg": msg, "Data": "", "Sig": ""}
    data = "" if payload is None else _seal(payload, keys, plain)
    return {"Ret": int(ret), "Msg": msg, "Data": data, "Sig": response_sig(ret, msg, data, keys.sig_secret)}


_INT_TEXT = re.compile(r"\s*[-+]?\d+\s*", re.ASCII)


class Response(NamedTuple):
    """A read response envelope: Ret, Msg ("" for null) and the decrypted payload (None without Data)."""

    ret: int
    msg: str
    data: Any


def _envelope_json(body: bytes | bytearray | str) -> Any:
    try:
        return loads(body)
    except CodecError:
        raise NotAnEnvelopeError("body is not UTF-8 JSON") from None


def read_response(body: Any, keys: KeySet, verify_sig: bool, plain: bool = False) -> Response:
    """(Ret, Msg, payload) of a response envelope, raw bytes/text or parsed (spec §2.3, §8): Ret may be a
    numeric string, a null/missing Msg is "" (and signs so), a ""/null Data gives payload None.
    Raises NotAnEnvelopeError (not JSON, not an object, no integer Ret), SignatureError (Sig missing or
    wrong, when `verify_sig`), CodecError (Data that does not decrypt or parse)."""
    fields = _fields(_envelope_json(body) if isinstance(body, bytes | bytearray | str) else body, "response")
    raw_ret = _get(fields, "Ret")
    if isinstance(raw_ret, int) and not isinstance(raw_ret, bool):
        ret, ret_text = raw_ret, str(raw_ret)
    elif isinstance(raw_ret, str) and _INT_TEXT.fullmatch(raw_ret):
        ret, ret_text = int(raw_ret), raw_ret  # signed as received (spec §2.5: the decoded JSON values)
    else:
        raise NotAnEnvelopeError("response Ret is missing or not an integer")
    msg = _get(fields, "Msg")
    msg = "" if msg is None else msg if isinstance(msg, str) else str(msg)
    data = _get(fields, "Data")
    if data is None:
        data = ""
    elif not isinstance(data, str):
        raise CodecError("response Data is not a string")
    if verify_sig:
        expected = _sign(keys.sig_secret, ret_text, msg, data)
        if not sig_ok(expected, _get(fields, "Sig")):
            raise SignatureError(f"response Sig does not verify (Ret {ret})")
    return Response(ret, msg, open_data(data, keys, plain) if data else None)
