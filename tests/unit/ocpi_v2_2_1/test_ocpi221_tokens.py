"""Tokens mapping: Token ↔ core (TK-03, TK-04), PATCH merge (CO-06), LocationReferences (TK-02),
AuthorizationInfo ↔ decisions (TK-05, TK-06) and `check_token`."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from hub.core.errors import InvalidRequestError
from hub.core.models import AuthorizationDecision, AuthorizationStatus, Token, TokenType, WhitelistType
from ocpi_modules.v2_2_1.tokens import (
    check_token,
    from_core_decision,
    from_core_token,
    location_references,
    merge_token,
    to_core_decision,
    to_core_token,
)
from tests.unit.ocpi_v2_2_1.kit import a_token, fixture, tokens, wire


@given(tokens)
def test_tk_03_token_round_trips_through_the_wire(token: Token) -> None:
    data = wire(from_core_token(token))
    assert check_token(data) == []
    assert to_core_token(data, own=token.own) == token


def test_from_core_token_matches_golden_fixture() -> None:
    assert wire(from_core_token(a_token())) == fixture("out/token.json")


def test_to_core_token_reads_a_full_token_and_keeps_the_uid_case() -> None:
    token = to_core_token(fixture("examples/token_put.json"))
    assert (token.party.country_code, token.party.party_id, token.uid) == ("DE", "MSP", "A1B2C3D4")
    assert token.whitelist is WhitelistType.ALLOWED_OFFLINE
    assert token.group_id == "FLEET-NORTH"
    assert token.own is False
    app = to_core_token(fixture("examples/token_app_user.json"), own=True)
    assert (app.type, app.whitelist, app.own) == (TokenType.APP_USER, WhitelistType.NEVER, True)


def test_to_core_token_is_permissive_about_case_and_optional_fields() -> None:
    data = {
        "country_code": "de",
        "party_id": "msp",
        "uid": "abc",
        "type": "rfid",
        "valid": True,
        "whitelist": "always",
        "last_updated": "2026-02-01T06:00:00",
        "x_vendor": 1,
    }
    token = to_core_token(data)
    assert (token.type, token.whitelist, token.contract_id, token.issuer) == (
        TokenType.RFID,
        WhitelistType.ALWAYS,
        "abc",  # missing contract_id: the uid stands in, check_token flags it
        "",
    )
    assert "contract_id: required field missing" in check_token(data)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uid": None}, "uid"),
        ({"country_code": None}, "country_code"),
        ({"country_code": "DEU"}, "country_code"),
        ({"valid": "yes"}, "valid"),
        ({"type": "CARD"}, "type"),
        ({"whitelist": "SOMETIMES"}, "whitelist"),
        ({"last_updated": None}, "last_updated"),
        ({"last_updated": "yesterday"}, "last_updated"),
    ],
)
def test_to_core_token_names_the_unusable_field(change: dict[str, Any], field: str) -> None:
    data = {**fixture("examples/token_put.json"), **change}
    with pytest.raises(InvalidRequestError) as info:
        to_core_token(data)
    assert info.value.field == field


def test_merge_token_applies_a_patch_and_keeps_identity() -> None:
    stored = to_core_token(fixture("examples/token_put.json"), own=True)
    merged = merge_token(stored, {**fixture("examples/token_patch.json"), "uid": "OTHER", "type": "APP_USER"})
    assert merged.valid is False
    assert (merged.uid, merged.type, merged.own) == (stored.uid, stored.type, True)
    assert merged.contract_id == stored.contract_id
    assert wire(from_core_token(merged))["last_updated"] == "2026-02-03T11:00:00Z"


def test_co_06_token_patch_without_last_updated_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        merge_token(a_token(), {"valid": False})
    assert info.value.field == "last_updated"


def test_tk_02_location_references() -> None:
    assert location_references(None) == (None, ())
    assert location_references({}) == (None, ())
    assert location_references({"location_id": "LOC1", "evse_uids": ["E1", "E2"]}) == ("LOC1", ("E1", "E2"))
    with pytest.raises(InvalidRequestError):
        location_references({"evse_uids": ["E1"]})
    with pytest.raises(InvalidRequestError):
        location_references({"location_id": "LOC1", "evse_uids": "E1"})


def test_tk_06_allowed_decision_echoes_the_location() -> None:
    decision = AuthorizationDecision(
        status=AuthorizationStatus.ALLOWED, token=a_token(), authorization_reference="AUTH-1"
    )
    info = wire(from_core_decision(decision, location_id="LOC001", evse_uids=["CP001*1"]))
    assert info["allowed"] == "ALLOWED"
    assert info["token"] == wire(from_core_token(a_token()))
    assert info["location"] == {"location_id": "LOC001", "evse_uids": ["CP001*1"]}
    assert info["authorization_reference"] == "AUTH-1"
    assert "info" not in info


def test_tk_06_refusal_has_no_location_and_says_why() -> None:
    decision = AuthorizationDecision(
        status=AuthorizationStatus.BLOCKED, token=a_token(), reason="card blocked"
    )
    info = from_core_decision(decision, location_id="LOC001", evse_uids=[])
    assert info["allowed"] == "BLOCKED"
    assert "location" not in info
    assert info["info"] == {"language": "en", "text": "card blocked"}


def test_unknown_core_decision_is_never_emitted_as_unknown() -> None:
    decision = AuthorizationDecision(status=AuthorizationStatus.UNKNOWN, token=a_token())
    assert from_core_decision(decision, location_id=None, evse_uids=())["allowed"] == "NOT_ALLOWED"
    with pytest.raises(ValueError, match="token"):
        from_core_decision(
            AuthorizationDecision(status=AuthorizationStatus.ALLOWED), location_id=None, evse_uids=()
        )


@pytest.mark.parametrize("status", ["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
def test_decision_round_trip(status: str) -> None:
    decision = AuthorizationDecision(
        status=AuthorizationStatus(status), token=a_token(), authorization_reference="R-9", reason="because"
    )
    back = to_core_decision(wire(from_core_decision(decision, location_id=None, evse_uids=())), a_token())
    assert back == decision


def test_to_core_decision_fails_closed_on_unknown_allowed_values() -> None:
    decision = to_core_decision({"allowed": "MAYBE", "token": {}}, a_token())
    assert decision.status is AuthorizationStatus.NOT_ALLOWED
    assert decision.token == a_token()
    with pytest.raises(InvalidRequestError):
        to_core_decision({"token": {}}, a_token())


def test_to_core_decision_takes_the_echoed_token_only_when_it_is_the_same() -> None:
    echoed = wire(from_core_token(a_token(valid=False)))
    assert to_core_decision({"allowed": "BLOCKED", "token": echoed}, a_token()).token == a_token(valid=False)
    other = wire(from_core_token(a_token(uid="SOMEONE-ELSE")))
    assert to_core_decision({"allowed": "ALLOWED", "token": other}, a_token()).token == a_token()


def test_check_token_flags_over_long_and_out_of_spec_values() -> None:
    data = fixture("examples/token_put.json")
    data.update(
        uid="U" * 37,
        issuer="I" * 65,
        whitelist="SOMETIMES",
        default_profile_type="TURBO",
        language="deu",
        energy_contract={"contract_id": "x"},
    )
    problems = check_token(data)
    for expected in (
        "uid: longer than 36",
        "issuer: longer than 64",
        "whitelist: not a valid value",
        "default_profile_type: not a valid value",
        "language: longer than 2",
        "energy_contract.supplier_name: required field missing",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)
    assert check_token(fixture("examples/token_put.json")) == []
