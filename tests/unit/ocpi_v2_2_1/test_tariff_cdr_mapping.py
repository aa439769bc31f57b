"""Priced CDRs and tariffs on the wire (issue 6): min/max incl. VAT, step_size 0 (TA-12) and our own
`service_price` in tariffs; VAT-inclusive sub-totals, credit and reservation costs in CDRs (TA-14, CD-10);
reading a partner's CDR (`to_core_cdr`) and charging periods (`to_core_periods`) with errors naming the field.
"""

from __future__ import annotations

import copy
import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    CdrCost,
    ChargingPeriod,
    Dimension,
    DimensionType,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
    TokenType,
)
from ocpi_modules.v2_2_1.cdrs import check_cdr, from_core_cdr, to_core_cdr
from ocpi_modules.v2_2_1.sessions import from_core_period, to_core_periods
from ocpi_modules.v2_2_1.tariffs import check_tariff, from_core_tariff, to_core_tariff
from tests.unit.ocpi_v2_2_1.kit import CPO, MSP, T0, a_cdr, a_location, a_period, at, fixture, parties, wire

D = Decimal


def tariff_json(*components: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": list(components)}],
        "last_updated": "2026-03-02T08:30:00Z",
        **fields,
    }


def energy(**change: Any) -> dict[str, Any]:
    return {"type": "ENERGY", "price": D("1.20"), "vat": D("13"), "step_size": 1, **change}


# --- tariffs ------------------------------------------------------------------------------------------------


def test_min_and_max_price_keep_their_incl_vat_both_ways() -> None:
    data = tariff_json(
        energy(),
        min_price={"excl_vat": D("2.50"), "incl_vat": D("3.03")},
        max_price={"excl_vat": D("15.00")},
    )
    tariff = to_core_tariff(data)
    assert (tariff.min_price_excl_vat, tariff.min_price_incl_vat) == (D("2.50"), D("3.03"))
    assert (tariff.max_price_excl_vat, tariff.max_price_incl_vat) == (D("15.00"), None)
    out = wire(from_core_tariff(tariff.model_copy(update={"source": None})))
    assert out["min_price"] == {"excl_vat": D("2.50"), "incl_vat": D("3.03")}
    assert out["max_price"] == {"excl_vat": D("15.00")}
    assert check_tariff(out) == []


def test_ta_12_step_size_zero_means_no_rounding_and_is_still_flagged() -> None:
    data = tariff_json(energy(step_size=0))
    assert to_core_tariff(data).elements[0].price_components[0].step_size == 0
    assert "elements[0].price_components[0].step_size: must be at least 1: 0" in check_tariff(data)


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"step_size": -1}, "step_size", "must not be negative"),
        ({"step_size": D("1.5")}, "step_size", "not an integer"),
        ({"price": -1}, "price", "must not be negative"),
        ({"service_price": D("-0.1")}, "service_price", "must not be negative"),
        ({"service_price": D("1.21")}, "service_price", "must not exceed the price 1.20"),
        ({"service_price": "cheap"}, "service_price", "not a number"),
        ({"type": "FLAT", "service_price": D("0.1")}, "service_price", "only ENERGY components"),
    ],
)
def test_bad_price_components_name_the_field(change: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        to_core_tariff(tariff_json(energy(**change)))
    where = f"elements[0].price_components[0].{field}"
    assert info.value.field == where
    assert str(info.value).startswith(f"{where}: {problem}")


def test_service_price_is_read_but_never_published() -> None:
    data = tariff_json(energy(service_price=D("0.45")), {"type": "FLAT", "price": 1, "step_size": 1})
    tariff = to_core_tariff(copy.deepcopy(data))
    assert tariff.elements[0].price_components[0].service_price == D("0.45")
    from_source = wire(from_core_tariff(tariff))
    built = wire(from_core_tariff(tariff.model_copy(update={"source": None})))
    for out in (from_source, built):
        assert "service_price" not in str(out)
        assert out["elements"][0]["price_components"][0]["price"] == D("1.20")
    assert tariff.source == data  # the publisher's JSON is kept as written


prices = st.decimals(min_value=0, max_value=100, places=4)
components = st.builds(
    PriceComponent,
    type=st.sampled_from(PriceComponentType),
    price=prices,
    vat=st.none() | st.decimals(min_value=0, max_value=30, places=1),
    step_size=st.integers(0, 3600),
)
tariffs = st.builds(
    Tariff,
    id=st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=36),
    party=parties,
    currency=st.sampled_from(["EUR", "CNY", "JPY"]),
    elements=st.lists(
        st.builds(
            TariffElement,
            price_components=st.lists(components, min_size=1, max_size=4).map(tuple),
            restrictions=st.none() | st.just({"start_time": "07:00", "end_time": "23:00"}),
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    min_price_excl_vat=st.none() | prices,
    max_price_excl_vat=st.none() | prices,
    min_price_incl_vat=st.none() | prices,
    max_price_incl_vat=st.none() | prices,
    last_updated=st.just(T0),
)


@given(tariffs)
def test_tariff_round_trip_through_the_wire(tariff: Tariff) -> None:
    # a bound known only incl. VAT has no wire form (a Price needs excl_vat)
    expected = tariff.model_copy(
        update={
            "min_price_incl_vat": tariff.min_price_incl_vat
            if tariff.min_price_excl_vat is not None
            else None,
            "max_price_incl_vat": tariff.max_price_incl_vat
            if tariff.max_price_excl_vat is not None
            else None,
        }
    )
    back = to_core_tariff(wire(from_core_tariff(tariff)))
    assert back.model_copy(update={"source": None}) == expected


# --- CDRs: core → wire --------------------------------------------------------------------------------------

FULL_COST = CdrCost(
    currency="EUR",
    total_excl_vat=D("8.75"),
    total_incl_vat=D("10.00"),
    fixed_excl_vat=D("2.50"),
    fixed_incl_vat=D("3.00"),
    energy_excl_vat=D("5.00"),
    energy_incl_vat=D("5.50"),
    time_excl_vat=D("0.00"),
    time_incl_vat=D("0.00"),
    reservation_excl_vat=D("1.25"),
    reservation_incl_vat=D("1.50"),
    total_energy_kwh=D("20"),
    total_time_hours=D("1.5"),
    total_reservation_time_hours=D("0.25"),
)


def test_every_sub_total_carries_incl_vat_when_the_cost_knows_it() -> None:
    data = wire(from_core_cdr(a_cdr(cost=FULL_COST), location=a_location(), tariff=None, token=None))
    assert data["total_cost"] == {"excl_vat": D("8.75"), "incl_vat": D("10.00")}
    assert data["total_fixed_cost"] == {"excl_vat": D("2.50"), "incl_vat": D("3.00")}
    assert data["total_energy_cost"] == {"excl_vat": D("5.00"), "incl_vat": D("5.50")}
    assert data["total_time_cost"] == {"excl_vat": D("0.00"), "incl_vat": D("0.00")}
    assert data["total_reservation_cost"] == {"excl_vat": D("1.25"), "incl_vat": D("1.50")}
    assert "total_parking_cost" not in data  # no parking happened and none was billed
    assert check_cdr(data) == []


def test_reservation_time_alone_states_the_reservation_cost_and_dimension() -> None:
    cost = CdrCost(currency="EUR", total_excl_vat=D(0), total_reservation_time_hours=D("0.5"))
    data = wire(from_core_cdr(a_cdr(cost=cost, charging_periods=()), location=None, tariff=None, token=None))
    assert data["total_reservation_cost"] == {"excl_vat": 0}
    dimensions = data["charging_periods"][0]["dimensions"]
    assert {"type": "RESERVATION_TIME", "volume": D("0.5")} in dimensions


def test_cd_10_credit_cdr_with_negative_sub_totals() -> None:
    cost = FULL_COST.model_copy(
        update={
            name: -value
            for name, value in FULL_COST.model_dump().items()
            if name.endswith("_vat") and value is not None
        }
    )
    credit = a_cdr("CDR-0001-C", credit=True, credit_reference_id="CDR-0001", cost=cost)
    data = wire(from_core_cdr(credit, location=a_location(), tariff=None, token=None))
    assert (data["credit"], data["credit_reference_id"]) == (True, "CDR-0001")
    assert data["total_cost"] == {"excl_vat": D("-8.75"), "incl_vat": D("-10.00")}
    assert data["total_energy_cost"] == {"excl_vat": D("-5.00"), "incl_vat": D("-5.50")}
    back = to_core_cdr(data)
    assert (back.credit, back.credit_reference_id, back.cost.total_excl_vat) == (True, "CDR-0001", D("-8.75"))


# --- CDRs: wire → core --------------------------------------------------------------------------------------


def test_to_core_cdr_reads_a_partners_cdr() -> None:
    cdr = to_core_cdr(fixture("examples/cdr_post.json"))
    assert (str(cdr.party), cdr.id, cdr.session_id) == (
        "BE*XYZ",
        "CDR-2026-000123",
        "5b0d8c1e-2f7a-4d3b-8e61-9c4a2f7b1d03",
    )
    assert (cdr.token_uid, str(cdr.token_party), cdr.token_type, cdr.contract_id) == (
        "A1B2C3D4",
        "DE*MSP",
        TokenType.RFID,
        "DE-MSP-C00000042-7",
    )
    assert (cdr.auth_method, cdr.authorization_reference) == (AuthMethod.AUTH_REQUEST, "ref-7781")
    assert (cdr.location_id, cdr.evse_uid, cdr.connector_id, cdr.tariff_id) == (
        "GENT-SQ-01",
        "GENT-1",
        "2",
        "DC-STD",
    )
    assert (cdr.cost.total_excl_vat, cdr.cost.total_incl_vat) == (D("21.53"), D("26.05"))
    assert (cdr.cost.energy_excl_vat, cdr.cost.energy_incl_vat) == (D("21.53"), D("26.05"))
    assert (cdr.cost.fixed_excl_vat, cdr.cost.fixed_incl_vat) == (D(0), None)  # absent: not stated
    assert (cdr.cost.total_energy_kwh, cdr.cost.total_time_hours) == (D("31.2"), D("1.2081"))
    assert cdr.charging_periods[0].dimensions[1] == Dimension(type=DimensionType.MAX_POWER, volume=D("120.5"))


def test_to_core_cdr_is_lenient_on_what_pricing_does_not_need() -> None:
    data = fixture("examples/cdr_post.json")
    for name in ("session_id", "cdr_location", "tariffs", "last_updated", "authorization_reference"):
        del data[name]
    data["cdr_token"]["type"] = "EMAID"  # a vendor value (§22.4)
    data["auth_method"] = "whitelist"
    cdr = to_core_cdr(data)
    assert cdr.session_id == cdr.id  # CD-15: aggregators use the CDR id as the session id
    assert (cdr.token_type, cdr.auth_method) == (TokenType.OTHER, AuthMethod.WHITELIST)
    assert cdr.last_updated == cdr.end
    assert (cdr.location_id, cdr.tariff_id, cdr.authorization_reference) == (None, None, None)


def test_to_core_cdr_takes_the_default_party_only_when_the_cdr_names_none() -> None:
    data = fixture("examples/cdr_post.json")
    assert str(to_core_cdr(data, default_party=CPO).party) == "BE*XYZ"
    del data["country_code"]
    assert to_core_cdr(data, default_party=CPO).party == CPO
    with pytest.raises(InvalidRequestError) as info:
        to_core_cdr(data)
    assert info.value.field == "country_code"


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("id", _DELETE), "id"),
        (_set("start_date_time", "yesterday"), "start_date_time"),
        (_set("end_date_time", "2026-02-10T17:00:00Z"), "end_date_time"),
        (_set("cdr_token", _DELETE), "cdr_token"),
        (_set("cdr_token.uid", _DELETE), "cdr_token.uid"),
        (_set("cdr_token.country_code", "NLD"), "cdr_token.country_code"),
        (_set("auth_method", "PIN"), "auth_method"),
        (_set("currency", "EURO"), "currency"),
        (_set("total_cost", _DELETE), "total_cost"),
        (_set("total_cost", 21.53), "total_cost"),
        (_set("total_cost", {"excl_vat": -1}), "total_cost"),
        (_set("total_energy_cost", {"excl_vat": 1, "incl_vat": "x"}), "total_energy_cost.incl_vat"),
        (_set("total_energy", "lots"), "total_energy"),
        (_set("total_time", _DELETE), "total_time"),
        (_set("credit", "yes"), "credit"),
        (_set("charging_periods.0.dimensions.0.volume", "x"), "charging_periods[0].dimensions[0].volume"),
        (_set("charging_periods.0.dimensions.1.type", "VOLTAGE"), "charging_periods[0].dimensions[1].type"),
    ],
)
def test_to_core_cdr_names_the_unusable_field(change: Any, field: str) -> None:
    data = fixture("examples/cdr_post.json")
    change(data)
    with pytest.raises(InvalidRequestError) as info:
        to_core_cdr(data)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


# --- hypothesis: generated valid wire input ---------------------------------------------------------------

ids = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=36)
volumes = st.decimals(min_value=0, max_value=1000, places=4)
dimension_types = st.sampled_from(sorted(d.value for d in DimensionType))
wire_dimensions = st.fixed_dictionaries(
    {"type": st.one_of(dimension_types, dimension_types.map(str.lower)), "volume": volumes}
)
minutes = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def wire_periods(draw: st.DrawFn) -> list[dict[str, Any]]:
    offsets = sorted(draw(st.lists(minutes, max_size=6)))
    periods = []
    for offset in offsets:
        period: dict[str, Any] = {
            "start_date_time": at(offset).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dimensions": draw(st.lists(wire_dimensions, min_size=1, max_size=4)),
        }
        if draw(st.booleans()):
            period["tariff_id"] = draw(ids)
        periods.append(period)
    return periods


def expected_period(period: dict[str, Any]) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=period["start_date_time"],
        dimensions=tuple(
            Dimension(type=DimensionType(d["type"].upper()), volume=d["volume"]) for d in period["dimensions"]
        ),
        tariff_id=period.get("tariff_id"),
    )


@given(wire_periods())
def test_to_core_periods_reads_generated_periods(periods: list[dict[str, Any]]) -> None:
    core = to_core_periods(wire(periods))
    assert core == tuple(expected_period(p) for p in periods)
    assert to_core_periods(wire([from_core_period(p) for p in core])) == core


@given(wire_periods().filter(bool), st.data())
def test_to_core_periods_names_the_bad_volume(periods: list[dict[str, Any]], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(periods) - 1))
    j = data.draw(st.integers(0, len(periods[i]["dimensions"]) - 1))
    periods[i]["dimensions"][j]["volume"] = data.draw(st.sampled_from(["x", None, True, [], "NaN"]))
    with pytest.raises(InvalidRequestError) as info:
        to_core_periods(periods, "sessions[0].charging_periods")
    assert info.value.field == f"sessions[0].charging_periods[{i}].dimensions[{j}].volume"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"start_date_time": "2026-03-02T08:30:00Z"}, "charging_periods"),
        (["period"], "charging_periods[0]"),
        ([{"start_date_time": "08:30", "dimensions": []}], "charging_periods[0].start_date_time"),
        ([{"start_date_time": "2026-03-02T08:30:00Z", "dimensions": {}}], "charging_periods[0].dimensions"),
        (
            [{"start_date_time": "2026-03-02T08:30:00Z", "dimensions": [7]}],
            "charging_periods[0].dimensions[0]",
        ),
        (
            [{"start_date_time": "2026-03-02T08:30:00Z", "dimensions": [], "tariff_id": 7}],
            "charging_periods[0].tariff_id",
        ),
    ],
)
def test_to_core_periods_names_the_bad_field(raw: Any, field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        to_core_periods(raw)
    assert info.value.field == field


def test_to_core_periods_without_periods_is_empty() -> None:
    assert to_core_periods(None) == ()
    assert to_core_periods([]) == ()


money = st.decimals(min_value=-1000, max_value=1000, places=2)


@st.composite
def wire_cdrs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid OCPI 2.2.1 CDR (CD-04…CD-06), optional fields present or not."""
    credit = draw(st.booleans())
    total = draw(money if credit else money.filter(lambda m: m >= 0))
    party = draw(parties)
    data: dict[str, Any] = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": draw(ids),
        "start_date_time": "2026-03-02T08:30:00Z",
        "end_date_time": at(draw(minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cdr_token": {
            "country_code": "DE",
            "party_id": "MSP",
            "uid": draw(ids),
            "type": draw(st.sampled_from([t.value for t in TokenType])),
            "contract_id": draw(ids),
        },
        "auth_method": draw(st.sampled_from([a.value for a in AuthMethod])),
        "currency": draw(st.sampled_from(["EUR", "CNY"])),
        "charging_periods": draw(wire_periods()),
        "total_cost": {"excl_vat": total, "incl_vat": total * D("1.21")},
        "total_energy": draw(volumes),
        "total_time": draw(volumes),
        "last_updated": "2026-03-02T10:00:00Z",
    }
    optional = {
        "session_id": ids,
        "authorization_reference": ids,
        "total_parking_time": volumes,
        "total_fixed_cost": money.map(lambda m: {"excl_vat": m}),
        "total_parking_cost": money.map(lambda m: {"excl_vat": m, "incl_vat": m * 2}),
        "tariffs": ids.map(lambda i: [{"id": i}]),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    if credit:
        data.update(credit=True, credit_reference_id=draw(ids))
    return data


@given(wire_cdrs())
def test_to_core_cdr_reads_generated_cdrs(data: dict[str, Any]) -> None:
    cdr = to_core_cdr(wire(data))
    assert (cdr.id, cdr.party.party_id, cdr.cost.currency) == (
        data["id"],
        data["party_id"],
        data["currency"],
    )
    assert cdr.session_id == data.get("session_id", data["id"])
    assert (cdr.token_uid, cdr.token_party, cdr.token_type.value) == (
        data["cdr_token"]["uid"],
        MSP,
        data["cdr_token"]["type"],
    )
    assert cdr.cost.total_excl_vat == data["total_cost"]["excl_vat"]
    assert cdr.cost.total_incl_vat == data["total_cost"]["incl_vat"]
    assert cdr.cost.fixed_excl_vat == data.get("total_fixed_cost", {}).get("excl_vat", 0)
    assert cdr.cost.parking_incl_vat == data.get("total_parking_cost", {}).get("incl_vat")
    assert cdr.cost.total_parking_time_hours == data.get("total_parking_time", 0)
    assert cdr.tariff_id == data.get("tariffs", [{}])[0].get("id")
    assert (cdr.credit, cdr.credit_reference_id) == (
        data.get("credit", False),
        data.get("credit_reference_id"),
    )
    assert cdr.charging_periods == tuple(expected_period(p) for p in data["charging_periods"])


def test_cdr_round_trip_keeps_identity_and_money() -> None:
    periods = (
        a_period(-15, (DimensionType.RESERVATION_TIME, "0.25")),
        a_period(0, (DimensionType.ENERGY, "20"), (DimensionType.TIME, "1.5")),
    )
    cdr = a_cdr(cost=FULL_COST, charging_periods=periods, start=at(-15))
    tariff = to_core_tariff(tariff_json(energy(), id="AC-STD"))
    back = to_core_cdr(wire(from_core_cdr(cdr, location=a_location(), tariff=tariff, token=None)))
    assert back.cost == FULL_COST
    # A period without its own tariff_id is sent with the CDR's tariff (the one that priced it).
    assert back.charging_periods == tuple(p.model_copy(update={"tariff_id": cdr.tariff_id}) for p in periods)
    assert back.model_dump(exclude={"cost", "charging_periods", "evse_uid", "station_id"}) == cdr.model_dump(
        exclude={"cost", "charging_periods", "evse_uid", "station_id"}
    )
    assert back.evse_uid == "CP001*1"  # the location's spelling of the CiString
