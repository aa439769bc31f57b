"""An independent OCPI 2.2.1 eMSP on loopback (the fake partner DE*PRT) registers with the hub — once with the
Token A from `[[ocpi.invitations]]`, once with one the operator created with `python -m hub ocpi invite` —
pulls our locations, pushes a token, starts a charge at our OCPP station with START_SESSION, gets the
CommandResult, the Session PUT/PATCHes and the priced CDR, and stops it with STOP_SESSION. Real HTTP and
websockets throughout; both storage backends.

Test code: imports the hub's test fixtures, the simulator and the fake partner.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from hub.core.clock import FixedClock
from hub.core.models import PartyRef, PlatformStatus, Role, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, REPO, RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubReply, bind_public_url
from tests.scenarios.support import T0, cdrs_of, std_cost

ADMIN_TOKEN = "scenario-admin-token"  # the test hub's operator token
CONFIG_TOKEN_A = "partner-token-a-from-config"  # an [[ocpi.invitations]] token
PARTNER = PartyRef(country_code="DE", party_id="PRT")
TOKEN_UID = "DEPRT0000000001"
CPO_BASE = "/ocpi/2.2.1/cpo"
WAIT_S = 10.0


def partner_token(last_updated: str = "2026-03-02T08:00:00Z") -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "PRT",
        "uid": TOKEN_UID,
        "type": "RFID",
        "contract_id": "DE-PRT-C00000001-K",
        "visual_number": "DE-PRT-0001",
        "issuer": "Fake Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": last_updated,
    }


def money(value: Any) -> Decimal:
    """A JSON number as the partner parsed it (float) → Decimal, for exact comparison of cents."""
    return Decimal(str(value))


async def cli_invite(hub: RunningHub, name: str) -> dict[str, Any]:
    """`python -m hub ocpi invite` against the running hub (a real process, the real operator API)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "ocpi",
        "invite",
        "--url",
        hub.url,
        "--token",
        ADMIN_TOKEN,
        "--name",
        name,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    answer: dict[str, Any] = json.loads(out)
    return answer


def ok(reply: HubReply, http: int = 200) -> Any:
    assert (reply.status, reply.status_code) == (http, 1000), (reply.status, reply.body)
    return reply.data


@pytest.mark.parametrize("invitation", ["config", "cli"])
async def test_ocpi_partner_emsp_charges_at_our_station(
    make_hub: Callable[..., Awaitable[RunningHub]], invitation: str
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(
        clock=clock,
        admin={"token": ADMIN_TOKEN},
        ocpi={
            "allow_private_urls": True,
            "invitations": [{"name": "config-partner", "token": CONFIG_TOKEN_A}],
        },
    )
    versions_url = bind_public_url(hub)
    if invitation == "config":
        token_a = CONFIG_TOKEN_A
    else:
        invited = await cli_invite(hub, "cli-partner")
        assert invited["versions_url"] == versions_url
        token_a = invited["token"]

    async with FakePartner(roles=[("DE", "PRT", "EMSP")], name="Fake eMSP") as partner:
        # --- CR: registration with Token A; the hub answers with its single HUB role (CR-11) -------------
        registered = await partner.register_with(versions_url, token_a)
        assert ok(registered)["roles"] == [
            {"role": "HUB", "business_details": {"name": "Test Hub"}, "party_id": "HUB", "country_code": "NL"}
        ]
        platform = await hub.core.platforms.find_by_party(PARTNER)
        assert platform is not None
        assert (platform.status, [(r.role, r.party) for r in platform.roles]) == (
            PlatformStatus.CONNECTED,
            [(Role.EMSP, PARTNER)],
        )
        assert platform.name == ("config-partner" if invitation == "config" else "cli-partner")
        client = partner.client(hub.url)
        dead = await client.get("/ocpi/versions", token=token_a, routing=False)
        assert dead.status == 401  # CR-03: Token A died with the registration

        station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
        await station.connect()
        try:
            await station.boot()
            await station.status(1, "Available")

            # --- LO: pull our locations (the station's EVSE is in them) and get the push ----------------
            pulled = await client.get(f"{CPO_BASE}/locations", to_party="NL*CPO")
            [location] = ok(pulled)
            assert (location["country_code"], location["party_id"], location["id"]) == ("NL", "CPO", "LOC001")
            assert [(e["uid"], e["status"]) for e in location["evses"]] == [("CP001*1", "AVAILABLE")]
            assert pulled.headers["x-total-count"] == "1"
            assert (pulled.headers["ocpi-from-country-code"], pulled.headers["ocpi-from-party-id"]) == (
                "NL",
                "CPO",
            )
            await partner.wait_for_calls("/receiver/locations/NL/CPO/LOC001", within=WAIT_S)

            # --- TK: push the partner's token to our CPO -------------------------------------------------
            pushed = await client.put(f"{CPO_BASE}/tokens/DE/PRT/{TOKEN_UID}", json=partner_token())
            ok(pushed, http=201)
            stored = await hub.core.tokens.get(TOKEN_UID, PARTNER)
            assert stored is not None
            assert not stored.own
            assert ok(await client.get(f"{CPO_BASE}/tokens/DE/PRT/{TOKEN_UID}"))["uid"] == TOKEN_UID

            # --- CM: START_SESSION → CommandResponse, RemoteStart, CommandResult ----------------------------
            start_url = f"{partner.url}/ocpi/2.2.1/sender/commands/START_SESSION/start-1"
            started = clock.advance(minutes=1)
            answer = await client.post(
                f"{CPO_BASE}/commands/START_SESSION",
                json={
                    "response_url": start_url,
                    "token": partner_token(),
                    "location_id": "LOC001",
                    "evse_uid": "CP001*1",
                },
            )
            response = ok(answer)
            assert response["result"] == "ACCEPTED"
            assert response["timeout"] > 0
            assert await station.wait_for_call("RemoteStartTransaction") == {
                "idTag": TOKEN_UID,
                "connectorId": 1,
            }
            [result] = await partner.wait_for_calls("/commands/START_SESSION/start-1", "POST", within=WAIT_S)
            assert result.json == {"result": "ACCEPTED"}
            assert (result.headers["ocpi-from-country-code"], result.headers["ocpi-from-party-id"]) == (
                "NL",
                "CPO",
            )
            tx = await station.wait_for_transaction(1)
            assert tx.id_tag == TOKEN_UID

            # --- SE: the session reaches the partner (PUT first), grows, is stopped with STOP_SESSION -------
            [put] = await partner.wait_for_calls("/receiver/sessions/NL/CPO/", "PUT", within=WAIT_S)
            session_id = put.path.rsplit("/", 1)[1]
            assert put.json["id"] == session_id
            assert put.json["cdr_token"]["uid"] == TOKEN_UID
            assert (put.json["cdr_token"]["country_code"], put.json["cdr_token"]["party_id"]) == ("DE", "PRT")
            assert (put.json["location_id"], put.json["evse_uid"], put.json["auth_method"]) == (
                "LOC001",
                "CP001*1",
                "COMMAND",
            )
            clock.advance(minutes=30)
            await station.meter(1, tx.id, 3_700)
            clock.advance(minutes=30)
            await station.meter(1, tx.id, 7_400)
            ended = clock.advance(minutes=1)
            stop_url = f"{partner.url}/ocpi/2.2.1/sender/commands/STOP_SESSION/stop-1"
            stop = await client.post(
                f"{CPO_BASE}/commands/STOP_SESSION", json={"response_url": stop_url, "session_id": session_id}
            )
            assert ok(stop)["result"] == "ACCEPTED"
            assert await station.wait_for_call("RemoteStopTransaction") == {"transactionId": int(tx.id)}
            [stopped] = await partner.wait_for_calls("/commands/STOP_SESSION/stop-1", "POST", within=WAIT_S)
            assert stopped.json == {"result": "ACCEPTED"}
            await station.wait_for_transaction_end(tx.id)

            # --- CD: the priced CDR arrives by POST --------------------------------------------------------
            [cdr_call] = await partner.wait_for_calls("/receiver/cdrs", "POST", within=WAIT_S)
        finally:
            await station.close()

        session_key = f"sessions/NL/CPO/{session_id}"

        # SE-11: the COMPLETED session comes as a full PUT (the second PUT of this session).
        await partner.wait_for_calls(f"/receiver/{session_key}", "PUT", count=2, within=WAIT_S)
        session = partner.objects[session_key]
        assert money(session["kwh"]) == Decimal("7.4")
        # SE-11: PUT at start, PATCHes while it runs (kWh growing), a full PUT once COMPLETED.
        updates = partner.calls_to(f"/receiver/{session_key}")
        methods = [c.method for c in updates]
        assert methods[0] == methods[-1] == "PUT", methods
        assert set(methods[1:-1]) == {"PATCH"}, methods
        statuses = [c.json.get("status") for c in updates]
        assert statuses[0] in ("PENDING", "ACTIVE"), statuses
        assert "ACTIVE" in statuses, statuses
        assert statuses[-1] == "COMPLETED", statuses
        patched_kwh = [money(c.json["kwh"]) for c in updates if c.method == "PATCH" and "kwh" in c.json]
        assert patched_kwh == sorted(patched_kwh), patched_kwh
        assert patched_kwh[-1] == Decimal("7.4"), patched_kwh
        assert all(c.answered == 200 for c in updates)

        cdr = cdr_call.json
        energy, excl, incl = std_cost(Decimal("7.4"))
        assert (money(cdr["total_cost"]["excl_vat"]), money(cdr["total_cost"]["incl_vat"])) == (excl, incl)
        assert (excl, incl) == (Decimal("3.85"), Decimal("4.66"))  # 2.00 + 7.4 x 0.25, 21 % VAT per line
        assert money(cdr["total_energy"]) == Decimal("7.4")
        assert money(cdr["total_energy_cost"]["excl_vat"]) == energy
        assert money(cdr["total_fixed_cost"]["excl_vat"]) == Decimal("2.00")
        assert (cdr["session_id"], cdr["cdr_token"]["uid"], cdr["auth_method"]) == (
            session_id,
            TOKEN_UID,
            "COMMAND",
        )
        assert (cdr["cdr_location"]["id"], cdr["cdr_location"]["evse_uid"]) == ("LOC001", "CP001*1")
        assert [t["id"] for t in cdr.get("tariffs", [])] == ["STD"]
        assert cdr["start_date_time"] == started.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert cdr["end_date_time"] == ended.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert cdr_call.answered == 200

        # The hub's own view agrees: one completed session, one CDR; the partner can pull both.
        [core_cdr] = await cdrs_of(hub, session_id)
        assert (core_cdr.cost.total_excl_vat, core_cdr.cost.total_incl_vat) == (excl, incl)
        stored_session = await hub.core.sessions.get(session_id)
        assert stored_session is not None
        assert stored_session.status is SessionStatus.COMPLETED
        pulled_sessions = ok(
            await client.get(f"{CPO_BASE}/sessions", params={"date_from": "2026-03-01T00:00:00Z"})
        )
        assert [s["id"] for s in pulled_sessions] == [session_id]
        pulled_cdrs = ok(await client.get(f"{CPO_BASE}/cdrs"))
        assert [c["id"] for c in pulled_cdrs] == [cdr["id"]]
