"""The OCPI JSON codec: Decimal numbers both ways, `Z` DateTimes, arrays and enum values (§5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_modules.common import json
from ocpi_modules.common.errors import InvalidJsonError


class Kind(StrEnum):
    AC = "AC_3_PHASE"


class Level(Enum):
    HIGH = 3


def test_ty_number_decimal_keeps_exact_digits() -> None:
    assert (
        json.dumps({"a": Decimal("0.1"), "b": Decimal("5.50"), "c": Decimal("12")})
        == b'{"a":0.1,"b":5.50,"c":12}'
    )
    assert json.dumps([Decimal("1E+2"), Decimal("-0.0001"), Decimal("0.30000000000000004441")]) == (
        b"[100,-0.0001,0.30000000000000004441]"
    )


def test_ty_number_decimal_not_finite_is_refused() -> None:
    for value in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(TypeError):
            json.dumps({"x": value})


def test_ty_datetime_emitted_with_z() -> None:
    body = json.dumps({"t": datetime(2025, 1, 31, 14, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))})
    assert body == b'{"t":"2025-01-31T12:00:00.250Z"}'


def test_tuples_enums_and_dataclasses() -> None:
    @dataclass
    class Point:
        at: datetime

    body = json.dumps(
        {"k": Kind.AC, "l": Level.HIGH, "t": (1, "x"), "p": Point(datetime(2025, 1, 1, tzinfo=UTC))}
    )
    assert json.loads(body) == {"k": "AC_3_PHASE", "l": 3, "t": [1, "x"], "p": {"at": "2025-01-01T00:00:00Z"}}


def test_unserialisable_raises_type_error() -> None:
    with pytest.raises(TypeError):
        json.dumps({"x": object()})


def test_ty_number_loads_fractions_as_decimal() -> None:
    parsed = json.loads(b'{"price": 0.1, "kwh": 12.3450, "count": 3, "exp": 1e2}')
    assert parsed == {"price": Decimal("0.1"), "kwh": Decimal("12.3450"), "count": 3, "exp": Decimal("1e2")}
    assert isinstance(parsed["price"], Decimal)
    assert isinstance(parsed["count"], int)


@pytest.mark.parametrize(
    "body", [b"", b"{", b"not json", b"\xff\xfe", b'{"a": NaN}', b"[Infinity]", b"{'a': 1}"]
)
def test_rf04_invalid_json_raises_invalid_json_error(body: bytes) -> None:
    with pytest.raises(InvalidJsonError) as info:
        json.loads(body)
    assert info.value.http_status == 400
    assert info.value.status_code == 2000


def test_rf04_deeply_nested_json_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidJsonError):
        json.loads(b"[" * 100_000 + b"]" * 100_000)


decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=6)


@given(decimals)
def test_ty_number_decimal_round_trip(value: Decimal) -> None:
    back = json.loads(json.dumps({"v": value}))["v"]
    assert Decimal(back) == value


STORABLE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(STORABLE_TEXT)
def test_strings_round_trip(text: str) -> None:
    assert json.loads(json.dumps({"s": text})) == {"s": text}


@pytest.mark.parametrize(
    "body", [b'{"s": "a\\u0000b"}', b'{"s": "\\ud800"}', b'["\\udfff x"]', b'{"\\u0000": 1}']
)
def test_strings_no_text_column_can_hold_are_invalid_json(body: bytes) -> None:
    with pytest.raises(InvalidJsonError):
        json.loads(body)


def test_a_surrogate_pair_is_one_character_and_fine() -> None:
    assert json.loads(b'{"s": "\\ud83d\\ude00"}') == {"s": "\U0001f600"}


def test_integers_beyond_64_bits_round_trip_exactly() -> None:
    big = b'{"kwh":123456789012345678901234567890,"n":-9223372036854775809}'
    assert json.dumps(json.loads(big)) == big
