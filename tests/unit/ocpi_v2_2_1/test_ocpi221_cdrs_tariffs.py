"""CDR and Tariff mapping: core → wire (CD-04…CD-10, TA-03/TA-04), the tariff round trip that keeps the
publisher's JSON, and `check_cdr` / `check_tariff` (§20, ER-03, ER-04)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.core.errors import InvalidRequestError
from hub.core.models import CdrCost, Connector, ConnectorFormat, PowerType, PriceComponentType, Tariff
from ocpi_modules.v2_2_1.cdrs import check_cdr, from_core_cdr
from ocpi_modules.v2_2_1.tariffs import check_tariff, from_core_tariff, to_core_tariff
from tests.unit.ocpi_v2_2_1.kit import CPO, T0, a_cdr, a_location, a_token, an_evse, fixture, wire


def a_tariff() -> Tariff:
    return to_core_tariff(fixture("examples/tariff_put.json"))


def cpo_tariff() -> Tariff:
    """The CDR's own tariff: the publisher JSON is reused, identity comes from the core object."""
    return a_tariff().model_copy(update={"party": CPO, "id": "AC-STD"})


def test_from_core_cdr_matches_golden_fixture() -> None:
    data = wire(from_core_cdr(a_cdr(), location=a_location(), tariff=cpo_tariff(), token=a_token()))
    assert data == fixture("out/cdr.json")
    assert (data["tariffs"][0]["country_code"], data["tariffs"][0]["id"]) == ("NL", "AC-STD")
    assert check_cdr(data) == []


def test_cd_07_cdr_location_takes_evse_and_connector_facts_from_the_location() -> None:
    dc = Connector(
        id="2",
        standard="IEC_62196_T2_COMBO",
        format=ConnectorFormat.CABLE,
        power_type=PowerType.DC,
        last_updated=T0,
    )
    location = a_location(evses=(an_evse(connectors=(an_evse().connectors[0], dc)),))
    data = from_core_cdr(a_cdr(connector_id="2"), location=location, tariff=None, token=None)
    assert data["cdr_location"]["evse_uid"] == "CP001*1"  # the location's spelling of the CiString
    assert data["cdr_location"]["evse_id"] == "NL*CPO*ECP001*1"
    assert (
        data["cdr_location"]["connector_id"],
        data["cdr_location"]["connector_standard"],
        data["cdr_location"]["connector_format"],
        data["cdr_location"]["connector_power_type"],
    ) == ("2", "IEC_62196_T2_COMBO", "CABLE", "DC")
    assert data["cdr_location"]["coordinates"] == {"latitude": "52.379189", "longitude": "4.90000"}


def test_cdr_location_uses_na_only_for_what_is_unknown() -> None:
    reservation_only = a_cdr(evse_uid=None, connector_id=None)
    data = from_core_cdr(reservation_only, location=a_location(), tariff=None, token=None)["cdr_location"]
    assert data["address"] == "Stationsplein 1"
    assert {data[k] for k in ("evse_uid", "evse_id", "connector_id", "connector_standard")} == {"#NA"}
    wire_cdr = wire(from_core_cdr(reservation_only, location=a_location(), tariff=None, token=None))
    assert not [p for p in check_cdr(wire_cdr) if "connector_" in p]  # `#NA` is legal there (§5)


def test_cd_08_session_only_dimensions_never_reach_a_cdr() -> None:
    data = wire(from_core_cdr(a_cdr(), location=a_location(), tariff=None, token=None))
    types = [d["type"] for p in data["charging_periods"] for d in p["dimensions"]]
    assert types == ["ENERGY", "TIME"]
    assert len(data["charging_periods"]) == 1  # the CURRENT-only period is dropped entirely


def test_cd_04_a_cdr_without_periods_gets_one_summary_period() -> None:
    data = wire(from_core_cdr(a_cdr(charging_periods=()), location=a_location(), tariff=None, token=None))
    assert data["charging_periods"] == [
        {
            "start_date_time": "2026-03-02T08:30:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": Decimal("4.25")},
                {"type": "TIME", "volume": Decimal("0.75")},
            ],
            "tariff_id": "AC-STD",
        }
    ]


def test_cd_10_credit_cdr_references_the_original() -> None:
    cost = CdrCost(currency="EUR", total_excl_vat=Decimal("-2.5625"), total_incl_vat=Decimal("-3.1006"))
    credit = a_cdr("CDR-0001-C", credit=True, credit_reference_id="CDR-0001", cost=cost)
    data = wire(from_core_cdr(credit, location=a_location(), tariff=None, token=None))
    assert (data["credit"], data["credit_reference_id"]) == (True, "CDR-0001")
    assert data["total_cost"] == {"excl_vat": Decimal("-2.5625"), "incl_vat": Decimal("-3.1006")}
    assert "credit" not in from_core_cdr(a_cdr(), location=a_location(), tariff=None, token=None)


def test_parking_and_reservation_costs_appear_when_they_exist() -> None:
    plain = from_core_cdr(a_cdr(), location=a_location(), tariff=None, token=None)
    assert "total_parking_cost" not in plain
    assert "total_reservation_cost" not in plain
    cost = a_cdr().cost.model_copy(
        update={
            "parking_excl_vat": Decimal("1.25"),
            "total_parking_time_hours": Decimal("0.25"),
            "reservation_excl_vat": Decimal("2"),
        }
    )
    data = wire(from_core_cdr(a_cdr(cost=cost), location=a_location(), tariff=None, token=None))
    assert data["total_parking_cost"] == {"excl_vat": Decimal("1.25")}
    assert data["total_parking_time"] == Decimal("0.25")
    assert data["total_reservation_cost"] == {"excl_vat": 2}


def test_check_cdr_accepts_a_complete_cdr_and_flags_defects() -> None:
    assert check_cdr(fixture("examples/cdr_post.json")) == []
    data = fixture("examples/cdr_post.json")
    data["id"] = "C" * 40
    data["cdr_location"]["coordinates"] = {"latitude": "3.731870", "longitude": "151.06421012"}
    data["cdr_location"]["postal_code"] = "9000-GENT-CENTRUM"
    data["charging_periods"][0]["dimensions"].append({"type": "STATE_OF_CHARGE", "volume": 80})
    data["credit"] = True
    del data["total_time"]
    data["signed_data"]["signed_values"][0]["plain_data"] = "x" * 5001
    problems = check_cdr(data)
    for expected in (
        "id: longer than 39",
        "cdr_location.coordinates.longitude: does not match",
        "cdr_location.postal_code: longer than 10",
        "charging_periods[0].dimensions[2].type: STATE_OF_CHARGE is a session-only dimension (CD-08)",
        "credit_reference_id: required for a credit CDR",
        "total_time: required field missing",
        "signed_data.signed_values[0].plain_data: longer than 5000",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_er_04_swapped_coordinates_pass_the_regex_so_only_range_matters() -> None:
    """ER-04 swaps latitude/longitude; both still match the LO-08 patterns, so check_cdr has nothing to say —
    the example stays out of golden vectors instead."""
    data = fixture("examples/cdr_post.json")
    coordinates = data["cdr_location"]["coordinates"]
    coordinates["latitude"], coordinates["longitude"] = coordinates["longitude"], coordinates["latitude"]
    assert check_cdr(data) == []


# --- tariffs ------------------------------------------------------------------------------------------------


def test_from_core_tariff_prefers_the_publishers_json_with_core_identity() -> None:
    source = fixture("examples/tariff_put.json")
    tariff = to_core_tariff(source).model_copy(update={"id": "dc-std", "last_updated": T0})
    data = wire(from_core_tariff(tariff))
    assert data["id"] == "dc-std"
    assert data["last_updated"] == "2026-03-02T08:30:00Z"
    assert data["tariff_alt_text"] == source["tariff_alt_text"]
    assert data["energy_mix"] == {"is_green_energy": True}
    assert data["elements"] == source["elements"]
    assert check_tariff(data) == []


def test_from_core_tariff_without_source_builds_the_object() -> None:
    tariff = a_tariff().model_copy(update={"source": None})
    data = wire(from_core_tariff(tariff))
    assert check_tariff(data) == []
    assert data["min_price"] == {"excl_vat": Decimal("0.50"), "incl_vat": Decimal("0.61")}
    assert data["elements"][1] == {
        "price_components": [{"type": "PARKING_TIME", "price": Decimal("6.00"), "vat": 21, "step_size": 60}],
        "restrictions": fixture("examples/tariff_put.json")["elements"][1]["restrictions"],
    }
    back = to_core_tariff(data)
    assert back.model_copy(update={"source": None}) == tariff


def test_to_core_tariff_reads_components_and_restrictions() -> None:
    tariff = a_tariff()
    assert [e.price_components[0].type for e in tariff.elements] == [
        PriceComponentType.FLAT,
        PriceComponentType.PARKING_TIME,
        PriceComponentType.ENERGY,
        PriceComponentType.ENERGY,
    ]
    assert tariff.elements[2].restrictions == {
        "start_time": "22:00",
        "end_time": "07:00",
        "max_power": Decimal("150.0"),
    }
    assert tariff.party == CPO.model_copy(update={"country_code": "BE", "party_id": "XYZ"})


FIRST = "elements[0].price_components[0]"


def component(**change: object) -> dict[str, object]:
    return {"elements": [{"price_components": [{"type": "ENERGY", "price": 1, "step_size": 1, **change}]}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"elements": []}, "elements"),
        ({"currency": "EURO"}, "currency"),
        (component(type="KWH"), f"{FIRST}.type"),
        (component(price=-1), f"{FIRST}.price"),
        (component(step_size=-1), f"{FIRST}.step_size"),
        (component(vat="high"), f"{FIRST}.vat"),
        ({"start_date_time": "soon"}, "start_date_time"),
    ],
)
def test_to_core_tariff_names_the_unusable_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        to_core_tariff({**fixture("examples/tariff_put.json"), **change})
    assert info.value.field == field


def test_er_03_tariff_without_last_updated_is_flagged_but_usable() -> None:
    data = fixture("examples/tariff_defect_no_last_updated.json")
    problems = check_tariff(data)
    assert "last_updated: required field missing" in problems
    assert "elements[0].price_components[0].step_size: must be at least 1: 0" in problems
    assert "elements[0].price_components[0].vat" not in " ".join(problems)  # absent VAT is legal (TA-04)
    data["elements"][0]["price_components"][0]["step_size"] = 1
    assert to_core_tariff(data).id == "AC-FREE"


def test_check_tariff_flags_restriction_and_enum_defects() -> None:
    data = fixture("examples/tariff_put.json")
    data["type"] = "FREE"
    data["elements"][1]["restrictions"]["day_of_week"] = ["MON"]
    data["elements"][2]["restrictions"]["start_time"] = "25:00"
    data["elements"][3]["price_components"][0]["step_size"] = 1.5
    data["id"] = "T" * 37
    problems = check_tariff(data)
    for expected in (
        "type: not a valid value",
        "elements[1].restrictions.day_of_week[0]: not a valid value",
        "elements[2].restrictions.start_time: not a HH:MM time",
        "elements[3].price_components[0].step_size: not an integer",
        "id: longer than 36",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)
