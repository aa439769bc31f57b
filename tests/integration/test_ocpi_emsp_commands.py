"""Our eMSP as Commands Sender over real HTTP (both storage backends): START_SESSION / STOP_SESSION through
the operator API reach a CPO partner's commands Receiver, and the CommandResult it POSTs to our
response_url is stored and read back (checklist §18)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from tests.conftest import OWN_TOKEN, RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubClient, HubReply, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform

PARTNER_TOKEN = "partner-to-hub-token-commands"
HUB_TOKEN = "hub-to-partner-token-commands"
ADMIN_TOKEN = "admin-secret-for-commands"
CPX = PartyRef(country_code="DE", party_id="CPX")


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    client: HubClient

    async def admin(self, method: str, path: str, **kwargs: Any) -> HubReply:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return await self.partner.http(method, self.hub.url + path, headers=headers, **kwargs)

    async def add_platform(self, platform_id: str, party: PartyRef, token: str, url: str) -> None:
        endpoint = Endpoint(identifier="commands", role="RECEIVER", url=f"{url}/ocpi/2.2.1/receiver/commands")
        await self.hub.core.platforms.put(
            Platform(
                id=platform_id,
                name=platform_id,
                status=PlatformStatus.CONNECTED,
                version="2.2.1",
                endpoints=(endpoint,),
                roles=(PlatformRole(party=party, role=Role.CPO),),
                inbound_token=token,
                outbound_token=f"{token}-outbound",
                last_updated=self.hub.core.clock.now(),
            )
        )


@pytest.fixture
async def env(make_hub: Callable[..., Awaitable[RunningHub]], tmp_path: Path) -> AsyncIterator[Env]:
    """The hub (operator API on) with a CONNECTED CPO platform DE*CPX that has a commands Receiver."""
    hub = await make_hub(
        admin={"token": ADMIN_TOKEN},
        ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")},
    )
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO")], name="Charge X") as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
        yield Env(hub, partner, partner.client(hub.url))


async def start(env: Env, **overrides: Any) -> HubReply:
    body = {
        "token_uid": OWN_TOKEN,
        "location_id": "LOC-9",
        "evse_uid": "EVSE-1",
        "cpo": "DE*CPX",
        **overrides,
    }
    return await env.admin("POST", "/admin/ocpi/start-session", json=body)


async def test_cm06_cm12_start_session_sends_our_full_token_and_a_unique_response_url(env: Env) -> None:
    answer = await start(env, connector_id="2")

    assert answer.status == 200, answer.body
    command_id = answer.body["command_id"]
    assert answer.body["status_code"] == 1000
    assert answer.body["response"] == {"result": "ACCEPTED", "timeout": 30}
    assert answer.body["result"] is None
    [call] = env.partner.calls_to("/receiver/commands/START_SESSION", "POST")
    assert call.token == HUB_TOKEN
    assert call.encoded
    assert (call.headers["ocpi-from-country-code"], call.headers["ocpi-from-party-id"]) == ("NL", "MSP")
    assert (call.headers["ocpi-to-country-code"], call.headers["ocpi-to-party-id"]) == ("DE", "CPX")
    assert call.json["response_url"] == f"{env.hub.url}/ocpi/2.2.1/emsp/commands/START_SESSION/{command_id}"
    assert (call.json["location_id"], call.json["evse_uid"], call.json["connector_id"]) == (
        "LOC-9",
        "EVSE-1",
        "2",
    )
    token = call.json["token"]
    assert (token["uid"], token["country_code"], token["party_id"]) == (OWN_TOKEN, "NL", "MSP")
    assert {"type", "contract_id", "issuer", "valid", "whitelist", "last_updated"} <= set(token)
    second = await start(env)
    assert second.body["command_id"] != command_id


async def test_cm03_the_command_result_is_stored_and_read_back(env: Env) -> None:
    sent = await start(env)
    command_id = sent.body["command_id"]
    [call] = env.partner.calls_to("/receiver/commands/START_SESSION", "POST")
    pending = await env.admin("GET", f"/admin/ocpi/command-results/{command_id}")

    result = await env.client.post(call.json["response_url"], json={"result": "ACCEPTED"})
    done = await env.admin("GET", f"/admin/ocpi/command-results/{command_id}")

    assert pending.status == 202
    assert pending.body["result"] is None
    assert (result.status, result.status_code) == (200, 1000)
    assert "data" not in result.body
    assert done.status == 200
    assert done.body["result"] == {"result": "ACCEPTED"}
    assert done.body["result_received_at"].endswith("Z")
    assert (await env.admin("GET", "/admin/ocpi/command-results/nope")).status == 404


async def test_a_waiting_command_result_request_returns_once_the_result_arrives(env: Env) -> None:
    sent = await start(env)
    command_id = sent.body["command_id"]
    [call] = env.partner.calls_to("/receiver/commands/START_SESSION", "POST")
    waiting = asyncio.create_task(
        env.admin("GET", f"/admin/ocpi/command-results/{command_id}", params={"wait": "30"})
    )
    await asyncio.wait({waiting}, timeout=0.2)
    assert not waiting.done()

    await env.client.post(call.json["response_url"], json={"result": "EVSE_OCCUPIED", "message": []})

    async with asyncio.timeout(5):
        answer = await waiting
    assert answer.status == 200
    assert answer.body["result"]["result"] == "EVSE_OCCUPIED"


async def test_cm07_stop_session(env: Env) -> None:
    answer = await env.admin(
        "POST", "/admin/ocpi/stop-session", json={"session_id": "SES-7", "cpo": "de*cpx"}
    )

    assert answer.status == 200, answer.body
    [call] = env.partner.calls_to("/receiver/commands/STOP_SESSION", "POST")
    assert call.json["session_id"] == "SES-7"
    assert call.json["response_url"].endswith(f"/emsp/commands/STOP_SESSION/{answer.body['command_id']}")
    assert answer.body["command"] == "STOP_SESSION"


async def test_a_result_for_a_command_never_sent_or_sent_to_another_platform_is_404(env: Env) -> None:
    sent = await start(env)
    url = env.partner.calls_to("/receiver/commands/START_SESSION", "POST")[0].json["response_url"]
    await env.add_platform("platform-other", PartyRef.parse("DE*OTH"), "other-partner-token", env.partner.url)

    other = await env.client.post(
        url, json={"result": "ACCEPTED"}, token="other-partner-token", from_party="DE*OTH"
    )
    unknown = await env.client.post(url.rsplit("/", 1)[0] + "/deadbeef", json={"result": "ACCEPTED"})
    wrong_command = await env.client.post(
        url.replace("START_SESSION", "STOP_SESSION"), json={"result": "ACCEPTED"}
    )
    no_result = await env.client.post(url, json={"message": []})

    assert other.status == 404
    assert unknown.status == 404
    assert wrong_command.status == 404
    assert no_result.status_code == 2001
    stored = await env.admin("GET", f"/admin/ocpi/command-results/{sent.body['command_id']}")
    assert stored.body["result"] is None


async def test_the_cpo_refusing_is_shown_and_unknown_tokens_or_cpos_are_refused(env: Env) -> None:
    env.partner.command_response = {"result": "REJECTED", "timeout": 30}
    rejected = await start(env)
    unknown_token = await start(env, token_uid="NOT-OURS")
    unknown_cpo = await start(env, cpo="FR*XYZ")
    bad_cpo = await start(env, cpo="nonsense")
    await env.admin("POST", f"/admin/tokens/{OWN_TOKEN}/block")
    blocked = await start(env)

    assert rejected.status == 200
    assert rejected.body["response"]["result"] == "REJECTED"
    assert unknown_token.status == 404
    assert unknown_cpo.status == 404
    assert bad_cpo.status == 400
    assert blocked.status == 409
    assert "blocked" in blocked.body["error"]
    assert len(env.partner.calls_to("/receiver/commands/START_SESSION")) == 1


async def test_an_unreachable_cpo_is_409_and_leaves_no_pending_command(env: Env) -> None:
    await env.add_platform("platform-gone", PartyRef.parse("DE*GON"), "gone-token", "http://127.0.0.1:9")

    answer = await start(env, cpo="DE*GON")

    assert answer.status == 409
    assert "error" in answer.body
    assert await env.hub.core.records.count("command_results") == 0
