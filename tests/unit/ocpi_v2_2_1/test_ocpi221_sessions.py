"""Sessions mapping: core → wire (SE-06, SE-10), PATCH bodies, the receiver's merge (SE-05), status
normalisation (SE-07, SE-11) and `check_session`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import DimensionType, SessionStatus, TokenType
from ocpi_modules.v2_2_1.sessions import (
    check_session,
    from_core_session,
    merge_session,
    normalise_session_status,
    session_patch,
)
from tests.unit.ocpi_v2_2_1.kit import CPO, a_period, a_session, a_token, fixture, wire


def test_from_core_session_matches_golden_fixture() -> None:
    assert wire(from_core_session(a_session(), token=a_token())) == fixture("out/session.json")


def test_from_core_session_is_valid() -> None:
    assert check_session(wire(from_core_session(a_session(), token=a_token()))) == []


def test_se_10_total_cost_omitted_while_unknown_and_zero_when_free() -> None:
    assert "total_cost" not in from_core_session(a_session(total_cost=None), token=None)
    assert wire(from_core_session(a_session(total_cost=Decimal(0)), token=None))["total_cost"] == {
        "excl_vat": 0
    }


def test_cdr_token_from_the_session_copy_when_the_token_is_unknown() -> None:
    """CM-09: unknown tokens are copied into the Session; the uid stands in for a missing contract_id."""
    session = a_session(token_type=TokenType.APP_USER, contract_id=None)
    assert from_core_session(session, token=None)["cdr_token"] == {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "04A1B2C3D4E5F6",
        "type": "APP_USER",
        "contract_id": "04A1B2C3D4E5F6",
    }


def test_unassigned_reservation_uses_na_for_evse_and_connector() -> None:
    data = from_core_session(
        a_session(status=SessionStatus.RESERVATION, evse_uid=None, connector_id=None), token=None
    )
    assert (data["evse_uid"], data["connector_id"], data["location_id"]) == ("#NA", "#NA", "LOC001")


def test_session_patch_sends_only_new_periods() -> None:
    session = a_session()
    patch = wire(session_patch(session, periods_sent=1))
    assert [p["start_date_time"] for p in patch["charging_periods"]] == ["2026-03-02T08:45:00Z"]
    assert patch["kwh"] == Decimal("4.25")
    assert patch["status"] == "ACTIVE"
    assert patch["total_cost"] == {"excl_vat": Decimal("1.0625")}
    assert patch["last_updated"] == "2026-03-02T09:00:00Z"
    assert "country_code" not in patch


def test_session_patch_without_new_periods_omits_the_list() -> None:
    assert "charging_periods" not in session_patch(a_session(), periods_sent=2)
    assert "charging_periods" not in session_patch(a_session(charging_periods=()), periods_sent=0)


# --- receiver merge -------------------------------------------------------------------------------------


def stored() -> dict[str, Any]:
    data: dict[str, Any] = fixture("examples/session_put.json")
    return data


def test_se_05_patch_appends_charging_periods_and_replaces_the_rest() -> None:
    result = merge_session(stored(), fixture("examples/session_patch_periods.json"))
    assert [p["start_date_time"] for p in result["charging_periods"]] == [
        "2026-02-10T17:02:11Z",
        "2026-02-10T17:10:00Z",
    ]
    assert result["kwh"] == Decimal("3.75")
    assert result["total_cost"] == {"excl_vat": Decimal("1.31"), "incl_vat": Decimal("1.59")}
    assert result["status"] == "ACTIVE"  # omitted: stays
    assert result["x_vendor_flags"] == ["fast"]  # unknown fields are kept
    assert check_session(result) == []


def test_se_05_empty_periods_leave_the_stored_ones() -> None:
    result = merge_session(stored(), {"charging_periods": [], "last_updated": "2026-02-10T18:00:00Z"})
    assert result["charging_periods"] == stored()["charging_periods"]


def test_se_05_patch_needs_last_updated_and_never_changes_identity() -> None:
    with pytest.raises(InvalidRequestError) as info:
        merge_session(stored(), {"kwh": 1})
    assert info.value.field == "last_updated"
    result = merge_session(
        stored(), {"id": "other", "party_id": "ZZZ", "last_updated": "2026-02-10T18:00:00Z"}
    )
    assert (result["id"], result["party_id"]) == (stored()["id"], "XYZ")


@given(st.lists(st.lists(st.integers(0, 10_000), min_size=0, max_size=3), max_size=6))
def test_se_05_merging_patches_appends_every_period_in_order(batches: list[list[int]]) -> None:
    session = stored()
    expected = list(session["charging_periods"])
    for n, batch in enumerate(batches):
        periods = [
            {"start_date_time": f"2026-02-11T00:00:{n:02d}Z", "dimensions": [{"type": "ENERGY", "volume": v}]}
            for v in batch
        ]
        expected.extend(periods)
        session = merge_session(
            session, {"charging_periods": periods, "last_updated": "2026-02-11T00:00:00Z"}
        )
    assert session["charging_periods"] == expected


@given(st.integers(0, 5), st.integers(0, 5))
def test_session_patch_and_merge_rebuild_the_full_session(total: int, already: int) -> None:
    """What a receiver holds after a PUT of the first periods and a PATCH of the rest is the full Session."""
    already = min(already, total)
    periods = tuple(a_period(15 * i, (DimensionType.ENERGY, str(i))) for i in range(total))
    session = a_session(charging_periods=periods)
    put = wire(
        from_core_session(session.model_copy(update={"charging_periods": periods[:already]}), token=None)
    )
    merged = merge_session(put, wire(session_patch(session, periods_sent=already)))
    assert merged == wire(from_core_session(session, token=None))


# --- status and validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("RESERVED", "RESERVATION"),
        ("reservation", "RESERVATION"),
        ("ACTIVE", "ACTIVE"),
        ("STOPPING", "ACTIVE"),
        ("completed", "COMPLETED"),
        ("WEIRD", "WEIRD"),
    ],
)
def test_se_07_se_11_status_normalisation(value: str, expected: str) -> None:
    assert normalise_session_status(value) == expected


def test_er_06_reserved_status_and_other_defects_are_flagged_not_raised() -> None:
    problems = check_session(fixture("examples/session_defect_status.json"))
    assert "status: not a valid value: 'RESERVED' (read as RESERVATION)" in problems
    assert any(p.startswith("last_updated: longer than 25") for p in problems)
    assert not any(p.startswith("start_date_time") for p in problems)  # +00:00 is accepted (§5)


def test_check_session_flags_missing_and_over_long_fields() -> None:
    data = stored()
    del data["cdr_token"]["contract_id"]
    data["id"] = "S" * 37
    data["currency"] = "EURO"
    data["kwh"] = "12"
    data["status"] = "STOPPING"
    data["charging_periods"][0]["dimensions"].append({"type": "MAGIC", "volume": 1})
    data["total_cost"] = {"incl_vat": 1}
    problems = check_session(data)
    for expected in (
        "cdr_token.contract_id: required field missing",
        "id: longer than 36",
        "currency: longer than 3",
        "kwh: not a number",
        "status: not a valid value: 'STOPPING' (read as ACTIVE)",
        "charging_periods[0].dimensions[2].type: not a valid value",
        "total_cost.excl_vat: required field missing",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_party_of_session_is_the_cpo() -> None:
    data = from_core_session(a_session(), token=None)
    assert (data["country_code"], data["party_id"]) == (CPO.country_code, CPO.party_id)
