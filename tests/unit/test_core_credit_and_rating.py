"""Credit CDRs (CD-10: a correction is a credit CDR with the original's data and negated money, then maybe a
new CDR, never an edit) and re-rating of partner CDRs with our eMSP's customer tariff, on the core with the
in-memory database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.cdrs import negate_cost
from hub.core.errors import ConflictError, InvalidRequestError, NotFoundError, RejectedError
from hub.core.events import CdrCreated
from hub.core.models import (
    Cdr,
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    PriceComponent,
    PriceComponentType,
    TariffElement,
)
from tests.unit.core_kit import (
    CPO,
    MSP,
    OWN_UID,
    ROAMER,
    STATION,
    T0,
    Kit,
    a_start,
    a_stop,
    a_tariff,
    at,
    make_kit,
)

CUSTOMER = "CUSTOMER"


async def charged(kit: Kit) -> Cdr:
    """A 20 kWh hour at CP001 with tariff STD (2.00 flat + 0.25/kWh, 21 % VAT): 7.00 / 8.47."""
    await kit.online()
    cp = kit.core.chargepoints
    start = await cp.transaction(STATION, a_start())
    await cp.transaction(STATION, a_stop(start.transaction_id, 60, meter_wh=Decimal(21000)))
    (cdr,) = kit.db.committed("cdrs")
    kit.events.clear()
    return cdr


def zero_free_of_sign(amount: Decimal | None) -> bool:
    return amount is None or amount != 0 or not amount.is_signed()


# --- credit -------------------------------------------------------------------------------------------


async def test_a_credit_cdr_repeats_the_data_with_every_amount_negated() -> None:
    kit = await make_kit()
    original = await charged(kit)
    rows = len(kit.outbox())
    now = kit.clock.advance(days=2)

    credit = await kit.core.cdrs.credit(original.id, "meter misread")

    assert (credit.id, credit.credit, credit.credit_reference_id) == (f"{original.id}-C", True, original.id)
    assert (credit.remark, credit.last_updated) == ("meter misread", now)
    same = ("party", "session_id", "start", "end", "location_id", "evse_uid", "token_uid", "token_party")
    assert all(getattr(credit, name) == getattr(original, name) for name in same)
    assert credit.charging_periods == original.charging_periods
    cost, was = credit.cost, original.cost
    assert (cost.total_excl_vat, cost.total_incl_vat) == (Decimal("-7.00"), Decimal("-8.47"))
    assert (cost.fixed_excl_vat, cost.energy_excl_vat) == (Decimal("-2.00"), Decimal("-5.00"))
    assert (cost.total_energy_kwh, cost.total_time_hours) == (was.total_energy_kwh, was.total_time_hours)
    assert [line.amount_excl_vat for line in cost.lines] == [-line.amount_excl_vat for line in was.lines]
    assert [line.price for line in cost.lines] == [line.price for line in was.lines]
    assert zero_free_of_sign(cost.time_excl_vat)  # "0.00" on the wire, never "-0.00"
    assert await kit.core.cdrs.get(credit.id) == credit
    (row,) = kit.outbox()[rows:]
    assert (row.topic, row.key, row.payload["id"]) == (
        "cdr.created",
        f"session:{original.session_id}",
        credit.id,
    )
    assert row.payload["credit"] is True
    assert [e.cdr for e in kit.events_of(CdrCreated)] == [credit]


async def test_a_cdr_is_credited_once_and_a_credit_cdr_never() -> None:
    kit = await make_kit()
    original = await charged(kit)
    credit = await kit.core.cdrs.credit(original.id, None)
    assert credit.remark == original.remark
    rows = len(kit.outbox())

    with pytest.raises(ConflictError, match=f"already credited by {credit.id}"):
        await kit.core.cdrs.credit(original.id, "again")
    with pytest.raises(RejectedError, match="is a credit CDR"):
        await kit.core.cdrs.credit(credit.id, None)
    with pytest.raises(RejectedError, match="is a credit CDR"):
        await kit.core.cdrs.correct(credit.id)
    with pytest.raises(NotFoundError, match="unknown CDR nope"):
        await kit.core.cdrs.credit("nope", None)

    assert len(kit.db.committed("cdrs")) == 2
    assert len(kit.outbox()) == rows


async def test_an_id_with_no_room_for_the_credit_suffix_is_refused() -> None:
    kit = await make_kit()
    original = await charged(kit)
    long = original.model_copy(update={"id": "X" * 38})
    async with kit.db.unit_of_work() as uow:
        await uow.cdrs.add(long)
        await uow.commit()
    with pytest.raises(RejectedError, match="CD-03"):
        await kit.core.cdrs.credit(long.id, None)


# --- correct: credit plus a new CDR priced again ---------------------------------------------------------


async def test_correct_credits_and_reprices_with_the_tariff_as_it_was_at_the_start() -> None:
    kit = await make_kit()
    original = await charged(kit)
    # The tariff changed after the session: the correction still uses the version in force at its start.
    raised = a_tariff(
        elements=(
            TariffElement(
                price_components=(PriceComponent(type=PriceComponentType.ENERGY, price=Decimal(1)),)
            ),
        ),
        last_updated=at(24 * 60),
    )
    await kit.core.tariffs.put(raised)
    rows = len(kit.outbox())

    credit, replacement = await kit.core.cdrs.correct(original.id)

    assert credit.cost.total_excl_vat == Decimal("-7.00")
    assert replacement.id not in (original.id, credit.id)
    assert (replacement.credit, replacement.credit_reference_id) == (False, None)
    assert (replacement.tariff_id, replacement.cost.total_excl_vat) == ("STD", Decimal("7.00"))
    assert replacement.remark == f"replaces CDR {original.id}"
    assert [(r.topic, r.payload["id"]) for r in kit.outbox()[rows:]] == [
        ("cdr.created", credit.id),
        ("cdr.created", replacement.id),
    ]
    assert [e.cdr.id for e in kit.events_of(CdrCreated)] == [credit.id, replacement.id]


async def test_correct_with_another_tariff_prices_the_same_periods_with_it() -> None:
    kit = await make_kit()
    original = await charged(kit)
    energy_only = a_tariff(
        id="FIX",
        elements=(
            TariffElement(
                price_components=(
                    PriceComponent(type=PriceComponentType.ENERGY, price=Decimal("0.30"), vat=Decimal(21)),
                )
            ),
        ),
    )
    await kit.core.tariffs.put(energy_only)

    credit, replacement = await kit.core.cdrs.correct(original.id, energy_only, reason="wrong tariff")

    assert credit.remark == "wrong tariff"
    assert (replacement.tariff_id, replacement.cost.total_excl_vat) == ("FIX", Decimal("6.00"))
    assert replacement.cost.total_incl_vat == Decimal("7.26")
    assert replacement.cost.total_energy_kwh == original.cost.total_energy_kwh
    with pytest.raises(ConflictError):  # the original is credited now: no second correction
        await kit.core.cdrs.correct(original.id, energy_only)


# --- negated money, for any cost ------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
maybe_money = st.none() | money


@st.composite
def costs(draw: Any) -> CdrCost:
    line = CostLine(
        dimension=CostDimension.ENERGY,
        element=0,
        price=draw(money),
        vat=Decimal(21),
        start=T0,
        end=T0 + timedelta(hours=1),
        consumed=draw(money),
        billed=draw(money),
        amount_excl_vat=draw(money),
        amount_incl_vat=draw(maybe_money),
    )
    return CdrCost(
        currency="EUR",
        total_excl_vat=draw(money),
        total_incl_vat=draw(maybe_money),
        fixed_excl_vat=draw(money),
        energy_excl_vat=draw(money),
        parking_incl_vat=draw(maybe_money),
        total_energy_kwh=draw(money),
        total_time_hours=draw(money),
        lines=(line,),
    )


@given(costs())
def test_negated_money_cancels_the_original_and_leaves_quantities(cost: CdrCost) -> None:
    negated = negate_cost(cost)
    assert negate_cost(negated) == cost
    assert cost.total_excl_vat + negated.total_excl_vat == 0
    assert negated.total_excl_vat <= 0
    assert (negated.total_energy_kwh, negated.total_time_hours) == (
        cost.total_energy_kwh,
        cost.total_time_hours,
    )
    assert negated.lines[0].price == cost.lines[0].price
    assert negated.lines[0].billed == cost.lines[0].billed
    assert (negated.total_incl_vat is None) == (cost.total_incl_vat is None)
    amounts = (
        negated.total_excl_vat,
        negated.total_incl_vat,
        negated.fixed_excl_vat,
        negated.parking_incl_vat,
    )
    assert all(zero_free_of_sign(a) for a in amounts)


# --- re-rating partner CDRs ------------------------------------------------------------------------------


def partner_cdr(cdr_id: str = "CDR-1", kwh: str = "12.5", **overrides: Any) -> Cdr:
    """A CDR of the partner CPO DE*ABC for our eMSP's token: 09:00-10:00 UTC, 5.13 / 6.21 EUR."""
    values: dict[str, Any] = {
        "id": cdr_id,
        "party": ROAMER,
        "session_id": "SES-1",
        "start": T0,
        "end": at(60),
        "location_id": "LOC-B",
        "token_uid": OWN_UID,
        "token_party": MSP,
        "cost": CdrCost(
            currency="EUR",
            total_excl_vat=Decimal("5.13"),
            total_incl_vat=Decimal("6.21"),
            energy_excl_vat=Decimal("5.13"),
            total_energy_kwh=Decimal(kwh),
            total_time_hours=Decimal(1),
        ),
        "charging_periods": (
            ChargingPeriod(
                start_date_time=T0,
                dimensions=(
                    Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),
                    Dimension(type=DimensionType.TIME, volume=Decimal(1)),
                ),
            ),
        ),
        "last_updated": at(61),
    }
    values.update(overrides)
    return Cdr(**values)


def energy_price(price: str, **restrictions: Any) -> TariffElement:
    component = PriceComponent(type=PriceComponentType.ENERGY, price=Decimal(price), vat=Decimal(21))
    return TariffElement(price_components=(component,), restrictions=restrictions or None)


async def with_customer_tariff(kit: Kit, *elements: TariffElement) -> None:
    tariff = a_tariff(id=CUSTOMER, party=MSP, elements=elements or (energy_price("0.40"),))
    await kit.core.tariffs.put(tariff)
    kit.core.ratings.use_customer_tariff(MSP, CUSTOMER)


async def test_without_a_customer_tariff_only_the_cpo_price_is_kept() -> None:
    kit = await make_kit()
    cdr = partner_cdr()

    rating = await kit.core.ratings.rate(cdr, MSP, "Europe/Berlin")

    assert (rating.cdr_id, rating.cpo_party, rating.emsp_party) == ("CDR-1", ROAMER, MSP)
    assert (rating.cpo_cost, rating.msp_cost, rating.msp_tariff_id) == (cdr.cost, None, None)
    assert (rating.session_id, rating.token_uid, rating.start, rating.end) == ("SES-1", OWN_UID, T0, at(60))
    assert rating.rated_at == kit.clock.now()
    assert await kit.core.ratings.get(ROAMER, "cdr-1") == rating
    assert list(await kit.core.ratings.list(MSP)) == [rating]
    assert list(await kit.core.ratings.list(CPO)) == []


async def test_the_customer_tariff_prices_the_partner_cdr_beside_the_cpo_price() -> None:
    kit = await make_kit()
    await with_customer_tariff(kit)

    rating = await kit.core.ratings.rate(partner_cdr(), MSP, None)

    assert rating.cpo_cost.total_excl_vat == Decimal("5.13")
    assert rating.msp_cost is not None
    assert (rating.msp_cost.total_excl_vat, rating.msp_cost.total_incl_vat) == (
        Decimal("5.00"),
        Decimal("6.05"),
    )
    assert (rating.msp_tariff_id, rating.credit) == (CUSTOMER, False)
    assert [r.cdr_id for r in await kit.core.ratings.find("cdr-1")] == ["CDR-1"]
    assert list(await kit.core.ratings.find("CDR-1", CPO)) == []


async def test_time_of_day_prices_use_the_location_time_zone_else_utc() -> None:
    kit = await make_kit()
    # 0.50 from 10:00 local, 0.20 otherwise; the CDR runs 09:00-10:00 UTC = 10:00-11:00 in Berlin.
    await with_customer_tariff(
        kit, energy_price("0.50", start_time="10:00", end_time="22:00"), energy_price("0.20")
    )
    cdr = partner_cdr(kwh="10")

    berlin = await kit.core.ratings.rate(cdr, MSP, "Europe/Berlin")
    assert berlin.msp_cost is not None
    assert berlin.msp_cost.total_excl_vat == Decimal("5.00")
    utc = await kit.core.ratings.rate(cdr, MSP, None)
    assert utc.msp_cost is not None
    assert utc.msp_cost.total_excl_vat == Decimal("2.00")
    assert list(await kit.core.ratings.list(MSP)) == [utc]  # rated again: replaced


async def test_a_credit_cdr_is_rated_negative_even_when_its_volumes_are_negated() -> None:
    kit = await make_kit()
    await with_customer_tariff(kit)
    original = partner_cdr()
    credit = partner_cdr(
        "CDR-1-C",
        credit=True,
        credit_reference_id="CDR-1",
        cost=negate_cost(original.cost),
        charging_periods=(
            ChargingPeriod(
                start_date_time=T0,
                dimensions=(
                    Dimension(type=DimensionType.ENERGY, volume=Decimal("-12.5")),
                    Dimension(type=DimensionType.TIME, volume=Decimal(1)),
                ),
            ),
        ),
    )

    rating = await kit.core.ratings.rate(credit, MSP, None)

    assert (rating.credit, rating.credit_reference_id) == (True, "CDR-1")
    assert rating.cpo_cost.total_excl_vat == Decimal("-5.13")
    assert rating.msp_cost is not None
    assert (rating.msp_cost.total_excl_vat, rating.msp_cost.total_incl_vat) == (
        Decimal("-5.00"),
        Decimal("-6.05"),
    )
    assert rating.msp_cost.total_energy_kwh == Decimal("12.5")


async def test_a_cdr_whose_periods_cannot_be_priced_is_refused_and_nothing_stored() -> None:
    kit = await make_kit()
    await with_customer_tariff(kit)
    late = ChargingPeriod(
        start_date_time=at(90), dimensions=(Dimension(type=DimensionType.ENERGY, volume=Decimal(1)),)
    )
    with pytest.raises(InvalidRequestError, match="charging_periods"):
        await kit.core.ratings.rate(partner_cdr(charging_periods=(late,)), MSP, None)
    assert list(await kit.core.ratings.list()) == []
    kit.core.ratings.use_customer_tariff(MSP, None)
    assert kit.core.ratings.customer_tariff_id(MSP) is None
