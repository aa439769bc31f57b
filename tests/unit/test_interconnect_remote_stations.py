"""Remote CPOs' stations served to 互联互通 partners (the bridge, issue 5): which partner sees which remote
station under `[[agreements]]`, regulators seeing our own stations only, our ids winning a collision, status,
stats from the CPO's CDRs, the status push of a remote EVSE, and a partner's own status reports kept exactly
(`hub.core.remote.report_evse_status`). The core on the in-memory database, the remote CPOs the fake port of
test_interconnect_remote_kit.

Test code: imports the core test kit, the core and interconnect.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.events import EvseStatusChanged
from hub.core.models import Cdr, CdrCost, EvseStatus, Party, PartyProtocol, PartyRef, Role
from hub.core.remote import RemoteEvseStatusChanged, RemoteLocationChanged
from interconnect import codec, mapping
from interconnect.push import remote_status_push_handler
from interconnect.runtime import PartnerConfig
from tests.unit.core_kit import T0, Kit
from tests.unit.test_interconnect_remote_kit import (
    CPX,
    CPY,
    KDN,
    REGULATOR,
    Agreed,
    Rig,
    a_partner,
    a_remote_location,
    a_rig,
)


async def station_ids(rig: Rig, partner: PartnerConfig | None = None) -> list[str]:
    page = await rig.serve("query_stations_info", {"PageSize": 50}, partner)
    assert page["ItemSize"] == len(page["StationInfos"])
    return sorted(s["StationID"] for s in page["StationInfos"])


# ---------------------------------------------------------------------- who sees which station


@pytest.mark.parametrize(
    ("agreements", "seen"),
    [
        ((), ["CPX-1", "CPY-1", "LOC001"]),  # no [[agreements]]: everyone roams with everyone
        ((Agreed(("CN*KDN", "DE*CPX")),), ["CPX-1"]),
        ((Agreed(("DE*CPX", "CN*KDN"), ("locations",)), Agreed(("NL*CPO", "CN*KDN"))), ["CPX-1", "LOC001"]),
        ((Agreed(("CN*KDN", "DE*CPX"), ("tokens",)),), []),  # an agreement without locations
        ((Agreed(("CN*OTH", "DE*CPX")),), []),  # agreements only of others
    ],
)
async def test_agreements_decide_which_remote_stations_an_operator_sees(
    agreements: tuple[Agreed, ...], seen: list[str]
) -> None:
    rig = await a_rig(*agreements)
    assert await station_ids(rig) == seen


async def test_a_regulator_sees_our_own_stations_only() -> None:
    rig = await a_rig()
    assert await station_ids(rig, REGULATOR) == ["LOC001"]


async def test_a_remote_station_is_served_as_a_station_info_with_one_equipment_per_evse() -> None:
    rig = await a_rig(Agreed(("CN*KDN", "DE*CPX")))
    [info] = (await rig.serve("query_stations_info", {}))["StationInfos"]
    assert (info["StationID"], info["OperatorID"], info["EquipmentOwnerID"]) == (
        "CPX-1",
        "MA24YKWR9",
        "MA24YKWR9",
    )
    assert [(e["EquipmentID"], e["ConnectorInfos"][0]["ConnectorID"]) for e in info["EquipmentInfos"]] == [
        ("CPXE1", "CPXE1"),
        ("CPXE2", "CPXE2"),
    ]
    lat, lon = mapping.wgs84_to_gcj02(Decimal("31.23000"), Decimal("121.47000"))
    assert (info["StationLat"], info["StationLng"]) == (lat, lon)


async def test_unpublished_remote_locations_and_the_partners_own_are_not_served() -> None:
    rig = await a_rig()
    rig.remote.add(a_remote_location(CPX, "CPX-2", "CPXE9", publish=False))
    rig.remote.add(a_remote_location(KDN, "KDN-1", "KDNE1"))
    assert await station_ids(rig) == ["CPX-1", "CPY-1", "LOC001"]


async def test_our_station_wins_a_station_or_connector_id_a_remote_cpo_uses_too() -> None:
    rig = await a_rig()
    rig.remote.add(a_remote_location(CPY, "LOC001", "CPYE7"))  # our StationID
    rig.remote.add(a_remote_location(CPY, "CPY-2", "CP001*1", "CPYE2"))  # our ConnectorID, and a free one
    rig.remote.add(a_remote_location(CPY, "CPY-3", "CPXE1"))  # DE*CPX's ConnectorID: the first CPO keeps it
    assert await station_ids(rig) == ["CPX-1", "CPY-1", "CPY-2", "LOC001"]
    page = await rig.serve("query_stations_info", {"PageSize": 50})
    [cpy2] = [s for s in page["StationInfos"] if s["StationID"] == "CPY-2"]
    assert [e["EquipmentID"] for e in cpy2["EquipmentInfos"]] == ["CPYE2"]


async def test_a_remote_change_shows_at_once() -> None:
    rig = await a_rig()
    assert "CPX-9" not in await station_ids(rig)
    rig.remote.add(a_remote_location(CPX, "CPX-9", "CPXE9"))
    assert "CPX-9" not in await station_ids(rig)  # the window is kept until something changes …
    await rig.kit.core.bus.publish(RemoteLocationChanged(party=CPX, location_id="CPX-9"))
    assert "CPX-9" in await station_ids(rig)  # … and a remote location change is such a thing


async def test_station_status_of_a_remote_station() -> None:
    rig = await a_rig(Agreed(("CN*KDN", "DE*CPX")))
    location = await rig.remote.location(CPX, "CPX-1")
    assert location is not None
    charging = location.evses[1].model_copy(update={"status": EvseStatus.CHARGING})
    rig.remote.add(location.model_copy(update={"evses": (location.evses[0], charging)}))
    answer = await rig.serve("query_station_status", {"StationIDs": ["CPX-1", "CPY-1"]})
    assert answer == {
        "StationStatusInfos": [
            {
                "StationID": "CPX-1",
                "ConnectorStatusInfos": [
                    {"ConnectorID": "CPXE1", "Status": 1},
                    {"ConnectorID": "CPXE2", "Status": 3},
                ],
            }
        ]
    }


def a_remote_cdr(cdr_id: str, evse_uid: str, kwh: str, end: datetime, **overrides: Any) -> Cdr:
    values: dict[str, Any] = {
        "id": cdr_id,
        "party": CPX,
        "session_id": f"S-{cdr_id}",
        "start": end - timedelta(hours=1),
        "end": end,
        "location_id": "CPX-1",
        "evse_uid": evse_uid,
        "token_uid": "HL0000000000000001",
        "cost": CdrCost(currency="CNY", total_excl_vat=Decimal(0), total_energy_kwh=Decimal(kwh)),
        "last_updated": end,
    }
    values.update(overrides)
    return Cdr(**values)


async def test_station_stats_of_a_remote_station_come_from_the_cdrs_its_cpo_sent() -> None:
    rig = await a_rig()
    day = T0.astimezone(codec.BEIJING).date().isoformat()
    rig.remote.sent_cdrs += [
        a_remote_cdr("C1", "CPXE1", "10.04", T0),
        a_remote_cdr("C2", "CPXE2", "2.5", T0),
        a_remote_cdr("C3", "CPXE2", "2.5", T0, credit=True),
        a_remote_cdr("C4", "CPXE1", "99", T0 + timedelta(days=2)),
    ]
    answer = await rig.serve("query_station_stats", {"StationID": "CPX-1", "StartTime": day, "EndTime": day})
    stats = answer["StationStats"]
    assert stats["StationElectricity"] == Decimal("12.5")
    assert [(e["EquipmentID"], e["EquipmentElectricity"]) for e in stats["EquipmentStatsInfos"]] == [
        ("CPXE1", Decimal("10.0")),
        ("CPXE2", Decimal("2.5")),
    ]


# ---------------------------------------------------------------------- status pushes


def pushed_statuses(kit: Kit) -> list[tuple[str | None, Any]]:
    return [
        (m.target, codec.loads(m.payload["data"].encode()))
        for m in kit.outbox("interconnect.notification_stationStatus")
    ]


async def test_a_remote_evse_status_change_is_pushed_to_the_operators_that_see_it() -> None:
    other = a_partner(name="新电途", operator_id="MA0OTHER1", ocpi_party=PartyRef.parse("CN*XDT"))
    rig = await a_rig(Agreed(("CN*KDN", "DE*CPX")), partners=(a_partner(), other, REGULATOR))
    kicks: list[int] = []
    handler = remote_status_push_handler(rig.runtime, rig.runtime.config.agreements, lambda: kicks.append(1))

    def change(evse_uid: str, **overrides: Any) -> RemoteEvseStatusChanged:
        values: dict[str, Any] = {"party": CPX, "location_id": "CPX-1", "evse_uid": evse_uid}
        values |= {"old": EvseStatus.AVAILABLE, "new": EvseStatus.CHARGING, "publish": True} | overrides
        return RemoteEvseStatusChanged(**values)

    await handler(change("CPXE1"))
    assert pushed_statuses(rig.kit) == [
        ("MA005DBW1", {"ConnectorStatusInfo": {"ConnectorID": "CPXE1", "Status": 3}})
    ]
    assert kicks == [1]
    await handler(change("CPXE2", publish=False))  # an unpublished location: nobody hears of it
    await handler(change("CP001*1"))  # our own EVSE's ConnectorID: the partner sees ours
    await handler(change("CPYE1", party=CPY))  # no agreement with DE*CPY
    assert len(pushed_statuses(rig.kit)) == 1


# ---------------------------------------------------------------------- a partner's own status reports


async def test_a_partner_status_report_is_kept_exactly_with_an_evse_status_row() -> None:
    """TODO(#5) of handlers_data, done: a partner's ConnectorStatusInfo is an EVSE status change in the core
    (an `evse.status` row for OCPI parties, EvseStatusChanged), its 2 (occupied, not charging) kept as
    BLOCKED — not a `location.updated` row, and not a round trip through station connector states."""
    rig = await a_rig()
    await rig.kit.core.parties.ensure(
        Party(ref=KDN, role=Role.CPO, name="快电", protocol=PartyProtocol.INTERCONNECT, last_updated=T0)
    )
    theirs = a_remote_location(KDN, "ST1", "EQ0101", "EQ0102")
    theirs = theirs.model_copy(
        update={
            "evses": tuple(e.model_copy(update={"station_id": "HLHT.MA005DBW1.EQ01"}) for e in theirs.evses)
        }
    )
    await rig.kit.core.locations.put(theirs)
    rig.kit.events.clear()
    rig.kit.clock.set(T0 + timedelta(minutes=1))
    before = len(rig.kit.outbox())

    info = {
        "ConnectorStatusInfo": [
            {"ConnectorID": "EQ0102", "Status": 2},
            {"ConnectorID": "EQ0101", "Status": 1},
        ]
    }
    assert await rig.serve("notification_stationStatus", info) == {"Status": 0}

    rows = rig.kit.outbox()[before:]
    assert [(m.topic, m.payload["evse_uid"], m.payload["new"]) for m in rows] == [
        ("evse.status", "EQ0102", "BLOCKED")
    ]  # EQ0101 was AVAILABLE already: nothing written
    [event] = rig.kit.events_of(EvseStatusChanged)
    assert (event.evse_uid, event.station_id, event.old, event.new) == (
        "EQ0102",
        "HLHT.MA005DBW1.EQ01",
        EvseStatus.AVAILABLE,
        EvseStatus.BLOCKED,
    )
    location = await rig.kit.core.locations.get(KDN, "ST1")
    assert location is not None
    evse = location.evse("EQ0102")
    assert evse is not None
    assert (evse.status, evse.last_updated, location.last_updated) == (
        EvseStatus.BLOCKED,
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=1),
    )
    unknown = {"ConnectorStatusInfo": {"ConnectorID": "CP001*1", "Status": 1}}  # ours, not the partner's
    assert await rig.serve("notification_stationStatus", unknown) == {"Status": 1}
