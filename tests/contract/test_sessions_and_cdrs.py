"""Repository contract: sessions (lookups the OCPP hot path uses, paging, transaction numbers) and CDRs
(immutable, priced) behave the same on every backend."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import ConflictError
from hub.core.models import CdrCost, PartyRef, SessionStatus
from tests.contract.builders import CPO, MSP, a_cdr, a_party, a_session, at
from tests.contract.helpers import committed, put_all, read

# --- sessions ---------------------------------------------------------------------------------


async def test_session_round_trips_with_periods_and_exact_decimals(database: Any) -> None:
    session = a_session()
    await put_all(database, "sessions", session)

    got = await read(database, lambda uow: uow.sessions.get("SES-0001"))

    assert got == session
    assert (str(got.kwh), str(got.meter_start_wh), str(got.total_cost)) == ("1.5005", "1000.0", "2.3751")
    assert str(got.charging_periods[1].dimensions[0].volume) == "0.0005"
    assert got.token_party == MSP
    assert got.token_party.party_id == "Msp"


async def test_session_with_only_required_fields_round_trips(database: Any) -> None:
    bare = a_session(
        "bare",
        status=SessionStatus.PENDING,
        location_id=None,
        evse_uid=None,
        connector_id=None,
        station_id=None,
        transaction_id=None,
        token_party=None,
        contract_id=None,
        authorization_reference=None,
        meter_start_wh=None,
        meter_last_wh=None,
        kwh=Decimal(0),
        charging_periods=(),
        tariff_id=None,
        total_cost=None,
        last_seq_no=None,
    )
    await put_all(database, "sessions", bare)

    assert await read(database, lambda uow: uow.sessions.get("bare")) == bare


async def test_session_put_replaces(database: Any) -> None:
    await put_all(database, "sessions", a_session())
    done = a_session(
        status=SessionStatus.COMPLETED, end=at(30), stop_reason="EVDisconnected", last_updated=at(30)
    )
    await put_all(database, "sessions", done)

    assert await read(database, lambda uow: uow.sessions.get("ses-0001")) == done


async def test_find_by_transaction_matches_station_case_insensitively(database: Any) -> None:
    session = a_session(station_id="Cp-001", transaction_id="Tx-17")
    await put_all(
        database, "sessions", session, a_session("other", station_id="CP002", transaction_id="Tx-17")
    )

    assert await read(database, lambda uow: uow.sessions.find_by_transaction("cp-001", "Tx-17")) == session
    assert await read(database, lambda uow: uow.sessions.find_by_transaction("CP-001", "Tx-18")) is None
    assert await read(database, lambda uow: uow.sessions.find_by_transaction("CP003", "Tx-17")) is None


async def test_find_by_idempotency_key(database: Any) -> None:
    session = a_session(idempotency_key="ocpi:DE*MSP:start:42")
    await put_all(database, "sessions", session, a_session("other"))

    assert (
        await read(database, lambda uow: uow.sessions.find_by_idempotency_key("ocpi:DE*MSP:start:42"))
        == session
    )
    assert (
        await read(database, lambda uow: uow.sessions.find_by_idempotency_key("ocpi:DE*MSP:start:43")) is None
    )


async def test_idempotency_key_belongs_to_one_session(database: Any) -> None:
    await put_all(database, "sessions", a_session("first", idempotency_key="k-1"))

    with pytest.raises(ConflictError):
        await put_all(database, "sessions", a_session("second", idempotency_key="k-1"))

    assert await read(database, lambda uow: uow.sessions.get("second")) is None


async def test_find_active_lists_pending_and_active_sessions_oldest_first(database: Any) -> None:
    sessions = [
        a_session("pending", status=SessionStatus.PENDING, start=at(2), evse_uid="LOC001*1"),
        a_session("active", status=SessionStatus.ACTIVE, start=at(1), evse_uid="LOC001*1"),
        a_session("done", status=SessionStatus.COMPLETED, start=at(0)),
        a_session("invalid", status=SessionStatus.INVALID, start=at(0)),
        a_session("elsewhere", station_id="CP002", start=at(0)),
        a_session("second-evse", start=at(3), evse_uid="LOC001*2"),
    ]
    await put_all(database, "sessions", *sessions)

    async def ids(*args: Any) -> list[str]:
        return [s.id for s in await read(database, lambda uow: uow.sessions.find_active(*args))]

    assert await ids("cp001") == ["active", "pending", "second-evse"]
    assert await ids("CP001", "loc001*2") == ["second-evse"]
    assert await ids("CP001", "LOC001*1") == ["active", "pending"]
    assert await ids("CP009") == []


async def test_find_pending_remote_start(database: Any) -> None:
    pending = a_session("p", status=SessionStatus.PENDING, remote_start_id=5, transaction_id=None)
    started = a_session("s", status=SessionStatus.ACTIVE, remote_start_id=6)
    await put_all(database, "sessions", pending, started)

    assert await read(database, lambda uow: uow.sessions.find_pending_remote_start("cp001", 5)) == pending
    assert await read(database, lambda uow: uow.sessions.find_pending_remote_start("CP001", 6)) is None
    assert await read(database, lambda uow: uow.sessions.find_pending_remote_start("CP002", 5)) is None


async def test_session_list_pages_by_last_updated_then_id(database: Any) -> None:
    await put_all(
        database,
        "sessions",
        a_session("s3", last_updated=at(2)),
        a_session("s2", last_updated=at(1)),
        a_session("s1", last_updated=at(1)),
        a_session("s0", last_updated=at(0)),
        a_session("m1", party=MSP, last_updated=at(1)),
    )

    async def ids(**kwargs: Any) -> list[str]:
        return [s.id for s in await read(database, lambda uow: uow.sessions.list(**kwargs))]

    assert await ids() == ["s0", "m1", "s1", "s2", "s3"]
    assert await ids(party=PartyRef(country_code="nl", party_id="cpo")) == ["s0", "s1", "s2", "s3"]
    assert await ids(date_from=at(1), date_to=at(2)) == ["m1", "s1", "s2"]
    assert await ids(party=CPO, offset=1, limit=2) == ["s1", "s2"]


async def test_transaction_numbers_increase_and_are_never_handed_out_twice(database: Any) -> None:
    first = await committed(database, lambda uow: uow.sessions.next_transaction_number())
    async with database.unit_of_work() as uow:
        discarded = await uow.sessions.next_transaction_number()
        await uow.rollback()
    after_rollback = await committed(database, lambda uow: uow.sessions.next_transaction_number())

    assert 1 <= first < discarded < after_rollback <= 2**31 - 1


async def test_transaction_numbers_are_unique_under_concurrency(database: Any) -> None:
    async def take() -> int:
        async with database.unit_of_work() as uow:
            number = await uow.sessions.next_transaction_number()
            await uow.sessions.put(a_session(f"s{number}", transaction_id=str(number)))
            await uow.commit()
            return int(number)

    numbers = await asyncio.gather(*(take() for _ in range(25)))

    assert len(set(numbers)) == 25


# --- CDRs -------------------------------------------------------------------------------------


async def test_cdr_round_trips_with_its_cost(database: Any) -> None:
    cdr = a_cdr()
    await put_all(database, "cdrs", cdr)

    got = await read(database, lambda uow: uow.cdrs.get("CDR-0001"))

    assert got == cdr
    assert str(got.cost.total_incl_vat) == "2.873871"
    assert str(got.cost.fixed_excl_vat) == "2.00"


async def test_cdr_without_vat_keeps_none(database: Any) -> None:
    cdr = a_cdr(
        "no-vat", cost=CdrCost(currency="EUR", total_excl_vat=Decimal("1.10")), credit=True, remark="x"
    )
    await put_all(database, "cdrs", cdr)

    got = await read(database, lambda uow: uow.cdrs.get("no-vat"))

    assert got == cdr
    assert got.cost.total_incl_vat is None


async def test_cdrs_are_immutable(database: Any) -> None:
    original = a_cdr("cdr-1")
    await put_all(database, "cdrs", original)

    async def add_again_then_go_on(uow: Any) -> None:
        with pytest.raises(ConflictError):
            await uow.cdrs.add(a_cdr("CDR-1", remark="changed"))
        await uow.parties.put(a_party())  # the unit of work stays usable

    await committed(database, add_again_then_go_on)

    assert await read(database, lambda uow: uow.cdrs.get("cdr-1")) == original
    assert await read(database, lambda uow: uow.parties.get(CPO)) == a_party()


async def test_cdrs_by_session_and_list_pages(database: Any) -> None:
    await put_all(
        database,
        "cdrs",
        a_cdr("c2", session_id="Ses-A", last_updated=at(2)),
        a_cdr("c1", session_id="Ses-A", last_updated=at(1)),
        a_cdr("c3", session_id="ses-b", last_updated=at(1)),
        a_cdr("m1", party=MSP, session_id="ses-c", last_updated=at(3)),
    )

    by_session = await read(database, lambda uow: uow.cdrs.find_by_session("SES-a"))
    assert [c.id for c in by_session] == ["c1", "c2"]
    assert await read(database, lambda uow: uow.cdrs.find_by_session("none")) == []

    async def ids(**kwargs: Any) -> list[str]:
        return [c.id for c in await read(database, lambda uow: uow.cdrs.list(**kwargs))]

    assert await ids() == ["c1", "c3", "c2", "m1"]
    assert await ids(party=CPO, date_from=at(1), date_to=at(2)) == ["c1", "c3"]
    assert await ids(offset=2, limit=5) == ["c2", "m1"]
    assert await ids(party=MSP) == ["m1"]
