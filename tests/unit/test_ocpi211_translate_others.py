"""OCPI 2.1.1 ↔ 2.2.1 Tariffs, Tokens, AuthorizationInfo, LocationReferences and Commands (checklist §21,
TA-03/TA-04, TK-03/TK-06, CM-01…CM-08): golden vectors, round trips, and what is refused or noted."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import PartyRef
from ocpi_modules.common.routing import Untranslatable
from ocpi_modules.v2_1_1.translate import (
    DEFAULT_TIMEOUT_S,
    authorization_info_to_211,
    authorization_info_to_221,
    command_response_to_211,
    command_response_to_221,
    command_result_to_211,
    command_result_to_221,
    command_to_211,
    command_to_221,
    location_references_to_211,
    location_references_to_221,
    tariff_to_211,
    tariff_to_221,
    token_to_211,
    token_to_221,
)
from tests.fakes.ocpi211_partner.objects import (
    a_tariff_221,
    a_token_211,
    a_token_221,
    tariffs_221,
    tokens_221,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ocpi" / "2.1.1"
TNM = PartyRef.parse("NL*TNM")
CPX = PartyRef.parse("NL*CPX")
EMW = PartyRef.parse("DE*EMW")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


# --- Tariffs ----------------------------------------------------------------------------------------------


@given(
    st.decimals(min_value=0, max_value=30, places=1).flatmap(
        lambda vat: st.tuples(st.just(vat), tariffs_221(vat=vat))
    )
)
def test_a_2_2_1_tariff_2_1_1_can_carry_survives_the_round_trip_with_its_vat_stated(case: Any) -> None:
    vat, tariff = case
    as_211 = tariff_to_211(tariff)
    assert all("vat" not in c for e in as_211["elements"] for c in e["price_components"])
    assert tariff_to_221(as_211, CPX, vat=vat) == tariff


def test_a_2_1_1_tariff_without_a_stated_vat_is_refused_2_2_1_would_read_no_vat() -> None:
    with pytest.raises(Untranslatable) as caught:
        tariff_to_221(tariff_to_211(a_tariff_221()), CPX)
    assert caught.value.path == "tariff.elements[0].price_components[0].vat"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_price", {"excl_vat": Decimal("1.00")}),
        ("max_price", {"excl_vat": Decimal("10.00")}),
        ("start_date_time", "2026-04-01T00:00:00Z"),
        ("end_date_time", "2026-05-01T00:00:00Z"),
        ("type", "AD_HOC_PAYMENT"),
        ("type", "PROFILE_GREEN"),
    ],
)
def test_price_changing_2_2_1_tariff_fields_are_refused(field: str, value: Any) -> None:
    with pytest.raises(Untranslatable) as caught:
        tariff_to_211(a_tariff_221(**{field: value}))
    assert caught.value.path == f"tariff.{field}"


@pytest.mark.parametrize("restriction", ["min_current", "max_current", "reservation"])
def test_restrictions_2_1_1_lacks_are_refused(restriction: str) -> None:
    tariff = a_tariff_221()
    tariff["elements"][0]["restrictions"] = {
        restriction: "RESERVATION" if restriction == "reservation" else 16
    }
    with pytest.raises(Untranslatable) as caught:
        tariff_to_211(tariff)
    assert caught.value.path == f"tariff.elements[0].restrictions.{restriction}"


def test_a_regular_tariff_loses_its_type_and_its_vat_noted() -> None:
    notes: list[str] = []
    out = tariff_to_211(a_tariff_221(type="REGULAR"), notes=notes)
    assert "type" not in out
    assert "country_code" not in out
    assert out["elements"] == [
        {"price_components": [{"type": "ENERGY", "price": Decimal("0.25"), "step_size": 1}]}
    ]
    assert notes == [
        "tariff.type: REGULAR dropped: 2.1.1 tariffs apply to every session",
        "tariff.elements[0].price_components[0].vat: dropped: 2.1.1 prices carry no VAT rate"
        " (they exclude VAT)",
    ]


# --- Tokens -----------------------------------------------------------------------------------------------


def test_spec_token_example_becomes_the_2_2_1_token_of_its_owner_and_back() -> None:
    assert token_to_221(fixture("token_tnm.211.json"), TNM) == fixture("token_tnm.221.json")
    assert token_to_211(fixture("token_tnm.221.json")) == fixture("token_tnm.211.json")


@given(tokens_221())
def test_a_2_2_1_token_2_1_1_can_carry_survives_the_round_trip(token: dict[str, Any]) -> None:
    notes: list[str] = []
    assert token_to_221(token_to_211(token, notes=notes), PartyRef.parse("NL*PRT"), notes=notes) == token
    assert notes == []


@pytest.mark.parametrize("kind", ["APP_USER", "AD_HOC_USER"])
def test_app_and_ad_hoc_tokens_are_other_in_2_1_1(kind: str) -> None:
    notes: list[str] = []
    assert token_to_211(a_token_221(type=kind, whitelist="NEVER"), notes=notes)["type"] == "OTHER"
    assert notes == [f"token.type: {kind} is OTHER in 2.1.1"]


def test_2_2_1_only_token_fields_are_dropped_and_noted() -> None:
    notes: list[str] = []
    out = token_to_211(
        a_token_221(group_id="G1", energy_contract={"supplier_name": "E"}, default_profile_type="GREEN"),
        notes=notes,
    )
    assert (
        not {"group_id", "energy_contract", "default_profile_type", "country_code", "party_id"} & out.keys()
    )
    assert sorted(notes) == [
        "token.default_profile_type: OCPI 2.1.1 has no such field",
        "token.energy_contract: OCPI 2.1.1 has no such field",
        "token.group_id: OCPI 2.1.1 has no such field",
    ]


@pytest.mark.parametrize("whitelist", ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"])
def test_whitelist_values_are_the_same_in_both(whitelist: str) -> None:
    assert token_to_221(a_token_211(whitelist=whitelist), EMW)["whitelist"] == whitelist
    assert token_to_211(a_token_221(whitelist=whitelist))["whitelist"] == whitelist


def test_token_patch_translates_only_its_fields() -> None:
    assert token_to_221({"valid": False, "last_updated": "x"}, EMW, partial=True) == {
        "valid": False,
        "last_updated": "x",
    }


# --- AuthorizationInfo and LocationReferences -------------------------------------------------------------


def test_authorization_info_from_2_1_1_is_completed_with_the_known_token() -> None:
    token = a_token_221()
    info = {
        "allowed": "ALLOWED",
        "location": {"location_id": "L1", "evse_uids": ["E1"], "connector_ids": ["1"]},
        "info": {"language": "en", "text": "Welcome"},
    }
    notes: list[str] = []
    assert authorization_info_to_221(info, token=token, notes=notes) == {
        "allowed": "ALLOWED",
        "token": token,
        "location": {"location_id": "L1", "evse_uids": ["E1"]},
        "info": {"language": "en", "text": "Welcome"},
    }
    assert notes == ["authorization.location.connector_ids: OCPI 2.2.1 has no such field"]


def test_authorization_info_from_2_1_1_for_a_token_the_hub_does_not_know_is_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        authorization_info_to_221({"allowed": "BLOCKED"}, token=None)
    assert caught.value.path == "authorization.token"


@pytest.mark.parametrize("allowed", ["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
def test_authorization_info_to_2_1_1_drops_token_and_reference(allowed: str) -> None:
    notes: list[str] = []
    out = authorization_info_to_211(
        {"allowed": allowed, "token": a_token_221(), "authorization_reference": "REF1"}, notes=notes
    )
    assert out == {"allowed": allowed}
    assert notes == ["authorization.authorization_reference: OCPI 2.1.1 has no such field"]


def test_location_references_both_ways() -> None:
    assert location_references_to_211({"location_id": "L1", "evse_uids": ["E1", "E2"]}) == {
        "location_id": "L1",
        "evse_uids": ["E1", "E2"],
    }
    assert location_references_to_221({"location_id": "L1"}) == {"location_id": "L1"}


# --- Commands ---------------------------------------------------------------------------------------------


def test_start_session_round_trip_and_what_2_1_1_lacks() -> None:
    body: dict[str, Any] = {
        "response_url": "https://emsp.example/r/1",
        "token": a_token_221(),
        "location_id": "L1",
        "evse_uid": "E1",
    }
    assert (
        command_to_221("START_SESSION", command_to_211("START_SESSION", body), PartyRef.parse("NL*PRT"))
        == body
    )
    notes: list[str] = []
    out = command_to_211(
        "START_SESSION", body | {"connector_id": "1", "authorization_reference": "A"}, notes=notes
    )
    assert "connector_id" not in out
    assert out["token"]["auth_id"] == body["token"]["contract_id"]
    assert sorted(notes) == [
        "command.authorization_reference: OCPI 2.1.1 has no such field",
        "command.connector_id: OCPI 2.1.1 has no such field",
    ]


@given(st.integers(0, 2**31 - 1))
def test_reservation_ids_are_ints_in_2_1_1_and_strings_in_2_2_1(reservation_id: int) -> None:
    body = {
        "response_url": "u",
        "token": a_token_211(),
        "expiry_date": "2026-03-02T09:00:00Z",
        "reservation_id": reservation_id,
        "location_id": "L1",
    }
    as_221 = command_to_221("reserve_now", body, EMW)
    assert as_221["reservation_id"] == str(reservation_id)
    assert command_to_211("RESERVE_NOW", as_221)["reservation_id"] == reservation_id


@pytest.mark.parametrize("reservation_id", ["R-17", "", "-1", "2147483648", "0012"])
def test_reservation_ids_that_are_no_2_1_1_int_are_refused(reservation_id: str) -> None:
    body = {
        "response_url": "u",
        "token": a_token_221(),
        "expiry_date": "x",
        "reservation_id": reservation_id,
        "location_id": "L",
    }
    with pytest.raises(Untranslatable) as caught:
        command_to_211("RESERVE_NOW", body)
    assert caught.value.path == "command.reservation_id"


def test_cancel_reservation_does_not_exist_in_2_1_1() -> None:
    with pytest.raises(Untranslatable, match=r"not an OCPI 2\.1\.1 command"):
        command_to_211("CANCEL_RESERVATION", {"response_url": "u", "reservation_id": "1"})


@pytest.mark.parametrize("result", ["ACCEPTED", "REJECTED", "NOT_SUPPORTED", "UNKNOWN_SESSION"])
def test_sync_command_response_gets_the_2_2_1_timeout(result: str) -> None:
    assert command_response_to_221({"result": result}) == {"result": result, "timeout": DEFAULT_TIMEOUT_S}
    assert command_response_to_211({"result": result, "timeout": 30}) == {"result": result}


def test_sync_timeout_is_a_rejection_with_its_reason_in_2_2_1() -> None:
    out = command_response_to_221({"result": "TIMEOUT"})
    assert out["result"] == "REJECTED"
    assert out["timeout"] == DEFAULT_TIMEOUT_S
    assert out["message"][0]["text"].startswith("TIMEOUT")


@pytest.mark.parametrize(
    ("result_221", "result_211"),
    [
        ("ACCEPTED", "ACCEPTED"),
        ("REJECTED", "REJECTED"),
        ("NOT_SUPPORTED", "NOT_SUPPORTED"),
        ("TIMEOUT", "TIMEOUT"),
        ("FAILED", "REJECTED"),
        ("EVSE_OCCUPIED", "REJECTED"),
        ("EVSE_INOPERATIVE", "REJECTED"),
        ("CANCELED_RESERVATION", "REJECTED"),
        ("UNKNOWN_RESERVATION", "REJECTED"),
    ],
)
def test_async_command_results_map_to_the_2_1_1_command_response(result_221: str, result_211: str) -> None:
    assert command_result_to_211({"result": result_221}) == {"result": result_211}


def test_async_2_1_1_result_unknown_session_is_a_rejection_in_2_2_1() -> None:
    assert command_result_to_221({"result": "ACCEPTED"}) == {"result": "ACCEPTED"}
    assert command_result_to_221({"result": "TIMEOUT"}) == {"result": "TIMEOUT"}
    out = command_result_to_221({"result": "UNKNOWN_SESSION"})
    assert out["result"] == "REJECTED"
    assert "UNKNOWN_SESSION" in out["message"][0]["text"]
