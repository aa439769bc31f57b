"""Our eMSP's tokens over real HTTP (both storage backends): the Tokens Sender interface a CPO partner
calls (list, real-time authorize; checklist §17) and the operator API that imports our tokens, shows their
distribution to CPOs, retries failed pushes and blocks a token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.core.models import PartyRef
from tests.conftest import OWN_TOKEN, RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubClient, HubReply, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform

PARTNER_TOKEN = "partner-to-hub-token-tokens"
HUB_TOKEN = "hub-to-partner-token-tokens"
ADMIN_TOKEN = "admin-secret-for-tokens"
MSP = PartyRef(country_code="NL", party_id="MSP")
TOKENS = "/ocpi/2.2.1/emsp/tokens"


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    client: HubClient

    async def admin(self, method: str, path: str, *, token: str = ADMIN_TOKEN, **kwargs: Any) -> HubReply:
        headers = {"Authorization": f"Bearer {token}"}
        return await self.partner.http(method, self.hub.url + path, headers=headers, **kwargs)


@pytest.fixture
async def env(make_hub: Callable[..., Awaitable[RunningHub]], tmp_path: Path) -> AsyncIterator[Env]:
    """The hub (operator API on) with a CONNECTED CPO platform DE*CPX that has a tokens Receiver."""
    hub = await make_hub(
        admin={"token": ADMIN_TOKEN},
        ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")},
    )
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO")], name="Charge X") as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
        yield Env(hub, partner, partner.client(hub.url))


def a_row(uid: str, **overrides: Any) -> dict[str, Any]:
    return {"uid": uid, "type": "RFID", "contract_id": f"NL-MSP-{uid}", "issuer": "Own eMSP", **overrides}


async def import_rows(env: Env, rows: list[Any], first_row: int = 1) -> dict[str, Any]:
    answer = await env.admin("POST", "/admin/tokens/import", json=rows, params={"first_row": str(first_row)})
    assert answer.status == 200, answer.body
    result: dict[str, Any] = answer.body
    return result


async def distribution_until(env: Env, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The distribution once `done` holds for it, asked again until a deadline: call it after the partner
    answered the pushes, so only the drainer's bookkeeping of those answers is awaited (each round is one
    HTTP request)."""
    async with asyncio.timeout(10):
        while True:
            answer = await env.admin("GET", "/admin/tokens/distribution")
            assert answer.status == 200, answer.body
            cpos: list[dict[str, Any]] = answer.body["cpos"]
            if done(cpos):
                return cpos


# --- Tokens Sender ------------------------------------------------------------------------------------


async def test_tk02_pg02_pg03_token_list_is_paginated_and_follows_link(env: Env) -> None:
    await import_rows(env, [a_row(f"UID{i}") for i in range(4)])

    first = await env.client.get(TOKENS, params={"limit": "3"})
    following = await env.client.get(first.headers["link"].split(";")[0].strip("<>"))

    assert first.status_code == 1000
    assert first.headers["x-total-count"] == "5"
    assert first.headers["x-limit"] == "100"
    assert first.headers["link"].startswith(f"<{env.hub.url}{TOKENS}?")
    assert len(first.data) == 3
    assert "link" not in following.headers
    uids = [t["uid"] for t in first.data + following.data]
    assert sorted(uids) == sorted([OWN_TOKEN, "UID0", "UID1", "UID2", "UID3"])
    assert all(t["country_code"] == "NL" and t["party_id"] == "MSP" for t in first.data)
    assert first.data[0]["last_updated"].endswith("Z")


async def test_tk05_authorize_of_an_unknown_token_is_404_2004_without_data(env: Env) -> None:
    unknown = await env.client.post(f"{TOKENS}/NOPE/authorize")
    wrong_type = await env.client.post(f"{TOKENS}/{OWN_TOKEN}/authorize", params={"type": "APP_USER"})

    assert (unknown.status, unknown.status_code) == (404, 2004)
    assert "data" not in unknown.body
    assert (wrong_type.status, wrong_type.status_code) == (404, 2004)


async def test_tk06_tk07_authorize_of_a_valid_token_is_allowed_with_the_location_echoed(env: Env) -> None:
    references = {"location_id": "SOMEWHERE-UNKNOWN", "evse_uids": ["EVSE-1", "EVSE-2"]}

    answer = await env.client.post(f"{TOKENS}/{OWN_TOKEN.lower()}/authorize", json=references)

    assert (answer.status, answer.status_code) == (200, 1000)
    assert answer.data["allowed"] == "ALLOWED"
    assert answer.data["token"]["uid"] == OWN_TOKEN
    assert answer.data["location"] == references
    assert len(answer.data["authorization_reference"]) <= 36


async def test_tk06_a_blocked_token_is_blocked_with_http_200(env: Env) -> None:
    blocked = await env.admin("POST", f"/admin/tokens/{OWN_TOKEN}/block")

    answer = await env.client.post(f"{TOKENS}/{OWN_TOKEN}/authorize", params={"type": "RFID"})

    assert blocked.status == 200
    assert blocked.body["token"]["valid"] is False
    assert (answer.status, answer.status_code) == (200, 1000)
    assert answer.data["allowed"] == "BLOCKED"
    listed = await env.client.get(TOKENS)
    assert [t["valid"] for t in listed.data if t["uid"] == OWN_TOKEN] == [False]


# --- operator API: import, distribution, block -----------------------------------------------------------


async def test_import_reports_bad_rows_by_number_and_imports_the_good_ones(env: Env) -> None:
    rows: list[Any] = [
        a_row("GOOD1"),
        a_row("BAD-TYPE", type="PLASTIC"),
        None,
        {"type": "RFID", "contract_id": "NL-MSP-X"},
        a_row("GOOD2", valid="false", whitelist="never"),
        a_row("GOOD1"),
        a_row("FOREIGN", country_code="DE", party_id="ABC"),
        a_row("X" * 37),
    ]

    report = await import_rows(env, rows, first_row=2)

    assert report["total"] == 8
    assert report["imported"] == 2
    assert report["blank"] == 1
    assert [(e["row"], e["uid"]) for e in report["errors"]] == [
        (3, "BAD-TYPE"),
        (5, None),
        (7, "GOOD1"),
        (8, "FOREIGN"),
        (9, "X" * 37),
    ]
    assert "type" in report["errors"][0]["error"]
    assert "row 2" in report["errors"][2]["error"]
    good2 = await env.hub.core.tokens.get("GOOD2", MSP)
    assert good2 is not None
    assert (good2.valid, str(good2.whitelist), good2.own) == (False, "NEVER", True)
    again = await import_rows(env, [a_row("GOOD1")])
    assert (again["imported"], again["unchanged"]) == (0, 1)


async def test_distribution_counts_per_cpo_shows_failures_and_retry_failed_pushes_them_again(
    env: Env,
) -> None:
    failure = env.partner.fail("/tokens/NL/MSP/REFUSED", method="PUT", times=None)
    await import_rows(env, [a_row("OK1"), a_row("OK2"), a_row("REFUSED")])
    for uid in ("OK1", "OK2", "REFUSED"):
        await env.partner.wait_for_calls(f"/receiver/tokens/NL/MSP/{uid}", "PUT", within=10)

    cpos = await distribution_until(env, lambda c: bool(c) and c[0]["failed"] == 1 and c[0]["pending"] == 0)

    [cpo] = cpos
    # OK1 and OK2, and the configured own token when its push was expanded after the platform appeared.
    assert cpo["accepted"] in (2, 3)
    assert (cpo["cpo"], cpo["platform"], cpo["platform_id"]) == ("DE*CPX", "Charge X", "platform-cpx")
    [failed] = cpo["failed_tokens"]
    assert failed["uid"] == "REFUSED"
    assert failed["attempts"] >= 1
    assert failed["last_error"]
    assert HUB_TOKEN not in str(cpos)
    pushed = env.partner.calls_to("/receiver/tokens/NL/MSP/OK1", "PUT")
    assert pushed[0].json["uid"] == "OK1"

    failure.times = 0
    retried = await env.admin("POST", "/admin/tokens/distribution", params={"retry_failed": "1"})
    assert retried.status == 200
    assert retried.body["retried"] == 1
    await env.partner.wait_for_calls("/receiver/tokens/NL/MSP/REFUSED", "PUT", count=2, within=10)
    cpos = await distribution_until(env, lambda c: c[0]["failed"] == 0 and c[0]["pending"] == 0)
    assert cpos[0]["accepted"] == cpo["accepted"] + 1


async def test_blocking_a_token_pushes_valid_false_to_the_cpo(env: Env) -> None:
    await import_rows(env, [a_row("LOST")])
    await env.partner.wait_for_calls("/receiver/tokens/NL/MSP/LOST", "PUT", within=10)

    answer = await env.admin("POST", "/admin/tokens/LOST/block")

    assert answer.status == 200
    calls = await env.partner.wait_for_calls("/receiver/tokens/NL/MSP/LOST", "PUT", count=2, within=10)
    assert calls[-1].json["valid"] is False
    assert (await env.admin("POST", "/admin/tokens/NOPE/block")).status == 404


async def test_operator_api_needs_the_bearer_token_and_checks_input(env: Env) -> None:
    unauthorized = await env.admin("GET", "/admin/tokens/distribution", token="wrong")
    not_a_list = await env.admin("POST", "/admin/tokens/import", json={"uid": "X"})
    no_retry = await env.admin("POST", "/admin/tokens/distribution")

    assert unauthorized.status == 401
    assert not_a_list.status == 400
    assert "error" in not_a_list.body
    assert no_retry.status == 400
