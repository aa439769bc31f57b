"""Repository contract: parties, locations, stations, tokens, tariffs, commands, alarms and station
notifications behave the same on every backend (round-trips, case-insensitive lookups, ordering, paging)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import ConflictError
from hub.core.models import (
    CommandResultType,
    CommandType,
    EvseStatus,
    PartyProtocol,
    PartyRef,
    Role,
    TokenType,
)
from tests.contract.builders import (
    CPO,
    MSP,
    T0,
    a_command,
    a_location,
    a_notification,
    a_party,
    a_station,
    a_tariff,
    a_token,
    an_alarm,
    an_evse,
    at,
)
from tests.contract.helpers import committed, put_all, read

# --- parties ----------------------------------------------------------------------------------


async def test_party_round_trips_and_is_found_case_insensitively(database: Any) -> None:
    party = a_party(MSP, role=Role.EMSP, name="Partner", protocol=PartyProtocol.OCPI)
    await put_all(database, "parties", party)

    got = await read(database, lambda uow: uow.parties.get(PartyRef(country_code="de", party_id="MSP")))

    assert got == party
    assert got.ref.party_id == "Msp"  # the original spelling is kept


async def test_party_put_replaces_and_list_is_ordered_by_key(database: Any) -> None:
    await put_all(database, "parties", a_party(CPO), a_party(MSP, role=Role.EMSP))
    renamed = a_party(CPO, name="Renamed", last_updated=at(5))
    await put_all(database, "parties", renamed)

    listed = await read(database, lambda uow: uow.parties.list())

    assert [p.ref.key() for p in listed] == ["DE*MSP", "NL*CPO"]
    assert listed[1] == renamed
    assert (
        await read(database, lambda uow: uow.parties.get(PartyRef(country_code="BE", party_id="ZZZ"))) is None
    )


# --- locations --------------------------------------------------------------------------------


async def test_location_round_trips_with_evses_decimals_and_aware_datetimes(database: Any) -> None:
    location = a_location(evses=2)
    await put_all(database, "locations", location)

    got = await read(database, lambda uow: uow.locations.get(CPO, "LOC001"))

    assert got == location
    assert str(got.latitude) == "52.379000"
    assert got.last_updated.utcoffset() == timedelta(0)
    assert got.last_updated == T0  # microseconds kept
    assert got.evses[0].connectors[0].last_updated.utcoffset() == timedelta(0)
    assert got.evses[1].connectors[1].standard == "IEC_62196_T2_COMBO"


async def test_location_lookups_ignore_case_and_keep_the_original(database: Any) -> None:
    location = a_location("Loc-Abc", party=MSP, evses=(an_evse("Evse-Xy*1"),))
    await put_all(database, "locations", location)

    by_id = await read(
        database, lambda uow: uow.locations.get(PartyRef(country_code="de", party_id="MSP"), "loc-ABC")
    )
    by_evse = await read(database, lambda uow: uow.locations.find_by_evse("EVSE-xy*1"))

    assert by_id == location
    assert by_evse == location
    assert by_id.id == "Loc-Abc"
    assert await read(database, lambda uow: uow.locations.get(CPO, "loc-abc")) is None  # other party


async def test_find_by_evse_follows_evses_added_and_removed(database: Any) -> None:
    await put_all(database, "locations", a_location(evses=(an_evse("A"), an_evse("B"))))
    await put_all(database, "locations", a_location(evses=(an_evse("B"), an_evse("C")), last_updated=at(1)))

    assert await read(database, lambda uow: uow.locations.find_by_evse("A")) is None
    found_c = await read(database, lambda uow: uow.locations.find_by_evse("c"))
    assert found_c is not None
    assert [e.uid for e in found_c.evses] == ["B", "C"]
    assert await read(database, lambda uow: uow.locations.find_by_evse("unknown")) is None

    await put_all(database, "locations", a_location(evses=()))
    assert await read(database, lambda uow: uow.locations.find_by_evse("B")) is None


async def test_location_status_change_after_read_is_stored(database: Any) -> None:
    await put_all(database, "locations", a_location(evses=2))

    async def charge_first_evse(uow: Any) -> None:
        location = await uow.locations.find_by_evse("LOC001*1")
        evses = (location.evses[0].model_copy(update={"status": EvseStatus.CHARGING}), location.evses[1])
        await uow.locations.put(location.model_copy(update={"evses": evses, "last_updated": at(2)}))

    await committed(database, charge_first_evse)

    got = await read(database, lambda uow: uow.locations.find_by_evse("LOC001*1"))
    assert [e.status for e in got.evses] == [EvseStatus.CHARGING, EvseStatus.AVAILABLE]
    assert got.last_updated == at(2)


async def test_evse_lookup_matches_the_stored_location_after_a_concurrent_change(database: Any) -> None:
    """A unit of work that read a location, then saw another one add an EVSE, writes its own version:
    the EVSE index must describe whatever location was stored last."""
    await put_all(database, "locations", a_location(evses=(an_evse("A"), an_evse("B"))))
    async with database.unit_of_work() as first:
        stale = await first.locations.get(CPO, "LOC001")
        await put_all(database, "locations", a_location(evses=(an_evse("A"), an_evse("B"), an_evse("C"))))
        await first.locations.put(stale.model_copy(update={"name": "Renamed"}))
        await first.commit()

    stored = await read(database, lambda uow: uow.locations.get(CPO, "LOC001"))
    assert [e.uid for e in stored.evses] == ["A", "B"]
    assert await read(database, lambda uow: uow.locations.find_by_evse("C")) is None
    assert await read(database, lambda uow: uow.locations.find_by_evse("a")) == stored


async def test_location_list_pages_by_last_updated_then_id(database: Any) -> None:
    locations = [
        a_location("L5", evses=1, last_updated=at(3)),
        a_location("L3b", evses=1, last_updated=at(1)),
        a_location("L3a", evses=1, last_updated=at(1)),
        a_location("L1", evses=1, last_updated=at(0)),
        a_location("L4", evses=1, last_updated=at(2)),
        a_location("M1", party=MSP, evses=1, last_updated=at(1)),
    ]
    await put_all(database, "locations", *locations)

    async def ids(**kwargs: Any) -> list[str]:
        found = await read(database, lambda uow: uow.locations.list(**kwargs))
        return [loc.id for loc in found]

    assert await ids() == ["L1", "L3a", "L3b", "M1", "L4", "L5"]
    assert await ids(party=PartyRef(country_code="nl", party_id="cpo")) == ["L1", "L3a", "L3b", "L4", "L5"]
    # date_from inclusive, date_to exclusive
    assert await ids(party=CPO, date_from=at(1), date_to=at(3)) == ["L3a", "L3b", "L4"]
    assert await ids(party=CPO, offset=1, limit=2) == ["L3a", "L3b"]
    assert await ids(party=CPO, offset=4, limit=10) == ["L5"]
    assert await ids(party=CPO, offset=9) == []
    assert await read(database, lambda uow: uow.locations.count()) == 6
    assert (
        await read(database, lambda uow: uow.locations.count(party=CPO, date_from=at(1), date_to=at(3))) == 3
    )
    assert await read(database, lambda uow: uow.locations.count(party=MSP, date_to=at(1))) == 0


# --- stations ---------------------------------------------------------------------------------


async def test_station_round_trips_and_is_found_case_insensitively(database: Any) -> None:
    station = a_station("Cp-Mixed")
    fresh = a_station(
        "CP000", connected=False, last_boot=None, last_seen=None, registered=False, protocol=None
    )
    await put_all(database, "stations", station, fresh)

    assert await read(database, lambda uow: uow.stations.get("cp-MIXED")) == station
    assert await read(database, lambda uow: uow.stations.get("cp000")) == fresh
    assert await read(database, lambda uow: uow.stations.get("nope")) is None


async def test_station_put_replaces_and_list_is_ordered_by_id(database: Any) -> None:
    await put_all(database, "stations", a_station("CP002"), a_station("CP001"))
    offline = a_station("CP002", connected=False, last_seen=at(9), last_updated=at(9))
    await put_all(database, "stations", offline)

    listed = await read(database, lambda uow: uow.stations.list())

    assert [s.id for s in listed] == ["CP001", "CP002"]
    assert listed[1] == offline


# --- tokens -----------------------------------------------------------------------------------


async def test_token_round_trips_and_is_found_by_uid_and_party(database: Any) -> None:
    token = a_token("04a1B2c3")
    await put_all(database, "tokens", token)

    assert (
        await read(
            database, lambda uow: uow.tokens.get("04A1B2C3", PartyRef(country_code="de", party_id="MSP"))
        )
        == token
    )
    assert await read(database, lambda uow: uow.tokens.get("04a1b2c3")) == token
    assert await read(database, lambda uow: uow.tokens.get("04A1B2C3", CPO)) is None
    assert await read(database, lambda uow: uow.tokens.get("FFFF")) is None


async def test_token_without_party_prefers_own_tokens(database: Any) -> None:
    other = a_token("SHARED", party=PartyRef(country_code="AA", party_id="AAA"))
    own = a_token("shared", party=PartyRef(country_code="ZZ", party_id="ZZZ"), own=True)
    await put_all(database, "tokens", other, own)

    assert await read(database, lambda uow: uow.tokens.get("Shared")) == own


async def test_tk_04_tokens_of_one_uid_and_party_but_different_types_coexist(database: Any) -> None:
    rfid = a_token("T1", contract_id="RFID-CONTRACT")
    app = a_token("t1", type=TokenType.APP_USER, contract_id="APP-CONTRACT", last_updated=at(1))
    await put_all(database, "tokens", rfid, app)

    async def get(uid: str, *args: Any) -> Any:
        return await read(database, lambda uow: uow.tokens.get(uid, *args))

    assert await get("t1", MSP, TokenType.RFID) == rfid
    assert await get("T1", MSP, TokenType.APP_USER) == app
    assert await get("T1", MSP, TokenType.OTHER) is None
    assert await get("T1", CPO, TokenType.RFID) is None
    assert await get("T1", MSP) == rfid  # no type: RFID first
    assert await get("T1") == rfid
    assert await get("T1", None, TokenType.APP_USER) == app
    assert [t.type for t in await read(database, lambda uow: uow.tokens.list(MSP))] == [
        TokenType.RFID,
        TokenType.APP_USER,
    ]


async def test_token_put_replaces_only_the_token_of_its_type(database: Any) -> None:
    await put_all(database, "tokens", a_token("T1"), a_token("T1", type=TokenType.APP_USER))
    blocked = a_token("T1", type=TokenType.APP_USER, valid=False, last_updated=at(3))
    await put_all(database, "tokens", blocked)

    assert await read(database, lambda uow: uow.tokens.get("T1", MSP, TokenType.APP_USER)) == blocked
    assert await read(database, lambda uow: uow.tokens.get("T1", MSP, TokenType.RFID)) == a_token("T1")
    assert len(await read(database, lambda uow: uow.tokens.list())) == 2


async def test_token_without_type_prefers_rfid_then_other_types_by_name(database: Any) -> None:
    other = a_token("T9", type=TokenType.OTHER)
    app = a_token("T9", type=TokenType.APP_USER)
    await put_all(database, "tokens", other, app)

    assert await read(database, lambda uow: uow.tokens.get("T9", MSP)) == app
    rfid = a_token("T9")
    await put_all(database, "tokens", rfid)
    assert await read(database, lambda uow: uow.tokens.get("T9", MSP)) == rfid
    assert await read(database, lambda uow: uow.tokens.get("T9")) == rfid


async def test_token_list_filters_by_party_and_pages(database: Any) -> None:
    tokens = [
        a_token("T3", last_updated=at(2)),
        a_token("T2", last_updated=at(1)),
        a_token("T1", last_updated=at(1)),
        a_token("X1", party=CPO, own=True, last_updated=at(0)),
    ]
    await put_all(database, "tokens", *tokens)

    async def uids(**kwargs: Any) -> list[str]:
        return [t.uid for t in await read(database, lambda uow: uow.tokens.list(**kwargs))]

    assert await uids() == ["X1", "T1", "T2", "T3"]
    assert await uids(party=MSP) == ["T1", "T2", "T3"]
    assert await uids(party=MSP, offset=1, limit=1) == ["T2"]


# --- tariffs ----------------------------------------------------------------------------------


async def test_tariff_round_trips_with_restrictions_and_source(database: Any) -> None:
    tariff = a_tariff("Std")
    await put_all(database, "tariffs", tariff)

    got = await read(
        database, lambda uow: uow.tariffs.get(PartyRef(country_code="nl", party_id="cpo"), "STD")
    )

    assert got == tariff
    assert str(got.elements[0].price_components[0].price) == "0.250"
    assert got.source == tariff.source


async def test_tariff_delete_and_list(database: Any) -> None:
    await put_all(
        database,
        "tariffs",
        a_tariff("B", last_updated=at(1)),
        a_tariff("A", last_updated=at(1)),
        a_tariff("Z", party=MSP, last_updated=at(0)),
        a_tariff("C", end_date_time=at(100), last_updated=at(2)),
    )

    async def delete_b(uow: Any) -> None:
        await uow.tariffs.delete(CPO, "b")
        await uow.tariffs.delete(CPO, "never-existed")

    await committed(database, delete_b)

    assert [t.id for t in await read(database, lambda uow: uow.tariffs.list())] == ["Z", "A", "C"]
    assert [t.id for t in await read(database, lambda uow: uow.tariffs.list(CPO))] == ["A", "C"]
    assert await read(database, lambda uow: uow.tariffs.get(CPO, "B")) is None


# --- commands ---------------------------------------------------------------------------------


async def test_command_round_trips_and_updates(database: Any) -> None:
    command = a_command("Cmd-1")
    await put_all(database, "commands", command)
    answered = command.model_copy(
        update={"result": CommandResultType.ACCEPTED, "message": "ok", "last_updated": at(1)}
    )
    await put_all(database, "commands", answered)

    got = await read(database, lambda uow: uow.commands.get("cmd-1"))

    assert got == answered
    assert str(got.limit) == "11000.0"
    operator_command = a_command(
        "cmd-2", type=CommandType.STOP_SESSION, requester=None, reservation_id=None, limit=None
    )
    await put_all(database, "commands", operator_command)
    assert await read(database, lambda uow: uow.commands.get("CMD-2")) == operator_command


async def test_find_reservation_takes_the_latest_of_the_requester(database: Any) -> None:
    older = a_command("c1", created=at(0))
    newer = a_command("c2", reservation_id="RES-0001", created=at(5))
    other_requester = a_command("c3", requester=PartyRef(country_code="FR", party_id="OTH"), created=at(9))
    operator = a_command("c4", requester=None, created=at(9))
    not_a_reservation = a_command("c5", type=CommandType.CANCEL_RESERVATION, created=at(10))
    other_station = a_command("c6", station_id="CP002", created=at(11))
    await put_all(
        database, "commands", older, newer, other_requester, operator, not_a_reservation, other_station
    )

    async def find(station: str, reservation: str, requester: PartyRef | None) -> str | None:
        found = await read(
            database, lambda uow: uow.commands.find_reservation(station, reservation, requester)
        )
        return None if found is None else found.id

    assert await find("cp001", "res-0001", PartyRef(country_code="DE", party_id="MSP")) == "c2"
    assert await find("CP001", "Res-0001", None) == "c4"
    assert await find("CP002", "res-0001", MSP) == "c6"
    assert await find("CP001", "res-9999", MSP) is None


async def test_station_numbers_count_per_station_and_kind(database: Any) -> None:
    async def take(station: str, kind: str) -> int:
        return await committed(database, lambda uow: uow.commands.next_station_number(station, kind))

    assert [await take("CP001", "reservation") for _ in range(3)] == [1, 2, 3]
    assert await take("cp001", "reservation") == 4
    assert await take("CP001", "remote_start") == 1
    assert await take("CP002", "reservation") == 1


async def test_station_numbers_are_unique_under_concurrency(database: Any) -> None:
    async def take() -> int:
        return await committed(database, lambda uow: uow.commands.next_station_number("CP001", "profile"))

    numbers = await asyncio.gather(*(take() for _ in range(20)))

    assert sorted(numbers) == list(range(1, 21))


# --- alarms and station notifications ---------------------------------------------------------


async def test_alarms_open_until_ended(database: Any) -> None:
    first = an_alarm("a1", started=at(1))
    second = an_alarm("a2", started=at(0), evse_uid=None, code="PowerLoss")
    elsewhere = an_alarm("a3", station_id="CP002", started=at(0))
    await put_all(database, "alarms", first, second, elsewhere)

    assert await read(database, lambda uow: uow.alarms.open_alarms("cp001")) == [second, first]

    ended = first.model_copy(update={"ended": at(3), "last_updated": at(3)})
    await put_all(database, "alarms", ended)

    assert await read(database, lambda uow: uow.alarms.open_alarms("CP001")) == [second]
    assert await read(database, lambda uow: uow.alarms.list("CP001")) == [second, ended]
    assert [a.id for a in await read(database, lambda uow: uow.alarms.list())] == ["a2", "a3", "a1"]
    assert [a.id for a in await read(database, lambda uow: uow.alarms.list(offset=1, limit=1))] == ["a3"]


async def test_station_notifications_list_oldest_first_with_kind_and_limit(database: Any) -> None:
    notes = [
        a_notification("n3", timestamp=at(3)),
        a_notification("n1", timestamp=at(1), kind="SecurityEvent", payload={"type": "TamperDetected"}),
        a_notification("n2", timestamp=at(2)),
        a_notification("n4", station_id="CP002", timestamp=at(0)),
    ]
    await put_all(database, "notifications", *notes)

    async def ids(**kwargs: Any) -> list[str]:
        return [n.id for n in await read(database, lambda uow: uow.notifications.list("cp001", **kwargs))]

    assert await ids() == ["n1", "n2", "n3"]
    assert await ids(kind="FirmwareStatus") == ["n2", "n3"]
    assert await ids(limit=2) == ["n2", "n3"]  # the most recent two, oldest first
    assert (await read(database, lambda uow: uow.notifications.list("CP001", kind="SecurityEvent"))) == [
        notes[1]
    ]


async def test_station_notification_ids_are_unique(database: Any) -> None:
    await put_all(database, "notifications", a_notification("n1"))

    with pytest.raises(ConflictError):
        await put_all(database, "notifications", a_notification("N1", payload={}))

    assert await read(database, lambda uow: uow.notifications.list("CP001")) == [a_notification("n1")]


async def test_decimal_precision_survives_large_and_small_values(database: Any) -> None:
    exact = Decimal("12345678901234567890.123456789")
    tiny = Decimal("-0.000000001")
    location = a_location(latitude=tiny, longitude=exact)
    await put_all(database, "locations", location)

    got = await read(database, lambda uow: uow.locations.get(CPO, "LOC001"))

    assert (str(got.latitude), str(got.longitude)) == (str(tiny), str(exact))
