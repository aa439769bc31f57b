"""The operator API's settings and its secrecy: `[admin] token` and its environment override, the token kept
out of reprs and logs, and the bearer check in front of every route (hub/web_admin.py with no core)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import structlog.testing
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.settings import Settings
from hub.web_admin import setup_admin_routes

TOKEN = "unit-admin-token-0123456789"


class SilentGateway:
    """No station is ever connected; no command may reach it in these tests."""

    def is_connected(self, station_id: str) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the gateway was called: {name}")


def test_admin_token_defaults_to_empty_and_is_overridden_by_the_environment() -> None:
    assert Settings.from_mapping({}, environ={}).admin.token == ""
    from_file = Settings.from_mapping({"admin": {"token": "in-file"}}, environ={})
    assert from_file.admin.token == "in-file"
    overridden = Settings.from_mapping({"admin": {"token": "in-file"}}, environ={"HUB_ADMIN_TOKEN": TOKEN})
    assert overridden.admin.token == TOKEN
    assert Settings.from_mapping({}, environ={"HUB_ADMIN_TOKEN": TOKEN}).admin.token == TOKEN
    assert TOKEN not in repr(overridden)


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    setup_admin_routes(app, TOKEN, lambda: None, SilentGateway())  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_the_token_never_appears_in_logs(
    client: TestClient[web.Request, web.Application], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        wrong = await client.get("/admin/stations", headers={"Authorization": f"Bearer {TOKEN}x"})
        right = await client.post("/admin/stations/CP001/reset", headers={"Authorization": f"Bearer {TOKEN}"})
    assert wrong.status == 401
    assert right.status == 503  # the core is not started: nothing else happened
    assert (await right.json()) == {"error": "the hub is starting"}
    assert [entry["event"] for entry in logs] == ["admin_unauthorized"]
    assert TOKEN not in repr(logs)
    assert TOKEN not in caplog.text


async def test_a_token_with_a_different_scheme_or_length_is_refused(
    client: TestClient[web.Request, web.Application],
) -> None:
    for header in (f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", "Bearer", "", f"Bearer  {TOKEN} extra"):
        response = await client.get("/admin/stations", headers={"Authorization": header} if header else {})
        assert response.status == 401, header
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert (await response.json()) == {"error": "unauthorized"}
    ok = await client.get("/admin/stations", headers={"Authorization": f"bearer {TOKEN}"})
    assert ok.status == 503  # the scheme is case-insensitive (RFC 7235); the core is not started


async def test_a_disabled_api_answers_404_json_on_every_admin_path() -> None:
    app = web.Application()
    setup_admin_routes(app, "", lambda: None, SilentGateway())  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as test_client:
        for method, path in (("GET", "/admin/stations"), ("POST", "/admin/stations/CP001/start")):
            response = await test_client.request(method, path, headers={"Authorization": "Bearer "})
            assert response.status == 404
            assert "disabled" in (await response.json())["error"]


async def test_an_unknown_admin_path_is_a_json_404_behind_the_token(
    client: TestClient[web.Request, web.Application],
) -> None:
    anonymous = await client.get("/admin/nothing-here")
    assert anonymous.status == 401
    response = await client.get("/admin/nothing-here", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 404
    assert (await response.json()) == {"error": "no endpoint GET /admin/nothing-here"}
    wrong_method = await client.get(
        "/admin/stations/CP001/reset", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert wrong_method.status == 404
