"""A 2.1.1 CPO roaming through the hub, over real HTTP on both storage backends (issue 4 part 6, checklist
§21): its Location pushes reach a 2.2.1 eMSP in 2.2.1 shape with the owner's country_code/party_id; it
receives a 2.2.1 eMSP's Tokens translated and answers its START_SESSION (result through a "via" URL); its
Sessions and CDRs reach the token's eMSP (auth_id → cdr_token); real-time authorization, and the refusals (a
Tariff without VAT, an unknown auth_id, a PATCH of a tariff)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from hub.settings import Settings
from tests.conftest import CP001_PASSWORD, RunningHub
from tests.fakes.ocpi211_partner import Fake211Partner
from tests.fakes.ocpi211_partner.hub import (
    CPO_211_A,
    PARTNER_221_A,
    drain,
    register_211,
    roaming_settings,
    start_hub,
)
from tests.fakes.ocpi211_partner.objects import a_cdr_211, a_location_211, a_session_211, a_token_221
from tests.fakes.ocpi_partner import FakePartner

PRT_TOKEN = a_token_221("PRT0001", party="DE*PRT", contract_id="DE-PRT-C0001-1")


@pytest.fixture
async def hub(settings_factory: Callable[..., Settings]) -> AsyncIterator[RunningHub]:
    running = await start_hub(roaming_settings(settings_factory, password=CP001_PASSWORD))
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def emsp_221(hub: RunningHub) -> AsyncIterator[FakePartner]:
    """A 2.2.1 eMSP (DE*PRT) with one token it can authorize."""
    async with FakePartner(roles=[("DE", "PRT", "EMSP")], lists={"tokens": [PRT_TOKEN]}) as fake:
        assert (await fake.register_with(f"{hub.url}/ocpi/versions", PARTNER_221_A)).status_code == 1000
        await drain(hub)
        fake.calls.clear()
        yield fake


@pytest.fixture
async def cpo(hub: RunningHub, emsp_221: FakePartner) -> AsyncIterator[Fake211Partner]:
    """A 2.1.1 CPO (DE*CPW) that already received the 2.2.1 eMSP's token through the hub."""
    async with Fake211Partner(
        party=("DE", "CPW"), role="CPO", lists={"locations": [a_location_211()]}
    ) as fake:
        await register_211(hub, fake, CPO_211_A)
        await drain(hub)
        pushed = await emsp_221.client(hub.url).put(
            "/ocpi/2.2.1/cpo/tokens/DE/PRT/PRT0001", json=PRT_TOKEN, to_party="NL*HUB"
        )
        assert pushed.status_code == 1000, pushed.body
        await drain(hub)
        fake.calls.clear()
        yield fake


# --- Locations --------------------------------------------------------------------------------------------


async def test_cpo_location_push_reaches_a_2_2_1_emsp_with_the_owners_party(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    answer = await cpo.client(hub.url).put("/ocpi/2.1.1/locations/DE/CPW/L1", json=a_location_211())
    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    await drain(hub)
    [call] = await emsp_221.wait_for_calls("/ocpi/2.2.1/receiver/locations/DE/CPW/L1", "PUT")
    location = call.json
    assert (location["country_code"], location["party_id"], location["publish"]) == ("DE", "CPW", True)
    assert location["parking_type"] == "ON_STREET"
    assert "type" not in location
    connector = location["evses"][0]["connectors"][0]
    assert (connector["max_voltage"], connector["max_amperage"], connector["tariff_ids"]) == (230, 16, ["T1"])
    assert location["last_updated"] == a_location_211()["last_updated"]  # CO-11
    assert (call.headers["ocpi-from-country-code"], call.headers["ocpi-from-party-id"]) == ("DE", "CPW")


async def test_cpo_evse_status_patch_reaches_the_2_2_1_emsp(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    client = cpo.client(hub.url)
    await client.put("/ocpi/2.1.1/locations/DE/CPW/L1", json=a_location_211())
    patch = {"status": "CHARGING", "last_updated": "2026-03-02T09:00:00Z"}
    answer = await client.patch("/ocpi/2.1.1/locations/DE/CPW/L1/E1", json=patch)
    assert answer.status_code == 1000, answer.body
    await drain(hub)
    [call] = await emsp_221.wait_for_calls("/receiver/locations/DE/CPW/L1/E1", "PATCH")
    assert call.json == patch


async def test_a_push_for_another_party_is_404_and_a_tariff_patch_is_refused(
    hub: RunningHub, cpo: Fake211Partner
) -> None:
    client = cpo.client(hub.url)
    assert (await client.put("/ocpi/2.1.1/locations/NL/CPO/L1", json=a_location_211())).status == 404
    answer = await client.patch("/ocpi/2.1.1/tariffs/DE/CPW/T1", json={"currency": "EUR"})
    assert answer.status_code == 2001
    assert "PATCH" in answer.message


async def test_a_tariff_without_vat_is_refused_and_not_forwarded(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    tariff = {
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.30, "step_size": 1}]}],
        "last_updated": "2026-03-01T00:00:00Z",
    }
    answer = await cpo.client(hub.url).put("/ocpi/2.1.1/tariffs/DE/CPW/T1", json=tariff)
    assert (answer.status, answer.status_code) == (200, 2001)
    assert "vat" in answer.message
    await drain(hub)
    assert emsp_221.calls_to("/tariffs/") == []


# --- Tokens and commands ----------------------------------------------------------------------------------


async def test_a_2_2_1_emsps_token_reaches_the_cpo_in_2_1_1_shape(cpo: Fake211Partner) -> None:
    assert cpo.refused == []
    # The fixture's push, delivered before the calls were cleared, is kept by the fake.
    assert cpo.objects["tokens/DE/PRT/PRT0001"] == {
        "uid": "PRT0001",
        "type": "RFID",
        "auth_id": "DE-PRT-C0001-1",
        "issuer": "Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": PRT_TOKEN["last_updated"],
    }


async def test_cpo_gets_the_token_list_in_2_1_1_shape(hub: RunningHub, cpo: Fake211Partner) -> None:
    answer = await cpo.client(hub.url).get("/ocpi/2.1.1/tokens")
    assert answer.status_code == 1000, answer.body
    by_uid = {t["uid"]: t for t in answer.data}
    assert by_uid["PRT0001"]["auth_id"] == "DE-PRT-C0001-1"
    assert all("contract_id" not in t and "country_code" not in t for t in answer.data)


async def test_a_2_2_1_emsp_starts_a_session_at_the_2_1_1_cpo(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    body = {
        "response_url": f"{emsp_221.url}/ocpi/2.2.1/sender/commands/START_SESSION/c1",
        "token": PRT_TOKEN,
        "location_id": "L1",
        "evse_uid": "E1",
        "connector_id": "1",
    }
    answer = await emsp_221.client(hub.url).post(
        "/ocpi/2.2.1/cpo/commands/START_SESSION", json=body, to_party="DE*CPW"
    )
    assert (answer.status_code, answer.data["result"]) == (1000, "ACCEPTED"), answer.body
    assert answer.data["timeout"] == 60  # 2.1.1 gives none; 2.2.1 requires one
    [call] = cpo.calls_to("/ocpi/2.1.1/commands/START_SESSION", "POST")
    sent = call.json
    assert "connector_id" not in sent
    assert sent["token"]["auth_id"] == "DE-PRT-C0001-1"
    via = sent["response_url"]
    assert via.startswith(f"{hub.url}/ocpi/2.1.1/via/commands/hub/")

    result = await cpo.client(hub.url).post(via, json={"result": "ACCEPTED"})
    assert result.status_code == 1000, result.body
    [delivered] = await emsp_221.wait_for_calls("/sender/commands/START_SESSION/c1", "POST")
    assert delivered.json == {"result": "ACCEPTED"}
    assert (delivered.headers["ocpi-from-party-id"], delivered.headers["ocpi-to-party-id"]) == ("CPW", "PRT")


async def test_a_via_url_works_only_for_the_platform_it_was_handed_to(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    answer = await cpo.client(hub.url).post(
        "/ocpi/2.1.1/via/commands/hub/not-a-key", json={"result": "ACCEPTED"}
    )
    assert answer.status == 404
    outside = await cpo.client(hub.url).get("/ocpi/2.1.1/via/cdrs/admin/x")
    assert outside.status == 404


# --- Sessions and CDRs ------------------------------------------------------------------------------------


async def test_cpo_session_reaches_the_tokens_emsp_in_2_2_1_shape(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    session = a_session_211("S1", auth_id="DE-PRT-C0001-1", total_cost=1.25)
    answer = await cpo.client(hub.url).put("/ocpi/2.1.1/sessions/DE/CPW/S1", json=session)
    assert answer.status_code == 1000, answer.body
    [call] = emsp_221.calls_to("/ocpi/2.2.1/receiver/sessions/DE/CPW/S1", "PUT")
    sent = call.json
    assert sent["cdr_token"] == {
        "country_code": "DE",
        "party_id": "PRT",
        "uid": "PRT0001",
        "type": "RFID",
        "contract_id": "DE-PRT-C0001-1",
    }
    assert (sent["location_id"], sent["evse_uid"], sent["connector_id"]) == ("L1", "E1", "1")
    assert sent["total_cost"] == {"excl_vat": 1.25}
    assert sent["start_date_time"] == session["start_datetime"]

    patch = await cpo.client(hub.url).patch(
        "/ocpi/2.1.1/sessions/DE/CPW/S1",
        json={"kwh": 3.5, "total_cost": 2.0, "last_updated": "2026-03-02T09:00:00Z"},
    )
    assert patch.status_code == 1000, patch.body
    [patched] = emsp_221.calls_to("/ocpi/2.2.1/receiver/sessions/DE/CPW/S1", "PATCH")
    assert patched.json == {
        "kwh": 3.5,
        "total_cost": {"excl_vat": 2.0},
        "last_updated": "2026-03-02T09:00:00Z",
    }


async def test_a_session_of_an_unknown_auth_id_is_refused(hub: RunningHub, cpo: Fake211Partner) -> None:
    answer = await cpo.client(hub.url).put(
        "/ocpi/2.1.1/sessions/DE/CPW/S9", json=a_session_211("S9", auth_id="NOBODY-KNOWS")
    )
    assert answer.status_code == 2001
    assert "auth_id" in answer.message


async def test_cpo_cdr_reaches_the_emsp_and_its_location_header_is_a_2_1_1_url(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    cdr = a_cdr_211("C1", auth_id="DE-PRT-C0001-1")
    answer = await cpo.client(hub.url).post("/ocpi/2.1.1/cdrs", json=cdr)
    assert answer.status_code == 1000, answer.body
    [call] = emsp_221.calls_to("/ocpi/2.2.1/receiver/cdrs", "POST")
    sent = call.json
    assert (sent["country_code"], sent["party_id"]) == ("DE", "CPW")
    assert sent["cdr_token"]["party_id"] == "PRT"
    assert sent["total_cost"] == {"excl_vat": 2.25}
    assert sent["cdr_location"]["evse_id"] == "DE*CPW*E1"
    assert sent["end_date_time"] == cdr["stop_date_time"]
    location = answer.headers["location"]
    assert location.startswith(f"{hub.url}/ocpi/2.1.1/via/cdrs/hub/")
    stored = await cpo.client(hub.url).get(location)
    assert stored.status_code == 1000, stored.body
    assert stored.data["id"] == "C1"
    assert stored.data["auth_id"] == "DE-PRT-C0001-1"
    assert stored.data["location"]["evses"][0]["connectors"][0]["voltage"] == 230


# --- Real-time authorization ------------------------------------------------------------------------------


async def test_cpo_authorizes_a_2_2_1_emsps_token(
    hub: RunningHub, cpo: Fake211Partner, emsp_221: FakePartner
) -> None:
    answer = await cpo.client(hub.url).post(
        "/ocpi/2.1.1/tokens/PRT0001/authorize",
        json={"location_id": "L1", "evse_uids": ["E1"], "connector_ids": ["1"]},
    )
    assert (answer.status_code, answer.data) == (1000, {"allowed": "ALLOWED"}), answer.body
    [call] = emsp_221.calls_to("/sender/tokens/PRT0001/authorize", "POST")
    assert call.json == {"location_id": "L1", "evse_uids": ["E1"]}


async def test_an_unknown_token_is_http_404_with_a_2_1_1_status(hub: RunningHub, cpo: Fake211Partner) -> None:
    answer = await cpo.client(hub.url).post("/ocpi/2.1.1/tokens/NOPE/authorize")
    assert (answer.status, answer.status_code) == (404, 2000)  # SC-04: 2.1.1 has no 2004
    assert answer.message.startswith("Unknown token")


async def test_hub_pulls_the_cpos_locations_in_2_2_1_shape(hub: RunningHub, cpo: Fake211Partner) -> None:
    from ocpi_modules.common.routing import SENDER, RelayRequest
    from ocpi_modules.common.runtime import OCPI_KEY

    rt = hub.app[OCPI_KEY]
    platform = next(p for p in await hub.core.platforms.list() if p.name == "CPO 2.1.1")
    emsp = next(p for p in await hub.core.platforms.list() if p.name == "eMSP 2.2.1")
    request = RelayRequest(
        module="locations",
        role=SENDER,
        method="GET",
        tail=(),
        from_party=emsp.roles[0].party,
        to_party=platform.roles[0].party,
        platform=emsp,
        correlation_id="c-1",
        query={"date_from": "2026-03-02T08:30:00Z"},
    )
    answer = await rt.router.route(request)
    assert answer.status_code == 1000
    [location] = answer.data
    assert (location["country_code"], location["party_id"], location["id"]) == ("DE", "CPW", "L1")
    [call] = cpo.calls_to("/ocpi/2.1.1/locations", "GET")
    assert call.query["date_from"] == "2026-03-02T08:29:59Z"  # 2.1.1 date_from is exclusive
    assert "ocpi-from-party-id" not in call.headers
