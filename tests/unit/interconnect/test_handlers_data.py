"""The public-information interfaces we serve (spec §4), called directly with a Call on a real core (in-memory
storage): paging and LastQueryTime, who sees what, status, stats from CDRs, and partner status pushes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.chargepoint import StatusReport
from hub.core.models import ConnectorState, EvseStatus, Party, PartyProtocol, PartyRef, Role
from interconnect import codec, mapping
from interconnect.handlers_data import HANDLERS
from interconnect.runtime import (
    Call,
    InterconnectConfig,
    InterconnectError,
    InterconnectRuntime,
    PartnerConfig,
    Ret,
)
from tests.unit.core_kit import CPO, STATION, T0, Kit, a_location, a_start, a_stop, make_kit
from tests.unit.interconnect.test_mapping import a_partner, partner_info

KDN = PartyRef.parse("CN*KDN")


@dataclass(frozen=True)
class Agreed:
    parties: tuple[str, str]
    modules: tuple[str, ...] = ("locations",)


def call_for(
    kit: Kit,
    partner: PartnerConfig | None = None,
    interface: str = "query_stations_info",
    agreements: tuple[Agreed, ...] = (),
) -> Call:
    partner = partner or a_partner()
    config = InterconnectConfig(
        operator_id="MA24YKWR9",
        base_path="/evcs/v1.0",
        public_url="http://127.0.0.1",
        partners=(partner,),
        agreements=agreements,
    )
    runtime = InterconnectRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core)
    return Call(runtime=runtime, partner=partner, interface=interface)


async def serve(
    kit: Kit,
    interface: str,
    payload: dict[str, Any],
    partner: PartnerConfig | None = None,
    agreements: tuple[Agreed, ...] = (),
) -> Any:
    call = call_for(kit, partner, interface, agreements)
    answer = await HANDLERS[interface](call, payload)
    return codec.loads(codec.dumps(answer))  # what the partner reads


async def a_kit(locations: int = 0) -> Kit:
    """The default core (NL*CPO with LOC001 and station CP001) plus `locations` more sites of NL*CPO and the
    partner's own party CN*KDN with one location."""
    kit = await make_kit()
    for n in range(locations):
        await kit.core.locations.put(a_location(id=f"SITE{n:03d}", last_updated=T0 - timedelta(days=2)))
    await kit.core.parties.ensure(
        Party(ref=KDN, role=Role.CPO, name="快电", protocol=PartyProtocol.INTERCONNECT, last_updated=T0)
    )
    theirs = mapping.location_from_station_info(partner_info(), a_partner(), now=T0)
    await kit.core.locations.put(theirs)
    return kit


# ---------------------------------------------------------------------- query_stations_info


async def test_pages_of_our_stations_only() -> None:
    kit = await a_kit(locations=24)
    first = await serve(kit, "query_stations_info", {})
    assert (first["PageNo"], first["PageCount"], first["ItemSize"]) == (1, 3, 25)
    assert len(first["StationInfos"]) == 10
    ids: list[str] = []
    for page_no in (1, 2, 3):
        page = await serve(kit, "query_stations_info", {"PageNo": page_no})
        ids += [s["StationID"] for s in page["StationInfos"]]
    assert len(ids) == len(set(ids)) == 25
    assert "ST1001" not in ids  # the partner's station is its own, never served back
    assert "LOC001" in ids


async def test_page_size_is_capped_and_a_page_beyond_the_end_is_echoed() -> None:
    kit = await a_kit(locations=150)
    page = await serve(kit, "query_stations_info", {"PageNo": "1", "PageSize": "500"})
    assert (page["PageCount"], page["ItemSize"], len(page["StationInfos"])) == (2, 151, 100)
    beyond = await serve(kit, "query_stations_info", {"PageNo": 9, "PageSize": 50})
    assert (beyond["PageNo"], beyond["PageCount"], beyond["StationInfos"]) == (9, 4, [])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"PageNo": 0}, "PageNo"),
        ({"PageSize": "ten"}, "PageSize"),
        ({"LastQueryTime": "yesterday"}, None),
    ],
)
async def test_bad_paging_is_a_payload_error(payload: dict[str, Any], field: str | None) -> None:
    kit = await a_kit()
    with pytest.raises(InterconnectError) as caught:
        await serve(kit, "query_stations_info", payload)
    assert caught.value.ret is Ret.PAYLOAD
    if field:
        assert field in caught.value.msg


async def test_last_query_time_returns_stations_changed_since() -> None:
    kit = await a_kit(locations=3)
    since = codec.business_time(T0 + timedelta(seconds=1))
    before = await serve(kit, "query_stations_info", {"LastQueryTime": since})
    assert before["ItemSize"] == 0  # the sites and LOC001 were last changed at T0 or before
    kit.clock.set(T0 + timedelta(minutes=5))
    await kit.online()
    await kit.core.chargepoints.status(STATION, StatusReport(evse_no=1, state=ConnectorState.CHARGING))
    after = await serve(kit, "query_stations_info", {"LastQueryTime": since})
    assert [s["StationID"] for s in after["StationInfos"]] == ["LOC001"]
    assert after["ItemSize"] == 1
    everything = await serve(kit, "query_stations_info", {"LastQueryTime": ""})
    assert everything["ItemSize"] == 4


async def test_a_new_location_shows_at_once_and_unpublished_ones_never() -> None:
    kit = await a_kit()
    assert (await serve(kit, "query_stations_info", {}))["ItemSize"] == 1
    await kit.core.locations.put(a_location(id="NEW1", last_updated=T0))
    await kit.core.locations.put(a_location(id="HIDDEN", publish=False, last_updated=T0))
    page = await serve(kit, "query_stations_info", {})
    assert sorted(s["StationID"] for s in page["StationInfos"]) == ["LOC001", "NEW1"]


async def test_a_partner_whose_party_is_our_cpo_sees_nothing_of_it() -> None:
    kit = await a_kit()
    page = await serve(kit, "query_stations_info", {}, a_partner(ocpi_party=CPO))
    assert page["ItemSize"] == 0


@pytest.mark.parametrize(
    ("agreements", "seen"),
    [
        ((), 3),  # no [[agreements]]: every operator partner sees our stations
        ((Agreed(("NL*CPO", "CN*KDN")),), 3),
        ((Agreed(("NL*CPO", "CN*KDN"), ("tokens",)),), 0),  # an agreement without locations
        ((Agreed(("NL*CPO", "CN*OTH")),), 0),  # agreements only with others
    ],
)
async def test_agreements_decide_which_of_our_stations_an_operator_sees(
    agreements: tuple[Agreed, ...], seen: int
) -> None:
    kit = await a_kit(locations=2)
    page = await serve(kit, "query_stations_info", {"PageSize": 50}, agreements=agreements)
    assert page["ItemSize"] == seen
    regulator = a_partner(kind="regulator", operator_id="MA0REG001")
    assert (await serve(kit, "query_stations_info", {"PageSize": 50}, regulator, agreements))["ItemSize"] == 3


async def test_a_regulator_sees_our_stations_with_our_operator_id() -> None:
    kit = await a_kit(locations=2)
    regulator = a_partner(kind="regulator", operator_id="MA0REG001", our_operator_id="MA0OURS99")
    page = await serve(kit, "query_stations_info", {"PageSize": 50}, regulator)
    assert page["ItemSize"] == 3
    assert {s["OperatorID"] for s in page["StationInfos"]} == {"MA0OURS99"}


# ---------------------------------------------------------------------- query_station_status


async def test_station_status_of_our_connectors() -> None:
    kit = await a_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, StatusReport(evse_no=1, state=ConnectorState.CHARGING))
    answer = await serve(kit, "query_station_status", {"StationIDs": ["loc001", "ST1001", "NOPE"]})
    assert answer == {
        "StationStatusInfos": [
            {"StationID": "LOC001", "ConnectorStatusInfos": [{"ConnectorID": "CP001*1", "Status": 3}]}
        ]
    }


async def test_station_status_takes_at_most_50_ids() -> None:
    kit = await a_kit()
    with pytest.raises(InterconnectError) as caught:
        await serve(kit, "query_station_status", {"StationIDs": [f"S{n}" for n in range(51)]})
    assert caught.value.ret is Ret.PAYLOAD
    assert "StationIDs" in caught.value.msg


# ---------------------------------------------------------------------- query_station_stats


async def charge(kit: Kit, kwh: int) -> None:
    """One session on CP001 starting at T0 (Beijing 17:00), an hour long, `kwh` delivered."""
    await kit.online()
    started = await kit.core.chargepoints.transaction(STATION, a_start())
    await kit.core.chargepoints.transaction(
        STATION, a_stop(started.transaction_id, meter_wh=Decimal(1000 + kwh * 1000))
    )


async def test_station_stats_from_cdrs() -> None:
    kit = await a_kit()
    kit.clock.set(T0 + timedelta(hours=2))
    await charge(kit, 20)
    day = {"StationID": "LOC001", "StartTime": "2026-01-05", "EndTime": "2026-01-05"}
    stats = (await serve(kit, "query_station_stats", day))["StationStats"]
    assert stats == {
        "StationID": "LOC001",
        "StartTime": "2026-01-05",
        "EndTime": "2026-01-05",
        "StationElectricity": Decimal("20.0"),
        "EquipmentStatsInfos": [
            {
                "EquipmentID": STATION,
                "EquipmentElectricity": Decimal("20.0"),
                "ConnectorStatsInfos": [{"ConnectorID": "CP001*1", "ConnectorElectricity": Decimal("20.0")}],
            }
        ],
    }
    other_day = {**day, "StartTime": "2026-01-06", "EndTime": "2026-01-07"}
    assert (await serve(kit, "query_station_stats", other_day))["StationStats"]["StationElectricity"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"StartTime": "2026-01-05", "EndTime": "2026-01-05"}, "StationID"),
        ({"StationID": "LOC001", "StartTime": "05/01/2026", "EndTime": "2026-01-05"}, "StartTime"),
        ({"StationID": "LOC001", "StartTime": "2026-01-06", "EndTime": "2026-01-05"}, "EndTime"),
        ({"StationID": "ST1001", "StartTime": "2026-01-05", "EndTime": "2026-01-05"}, "StationID"),
    ],
)
async def test_bad_stats_requests(payload: dict[str, Any], field: str) -> None:
    kit = await a_kit()
    with pytest.raises(InterconnectError) as caught:
        await serve(kit, "query_station_stats", payload)
    assert caught.value.ret is Ret.PAYLOAD
    assert field in caught.value.msg


# ---------------------------------------------------------------------- notification_stationStatus


async def test_a_partner_status_push_sets_its_evse_status() -> None:
    kit = await a_kit()
    kit.clock.set(T0 + timedelta(minutes=1))
    answer = await serve(
        kit, "notification_stationStatus", {"ConnectorStatusInfo": {"ConnectorID": "EQ0102", "Status": "3"}}
    )
    assert answer == {"Status": 0}
    location = await kit.core.locations.get(KDN, "ST1001")
    assert location is not None
    assert sorted((e.uid, e.status) for e in location.evses) == [
        ("EQ0101", EvseStatus.UNKNOWN),
        ("EQ0102", EvseStatus.CHARGING),
        ("EQ0201", EvseStatus.UNKNOWN),
    ]
    assert location.last_updated == T0 + timedelta(minutes=1)
    assert [m.topic for m in kit.outbox()][-1] == "evse.status"  # OCPI parties hear of it, EVSE by EVSE


async def test_an_array_with_an_unknown_connector_is_discarded_in_part() -> None:
    kit = await a_kit()
    infos = [{"ConnectorID": "EQ0201", "Status": 2}, {"connectorid": "NOPE", "status": 1}]
    answer = await serve(kit, "notification_stationStatus", {"ConnectorStatusInfo": infos})
    assert answer == {"Status": 1}
    location = await kit.core.locations.get(KDN, "ST1001")
    assert location is not None
    evse = location.evse("EQ0201")
    assert evse is not None
    assert evse.status is EvseStatus.BLOCKED


async def test_a_status_push_never_touches_another_partys_evse() -> None:
    kit = await a_kit()
    answer = await serve(
        kit, "notification_stationStatus", {"ConnectorStatusInfo": {"ConnectorID": "CP001*1", "Status": 255}}
    )
    assert answer == {"Status": 1}
    ours = await kit.core.locations.get(CPO, "LOC001")
    assert ours is not None
    assert ours.evses[0].status is EvseStatus.UNKNOWN


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "ConnectorStatusInfo"),
        ({"ConnectorStatusInfo": {"Status": 1}}, "ConnectorID"),
        ({"ConnectorStatusInfo": {"ConnectorID": "EQ0101"}}, "Status"),
        ({"ConnectorStatusInfo": {"ConnectorID": "EQ0101", "Status": "busy"}}, "Status"),
    ],
)
async def test_a_bad_status_push_is_a_payload_error(payload: dict[str, Any], field: str) -> None:
    kit = await a_kit()
    with pytest.raises(InterconnectError) as caught:
        await serve(kit, "notification_stationStatus", payload)
    assert caught.value.ret is Ret.PAYLOAD
    assert field in caught.value.msg


def test_every_data_interface_has_a_handler() -> None:
    assert set(HANDLERS) == {
        "query_stations_info",
        "query_station_status",
        "query_station_stats",
        "notification_stationStatus",
    }
