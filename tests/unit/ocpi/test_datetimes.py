"""OCPI DateTime parsing and formatting (§5, §22.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_modules.common.datetimes import format_datetime, parse_datetime

NOON = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-31T12:00:00",
        "2025-01-31T12:00:00Z",
        "2025-01-31T12:00:00+00:00",
        "2025-01-31T14:00:00+02:00",
        "2025-01-31T07:30:00-04:30",
        "2025-01-31t12:00:00z",
        "2025-01-31T12:00:00.000Z",
        "2025-01-31T12:00:00+0000",
    ],
)
def test_ty_datetime_accepted_forms(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed == NOON
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("digits", range(1, 10))
def test_ty_datetime_zero_to_nine_fraction_digits(digits: int) -> None:
    parsed = parse_datetime("2025-01-31T12:00:00." + "123456789"[:digits] + "Z")
    expected_micro = int("123456789"[: min(digits, 6)].ljust(6, "0"))
    assert parsed == NOON.replace(microsecond=expected_micro)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2025-01-31",
        "2025-01-31 12:00:00",
        "2025-13-01T00:00:00Z",
        "2025-01-32T00:00:00Z",
        "2025-01-31T25:00:00Z",
        "2025-01-31T12:00:00.Z",
        "2025-01-31T12:00:00.1234567890Z",
        "2025-01-31T12:00:00+25:00",
        "2025-01-31T12:00:00Z junk",
        "٢٠٢٥-01-31T12:00:00Z",
        "0000-01-01T00:00:00Z",
    ],
)
def test_ty_datetime_garbage_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"DateTime|offset"):
        parse_datetime(text)


def test_ty_datetime_non_string_raises_value_error() -> None:
    with pytest.raises(ValueError, match="string"):
        parse_datetime(12345)  # type: ignore[arg-type]


def test_ty_datetime_format_uses_z_and_milliseconds_only_when_non_zero() -> None:
    assert format_datetime(NOON) == "2025-01-31T12:00:00Z"
    assert format_datetime(NOON.replace(microsecond=123456)) == "2025-01-31T12:00:00.123Z"
    assert format_datetime(NOON.replace(microsecond=999)) == "2025-01-31T12:00:00Z"
    assert (
        format_datetime(datetime(2025, 1, 31, 14, tzinfo=timezone(timedelta(hours=2))))
        == "2025-01-31T12:00:00Z"
    )
    assert format_datetime(datetime(2025, 1, 31, 12)) == "2025-01-31T12:00:00Z"  # noqa: DTZ001 - naive = UTC


aware = st.datetimes(
    min_value=datetime(1000, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)


@given(aware)
def test_ty_datetime_format_parse_round_trip(dt: datetime) -> None:
    text = format_datetime(dt)
    assert text.endswith("Z")
    assert " " not in text
    assert "+00:00" not in text
    assert len(text) <= 25
    expected = dt.astimezone(UTC).replace(microsecond=dt.microsecond // 1000 * 1000)
    assert parse_datetime(text) == expected


@given(st.text(max_size=40))
def test_ty_datetime_parse_raises_only_value_error(text: str) -> None:
    try:
        result = parse_datetime(text)
    except ValueError:
        return
    assert result.tzinfo is UTC
