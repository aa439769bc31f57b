"""OCPI 2.1.1 ↔ 2.2.1 Locations, EVSEs and Connectors (checklist §21, LO-05, LO-07, LO-10, LO-11): the spec
example as a golden vector both ways, round trips of everything both versions carry, and each refusal or
noted drop naming its field."""

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
    connector_to_211,
    connector_to_221,
    evse_to_211,
    location_to_211,
    location_to_221,
)
from tests.fakes.ocpi211_partner.objects import (
    a_connector_211,
    a_connector_221,
    a_location_211,
    a_location_221,
    an_evse_221,
    locations_221,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ocpi" / "2.1.1"
BEC = PartyRef.parse("BE*BEC")
CPX = PartyRef.parse("NL*CPX")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


# --- the spec example -------------------------------------------------------------------------------------


def test_spec_location_example_becomes_the_2_2_1_location_of_its_owner() -> None:
    notes: list[str] = []
    translated = location_to_221(fixture("location_gent_zuid.211.json"), BEC, notes=notes)
    assert translated == fixture("location_gent_zuid.221.json")
    assert notes == ["location.time_zone: absent in 2.1.1, Europe/Brussels taken from the country"]


def test_spec_location_example_comes_back_from_2_2_1_unchanged_but_for_its_derived_time_zone() -> None:
    back = location_to_211(fixture("location_gent_zuid.221.json"))
    expected = fixture("location_gent_zuid.211.json") | {"time_zone": "Europe/Brussels"}
    assert back == expected


# --- round trips ------------------------------------------------------------------------------------------


@given(locations_221())
def test_a_2_2_1_location_2_1_1_can_carry_survives_the_round_trip(location: dict[str, Any]) -> None:
    notes: list[str] = []
    assert location_to_221(location_to_211(location, notes=notes), CPX, notes=notes) == location
    assert notes == []


@given(locations_221())
def test_a_2_1_1_location_survives_the_round_trip_through_2_2_1(location: dict[str, Any]) -> None:
    as_211 = location_to_211(location)
    assert location_to_211(location_to_221(as_211, CPX)) == as_211


@given(st.sampled_from(["ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT"]))
def test_shared_location_types_keep_their_value(kind: str) -> None:
    assert location_to_221(a_location_211(type=kind), CPX)["parking_type"] == kind
    assert location_to_211(a_location_221(parking_type=kind))["type"] == kind


# --- what changes -----------------------------------------------------------------------------------------


def test_2_1_1_location_gets_owner_publish_and_the_renamed_fields() -> None:
    out = location_to_221(a_location_211(), CPX)
    assert (out["country_code"], out["party_id"], out["publish"]) == ("NL", "CPX", True)
    connector = out["evses"][0]["connectors"][0]
    assert (connector["max_voltage"], connector["max_amperage"], connector["tariff_ids"]) == (230, 16, ["T1"])
    assert not {"voltage", "amperage", "tariff_id"} & connector.keys()
    assert "type" not in out


@pytest.mark.parametrize("kind", ["OTHER", "UNKNOWN"])
def test_2_1_1_types_without_a_parking_type_leave_it_out(kind: str) -> None:
    assert "parking_type" not in location_to_221(a_location_211(type=kind), CPX)


def test_2_2_1_location_without_parking_type_is_unknown_and_motorway_is_other() -> None:
    location = a_location_221()
    del location["parking_type"]
    assert location_to_211(location)["type"] == "UNKNOWN"
    notes: list[str] = []
    assert location_to_211(a_location_221(parking_type="ALONG_MOTORWAY"), notes=notes)["type"] == "OTHER"
    assert notes == ["location.parking_type: ALONG_MOTORWAY is OTHER in 2.1.1"]


def test_missing_postal_code_is_the_empty_string_2_1_1_requires_and_comes_back_absent() -> None:
    location = a_location_221()
    del location["postal_code"]
    as_211 = location_to_211(location)
    assert as_211["postal_code"] == ""
    assert "postal_code" not in location_to_221(as_211, CPX)


def test_five_decimal_coordinates_get_the_sixth_2_1_1_demands() -> None:
    location = a_location_221(coordinates={"latitude": "52.37900", "longitude": "-4.90000"})
    assert location_to_211(location)["coordinates"] == {"latitude": "52.379000", "longitude": "-4.900000"}


def test_hours_2_1_1_choice_of_one_of_two_maps_to_twentyfourseven() -> None:
    regular = [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}]
    closed = [{"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"}]
    out = location_to_221(a_location_211(opening_times={"regular_hours": regular}), CPX)
    assert out["opening_times"] == {"twentyfourseven": False, "regular_hours": regular}
    out = location_to_221(
        a_location_211(opening_times={"twentyfourseven": True, "exceptional_closings": closed}), CPX
    )
    assert out["opening_times"] == {"twentyfourseven": True, "exceptional_closings": closed}
    assert location_to_211(
        a_location_221(opening_times={"twentyfourseven": False, "regular_hours": regular})
    )["opening_times"] == {"regular_hours": regular}


def test_environmental_impact_source_is_category_in_2_2_1() -> None:
    mix = {"is_green_energy": False, "environ_impact": [{"source": "CARBON_DIOXIDE", "amount": 372}]}
    out = location_to_221(a_location_211(energy_mix=mix), CPX)
    assert out["energy_mix"]["environ_impact"] == [{"category": "CARBON_DIOXIDE", "amount": 372}]
    assert location_to_211(out)["energy_mix"] == mix


def test_2_2_1_only_capabilities_facilities_and_fields_are_dropped_and_noted() -> None:
    evse = an_evse_221(capabilities=["RFID_READER", "START_SESSION_CONNECTOR_REQUIRED"])
    connector = a_connector_221(max_electric_power=22000)
    evse["connectors"] = [connector]
    location = a_location_221(state="Noord-Holland", facilities=["HOTEL", "METRO_STATION"], evses=[evse])
    notes: list[str] = []
    out = location_to_211(location, notes=notes)
    assert out["evses"][0]["capabilities"] == ["RFID_READER"]
    assert out["facilities"] == ["HOTEL"]
    assert "state" not in out
    assert "max_electric_power" not in out["evses"][0]["connectors"][0]
    assert sorted(notes) == sorted(
        [
            "location.evses[0].capabilities[1]: START_SESSION_CONNECTOR_REQUIRED dropped:"
            " not a 2.1.1 Capability",
            "location.evses[0].connectors[0].max_electric_power: OCPI 2.1.1 has no such field",
            "location.facilities[1]: METRO_STATION dropped: not a 2.1.1 Facility",
            "location.state: OCPI 2.1.1 has no such field",
        ]
    )


def test_fields_neither_version_defines_are_dropped_and_noted_never_forwarded() -> None:
    notes: list[str] = []
    out = location_to_221(a_location_211(vendor_rating=5), CPX, notes=notes)
    assert "vendor_rating" not in out
    assert notes == ["location.vendor_rating: dropped: OCPI 2.2.1 has no such field"]


# --- refusals ---------------------------------------------------------------------------------------------


def test_an_unpublished_location_is_refused_naming_publish() -> None:
    with pytest.raises(Untranslatable) as caught:
        location_to_211(a_location_221(publish=False, publish_allowed_to=[{"uid": "X"}]))
    assert caught.value.path == "location.publish"


def test_several_tariffs_on_one_connector_are_refused() -> None:
    with pytest.raises(Untranslatable) as caught:
        connector_to_211(a_connector_221(tariff_ids=["AD-HOC", "REGULAR"]))
    assert caught.value.path == "connector.tariff_ids"


@given(st.sampled_from(["GBT_AC", "GBT_DC", "CHAOJI", "NEMA_14_50", "DOMESTIC_O", "PANTOGRAPH_TOP_DOWN"]))
def test_connector_standards_2_1_1_lacks_are_refused(standard: str) -> None:
    with pytest.raises(Untranslatable) as caught:
        location_to_211(a_location_221(evses=[an_evse_221(connectors=[a_connector_221(standard=standard)])]))
    assert caught.value.path == "location.evses[0].connectors[0].standard"


@pytest.mark.parametrize("power_type", ["AC_2_PHASE", "AC_2_PHASE_SPLIT"])
def test_power_types_2_1_1_lacks_are_refused(power_type: str) -> None:
    with pytest.raises(Untranslatable, match="power_type"):
        connector_to_211(a_connector_221(power_type=power_type))


def test_a_vendor_value_in_a_required_enum_is_forwarded_for_the_receiver_to_judge() -> None:
    assert connector_to_211(a_connector_221(standard="VENDOR_X"))["standard"] == "VENDOR_X"


def test_location_without_time_zone_in_a_country_of_several_zones_is_refused() -> None:
    location = a_location_211(country="USA")
    del location["time_zone"]
    with pytest.raises(Untranslatable) as caught:
        location_to_221(location, CPX)
    assert caught.value.path == "location.time_zone"


# --- PATCH bodies -----------------------------------------------------------------------------------------


def test_patches_translate_only_what_they_carry() -> None:
    assert location_to_211({"name": "Renamed", "last_updated": "x"}, partial=True) == {
        "name": "Renamed",
        "last_updated": "x",
    }
    assert location_to_221({"type": "PARKING_LOT"}, CPX, partial=True) == {"parking_type": "PARKING_LOT"}
    assert evse_to_211({"status": "CHARGING", "last_updated": "x"}, partial=True) == {
        "status": "CHARGING",
        "last_updated": "x",
    }
    assert connector_to_221({"tariff_id": "15"}, partial=True) == {"tariff_ids": ["15"]}
    assert "tariff_ids" not in connector_to_221(a_connector_211(tariff_id=None))


def test_not_an_object_is_refused() -> None:
    with pytest.raises(Untranslatable, match="must be a JSON object"):
        location_to_221(["not", "a", "location"], CPX)
