"""Pricing storage contract (issue 6): tariffs keep their incl-VAT bounds, service prices and zero step sizes;
every stored tariff version stays findable by time (also after a delete), `find_tariff` picks the tariff
valid at a session's start; CDR ratings round-trip with exact money; migration 7 keeps existing data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from hub.core.models import (
    CdrCost,
    CdrRating,
    CostDimension,
    CostLine,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.tariffs import find_tariff
from hub.storage import LATEST_VERSION, build_database
from hub.storage.migrations.m0001_initial import schema_v1
from hub.storage.repositories.cdrs import from_core_cdr
from hub.storage.repositories.tariffs import from_core_tariff
from tests.contract.builders import CPO, MSP, T0, a_cdr, a_tariff, at
from tests.contract.conftest import SQL_KINDS
from tests.contract.helpers import committed, put_all, read

BEIJING = timezone(timedelta(hours=8))
OTHER_MSP = PartyRef(country_code="FR", party_id="ABC")


def a_priced_tariff(id: str = "TOU", **overrides: Any) -> Tariff:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "currency": "CNY",
        "elements": (
            TariffElement(
                price_components=(
                    PriceComponent(
                        type=PriceComponentType.ENERGY,
                        price=Decimal("1.2000"),
                        vat=Decimal("13.00"),
                        step_size=0,
                        service_price=Decimal("0.4000"),
                    ),
                    PriceComponent(type=PriceComponentType.PARKING_TIME, price=Decimal("6.00"), step_size=60),
                ),
                restrictions={"start_time": "22:00", "end_time": "06:00"},
            ),
            TariffElement(
                price_components=(
                    PriceComponent(type=PriceComponentType.ENERGY, price=Decimal("1.5"), vat=None),
                )
            ),
        ),
        "min_price_excl_vat": Decimal("1.00"),
        "max_price_excl_vat": Decimal("100.000"),
        "min_price_incl_vat": Decimal("1.13"),
        "max_price_incl_vat": Decimal("113.0000"),
        "last_updated": T0,
    }
    return Tariff(**(values | overrides))


def a_cost(total: str = "12.3450", **overrides: Any) -> CdrCost:
    line = CostLine(
        dimension=CostDimension.ENERGY,
        element=0,
        price=Decimal("0.2500"),
        vat=Decimal("21.0"),
        start=datetime(2026, 3, 1, 20, 0, 0, 123456, tzinfo=BEIJING),
        end=datetime(2026, 3, 1, 21, 30, tzinfo=BEIJING),
        consumed=Decimal("10.0005"),
        billed=Decimal("10.001"),
        amount_excl_vat=Decimal("2.50"),
        amount_incl_vat=Decimal("3.0250"),
        service_price=Decimal("0.1000"),
    )
    values: dict[str, Any] = {
        "currency": "EUR",
        "total_excl_vat": Decimal(total),
        "total_incl_vat": Decimal("14.93745"),
        "fixed_excl_vat": Decimal("0.00"),
        "energy_excl_vat": Decimal("2.50"),
        "energy_incl_vat": Decimal("3.0250"),
        "reservation_incl_vat": Decimal("0E-8"),
        "total_energy_kwh": Decimal("10.0005"),
        "total_time_hours": Decimal("1.500"),
        "total_reservation_time_hours": Decimal("0.25"),
        "clamped": "min_price",
        "lines": (line, line.model_copy(update={"dimension": CostDimension.RESERVATION_FLAT, "vat": None})),
    }
    return CdrCost(**(values | overrides))


def a_rating(cdr_id: str = "Cdr-1", **overrides: Any) -> CdrRating:
    values: dict[str, Any] = {
        "cdr_id": cdr_id,
        "cpo_party": CPO,
        "emsp_party": MSP,
        "session_id": "ses-0001",
        "start": T0,
        "end": at(90),
        "token_uid": "04A1B2C3D4E5F6",
        "cpo_cost": a_cost(),
        "msp_cost": a_cost("15.00", clamped=None, lines=()),
        "msp_tariff_id": "Driver-Std",
        "rated_at": at(120),
    }
    return CdrRating(**(values | overrides))


def exact(model: Any) -> str:
    """The JSON of a model: equal only when every Decimal keeps its digits and every datetime its offset."""
    json: str = model.model_dump_json()
    return json


# --- tariffs and their versions ----------------------------------------------------------------


async def test_a_tariff_keeps_incl_vat_bounds_service_prices_and_zero_steps(database: Any) -> None:
    tariff = a_priced_tariff()
    await put_all(database, "tariffs", tariff)

    got = await read(database, lambda uow: uow.tariffs.get(CPO, "tou"))
    version = await read(database, lambda uow: uow.tariffs.get_at(CPO, "TOU", T0))

    assert got == tariff
    assert version == tariff
    assert exact(got) == exact(tariff)
    assert exact(version) == exact(tariff)
    energy = got.elements[0].price_components[0]
    assert (energy.step_size, str(energy.service_price), str(got.max_price_incl_vat)) == (
        0,
        "0.4000",
        "113.0000",
    )
    assert got.elements[1].price_components[0].vat is None


async def test_get_at_finds_the_version_last_updated_at_or_before(database: Any) -> None:
    first = a_priced_tariff(last_updated=at(0))
    second = a_priced_tariff(min_price_excl_vat=Decimal("2.00"), last_updated=at(10))
    third = a_priced_tariff(min_price_excl_vat=Decimal("3.00"), last_updated=at(20))
    await put_all(database, "tariffs", first, third, second)  # stored out of order on purpose

    async def version_at(minutes: float) -> Tariff | None:
        return await read(database, lambda uow: uow.tariffs.get_at(CPO, "tou", at(minutes)))

    assert await version_at(-0.001) is None
    assert await version_at(0) == first
    assert await version_at(9.99) == first
    assert await version_at(10) == second
    beijing = at(10).astimezone(BEIJING)  # the same instant at another offset
    assert await read(database, lambda uow: uow.tariffs.get_at(CPO, "TOU", beijing)) == second
    assert await version_at(1000) == third
    assert await read(database, lambda uow: uow.tariffs.get(CPO, "TOU")) == second  # the last put
    assert await read(database, lambda uow: uow.tariffs.get_at(MSP, "TOU", at(1000))) is None


async def test_a_put_with_the_same_last_updated_replaces_that_version(database: Any) -> None:
    await put_all(database, "tariffs", a_priced_tariff())
    corrected = a_priced_tariff(currency="EUR")
    await put_all(database, "tariffs", corrected)

    assert await read(database, lambda uow: uow.tariffs.get_at(CPO, "TOU", at(5))) == corrected


async def test_deleting_a_tariff_keeps_its_versions(database: Any) -> None:
    await put_all(database, "tariffs", a_priced_tariff(last_updated=at(0)), a_priced_tariff("Other"))

    async def delete(uow: Any) -> None:
        await uow.tariffs.delete(CPO, "tou")

    await committed(database, delete)

    assert await read(database, lambda uow: uow.tariffs.get(CPO, "TOU")) is None
    assert await read(database, lambda uow: uow.tariffs.get_at(CPO, "TOU", at(1))) == a_priced_tariff()
    assert [t.id for t in await read(database, lambda uow: uow.tariffs.list())] == ["Other"]


async def test_a_rolled_back_put_leaves_no_version(database: Any) -> None:
    async with database.unit_of_work() as uow:
        await uow.tariffs.put(a_priced_tariff())
        assert await uow.tariffs.get_at(CPO, "TOU", at(1)) == a_priced_tariff()
        await uow.rollback()

    assert await read(database, lambda uow: uow.tariffs.get_at(CPO, "TOU", at(1))) is None


# --- find_tariff --------------------------------------------------------------------------------


async def test_find_tariff_without_a_time_takes_the_first_current_tariff(database: Any) -> None:
    await put_all(
        database, "tariffs", a_tariff("STD", start_date_time=None, end_date_time=at(-10)), a_tariff("ALT")
    )

    async def find(uow: Any) -> Tariff | None:
        return await find_tariff(uow, CPO, [None, "", "missing", "std", "ALT"])

    found = await read(database, find)
    assert found is not None
    assert found.id == "STD"  # no time given: validity dates are not looked at (the behaviour before)


async def test_find_tariff_at_a_time_prefers_the_version_valid_then(database: Any) -> None:
    old = a_priced_tariff(currency="EUR", last_updated=at(0))
    new = a_priced_tariff(currency="CNY", last_updated=at(30))
    await put_all(database, "tariffs", old, new)

    async def find(minutes: float) -> Tariff | None:
        return await read(database, lambda uow: find_tariff(uow, CPO, ["TOU"], at=at(minutes)))

    assert await find(29) == old
    assert await find(30) == new
    # before any version: the current tariff (a tariff published after the session began still prices it)
    assert await find(-5) == new


async def test_find_tariff_at_a_time_passes_over_tariffs_not_in_force(database: Any) -> None:
    await put_all(
        database,
        "tariffs",
        a_tariff("Ended", start_date_time=None, end_date_time=at(60), last_updated=at(-100)),
        a_tariff("Later", start_date_time=at(120), last_updated=at(-100)),
        a_tariff("Always", start_date_time=None, last_updated=at(-100)),
    )
    ids = ("Ended", "Later", "Always")

    async def find(minutes: float) -> str | None:
        found = await read(database, lambda uow: find_tariff(uow, CPO, ids, at=at(minutes)))
        return None if found is None else found.id

    assert await find(59) == "Ended"
    assert await find(60) == "Always"  # end_date_time is exclusive
    assert await find(119) == "Always"
    assert await find(120) == "Later"  # in force from its start_date_time on
    assert await read(database, lambda uow: find_tariff(uow, CPO, ["Ended"], at=at(60))) is None


# --- CDR ratings --------------------------------------------------------------------------------


async def test_a_rating_round_trips_with_exact_money_and_times(database: Any) -> None:
    rating = a_rating()
    await put_all(database, "ratings", rating)

    got = await read(
        database, lambda uow: uow.ratings.get(PartyRef(country_code="nl", party_id="cpo"), "CDR-1")
    )

    assert got == rating
    assert exact(got) == exact(rating)
    assert got is not None
    line = got.cpo_cost.lines[0]
    assert line.start.utcoffset() == timedelta(hours=8)
    assert (str(line.billed), str(got.cpo_cost.total_excl_vat)) == ("10.001", "12.3450")
    assert str(got.cpo_cost.reservation_incl_vat) == "0E-8"
    assert await read(database, lambda uow: uow.ratings.get(MSP, "Cdr-1")) is None


async def test_rating_again_replaces_and_a_credit_keeps_negative_totals(database: Any) -> None:
    await put_all(database, "ratings", a_rating())
    again = a_rating(msp_cost=None, msp_tariff_id=None, session_id=None, rated_at=at(200))
    credit = a_rating(
        "Cdr-1-credit",
        cpo_cost=a_cost("-12.3450", total_incl_vat=Decimal("-14.93745")),
        credit=True,
        credit_reference_id="Cdr-1",
        rated_at=at(300),
    )
    await put_all(database, "ratings", again, credit)

    assert await read(database, lambda uow: uow.ratings.list()) == [again, credit]
    got = await read(database, lambda uow: uow.ratings.get(CPO, "cdr-1-CREDIT"))
    assert got is not None
    assert str(got.cpo_cost.total_excl_vat) == "-12.3450"
    assert (got.credit, got.credit_reference_id) == (True, "Cdr-1")


async def test_ratings_list_by_rated_at_filtered_by_emsp_and_paged(database: Any) -> None:
    other_cpo = PartyRef(country_code="DE", party_id="XYZ")
    await put_all(
        database,
        "ratings",
        a_rating("C", rated_at=at(2)),
        a_rating("B", rated_at=at(1)),
        a_rating("A", rated_at=at(2), cpo_party=other_cpo),
        a_rating("D", rated_at=at(0), emsp_party=OTHER_MSP),
    )

    async def ids(**kwargs: Any) -> list[str]:
        return [r.cdr_id for r in await read(database, lambda uow: uow.ratings.list(**kwargs))]

    assert await ids() == ["D", "B", "A", "C"]
    assert await ids(emsp_party=PartyRef(country_code="de", party_id="MSP")) == ["B", "A", "C"]
    assert await ids(emsp_party=MSP, offset=1, limit=1) == ["A"]
    assert await ids(emsp_party=OTHER_MSP) == ["D"]
    assert await ids(offset=4) == []


# --- migration 7 --------------------------------------------------------------------------------


@pytest.mark.parametrize("sql_url", SQL_KINDS, indirect=True)
async def test_upgrading_to_pricing_keeps_tariffs_and_makes_them_their_first_version(sql_url: str) -> None:
    db = build_database(sql_url)
    try:
        assert await db.migrate(target=6) == [1, 2, 3, 4, 5, 6]
        tariffs = [a_tariff("Std", last_updated=at(5)), a_tariff("Bare", source=None, start_date_time=None)]
        cdr = a_cdr()
        new_columns = {"min_price_incl_vat", "max_price_incl_vat"}
        tx = db.transaction()
        for tariff in tariffs:
            row = {k: v for k, v in from_core_tariff(tariff).items() if k not in new_columns}
            await tx.write(insert(schema_v1().tables["tariffs"]), row)
        await tx.write(insert(schema_v1().tables["cdrs"]), from_core_cdr(cdr))
        await tx.commit()
        await tx.close()

        assert await db.migrate() == list(range(7, LATEST_VERSION + 1))

        async with db.unit_of_work() as uow:
            assert await uow.tariffs.list() == [tariffs[1], tariffs[0]]
            assert await uow.tariffs.get_at(CPO, "std", at(5)) == tariffs[0]
            assert await uow.tariffs.get_at(CPO, "std", at(4)) is None
            assert await uow.tariffs.get_at(CPO, "BARE", datetime(2030, 1, 1, tzinfo=UTC)) == tariffs[1]
            assert await uow.cdrs.get("cdr-0001") == cdr
            assert await uow.ratings.list() == []
            await uow.tariffs.put(a_priced_tariff("Std", last_updated=at(10)))
            await uow.ratings.put(a_rating())
            await uow.commit()
        async with db.unit_of_work() as uow:
            assert await uow.tariffs.get_at(CPO, "STD", at(9)) == tariffs[0]
            assert await uow.tariffs.get_at(CPO, "STD", at(10)) == a_priced_tariff("Std", last_updated=at(10))
            assert await uow.ratings.get(CPO, "cdr-1") == a_rating()
    finally:
        await db.close()
