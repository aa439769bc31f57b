"""Partner record repository contract: objects partners pushed round-trip verbatim (Decimals exact, unknown
fields kept), are found case-insensitively by (module, party, id), listed by last_updated then id with
date_from inclusive and date_to exclusive, counted and deleted, the same on every backend. Also the wire
JSON codec the SQL backends store `data` with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import PartnerRecord, PartyRef
from hub.storage.repositories.records import dump_wire_json, load_wire_json
from tests.contract.builders import T0, at
from tests.contract.helpers import committed, put_all, read

OWNER = PartyRef(country_code="DE", party_id="Abc")
OTHER = PartyRef(country_code="FR", party_id="Zzz")


def a_record(record_id: str = "Loc-1", module: str = "locations", **overrides: Any) -> PartnerRecord:
    values: dict[str, Any] = {
        "module": module,
        "party": OWNER,
        "id": record_id,
        "data": {
            "country_code": "DE",
            "party_id": "Abc",
            "id": record_id,
            "coordinates": {"latitude": Decimal("52.3702160"), "longitude": Decimal("4.8951680")},
            "evses": [{"uid": "E1", "max_power": Decimal("1.1E+4"), "parking_floor": None}],
            "publish": True,
            "charging_when_closed": False,
            "count": 3,
            "name": "Parkhaus 北京 ü",
            "x_vendor_extension": {"nested": ["a", Decimal("-0.000"), 0]},
        },
        "last_updated": T0,
    }
    return PartnerRecord(**(values | overrides))


async def test_record_round_trips_with_exact_decimals_and_unknown_fields(database: Any) -> None:
    record = a_record()
    await put_all(database, "records", record)

    got = await read(database, lambda uow: uow.records.get("locations", OWNER, "Loc-1"))

    assert got == record
    latitude = got.data["coordinates"]["latitude"]
    assert isinstance(latitude, Decimal)
    assert str(latitude) == "52.3702160"  # trailing zeros kept
    assert str(got.data["evses"][0]["max_power"]) == "1.1E+4"
    assert got.data["x_vendor_extension"] == {"nested": ["a", Decimal("-0.000"), 0]}


async def test_get_is_case_insensitive_on_party_and_id_and_keeps_the_spelling(database: Any) -> None:
    await put_all(database, "records", a_record("Loc-1"))

    got = await read(database, lambda uow: uow.records.get("locations", PartyRef.parse("de*ABC"), "LOC-1"))

    assert got is not None
    assert got.id == "Loc-1"
    assert got.party.party_id == "Abc"


async def test_put_replaces_whatever_the_case_of_the_id(database: Any) -> None:
    await put_all(database, "records", a_record("Loc-1"))
    replacement = a_record("LOC-1", data={"id": "LOC-1", "name": "new"}, last_updated=at(5))
    await put_all(database, "records", replacement)

    listed = await read(database, lambda uow: uow.records.list("locations"))

    assert listed == [replacement]


async def test_modules_and_parties_are_separate(database: Any) -> None:
    location = a_record("X1", module="locations")
    tariff = a_record("X1", module="tariffs", data={"id": "X1"})
    foreign = a_record("X1", module="locations", party=OTHER, data={"id": "X1", "other": True})
    await put_all(database, "records", location, tariff, foreign)

    async def get(module: str, party: PartyRef) -> PartnerRecord | None:
        return await read(database, lambda uow: uow.records.get(module, party, "x1"))

    assert await get("locations", OWNER) == location
    assert await get("tariffs", OWNER) == tariff
    assert await get("locations", OTHER) == foreign
    assert await get("sessions", OWNER) is None


async def test_delete_removes_one_record_and_ignores_missing_ones(database: Any) -> None:
    keep, gone = a_record("T1", module="tariffs"), a_record("T2", module="tariffs")
    await put_all(database, "records", keep, gone)

    async def delete(uow: Any) -> None:
        await uow.records.delete("tariffs", PartyRef.parse("DE*ABC"), "t2")
        await uow.records.delete("tariffs", OWNER, "no-such-tariff")
        await uow.records.delete("locations", OWNER, "T1")  # another module: nothing to delete

    await committed(database, delete)

    assert await read(database, lambda uow: uow.records.list("tariffs")) == [keep]


async def test_uncommitted_records_are_not_stored(database: Any) -> None:
    async def put_without_commit(uow: Any) -> None:
        await uow.records.put(a_record())

    await read(database, put_without_commit)

    assert await read(database, lambda uow: uow.records.count("locations")) == 0


async def test_list_orders_by_last_updated_then_id_and_filters_by_party(database: Any) -> None:
    records = [
        a_record("b", last_updated=at(1)),
        a_record("a", last_updated=at(1)),
        a_record("c", last_updated=at(0)),
        a_record("d", party=OTHER, last_updated=at(2)),
        a_record("e", module="sessions", last_updated=at(0)),
    ]
    await put_all(database, "records", *records)

    everyone = await read(database, lambda uow: uow.records.list("locations"))
    owner_only = await read(database, lambda uow: uow.records.list("locations", PartyRef.parse("de*abc")))

    assert [r.id for r in everyone] == ["c", "a", "b", "d"]
    assert [r.id for r in owner_only] == ["c", "a", "b"]
    assert await read(database, lambda uow: uow.records.count("locations")) == 4
    assert await read(database, lambda uow: uow.records.count("locations", OTHER)) == 1
    assert await read(database, lambda uow: uow.records.count("cdrs")) == 0


async def test_date_from_is_inclusive_date_to_exclusive_and_pages_follow_the_order(database: Any) -> None:
    await put_all(database, "records", *(a_record(f"r{n}", last_updated=at(n)) for n in range(6)))

    async def ids(**kwargs: Any) -> list[str]:
        return [r.id for r in await read(database, lambda uow: uow.records.list("locations", **kwargs))]

    async def count(**kwargs: Any) -> int:
        return await read(database, lambda uow: uow.records.count("locations", **kwargs))

    assert await ids(date_from=at(1), date_to=at(4)) == ["r1", "r2", "r3"]
    assert await count(date_from=at(1), date_to=at(4)) == 3
    assert await ids(date_from=at(4)) == ["r4", "r5"]
    assert await ids(date_to=at(1)) == ["r0"]
    assert await ids(offset=2, limit=2) == ["r2", "r3"]
    assert await ids(date_from=at(1), offset=3, limit=10) == ["r4", "r5"]
    assert await ids(offset=10) == []
    assert await count(party=OWNER, date_from=at(5)) == 1


# --- the wire JSON codec of the SQL backends -----------------------------------------------------

_keys = st.text(max_size=8)
_decimals = st.decimals(allow_nan=False, allow_infinity=False)
_scalars = st.none() | st.booleans() | st.integers() | _decimals | st.text()
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_keys, _json_values, max_size=5))
def test_wire_json_round_trips_decimals_exactly(data: dict[str, Any]) -> None:
    text = dump_wire_json(data)

    back = load_wire_json(text)

    assert back == data
    assert dump_wire_json(back) == text  # the same digits: Decimal("1.50") stays 1.50, never a float


def test_wire_json_writes_decimals_as_numbers() -> None:
    text = dump_wire_json({"kwh": Decimal("1.500"), "big": Decimal("1E+30"), "n": 2, "s": 'Ü"\n'})

    assert text == '{"kwh":1.500,"big":1E+30,"n":2,"s":"Ü\\"\\n"}'
