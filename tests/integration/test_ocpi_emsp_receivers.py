"""Our eMSP's Locations, Sessions, CDRs and Tariffs Receivers over real HTTP: a CPO partner platform pushes
to the running hub (both storage backends) and reads back what was stored (checklist §7, §13–16, §22)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog.testing

from hub.core.models import PartyRef
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubClient, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform
from tests.fakes.ocpi_partner.objects import a_cdr_location

PARTNER_TOKEN = "partner-to-hub-token-receivers"
HUB_TOKEN = "hub-to-partner-token-receivers"
CPX = PartyRef(country_code="DE", party_id="CPX")
EMSP = "/ocpi/2.2.1/emsp"
T1, T2, T3 = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", "2025-03-01T12:00:00Z"


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    client: HubClient


@pytest.fixture
async def env(make_hub: Callable[..., Awaitable[RunningHub]], tmp_path: Path) -> AsyncIterator[Env]:
    """The hub with a CONNECTED partner platform carrying the CPO DE*CPX (and the CPO DE*CPY)."""
    hub = await make_hub(ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")})
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO"), ("DE", "CPY", "CPO")], name="Charge X") as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
        yield Env(hub, partner, partner.client(hub.url))


def a_connector(connector_id: str = "1", last_updated: str = T1, **overrides: Any) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "last_updated": last_updated,
        **overrides,
    }


def an_evse(uid: str = "EVSE-1", last_updated: str = T1, **overrides: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "status": "AVAILABLE",
        "connectors": [a_connector(last_updated=last_updated)],
        "last_updated": last_updated,
        **overrides,
    }


def a_location(location_id: str = "LOC-1", last_updated: str = T1, **overrides: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "evses": [an_evse(last_updated=last_updated)],
        "last_updated": last_updated,
        **overrides,
    }


def a_session(session_id: str = "SES-1", last_updated: str = T1, **overrides: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": session_id,
        "start_date_time": T1,
        "kwh": 0,
        "cdr_token": {
            "country_code": "NL",
            "party_id": "MSP",
            "uid": "04A1B2C3D4E5F6",
            "type": "RFID",
            "contract_id": "NL-MSP-C12345678-X",
        },
        "auth_method": "WHITELIST",
        "location_id": "LOC-1",
        "evse_uid": "EVSE-1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "charging_periods": [a_period(T1)],
        "last_updated": last_updated,
        **overrides,
    }


def a_period(start: str, kwh: str = "1.5") -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": float(kwh)}]}


def a_cdr(cdr_id: str = "CDR-1", **overrides: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": cdr_id,
        "start_date_time": T1,
        "end_date_time": T2,
        "session_id": "SES-1",
        "cdr_token": a_session()["cdr_token"],
        "auth_method": "WHITELIST",
        "cdr_location": a_cdr_location(),
        "currency": "EUR",
        "charging_periods": [a_period(T1, "12.5")],
        "total_cost": {"excl_vat": 5.13, "incl_vat": 6.21},
        "total_energy": 12.5,
        "total_time": 1.0,
        "last_updated": T2,
        **overrides,
    }


def a_tariff(tariff_id: str = "TAR-1", last_updated: str = T1, **overrides: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 19, "step_size": 1}]}],
        "last_updated": last_updated,
        **overrides,
    }


def location_url(location_id: str = "LOC-1", *tail: str, party: str = "DE/CPX") -> str:
    return "/".join((f"{EMSP}/locations/{party}/{location_id}", *tail))


async def stored(env: Env, path: str) -> Any:
    answer = await env.client.get(path)
    assert answer.status == 200, answer.body
    return answer.data


# --- Locations ------------------------------------------------------------------------------------------


async def test_lo02_rf06_put_location_creates_201_then_replaces_200_and_get_returns_it(env: Env) -> None:
    created = await env.client.put(location_url(), json=a_location())
    replaced = await env.client.put(location_url(), json=a_location(last_updated=T2, name="Renamed"))

    assert (created.status, created.status_code) == (201, 1000)
    assert (replaced.status, replaced.status_code) == (200, 1000)
    assert "data" not in created.body
    assert created.headers["ocpi-from-country-code"] == "NL"
    assert created.headers["ocpi-from-party-id"] == "MSP"
    data = await stored(env, location_url())
    assert data["name"] == "Renamed"
    assert data["last_updated"] == T2
    record = await env.hub.core.records.get("locations", CPX, "loc-1")
    assert record is not None
    assert record.data["evses"][0]["uid"] == "EVSE-1"


async def test_lo04_put_evse_and_connector_bubble_last_updated_to_the_location(env: Env) -> None:
    await env.client.put(location_url(), json=a_location())

    evse = await env.client.put(location_url("LOC-1", "EVSE-2"), json=an_evse("EVSE-2", T2))
    connector = await env.client.put(
        location_url("LOC-1", "EVSE-1", "2"), json=a_connector("2", T3, max_amperage=32)
    )

    assert (evse.status, evse.status_code) == (200, 1000)
    assert (connector.status, connector.status_code) == (200, 1000)
    location = await stored(env, location_url())
    assert [e["uid"] for e in location["evses"]] == ["EVSE-1", "EVSE-2"]
    assert location["last_updated"] == T3
    assert location["evses"][0]["last_updated"] == T3
    assert (await stored(env, location_url("LOC-1", "EVSE-1", "2")))["max_amperage"] == 32
    assert (await stored(env, location_url("LOC-1", "EVSE-2")))["uid"] == "EVSE-2"


async def test_lo04_patch_evse_status_updates_it_and_bubbles_up(env: Env) -> None:
    await env.client.put(location_url(), json=a_location())

    answer = await env.client.patch(
        location_url("LOC-1", "EVSE-1"), json={"status": "CHARGING", "last_updated": T2}
    )

    assert (answer.status, answer.status_code) == (200, 1000)
    location = await stored(env, location_url())
    assert location["evses"][0]["status"] == "CHARGING"
    assert location["evses"][0]["connectors"][0]["max_voltage"] == 230
    assert location["last_updated"] == T2


async def test_co06_sc02_patch_without_last_updated_is_2001(env: Env) -> None:
    await env.client.put(location_url(), json=a_location())

    answer = await env.client.patch(location_url("LOC-1", "EVSE-1"), json={"status": "CHARGING"})

    assert answer.status_code == 2001
    assert (await stored(env, location_url("LOC-1", "EVSE-1")))["status"] == "AVAILABLE"


async def test_co08_patch_of_an_unknown_location_evse_or_connector_is_404(env: Env) -> None:
    patch = {"status": "CHARGING", "last_updated": T2}
    unknown_location = await env.client.patch(location_url("NOPE"), json={"name": "x", "last_updated": T2})
    await env.client.put(location_url(), json=a_location())
    unknown_evse = await env.client.patch(location_url("LOC-1", "NOPE"), json=patch)
    unknown_connector = await env.client.patch(location_url("LOC-1", "EVSE-1", "9"), json=patch)

    assert unknown_location.status == 404
    assert unknown_evse.status == 404
    assert unknown_connector.status == 404
    assert (await env.client.get(location_url("NOPE"))).status == 404


async def test_put_evse_of_an_unknown_location_is_404_2003(env: Env) -> None:
    answer = await env.client.put(location_url("NOPE", "EVSE-1"), json=an_evse())

    assert (answer.status, answer.status_code) == (404, 2003)


async def test_co10_stale_put_and_patch_are_acknowledged_but_not_applied(env: Env) -> None:
    await env.client.put(location_url(), json=a_location(last_updated=T2, name="Current"))

    old_put = await env.client.put(location_url(), json=a_location(last_updated=T1, name="Old"))
    old_patch = await env.client.patch(location_url(), json={"name": "Older", "last_updated": T1})
    old_evse = await env.client.patch(
        location_url("LOC-1", "EVSE-1"), json={"status": "OUTOFORDER", "last_updated": T1}
    )

    assert [(a.status, a.status_code) for a in (old_put, old_patch, old_evse)] == [(200, 1000)] * 3
    location = await stored(env, location_url())
    assert location["name"] == "Current"
    assert location["evses"][0]["status"] == "AVAILABLE"
    assert location["last_updated"] == T2


async def test_co02_body_party_other_than_the_url_is_2001(env: Env) -> None:
    answer = await env.client.put(location_url(party="DE/CPY"), json=a_location())

    assert answer.status_code == 2001
    assert (await env.client.get(location_url(party="DE/CPY"))).status == 404


async def test_co03_url_id_other_than_the_body_id_is_2001(env: Env) -> None:
    location = await env.client.put(location_url("LOC-2"), json=a_location("LOC-1"))
    await env.client.put(location_url(), json=a_location())
    evse = await env.client.put(location_url("LOC-1", "EVSE-9"), json=an_evse("EVSE-1"))

    assert location.status_code == 2001
    assert evse.status_code == 2001


async def test_co04_url_party_outside_the_callers_roles_is_404(env: Env) -> None:
    foreign = a_location(country_code="FR", party_id="XYZ")

    put = await env.client.put(location_url(party="FR/XYZ"), json=foreign)
    get = await env.client.get(location_url(party="FR/XYZ"))

    assert put.status == 404
    assert get.status == 404
    assert await env.hub.core.records.get("locations", PartyRef.parse("FR*XYZ"), "LOC-1") is None


async def test_co09_patch_with_an_evses_array_merges_by_uid(env: Env) -> None:
    await env.client.put(location_url(), json=a_location())

    answer = await env.client.patch(
        location_url(),
        json={"evses": [{"uid": "EVSE-1", "status": "BLOCKED", "last_updated": T2}], "last_updated": T2},
    )

    assert answer.status_code == 1000
    evse = (await stored(env, location_url()))["evses"][0]
    assert evse["status"] == "BLOCKED"
    assert evse["connectors"][0]["id"] == "1"


async def test_ty01_ids_with_a_slash_are_stored_and_found(env: Env) -> None:
    put = await env.client.put(location_url("A%2FB"), json=a_location("A/B"))

    assert (put.status, put.status_code) == (201, 1000)
    assert (await stored(env, location_url("A%2FB")))["id"] == "A/B"


async def test_lo14_repeating_a_put_is_a_no_op(env: Env) -> None:
    await env.client.put(location_url(), json=a_location())
    first = await env.hub.core.records.get("locations", CPX, "LOC-1")

    again = await env.client.put(location_url(), json=a_location())

    assert (again.status, again.status_code) == (200, 1000)
    assert await env.hub.core.records.get("locations", CPX, "LOC-1") == first


async def test_22_out_of_spec_values_are_stored_and_reported_not_refused(env: Env) -> None:
    odd = a_location(
        address="x" * 300,
        coordinates={"latitude": "52.5", "longitude": "13.4"},
        parking_type="ROOFTOP_FROM_OCPI_3",
    )
    with structlog.testing.capture_logs() as logs:
        answer = await env.client.put(location_url(), json=odd)

    assert (answer.status, answer.status_code) == (201, 1000)
    data = await stored(env, location_url())
    assert data["address"] == "x" * 300
    assert data["parking_type"] == "ROOFTOP_FROM_OCPI_3"
    findings = [e for e in logs if e["event"] == "ocpi_validation_finding"]
    assert {f["field"] for f in findings} >= {"address", "coordinates.latitude"}
    assert all(f["peer"] == "platform-cpx" and f["object_id"] == "LOC-1" for f in findings)


async def test_put_body_that_is_not_an_object_is_2001_and_bad_json_is_400(env: Env) -> None:
    listed = await env.client.put(location_url(), json=[a_location()])
    broken = await env.client.request(
        "PUT", location_url(), headers={"Content-Type": "application/json"}, json=None
    )

    assert listed.status_code == 2001
    assert broken.status == 400


# --- Sessions -------------------------------------------------------------------------------------------


async def test_se04_se05_session_put_replaces_and_patch_appends_charging_periods(env: Env) -> None:
    url = f"{EMSP}/sessions/DE/CPX/SES-1"
    created = await env.client.put(url, json=a_session())
    patched = await env.client.patch(
        url, json={"kwh": 3.0, "charging_periods": [a_period(T2)], "last_updated": T2}
    )
    data = await stored(env, url)

    assert (created.status, created.status_code) == (201, 1000)
    assert (patched.status, patched.status_code) == (200, 1000)
    assert [p["start_date_time"] for p in data["charging_periods"]] == [T1, T2]
    assert data["kwh"] == 3
    assert data["cdr_token"]["uid"] == "04A1B2C3D4E5F6"

    replaced = await env.client.put(url, json=a_session(last_updated=T3, charging_periods=[]))
    assert replaced.status == 200
    assert (await stored(env, url))["charging_periods"] == []


async def test_se05_session_patch_rules(env: Env) -> None:
    url = f"{EMSP}/sessions/DE/CPX/SES-1"
    unknown = await env.client.patch(url, json={"kwh": 1, "last_updated": T2})
    await env.client.put(url, json=a_session(last_updated=T2))
    no_last_updated = await env.client.patch(url, json={"kwh": 1})
    stale = await env.client.patch(url, json={"status": "COMPLETED", "last_updated": T1})

    assert unknown.status == 404
    assert no_last_updated.status_code == 2001
    assert (stale.status, stale.status_code) == (200, 1000)
    assert (await stored(env, url))["status"] == "ACTIVE"


async def test_se07_reserved_is_accepted_and_kept_as_reservation(env: Env) -> None:
    url = f"{EMSP}/sessions/DE/CPX/SES-1"

    answer = await env.client.put(url, json=a_session(status="RESERVED"))

    assert answer.status_code == 1000
    assert (await stored(env, url))["status"] == "RESERVATION"


# --- CDRs -----------------------------------------------------------------------------------------------


async def test_cd02_post_cdr_answers_its_location_and_get_of_that_url_returns_it(env: Env) -> None:
    answer = await env.client.post(f"{EMSP}/cdrs", json=a_cdr())

    assert (answer.status, answer.status_code) == (200, 1000)
    location = answer.headers["location"]
    assert location == f"{env.hub.url}{EMSP}/cdrs/DE/CPX/CDR-1"
    fetched = await env.client.get(location)
    assert (fetched.status, fetched.status_code) == (200, 1000)
    assert fetched.data["id"] == "CDR-1"
    assert fetched.data["total_cost"] == {"excl_vat": 5.13, "incl_vat": 6.21}


async def test_cd13_identical_repost_is_1000_with_the_same_location_other_content_is_2001(env: Env) -> None:
    first = await env.client.post(f"{EMSP}/cdrs", json=a_cdr())
    again = await env.client.post(f"{EMSP}/cdrs", json=copy.deepcopy(a_cdr()))
    with structlog.testing.capture_logs() as logs:
        changed = await env.client.post(f"{EMSP}/cdrs", json=a_cdr(total_energy=99))

    assert again.status_code == 1000
    assert again.headers["location"] == first.headers["location"]
    assert changed.status_code == 2001
    assert any(e["event"] == "ocpi_cdr_conflict" for e in logs)
    assert (await stored(env, first.headers["location"]))["total_energy"] == 12.5


async def test_cdr_of_a_party_outside_the_callers_roles_is_404_and_one_without_owner_is_2001(
    env: Env,
) -> None:
    foreign = await env.client.post(f"{EMSP}/cdrs", json=a_cdr(country_code="FR", party_id="XYZ"))
    ownerless = a_cdr()
    del ownerless["party_id"]
    missing = await env.client.post(f"{EMSP}/cdrs", json=ownerless)

    assert foreign.status == 404
    assert missing.status_code == 2001
    assert (await env.client.get(f"{EMSP}/cdrs/DE/CPX/NOPE")).status == 404


# --- Tariffs --------------------------------------------------------------------------------------------


async def test_ta01_tariff_put_get_delete(env: Env) -> None:
    url = f"{EMSP}/tariffs/DE/CPX/TAR-1"
    created = await env.client.put(url, json=a_tariff())
    updated = await env.client.put(url, json=a_tariff(last_updated=T2, currency="CHF"))
    fetched = await stored(env, url)
    deleted = await env.client.delete(url)

    assert (created.status, updated.status) == (201, 200)
    assert fetched["currency"] == "CHF"
    assert deleted.status_code == 1000
    assert (await env.client.get(url)).status == 404
    assert (await env.client.delete(url)).status == 404
