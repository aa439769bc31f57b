"""OCPI credentials and registration (checklist §9, §10) over real HTTP against the real hub and a fake
partner platform, on both storage backends: a partner registering with the hub's Token A (callback GETs, Token
C), the hub registering with a partner's Token A, PUT rotation with a grace period, DELETE, and the errors
(405, 3001, 3002, 3003, 2001)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.clock import FixedClock
from hub.core.models import Platform, PlatformStatus
from ocpi_modules.common.errors import InvalidParametersError, OcpiError
from ocpi_modules.common.runtime import OCPI_KEY, OcpiRuntime
from ocpi_modules.v2_2_1 import registration
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, HubReply, bind_public_url

TOKEN_A = "hub-invitation-token-A-0001"
VERSIONS = "/ocpi/versions"
CREDENTIALS = "/ocpi/2.2.1/credentials"

MakeHub = Callable[..., Awaitable[RunningHub]]


def ocpi_settings(**extra: Any) -> dict[str, Any]:
    return {
        "allow_private_urls": True,
        "callback_timeout": 2.0,
        "invitations": [{"name": "Partner", "token": TOKEN_A}],
        **extra,
    }


async def start_hub(make_hub: MakeHub, clock: FixedClock | None = None, **ocpi: Any) -> RunningHub:
    hub = await make_hub(ocpi=ocpi_settings(**ocpi), clock=clock)
    bind_public_url(hub)
    return hub


def rt(hub: RunningHub) -> OcpiRuntime:
    return hub.app[OCPI_KEY]


async def invited(hub: RunningHub) -> Platform:
    platforms = await hub.core.platforms.list()
    return next(p for p in platforms if p.name == "Partner")


async def stored(hub: RunningHub, platform_id: str) -> Platform:
    platform = await hub.core.platforms.get(platform_id)
    assert platform is not None
    return platform


@pytest.fixture
async def hub(make_hub: MakeHub) -> RunningHub:
    return await start_hub(make_hub)


@pytest.fixture
async def partner() -> AsyncIterator[FakePartner]:
    async with FakePartner() as fake:
        yield fake


async def post_credentials(
    hub: RunningHub, partner: FakePartner, body: Any, token: str = TOKEN_A
) -> HubReply:
    return await partner.client(hub.url).post(CREDENTIALS, json=body, token=token, routing=False)


def offered(partner: FakePartner, **changes: Any) -> dict[str, Any]:
    """A Credentials body from the partner; the partner accepts its token in the hub's callbacks."""
    partner.inbound_token = partner.inbound_token or "partner-token-B-0001"
    body = {"token": partner.inbound_token, "url": partner.versions_url, "roles": partner.credentials_roles()}
    return body | changes


# --- The partner registers with the hub (the hub is Receiver) -----------------------------------------------


async def test_cr_steps_1_to_6_partner_registers_with_token_a_and_receives_token_c(
    hub: RunningHub, partner: FakePartner
) -> None:
    answer = await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)

    assert answer.status == 200
    assert answer.status_code == 1000
    token_c = answer.data["token"]
    assert 1 <= len(token_c) <= 64
    assert all(0x21 <= ord(ch) <= 0x7E for ch in token_c)  # AU-06
    assert answer.data["url"] == f"{hub.url}{VERSIONS}"
    # CR-11: exactly one role, HUB, with the hub's identity
    assert answer.data["roles"] == [
        {"role": "HUB", "business_details": {"name": "Test Hub"}, "party_id": "HUB", "country_code": "NL"}
    ]
    # §10 step 4: the hub called back with the partner's token B, Base64-encoded (AU-02)
    callbacks = partner.calls_to("/ocpi/")
    assert [c.path for c in callbacks] == ["/ocpi/versions", "/ocpi/2.2.1"]
    assert all(c.token == partner.inbound_token and c.encoded for c in callbacks)
    assert all("ocpi-from-party-id" not in c.headers for c in callbacks)  # RT-02
    platform = await stored(hub, (await invited(hub)).id)
    assert platform.status is PlatformStatus.CONNECTED
    assert platform.version == "2.2.1"
    assert platform.versions_url == partner.versions_url
    assert platform.invitation_token is None
    assert platform.inbound_token == token_c
    assert platform.outbound_token == partner.inbound_token
    assert platform.registered_at is not None
    assert [(str(r.party), str(r.role), r.name) for r in platform.roles] == [
        ("DE*PRT", "EMSP", "Fake Partner")
    ]
    assert {(e.identifier, e.role) for e in platform.endpoints} >= {
        ("credentials", "SENDER"),
        ("tokens", "SENDER"),
    }


async def test_cr03_token_a_is_dead_after_registration(hub: RunningHub, partner: FakePartner) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    client = partner.client(hub.url)

    versions = await client.get(VERSIONS, token=TOKEN_A)
    again = await post_credentials(hub, partner, offered(partner), token=TOKEN_A)

    assert versions.status == 401
    assert again.status == 401
    assert (await client.get(VERSIONS)).status_code == 1000  # token C works


async def test_ve03_versions_and_details_accept_token_a_b_and_c_without_side_effects(
    hub: RunningHub, partner: FakePartner
) -> None:
    client = partner.client(hub.url)
    before = await invited(hub)

    with_a = await client.get(VERSIONS, token=TOKEN_A)
    details_a = await client.get("/ocpi/2.2.1", token=TOKEN_A)
    assert await invited(hub) == before
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    with_c = await client.get("/ocpi/2.2.1")

    assert with_a.status_code == details_a.status_code == with_c.status_code == 1000
    assert with_a.data == [
        {"version": "2.2.1", "url": f"{hub.url}/ocpi/2.2.1"},
        {"version": "2.1.1", "url": f"{hub.url}/ocpi/2.1.1"},
    ]
    assert with_c.data == details_a.data
    assert details_a.data["version"] == "2.2.1"
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details_a.data["endpoints"]}
    base = f"{hub.url}/ocpi/2.2.1"
    assert endpoints[("credentials", "SENDER")] == f"{base}/credentials"  # VE-04: once, SENDER
    assert [e["identifier"] for e in details_a.data["endpoints"]].count("credentials") == 1
    assert endpoints[("locations", "SENDER")] == f"{base}/cpo/locations"
    assert endpoints[("locations", "RECEIVER")] == f"{base}/emsp/locations"
    assert endpoints[("tokens", "SENDER")] == f"{base}/emsp/tokens"
    assert endpoints[("tokens", "RECEIVER")] == f"{base}/cpo/tokens"
    assert endpoints[("commands", "RECEIVER")] == f"{base}/cpo/commands"
    assert endpoints[("chargingprofiles", "RECEIVER")] == f"{base}/cpo/chargingprofiles"


async def test_cr01_post_when_registered_is_405(hub: RunningHub, partner: FakePartner) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)

    answer = await post_credentials(hub, partner, offered(partner), token=partner.outbound_token or "")

    assert answer.status == 405
    assert answer.status_code == 2000


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
async def test_cr01_put_delete_get_before_registration_are_405(
    hub: RunningHub, partner: FakePartner, method: str
) -> None:
    answer = await partner.client(hub.url).request(method, CREDENTIALS, json=offered(partner), token=TOKEN_A)

    assert answer.status == 405
    assert (await invited(hub)).invitation_token == TOKEN_A


async def test_cr02_unreachable_partner_is_3001_and_token_a_stays_valid(
    hub: RunningHub, partner: FakePartner
) -> None:
    partner.fail("/ocpi/versions", http_status=500, status_code=3000)

    failed = await post_credentials(hub, partner, offered(partner))
    dead_port = await post_credentials(hub, partner, offered(partner, url="http://127.0.0.1:9/ocpi/versions"))
    retried = await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)  # CR-03: A still works

    assert failed.status == 200
    assert failed.status_code == 3001
    assert dead_port.status_code == 3001
    assert retried.status_code == 1000


async def test_cr02_partner_answering_garbage_is_3001(hub: RunningHub, partner: FakePartner) -> None:
    partner.fail("/ocpi/2.2.1", method="GET", http_status=200, status_code=2001)

    answer = await post_credentials(hub, partner, offered(partner))

    assert answer.status_code == 3001
    assert (await invited(hub)).status is PlatformStatus.PLANNED


async def test_cr02_no_mutual_version_is_3002(hub: RunningHub) -> None:
    async with FakePartner(versions=("2.1.1",)) as old:
        answer = await old.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    assert answer.status_code == 3002
    assert (await invited(hub)).invitation_token == TOKEN_A


async def test_ve07_a_partner_publishing_2_2_is_taken_as_2_2_1(hub: RunningHub) -> None:
    async with FakePartner(versions=("2.1.1", "2.2")) as partner:
        answer = await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    assert answer.status_code == 1000
    assert (await invited(hub)).version == "2.2.1"


async def test_cr02_missing_credentials_endpoint_is_3003(hub: RunningHub) -> None:
    async with FakePartner(omit=frozenset({"credentials"})) as partner:
        answer = await post_credentials(hub, partner, offered(partner))
    assert answer.status_code == 3003
    assert (await invited(hub)).status is PlatformStatus.PLANNED


async def test_cr04_a_hanging_callback_is_3001_within_the_callback_timeout(make_hub: MakeHub) -> None:
    hub = await start_hub(make_hub, callback_timeout=0.3)
    async with FakePartner() as partner:
        release = partner.hang("/ocpi/versions")
        answer = await post_credentials(hub, partner, offered(partner))
        release.set()
    assert answer.status_code == 3001


async def test_cr10_duplicate_roles_are_2001(hub: RunningHub, partner: FakePartner) -> None:
    roles = partner.credentials_roles()

    answer = await post_credentials(hub, partner, offered(partner, roles=roles + roles))

    assert answer.status == 200  # valid JSON: the problem is in the status code (RF-05)
    assert answer.status_code == 2001
    assert partner.calls == []  # refused before any callback


KING = {"role": "KING", "party_id": "ABC", "country_code": "DE", "business_details": {"name": "K"}}


@pytest.mark.parametrize(
    ("changes", "drop"),
    [
        ({"token": "has space"}, None),
        ({"token": "x" * 65}, None),
        ({}, "token"),
        ({}, "url"),
        ({"roles": []}, None),
        ({"roles": [KING]}, None),
        ({"roles": [{"role": "CPO", "party_id": "TOOLONG", "country_code": "DE"}]}, None),
    ],
    ids=["token-space", "token-too-long", "no-token", "no-url", "no-roles", "unknown-role", "bad-party-id"],
)
async def test_au06_cr10_invalid_credentials_are_2001(
    hub: RunningHub, partner: FakePartner, changes: dict[str, Any], drop: str | None
) -> None:
    body = offered(partner, **changes)
    if drop:
        body.pop(drop)

    answer = await post_credentials(hub, partner, body)

    assert answer.status_code == 2001
    assert partner.calls == []
    assert (await invited(hub)).invitation_token == TOKEN_A


async def test_rf04_credentials_body_not_json_is_400(hub: RunningHub, partner: FakePartner) -> None:
    answer = await partner.client(hub.url).post(
        CREDENTIALS, token=TOKEN_A, routing=False, headers={"Content-Type": "application/json"}, data=b"{"
    )
    assert answer.status == 400


async def test_cr12_a_party_registered_by_another_platform_or_hosted_here_is_refused(
    hub: RunningHub, partner: FakePartner
) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    _, second_a = await registration.invite(rt(hub), "Second")
    hosted = [{"role": "CPO", "party_id": "CPO", "country_code": "NL", "business_details": {"name": "x"}}]

    same_party = await post_credentials(hub, partner, offered(partner), token=second_a)
    ours = await post_credentials(hub, partner, offered(partner, roles=hosted), token=second_a)

    assert same_party.status_code == 2001
    assert ours.status_code == 2001


async def test_ve08_private_partner_urls_are_refused_unless_allowed(make_hub: MakeHub) -> None:
    hub = await start_hub(make_hub, allow_private_urls=False)
    async with FakePartner() as partner:
        answer = await post_credentials(hub, partner, offered(partner))
        assert partner.calls == []
    assert answer.status_code == 3001


async def test_cr05_get_credentials_returns_the_callers_current_token(
    hub: RunningHub, partner: FakePartner
) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)

    answer = await partner.client(hub.url).get(CREDENTIALS, routing=False)

    assert answer.status_code == 1000
    assert answer.data["token"] == partner.outbound_token
    assert answer.data["url"] == f"{hub.url}{VERSIONS}"
    assert [r["role"] for r in answer.data["roles"]] == ["HUB"]


async def test_cr06_put_rotates_both_tokens_and_refetches_versions(
    hub: RunningHub, partner: FakePartner
) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    old_c, old_b = partner.outbound_token, partner.inbound_token
    callbacks = len(partner.calls_to("/ocpi/versions"))

    answer = await partner.update_with_hub()

    assert answer.status_code == 1000
    assert answer.data["token"] not in (old_c, None)
    assert len(partner.calls_to("/ocpi/versions")) == callbacks + 1  # re-fetched even though unchanged
    assert partner.calls_to("/ocpi/versions")[-1].token == partner.inbound_token != old_b
    platform = await stored(hub, (await invited(hub)).id)
    assert platform.inbound_token == partner.outbound_token
    assert platform.outbound_token == partner.inbound_token
    assert (await partner.client(hub.url).get(CREDENTIALS)).data["token"] == partner.outbound_token


async def test_cr07_the_previous_token_works_during_the_grace_period_only(make_hub: MakeHub) -> None:
    clock = FixedClock(datetime.now(UTC))
    hub = await start_hub(make_hub, clock=clock, token_grace=600)
    async with FakePartner() as partner:
        await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
        old_c = partner.outbound_token
        await partner.update_with_hub()
        client = partner.client(hub.url)

        in_grace = await client.get(VERSIONS, token=old_c)
        clock.advance(seconds=601)
        after_grace = await client.get(VERSIONS, token=old_c)
        current = await client.get(VERSIONS)

    assert in_grace.status_code == 1000
    assert after_grace.status == 401
    assert current.status_code == 1000


async def test_cr07_a_retried_put_with_the_old_token_succeeds_and_issues_a_fresh_token(
    hub: RunningHub, partner: FakePartner
) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    old_c = partner.outbound_token
    first = await partner.update_with_hub()
    lost_c = first.data["token"]
    partner.outbound_token = old_c  # the first answer never arrived

    retried = await partner.update_with_hub()

    assert retried.status_code == 1000
    assert retried.data["token"] not in (old_c, lost_c)
    assert (await partner.client(hub.url).get(VERSIONS)).status_code == 1000
    assert (await partner.client(hub.url).get(VERSIONS, token=old_c)).status_code == 1000  # grace again


async def test_cr09_delete_suspends_the_platform_and_kills_its_tokens(
    hub: RunningHub, partner: FakePartner
) -> None:
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
    token_c = partner.outbound_token

    answer = await partner.unregister_from_hub()

    assert answer.status_code == 1000
    assert "data" not in answer.body
    platform = await invited(hub)
    assert platform.status is PlatformStatus.SUSPENDED
    assert (platform.inbound_token, platform.outbound_token, platform.invitation_token) == (None, None, None)
    client = partner.client(hub.url)
    assert (await client.get(VERSIONS, token=token_c)).status == 401
    assert (await client.delete(CREDENTIALS, token=token_c)).status == 401


# --- The hub registers with a partner (the hub is Sender) ---------------------------------------------------


async def test_cr_steps_1_to_6_hub_registers_with_a_partners_token_a(
    hub: RunningHub, partner: FakePartner
) -> None:
    versions_url, token_a = partner.invite()

    platform = await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")

    post = partner.calls_to("/credentials", "POST")[0]
    assert post.token == token_a
    assert post.encoded
    assert post.json["url"] == f"{hub.url}{VERSIONS}"
    assert [r["role"] for r in post.json["roles"]] == ["HUB"]
    # the partner's callback GETs with token B were accepted while the platform was still PLANNED
    assert partner.hub_endpoints
    assert partner.outbound_token == post.json["token"]
    assert platform.status is PlatformStatus.CONNECTED
    assert platform.outbound_token == partner.inbound_token
    assert platform.inbound_token == post.json["token"]
    assert [str(r.party) for r in platform.roles] == ["DE*PRT"]
    assert platform.endpoint("tokens", "SENDER") == f"{partner.url}/ocpi/2.2.1/sender/tokens"
    assert await stored(hub, platform.id) == platform
    # the partner's Token A is dead; its token B is what it uses towards the hub
    assert partner.invitation_token is None
    assert (await partner.client(hub.url).get(CREDENTIALS)).data["token"] == partner.outbound_token


async def test_cr03_hub_registration_with_a_failing_partner_leaves_no_live_token_and_can_be_retried(
    hub: RunningHub, partner: FakePartner
) -> None:
    versions_url, token_a = partner.invite()
    partner.fail("/credentials", method="POST", http_status=200, status_code=3001)

    with pytest.raises(OcpiError) as failed:
        await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")
    first = next(p for p in await hub.core.platforms.list() if p.name == "Remote")
    platform = await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")

    assert failed.value.status_code == 3001
    assert first.status is PlatformStatus.PLANNED
    assert first.inbound_token is None
    assert platform.id == first.id  # the retry reuses the attempt
    assert platform.status is PlatformStatus.CONNECTED


@pytest.mark.parametrize(
    ("partner_versions", "omit", "code"),
    [(("2.0",), frozenset(), 3002), (("2.2.1",), frozenset({"credentials"}), 3003)],
)
async def test_cr02_hub_registration_errors(
    hub: RunningHub, partner_versions: tuple[str, ...], omit: frozenset[str], code: int
) -> None:
    async with FakePartner(versions=partner_versions, omit=omit) as partner:
        versions_url, token_a = partner.invite()
        with pytest.raises(OcpiError) as failed:
            await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")
        assert partner.calls_to("/credentials") == []
    assert failed.value.status_code == code


async def test_au08_hub_falls_back_to_a_raw_token_for_a_partner_refusing_base64(hub: RunningHub) -> None:
    async with FakePartner(token_format="raw") as partner:
        versions_url, token_a = partner.invite()
        platform = await registration.register(
            rt(hub), versions_url=versions_url, token_a=token_a, name="Raw"
        )
        assert not partner.calls_to("/credentials", "POST")[0].encoded
    assert platform.encode_token is False


async def test_cr06_hub_rotates_credentials_with_a_partner(hub: RunningHub, partner: FakePartner) -> None:
    versions_url, token_a = partner.invite()
    platform = await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")
    old_b, old_c = platform.inbound_token, platform.outbound_token

    updated = await registration.update(rt(hub), platform.id)

    put = partner.calls_to("/credentials", "PUT")[0]
    assert put.token == old_c
    assert updated.inbound_token == put.json["token"] != old_b
    assert updated.outbound_token == partner.inbound_token != old_c
    assert updated.previous_inbound_token == old_b  # CR-07: the partner may still use it for a while
    client = partner.client(hub.url)
    assert (await client.get(VERSIONS)).status_code == 1000
    assert (await client.get(VERSIONS, token=old_b)).status_code == 1000


async def test_cr09_hub_unregisters_from_a_partner(hub: RunningHub, partner: FakePartner) -> None:
    versions_url, token_a = partner.invite()
    platform = await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")
    token_b = partner.outbound_token

    gone = await registration.unregister(rt(hub), platform.id)

    assert partner.calls_to("/credentials", "DELETE")[0].token == platform.outbound_token
    assert gone.status is PlatformStatus.SUSPENDED
    assert gone.outbound_token is None
    assert gone.inbound_token is None
    assert (await partner.client(hub.url).get(VERSIONS, token=token_b)).status == 401


async def test_cr13_registration_listeners_run_after_either_side_registers(
    hub: RunningHub, partner: FakePartner
) -> None:
    seen: list[tuple[str, PlatformStatus]] = []
    done = asyncio.Event()

    async def listener(_rt: OcpiRuntime, platform: Platform) -> None:
        seen.append((platform.name, platform.status))
        if len(seen) == 2:
            done.set()

    registration.on_registered(rt(hub), listener)
    await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)  # the partner registers with the hub
    async with FakePartner(roles=[("DE", "TWO", "CPO")]) as other:
        versions_url, token_a = other.invite()
        await registration.register(rt(hub), versions_url=versions_url, token_a=token_a, name="Remote")
    async with asyncio.timeout(5):
        await done.wait()

    assert sorted(seen) == [("Partner", PlatformStatus.CONNECTED), ("Remote", PlatformStatus.CONNECTED)]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
ROLE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["CPO", "EMSP", "HUB", "NSP", "OTHER", "cpo", "X"]),
        "party_id": st.text(max_size=4),
        "country_code": st.text(max_size=3),
    },
    optional={"business_details": st.fixed_dictionaries({"name": st.text(max_size=110)})},
)
CREDENTIALS_LIKE = st.fixed_dictionaries(
    {"token": st.text(max_size=70), "url": st.text(max_size=20), "roles": st.lists(ROLE, max_size=3)}
)


@given(data=JSON | CREDENTIALS_LIKE)
def test_au06_cr10_credentials_parsing_refuses_with_2001_or_returns_checked_credentials(data: Any) -> None:
    outcome: registration.Credentials | InvalidParametersError
    try:
        outcome = registration.parse_credentials(data)
    except InvalidParametersError as exc:
        outcome = exc
    if isinstance(outcome, InvalidParametersError):
        assert outcome.status_code == 2001
        return
    parsed = outcome
    assert 1 <= len(parsed.token) <= 64
    assert parsed.roles
    assert len({(r.role, r.party.key()) for r in parsed.roles}) == len(parsed.roles)  # CR-10
    assert parsed.token not in repr(parsed)  # the token stays out of logs and tracebacks


@given(entries=JSON)
def test_ve07_version_picking_never_raises(entries: Any) -> None:
    picked = registration.pick_version(entries)
    assert picked is None or picked[0] == "2.2.1"
    assert registration.parse_endpoints(entries) is not None
