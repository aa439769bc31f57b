"""Real-time authorization at a partner eMSP (`OcpiRemoteAuthorizer`) on the in-memory core: the request
it sends (TK-02), how answers map to core decisions (TK-05, TK-06) and when it gives up so that the whitelist
type decides (TK-08, TK-10), also through the core's AuthorizationService."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from hub.core.clock import FixedClock
from hub.core.models import (
    AuthorizationStatus,
    Endpoint,
    PartyRef,
    Platform,
    PlatformRole,
    PlatformStatus,
    Role,
    Token,
    WhitelistType,
)
from hub.core.services import Core
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.v2_2_1.authorize import OcpiRemoteAuthorizer
from tests.unit.core_kit import CPO, T0, Kit, a_roaming_token, make_kit

ROAMER = PartyRef.parse("DE*ABC")
SENDER_URL = "https://emsp.example/ocpi/2.2.1/tokens"


class FakeHttp:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.answers: deque[OcpiResponse | Exception] = deque()

    async def request(self, method: str, url: str, **kw: Any) -> OcpiResponse:
        self.sent.append({"method": method, "url": url, **kw})
        answer = self.answers.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer


def emsp_platform(status: PlatformStatus = PlatformStatus.CONNECTED, with_sender: bool = True) -> Platform:
    endpoints = (Endpoint(identifier="tokens", role="SENDER", url=SENDER_URL),) if with_sender else ()
    return Platform(
        id="emsp",
        name="eMSP",
        status=status,
        endpoints=endpoints,
        roles=(PlatformRole(party=ROAMER, role=Role.EMSP),),
        outbound_token="secret-out",
        encode_token=False,
        last_updated=T0,
    )


async def setup(platform: Platform | None = None) -> tuple[Kit, FakeHttp, OcpiRemoteAuthorizer]:
    """A core whose remote authorizer is the OCPI one (its runtime finds the core once it exists)."""
    cores: list[Core] = []
    http = FakeHttp()
    config = OcpiConfig(
        public_url="https://hub.example",
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Hub",
        hosted=(HostedParty(CPO, Role.CPO, "Own CPO"),),
        authorize_timeout_s=1.5,
    )
    rt = OcpiRuntime(config=config, clock=FixedClock(T0), core_getter=lambda: cores[0], http=http)
    authorizer = OcpiRemoteAuthorizer(rt)
    kit = await make_kit(remote=authorizer)
    cores.append(kit.core)
    if platform is not None:
        await kit.core.platforms.put(platform)
    return kit, http, authorizer


def info(allowed: str, token: Token, **extra: Any) -> dict[str, Any]:
    wire_token = {
        "country_code": token.party.country_code,
        "party_id": token.party.party_id,
        "uid": token.uid,
        "type": "RFID",
        "contract_id": token.contract_id,
        "issuer": "x",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": "2026-01-01T00:00:00Z",
    }
    return {"allowed": allowed, "token": wire_token, **extra}


async def test_tk_02_tk_06_allowed_answer_with_location_references() -> None:
    _, http, authorizer = await setup(emsp_platform())
    token = a_roaming_token()
    http.answers.append(OcpiResponse(200, 1000, None, info("ALLOWED", token, authorization_reference="REF1")))
    decision = await authorizer.authorize(token, "LOC001", "CP001*1")
    assert decision is not None
    assert decision.status is AuthorizationStatus.ALLOWED
    assert decision.authorization_reference == "REF1"
    [sent] = http.sent
    assert (sent["method"], sent["url"]) == ("POST", f"{SENDER_URL}/DEABC0001/authorize")
    assert sent["params"] == {"type": "RFID"}
    assert sent["json"] == {"location_id": "LOC001", "evse_uids": ["CP001*1"]}
    assert (sent["token"], sent["encode"]) == ("secret-out", False)
    assert (sent["from_party"], sent["to_party"]) == (CPO, ROAMER)
    assert sent["timeout_s"] == 1.5


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (OcpiResponse(404, 2004, None, None), AuthorizationStatus.UNKNOWN),  # TK-05
        (OcpiResponse(200, 2004, None, None), AuthorizationStatus.UNKNOWN),
        (OcpiResponse(200, 3000, None, None), None),
        (OcpiResponse(200, 1000, None, None), None),  # success without AuthorizationInfo
        (OcpiResponse(200, 1000, None, {"token": {}}), None),  # no `allowed`
        (OcpiTransportError("down", url="u", reason="connection"), None),
    ],
)
async def test_tk_05_answers_that_are_not_a_decision(
    answer: OcpiResponse | Exception, expected: AuthorizationStatus | None
) -> None:
    _, http, authorizer = await setup(emsp_platform())
    http.answers.append(answer)
    decision = await authorizer.authorize(a_roaming_token(), None, None)
    assert (decision.status if decision else None) is expected
    assert http.sent[0]["json"] is None  # no location known: no LocationReferences body


@pytest.mark.parametrize(
    "platform",
    [None, emsp_platform(PlatformStatus.OFFLINE), emsp_platform(with_sender=False)],
)
async def test_tk_08_nobody_to_ask_gives_none(platform: Platform | None) -> None:
    _, http, authorizer = await setup(platform)
    assert await authorizer.authorize(a_roaming_token(), "LOC001", None) is None
    assert http.sent == []


async def test_tk_08_core_falls_back_per_whitelist_when_the_emsp_is_down() -> None:
    kit, http, _ = await setup(emsp_platform())
    never = a_roaming_token("NEVER1", whitelist=WhitelistType.NEVER)
    offline = a_roaming_token("OFFLINE1", whitelist=WhitelistType.ALLOWED_OFFLINE)
    await kit.core.tokens.put(never)
    await kit.core.tokens.put(offline)
    http.answers.extend([OcpiTransportError("down", url="u", reason="timeout")] * 2)
    refused = await kit.core.authorization.authorize("NEVER1", station_id="CP001", location_id="LOC001")
    allowed = await kit.core.authorization.authorize("OFFLINE1", station_id="CP001", location_id="LOC001")
    assert refused.status is AuthorizationStatus.NOT_ALLOWED
    assert allowed.status is AuthorizationStatus.ALLOWED
    assert len(http.sent) == 2
