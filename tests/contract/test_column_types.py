"""Column types: any Decimal and any aware datetime survive storage exactly, and SQLite's text form of
datetimes sorts like the instants it names (paging compares them as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from hub.storage.types import DecimalText, UtcDateTime

SQLITE = sqlite.dialect()
POSTGRES = postgresql.dialect()

aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones come from below
    max_value=datetime(9999, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5, minutes=30))]),
)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_exactly(value: Decimal) -> None:
    column = DecimalText()
    stored = column.process_bind_param(value, SQLITE)
    loaded = column.process_result_value(stored, SQLITE)

    assert loaded is not None
    assert str(loaded) == str(value)


@given(aware_datetimes)
def test_datetimes_come_back_aware_utc_and_equal(value: datetime) -> None:
    column = UtcDateTime()
    loaded = column.process_result_value(column.process_bind_param(value, SQLITE), SQLITE)

    assert loaded == value
    assert loaded is not None
    assert loaded.utcoffset() == timedelta(0)


@given(aware_datetimes, aware_datetimes)
def test_sqlite_text_of_datetimes_sorts_like_the_instants(first: datetime, second: datetime) -> None:
    column = UtcDateTime()
    as_text = (column.process_bind_param(first, SQLITE), column.process_bind_param(second, SQLITE))

    assert (as_text[0] < as_text[1]) == (first < second)
    assert (as_text[0] == as_text[1]) == (first == second)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetimes cannot be stored"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), POSTGRES)  # noqa: DTZ001 - the point of the test
