"""OCPI JSON codec: numbers stay Decimal both ways, DateTimes go out as `…Z` (checklist §5).

Imports orjson and the standard library only.
"""

from __future__ import annotations

import json as _stdlib_json
import re
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.common.errors import InvalidJsonError

# Decimals whose exponent is within this range are written positionally (`0.0001`, `100`); others keep the
# scientific form Decimal prints (`1E+400`), still a valid JSON number but never a multi-kilobyte string.
_POSITIONAL_EXPONENT = 40


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise TypeError(f"{value} is not a JSON number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    if -_POSITIONAL_EXPONENT <= exponent <= _POSITIONAL_EXPONENT:
        return format(value, "f")
    return str(value)


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        # Fragment inserts the exact digits: Decimal("5.50") → 5.50, Decimal("0.1") → 0.1, no float rounding.
        return orjson.Fragment(_decimal_text(obj))
    if isinstance(obj, datetime):
        return format_datetime(obj)
    if isinstance(obj, date | time):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump):  # a pydantic model: its python-mode dump keeps Decimal and datetime for us
        return model_dump(mode="python", exclude_none=True)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


# datetimes must pass through `_default` (OCPI format) instead of orjson's native RFC 3339 (`+00:00`);
# orjson itself writes enums as their values, tuples as arrays and dataclasses as objects.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(obj: Any) -> bytes:
    """UTF-8 JSON bytes. Decimal → JSON number with its exact digits (NaN/Infinity raise TypeError);
    datetime → `format_datetime`; tuples/sets → arrays; enums → their values; pydantic models → dumps.
    Raises TypeError for anything else not serialisable."""
    try:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        if not _has_big_int(obj):
            raise TypeError(str(exc)) from exc
    # Integers beyond 64 bits (a partner's, kept verbatim) are valid JSON numbers orjson cannot write.
    try:
        return orjson.dumps(_exact_ints(obj), default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        raise TypeError(str(exc)) from exc


def _has_big_int(obj: Any) -> bool:
    if isinstance(obj, int) and not isinstance(obj, bool):
        return not -_INT64 <= obj < 2**64
    if isinstance(obj, dict):
        return any(_has_big_int(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_has_big_int(v) for v in obj)
    return False


def _exact_ints(obj: Any) -> Any:
    if isinstance(obj, int) and not isinstance(obj, bool) and not -_INT64 <= obj < 2**64:
        return orjson.Fragment(str(obj))
    if isinstance(obj, dict):
        return {k: _exact_ints(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_exact_ints(v) for v in obj]
    return obj


def loads(body: bytes | str) -> Any:
    """Parse a JSON body, numbers with a fraction or exponent into Decimal (never float).

    Raises InvalidJsonError (HTTP 400, RF-04) for anything that is not JSON, including bad UTF-8, NaN and
    Infinity literals.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
        value = _stdlib_json.loads(
            text, parse_float=Decimal, parse_int=_integer, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidJsonError() from exc
    # From bytes, strict UTF-8 yields no lone surrogate and the parser refuses raw U+0000: only a `\u` escape
    # can bring one in, so the scan is skipped for the (usual) body without any.
    might = "\\u" in text if isinstance(body, bytes | bytearray) else True
    if might and _UNSTORABLE.search(text) and _has_unstorable(value):
        # `\u0000` and unpaired surrogates are valid JSON escapes but no UTF-8 text column can hold them.
        raise InvalidJsonError("JSON strings must not contain U+0000 or unpaired surrogates")
    return value


_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})|\x00|[\ud800-\udfff]")
_INT64 = 2**63


def _integer(text: str) -> int | Decimal:
    """JSON integers beyond 64 bits stay exact as Decimal: every encoder (and database) takes those."""
    value = int(text)
    return Decimal(value) if not -_INT64 <= value < _INT64 else value


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(v) for v in value)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
