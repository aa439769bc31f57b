"""Our CPO charging for a partner eMSP, end to end over real HTTP and a simulated OCPP station, on both
storage backends: START_SESSION (CommandResponse, then CommandResult at response_url, TIMEOUT when the
station stays silent), the Session PUT/PATCH/PUT and CDR POST pushed to the partner (retried after a
failure, never duplicated), EVSE status PATCHes, real-time authorization at the partner (ALLOWED, BLOCKED,
unknown, NEVER vs ALLOWED_OFFLINE when it is down) and our eMSP's tokens pushed to a partner CPO."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from hub.app import SCHEDULER_KEY
from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.fakes.ocpi_partner import Call, FakePartner, bind_public_url, welcomed

TOKEN_A = "hub-invitation-token-A-charging"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMMANDS = "/ocpi/2.2.1/cpo/commands"
SESSIONS = "/ocpi/2.2.1/receiver/sessions/NL/CPO/"
CDRS = "/ocpi/2.2.1/receiver/cdrs"
EVSE_URL = "/ocpi/2.2.1/receiver/locations/NL/CPO/LOC001/CP001*1"

MakeHub = Callable[..., Awaitable[RunningHub]]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def hub(make_hub: MakeHub, clock: FixedClock) -> RunningHub:
    running = await make_hub(
        clock=clock,
        ocpi={"allow_private_urls": True, "invitations": [{"name": "Partner", "token": TOKEN_A}]},
        ocpp={"call_timeout": 0.5},
    )
    bind_public_url(running)
    return running


async def registered(hub: RunningHub, partner: FakePartner) -> FakePartner:
    """Register `partner`, let the hub's welcome (our locations and tariffs, or our tokens) arrive, and forget
    those calls so that each test sees only the pushes its own changes cause."""
    answer = await partner.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
    assert answer.status_code == 1000, answer.body
    await welcomed(hub)
    partner.calls[:] = [c for c in partner.calls if "/receiver/" not in c.path]
    return partner


@pytest.fixture
async def partner(hub: RunningHub) -> AsyncIterator[FakePartner]:
    async with FakePartner() as fake:
        yield await registered(hub, fake)


@pytest.fixture
async def station(hub: RunningHub, clock: FixedClock) -> AsyncIterator[SimulatedStation]:
    sim = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
    await sim.connect()
    try:
        await sim.boot()
        yield sim
    finally:
        await sim.close()


def partner_token(uid: str = "DEPRT0001", **changes: Any) -> dict[str, Any]:
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


def start_body(partner: FakePartner, ref: str = "cmd-1") -> dict[str, Any]:
    return {
        "response_url": f"{partner.url}/ocpi/2.2.1/sender/commands/START_SESSION/{ref}",
        "token": partner_token(),
        "location_id": "LOC001",
        "evse_uid": "CP001*1",
    }


def kick(hub: RunningHub) -> None:
    hub.app[SCHEDULER_KEY].kick()


def assert_pushed_by_hub(
    call: Call, partner: FakePartner, *, sender: str = "CPO", receiver: str = "PRT"
) -> None:
    assert call.token == partner.inbound_token
    assert call.encoded
    assert (call.headers["ocpi-from-country-code"], call.headers["ocpi-from-party-id"]) == ("NL", sender)
    assert call.headers["ocpi-to-party-id"] == receiver
    assert call.headers["x-request-id"]
    assert call.headers["x-correlation-id"]


async def settle(hub: RunningHub) -> None:
    """Wait for the drainer pass in flight (its results recorded), then run one more pass."""
    await hub.app[SCHEDULER_KEY].drainer.drain_once()


# --- Commands: START_SESSION, its result, the session and CDR pushes ----------------------------------------


async def test_cm_03_se_11_cd_02_start_session_result_session_pushes_and_cdr(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation, clock: FixedClock
) -> None:
    client = partner.client(hub.url)
    await station.status(1, "Available")
    answer = await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner), to_party="NL*CPO")
    assert (answer.status, answer.status_code, answer.data["result"]) == (200, 1000, "ACCEPTED")
    assert answer.data["timeout"] >= 1
    assert (answer.headers["ocpi-from-party-id"], answer.headers["ocpi-to-party-id"]) == ("CPO", "PRT")

    [result] = await partner.wait_for_calls("/sender/commands/START_SESSION/cmd-1", "POST")
    assert result.json == {"result": "ACCEPTED"}  # CM-03: a bare CommandResult
    assert_pushed_by_hub(result, partner)
    tx = await station.wait_for_transaction(1)

    clock.advance(minutes=30)
    await station.meter(1, tx.id, 7_400)  # 7.4 kWh in the first half hour
    clock.advance(minutes=10)
    await station.meter(1, tx.id, 7_400)  # then nothing: parking, a new period begins
    clock.advance(minutes=5)
    await station.stop(tx.id, 7_400, reason="EVDisconnected")

    [cdr_call] = await partner.wait_for_calls(CDRS, "POST")
    calls = partner.calls_to(SESSIONS)
    methods = [c.method for c in calls]
    assert methods[0] == "PUT"
    assert methods[-1] == "PUT"
    assert set(methods[1:-1]) == {"PATCH"}
    first = calls[0].json
    assert first["status"] in ("PENDING", "ACTIVE")
    assert first["cdr_token"]["uid"] == "DEPRT0001"
    assert first["auth_method"] == "COMMAND"
    patched_periods = [p for c in calls[1:-1] for p in (c.json.get("charging_periods") or [])]
    final = calls[-1].json
    assert final["status"] == "COMPLETED"
    assert Decimal(str(final["kwh"])) == Decimal("7.4")
    assert len(final["charging_periods"]) == 2
    # SE-05: a PATCH appends, so each closed period went out exactly once and open ones never
    assert patched_periods == final["charging_periods"][:1]
    assert all("last_updated" in c.json for c in calls)
    assert_pushed_by_hub(calls[-1], partner)

    cdr = cdr_call.json
    assert cdr["session_id"] == final["id"]
    assert cdr["cdr_token"]["party_id"] == "PRT"
    assert cdr["cdr_location"]["evse_uid"] == "CP001*1"
    assert cdr["total_cost"]["excl_vat"] == pytest.approx(2.0 + 0.25 * 7.4)
    assert_pushed_by_hub(cdr_call, partner)
    assert cdr_call.answered == 200

    listed = await client.get("/ocpi/2.2.1/cpo/cdrs")
    assert [c["id"] for c in listed.data] == [cdr["id"]]
    sessions = await client.get("/ocpi/2.2.1/cpo/sessions", params={"date_from": "2026-01-01T00:00:00Z"})
    assert [s["status"] for s in sessions.data] == ["COMPLETED"]


async def test_of_02_failed_cdr_push_is_retried_once_without_duplicates(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation, clock: FixedClock
) -> None:
    partner.fail("/receiver/cdrs", method="POST", times=1)
    client = partner.client(hub.url)
    await station.status(1, "Available")
    answer = await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner))
    assert answer.data["result"] == "ACCEPTED"
    tx = await station.wait_for_transaction(1)
    clock.advance(minutes=20)
    await station.stop(tx.id, 3_000)
    [failed] = await partner.wait_for_calls(CDRS, "POST")
    assert failed.answered == 500

    await settle(hub)  # the failure is recorded (attempts 1, due after the backoff)
    clock.advance(seconds=5)  # past the first backoff
    kick(hub)
    calls = await partner.wait_for_calls(CDRS, "POST", count=2)
    assert [c.answered for c in calls] == [500, 200]
    assert calls[0].json == calls[1].json  # the same CDR again, no new one
    stored = [k for k in partner.objects if k.startswith("cdrs/")]
    assert len(stored) == 1
    clock.advance(minutes=5)
    kick(hub)
    await asyncio.sleep(0)  # nothing else is due: a further pass must not post again
    await hub.app[SCHEDULER_KEY].drainer.drain_once()
    assert len(partner.calls_to(CDRS, "POST")) == 2
    session_puts = [
        c for c in partner.calls_to(SESSIONS) if c.method == "PUT" and c.json["status"] == "COMPLETED"
    ]
    assert len(session_puts) == 1


async def test_cm_05_station_that_never_answers_gives_a_timeout_result(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    release = asyncio.Event()

    async def silent(_payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "Rejected"}

    station.handlers["RemoteStartTransaction"] = silent
    try:
        await station.status(1, "Available")
        answer = await partner.client(hub.url).post(
            f"{COMMANDS}/START_SESSION", json=start_body(partner, "t")
        )
        assert answer.data["result"] == "ACCEPTED"
        [result] = await partner.wait_for_calls("/sender/commands/START_SESSION/t", "POST", within=10)
        assert result.json["result"] == "TIMEOUT"
    finally:
        release.set()


async def test_cm_07_stop_session_of_a_running_session(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    client = partner.client(hub.url)
    await station.status(1, "Available")
    await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner))
    tx = await station.wait_for_transaction(1)
    [put] = await partner.wait_for_calls(SESSIONS, "PUT")
    session_id = put.json["id"]
    if put.json["status"] != "ACTIVE":  # PENDING first: the station's start follows as a PATCH
        [patch] = await partner.wait_for_calls(SESSIONS, "PATCH")
        assert patch.json["status"] == "ACTIVE"
    body = {
        "response_url": f"{partner.url}/ocpi/2.2.1/sender/commands/STOP_SESSION/s",
        "session_id": session_id,
    }
    answer = await client.post(f"{COMMANDS}/STOP_SESSION", json=body)
    assert answer.data["result"] == "ACCEPTED"
    [result] = await partner.wait_for_calls("/sender/commands/STOP_SESSION/s", "POST")
    assert result.json == {"result": "ACCEPTED"}
    await station.wait_for_transaction_end(tx.id)


# --- Locations: status PATCH, no double push ---------------------------------------------------------------


async def test_lo_15_status_change_is_patched_at_the_evse_url(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation, clock: FixedClock
) -> None:
    await station.status(1, "Available")  # creates the EVSE: one location PUT carries it and its status
    [put] = await partner.wait_for_calls("/receiver/locations/NL/CPO/LOC001", "PUT")
    assert [(e["uid"], e["status"]) for e in put.json["evses"]] == [("CP001*1", "AVAILABLE")]
    assert_pushed_by_hub(put, partner)
    # the fake stores objects by URL: give it the EVSE's own URL as a real receiver would have it
    partner.objects["locations/NL/CPO/LOC001/CP001*1"] = put.json["evses"][0]

    clock.advance(minutes=1)
    await station.status(1, "Faulted", error_code="GroundFailure")
    [patch] = await partner.wait_for_calls(EVSE_URL, "PATCH")
    assert patch.json == {"status": "OUTOFORDER", "last_updated": "2026-03-02T09:01:00Z"}
    await hub.app[SCHEDULER_KEY].drainer.drain_once()
    assert not [c for c in partner.calls_to(EVSE_URL, "PATCH") if c.json["status"] == "AVAILABLE"]
    assert len(partner.calls_to("/receiver/locations/", "PUT")) == 1


async def test_co_07_status_patch_the_partner_does_not_know_falls_back_to_put(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation, clock: FixedClock
) -> None:
    await station.status(1, "Available")
    await partner.wait_for_calls("/receiver/locations/NL/CPO/LOC001", "PUT")
    partner.objects.clear()  # the partner lost its copy: PATCH answers 404
    clock.advance(minutes=1)
    await station.status(1, "Unavailable")
    puts = await partner.wait_for_calls("/receiver/locations/NL/CPO/LOC001", "PUT", count=2)
    assert [e["status"] for e in puts[-1].json["evses"]] == ["INOPERATIVE"]


# --- Real-time authorization at the partner (TK-05, TK-06, TK-08) -------------------------------------------


async def push_token(hub: RunningHub, partner: FakePartner, uid: str, whitelist: str) -> None:
    answer = await partner.client(hub.url).put(
        f"/ocpi/2.2.1/cpo/tokens/DE/PRT/{uid}", json=partner_token(uid, whitelist=whitelist)
    )
    assert answer.status_code == 1000


async def test_tk_06_tk_08_station_authorize_asks_the_partner(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    answers = {
        "ALLOW1": (200, 1000, {"allowed": "ALLOWED", "token": partner_token("ALLOW1")}),
        "BLOCK1": (200, 1000, {"allowed": "BLOCKED", "token": partner_token("BLOCK1")}),
        "GONE1": (404, 2004, None),
    }
    partner.authorize = lambda uid, _body: answers[uid]
    for uid in answers:
        await push_token(hub, partner, uid, "NEVER")

    assert (await station.authorize("ALLOW1"))["idTagInfo"]["status"] == "Accepted"
    [asked] = partner.calls_to("/sender/tokens/ALLOW1/authorize", "POST")
    assert asked.query == {"type": "RFID"}
    assert asked.json == {"location_id": "LOC001"}
    assert_pushed_by_hub(asked, partner)
    assert (await station.authorize("BLOCK1"))["idTagInfo"]["status"] == "Blocked"
    assert (await station.authorize("GONE1"))["idTagInfo"]["status"] != "Accepted"


async def test_tk_08_partner_down_never_refuses_allowed_offline_falls_back(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    partner.fail("/authorize", times=None)
    await push_token(hub, partner, "NEVER1", "NEVER")
    await push_token(hub, partner, "OFFLINE1", "ALLOWED_OFFLINE")
    assert (await station.authorize("NEVER1"))["idTagInfo"]["status"] != "Accepted"
    assert (await station.authorize("OFFLINE1"))["idTagInfo"]["status"] == "Accepted"
    assert len(partner.calls_to("/authorize", "POST")) == 2  # both were asked first


# --- Our eMSP's tokens pushed to a partner CPO -------------------------------------------------------------


async def test_tk_11_own_token_change_is_put_to_a_partner_cpo(hub: RunningHub) -> None:
    async with FakePartner(roles=[("DE", "CPX", "CPO")]) as cpo:
        await registered(hub, cpo)
        token = await hub.core.tokens.get(OWN_TOKEN, PartyRef.parse("NL*MSP"))
        assert token is not None
        await hub.core.tokens.put(token.model_copy(update={"valid": False, "last_updated": T0}))
        [put] = await cpo.wait_for_calls(f"/receiver/tokens/NL/MSP/{OWN_TOKEN}", "PUT")
        assert put.query == {"type": "RFID"}
        assert (put.json["uid"], put.json["valid"], put.json["party_id"]) == (OWN_TOKEN, False, "MSP")
        assert_pushed_by_hub(put, cpo, sender="MSP", receiver="CPX")
        await settle(hub)
        async with hub.db.unit_of_work() as uow:
            rows = await uow.outbox.latest("ocpi.token.updated")
        assert all(r.delivered_at is not None for r in rows)  # token distribution: ACCEPTED
        assert rows
        assert all(r.target is not None and r.target.endswith("|DE*CPX") for r in rows)


# --- The other commands and charging profiles on a live station --------------------------------------------


async def test_cm_07_cm_08_reserve_cancel_and_unlock_results_reach_the_response_urls(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    client = partner.client(hub.url)
    await station.status(1, "Available")
    callback = f"{partner.url}/ocpi/2.2.1/sender/commands"
    reserve = {
        "response_url": f"{callback}/RESERVE_NOW/r1",
        "token": partner_token(),
        "expiry_date": "2026-03-02T10:00:00Z",
        "reservation_id": "R-1",
        "location_id": "LOC001",
        "evse_uid": "CP001*1",
    }
    answer = await client.post(f"{COMMANDS}/RESERVE_NOW", json=reserve)
    assert answer.data["result"] == "ACCEPTED"
    request = await station.wait_for_call("ReserveNow")
    assert request["idTag"] == "DEPRT0001"
    assert request["reservationId"] != "R-1"  # CM-10: the station gets a number of the hub's own
    [reserved] = await partner.wait_for_calls("/RESERVE_NOW/r1", "POST")
    assert reserved.json == {"result": "ACCEPTED"}

    cancel = {"response_url": f"{callback}/CANCEL_RESERVATION/c1", "reservation_id": "R-1"}
    answer = await client.post(f"{COMMANDS}/CANCEL_RESERVATION", json=cancel)
    assert answer.data["result"] == "ACCEPTED"
    [cancelled] = await partner.wait_for_calls("/CANCEL_RESERVATION/c1", "POST")
    assert cancelled.json == {"result": "ACCEPTED"}
    unknown = {"response_url": f"{callback}/CANCEL_RESERVATION/c2", "reservation_id": "NOPE"}
    answer = await client.post(f"{COMMANDS}/CANCEL_RESERVATION", json=unknown)
    assert answer.data["result"] == "REJECTED"  # CM-02: UNKNOWN_RESERVATION is no CommandResponseType

    unlock = {
        "response_url": f"{callback}/UNLOCK_CONNECTOR/u1",
        "location_id": "LOC001",
        "evse_uid": "CP001*1",
        "connector_id": "1",
    }
    answer = await client.post(f"{COMMANDS}/UNLOCK_CONNECTOR", json=unlock)
    assert answer.data["result"] == "ACCEPTED"
    [unlocked] = await partner.wait_for_calls("/UNLOCK_CONNECTOR/u1", "POST")
    assert unlocked.json["result"] == "ACCEPTED"


async def test_cp_03_charging_profile_on_a_running_session(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    client = partner.client(hub.url)
    await station.status(1, "Available")
    await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner))
    await station.wait_for_transaction(1)
    [put] = await partner.wait_for_calls(SESSIONS, "PUT")
    if put.json["status"] != "ACTIVE":
        await partner.wait_for_calls(SESSIONS, "PATCH")
    profile = {
        "response_url": f"{partner.url}/ocpi/2.2.1/sender/chargingprofiles/p1",
        "charging_profile": {
            "charging_rate_unit": "A",
            "charging_profile_period": [{"start_period": 0, "limit": 16.0}],
        },
    }
    answer = await client.put(f"/ocpi/2.2.1/cpo/chargingprofiles/{put.json['id']}", json=profile)
    assert (answer.status_code, answer.data["result"]) == (1000, "ACCEPTED")
    request = await station.wait_for_call("SetChargingProfile")
    periods = request["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    assert [p["limit"] for p in periods] == [16]
    [result] = await partner.wait_for_calls("/sender/chargingprofiles/p1", "POST")
    assert result.json == {"result": "ACCEPTED"}  # CP-03: a ChargingProfileResult


async def running_session_id(hub: RunningHub, partner: FakePartner, station: SimulatedStation) -> str:
    """Start a session for `partner` on the simulated station; its id once the partner has it ACTIVE."""
    client = partner.client(hub.url)
    await station.status(1, "Available")
    await client.post(f"{COMMANDS}/START_SESSION", json=start_body(partner))
    await station.wait_for_transaction(1)
    [put] = await partner.wait_for_calls(SESSIONS, "PUT")
    if put.json["status"] != "ACTIVE":
        await partner.wait_for_calls(SESSIONS, "PATCH")
    return str(put.json["id"])


async def test_cp_01_cp_03_active_charging_profile_reaches_the_response_url(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    client = partner.client(hub.url)
    session_id = await running_session_id(hub, partner, station)
    url = f"/ocpi/2.2.1/cpo/chargingprofiles/{session_id}"
    reply_to = f"{partner.url}/ocpi/2.2.1/sender/chargingprofiles/active-1"

    answer = await client.get(url, params={"duration": "900", "response_url": reply_to})

    assert (answer.status_code, answer.data["result"]) == (1000, "ACCEPTED")  # CP-02
    assert isinstance(answer.data["timeout"], int)
    request = await station.wait_for_call("GetCompositeSchedule")
    assert (request["connectorId"], request["duration"]) == (1, 900)
    [result] = await partner.wait_for_calls("/sender/chargingprofiles/active-1", "POST")
    assert result.json == {  # CP-03: an ActiveChargingProfileResult, CP-05: limits with one decimal
        "result": "ACCEPTED",
        "profile": {
            "start_date_time": "2026-03-02T09:00:00Z",
            "charging_profile": {
                "start_date_time": "2026-03-02T09:00:00Z",
                "duration": 900,
                "charging_rate_unit": "A",
                "charging_profile_period": [{"start_period": 0, "limit": Decimal("32.0")}],
            },
        },
    }
    unknown = await client.get(
        "/ocpi/2.2.1/cpo/chargingprofiles/NOPE", params={"duration": "60", "response_url": reply_to}
    )
    assert unknown.data["result"] == "UNKNOWN_SESSION"


async def test_cp_01_cp_03_clearing_removes_the_profile_the_hub_set(
    hub: RunningHub, partner: FakePartner, station: SimulatedStation
) -> None:
    client = partner.client(hub.url)
    session_id = await running_session_id(hub, partner, station)
    url = f"/ocpi/2.2.1/cpo/chargingprofiles/{session_id}"
    callback = f"{partner.url}/ocpi/2.2.1/sender/chargingprofiles"

    nothing_set = await client.delete(url, params={"response_url": f"{callback}/clear-0"})
    assert (nothing_set.status_code, nothing_set.data["result"]) == (1000, "REJECTED")
    assert [name for name, _ in station.received if name == "ClearChargingProfile"] == []

    profile = {
        "response_url": f"{callback}/set-1",
        "charging_profile": {
            "charging_rate_unit": "W",
            "charging_profile_period": [{"start_period": 0, "limit": 7400.0}],
        },
    }
    assert (await client.put(url, json=profile)).data["result"] == "ACCEPTED"
    sent = await station.wait_for_call("SetChargingProfile")
    await partner.wait_for_calls("/sender/chargingprofiles/set-1", "POST")

    cleared = await client.delete(url, params={"response_url": f"{callback}/clear-1"})

    assert (cleared.status_code, cleared.data["result"]) == (1000, "ACCEPTED")
    request = await station.wait_for_call("ClearChargingProfile")
    assert request == {"id": sent["csChargingProfiles"]["chargingProfileId"]}
    [result] = await partner.wait_for_calls("/sender/chargingprofiles/clear-1", "POST")
    assert result.json == {"result": "ACCEPTED"}  # CP-03: a ClearProfileResult
    assert partner.calls_to("/sender/chargingprofiles/clear-0", "POST") == []  # a refusal is only synchronous
