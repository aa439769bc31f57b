"""Builders for the transport unit tests: an app carrying an OCPI runtime with a fixed clock, and requests."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from ocpi_modules.common.runtime import OCPI_KEY, OcpiConfig, OcpiRuntime

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
PUBLIC_URL = "https://hub.example.com"


def an_app(*, now: datetime = NOW, public_url: str = PUBLIC_URL, page_limit: int = 100) -> web.Application:
    app = web.Application()
    config = OcpiConfig(
        public_url=public_url,
        hub_party=PartyRef(country_code="NL", party_id="HUB"),
        hub_name="Test Hub",
        page_limit=page_limit,
    )
    app[OCPI_KEY] = OcpiRuntime(config=config, clock=FixedClock(now), core_getter=lambda: None)
    return app


def a_request(
    path: str = "/ocpi/2.2.1/cpo/locations",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    app: web.Application | None = None,
) -> web.Request:
    return make_mocked_request(method, path, headers=headers or {}, app=app if app is not None else an_app())
