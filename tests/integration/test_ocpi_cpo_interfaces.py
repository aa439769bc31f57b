"""Our CPO's OCPI 2.2.1 interfaces over real HTTP, a registered fake eMSP platform calling them, on both
storage backends: the Locations/Sessions/CDRs/Tariffs Senders (pagination, visibility, 404s), the Tokens
Receiver (PUT/PATCH rules CO-02…CO-10) and the synchronous side of Commands and ChargingProfiles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.core.models import (
    Capability,
    Connector,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    Session,
    SessionStatus,
    TokenType,
)
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubClient, bind_public_url

TOKEN_A = "hub-invitation-token-A-cpo"
CPO = PartyRef.parse("NL*CPO")
PRT = PartyRef.parse("DE*PRT")
LOCATIONS = "/ocpi/2.2.1/cpo/locations"
TOKENS = "/ocpi/2.2.1/cpo/tokens"
COMMANDS = "/ocpi/2.2.1/cpo/commands"
T1 = datetime(2026, 2, 1, tzinfo=UTC)

MakeHub = Callable[..., Awaitable[RunningHub]]


def extra_locations(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"LOC1{i:02d}",
            "party": "NL*CPO",
            "name": f"Site {i}",
            "address": f"Straat {i}",
            "city": "Utrecht",
            "country": "NLD",
            "latitude": "52.09000",
            "longitude": "5.12000",
        }
        for i in range(count)
    ]


@pytest.fixture
async def hub(make_hub: MakeHub) -> RunningHub:
    from tests.conftest import base_config

    locations = base_config("sqlite://")["locations"] + extra_locations(4)
    running = await make_hub(
        ocpi={
            "allow_private_urls": True,
            "page_limit": 2,
            "invitations": [{"name": "Partner", "token": TOKEN_A}],
        },
        locations=locations,
    )
    bind_public_url(running)
    return running


@pytest.fixture
async def partner(hub: RunningHub) -> AsyncIterator[FakePartner]:
    async with FakePartner() as fake:
        answer = await fake.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
        assert answer.status_code == 1000
        yield fake


@pytest.fixture
def client(hub: RunningHub, partner: FakePartner) -> HubClient:
    return partner.client(hub.url)


def a_token(uid: str = "DEPRT0001", **changes: Any) -> dict[str, Any]:
    token = {
        "country_code": "DE",
        "party_id": "PRT",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-PRT-C00001-1",
        "issuer": "Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-02-01T10:00:00Z",
    }
    return token | changes


async def a_partner_session(hub: RunningHub, session_id: str, token_party: PartyRef, when: datetime) -> None:
    async with hub.db.unit_of_work() as uow:
        await uow.sessions.put(
            Session(
                id=session_id,
                party=CPO,
                status=SessionStatus.ACTIVE,
                start=when,
                location_id="LOC001",
                evse_uid="CP001*1",
                connector_id="1",
                station_id="CP001",
                token_uid="DEPRT0001",
                token_party=token_party,
                kwh=Decimal("1.5"),
                last_updated=when,
            )
        )
        await uow.commit()


# --- Locations Sender -------------------------------------------------------------------------------------


async def test_lo_01_pg_02_locations_pull_follows_links_and_counts_only_published(
    hub: RunningHub, client: HubClient, partner: FakePartner
) -> None:
    loc = await hub.core.locations.get(CPO, "LOC100")
    assert loc is not None
    await hub.core.locations.put(loc.model_copy(update={"publish": False}))  # LO-07: nobody sees it

    first = await client.get(LOCATIONS, to_party="NL*CPO")
    assert (first.status, first.status_code) == (200, 1000)
    assert first.headers["x-total-count"] == "4"  # LOC001, LOC101…LOC103
    assert first.headers["x-limit"] == "2"
    assert len(first.data) == 2
    assert first.headers["ocpi-from-party-id"] == "CPO"
    assert first.headers["ocpi-to-party-id"] == "PRT"
    ids = [loc["id"] for loc in first.data]
    url: str | None = first.headers["link"].split(";")[0].strip("<>")
    assert url is not None
    assert url.startswith(hub.url)
    while url:
        page = await client.get(url, to_party="NL*CPO")
        assert page.status_code == 1000
        ids += [loc["id"] for loc in page.data]
        link = page.headers.get("link")
        url = link.split(";")[0].strip("<>") if link else None
    assert sorted(ids) == ["LOC001", "LOC101", "LOC102", "LOC103"]
    assert all(item["publish"] for item in first.data)

    limited = await client.get(LOCATIONS, params={"limit": "1", "offset": "3"})
    assert limited.headers["x-total-count"] == "4"
    assert "link" not in limited.headers  # PG-03: the last page has none
    assert len(limited.data) == 1


async def test_lo_01_pg_01_locations_date_window(hub: RunningHub, client: HubClient) -> None:
    loc = await hub.core.locations.get(CPO, "LOC101")
    assert loc is not None
    later = datetime.now(UTC) + timedelta(days=1)
    await hub.core.locations.put(loc.model_copy(update={"name": "Renamed", "last_updated": later}))
    answer = await client.get(LOCATIONS, params={"date_from": (later - timedelta(seconds=1)).isoformat()})
    assert answer.status_code == 1000
    assert [item["id"] for item in answer.data] == ["LOC101"]
    assert answer.headers["x-total-count"] == "1"


async def test_rf_06_location_evse_connector_get_and_unknown_objects(
    hub: RunningHub, client: HubClient
) -> None:
    now = datetime.now(UTC)
    evse = Evse(
        uid="CP001*1", status=EvseStatus.AVAILABLE, station_id="CP001", station_evse_no=1, last_updated=now
    )
    evse = evse.model_copy(update={"connectors": (Connector(id="1", last_updated=now),)})
    await hub.core.locations.put_evse(CPO, "LOC001", evse)

    got = await client.get(f"{LOCATIONS}/LOC001")
    assert got.status_code == 1000
    assert got.data["id"] == "LOC001"
    assert [e["uid"] for e in got.data["evses"]] == ["CP001*1"]
    assert got.data["coordinates"] == {"latitude": "52.37900", "longitude": "4.90000"}
    evse_reply = await client.get(f"{LOCATIONS}/LOC001/CP001%2A1")
    assert evse_reply.status_code == 1000, evse_reply.body
    assert evse_reply.data["status"] == "AVAILABLE"
    connector = await client.get(f"{LOCATIONS}/loc001/CP001*1/1")  # ids compare case-insensitively
    assert (connector.status_code, connector.data["id"]) == (1000, "1")

    for path in (f"{LOCATIONS}/NOPE", f"{LOCATIONS}/LOC001/NOPE", f"{LOCATIONS}/LOC001/CP001*1/9"):
        missing = await client.get(path)
        assert missing.status == 404, path
        assert missing.status_code is not None
        assert 2000 <= missing.status_code < 3000
        assert "data" not in missing.body


async def test_lo_07_unpublished_location_is_not_found(hub: RunningHub, client: HubClient) -> None:
    loc = await hub.core.locations.get(CPO, "LOC102")
    assert loc is not None
    await hub.core.locations.put(loc.model_copy(update={"publish": False}))
    assert (await client.get(f"{LOCATIONS}/LOC102")).status == 404


async def test_au_04_cpo_interfaces_need_a_registered_token(hub: RunningHub, client: HubClient) -> None:
    assert (await client.get(LOCATIONS, token="not-a-token")).status == 401
    assert (await client.get(LOCATIONS, token=TOKEN_A)).status == 401  # AU-05: Token A is spent/not enough


# --- Sessions, CDRs, Tariffs Senders ----------------------------------------------------------------------


async def test_pg_08_sessions_need_date_from_and_show_only_the_callers(
    hub: RunningHub, client: HubClient
) -> None:
    missing = await client.get("/ocpi/2.2.1/cpo/sessions")
    assert missing.status_code == 2001
    await a_partner_session(hub, "S-PRT", PRT, T1)
    await a_partner_session(hub, "S-OTHER", PartyRef.parse("FR*XYZ"), T1)
    listed = await client.get("/ocpi/2.2.1/cpo/sessions", params={"date_from": "2026-01-01T00:00:00Z"})
    assert listed.status_code == 1000
    assert [s["id"] for s in listed.data] == ["S-PRT"]
    assert listed.headers["x-total-count"] == "1"
    session = listed.data[0]
    assert session["cdr_token"]["party_id"] == "PRT"
    assert session["kwh"] == 1.5
    assert session["status"] == "ACTIVE"


async def test_se_02_charging_preferences_without_capability_is_404_2001(
    hub: RunningHub, client: HubClient
) -> None:
    now = datetime.now(UTC)
    await hub.core.locations.put_evse(
        CPO, "LOC001", Evse(uid="CP001*1", station_id="CP001", station_evse_no=1, last_updated=now)
    )
    await a_partner_session(hub, "S-PREF", PRT, T1)
    path = "/ocpi/2.2.1/cpo/sessions/S-PREF/charging_preferences"
    answer = await client.put(path, json={"profile_type": "FAST"})
    assert (answer.status, answer.status_code) == (404, 2001)
    capable = Evse(
        uid="CP001*1",
        station_id="CP001",
        station_evse_no=1,
        capabilities=(Capability.CHARGING_PREFERENCES_CAPABLE,),
        last_updated=now + timedelta(seconds=1),
    )
    await hub.core.locations.put_evse(CPO, "LOC001", capable)
    answer = await client.put(path, json={"profile_type": "FAST"})
    assert (answer.status, answer.status_code, answer.data) == (200, 1000, "NOT_POSSIBLE")
    unknown = await client.put(
        "/ocpi/2.2.1/cpo/sessions/NOPE/charging_preferences", json={"profile_type": "FAST"}
    )
    assert unknown.status == 404


async def test_ta_01_tariffs_list(client: HubClient) -> None:
    answer = await client.get("/ocpi/2.2.1/cpo/tariffs")
    assert answer.status_code == 1000
    assert [t["id"] for t in answer.data] == ["STD"]
    assert answer.data[0]["currency"] == "EUR"
    assert answer.headers["x-total-count"] == "1"


async def test_cd_01_cdrs_list_is_empty_for_a_new_partner(client: HubClient) -> None:
    answer = await client.get("/ocpi/2.2.1/cpo/cdrs")
    assert (answer.status_code, answer.data, answer.headers["x-total-count"]) == (1000, [], "0")


# --- Tokens Receiver ------------------------------------------------------------------------------------


async def test_tk_01_rf_06_token_put_creates_then_updates_and_get_returns_it(
    hub: RunningHub, client: HubClient
) -> None:
    path = f"{TOKENS}/DE/PRT/DEPRT0001"
    created = await client.put(path, json=a_token())
    assert (created.status, created.status_code) == (201, 1000)
    updated = await client.put(path, json=a_token(valid=False, last_updated="2026-02-01T11:00:00Z"))
    assert (updated.status, updated.status_code) == (200, 1000)
    stored = await hub.core.tokens.get("DEPRT0001", PRT)
    assert stored is not None
    assert (stored.valid, stored.own, stored.type) == (False, False, TokenType.RFID)
    got = await client.get(path, params={"type": "RFID"})
    assert (got.status_code, got.data["uid"], got.data["valid"]) == (1000, "DEPRT0001", False)
    assert (await client.get(path, params={"type": "APP_USER"})).status == 404


async def test_co_04_token_for_a_party_not_of_the_caller_is_404(client: HubClient) -> None:
    answer = await client.put(f"{TOKENS}/FR/XYZ/T1", json=a_token("T1", country_code="FR", party_id="XYZ"))
    assert answer.status == 404


async def test_co_02_co_03_body_identity_must_match_the_url(client: HubClient) -> None:
    wrong_uid = await client.put(f"{TOKENS}/DE/PRT/OTHER", json=a_token())
    assert wrong_uid.status_code == 2001
    wrong_party = await client.put(f"{TOKENS}/DE/PRT/DEPRT0001", json=a_token(party_id="ABC"))
    assert wrong_party.status_code == 2001


async def test_co_06_co_08_co_10_token_patch_rules(hub: RunningHub, client: HubClient) -> None:
    path = f"{TOKENS}/DE/PRT/DEPRT0001"
    unknown = await client.patch(path, json={"valid": False, "last_updated": "2026-02-01T12:00:00Z"})
    assert unknown.status == 404  # CO-08
    await client.put(path, json=a_token())
    no_date = await client.patch(path, json={"valid": False})
    assert no_date.status_code == 2001  # CO-06
    patched = await client.patch(path, json={"valid": False, "last_updated": "2026-02-01T12:00:00Z"})
    assert patched.status_code == 1000
    stale = await client.patch(path, json={"valid": True, "last_updated": "2026-02-01T11:00:00Z"})
    assert stale.status_code == 1000  # CO-10: acknowledged …
    stored = await hub.core.tokens.get("DEPRT0001", PRT)
    assert stored is not None
    assert stored.valid is False
    stale_put = await client.put(path, json=a_token(valid=True, last_updated="2026-01-01T00:00:00Z"))
    assert (stale_put.status, stale_put.status_code) == (200, 1000)
    stored = await hub.core.tokens.get("DEPRT0001", PRT)
    assert stored is not None
    assert stored.valid is False


# --- Commands and ChargingProfiles: synchronous answers ----------------------------------------------------


def start_body(partner: FakePartner, location_id: str = "LOC001", **changes: Any) -> dict[str, Any]:
    body = {
        "response_url": f"{partner.url}/ocpi/2.2.1/sender/commands/START_SESSION/1",
        "token": a_token(),
        "location_id": location_id,
        "evse_uid": "CP001*1",
    }
    return body | changes


async def test_cm_04_start_session_at_an_unknown_location_is_2003_rejected(
    client: HubClient, partner: FakePartner
) -> None:
    answer = await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner, "NOPE"))
    assert answer.status_code == 2003
    assert answer.data["result"] == "REJECTED"
    assert isinstance(answer.data["timeout"], int)


async def test_cm_09_start_session_with_another_emsps_token_is_rejected(
    client: HubClient, partner: FakePartner
) -> None:
    body = start_body(partner, token=a_token("X1", country_code="FR", party_id="XYZ"))
    answer = await client.post(f"{COMMANDS}/START_SESSION", json=body)
    assert (answer.status_code, answer.data["result"]) == (1000, "REJECTED")


async def test_cm_01_unknown_command_and_bad_body(client: HubClient, partner: FakePartner) -> None:
    assert (await client.post(f"{COMMANDS}/SELF_DESTRUCT", json={})).status == 404
    bad = await client.post(f"{COMMANDS}/STOP_SESSION", json={"response_url": f"{partner.url}/x"})
    assert bad.status_code == 2001


async def test_cm_02_start_session_on_an_offline_station_is_rejected_at_once(
    hub: RunningHub, client: HubClient, partner: FakePartner
) -> None:
    now = datetime.now(UTC)
    await hub.core.locations.put_evse(
        CPO, "LOC001", Evse(uid="CP001*1", station_id="CP001", station_evse_no=1, last_updated=now)
    )
    answer = await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner))
    assert answer.status_code == 1000
    assert answer.data["result"] == "REJECTED"
    assert answer.data["message"][0]["text"] == "station offline"


async def test_cm_stop_session_of_someone_elses_session_is_unknown(
    hub: RunningHub, client: HubClient, partner: FakePartner
) -> None:
    await a_partner_session(hub, "S-OTHER", PartyRef.parse("FR*XYZ"), T1)
    body = {"response_url": f"{partner.url}/x", "session_id": "S-OTHER"}
    answer = await client.post(f"{COMMANDS}/STOP_SESSION", json=body)
    assert (answer.status_code, answer.data["result"]) == (1000, "UNKNOWN_SESSION")


async def test_cp_02_charging_profiles_synchronous_answers(
    hub: RunningHub, client: HubClient, partner: FakePartner
) -> None:
    profile = {
        "response_url": f"{partner.url}/ocpi/2.2.1/sender/chargingprofiles/1",
        "charging_profile": {
            "charging_rate_unit": "W",
            "charging_profile_period": [{"start_period": 0, "limit": 7400.0}],
        },
    }
    unknown = await client.put("/ocpi/2.2.1/cpo/chargingprofiles/NOPE", json=profile)
    assert (unknown.status_code, unknown.data["result"]) == (1000, "UNKNOWN_SESSION")
    await a_partner_session(hub, "S-CP", PRT, T1)
    offline = await client.put("/ocpi/2.2.1/cpo/chargingprofiles/S-CP", json=profile)
    assert (offline.status_code, offline.data["result"]) == (1000, "REJECTED")  # the station is not connected
    params = {"duration": "900", "response_url": f"{partner.url}/x"}
    active = await client.get("/ocpi/2.2.1/cpo/chargingprofiles/S-CP", params=params)
    assert (active.status_code, active.data["result"]) == (1000, "REJECTED")  # offline, as for PUT
    cleared = await client.delete("/ocpi/2.2.1/cpo/chargingprofiles/S-CP", params={"response_url": "x"})
    assert (cleared.status_code, cleared.data["result"]) == (1000, "REJECTED")  # nothing of ours to clear
    unknown_get = await client.get("/ocpi/2.2.1/cpo/chargingprofiles/NOPE", params=params)
    assert unknown_get.data["result"] == "UNKNOWN_SESSION"
    bad = await client.put(
        "/ocpi/2.2.1/cpo/chargingprofiles/S-CP", json={"response_url": "x", "charging_profile": {}}
    )
    assert bad.status_code == 2001


async def test_cpo_location_for_loc_not_of_ours(hub: RunningHub, client: HubClient) -> None:
    other = Location(
        id="FOREIGN",
        party=PartyRef.parse("BE*ABC"),
        address="x",
        city="y",
        country="BEL",
        latitude=Decimal("50.00000"),
        longitude=Decimal("4.00000"),
        last_updated=datetime.now(UTC),
    )
    await hub.core.locations.put(other)
    assert (await client.get(f"{LOCATIONS}/FOREIGN")).status == 404
