"""The translations of the bridge from OCPI partner CPOs to 互联互通 (issue 5): what our eMSP stored (a
Location, a Session, a command record) as core models (ocpi_modules.v2_2_1.emsp.mapping), the remote-CPO
events a stored location makes (emsp.events), and a remote CPO's CDR split into an order's electricity and
service money (hub.core.remote.relayed_order_money). Examples and hypothesis round trips.

Test code: imports the core, the OCPI 2.2.1 modules and hypothesis.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    Capability,
    Cdr,
    CdrCost,
    ChargingPeriod,
    CommandResultType,
    CommandType,
    Connector,
    ConnectorFormat,
    Dimension,
    DimensionType,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    PowerType,
    Session,
    SessionStatus,
    TokenType,
)
from hub.core.remote import RemoteEvseStatusChanged, RemoteLocationChanged, relayed_order_money
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.v2_2_1.emsp.events import location_events
from ocpi_modules.v2_2_1.emsp.mapping import to_core_location, to_core_session, to_remote_command
from ocpi_modules.v2_2_1.locations import from_core_location
from ocpi_modules.v2_2_1.sessions import from_core_session

CPX = PartyRef.parse("DE*CPX")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CENT = Decimal("0.01")


def wire(data: Any) -> Any:
    """Through the OCPI JSON codec, as stored and read back."""
    return ocpi_json.loads(ocpi_json.dumps(data))


# ---------------------------------------------------------------------- Location

ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-*", min_size=1, max_size=36)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive; `timezones` makes them UTC)
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=0))
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
degrees = st.decimals(min_value=-80, max_value=80, places=6)
connectors = st.builds(
    Connector,
    id=ids,
    standard=st.sampled_from(["IEC_62196_T2", "GBT_DC", "CHADEMO"]),
    format=st.sampled_from(ConnectorFormat),
    power_type=st.sampled_from(PowerType),
    max_voltage=st.integers(0, 1000),
    max_amperage=st.integers(0, 500),
    max_electric_power=st.none() | st.integers(0, 350_000),
    tariff_ids=st.lists(ids, max_size=2).map(tuple),
    last_updated=moments,
)
evses = st.builds(
    Evse,
    uid=ids,
    evse_id=st.none() | ids,
    status=st.sampled_from(EvseStatus),
    capabilities=st.lists(st.sampled_from(Capability), unique=True, max_size=3).map(tuple),
    connectors=st.lists(connectors, min_size=1, max_size=2).map(tuple),
    last_updated=moments,
)
locations = st.builds(
    Location,
    id=ids,
    party=st.just(CPX),
    name=st.none() | texts,
    address=texts,
    city=texts,
    postal_code=st.none() | st.text(alphabet="0123456789", min_size=1, max_size=6),
    country=st.sampled_from(["CHN", "DEU", "NLD"]),
    latitude=degrees,
    longitude=degrees,
    time_zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin"]),
    publish=st.booleans(),
    evses=st.lists(evses, max_size=3).map(tuple),
    last_updated=moments,
)


@given(locations)
def test_a_stored_location_reads_back_as_the_cpos_location(location: Location) -> None:
    assert to_core_location(wire(from_core_location(location)), CPX) == location


def a_location(**overrides: Any) -> dict[str, Any]:
    evse = {"uid": "E1", "status": "AVAILABLE", "connectors": [], "last_updated": "2026-03-02T09:00:00Z"}
    return {
        "country_code": "DE", "party_id": "CPX", "id": "L1", "address": "a", "city": "c", "country": "CHN",
        "coordinates": {"latitude": "31.23", "longitude": "121.47"}, "time_zone": "Asia/Shanghai",
        "evses": [evse], "last_updated": "2026-03-02T09:00:00Z", **overrides,
    }  # fmt: skip


def test_a_location_is_read_leniently_where_the_core_does_not_care() -> None:
    evse = {"uid": "E1", "status": "charging", "capabilities": ["RFID_READER", "TELEPORT"], "connectors": []}
    location = to_core_location(a_location(evses=[evse], publish=None), CPX)
    assert (location.publish, location.evses[0].status, location.evses[0].capabilities) == (
        True,
        EvseStatus.CHARGING,
        (Capability.RFID_READER,),
    )
    assert location.evses[0].last_updated == T0  # the location's, when the EVSE has none
    assert to_core_location(a_location(evses=[{**evse, "status": "SLEEPING"}]), CPX).evses[0].status is (
        EvseStatus.UNKNOWN
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"coordinates": None}, "coordinates"),
        ({"country": "CN"}, "country"),
        ({"last_updated": "yesterday"}, "last_updated"),
        ({"evses": [{"status": "AVAILABLE"}]}, "evses[0].uid"),
        ({"coordinates": {"latitude": "north", "longitude": "1"}}, "coordinates.latitude"),
    ],
)
def test_a_location_the_core_cannot_use_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        to_core_location(a_location(**overrides), CPX)
    assert caught.value.field == field


def test_a_stored_location_makes_a_location_event_and_one_per_evse_status_change() -> None:
    old = a_location(evses=[{"uid": "E1", "status": "AVAILABLE"}, {"uid": "E2", "status": "AVAILABLE"}])
    new = a_location(
        publish=False,
        evses=[{"uid": "e1", "status": "CHARGING"}, {"uid": "E2", "status": "AVAILABLE"}, {"uid": "E3"}],
    )
    assert location_events(CPX, "L1", old, new) == [
        RemoteLocationChanged(party=CPX, location_id="L1"),
        RemoteEvseStatusChanged(
            party=CPX,
            location_id="L1",
            evse_uid="e1",
            old=EvseStatus.AVAILABLE,
            new=EvseStatus.CHARGING,
            publish=False,
        ),
    ]  # E3 is new: its status is news with its station, not as a change
    assert location_events(CPX, "L1", None, new) == [RemoteLocationChanged(party=CPX, location_id="L1")]


# ---------------------------------------------------------------------- Session

ended = st.sampled_from([SessionStatus.COMPLETED, SessionStatus.INVALID])
volumes = st.decimals(min_value=0, max_value=1000, places=3)
periods = st.builds(
    ChargingPeriod,
    start_date_time=moments,
    dimensions=st.lists(
        st.builds(Dimension, type=st.sampled_from(DimensionType), volume=volumes), max_size=2
    ).map(tuple),
    tariff_id=st.none() | ids,
)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    status = draw(st.sampled_from(SessionStatus))
    start = draw(moments)
    end = (
        draw(moments)
        if status in (SessionStatus.COMPLETED, SessionStatus.INVALID)
        else draw(st.none() | moments)
    )
    return Session(
        id=draw(ids),
        party=CPX,
        status=status,
        start=start,
        end=end,
        location_id=draw(ids),
        evse_uid=draw(ids),
        connector_id=draw(ids),
        token_uid=draw(ids),
        token_party=PartyRef.parse("NL*MSP"),
        token_type=draw(st.sampled_from(TokenType)),
        contract_id=draw(ids),
        auth_method=draw(st.sampled_from(AuthMethod)),
        authorization_reference=draw(st.none() | ids),
        kwh=draw(volumes),
        charging_periods=tuple(draw(st.lists(periods, max_size=3))),
        currency=draw(st.sampled_from(["CNY", "EUR"])),
        total_cost=draw(st.none() | st.decimals(min_value=0, max_value=10_000, places=2)),
        last_updated=draw(moments),
    )


@given(sessions())
def test_a_stored_session_reads_back_as_the_cpos_session(session: Session) -> None:
    assert to_core_session(wire(from_core_session(session, token=None)), CPX) == session


def test_a_session_over_without_an_end_ends_when_it_was_last_updated() -> None:
    data = {
        "id": "S1", "start_date_time": "2026-03-02T09:00:00Z", "kwh": 3, "status": "finished",
        "cdr_token": {"uid": "HL1", "type": "APP_USER"}, "last_updated": "2026-03-02T10:00:00Z",
    }  # fmt: skip
    session = to_core_session(data, CPX)
    assert (session.status, session.end, session.token_uid, session.token_party) == (
        SessionStatus.COMPLETED,
        T0 + timedelta(hours=1),
        "HL1",
        None,
    )
    with pytest.raises(InvalidRequestError) as caught:
        to_core_session({**data, "cdr_token": {}}, CPX)
    assert caught.value.field == "cdr_token.uid"


# ---------------------------------------------------------------------- command records


def a_command_record(**overrides: Any) -> dict[str, Any]:
    return {
        "command_id": "c1", "command": "START_SESSION", "cpo": "DE*CPX", "platform_id": "p",
        "request": {"token_uid": "HL1", "location_id": "L1", "evse_uid": "E1", "connector_id": None},
        "requested_at": "2026-03-02T09:00:00Z", "status_code": 1000, "status_message": None,
        "response": {"result": "ACCEPTED", "timeout": 30}, "result": None, "result_received_at": None,
        **overrides,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "response", "result", "message"),
    [
        ({}, CommandResultType.ACCEPTED, None, None),
        ({"status_code": None, "response": None}, None, None, None),  # no answer (yet)
        (
            {"status_code": 2003, "status_message": "unknown location"},
            CommandResultType.REJECTED,
            None,
            "unknown location",
        ),
        (
            {"result": {"result": "evse_occupied", "message": [{"language": "en", "text": "busy"}]}},
            CommandResultType.ACCEPTED,
            CommandResultType.EVSE_OCCUPIED,
            "busy",
        ),
        ({"result": {"result": "WHATEVER"}}, CommandResultType.ACCEPTED, CommandResultType.FAILED, None),
    ],
)
def test_a_command_record_reads_as_a_remote_command(
    overrides: dict[str, Any], response: Any, result: Any, message: str | None
) -> None:
    command = to_remote_command(a_command_record(**overrides), T0)
    assert (command.type, command.cpo, command.token_uid, command.evse_uid) == (
        CommandType.START_SESSION,
        CPX,
        "HL1",
        "E1",
    )
    assert (command.response, command.result, command.message, command.requested) == (
        response,
        result,
        message,
        T0,
    )


# ---------------------------------------------------------------------- the order's money


def a_cdr(cost: CdrCost, kwh: str = "12") -> Cdr:
    return Cdr(
        id="C1",
        party=CPX,
        session_id="S1",
        start=T0,
        end=T0 + timedelta(hours=1),
        token_uid="HL1",
        cost=cost.model_copy(update={"total_energy_kwh": Decimal(kwh)}),
        last_updated=T0,
    )


def cny(total: str, energy: str, total_incl: str | None = None, energy_incl: str | None = None) -> CdrCost:
    return CdrCost(
        currency="CNY",
        total_excl_vat=Decimal(total),
        energy_excl_vat=Decimal(energy),
        total_incl_vat=Decimal(total_incl) if total_incl else None,
        energy_incl_vat=Decimal(energy_incl) if energy_incl else None,
    )


@pytest.mark.parametrize(
    ("cost", "elec", "service"),
    [
        (cny("20.00", "18.00", "23.00", "20.70"), "20.70", "2.30"),  # what the driver pays: incl. VAT
        (cny("20.00", "18.00"), "18.00", "2.00"),  # no VAT stated
        (cny("20.00", "18.00", "23.00"), "20.70", "2.30"),  # energy at the total's VAT ratio
        (cny("15.00", "18.00"), "15.00", "0.00"),  # a max price below the energy sub-total
        (cny("10.005", "3.3333"), "3.33", "6.68"),  # rounded half-up to the cent: 10.01 in all
    ],
)
def test_the_order_money_of_a_remote_cdr(cost: CdrCost, elec: str, service: str) -> None:
    money = relayed_order_money(a_cdr(cost))
    assert (money.elec_money, money.service_money) == (Decimal(elec), Decimal(service))
    assert money.total_money == money.elec_money + money.service_money
    [detail] = money.details
    assert (detail.power_kwh, detail.elec_money, detail.service_money, detail.start) == (
        Decimal(12),
        money.elec_money,
        money.service_money,
        T0,
    )
    assert detail.elec_price * 12 == money.elec_money


def test_a_remote_cdr_without_energy_has_no_detail_and_one_in_another_currency_no_order_money() -> None:
    assert relayed_order_money(a_cdr(cny("2.00", "0"), kwh="0")).details == ()
    with pytest.raises(InvalidRequestError):
        relayed_order_money(a_cdr(cny("2.00", "0").model_copy(update={"currency": "EUR"})))


amounts = st.decimals(min_value=0, max_value=100_000, places=4)


@given(amounts, amounts, st.none() | amounts, st.none() | amounts)
def test_the_order_money_always_adds_up_to_the_cdrs_total(
    total: Decimal, energy: Decimal, total_incl: Decimal | None, energy_incl: Decimal | None
) -> None:
    cost = CdrCost(
        currency="CNY",
        total_excl_vat=total,
        energy_excl_vat=energy,
        total_incl_vat=total_incl,
        energy_incl_vat=energy_incl,
        total_energy_kwh=Decimal(1),
    )
    money = relayed_order_money(a_cdr(cost, kwh="1"))
    paid = total_incl if total_incl is not None else total
    assert money.total_money == paid.quantize(CENT, ROUND_HALF_UP)
    assert money.elec_money + money.service_money == money.total_money
    assert Decimal(0) <= money.elec_money <= money.total_money
    assert all(m == m.quantize(CENT) for m in (money.elec_money, money.service_money, money.total_money))
