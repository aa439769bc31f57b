"""A regulator platform (`kind = "regulator"`, spec §7) against the real hub on loopback: it receives our
pushes under its own interface names and pulls our stations with the supervise_query_* names (PageSize 50).
The regulator is the fake 互联互通 platform with its own envelope code (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from hub.app import SCHEDULER_KEY
from hub.ocpp.simulator import SimulatedStation
from interconnect import regulator
from interconnect.runtime import INTERCONNECT_KEY
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.fakes.interconnect_platform import FakePlatform, partner_settings

OUR_OPERATOR_ID = "MA24YKWR9"
NAMES = {
    "notification_stationStatus": "supervise_notification_station_status",
    "notification_stationInfo": "supervise_notification_station_info",
    "notification_equip_charge_status": "supervise_notification_equip_charge_status",
    "notification_realtime_power_info": "supervise_notification_realtime_power_info",
}
EXTRA_LOCATIONS = 60  # with LOC001: 61 stations, two supervise pages of 50


def location(i: int) -> dict[str, Any]:
    return {
        "id": f"LOC{i:03d}", "party": "NL*CPO", "name": f"站 {i}", "address": "测试路 1", "city": "上海",
        "postal_code": "200001", "country": "CHN", "latitude": "31.23", "longitude": "121.47",
        "time_zone": "Asia/Shanghai",
    }  # fmt: skip


@pytest.fixture
async def platform() -> AsyncIterator[FakePlatform]:
    async with FakePlatform(operator_id="MA0REGUL1", name="省监管平台", kind="regulator",
                            ocpi_party="CN*REG", interfaces=dict(NAMES)) as fake:  # fmt: skip
        yield fake


@pytest.fixture
async def regulated_hub(make_hub: Callable[..., Awaitable[RunningHub]], platform: FakePlatform) -> RunningHub:
    from tests.conftest import base_config

    locations = base_config("")["locations"] + [location(i) for i in range(2, 2 + EXTRA_LOCATIONS)]
    hub = await make_hub(interconnect={"partners": [partner_settings(platform)]}, locations=locations)
    platform.connect(hub.url, hub.settings.interconnect.base_path)
    return hub


@pytest.fixture
async def cp(regulated_hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = SimulatedStation(regulated_hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    await station.connect()
    await station.boot()
    yield station
    await station.close()


async def test_status_push_arrives_under_the_regulators_own_name(
    platform: FakePlatform, cp: SimulatedStation
) -> None:
    await cp.status(1, "Charging")
    calls = await platform.wait_for_calls("supervise_notification_station_status")
    pushed = calls[-1]
    assert pushed.logical == "notification_stationStatus"
    assert pushed.payload == {"ConnectorStatusInfo": {"ConnectorID": "CP001*1", "Status": 3}}
    assert pushed.envelope["OperatorID"] == OUR_OPERATOR_ID
    assert pushed.envelope["Sig"] == pushed.envelope["Sig"].upper()
    assert pushed.headers["Authorization"].startswith("Bearer ")
    assert platform.calls_to("query_token")[0].payload["OperatorID"] == OUR_OPERATOR_ID
    assert all(c.interface != "notification_stationStatus" for c in platform.calls)  # never the standard name


async def test_supervise_stations_info_pages_by_50_by_default(
    regulated_hub: RunningHub, platform: FakePlatform, cp: SimulatedStation
) -> None:
    await cp.status(1, "Available")
    ret, _, first = await platform.call_hub("supervise_query_stations_info", {})
    assert ret == 0
    assert (first["PageNo"], first["PageCount"], first["ItemSize"]) == (1, 2, 1 + EXTRA_LOCATIONS)
    assert len(first["StationInfos"]) == 50
    _, _, second = await platform.call_hub("supervise_query_stations_info", {"PageNo": 2})
    assert len(second["StationInfos"]) == 11
    _, _, standard = await platform.call_hub("query_stations_info", {})
    assert len(standard["StationInfos"]) == 10  # the standard name keeps the standard default (§4)
    everything = first["StationInfos"] + second["StationInfos"]
    ours = next(s for s in everything if s["StationID"] == "LOC001")
    assert ours["OperatorID"] == OUR_OPERATOR_ID
    assert ours["EquipmentInfos"][0]["EquipmentID"] == "CP001"
    assert ours["EquipmentInfos"][0]["ConnectorInfos"][0]["ConnectorID"] == "CP001*1"
    _, _, picked = await platform.call_hub(
        "supervise_query_stations_info", {"StationIDs": ["LOC001", "LOC007"]}
    )
    assert sorted(s["StationID"] for s in picked["StationInfos"]) == ["LOC001", "LOC007"]
    assert picked["ItemSize"] == 2


async def test_supervise_status_and_operator_info(platform: FakePlatform, cp: SimulatedStation) -> None:
    await cp.status(1, "Faulted", error_code="GroundFailure")
    ret, _, status = await platform.call_hub("supervise_query_station_status", {"StationIDs": ["LOC001"]})
    assert ret == 0
    assert status["StationStatusInfos"] == [
        {"StationID": "LOC001", "ConnectorStatusInfos": [{"ConnectorID": "CP001*1", "Status": 255}]}
    ]
    _, _, operators = await platform.call_hub("supervise_query_operator_info", {})
    assert (operators["PageNo"], operators["PageCount"], operators["ItemSize"]) == (1, 1, 1)
    assert operators["OperatorInfos"][0]["OperatorID"] == OUR_OPERATOR_ID
    assert operators["OperatorInfos"][0]["OperatorName"] == "Own CPO"


async def test_bad_page_is_refused_with_4004(platform: FakePlatform, cp: SimulatedStation) -> None:
    ret, _, data = await platform.call_hub("supervise_query_stations_info", {"PageNo": 0})
    assert (ret, data) == (4004, None)


async def test_charge_status_push_carries_the_regulator_fields(
    platform: FakePlatform, cp: SimulatedStation
) -> None:
    await cp.status(1, "Preparing")
    await cp.start(1, OWN_TOKEN, meter_start_wh=1000)
    calls = await platform.wait_for_calls("supervise_notification_equip_charge_status")
    status = calls[0].payload
    assert status["StartChargeSeq"].startswith(OUR_OPERATOR_ID)
    assert len(status["StartChargeSeq"]) == 27
    assert (status["OrderNo"], status["OrderStatus"], status["StartChargeSeqStat"]) == (
        status["StartChargeSeq"], 2, 2,
    )  # fmt: skip
    assert (status["ConnectorID"], status["StationID"], status["EquipmentID"]) == (
        "CP001*1",
        "LOC001",
        "CP001",
    )
    assert status["OperatorID"] == OUR_OPERATOR_ID


async def test_real_time_power_round(
    regulated_hub: RunningHub, platform: FakePlatform, cp: SimulatedStation
) -> None:
    await cp.status(1, "Available")
    pushes = regulator.RegulatorPushes(
        regulated_hub.app[INTERCONNECT_KEY], regulated_hub.app[SCHEDULER_KEY].kick
    )
    assert await pushes.push_power() == 2  # 61 stations, 50 a push
    calls = await platform.wait_for_calls("supervise_notification_realtime_power_info", count=2)
    infos = [i for c in calls for i in c.payload["SupStationPowerInfos"]]
    assert len(infos) == 1 + EXTRA_LOCATIONS
    ours = next(i for i in infos if i["StationID"] == "LOC001")
    assert ours["StationRealTimePower"] == Decimal("0.0")
    assert ours["EquipmentPowerInfos"][0]["ConnectorPowerInfos"] == [
        {"ConnectorID": "CP001*1", "ConnectorRealTimePower": Decimal("0.0")}
    ]


async def test_station_info_push_on_a_location_change(platform: FakePlatform, cp: SimulatedStation) -> None:
    await cp.status(1, "Available")  # the station's first status adds its EVSE to LOC001
    calls = await platform.wait_for_calls("supervise_notification_station_info")
    info = next(c.payload["StationInfo"] for c in calls if c.payload["StationInfo"]["StationID"] == "LOC001")
    assert info["OperatorID"] == OUR_OPERATOR_ID
    assert [e["EquipmentID"] for e in info["EquipmentInfos"]] == ["CP001"]
