"""A 2.1.1 eMSP roaming through the hub, over real HTTP on both storage backends (issue 4 part 6, checklist
§21): it reads our CPO's and a 2.2.1 CPO's Locations in 2.1.1 shape (GET All and single objects), receives a
2.2.1 CPO's Location push translated, pushes its Tokens to every CPO, and starts sessions — at a 2.2.1 CPO
(CommandResponse, then the CommandResult through the hub's proxy, each in 2.1.1 shape) and at our CPO. What
2.1.1 cannot carry is refused, hub errors reach it as 3000."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.core.models import PartyRef, PlatformStatus
from hub.ocpp.simulator import SimulatedStation
from hub.settings import Settings
from tests.conftest import CP001_PASSWORD, RunningHub
from tests.fakes.ocpi211_partner import Fake211Partner
from tests.fakes.ocpi211_partner.hub import (
    CPO_221_A,
    EMSP_211_A,
    drain,
    register_211,
    roaming_settings,
    start_hub,
)
from tests.fakes.ocpi_partner import FakePartner

LOCATIONS = "/ocpi/2.1.1/locations"
COMMANDS = "/ocpi/2.1.1/commands"
TOKENS_221_CPO = "/ocpi/2.2.1/receiver/tokens"


@pytest.fixture
async def hub(
    request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]
) -> AsyncIterator[RunningHub]:
    """`@pytest.mark.parametrize("hub", [page_limit], indirect=True)` sets the hub's page size."""
    limit = getattr(request, "param", 100)
    running = await start_hub(roaming_settings(settings_factory, password=CP001_PASSWORD, page_limit=limit))
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def emsp(hub: RunningHub) -> AsyncIterator[Fake211Partner]:
    async with Fake211Partner(party=("DE", "EMW"), role="EMSP") as fake:
        await register_211(hub, fake, EMSP_211_A)
        await drain(hub)
        fake.calls.clear()
        fake.refused.clear()
        yield fake


def cpx_location(**changes: Any) -> dict[str, Any]:
    """A 2.2.1 CPO's Location as it pushes it."""
    location = {
        "country_code": "DE",
        "party_id": "CPX",
        "id": "LOC-X",
        "publish": True,
        "name": "Bahnhof",
        "address": "Bahnhofstrasse 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "parking_type": "ALONG_MOTORWAY",
        "evses": [
            {
                "uid": "X1",
                "evse_id": "DE*CPX*EX1",
                "status": "AVAILABLE",
                "capabilities": ["REMOTE_START_STOP_CAPABLE", "START_SESSION_CONNECTOR_REQUIRED"],
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2_COMBO",
                        "format": "CABLE",
                        "power_type": "DC",
                        "max_voltage": 920,
                        "max_amperage": 200,
                        "max_electric_power": 150000,
                        "tariff_ids": ["HPC"],
                        "last_updated": "2026-03-01T10:00:00Z",
                    }
                ],
                "last_updated": "2026-03-01T10:00:00Z",
            }
        ],
        "time_zone": "Europe/Berlin",
        "last_updated": "2026-03-01T10:00:00Z",
    }
    return location | changes


@pytest.fixture
async def cpo_221(hub: RunningHub) -> AsyncIterator[FakePartner]:
    """A 2.2.1 CPO (DE*CPX) that broadcast one Location to the hub (so the hub knows whose it is)."""
    async with FakePartner(roles=[("DE", "CPX", "CPO")], lists={"locations": [cpx_location()]}) as fake:
        assert (await fake.register_with(f"{hub.url}/ocpi/versions", CPO_221_A)).status_code == 1000
        await drain(hub)
        pushed = await fake.client(hub.url).put(
            "/ocpi/2.2.1/emsp/locations/DE/CPX/LOC-X", json=cpx_location(), to_party="NL*HUB"
        )
        assert pushed.status_code == 1000, pushed.body
        await drain(hub)
        yield fake


# --- Locations --------------------------------------------------------------------------------------------


async def test_emsp_gets_our_cpos_locations_in_2_1_1_shape(hub: RunningHub, emsp: Fake211Partner) -> None:
    answer = await emsp.client(hub.url).get(LOCATIONS)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    [ours] = [loc for loc in answer.data if loc["id"] == "LOC001"]
    assert ours["type"] == "UNKNOWN"
    assert ours["postal_code"] == "1012AB"
    assert ours["coordinates"] == {"latitude": "52.379000", "longitude": "4.900000"}
    assert not {"country_code", "party_id", "publish", "parking_type"} & ours.keys()
    [connector] = ours["evses"][0]["connectors"]
    assert (connector["voltage"], connector["amperage"], connector["tariff_id"]) == (230, 32, "STD")
    assert answer.headers["x-total-count"] == str(len(answer.data))
    assert "ocpi-from-party-id" not in answer.headers


@pytest.mark.parametrize("hub", [1], indirect=True)
async def test_a_get_all_is_paged_with_2_1_1_next_links(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    client = emsp.client(hub.url)
    first = await client.get(LOCATIONS)
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("2", "1")
    assert len(first.data) == 1
    link = first.headers["link"]
    assert link == f'<{hub.url}/ocpi/2.1.1/locations?offset=1&limit=1>; rel="next"'
    second = await client.get(link[1 : link.index(">")])
    assert len(second.data) == 1
    assert "link" not in second.headers
    assert {first.data[0]["id"], second.data[0]["id"]} == {"LOC001", "LOC-X"}
    assert all("country_code" not in loc for loc in first.data + second.data)


async def test_emsp_gets_one_location_evse_and_connector(hub: RunningHub, emsp: Fake211Partner) -> None:
    client = emsp.client(hub.url)
    location = await client.get(f"{LOCATIONS}/LOC001")
    assert (location.status_code, location.data["id"], location.data["type"]) == (1000, "LOC001", "UNKNOWN")
    evse = await client.get(f"{LOCATIONS}/LOC001/CP001%2A1")
    assert evse.data["uid"] == "CP001*1"
    connector = await client.get(f"{LOCATIONS}/LOC001/CP001%2A1/1")
    assert (connector.data["voltage"], connector.data["amperage"]) == (230, 32)
    assert "max_voltage" not in connector.data


async def test_a_2_2_1_cpos_location_push_reaches_the_emsp_translated(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    pushed = emsp.objects["locations/DE/CPX/LOC-X"]
    assert emsp.refused == []
    assert pushed["type"] == "OTHER"  # ALONG_MOTORWAY has no 2.1.1 LocationType
    assert pushed["coordinates"] == {"latitude": "52.520000", "longitude": "13.405000"}
    connector = pushed["evses"][0]["connectors"][0]
    assert (connector["voltage"], connector["amperage"], connector["tariff_id"]) == (920, 200, "HPC")
    assert pushed["evses"][0]["capabilities"] == ["REMOTE_START_STOP_CAPABLE"]
    [call] = emsp.calls_to("/ocpi/2.1.1/locations/DE/CPX/LOC-X", "PUT")
    assert call.token == emsp.inbound_token  # raw, as the 2.1.1 partner issued it


async def test_a_location_2_1_1_cannot_carry_is_not_pushed_and_left_out_of_lists(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    gbt = cpx_location(id="LOC-GBT")
    gbt["evses"][0]["connectors"][0]["standard"] = "GBT_DC"
    cpo_221.lists["locations"].append(gbt)
    client = cpo_221.client(hub.url)
    assert (
        await client.put("/ocpi/2.2.1/emsp/locations/DE/CPX/LOC-GBT", json=gbt, to_party="NL*HUB")
    ).status_code == 1000
    await drain(hub)
    assert emsp.calls_to("LOC-GBT") == []  # refused by the translation, never forwarded untranslated
    listed = await emsp.client(hub.url).get(LOCATIONS)
    ids = {loc["id"] for loc in listed.data}
    assert {"LOC001", "LOC-X"} <= ids
    assert "LOC-GBT" not in ids
    single = await emsp.client(hub.url).get(f"{LOCATIONS}/LOC-GBT")
    assert single.status_code == 3000
    assert "GBT_DC" in single.message


# --- Tokens -----------------------------------------------------------------------------------------------


async def test_emsp_token_push_reaches_a_2_2_1_cpo_in_2_2_1_shape_with_its_owner(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    token = {
        "uid": "EMW0001",
        "type": "RFID",
        "auth_id": "DE-EMW-C0001-7",
        "issuer": "EMW",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T09:00:00Z",
    }
    answer = await emsp.client(hub.url).put("/ocpi/2.1.1/tokens/DE/EMW/EMW0001", json=token)
    assert answer.status_code == 1000, answer.body
    await drain(hub)
    [call] = await cpo_221.wait_for_calls(f"{TOKENS_221_CPO}/DE/EMW/EMW0001", "PUT")
    assert call.json == {
        "country_code": "DE",
        "party_id": "EMW",
        "uid": "EMW0001",
        "type": "RFID",
        "contract_id": "DE-EMW-C0001-7",
        "issuer": "EMW",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T09:00:00Z",
    }
    assert (call.headers["ocpi-from-country-code"], call.headers["ocpi-from-party-id"]) == ("DE", "EMW")


async def test_a_token_push_2_2_1_cannot_take_is_2001(hub: RunningHub, emsp: Fake211Partner) -> None:
    answer = await emsp.client(hub.url).put("/ocpi/2.1.1/tokens/DE/EMW/T1", json=["not", "a", "token"])
    assert answer.status_code == 2001
    assert "Cannot be translated" in answer.message


# --- Commands ---------------------------------------------------------------------------------------------


def start_session(emsp: Fake211Partner, location: str, evse: str, ref: str) -> dict[str, Any]:
    return {
        "response_url": emsp.response_url(ref),
        "token": {
            "uid": "EMW0002",
            "type": "RFID",
            "auth_id": "DE-EMW-C0002-5",
            "issuer": "EMW",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": "2026-03-01T09:00:00Z",
        },
        "location_id": location,
        "evse_uid": evse,
    }


async def test_emsp_starts_a_session_at_a_2_2_1_cpo_and_gets_the_result_in_2_1_1_shape(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    answer = await emsp.client(hub.url).post(
        f"{COMMANDS}/START_SESSION", json=start_session(emsp, "LOC-X", "X1", "start-1")
    )
    assert (answer.status_code, answer.data) == (1000, {"result": "ACCEPTED"})  # no 2.2.1 timeout

    [sent] = cpo_221.calls_to("/ocpi/2.2.1/receiver/commands/START_SESSION", "POST")
    assert sent.json["token"]["contract_id"] == "DE-EMW-C0002-5"
    assert (sent.json["token"]["country_code"], sent.json["token"]["party_id"]) == ("DE", "EMW")
    hub_url = sent.json["response_url"]
    assert hub_url.startswith(f"{hub.url}/ocpi/hub/")  # proxied (CM-13)
    result = await cpo_221.client(hub.url).post(hub_url, json={"result": "EVSE_OCCUPIED"}, to_party="DE*EMW")
    assert result.status_code == 1000, result.body
    assert emsp.results == {"start-1": {"result": "REJECTED"}}  # 2.1.1 has no EVSE_OCCUPIED
    assert emsp.refused == []


async def test_emsp_starts_a_session_at_our_cpo(hub: RunningHub, emsp: Fake211Partner) -> None:
    station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    await station.connect()
    try:
        await station.boot()
        await station.status(1, "Available")
        answer = await emsp.client(hub.url).post(
            f"{COMMANDS}/START_SESSION", json=start_session(emsp, "LOC001", "CP001*1", "start-ours")
        )
        assert (answer.status_code, answer.data) == (1000, {"result": "ACCEPTED"}), answer.body
        await emsp.wait_for_calls("/results/start-ours", "POST")
        assert emsp.results == {"start-ours": {"result": "ACCEPTED"}}
        await station.wait_for_transaction(1)
        await drain(hub)
        [session] = [v for k, v in emsp.objects.items() if k.startswith("sessions/NL/CPO/")]
        assert session["auth_id"] == "DE-EMW-C0002-5"
        assert session["location"]["id"] == "LOC001"
        assert emsp.refused == []
    finally:
        await station.close()


async def test_a_command_2_1_1_does_not_have_is_405(hub: RunningHub, emsp: Fake211Partner) -> None:
    answer = await emsp.client(hub.url).post(f"{COMMANDS}/CANCEL_RESERVATION", json={"response_url": "u"})
    assert answer.status_code == 2001
    assert "not an OCPI 2.1.1 command" in answer.message


async def test_hub_errors_reach_the_emsp_as_3000_with_their_message(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    platform = next(p for p in await hub.core.platforms.list() if p.name == "CPO 2.2.1")
    await hub.core.platforms.put(platform.model_copy(update={"status": PlatformStatus.OFFLINE}))
    answer = await emsp.client(hub.url).post(
        f"{COMMANDS}/START_SESSION", json=start_session(emsp, "LOC-X", "X1", "start-2")
    )
    assert (answer.status, answer.status_code) == (200, 3000)
    assert answer.message.startswith("Hub error 4003: ")
    assert cpo_221.calls_to("/commands/") == []


async def test_the_emsp_gets_sessions_and_cdrs_lists(hub: RunningHub, emsp: Fake211Partner) -> None:
    client = emsp.client(hub.url)
    sessions = await client.get("/ocpi/2.1.1/sessions", params={"date_from": "2026-01-01T00:00:00Z"})
    assert (sessions.status_code, sessions.data) == (1000, [])
    cdrs = await client.get("/ocpi/2.1.1/cdrs")
    assert (cdrs.status_code, cdrs.data) == (1000, [])


async def test_owner_of_the_calls_is_its_party(hub: RunningHub, emsp: Fake211Partner) -> None:
    platform = next(p for p in await hub.core.platforms.list() if p.name == "eMSP 2.1.1")
    assert platform.roles[0].party == PartyRef.parse("DE*EMW")


async def test_a_2_2_1_cpos_cdr_reaches_the_emsp_and_reads_back_in_2_2_1_shape(
    hub: RunningHub, emsp: Fake211Partner, cpo_221: FakePartner
) -> None:
    cdr = {
        "country_code": "DE",
        "party_id": "CPX",
        "id": "CDR-1",
        "start_date_time": "2026-03-02T08:00:00Z",
        "end_date_time": "2026-03-02T09:00:00Z",
        "cdr_token": {
            "country_code": "DE",
            "party_id": "EMW",
            "uid": "EMW0002",
            "type": "RFID",
            "contract_id": "DE-EMW-C0002-5",
        },
        "auth_method": "AUTH_REQUEST",
        "cdr_location": {
            "id": "LOC-X",
            "address": "Bahnhofstrasse 1",
            "city": "Berlin",
            "country": "DEU",
            "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
            "evse_uid": "X1",
            "evse_id": "DE*CPX*EX1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2_COMBO",
            "connector_format": "CABLE",
            "connector_power_type": "DC",
        },
        "currency": "EUR",
        "charging_periods": [
            {"start_date_time": "2026-03-02T08:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 30}]}
        ],
        "total_cost": {"excl_vat": 15.0, "incl_vat": 18.15},
        "total_energy": 30,
        "total_time": 1,
        "last_updated": "2026-03-02T09:00:05Z",
    }
    client = cpo_221.client(hub.url)
    answer = await client.post("/ocpi/2.2.1/emsp/cdrs", json=cdr, to_party="DE*EMW")
    assert answer.status_code == 1000, answer.body
    received = emsp.objects["cdrs/CDR-1"]
    assert emsp.refused == []
    assert (received["auth_id"], received["total_cost"], received["stop_date_time"]) == (
        "DE-EMW-C0002-5",
        15.0,
        "2026-03-02T09:00:00Z",
    )
    connector = received["location"]["evses"][0]["connectors"][0]
    assert (connector["voltage"], connector["amperage"]) == (920, 200)  # from the live Location

    location = answer.headers["location"]
    assert location.startswith(f"{hub.url}/ocpi/hub/")  # proxied for the CPO (RT-11)
    back = await client.get(location, to_party="DE*EMW")
    assert back.status_code == 1000, back.body
    assert back.data["cdr_token"]["party_id"] == "EMW"
    assert back.data["total_cost"] == {"excl_vat": 15.0}
    assert (back.data["country_code"], back.data["party_id"]) == ("DE", "CPX")
