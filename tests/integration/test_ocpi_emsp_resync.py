"""The eMSP resync job over real HTTP (both storage backends): every CONNECTED CPO platform's Sender lists
are pulled page by page with `date_from` = the last successful pull, stored through the receiver logic;
failures are logged and retried on the next run (checklist §6 PG-10, §8 OF-01, CO-12)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog.testing

from hub.core.clock import FixedClock
from hub.core.models import PartyRef, PlatformStatus
from ocpi_modules.common.runtime import OCPI_KEY, OcpiRuntime
from ocpi_modules.v2_2_1.emsp import resync
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform

PARTNER_TOKEN = "partner-to-hub-token-resync"
HUB_TOKEN = "hub-to-partner-token-resync"
CPX = PartyRef(country_code="DE", party_id="CPX")
NOW = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
BEFORE = "2025-03-01T10:00:00Z"
AFTER = "2025-03-02T10:00:00Z"


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    clock: FixedClock

    @property
    def rt(self) -> OcpiRuntime:
        return self.hub.app[OCPI_KEY]

    def pulls(self, module: str) -> list[dict[str, str]]:
        return [c.query for c in self.partner.calls_to(f"/sender/{module}", "GET")]


def a_location(
    location_id: str, last_updated: str = BEFORE, party: tuple[str, str] = ("DE", "CPX")
) -> dict[str, Any]:
    return {
        "country_code": party[0],
        "party_id": party[1],
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "last_updated": last_updated,
    }


def an_object(object_id: str, last_updated: str = BEFORE, **fields: Any) -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "CPX", "id": object_id, "last_updated": last_updated, **fields}


@pytest.fixture
async def env(make_hub: Callable[..., Awaitable[RunningHub]], tmp_path: Path) -> AsyncIterator[Env]:
    clock = FixedClock(NOW)
    hub = await make_hub(
        clock=clock, ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")}
    )
    bind_public_url(hub)
    lists = {
        "locations": [a_location(f"LOC-{i}") for i in range(5)],
        "tariffs": [an_object("TAR-1", currency="EUR", elements=[])],
        "sessions": [an_object("SES-1", status="ACTIVE"), an_object("SES-2", status="RESERVED")],
        "cdrs": [an_object("CDR-1", total_energy=1), an_object("CDR-F", country_code="FR", party_id="XYZ")],
    }
    async with FakePartner(roles=[("DE", "CPX", "CPO")], page_limit=2, lists=lists) as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN, now=NOW)
        yield Env(hub, partner, clock)


async def test_of01_pg10_first_resync_pulls_every_page_of_every_module_and_stores_it(env: Env) -> None:
    with structlog.testing.capture_logs() as logs:
        summary = await resync(env.rt)

    modules = summary["platform-cpx"]
    assert modules["locations"] == {"created": 5}
    assert modules["tariffs"] == {"created": 1}
    assert modules["sessions"] == {"created": 2}
    assert modules["cdrs"] == {"created": 1, "skipped": 1}
    assert len(env.pulls("locations")) == 3  # 5 locations, pages of 2, following Link
    assert "date_from" not in env.pulls("locations")[0]
    assert env.pulls("sessions")[0]["date_from"] == "2025-01-30T09:00:00Z"  # PG-08: required, 31 days back
    calls = env.partner.calls_to("/sender/", "GET")
    assert all(c.token == HUB_TOKEN for c in calls)
    assert {(c.headers["ocpi-from-party-id"], c.headers["ocpi-to-party-id"]) for c in calls} == {
        ("MSP", "CPX")
    }
    records = env.hub.core.records
    assert await records.count("locations", CPX) == 5
    assert (await records.get("sessions", CPX, "SES-2")).data["status"] == "RESERVATION"  # type: ignore[union-attr]
    assert await records.get("cdrs", PartyRef.parse("FR*XYZ"), "CDR-F") is None
    progress = [e for e in logs if e["event"] == "ocpi_resync_module"]
    assert [e["module"] for e in progress] == ["locations", "tariffs", "sessions", "cdrs"]


async def test_of01_the_next_resync_asks_only_for_changes_since_the_last_pull(env: Env) -> None:
    await resync(env.rt)
    env.clock.advance(hours=1)
    env.partner.lists["locations"].append(a_location("LOC-NEW", AFTER))
    env.partner.calls.clear()

    summary = await resync(env.rt)

    assert summary["platform-cpx"]["locations"] == {"created": 1}
    assert summary["platform-cpx"]["cdrs"] == {}
    assert {q.get("date_from") for q in env.pulls("locations")} == {"2025-03-02T09:00:00Z"}
    assert {q.get("date_from") for q in env.pulls("sessions")} == {"2025-03-02T09:00:00Z"}
    assert await env.hub.core.records.get("locations", CPX, "LOC-NEW") is not None


async def test_a_failing_module_is_logged_others_go_on_and_it_is_pulled_in_full_next_time(env: Env) -> None:
    failure = env.partner.fail("/sender/tariffs", times=None)

    with structlog.testing.capture_logs() as logs:
        summary = await resync(env.rt)

    assert "error" in summary["platform-cpx"]["tariffs"]
    assert summary["platform-cpx"]["locations"] == {"created": 5}
    assert any(e["event"] == "ocpi_resync_module" and e.get("error") for e in logs)
    failure.times = 0
    env.clock.advance(hours=1)
    env.partner.calls.clear()
    summary = await resync(env.rt)
    assert summary["platform-cpx"]["tariffs"] == {"created": 1}
    assert "date_from" not in env.pulls("tariffs")[0]
    assert env.pulls("locations")[0]["date_from"] == "2025-03-02T09:00:00Z"


async def test_resync_skips_platforms_that_are_not_connected_and_survives_bad_objects(env: Env) -> None:
    env.partner.lists["locations"].append({"name": "no id"})
    env.partner.lists["cdrs"].append(an_object("CDR-1", total_energy=2))  # same id, other content: CD-13

    summary = await resync(env.rt)

    assert summary["platform-cpx"]["locations"] == {"created": 5, "failed": 1}
    assert summary["platform-cpx"]["cdrs"] == {"created": 1, "skipped": 1, "failed": 1}
    offline = (await env.hub.core.platforms.get("platform-cpx")).model_copy(  # type: ignore[union-attr]
        update={"status": PlatformStatus.OFFLINE}
    )
    await env.hub.core.platforms.put(offline)
    env.partner.calls.clear()
    assert await resync(env.rt) == {}
    assert env.partner.calls == []
