"""A second ocpi-hub instance (its own port and database, hub DE*HB2 hosting the eMSP DE*MSP with its own
`[[tokens]]`) is the partner: it registers with hub 1 through hub 1's invitation (`python -m hub ocpi
register` on hub 2), its token is distributed to hub 1's CPO, and its operator starts a charge at hub 1's OCPP
station (`/admin/ocpi/start-session` on hub 2), follows the CommandResult, the Session and the priced CDR
(stored on hub 2 as partner records) and stops it. Real HTTP and websockets throughout; both storage backends.

Test code: imports the hub's test fixtures, the simulator and the core's models.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.core.clock import FixedClock
from hub.core.events import CdrCreated, TokenChanged
from hub.core.models import PartyRef, PlatformStatus, Role, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, IN_CI, REPO, RunningHub
from tests.fakes.ocpi_partner import bind_public_url
from tests.scenarios.support import T0, cdrs_of, std_cost

ADMIN_ONE = "hub-one-admin-token"  # operator tokens of the two test hubs
ADMIN_TWO = "hub-two-admin-token"
INVITATION = "hub-two-token-a"  # the Token A hub 1 hands out in [[ocpi.invitations]]
CPO = PartyRef(country_code="NL", party_id="CPO")
HUB_ONE = PartyRef(country_code="NL", party_id="HUB")
HUB_TWO = PartyRef(country_code="DE", party_id="HB2")
EMSP_TWO = PartyRef(country_code="DE", party_id="MSP")
TOKEN_UID = "DEMSP0000000001"  # hub 2's [[tokens]] token
IMPORTED_UID = "DEMSP0000000002"  # imported on hub 2 after the registration
WAIT_S = 10.0


@pytest.fixture
async def second_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Hub 2's own, empty database on the same backend as hub 1's. Tests name it before `make_hub`, so the
    hubs stop before it is dropped."""
    from tests.db import fresh_database_url, postgres_available

    if backend == "postgres" and not await postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    url, cleanup = await fresh_database_url(backend, tmp_path)
    try:
        yield url
    finally:
        await cleanup()


async def start_hubs(
    make_hub: Callable[..., Awaitable[RunningHub]], database_url: str, clock: FixedClock
) -> tuple[RunningHub, RunningHub]:
    """Hub 1 (the test configuration: NL*CPO with station CP001, tariff STD) and hub 2 (DE*HB2 hosting only
    the eMSP DE*MSP and its token), each on its own port and database, with their public URLs bound."""
    one = await make_hub(
        clock=clock,
        admin={"token": ADMIN_ONE},
        ocpi={"allow_private_urls": True, "invitations": [{"name": "hub-two", "token": INVITATION}]},
    )
    two = await make_hub(
        clock=clock,
        hub={"name": "Hub Two", "country_code": "DE", "party_id": "HB2", "database_url": database_url},
        parties=[{"country_code": "DE", "party_id": "MSP", "role": "EMSP", "name": "Hub Two eMSP"}],
        ocpp={"stations": []},
        locations=[],
        tariffs=[],
        tokens=[
            {
                "uid": TOKEN_UID,
                "party": "DE*MSP",
                "type": "RFID",
                "contract_id": "DE-MSP-C00000001-X",
                "valid": True,
            }
        ],
        admin={"token": ADMIN_TWO},
        ocpi={"allow_private_urls": True},
    )
    bind_public_url(one)
    bind_public_url(two)
    return one, two


async def cli(hub: RunningHub, admin_token: str, *args: str) -> dict[str, Any]:
    """`python -m hub ocpi …` against a running hub (a real process, the real operator API)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "ocpi",
        *args,
        "--url",
        hub.url,
        "--token",
        admin_token,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 0, (out.decode(), err.decode())
    answer: dict[str, Any] = json.loads(out)
    return answer


async def admin(hub: RunningHub, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, hub.url + path, json=body, headers={"Authorization": f"Bearer {ADMIN_TWO}"}
        ) as response,
    ):
        return response.status, await response.json()


async def register_two_with_one(one: RunningHub, two: RunningHub) -> None:
    """Hub 2's operator registers with hub 1's invitation; both sides end CONNECTED with the other's HUB
    role (CR-11)."""
    answer = await cli(
        two,
        ADMIN_TWO,
        "register",
        "--versions-url",
        f"{one.url}/ocpi/versions",
        "--token-a",
        INVITATION,
        "--name",
        "hub-one",
    )
    assert answer["status"] == "CONNECTED", answer
    assert [(r["role"], r["party"]) for r in answer["roles"]] == [("HUB", "NL*HUB")]
    [at_one] = [p for p in await one.core.platforms.list() if p.name == "hub-two"]
    assert at_one.status is PlatformStatus.CONNECTED
    assert (Role.HUB, HUB_TWO) in [(r.role, r.party) for r in at_one.roles]
    assert at_one.invitation_token is None


async def test_ocpi_second_hub_registers_and_its_tokens_reach_our_cpo(
    second_database_url: str, make_hub: Callable[..., Awaitable[RunningHub]]
) -> None:
    one, two = await start_hubs(make_hub, second_database_url, FixedClock(T0))
    arrived: dict[str, asyncio.Event] = {TOKEN_UID: asyncio.Event(), IMPORTED_UID: asyncio.Event()}

    def token_changed(event: TokenChanged) -> None:
        if event.token.uid in arrived:
            arrived[event.token.uid].set()

    one.core.bus.subscribe(TokenChanged, token_changed)
    await register_two_with_one(one, two)

    # A token hub 2's operator imports after the registration is pushed to hub 1's CPO (TK-11) ...
    status, report = await admin(
        two,
        "POST",
        "/admin/tokens/import",
        [{"uid": IMPORTED_UID, "type": "RFID", "contract_id": "DE-MSP-C00000002-X", "valid": True}],
    )
    assert (status, report["imported"]) == (200, 1), report
    async with asyncio.timeout(WAIT_S):
        await arrived[IMPORTED_UID].wait()
    # ... and so is the [[tokens]] token that existed before hub 1 was registered.
    async with asyncio.timeout(WAIT_S):
        await arrived[TOKEN_UID].wait()
    for uid, contract_id in ((TOKEN_UID, "DE-MSP-C00000001-X"), (IMPORTED_UID, "DE-MSP-C00000002-X")):
        token = await one.core.tokens.get(uid, EMSP_TWO)
        assert token is not None, uid
        assert (token.own, token.contract_id, token.valid) == (False, contract_id, True)
    # Hub 1 stores a token before it answers, so hub 2 records the delivery a moment later. The pushes are
    # addressed to hub 1 itself (NL*HUB) or, once hub 2 learned it from hub 1's pushes, to its CPO NL*CPO.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while True:
        status, distribution = await admin(two, "GET", "/admin/tokens/distribution")
        assert status == 200, distribution
        cpos = distribution["cpos"]
        totals = [sum(c[k] for c in cpos) for k in ("accepted", "pending", "failed")]
        if totals[1] == 0 or loop.time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert {(c["platform"], c["cpo"]) for c in cpos} <= {("hub-one", "NL*HUB"), ("hub-one", "NL*CPO")}, cpos
    assert totals == [2, 0, 0], cpos


async def test_ocpi_second_hub_starts_and_stops_a_charge_at_our_station(
    second_database_url: str, make_hub: Callable[..., Awaitable[RunningHub]]
) -> None:
    clock = FixedClock(T0)
    one, two = await start_hubs(make_hub, second_database_url, clock)
    await register_two_with_one(one, two)
    station = SimulatedStation(one.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
    await station.connect()
    try:
        await station.boot()
        await station.status(1, "Available")

        # --- hub 1 pushes its location to hub 2 (a HUB platform gets our CPO's data); from that push hub 2
        # knows NL*CPO as a CPO behind hub 1 ---------------------------------------------------------------
        location = await wait_for_record(
            two,
            "locations",
            "LOC001",
            until=lambda data: [e.get("uid") for e in data.get("evses", [])] == ["CP001*1"],
        )
        assert [e["uid"] for e in location.data["evses"]] == ["CP001*1"]

        # --- START_SESSION from hub 2's operator, through hub 2's eMSP, to hub 1's CPO ---------------------
        started = clock.advance(minutes=1)
        status, start = await admin(
            two,
            "POST",
            "/admin/ocpi/start-session",
            {"token_uid": TOKEN_UID, "location_id": "LOC001", "evse_uid": "CP001*1", "cpo": "NL*CPO"},
        )
        assert status == 200, start
        assert (start["status_code"], start["response"]["result"]) == (1000, "ACCEPTED"), start
        assert await station.wait_for_call("RemoteStartTransaction") == {"idTag": TOKEN_UID, "connectorId": 1}
        status, result = await admin(two, "GET", f"/admin/ocpi/command-results/{start['command_id']}?wait=10")
        assert (status, result["result"]["result"]) == (200, "ACCEPTED"), result
        tx = await station.wait_for_transaction(1)

        [session] = [s for s in await one.core.sessions.list() if s.transaction_id == tx.id]
        assert (session.token_uid, session.token_party) == (TOKEN_UID, EMSP_TWO)
        at_two = await wait_for_record(two, "sessions", session.id)
        assert at_two.data["cdr_token"]["uid"] == TOKEN_UID
        assert (at_two.data["location_id"], at_two.data["evse_uid"]) == ("LOC001", "CP001*1")

        # --- the car charges, hub 2's operator stops it -------------------------------------------------
        clock.advance(minutes=30)
        await station.meter(1, tx.id, 3_700)
        clock.advance(minutes=30)
        await station.meter(1, tx.id, 7_400)
        ended = clock.advance(minutes=1)
        cdr_made = asyncio.Event()
        one.core.bus.subscribe(CdrCreated, lambda _event: cdr_made.set())
        status, stop = await admin(
            two, "POST", "/admin/ocpi/stop-session", {"session_id": session.id, "cpo": "NL*CPO"}
        )
        assert status == 200, stop
        assert (stop["status_code"], stop["response"]["result"]) == (1000, "ACCEPTED"), stop
        assert await station.wait_for_call("RemoteStopTransaction") == {"transactionId": int(tx.id)}
        status, result = await admin(two, "GET", f"/admin/ocpi/command-results/{stop['command_id']}?wait=10")
        assert (status, result["result"]["result"]) == (200, "ACCEPTED"), result
        await station.wait_for_transaction_end(tx.id)
        async with asyncio.timeout(WAIT_S):
            await cdr_made.wait()
    finally:
        await station.close()

    # --- hub 2 holds the completed session and the priced CDR as partner records -------------------------
    final = await wait_for_record(two, "sessions", session.id, until=lambda d: d.get("status") == "COMPLETED")
    assert Decimal(str(final.data["kwh"])) == Decimal("7.4")
    [cdr] = await cdrs_of(one, session.id)
    stored = await wait_for_record(two, "cdrs", cdr.id)
    energy, excl, incl = std_cost(Decimal("7.4"))
    total = stored.data["total_cost"]
    assert (Decimal(str(total["excl_vat"])), Decimal(str(total["incl_vat"]))) == (excl, incl)
    assert (excl, incl) == (Decimal("3.85"), Decimal("4.66"))
    assert Decimal(str(stored.data["total_energy_cost"]["excl_vat"])) == energy
    assert (stored.data["session_id"], stored.data["cdr_token"]["uid"]) == (session.id, TOKEN_UID)
    assert stored.data["start_date_time"] == started.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stored.data["end_date_time"] == ended.strftime("%Y-%m-%dT%H:%M:%SZ")
    completed = await one.core.sessions.get(session.id)
    assert completed is not None
    assert completed.status is SessionStatus.COMPLETED


async def wait_for_record(
    hub: RunningHub,
    module: str,
    record_id: str,
    *,
    until: Callable[[dict[str, Any]], bool] = lambda _data: True,
) -> Any:
    """The partner record `module`/NL*CPO/`record_id` on `hub` once it exists and its data passes `until`,
    polled with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while True:
        record = await hub.core.records.get(module, CPO, record_id)
        if record is not None and until(record.data):
            return record
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.02)
    raise AssertionError(
        f"no {module} record {record_id} as expected on {hub.url} within {WAIT_S} s: {record}"
    )
