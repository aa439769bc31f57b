"""The seeding services (parties, locations, tariffs, tokens): change events and outbox rows only on a
real change, config re-seeding keeps what stations taught the hub, and a configured station takes its
EVSEs along from its placeholder location."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hub.core.chargepoint import StatusReport
from hub.core.events import LocationChanged, TariffChanged, TokenChanged
from hub.core.models import Connector, ConnectorState, EvseStatus, Party, Role
from tests.unit.core_kit import CPO, MSP, STATION, T0, a_location, a_tariff, a_token, make_kit


async def test_reseeding_the_same_config_writes_nothing() -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, StatusReport(evse_no=1, state=ConnectorState.AVAILABLE))
    rows, events = len(kit.outbox()), len(kit.events)
    later = T0 + timedelta(days=3)  # a restart: config objects get a fresh last_updated
    await kit.core.parties.ensure(Party(ref=CPO, role=Role.CPO, name="Own CPO", last_updated=later))
    await kit.core.locations.put(a_location(last_updated=later))
    await kit.core.tariffs.put(a_tariff(last_updated=later))
    await kit.core.tokens.put(a_token(last_updated=later))
    await kit.core.chargepoints.register_station(
        STATION,
        party=CPO,
        location_id="LOC001",
        tariff_id="STD",
        connectors=[Connector(id="1", last_updated=later)],
    )
    assert (len(kit.outbox()), len(kit.events)) == (rows, events)
    location = await kit.core.locations.get(CPO, "LOC001")
    assert location is not None
    evse = location.evse("CP001*1")
    assert evse is not None
    assert evse.status is EvseStatus.AVAILABLE


async def test_a_changed_location_keeps_the_evses_of_its_stations() -> None:
    kit = await make_kit()
    await kit.core.locations.put(a_location(name="Depot Noord (renamed)", last_updated=T0))
    location = await kit.core.locations.get(CPO, "loc001")
    assert location is not None
    assert (location.name, [e.uid for e in location.evses]) == ("Depot Noord (renamed)", ["CP001*1"])
    assert kit.outbox("location.updated")[-1].payload["name"] == "Depot Noord (renamed)"
    assert len(kit.events_of(LocationChanged)) == 1


async def test_changed_tokens_and_tariffs_are_published_with_outbox_rows() -> None:
    kit = await make_kit()
    await kit.core.tokens.put(a_token(valid=False, last_updated=T0))
    await kit.core.tariffs.put(a_tariff(max_price_excl_vat=Decimal(50), last_updated=T0))
    assert [e.token.valid for e in kit.events_of(TokenChanged)] == [False]
    assert len(kit.events_of(TariffChanged)) == 1
    (token_row,) = kit.outbox("token.updated")[-1:]
    assert (token_row.key, token_row.payload["valid"]) == ("token:NL*MSP:04A1B2C3D4E5F6", False)
    assert kit.outbox("tariff.updated")[-1].payload["max_price_excl_vat"] == "50"
    assert await kit.core.tariffs.delete(CPO, "std")
    assert not await kit.core.tariffs.delete(CPO, "std")
    assert kit.outbox("tariff.deleted")[-1].payload == {"party": "NL*CPO", "id": "STD"}
    assert await kit.core.tokens.get("04a1b2c3d4e5f6", MSP) is not None


async def test_a_station_first_accepted_unknown_takes_its_evses_to_its_configured_location() -> None:
    kit = await make_kit()
    await kit.online("NEW42")
    await kit.core.chargepoints.status("NEW42", StatusReport(evse_no=1, state=ConnectorState.AVAILABLE))
    await kit.core.chargepoints.register_station("NEW42", party=CPO, location_id="LOC001")
    placeholder = await kit.core.locations.get(CPO, "ST-NEW42")
    site = await kit.core.locations.get(CPO, "LOC001")
    assert placeholder is not None
    assert site is not None
    assert placeholder.evses == ()
    moved = site.evse("NEW42*1")
    assert moved is not None
    assert moved.status is EvseStatus.AVAILABLE
    found = await kit.core.locations.find_by_evse("new42*1")
    assert found is not None
    assert found.id == "LOC001"
