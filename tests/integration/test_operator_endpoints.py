"""`GET /health` and `GET /metrics` on the real app, on both storage backends."""

from __future__ import annotations

import aiohttp

from tests.conftest import RunningHub


async def test_health_reports_the_database_and_connected_stations(hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/health") as response:
        body = await response.json()

    assert response.status == 200
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert body["connected_stations"] == 0


async def test_health_is_503_when_the_database_is_gone(hub: RunningHub) -> None:
    await hub.db.close()

    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/health") as response:
        body = await response.json()

    assert response.status == 503
    assert body["database"] == "unreachable"


async def test_metrics_is_prometheus_text(hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/metrics") as response:
        text = await response.text()

    assert response.status == 200
    assert response.content_type == "text/plain"
    assert "# TYPE ocpp_connected_stations gauge" in text
    assert "ocpp_connected_stations 0" in text


async def test_configured_data_is_seeded_at_start(hub: RunningHub) -> None:
    from hub.core.models import PartyRef

    cpo = PartyRef(country_code="NL", party_id="CPO")
    async with hub.db.unit_of_work() as uow:
        location = await uow.locations.get(cpo, "loc001")
        station = await uow.stations.get("CP001")
        tariff = await uow.tariffs.get(cpo, "STD")
        token = await uow.tokens.get("04a1b2c3d4e5f6")

    assert location is not None
    assert location.id == "LOC001"
    assert station is not None
    assert station.location_id == "LOC001"
    assert station.password_hash
    assert "cp001-secret-password" not in station.password_hash
    assert tariff is not None
    assert tariff.currency == "EUR"
    assert token is not None
    assert token.own
