"""Locations mapping: core → wire (LO-05, LO-08), the eMSP receiver's PUT/PATCH helpers (LO-04 bubbling,
CO-06, CO-09) and `check_location` (§20, §22)."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError, NotFoundError
from hub.core.models import EvseStatus, Location
from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.v2_2_1.locations import (
    check_connector,
    check_evse,
    check_location,
    coordinate,
    evse_status_patch,
    from_core_evse,
    from_core_location,
    merge_location,
    put_connector,
    put_evse,
)
from ocpi_modules.v2_2_1.types import LATITUDE, LONGITUDE, parse_datetime
from tests.unit.ocpi_v2_2_1.kit import (
    a_location,
    an_evse,
    aware_times,
    fixture,
    latitudes,
    locations,
    longitudes,
    wire,
)


def test_from_core_location_matches_golden_fixture() -> None:
    assert wire(from_core_location(a_location())) == fixture("out/location.json")


def test_from_core_location_omits_unknown_optionals_and_hides_station_wiring() -> None:
    data = wire(from_core_location(a_location(name=None, postal_code=None)))
    assert "name" not in data
    assert "postal_code" not in data
    evse = data["evses"][0]
    assert "station_id" not in evse
    assert "station_evse_no" not in evse
    assert check_location(data) == []


@given(locations)
def test_lo_05_location_mapping_keeps_ids_status_and_coordinates(loc: Location) -> None:
    data = wire(from_core_location(loc))
    assert (data["country_code"], data["party_id"], data["id"]) == (
        loc.party.country_code,
        loc.party.party_id,
        loc.id,
    )
    assert data["publish"] is loc.publish
    assert [e["uid"] for e in data["evses"]] == [e.uid for e in loc.evses]
    assert [e["status"] for e in data["evses"]] == [e.status.value for e in loc.evses]
    assert [[c["id"] for c in e["connectors"]] for e in data["evses"]] == [
        [c.id for c in e.connectors] for e in loc.evses
    ]
    assert Decimal(data["coordinates"]["latitude"]) == loc.latitude
    assert Decimal(data["coordinates"]["longitude"]) == loc.longitude
    assert data["last_updated"].endswith("Z")
    assert check_location(data) == []


@given(latitudes, longitudes)
def test_lo_08_coordinates_are_strings_with_five_to_seven_decimals(lat: Decimal, lon: Decimal) -> None:
    assert LATITUDE.match(coordinate(lat))
    assert LONGITUDE.match(coordinate(lon))
    assert Decimal(coordinate(lat)) == lat


def test_lo_08_coordinate_pads_short_and_rounds_long_values() -> None:
    assert coordinate(Decimal("4.9")) == "4.90000"
    assert coordinate(Decimal("-33.123456789")) == "-33.1234568"


def test_evse_status_patch_carries_status_and_last_updated_only() -> None:
    evse = an_evse(status=EvseStatus.CHARGING)
    assert wire(evse_status_patch(evse)) == {"status": "CHARGING", "last_updated": "2026-03-02T08:00:00Z"}


def test_from_core_evse_lists_connectors() -> None:
    loc = a_location()
    data = wire(from_core_evse(loc.evses[0], loc))
    assert data["uid"] == "CP001*1"
    assert data["connectors"][0]["tariff_ids"] == ["AC-STD"]
    assert check_evse(data) == []


# --- receiver helpers ------------------------------------------------------------------------------------


def stored() -> dict[str, Any]:
    data: dict[str, Any] = fixture("examples/location_put.json")
    return data


def test_lo_04_put_evse_replaces_matching_uid_case_insensitively_and_bubbles() -> None:
    location = stored()
    before = copy.deepcopy(location)
    evse = {
        **location["evses"][0],
        "uid": "gent-1",
        "status": "CHARGING",
        "last_updated": "2026-04-01T10:00:00Z",
    }
    result = put_evse(location, evse)
    assert location == before  # inputs are never mutated
    assert len(result["evses"]) == len(before["evses"])
    assert result["evses"][0]["status"] == "CHARGING"
    assert result["last_updated"] == "2026-04-01T10:00:00Z"


def test_put_evse_appends_a_new_evse() -> None:
    result = put_evse(
        stored(),
        {"uid": "NEW", "status": "PLANNED", "connectors": [], "last_updated": "2026-04-01T10:00:00Z"},
    )
    assert result["evses"][-1]["uid"] == "NEW"


def test_put_evse_never_moves_last_updated_backwards() -> None:
    location = stored()
    result = put_evse(location, {"uid": "X", "status": "AVAILABLE", "last_updated": "2001-01-01T00:00:00Z"})
    assert result["last_updated"] == location["last_updated"]


def test_lo_04_put_connector_bubbles_to_evse_and_location() -> None:
    connector = {
        "id": "9",
        "standard": "CHADEMO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 500,
        "max_amperage": 125,
        "last_updated": "2026-05-05T05:05:05Z",
    }
    result = put_connector(stored(), "GENT-1", connector)
    evse = result["evses"][0]
    assert evse["connectors"][-1]["id"] == "9"
    assert evse["last_updated"] == "2026-05-05T05:05:05Z"
    assert result["last_updated"] == "2026-05-05T05:05:05Z"


def test_put_connector_on_unknown_evse_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        put_connector(stored(), "nope", {"id": "1", "last_updated": "2026-05-05T05:05:05Z"})


def test_lo_04_evse_patch_merges_and_bubbles() -> None:
    patch = {"status": "CHARGING", "last_updated": "2026-06-01T12:00:00Z"}
    result = merge_location(stored(), patch, evse_uid="gent-1")
    assert result["evses"][0]["status"] == "CHARGING"
    assert result["evses"][0]["uid"] == "GENT-1"
    assert result["evses"][0]["connectors"] == stored()["evses"][0]["connectors"]
    assert result["last_updated"] == "2026-06-01T12:00:00Z"


def test_lo_04_connector_patch_bubbles_to_evse_and_location() -> None:
    patch = {"tariff_ids": ["DC-FAST"], "last_updated": "2026-06-02T12:00:00Z"}
    result = merge_location(stored(), patch, evse_uid="GENT-1", connector_id="2")
    evse = result["evses"][0]
    connector = next(c for c in evse["connectors"] if c["id"] == "2")
    assert connector["tariff_ids"] == ["DC-FAST"]
    assert connector["standard"] == "IEC_62196_T2_COMBO"
    assert evse["last_updated"] == result["last_updated"] == "2026-06-02T12:00:00Z"


def test_co_06_patch_without_last_updated_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        merge_location(stored(), {"name": "x"})
    assert info.value.field == "last_updated"


def test_co_06_location_patch_keeps_omitted_fields_and_identity() -> None:
    patch = {"id": "OTHER", "name": "Renamed", "last_updated": "2026-06-03T00:00:00Z"}
    result = merge_location(stored(), patch)
    assert result["id"] == stored()["id"]
    assert result["name"] == "Renamed"
    assert result["address"] == stored()["address"]


def test_co_09_evses_array_in_a_location_patch_is_merged_by_uid() -> None:
    patch = {
        "evses": [
            {"uid": "gent-2", "status": "OUTOFORDER", "last_updated": "2026-06-04T00:00:00Z"},
            {"uid": "GENT-9", "status": "PLANNED", "connectors": [], "last_updated": "2026-06-04T00:00:00Z"},
        ],
        "last_updated": "2026-06-04T00:00:00Z",
    }
    result = merge_location(stored(), patch)
    by_uid = {e["uid"]: e for e in result["evses"]}
    assert by_uid["GENT-2"]["status"] == "OUTOFORDER"
    assert (
        by_uid["GENT-2"]["connectors"] == stored()["evses"][1]["connectors"]
    )  # not wiped by the partial item
    assert by_uid["GENT-1"] == stored()["evses"][0]
    assert "GENT-9" in by_uid


def test_co_09_connectors_array_in_an_evse_patch_is_merged_by_id() -> None:
    patch = {"connectors": [{"id": "1", "max_amperage": 16}], "last_updated": "2026-06-05T00:00:00Z"}
    result = merge_location(stored(), patch, evse_uid="GENT-1")
    connectors = result["evses"][0]["connectors"]
    assert [c["id"] for c in connectors] == ["1", "2"]
    assert connectors[0]["max_amperage"] == 16
    assert connectors[0]["standard"] == "IEC_62196_T2"


def test_patch_on_unknown_evse_or_connector_is_not_found() -> None:
    patch = {"status": "AVAILABLE", "last_updated": "2026-06-05T00:00:00Z"}
    with pytest.raises(NotFoundError):
        merge_location(stored(), patch, evse_uid="missing")
    with pytest.raises(NotFoundError):
        merge_location(stored(), patch, evse_uid="GENT-1", connector_id="77")


@given(aware_times, st.sampled_from(["GENT-1", "gent-2"]), st.sampled_from([None, "1"]))
def test_lo_04_bubbling_location_is_never_older_than_its_evses_and_connectors(
    when: datetime, uid: str, connector_id: str | None
) -> None:
    patch: dict[str, Any] = {"max_amperage": 16} if connector_id else {"status": "BLOCKED"}
    patch["last_updated"] = format_datetime(when)
    result = merge_location(stored(), patch, evse_uid=uid, connector_id=connector_id)
    evse_stamps = [parse_datetime(e["last_updated"]) for e in result["evses"]]
    connector_stamps = [
        parse_datetime(c["last_updated"]) for e in result["evses"] for c in e["connectors"] if c["id"] == "1"
    ]
    assert parse_datetime(result["last_updated"]) == max(
        [parse_datetime(stored()["last_updated"]), *evse_stamps, *connector_stamps]
    )
    assert parse_datetime(result["last_updated"]) >= when


# --- validation ---------------------------------------------------------------------------------------------


def test_check_location_accepts_a_complete_location() -> None:
    assert check_location(stored()) == []


def test_check_location_flags_over_long_and_out_of_spec_values_without_raising() -> None:
    data = stored()
    data["id"] = "L" * 37
    data["city"] = "C" * 46
    data["address"] = "A" * 256
    data["coordinates"] = {"latitude": "52.37", "longitude": 4.9}
    data["evses"][0]["status"] = "OCCUPIED"
    data["evses"][0]["connectors"][0]["standard"] = "TYPE_2"
    data["evses"][1]["capabilities"] = ["RFID_READER", "PLUG_AND_CHARGE"]
    del data["time_zone"]
    problems = check_location(data)
    for expected in (
        "id: longer than 36",
        "city: longer than 45",
        "address: longer than 255",
        "coordinates.latitude: does not match",
        "coordinates.longitude: does not match",
        "evses[0].status: not a valid value: 'OCCUPIED'",
        "evses[0].connectors[0].standard: not a valid value",
        "evses[1].capabilities[1]: not a valid value",
        "time_zone: required field missing",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_er_02_add_evse_example_defects_are_flagged() -> None:
    """ER-02: `floor` instead of `floor_level`, numeric physical_reference, incomplete connectors."""
    problems = check_evse(fixture("examples/defect_evse_er02.json"))
    assert "physical_reference: not a string" in problems
    assert "connectors[0].power_type: required field missing" in problems
    assert "connectors[0].last_updated: required field missing" in problems


def test_check_location_flags_non_objects() -> None:
    assert check_location([]) == ["location: not a JSON object"]  # type: ignore[arg-type]
    assert check_connector({"id": 5}) != []
    data = stored()
    data["evses"] = [1]
    assert "evses[0]: not a JSON object" in check_location(data)


def test_lo_07_publish_allowed_to_needs_an_identifying_field() -> None:
    data = stored()
    data["publish"] = False
    data["publish_allowed_to"] = [{"type": "RFID"}, {"uid": "ABC"}, {"visual_number": "V-1"}]
    problems = check_location(data)
    assert any(p.startswith("publish_allowed_to[0]: needs at least one") for p in problems)
    assert any(p.startswith("publish_allowed_to[1].type: required") for p in problems)
    assert any(p.startswith("publish_allowed_to[2].issuer: required") for p in problems)


def test_lo_09_regular_hours_required_when_not_twentyfourseven() -> None:
    data = stored()
    data["opening_times"] = {"twentyfourseven": False}
    assert "opening_times.regular_hours: required when twentyfourseven is false" in check_location(data)
