"""Shared fixtures: settings factory, temporary databases on both backends, and the real hub app on a
loopback port.

Every integration test that takes `hub`/`make_hub` runs once on SQLite and once on PostgreSQL. Under
CI=true an unreachable PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from hub.settings import Settings

if TYPE_CHECKING:
    from hub.core.clock import Clock
    from hub.core.ports import Database
    from hub.core.services import Core
    from hub.ocpp.gateway import OcppGateway

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

CP001_PASSWORD = "cp001-secret-password"
OWN_TOKEN = "04A1B2C3D4E5F6"


def base_config(database_url: str) -> dict[str, Any]:
    """The settings every integration test starts from; override per test with keyword arguments."""
    return {
        "hub": {
            "name": "Test Hub",
            "country_code": "NL",
            "party_id": "HUB",
            "listen": "127.0.0.1:0",
            "public_url": "http://127.0.0.1:0",
            "database_url": database_url,
            "log_level": "warning",
        },
        "parties": [
            {"country_code": "NL", "party_id": "CPO", "role": "CPO", "name": "Own CPO"},
            {"country_code": "NL", "party_id": "MSP", "role": "EMSP", "name": "Own eMSP"},
        ],
        "ocpp": {
            "path": "/ocpp",
            "accept_unknown_stations": True,
            "heartbeat_interval": 300,
            "call_timeout": 5.0,
            "stations": [
                {
                    "id": "CP001",
                    "party": "NL*CPO",
                    "location_id": "LOC001",
                    "tariff_id": "STD",
                    "password": CP001_PASSWORD,
                }
            ],
        },
        "locations": [
            {
                "id": "LOC001",
                "party": "NL*CPO",
                "name": "Depot Noord",
                "address": "Stationsplein 1",
                "city": "Amsterdam",
                "postal_code": "1012AB",
                "country": "NLD",
                "latitude": "52.37900",
                "longitude": "4.90000",
                "time_zone": "Europe/Amsterdam",
            }
        ],
        "tariffs": [{"id": "STD", "party": "NL*CPO", "file": "fixtures/tariffs/standard.json"}],
        "tokens": [
            {
                "uid": OWN_TOKEN,
                "party": "NL*MSP",
                "type": "RFID",
                "contract_id": "NL-MSP-C12345678-X",
                "valid": True,
            }
        ],
    }


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge dicts; lists and scalars in `overrides` replace."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    from tests.db import fresh_database_url, postgres_available

    if backend == "postgres" and not await postgres_available():
        message = "PostgreSQL is not reachable (set HUB_TEST_POSTGRES_URL or start it on 127.0.0.1:5432)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url, cleanup = await fresh_database_url(backend, tmp_path)
    try:
        yield url
    finally:
        await cleanup()


@pytest.fixture
def settings_factory(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        base = base_config(database_url)
        base["ocpi"] = {"secret_key_file": str(tmp_path / "hub-secret")}  # never the repository's
        return Settings.from_mapping(merge(base, overrides), base_dir=REPO, environ={})

    return make


@dataclass
class RunningHub:
    app: web.Application
    runner: web.AppRunner
    settings: Settings
    port: int
    scheme: str = "http"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def ws_url(self, station_id: str = "") -> str:
        ws = "wss" if self.scheme == "https" else "ws"
        return f"{ws}://127.0.0.1:{self.port}{self.settings.ocpp.path}/{station_id}"

    @property
    def core(self) -> Core:
        from hub.app import CORE_KEY

        return self.app[CORE_KEY]

    @property
    def db(self) -> Database:
        from hub.app import DB_KEY

        return self.app[DB_KEY]

    @property
    def gateway(self) -> OcppGateway:
        from hub.app import GATEWAY_KEY

        return self.app[GATEWAY_KEY]


@pytest.fixture
async def make_hub(
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[RunningHub]]]:
    """`hub = await make_hub(ocpp={"accept_unknown_stations": False}, clock=FixedClock())`"""
    running: list[RunningHub] = []

    from hub.app import create_app
    from hub.cli import server_ssl_context
    from ocpi_modules.common.runtime import OCPI_KEY

    async def start(*, clock: Clock | None = None, **overrides: Any) -> RunningHub:
        settings = settings_factory(**overrides)
        app = create_app(settings, clock=clock)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await runner.setup()
        ssl_context = server_ssl_context(settings)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        port = sockets[0].getsockname()[1]
        hub = RunningHub(
            app=app, runner=runner, settings=settings, port=port, scheme="https" if ssl_context else "http"
        )
        # The hub listens on port 0: the URLs it hands to OCPI partners must carry the real port.
        ocpi = app[OCPI_KEY]
        ocpi.config = dataclasses.replace(ocpi.config, public_url=hub.url)
        running.append(hub)
        return hub

    yield start
    for hub in reversed(running):
        await hub.runner.cleanup()


@pytest.fixture
async def hub(make_hub: Callable[..., Awaitable[RunningHub]]) -> RunningHub:
    return await make_hub()
