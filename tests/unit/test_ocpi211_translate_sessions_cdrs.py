"""OCPI 2.1.1 ↔ 2.2.1 Sessions and CDRs (checklist §21, SE-06, SE-07, CD-04…CD-07, V211-02): the spec examples
as golden vectors, round trips of what both carry (auth_id ↔ cdr_token, embedded Location ↔ location ids,
number ↔ Price), and the lossy cases refused naming their field."""

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
    cdr_to_211,
    cdr_to_221,
    location_to_211,
    location_to_221,
    narrowed_location,
    session_to_211,
    session_to_221,
)
from tests.fakes.ocpi211_partner.objects import (
    MONEY,
    PERIODS,
    STAMPS,
    a_cdr_211,
    a_cdr_221,
    a_cdr_token,
    a_connector_221,
    a_location_221,
    a_session_211,
    a_session_221,
    a_token_221,
    an_evse_221,
    locations_221,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ocpi" / "2.1.1"
BEC = PartyRef.parse("BE*BEC")
CPX = PartyRef.parse("NL*CPX")
TNM_TOKEN = {
    "country_code": "NL",
    "party_id": "TNM",
    "uid": "012345678",
    "type": "RFID",
    "contract_id": "DE8ACC12E46L89",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


# --- Sessions ---------------------------------------------------------------------------------------------


def test_spec_session_example_becomes_the_2_2_1_session_of_its_token_and_place() -> None:
    assert session_to_221(fixture("session_gent_finished.211.json"), BEC, cdr_token=TNM_TOKEN) == fixture(
        "session_gent_finished.221.json"
    )


def test_spec_session_example_comes_back_with_its_location_embedded() -> None:
    original = fixture("session_gent_finished.211.json")
    location = location_to_221(original["location"], BEC)
    back = session_to_211(fixture("session_gent_finished.221.json"), location=location)
    assert back == original


@given(locations_221().filter(lambda loc: bool(loc["evses"])), st.data())
def test_a_2_2_1_session_2_1_1_can_carry_survives_the_round_trip(location: dict[str, Any], data: Any) -> None:
    evse = data.draw(st.sampled_from(location["evses"]))
    connector = data.draw(st.sampled_from(evse["connectors"]))
    session = a_session_221(
        location_id=location["id"],
        evse_uid=evse["uid"],
        connector_id=connector["id"],
        kwh=data.draw(MONEY),
        charging_periods=data.draw(PERIODS),
        total_cost={"excl_vat": data.draw(MONEY)},
        status=data.draw(st.sampled_from(["PENDING", "ACTIVE", "COMPLETED", "INVALID"])),
        end_date_time=data.draw(STAMPS),
    )
    narrowed = narrowed_location(location, evse["uid"], connector["id"], "session.location")
    notes: list[str] = []
    as_211 = session_to_211(session, location=narrowed, notes=notes)
    assert as_211["location"]["evses"][0]["uid"] == evse["uid"]
    assert session_to_221(as_211, CPX, cdr_token=session["cdr_token"], notes=notes) == session
    assert notes == []


def test_session_status_reservation_and_auth_method_command_become_their_2_1_1_neighbours() -> None:
    notes: list[str] = []
    out = session_to_211(
        a_session_221(status="RESERVATION", auth_method="COMMAND", authorization_reference="REF1"),
        location=a_location_221(),
        notes=notes,
    )
    assert (out["status"], out["auth_method"]) == ("PENDING", "AUTH_REQUEST")
    assert "authorization_reference" not in out
    assert sorted(notes) == [
        "session.auth_method: COMMAND is AUTH_REQUEST in 2.1.1",
        "session.authorization_reference: OCPI 2.1.1 has no such field",
        "session.status: RESERVATION is PENDING in 2.1.1 (not started yet)",
    ]


def test_incl_vat_is_dropped_and_noted_going_to_2_1_1_and_never_invented_coming_back() -> None:
    notes: list[str] = []
    out = session_to_211(
        a_session_221(total_cost={"excl_vat": Decimal("2.00"), "incl_vat": Decimal("2.42")}),
        location=a_location_221(),
        notes=notes,
    )
    assert out["total_cost"] == Decimal("2.00")
    assert notes == ["session.total_cost.incl_vat: dropped: 2.1.1 carries the cost excluding VAT only"]
    assert session_to_221(out, CPX, cdr_token=TNM_TOKEN)["total_cost"] == {"excl_vat": Decimal("2.00")}


def test_session_patch_without_place_needs_no_location() -> None:
    patch = {"kwh": Decimal("3.2"), "total_cost": {"excl_vat": Decimal("1.10")}, "last_updated": "x"}
    assert session_to_211(patch, location=None, partial=True) == {
        "kwh": Decimal("3.2"),
        "total_cost": Decimal("1.10"),
        "last_updated": "x",
    }
    assert session_to_221({"total_cost": Decimal("0.60")}, CPX, cdr_token=None, partial=True) == {
        "total_cost": {"excl_vat": Decimal("0.60")}
    }


def test_session_of_an_unknown_auth_id_is_refused_naming_it() -> None:
    with pytest.raises(Untranslatable) as caught:
        session_to_221(a_session_211(), CPX, cdr_token=None)
    assert caught.value.path == "session.auth_id"


def test_session_whose_location_cannot_be_found_is_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        session_to_211(a_session_221(), location=None)
    assert caught.value.path == "session.location_id"


def test_session_location_without_evse_is_refused() -> None:
    with pytest.raises(Untranslatable, match="evses"):
        session_to_221(
            a_session_211(location={**a_session_211()["location"], "evses": []}), CPX, cdr_token=TNM_TOKEN
        )


def test_flat_dimension_and_2_2_1_only_dimensions_are_dropped_with_empty_periods() -> None:
    periods_211 = [
        {"start_date_time": "a", "dimensions": [{"type": "FLAT", "volume": 1}]},
        {
            "start_date_time": "b",
            "dimensions": [{"type": "ENERGY", "volume": 2}, {"type": "FLAT", "volume": 1}],
        },
    ]
    out = session_to_221(a_session_211(charging_periods=periods_211), CPX, cdr_token=TNM_TOKEN)
    assert out["charging_periods"] == [
        {"start_date_time": "b", "dimensions": [{"type": "ENERGY", "volume": 2}]}
    ]
    periods_221 = [
        {
            "start_date_time": "a",
            "dimensions": [{"type": "STATE_OF_CHARGE", "volume": 80}],
            "tariff_id": "T1",
        },
        {"start_date_time": "b", "dimensions": [{"type": "TIME", "volume": 1}], "tariff_id": "T1"},
    ]
    notes: list[str] = []
    out = session_to_211(a_session_221(charging_periods=periods_221), location=a_location_221(), notes=notes)
    assert out["charging_periods"] == [
        {"start_date_time": "b", "dimensions": [{"type": "TIME", "volume": 1}]}
    ]
    assert "session.charging_periods[1].tariff_id: dropped: OCPI 2.1.1 has no such field" in notes


def test_narrowed_location_keeps_only_the_session_evse_and_connector_and_is_published() -> None:
    location = a_location_221(
        publish=False,
        evses=[
            an_evse_221("E1", connectors=[a_connector_221("1"), a_connector_221("2")]),
            an_evse_221("E2"),
        ],
    )
    narrowed = narrowed_location(location, "e1", "2", "x")
    assert [e["uid"] for e in narrowed["evses"]] == ["E1"]
    assert [c["id"] for c in narrowed["evses"][0]["connectors"]] == ["2"]
    assert location_to_211(narrowed)["evses"][0]["connectors"][0]["id"] == "2"
    with pytest.raises(Untranslatable, match="no connector"):
        narrowed_location(location, "E2", "9", "x")


# --- CDRs -------------------------------------------------------------------------------------------------


def test_spec_cdr_example_becomes_a_2_2_1_cdr_and_its_vatless_tariffs_are_noted() -> None:
    notes: list[str] = []
    assert cdr_to_221(fixture("cdr_gent.211.json"), BEC, cdr_token=TNM_TOKEN, notes=notes) == fixture(
        "cdr_gent.221.json"
    )
    assert notes == ["cdr.tariffs: dropped: 2.1.1 prices carry no VAT rate"]


def test_spec_cdr_example_comes_back_from_2_2_1_with_its_frozen_facts_over_the_live_location() -> None:
    original = fixture("cdr_gent.211.json")
    live = location_to_221(original["location"], BEC)
    live["name"] = "Gent Zuid (renamed since)"
    back = cdr_to_211(fixture("cdr_gent.221.json"), location=live)
    expected = {k: v for k, v in original.items() if k != "tariffs"}
    assert back == expected


def test_a_cdr_round_trip_keeps_what_both_carry() -> None:
    cdr = a_cdr_221(total_cost={"excl_vat": Decimal("2.25")})
    cdr["cdr_location"]["name"] = "Station"  # the live Location's name: 2.1.1 embeds it, so it comes back
    location = a_location_221()
    notes: list[str] = []
    as_211 = cdr_to_211(cdr, location=location, notes=notes)
    assert notes == []
    assert cdr_to_221(as_211, CPX, cdr_token=cdr["cdr_token"]) == cdr


def test_cdr_total_cost_is_excl_vat_and_sub_totals_are_dropped_and_noted() -> None:
    notes: list[str] = []
    out = cdr_to_211(
        a_cdr_221(session_id="S1", total_energy_cost={"excl_vat": Decimal("2.25")}),
        location=a_location_221(),
        notes=notes,
    )
    assert out["total_cost"] == Decimal("2.25")
    assert "session_id" not in out
    assert "total_energy_cost" not in out
    assert sorted(notes) == [
        "cdr.session_id: OCPI 2.1.1 has no such field",
        "cdr.total_cost.incl_vat: dropped: 2.1.1 carries the cost excluding VAT only",
        "cdr.total_energy_cost: OCPI 2.1.1 has no such field",
    ]


def test_a_credit_cdr_is_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        cdr_to_211(a_cdr_221(credit=True, credit_reference_id="C0"), location=a_location_221())
    assert caught.value.path == "cdr.credit"


def test_a_cdr_id_longer_than_2_1_1_allows_is_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        cdr_to_211(a_cdr_221("X" * 37), location=a_location_221())
    assert caught.value.path == "cdr.id"


def test_a_cdr_whose_location_is_unknown_is_refused_as_2_1_1_needs_voltage_and_amperage() -> None:
    with pytest.raises(Untranslatable, match="voltage"):
        cdr_to_211(a_cdr_221(), location=None)


def test_a_cdr_of_an_unknown_auth_id_is_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        cdr_to_221(a_cdr_211(), CPX, cdr_token=None)
    assert caught.value.path == "cdr.auth_id"


def test_a_2_1_1_cdr_without_evse_id_cannot_name_its_2_2_1_cdr_location() -> None:
    cdr = a_cdr_211()
    del cdr["location"]["evses"][0]["evse_id"]
    with pytest.raises(Untranslatable, match="evse_id"):
        cdr_to_221(cdr, CPX, cdr_token=a_cdr_token(a_token_221()))


def test_a_cdr_with_only_flat_dimensions_is_refused() -> None:
    cdr = a_cdr_211(
        charging_periods=[{"start_date_time": "a", "dimensions": [{"type": "FLAT", "volume": 1}]}]
    )
    with pytest.raises(Untranslatable) as caught:
        cdr_to_221(cdr, CPX, cdr_token=TNM_TOKEN)
    assert caught.value.path == "cdr.charging_periods"


def test_cdr_tariffs_2_1_1_cannot_express_are_dropped_the_cdr_still_goes() -> None:
    tariff = {
        "id": "T9",
        "currency": "EUR",
        "min_price": {"excl_vat": 1},
        "elements": [],
        "last_updated": "x",
    }
    notes: list[str] = []
    out = cdr_to_211(a_cdr_221(tariffs=[tariff]), location=a_location_221(), notes=notes)
    assert out["tariffs"] == []
    assert any(n.startswith("cdr.tariffs[0]: dropped: cdr.tariffs[0].min_price") for n in notes)


def test_cdr_location_with_several_tariffs_on_the_connector_still_goes() -> None:
    live = a_location_221(evses=[an_evse_221(connectors=[a_connector_221(tariff_ids=["A", "B"])])])
    out = cdr_to_211(a_cdr_221(), location=live)
    assert "tariff_id" not in out["location"]["evses"][0]["connectors"][0]
