"""OCPI 2.1.1 partners registering with the hub (checklist §9, §10, §21) over real HTTP, on both storage
backends: the flat 2.1.1 credentials, the role taken from the invitation, raw tokens both ways, version
details without roles, rotation, unregistration, and each refusal (405, 3001 without a role, 3002, 3003,
2001, 401)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.core.models import Platform, PlatformStatus, Role
from hub.settings import Settings
from ocpi_modules import v2_1_1
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.runtime import OCPI_KEY
from tests.conftest import RunningHub
from tests.fakes.ocpi211_partner import Fake211Partner
from tests.fakes.ocpi211_partner.hub import start_hub, wired_by_root
from tests.fakes.ocpi_partner import FakePartner

EMSP_A = "invite-emsp-211-token-A"
CPO_A = "invite-cpo-211-token-A"
ROLELESS_A = "invite-no-role-token-A"
TOKEN_A_221 = "invite-221-token-A"
DETAILS = "/ocpi/2.1.1"
CREDENTIALS = "/ocpi/2.1.1/credentials"


@pytest.fixture
async def hub(settings_factory: Callable[..., Settings]) -> AsyncIterator[RunningHub]:
    settings = settings_factory(
        ocpi={
            "allow_private_urls": True,
            "callback_timeout": 2.0,
            "invitations": [
                {"name": "eMSP 2.1.1", "token": EMSP_A, "role": "EMSP"},
                {"name": "CPO 2.1.1", "token": CPO_A, "role": "CPO"},
                {"name": "Roleless", "token": ROLELESS_A},
                {"name": "Partner 2.2.1", "token": TOKEN_A_221},
            ],
        }
    )
    running = await start_hub(settings)
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def partner() -> AsyncIterator[Fake211Partner]:
    async with Fake211Partner(party=("DE", "EMW"), role="EMSP") as fake:
        yield fake


async def register(hub: RunningHub, partner: Fake211Partner, token_a: str = EMSP_A) -> Any:
    return await partner.register_with(f"{hub.url}/ocpi/versions", token_a, details_url=f"{hub.url}{DETAILS}")


async def platform_named(hub: RunningHub, name: str) -> Platform:
    return next(p for p in await hub.core.platforms.list() if p.name == name)


# --- registration (the hub is Receiver) -------------------------------------------------------------------


async def test_emsp_registers_with_flat_credentials_and_its_invitation_role(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    answer = await register(hub, partner)

    assert (answer.status, answer.status_code) == (200, 1000)
    assert answer.data == {
        "token": answer.data["token"],
        "url": f"{hub.url}/ocpi/versions",
        "business_details": {"name": "Test Hub"},
        "party_id": "HUB",
        "country_code": "NL",
    }
    token_c = answer.data["token"]
    assert 1 <= len(token_c) <= 64
    # The callbacks: the partner's token raw (AU-08), no routing headers (V211-01)
    callbacks = partner.calls_to("/ocpi/")
    assert [c.path for c in callbacks] == ["/ocpi/versions", "/ocpi/2.1.1"]
    assert all(c.token == partner.inbound_token for c in callbacks)
    assert all(not any(h.startswith("ocpi-") for h in c.headers) for c in callbacks)
    platform = await platform_named(hub, "eMSP 2.1.1")
    assert platform.status is PlatformStatus.CONNECTED
    assert (platform.version, platform.encode_token) == ("2.1.1", False)
    assert [(str(r.party), r.role, r.name) for r in platform.roles] == [("DE*EMW", Role.EMSP, partner.name)]
    assert (platform.inbound_token, platform.outbound_token) == (token_c, partner.inbound_token)
    assert platform.invitation_token is None
    assert {(e.identifier, e.role) for e in platform.endpoints} == {
        ("credentials", "SENDER"),
        ("locations", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("commands", "SENDER"),
    }


@pytest.mark.parametrize(("role", "token_a"), [("CPO", CPO_A), ("EMSP", EMSP_A)])
async def test_endpoint_roles_follow_the_invitation_role(hub: RunningHub, role: str, token_a: str) -> None:
    async with Fake211Partner(party=("DE", "X21"), role=role) as fake:
        assert (await register(hub, fake, token_a)).status_code == 1000
    platform = next(
        p for p in await hub.core.platforms.list() if p.roles and str(p.roles[0].party) == "DE*X21"
    )
    expected = "SENDER" if role == "CPO" else "RECEIVER"
    assert platform.endpoint("locations", expected) is not None
    assert platform.roles[0].role is Role(role)


async def test_version_details_list_endpoints_without_roles_for_token_a(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    answer = await partner.client(hub.url).get(DETAILS, token=EMSP_A)
    assert (answer.status, answer.status_code) == (200, 1000)
    assert answer.data["version"] == "2.1.1"
    assert answer.data["endpoints"] == [
        {"identifier": module, "url": f"{hub.url}/ocpi/2.1.1/{module}"}
        for module in ("credentials", "locations", "sessions", "cdrs", "tariffs", "tokens", "commands")
    ]
    assert (await partner.client(hub.url).get(DETAILS + "/", token=EMSP_A)).status_code == 1000


async def test_hub_versions_list_2_1_1_once_wired(hub: RunningHub, partner: Fake211Partner) -> None:
    if not wired_by_root(hub):
        pytest.skip("the composition root does not list 2.1.1 yet (the hand-over asks it to)")
    answer = await partner.client(hub.url).get("/ocpi/versions", token=EMSP_A)
    assert {"version": "2.1.1", "url": f"{hub.url}{DETAILS}"} in answer.data


async def test_invitation_without_role_is_refused_with_3001_and_token_a_stays_valid(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    answer = await register(hub, partner, ROLELESS_A)
    assert (answer.status, answer.status_code) == (200, 3001)
    assert 'role = "CPO" or "EMSP"' in answer.message
    assert partner.calls_to("/ocpi/") == []  # refused before any callback
    platform = await platform_named(hub, "Roleless")
    assert (platform.status, platform.invitation_token) == (PlatformStatus.PLANNED, ROLELESS_A)


async def test_post_when_registered_put_and_delete_when_not_are_405(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    client = partner.client(hub.url)
    assert (await client.put(CREDENTIALS, json={}, token=EMSP_A)).status == 405
    assert (await client.delete(CREDENTIALS, token=EMSP_A)).status == 405
    assert (await client.get(CREDENTIALS, token=EMSP_A)).status == 405
    await register(hub, partner)
    assert (await client.post(CREDENTIALS, json={})).status == 405
    assert (await client.post(CREDENTIALS, json={}, token=EMSP_A)).status == 401  # Token A is dead (CR-03)


async def test_get_credentials_answers_the_callers_current_token(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    await register(hub, partner)
    answer = await partner.client(hub.url).get(CREDENTIALS)
    assert answer.data["token"] == partner.outbound_token
    assert answer.data["party_id"] == "HUB"


async def test_put_rotates_tokens_and_keeps_the_old_one_for_the_grace_period(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    await register(hub, partner)
    old = partner.outbound_token
    answer = await partner.update_with_hub()
    assert answer.status_code == 1000
    assert answer.data["token"] != old
    platform = await platform_named(hub, "eMSP 2.1.1")
    assert (platform.inbound_token, platform.previous_inbound_token) == (answer.data["token"], old)
    assert platform.outbound_token == partner.inbound_token
    assert (await partner.client(hub.url).get(CREDENTIALS, token=old)).status_code == 1000


async def test_delete_suspends_the_platform_and_kills_its_tokens(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    await register(hub, partner)
    token = partner.outbound_token
    assert (await partner.client(hub.url).delete(CREDENTIALS)).status_code == 1000
    platform = await platform_named(hub, "eMSP 2.1.1")
    assert platform.status is PlatformStatus.SUSPENDED
    assert (await partner.client(hub.url).get(DETAILS, token=token)).status == 401


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"versions": ("2.2.1",)}, 3002), ({"omit": frozenset({"credentials"})}, 3003)],
)
async def test_partner_without_2_1_1_or_credentials_endpoint_is_refused(
    hub: RunningHub, kwargs: dict[str, Any], code: int
) -> None:
    async with Fake211Partner(**kwargs) as fake:
        assert (await register(hub, fake)).status_code == code
    assert (await platform_named(hub, "eMSP 2.1.1")).status is PlatformStatus.PLANNED


async def test_unreachable_partner_is_3001(hub: RunningHub, partner: Fake211Partner) -> None:
    await partner.register_with(f"{hub.url}/ocpi/versions", EMSP_A, details_url=f"{hub.url}{DETAILS}")
    client = partner.client(hub.url)
    body = {
        "token": "t",
        "url": "http://127.0.0.1:9/ocpi/versions",
        "business_details": {"name": "x"},
        "party_id": "ABC",
        "country_code": "DE",
    }
    answer = await client.post(CREDENTIALS, json=body, token=CPO_A)
    assert answer.status_code == 3001


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"party_id": "TOOLONG"}, "party_id"),
        ({"token": "has space"}, "token"),
        ({"party_id": "CPO", "country_code": "NL"}, "party of this hub"),
    ],
)
async def test_bad_or_clashing_credentials_are_2001(
    hub: RunningHub, partner: Fake211Partner, change: dict[str, str], message: str
) -> None:
    body = {
        "token": "partner-token",
        "url": partner.versions_url,
        "business_details": {"name": "x"},
        "party_id": "EMW",
        "country_code": "DE",
    } | change
    answer = await partner.client(hub.url).post(CREDENTIALS, json=body, token=EMSP_A)
    assert answer.status_code == 2001
    assert message in answer.message


async def test_a_party_registered_by_another_platform_is_refused(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    await register(hub, partner)
    async with Fake211Partner(party=partner.party, role="CPO") as twin:
        answer = await register(hub, twin, CPO_A)
    assert answer.status_code == 2001
    assert "already registered" in answer.message


# --- functional modules: who may call them ----------------------------------------------------------------


async def test_token_a_and_unknown_tokens_get_401_on_functional_modules(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    client = partner.client(hub.url)
    assert (await client.get("/ocpi/2.1.1/locations", token=EMSP_A)).status == 401
    assert (await client.get("/ocpi/2.1.1/locations", token="nobody")).status == 401
    assert (await client.get("/ocpi/2.1.1/locations", auth=False)).status == 401


async def test_a_2_2_1_platform_is_refused_on_2_1_1_module_urls(hub: RunningHub) -> None:
    async with FakePartner(roles=[("DE", "PRT", "EMSP")]) as fake:
        assert (await fake.register_with(f"{hub.url}/ocpi/versions", TOKEN_A_221)).status_code == 1000
        answer = await fake.client(hub.url).get("/ocpi/2.1.1/locations")
    assert answer.status == 403
    assert "2.2.1" in answer.body["status_message"]


async def test_an_interface_the_callers_role_does_not_have_is_405(
    hub: RunningHub, partner: Fake211Partner
) -> None:
    await register(hub, partner)
    client = partner.client(hub.url)
    location_push = await client.put("/ocpi/2.1.1/locations/DE/EMW/L1", json={})
    assert location_push.status == 405  # an eMSP does not push Locations
    assert (await client.get("/ocpi/2.1.1/sessions/DE/EMW/S1")).status == 405
    assert (await client.delete("/ocpi/2.1.1/tokens/DE/EMW/T1")).status == 405


async def test_a_push_naming_another_party_is_404(hub: RunningHub, partner: Fake211Partner) -> None:
    await register(hub, partner)
    answer = await partner.client(hub.url).put("/ocpi/2.1.1/tokens/NL/MSP/T1", json={"uid": "T1"})
    assert answer.status == 404


# --- the hub registers with a 2.1.1 partner (the hub is Sender) ---------------------------------------------


async def planned(hub: RunningHub, name: str, role: Role | None) -> Platform:
    platform = Platform(id=f"planned-{name}", name=name, invited_role=role, last_updated=hub.core.clock.now())
    await hub.core.platforms.put(platform)
    return platform


async def test_hub_registers_with_a_2_1_1_cpo_using_its_token_a(hub: RunningHub) -> None:
    rt = hub.app[OCPI_KEY]
    async with Fake211Partner(party=("DE", "CPW"), role="CPO") as cpo:
        cpo.hub_details_url = f"{hub.url}{DETAILS}"
        versions_url, token_a = cpo.invite()
        platform = await v2_1_1.register(
            rt, await planned(hub, "CPO by hub", Role.CPO), versions_url, token_a
        )

        assert (platform.status, platform.version, platform.encode_token) == (
            PlatformStatus.CONNECTED,
            "2.1.1",
            False,
        )
        assert [(str(r.party), r.role) for r in platform.roles] == [("DE*CPW", Role.CPO)]
        assert platform.outbound_token == cpo.inbound_token  # its Token C
        assert platform.endpoint("locations", "SENDER") == f"{cpo.url}/ocpi/2.1.1/locations"
        [post] = cpo.calls_to("/ocpi/2.1.1/credentials", "POST")
        assert post.token == token_a  # raw
        assert post.json == {
            "token": platform.inbound_token,
            "url": f"{hub.url}/ocpi/versions",
            "business_details": {"name": "Test Hub"},
            "party_id": "HUB",
            "country_code": "NL",
        }
        # it called the hub back with token B while the POST was open, and may now use it
        answer = await cpo.client(hub.url).get("/ocpi/2.1.1/credentials")
        assert answer.data["token"] == platform.inbound_token


async def test_hub_registering_without_a_named_role_is_refused_before_calling(hub: RunningHub) -> None:
    rt = hub.app[OCPI_KEY]
    async with Fake211Partner(role="CPO") as cpo:
        versions_url, token_a = cpo.invite()
        with pytest.raises(OcpiError) as caught:
            await v2_1_1.register(rt, await planned(hub, "No role", None), versions_url, token_a)
        assert caught.value.status_code == 3001
        assert cpo.calls == []


async def test_a_failed_registration_leaves_the_platform_planned_without_tokens(hub: RunningHub) -> None:
    rt = hub.app[OCPI_KEY]
    async with Fake211Partner(role="EMSP") as emsp:
        versions_url, token_a = emsp.invite()
        emsp.hub_details_url = f"{hub.url}{DETAILS}"
        emsp.invitation_token = None  # it forgot the token it gave: versions answer 401
        with pytest.raises(OcpiError) as caught:
            await v2_1_1.register(rt, await planned(hub, "Forgetful", Role.EMSP), versions_url, token_a)
        assert caught.value.status_code == 3001
    platform = await platform_named(hub, "Forgetful")
    assert (platform.status, platform.inbound_token, platform.outbound_token) == (
        PlatformStatus.PLANNED,
        None,
        None,
    )


async def test_a_2_2_1_platform_switches_to_2_1_1_with_a_put_keeping_its_party_and_role(
    hub: RunningHub,
) -> None:
    async with FakePartner(roles=[("DE", "PRT", "EMSP")]) as old, Fake211Partner(party=("DE", "PRT")) as new:
        assert (await old.register_with(f"{hub.url}/ocpi/versions", TOKEN_A_221)).status_code == 1000
        new.outbound_token = old.outbound_token  # the same platform, now speaking 2.1.1
        new.hub_versions_url, new.hub_details_url = f"{hub.url}/ocpi/versions", f"{hub.url}{DETAILS}"
        answer = await new.update_with_hub()
        assert answer.status_code == 1000, answer.body
    platform = await platform_named(hub, "Partner 2.2.1")
    assert (platform.version, platform.encode_token) == ("2.1.1", False)
    assert [(str(r.party), r.role) for r in platform.roles] == [("DE*PRT", Role.EMSP)]
    assert platform.endpoint("tokens", "SENDER") is not None
    assert platform.previous_inbound_token == old.outbound_token  # the grace period of CR-07
