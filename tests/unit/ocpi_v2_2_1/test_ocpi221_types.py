"""Basic types (§5) and the never-raising validators (§22): DateTime tolerances, number formatting, and every
`check_*` fed arbitrary JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from ocpi_modules.v2_2_1.cdrs import check_cdr
from ocpi_modules.v2_2_1.locations import check_connector, check_evse, check_location
from ocpi_modules.v2_2_1.sessions import check_session
from ocpi_modules.v2_2_1.tariffs import check_tariff, parse_ocpi_datetime
from ocpi_modules.v2_2_1.tokens import check_token
from ocpi_modules.v2_2_1.types import is_stale, latest, number, parse_datetime, price, to_decimal
from tests.unit.ocpi_v2_2_1.kit import fixture

EXPECTED = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31T12:00:00Z",
        "2026-01-31T12:00:00z",
        "2026-01-31T12:00:00+00:00",
        "2026-01-31T12:00:00",
        "2026-01-31T13:00:00+01:00",
        "2026-01-31T07:30:00-0430",
        "2026-01-31T12:00:00.000Z",
        "2026-01-31T12:00:00.000000000",
    ],
)
def test_datetime_tolerances_of_section_5(text: str) -> None:
    assert parse_datetime(text) == EXPECTED
    assert parse_ocpi_datetime(text) == EXPECTED


@pytest.mark.parametrize(
    "text", ["2026-01-31", "31-01-2026T12:00:00Z", "2026-01-31T12:00:00.1234567890Z", "", "now"]
)
def test_datetime_garbage_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="DateTime"):
        parse_datetime(text)


@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)),  # noqa: DTZ001
    st.integers(0, 9),
    st.integers(-14 * 60, 14 * 60),
)
def test_datetime_round_trip_with_any_fraction_and_offset(
    moment: datetime, digits: int, offset_min: int
) -> None:
    zone = timezone(timedelta(minutes=offset_min))
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    fraction = f"{local.microsecond:06d}{'0' * 3}"[:digits]
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(offset_min), 60)
    text = (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + (f".{fraction}" if digits else "")
        + f"{sign}{hours:02d}:{minutes:02d}"
    )
    expected_micro = int(fraction.ljust(6, "0")[:6]) if digits else 0
    assert parse_datetime(text) == moment.replace(tzinfo=UTC, microsecond=expected_micro)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.23456", "1.2346"), ("100", "100"), ("1E+2", "100"), ("0.10", "0.10"), ("-2.00005", "-2.0000")],
)
def test_numbers_carry_at_most_four_decimals_and_no_exponent(value: str, expected: str) -> None:
    assert str(number(Decimal(value))) == expected


def test_price_omits_unknown_incl_vat() -> None:
    assert price(Decimal("1.5")) == {"excl_vat": Decimal("1.5")}
    assert price(Decimal("1.5"), Decimal("1.815")) == {
        "excl_vat": Decimal("1.5"),
        "incl_vat": Decimal("1.815"),
    }


@pytest.mark.parametrize("value", [True, None, "abc", "NaN", "Infinity", [1]])
def test_to_decimal_refuses_non_numbers_naming_the_field(value: Any) -> None:
    with pytest.raises(InvalidRequestError) as info:
        to_decimal(value, "kwh")
    assert info.value.field == "kwh"


def test_co_10_stale_detection_and_latest() -> None:
    assert is_stale("2026-01-02T00:00:00Z", "2026-01-01T23:59:59Z")
    assert not is_stale("2026-01-02T00:00:00Z", "2026-01-02T00:00:00+00:00")
    assert not is_stale("garbage", "2026-01-01T00:00:00Z")
    assert latest("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "2026-01-01T00:00:01Z") == (
        "2026-01-01T00:00:01Z"
    )
    assert latest(None, "bad") == "bad"
    assert latest("bad", "2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60) | st.decimals(allow_nan=False, places=3),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
CHECKS: list[tuple[Callable[[Any], list[str]], str]] = [
    (check_location, "examples/location_put.json"),
    (check_evse, "examples/defect_evse_er02.json"),
    (check_session, "examples/session_put.json"),
    (check_cdr, "examples/cdr_post.json"),
    (check_tariff, "examples/tariff_put.json"),
    (check_token, "examples/token_put.json"),
]


@pytest.mark.parametrize(("check", "example"), CHECKS)
@given(data=st.data())
def test_check_functions_never_raise_on_any_json(
    check: Callable[[Any], list[str]], example: str, data: st.DataObject
) -> None:
    """§22: validators record findings and never raise, whatever arrives (known fields of any type too)."""
    base = fixture(example)
    mutated = {
        **base,
        **data.draw(st.dictionaries(st.sampled_from(sorted(base)), json_values, max_size=4)),
    }
    assert all(isinstance(p, str) for p in check(mutated))
    assert all(isinstance(p, str) for p in check(data.draw(json_values)))
    anything: Any = data.draw(json_values)
    assert isinstance(check_connector(anything), list)
