"""Core ↔ 互联互通 public information (spec §3, §4, §8): coordinates, formats, status tables, StationInfo in
both directions and tolerant reading of partner payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import (
    Connector,
    ConnectorFormat,
    ConnectorState,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    PowerType,
    Station,
)
from interconnect import codec, mapping
from interconnect.runtime import InterconnectError, KeySet, PartnerConfig, Ret, virtual_station_id

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KEYS = KeySet("secret", b"1234567890abcdef", b"1234567890abcdef", b"1234567890abcdef")


def a_partner(**overrides: Any) -> PartnerConfig:
    values: dict[str, Any] = {
        "name": "快电",
        "operator_id": "MA005DBW1",
        "kind": "operator",
        "base_url": "http://127.0.0.1:1/evcs/",
        "ocpi_party": PartyRef.parse("CN*KDN"),
        "our_operator_id": "MA24YKWR9",
        "allow_ips": (),
        "ours": KEYS,
        "theirs": KEYS,
    }
    values.update(overrides)
    return PartnerConfig(**values)


def an_evse(uid: str, station_id: str | None = "CP001", **connector: Any) -> Evse:
    return Evse(
        uid=uid,
        evse_id=f"CN*CPO*E{uid.replace('*', '')}",
        status=EvseStatus.AVAILABLE,
        connectors=(Connector(id="1", last_updated=T0, **connector),),
        station_id=station_id,
        station_evse_no=1,
        last_updated=T0,
    )


def our_location(**overrides: Any) -> Location:
    values: dict[str, Any] = {
        "id": "LOC001",
        "party": PartyRef.parse("CN*CPO"),
        "name": "北京朝阳充电站",
        "address": "北京市朝阳区建国路1号",
        "city": "北京市",
        "postal_code": "110105",
        "country": "CHN",
        "latitude": Decimal("39.908692"),
        "longitude": Decimal("116.397477"),
        "time_zone": "Asia/Shanghai",
        "evses": (
            an_evse("CP001*1", power_type=PowerType.DC, max_voltage=750, max_amperage=250,
                    max_electric_power=120_000, format=ConnectorFormat.CABLE, standard="GBT_DC"),
            an_evse("CP001*2", power_type=PowerType.DC, max_voltage=750, max_amperage=250,
                    max_electric_power=120_000, format=ConnectorFormat.CABLE, standard="GBT_DC"),
            an_evse("WALL-1", station_id=None, power_type=PowerType.AC_1_PHASE, max_voltage=220,
                    max_amperage=32, standard="GBT_AC"),
        ),
        "last_updated": T0,
    }  # fmt: skip
    values.update(overrides)
    return Location(**values)


def floats_in(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list | tuple):
        return [f for v in value for f in floats_in(v)]
    return []


# ---------------------------------------------------------------------- coordinates

china_lat = st.decimals(min_value=Decimal("1.5"), max_value=Decimal("55"), places=6)
china_lon = st.decimals(min_value=Decimal("73"), max_value=Decimal("137"), places=6)


@given(china_lat, china_lon)
def test_wgs_to_gcj_and_back_stays_within_1e5_degrees(lat: Decimal, lon: Decimal) -> None:
    g_lat, g_lon = mapping.wgs84_to_gcj02(lat, lon)
    w_lat, w_lon = mapping.gcj02_to_wgs84(g_lat, g_lon)
    assert abs(w_lat - lat) < Decimal("1e-5")
    assert abs(w_lon - lon) < Decimal("1e-5")
    assert (g_lat, g_lon) != (lat, lon)  # inside China there is an offset


@given(china_lat, china_lon)
def test_inverse_is_accurate_to_1e6_before_rounding(lat: Decimal, lon: Decimal) -> None:
    w_lat, w_lon = mapping._inverse(float(lat), float(lon))
    f_lat, f_lon = mapping._forward(w_lat, w_lon)
    assert abs(f_lat - float(lat)) < 1e-6
    assert abs(f_lon - float(lon)) < 1e-6


@given(
    st.decimals(min_value=Decimal("-89"), max_value=Decimal("89"), places=6),
    st.decimals(min_value=Decimal("-179"), max_value=Decimal("71"), places=6),
)
def test_outside_china_nothing_moves(lat: Decimal, lon: Decimal) -> None:
    assert mapping.wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert mapping.gcj02_to_wgs84(lat, lon) == (lat, lon)


def test_known_beijing_offset_and_six_places() -> None:
    lat, lon = mapping.wgs84_to_gcj02(Decimal("39.908692"), Decimal("116.397477"))
    assert (lat, lon) == (Decimal("39.910095"), Decimal("116.403721"))
    assert lat.as_tuple().exponent == -6


# ---------------------------------------------------------------------- formats


@given(st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), allow_nan=False, places=8))
def test_formats_are_decimals_with_exact_places(value: Decimal) -> None:
    for fmt, places in (
        (mapping.money, 2),
        (mapping.price, 4),
        (mapping.energy, 2),
        (mapping.power, 1),
        (mapping.stats_energy, 1),
        (mapping.coordinate, 6),
    ):
        out = fmt(value)
        assert isinstance(out, Decimal)
        assert out.as_tuple().exponent == -places
        assert abs(out - value) <= Decimal(5).scaleb(-places - 1)
        text = codec.dumps({"x": out}).decode()
        assert text == '{"x":' + format(out, "f") + "}"


def test_half_up_rounding() -> None:
    assert mapping.money(Decimal("1.005")) == Decimal("1.01")
    assert mapping.money(Decimal("-1.005")) == Decimal("-1.01")
    assert str(mapping.power(Decimal("7.04"))) == "7.0"
    assert str(mapping.price(Decimal("0.81225"))) == "0.8123"


# ---------------------------------------------------------------------- status tables


def test_status_out_is_total_and_in_range() -> None:
    for status in EvseStatus:
        assert mapping.status_code(status) in {0, 1, 2, 3, 4, 255}


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4, 255])
def test_status_in_round_trips(code: int) -> None:
    assert mapping.status_code(mapping.evse_status(code)) == code


@given(st.integers())
def test_status_in_is_total(code: int) -> None:
    assert isinstance(mapping.evse_status(code), EvseStatus)
    assert isinstance(mapping.connector_state(code), ConnectorState)
    if code not in (0, 1, 2, 3, 4, 255):
        assert mapping.evse_status(code) is EvseStatus.UNKNOWN


def test_occupied_not_charging_is_blocked() -> None:
    assert mapping.evse_status(2) is EvseStatus.BLOCKED
    assert mapping.evse_status(255) is EvseStatus.OUTOFORDER


# ---------------------------------------------------------------------- our location → StationInfo


def test_station_info_groups_evses_by_station_and_fills_required_fields() -> None:
    stations = {"CP001": Station(id="CP001", party=PartyRef.parse("CN*CPO"), vendor="ACME", model="DC-120",
                                 last_updated=T0)}  # fmt: skip
    info = mapping.station_info(our_location(), stations, a_partner(), "MA24YKWR9", service_tel="400-800")
    assert info is not None
    assert info["StationID"] == "LOC001"
    assert info["OperatorID"] == info["EquipmentOwnerID"] == "MA24YKWR9"
    assert (info["CountryCode"], info["AreaCode"], info["ServiceTel"]) == ("CN", "110105", "400-800")
    assert (info["StationType"], info["StationStatus"], info["Construction"], info["ParkNums"]) == (
        1,
        50,
        255,
        0,
    )
    assert (info["StationLat"], info["StationLng"]) == (Decimal("39.910095"), Decimal("116.403721"))
    dc, wall = info["EquipmentInfos"]
    assert dc["EquipmentID"] == "CP001"
    assert (dc["EquipmentType"], dc["Power"]) == (1, Decimal("240.0"))
    assert (dc["ManufacturerName"], dc["EquipmentModel"]) == ("ACME", "DC-120")
    assert [c["ConnectorID"] for c in dc["ConnectorInfos"]] == ["CP001*1", "CP001*2"]
    gun = dc["ConnectorInfos"][0]
    assert (gun["ConnectorType"], gun["VoltageUpperLimits"], gun["VoltageLowerLimits"]) == (4, 750, 200)
    assert (gun["Current"], gun["Power"], gun["NationalStandard"]) == (250, Decimal("120.0"), 2)
    assert wall["EquipmentID"] == "WALL-1"
    assert wall["EquipmentType"] == 2
    socket = wall["ConnectorInfos"][0]
    assert (socket["ConnectorType"], socket["VoltageUpperLimits"], socket["VoltageLowerLimits"]) == (
        2,
        220,
        220,
    )
    assert socket["Power"] == Decimal("7.0")  # 220 V x 32 A
    assert floats_in(info) == []
    codec.dumps(info)  # serialisable as is


def test_station_info_defaults_and_limits() -> None:
    location = our_location(
        postal_code=None,
        evses=(
            an_evse("E" * 27, station_id=None),  # ConnectorID over 26: skipped
            an_evse("OK*1", station_id="S" * 24),  # EquipmentID over 23: skipped
            an_evse("OK*2", station_id="CP9"),
        ),
    )
    info = mapping.station_info(location, {}, a_partner(), "MA24YKWR9")
    assert info is not None
    assert (info["AreaCode"], info["ServiceTel"]) == ("000000", "")
    assert [e["EquipmentID"] for e in info["EquipmentInfos"]] == ["CP9"]
    assert mapping.station_info(our_location(id="L" * 21), {}, a_partner(), "MA24YKWR9") is None


def test_station_modified_is_the_newest_of_location_evses_and_connectors() -> None:
    later = T0 + timedelta(hours=1)
    evse = an_evse("X*1").model_copy(
        update={"connectors": (Connector(id="1", last_updated=later),), "last_updated": T0}
    )
    assert mapping.station_modified(our_location(evses=(evse,))) == later


# ---------------------------------------------------------------------- a partner's StationInfo → core


def partner_info(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "StationID": "ST1001",
        "OperatorID": "MA005DBW1",
        "EquipmentOwnerID": "MA005DBW1",
        "StationName": "深圳南山站",
        "CountryCode": "CN",
        "AreaCode": "440305",
        "Address": "广东省深圳市南山区科技园1号",
        "ServiceTel": "400",
        "StationType": 1,
        "StationStatus": 50,
        "ParkNums": 0,
        "StationLng": Decimal("113.947310"),
        "StationLat": Decimal("22.540000"),
        "Construction": 255,
        "EquipmentInfos": [
            {
                "EquipmentID": "EQ01",
                "EquipmentType": 1,
                "Power": Decimal("120.0"),
                "ConnectorInfos": [
                    {"ConnectorID": "EQ0101", "ConnectorType": 4, "VoltageUpperLimits": 750,
                     "VoltageLowerLimits": 200, "Current": 250, "Power": Decimal("60.0"),
                     "NationalStandard": 2},
                    {"ConnectorID": "EQ0102", "ConnectorType": 4, "VoltageUpperLimits": 750,
                     "VoltageLowerLimits": 200, "Current": 250, "Power": Decimal("60.0"),
                     "NationalStandard": 2},
                ],
            },
            {
                "EquipmentID": "EQ02",
                "EquipmentType": 2,
                "Power": Decimal("7.0"),
                "ConnectorInfos": {"ConnectorID": "EQ0201", "ConnectorType": 3, "VoltageUpperLimits": 220,
                                   "VoltageLowerLimits": 220, "Current": 32, "Power": "7.0",
                                   "NationalStandard": 2},
            },
        ],
    }  # fmt: skip
    values.update(overrides)
    return values


def test_location_from_station_info() -> None:
    partner = a_partner()
    location = mapping.location_from_station_info(partner_info(), partner, now=T0)
    assert (location.id, location.party, location.time_zone) == (
        "ST1001",
        partner.ocpi_party,
        "Asia/Shanghai",
    )
    assert (location.country, location.city, location.publish) == ("CHN", "深圳市", True)
    g_lat, g_lon = mapping.wgs84_to_gcj02(location.latitude, location.longitude)
    assert abs(g_lat - Decimal("22.54")) <= Decimal("1e-6")
    assert abs(g_lon - Decimal("113.94731")) <= Decimal("1e-6")
    assert [(e.uid, e.station_id, e.station_evse_no) for e in location.evses] == [
        ("EQ0101", virtual_station_id(partner, "EQ01"), 1),
        ("EQ0102", virtual_station_id(partner, "EQ01"), 2),
        ("EQ0201", virtual_station_id(partner, "EQ02"), 1),
    ]
    dc = location.evses[0]
    assert dc.evse_id == "CN*KDN*EEQ0101"
    assert dc.connectors[0].model_dump(exclude={"last_updated", "tariff_ids"}) == {
        "id": "1",
        "standard": "GBT_DC",
        "format": ConnectorFormat.CABLE,
        "power_type": PowerType.DC,
        "max_voltage": 750,
        "max_amperage": 250,
        "max_electric_power": 60_000,
    }
    ac = location.evses[2].connectors[0]
    assert (ac.standard, ac.format, ac.power_type, ac.max_electric_power) == (
        "GBT_AC",
        ConnectorFormat.CABLE,
        PowerType.AC_1_PHASE,
        7000,
    )


def test_stations_from_station_info() -> None:
    partner = a_partner()
    stations = mapping.stations_from_station_info(partner_info(), partner)
    assert [(s.station_id, s.location_id, s.connector_ids) for s in stations] == [
        (virtual_station_id(partner, "EQ01"), "ST1001", ("EQ0101", "EQ0102")),
        (virtual_station_id(partner, "EQ02"), "ST1001", ("EQ0201",)),
    ]
    assert all(s.party == partner.ocpi_party for s in stations)


def test_tolerant_keys_and_numbers_as_strings() -> None:
    info = {
        " stationid ": 1001,  # padded lower-case key, id as a number
        "stationLat": "22.540000",
        "StationLng": "113.94731",
        "EquipmentInfos": {
            "equipmentID": "EQ9",
            "EquipmentType": "2",
            "connectorInfos": [
                {"ConnectorID": "C9", "ConnectorType": "1", "VoltageUpperLimits": "220", "Current": "10",
                 "Power": "2.2"}
            ],
        },
    }  # fmt: skip
    location = mapping.location_from_station_info(info, a_partner(), now=T0)
    assert location.id == "1001"
    connector = location.evses[0].connectors[0]
    assert (connector.standard, connector.format, connector.max_electric_power) == (
        "DOMESTIC_I",
        ConnectorFormat.SOCKET,
        2200,
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ((), "StationID"),
        ((), "StationLat"),
        (("EquipmentInfos", 0), "EquipmentID"),
        (("EquipmentInfos", 0, "ConnectorInfos", 0), "ConnectorID"),
        (("EquipmentInfos", 0, "ConnectorInfos", 0), "Power"),
    ],
)
def test_a_missing_required_field_is_named(path: tuple[Any, ...], field: str) -> None:
    info = partner_info()
    target: Any = info
    for step in path:
        target = target[step]
    del target[field]
    with pytest.raises(InterconnectError) as caught:
        mapping.location_from_station_info(info, a_partner(), now=T0)
    assert caught.value.ret is Ret.PAYLOAD
    assert field in caught.value.msg


@pytest.mark.parametrize("value", ["abc", True, [1], "1e999999999x"])
def test_a_non_numeric_number_is_refused(value: Any) -> None:
    with pytest.raises(InterconnectError) as caught:
        mapping.location_from_station_info(partner_info(StationLat=value), a_partner(), now=T0)
    assert caught.value.ret is Ret.PAYLOAD
    assert "StationLat" in caught.value.msg


def test_our_station_info_read_back_gives_our_location() -> None:
    ours = our_location()
    info = mapping.station_info(ours, {}, a_partner(), "MA24YKWR9")
    assert info is not None
    back = mapping.location_from_station_info(codec.loads(codec.dumps(info)), a_partner(), now=T0)
    assert abs(back.latitude - ours.latitude) < Decimal("1e-5")
    assert abs(back.longitude - ours.longitude) < Decimal("1e-5")
    assert [e.uid for e in back.evses] == [e.uid for e in ours.evses]
    for mine, theirs in zip(ours.evses, back.evses, strict=True):
        a, b = mine.connectors[0], theirs.connectors[0]
        assert (a.power_type is PowerType.DC) == (b.power_type is PowerType.DC)
        assert (a.max_voltage, a.max_amperage) == (b.max_voltage, b.max_amperage)
