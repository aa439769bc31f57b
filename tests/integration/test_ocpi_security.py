"""Who may call the hub's OCPI endpoints (checklist §1, §11 RT-01/RT-02) over real HTTP on both backends:
the Authorization header in raw and Base64 form, Token A only on versions and credentials, suspended and
unregistered platforms refused, FROM bound to the platform's roles, TO naming a hosted party, and no token in
the logs. Functional requests go to our eMSP's Tokens Sender list (`GET /ocpi/2.2.1/emsp/tokens`)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import structlog.testing

from hub.core.models import PartyRef, Platform, PlatformRole, PlatformStatus, Role
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import FakePartner, bind_public_url

MakeHub = Callable[..., Awaitable[RunningHub]]
TOKEN_A = "security-invitation-token-A"
TOKEN_C = "security-token-C-0001"
VERSIONS = "/ocpi/versions"
DETAILS = "/ocpi/2.2.1"
CREDENTIALS = "/ocpi/2.2.1/credentials"
TOKENS = "/ocpi/2.2.1/emsp/tokens"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def add_platform(
    hub: RunningHub,
    *,
    token: str = TOKEN_C,
    status: PlatformStatus = PlatformStatus.CONNECTED,
    parties: tuple[str, ...] = ("DE*PRT",),
    role: Role = Role.CPO,
) -> Platform:
    platform = Platform(
        id=uuid.uuid4().hex,
        name=f"Platform {token[:12]}",
        status=status,
        version="2.2.1",
        inbound_token=token,
        outbound_token=f"out-{token}",
        roles=tuple(PlatformRole(party=PartyRef.parse(p), role=role, name=p) for p in parties),
        last_updated=hub.core.clock.now(),
    )
    await hub.core.platforms.put(platform)
    return platform


@pytest.fixture
async def hub(make_hub: MakeHub) -> RunningHub:
    hub = await make_hub(
        ocpi={"allow_private_urls": True, "invitations": [{"name": "Invited", "token": TOKEN_A}]}
    )
    bind_public_url(hub)
    return hub


@pytest.fixture
async def partner() -> Any:
    async with FakePartner(roles=[("DE", "PRT", "CPO")]) as fake:
        fake.outbound_token = TOKEN_C
        yield fake


# --- Authorization header --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Token",
        "Token ",
        "Bearer " + TOKEN_C,
        "Token unknown-token",
        "Token %%%not-base64%%%",
        "Token " + b64("nope"),
    ],
    ids=["missing", "empty", "no-value", "blank-value", "bearer", "unknown", "undecodable", "unknown-base64"],
)
@pytest.mark.parametrize("path", [VERSIONS, DETAILS, CREDENTIALS, TOKENS])
async def test_au04_au07_no_or_unknown_token_is_401_never_400(
    hub: RunningHub, partner: FakePartner, path: str, authorization: str | None
) -> None:
    await add_platform(hub)
    headers = {} if authorization is None else {"Authorization": authorization}

    answer = await partner.client(hub.url).get(path, auth=False, headers=headers)

    assert answer.status == 401
    assert answer.status_code == 2000  # RF-08: still an envelope
    assert "timestamp" in answer.body
    assert answer.headers["x-request-id"]
    assert answer.headers["x-correlation-id"]


@pytest.mark.parametrize("encode", [True, False], ids=["base64", "raw"])
@pytest.mark.parametrize("path", [VERSIONS, DETAILS, CREDENTIALS, TOKENS])
async def test_au02_au07_token_accepted_base64_and_raw(
    hub: RunningHub, partner: FakePartner, path: str, encode: bool
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(path, encode=encode)

    assert answer.status == 200
    assert answer.status_code == 1000


async def test_au01_header_name_and_scheme_are_case_insensitive(
    hub: RunningHub, partner: FakePartner
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(
        DETAILS, auth=False, headers={"authorization": f"token {b64(TOKEN_C)}"}
    )

    assert answer.status_code == 1000


async def test_au03_one_trailing_newline_after_decoding_is_tolerated(
    hub: RunningHub, partner: FakePartner
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(
        DETAILS, auth=False, headers={"Authorization": f"Token {b64(TOKEN_C + chr(10))}"}
    )

    assert answer.status_code == 1000


async def test_au07_a_raw_token_that_is_valid_base64_is_looked_up_raw_first(
    hub: RunningHub, partner: FakePartner
) -> None:
    looks_encoded = b64("example-token")  # "ZXhhbXBsZS10b2tlbg==" used as a raw token by one platform
    await add_platform(hub, token=looks_encoded, parties=("DE*ONE",))
    await add_platform(hub, token="example-token", parties=("DE*TWO",))
    client = partner.client(hub.url)

    raw = await client.get(CREDENTIALS, token=looks_encoded, encode=False)
    encoded = await client.get(CREDENTIALS, token=looks_encoded, encode=True)
    other = await client.get(CREDENTIALS, token="example-token", encode=False)

    assert raw.data["token"] == looks_encoded
    assert encoded.data["token"] == looks_encoded
    assert other.data["token"] == "example-token"


# --- Token A, unregistered and suspended platforms ----------------------------------------------------------


async def test_au05_token_a_is_refused_on_functional_modules_before_registration(
    hub: RunningHub, partner: FakePartner
) -> None:
    client = partner.client(hub.url)

    functional = await client.get(TOKENS, token=TOKEN_A)
    versions = await client.get(VERSIONS, token=TOKEN_A)

    assert functional.status == 401
    assert versions.status_code == 1000


async def test_au05_token_a_is_refused_everywhere_after_registration(hub: RunningHub) -> None:
    async with FakePartner(roles=[("DE", "PRT", "CPO")]) as partner:
        assert (await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)).status_code == 1000
        client = partner.client(hub.url)

        refused = [
            (await client.get(path, token=TOKEN_A)).status
            for path in (VERSIONS, DETAILS, CREDENTIALS, TOKENS)
        ]
        accepted = await client.get(TOKENS)

    assert refused == [401, 401, 401, 401]
    assert accepted.status_code == 1000


async def test_au05_a_planned_platforms_token_b_reaches_versions_but_no_functional_module(
    hub: RunningHub, partner: FakePartner
) -> None:
    """While the hub registers with a partner, the partner's callback GETs with token B must succeed."""
    await add_platform(hub, status=PlatformStatus.PLANNED)
    client = partner.client(hub.url)

    assert (await client.get(VERSIONS)).status_code == 1000
    assert (await client.get(DETAILS)).status_code == 1000
    assert (await client.get(TOKENS)).status == 401


@pytest.mark.parametrize("path", [VERSIONS, CREDENTIALS, TOKENS])
async def test_cr09_a_suspended_platform_is_refused(hub: RunningHub, partner: FakePartner, path: str) -> None:
    await add_platform(hub, status=PlatformStatus.SUSPENDED)

    answer = await partner.client(hub.url).get(path)

    assert answer.status == 401


async def test_au04_offline_platforms_may_still_call(hub: RunningHub, partner: FakePartner) -> None:
    await add_platform(hub, status=PlatformStatus.OFFLINE)

    assert (await partner.client(hub.url).get(TOKENS)).status_code == 1000


# --- Routing headers (AU-09, RT-01, RT-02) ------------------------------------------------------------------


async def test_au09_from_must_be_one_of_the_platforms_parties(hub: RunningHub, partner: FakePartner) -> None:
    await add_platform(hub)
    client = partner.client(hub.url)

    foreign = await client.get(TOKENS, from_party="DE*XYZ")
    own = await client.get(TOKENS, from_party="de*prt")  # RT-01: values case-insensitive

    assert foreign.status == 401
    assert own.status_code == 1000
    assert own.headers["ocpi-to-party-id"] == "PRT"


async def test_rt01_routing_header_names_are_case_insensitive(hub: RunningHub, partner: FakePartner) -> None:
    await add_platform(hub, parties=("DE*PRT", "DE*TWO"))
    headers = {
        "ocpi-from-country-code": "DE",
        "OCPI-FROM-PARTY-ID": "TWO",
        "ocpi-TO-country-code": "NL",
        "ocpi-to-party-id": "MSP",
    }

    answer = await partner.client(hub.url).get(TOKENS, routing=False, headers=headers)

    assert answer.status_code == 1000
    assert answer.headers["ocpi-from-party-id"] == "MSP"
    assert answer.headers["ocpi-to-party-id"] == "TWO"


@pytest.mark.parametrize(
    ("from_party", "expected"),
    [("DE*HB2", 1000), ("DE*MSP", 1000), ("NL*CPO", 401), ("NL*HUB", 401), ("DE*OTH", 401)],
    ids=["the-hub-itself", "a-party-behind-it", "our-cpo", "our-hub", "another-platforms-party"],
)
async def test_au09_a_hub_platform_may_speak_for_parties_nobody_else_registered(
    hub: RunningHub, partner: FakePartner, from_party: str, expected: int
) -> None:
    """CR-11: another hub registers with the single role HUB; the parties behind it are not in its roles."""
    await add_platform(hub, parties=("DE*HB2",), role=Role.HUB)
    await add_platform(hub, token="other-platform-token", parties=("DE*OTH",))

    answer = await partner.client(hub.url).get(TOKENS, from_party=from_party)

    assert (answer.status_code if answer.status == 200 else answer.status) == expected


async def test_au09_without_from_a_single_party_platform_is_that_party(
    hub: RunningHub, partner: FakePartner
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(TOKENS, routing=False)

    assert answer.status_code == 1000
    assert answer.headers["ocpi-to-party-id"] == "PRT"
    # No TO on a list GET: GET All, answered by the hub (RT table), holding the hosted eMSP's tokens.
    assert answer.headers["ocpi-from-party-id"] == "HUB"
    assert [t["party_id"] for t in answer.data] == ["MSP"]


async def test_au09_without_from_a_platform_with_several_parties_is_2001(
    hub: RunningHub, partner: FakePartner
) -> None:
    await add_platform(hub, parties=("DE*PRT", "DE*TWO"))

    answer = await partner.client(hub.url).get(TOKENS, routing=False)

    assert answer.status_code == 2001


@pytest.mark.parametrize("to_party", ["XX*ZZZ", "NL*CPO"], ids=["unknown", "hosted-but-not-emsp"])
async def test_rt09_to_an_unknown_receiver_is_4001(
    hub: RunningHub, partner: FakePartner, to_party: str
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(TOKENS, to_party=to_party)

    assert answer.status == 200
    assert answer.status_code == 4001


@pytest.mark.parametrize(("to_party", "answering"), [("NL*MSP", "MSP"), ("nl*msp", "MSP"), ("NL*HUB", "HUB")])
async def test_rt01_to_our_emsp_or_the_hub_is_answered_by_our_emsp(
    hub: RunningHub, partner: FakePartner, to_party: str, answering: str
) -> None:
    await add_platform(hub)

    answer = await partner.client(hub.url).get(TOKENS, to_party=to_party)

    assert answer.status_code == 1000
    assert answer.headers["ocpi-from-country-code"] == "NL"
    assert answer.headers["ocpi-from-party-id"] == answering  # TO = hub: GET All, answered by the hub
    assert {t["party_id"] for t in answer.data} == {"MSP"}


async def test_rt01_without_to_and_two_hosted_emsps_merges_both(make_hub: MakeHub) -> None:
    hub = await make_hub(
        parties=[
            {"country_code": "NL", "party_id": "CPO", "role": "CPO", "name": "Own CPO"},
            {"country_code": "NL", "party_id": "MSP", "role": "EMSP", "name": "Own eMSP"},
            {"country_code": "NL", "party_id": "MS2", "role": "EMSP", "name": "Second eMSP"},
        ]
    )
    async with FakePartner(roles=[("DE", "PRT", "CPO")]) as partner:
        partner.outbound_token = TOKEN_C
        await add_platform(hub)
        client = partner.client(hub.url)
        without_to = await client.get(TOKENS)
        with_to = await client.get(TOKENS, to_party="NL*MS2")

    assert without_to.status_code == 1000  # GET All: both hosted eMSPs' tokens, each with its owner
    assert without_to.headers["ocpi-from-party-id"] == "HUB"
    assert with_to.status_code == 1000
    assert with_to.headers["ocpi-from-party-id"] == "MS2"


async def test_rt02_configuration_modules_need_no_routing_headers(
    hub: RunningHub, partner: FakePartner
) -> None:
    await add_platform(hub, parties=("DE*PRT", "DE*TWO"))
    client = partner.client(hub.url)

    answers = [await client.get(path, routing=False) for path in (VERSIONS, DETAILS, CREDENTIALS)]

    assert [a.status_code for a in answers] == [1000, 1000, 1000]


# --- AU-10 ------------------------------------------------------------------------------------------------


async def test_au10_no_token_reaches_the_logs(hub: RunningHub) -> None:
    async with FakePartner() as partner:
        with structlog.testing.capture_logs() as logs:
            await partner.client(hub.url).get(TOKENS, token="never-log-this-token")
            await partner.register_with(f"{hub.url}{VERSIONS}", TOKEN_A)
            await partner.update_with_hub()
            await partner.client(hub.url).get(TOKENS, token=TOKEN_A)
        secrets = {"never-log-this-token", TOKEN_A, partner.inbound_token, partner.outbound_token}
    text = repr(logs)
    assert logs  # the calls above were logged …
    assert not [s for s in secrets if s and (s in text or b64(s) in text)]  # … without any token
