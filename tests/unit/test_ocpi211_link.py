"""`Link211` on the in-memory core (checklist §21, AU-08, V211-01, V211-02, RT-11): what a 2.1.1 partner
gets for a canonical request — the body in 2.1.1 shape, its raw token, no routing headers, `date_from` one
second earlier — and what comes back in 2.2.1 shape; the lookups a translation needs (the Location a Session
embeds, the Token an AuthorizationInfo lacks); URLs only the push service gives; and the refusals, raised
before anything is sent."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError
from ocpi_modules.common.routing import RECEIVER, SENDER, RelayAnswer, RelayRequest, Untranslatable
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.v2_1_1 import Link211
from ocpi_modules.v2_1_1.link import outbound_query
from ocpi_modules.v2_1_1.lookups import AUTH_IDS, Lookups
from tests.fakes.ocpi211_partner.objects import (
    a_location_211,
    a_location_221,
    a_session_211,
    a_session_221,
    a_token_221,
)
from tests.unit.core_kit import CPO, MSP, T0, make_kit
from tests.unit.ocpi_v2_2_1.kit import wire

HUB = "https://hub.example"
EMW = PartyRef.parse("DE*EMW")
CPW = PartyRef.parse("DE*CPW")
PRT = PartyRef.parse("NL*PRT")
CPX = PartyRef.parse("NL*CPX")
BASE = "https://partner.example/ocpi/2.1.1"


@dataclass
class Sent:
    method: str
    url: str
    body: Any
    params: Any
    token: str
    encode: bool
    parties: tuple[Any, Any]


def response(
    data: Any = None, code: int = 1000, http: int = 200, headers: dict[str, str] | None = None
) -> OcpiResponse:
    return OcpiResponse(http, code, None, data, CIMultiDictProxy(CIMultiDict(headers or {})))


class FakeHttp:
    """Stands in for OcpiClient: records requests, answers scripted responses (empty success by default)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.answers: deque[OcpiResponse | Exception] = deque()

    async def request(
        self, method: str, url: str, *, token: str, encode: bool = True, **kw: Any
    ) -> OcpiResponse:
        parties = (kw.get("from_party"), kw.get("to_party"))
        self.sent.append(Sent(method, url, wire(kw.get("json")), kw.get("params"), token, encode, parties))
        answer = self.answers.popleft() if self.answers else response()
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class FakeRouter:
    """Answers the Location lookups a translation makes (`locations` by id, 2.2.1 shapes)."""

    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    routed: list[RelayRequest] = field(default_factory=list)

    async def route(self, request: RelayRequest) -> RelayAnswer:
        self.routed.append(request)
        found = self.locations.get(request.tail[0]) if request.tail else None
        if found is None:
            return RelayAnswer(404, 2001, "unknown")
        return RelayAnswer(200, 1000, None, found)


def a_platform(party: PartyRef, role: Role, pid: str) -> Platform:
    roles = {
        Role.EMSP: {
            "locations": RECEIVER,
            "sessions": RECEIVER,
            "cdrs": RECEIVER,
            "tokens": SENDER,
            "commands": SENDER,
        },
        Role.CPO: {"locations": SENDER, "sessions": SENDER, "tokens": RECEIVER, "commands": RECEIVER},
    }[role]
    return Platform(
        id=pid,
        name=pid,
        status=PlatformStatus.CONNECTED,
        version="2.1.1",
        endpoints=tuple(Endpoint(identifier=m, role=r, url=f"{BASE}/{pid}/{m}") for m, r in roles.items()),
        roles=(PlatformRole(party=party, role=role),),
        outbound_token=f"raw-token-{pid}",
        encode_token=False,
        last_updated=T0,
    )


@dataclass
class Rig:
    rt: OcpiRuntime
    http: FakeHttp
    router: FakeRouter
    link: Link211
    emsp: Platform = field(default_factory=lambda: a_platform(EMW, Role.EMSP, "emw"))
    cpo: Platform = field(default_factory=lambda: a_platform(CPW, Role.CPO, "cpw"))

    async def send(self, platform: Platform, url: str, **fields: Any) -> RelayAnswer:
        values: dict[str, Any] = {
            "from_party": CPO,
            "to_party": platform.roles[0].party,
            "platform": platform,
            "correlation_id": "corr-1",
        }
        values.update(fields)
        return await self.link.send(platform, RelayRequest(**values), url)


@pytest.fixture
async def rig() -> Rig:
    kit = await make_kit()
    http = FakeHttp()
    config = OcpiConfig(
        public_url=HUB,
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Hub",
        hosted=(HostedParty(CPO, Role.CPO, "Own CPO"), HostedParty(MSP, Role.EMSP, "Own eMSP")),
    )
    router = FakeRouter()
    rt = OcpiRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core, http=http, router=router)
    link = Link211(rt)
    rt.links["2.1.1"] = link
    return Rig(rt, http, router, link)


# --- what the partner gets --------------------------------------------------------------------------------


async def test_a_location_push_goes_in_2_1_1_shape_with_the_raw_token_and_no_routing_headers(
    rig: Rig,
) -> None:
    url = f"{BASE}/emw/locations/NL/CPX/L1"
    answer = await rig.send(
        rig.emsp,
        url,
        module="locations",
        role=RECEIVER,
        method="PUT",
        tail=("NL", "CPX", "L1"),
        body=a_location_221(),
    )
    [sent] = rig.http.sent
    assert (sent.method, sent.url, sent.token, sent.encode, sent.parties) == (
        "PUT",
        url,
        "raw-token-emw",
        False,
        (None, None),
    )
    assert sent.body["type"] == "ON_STREET"
    assert "country_code" not in sent.body
    assert sent.body["evses"][0]["connectors"][0]["voltage"] == 230
    assert (answer.status_code, answer.data, answer.responder) == (1000, None, EMW)


async def test_a_push_giving_only_the_url_is_read_from_it(rig: Rig) -> None:
    """The push service passes the full URL and no tail: the EVSE PATCH is recognised from the URL."""
    url = f"{BASE}/emw/locations/NL/CPO/LOC001/CP001%2A1"
    await rig.send(
        rig.emsp, url, module="locations", role=RECEIVER, method="PATCH", tail=(), body={"status": "CHARGING"}
    )
    assert rig.http.sent[0].body == {"status": "CHARGING"}


async def test_our_cpos_session_embeds_our_location_and_names_the_token_by_auth_id(rig: Rig) -> None:
    session = a_session_221(party="NL*CPO", location_id="LOC001", evse_uid="CP001*1", connector_id="1")
    await rig.send(
        rig.emsp,
        f"{BASE}/emw/sessions/NL/CPO/S1",
        module="sessions",
        role=RECEIVER,
        method="PUT",
        tail=("NL", "CPO", "S1"),
        body=session,
    )
    body = rig.http.sent[0].body
    assert body["auth_id"] == session["cdr_token"]["contract_id"]
    assert body["location"]["id"] == "LOC001"
    assert [e["uid"] for e in body["location"]["evses"]] == ["CP001*1"]
    assert body["location"]["coordinates"] == {"latitude": "52.379000", "longitude": "4.900000"}
    assert rig.router.routed == []  # a hosted CPO's Location comes from the core


async def test_a_partner_cpos_session_embeds_the_location_the_router_fetched(rig: Rig) -> None:
    rig.router.locations["L1"] = a_location_221()
    await rig.send(
        rig.emsp,
        f"{BASE}/emw/sessions/NL/CPX/S1",
        module="sessions",
        role=RECEIVER,
        method="PUT",
        tail=("NL", "CPX", "S1"),
        from_party=CPX,
        body=a_session_221(),
    )
    [lookup] = rig.router.routed
    assert (lookup.module, lookup.role, lookup.method, lookup.tail) == ("locations", SENDER, "GET", ("L1",))
    assert (lookup.from_party, lookup.to_party, lookup.correlation_id) == (EMW, CPX, "corr-1")
    assert rig.http.sent[0].body["location"]["evses"][0]["uid"] == "E1"


async def test_a_session_whose_location_cannot_be_found_is_refused_before_sending(rig: Rig) -> None:
    with pytest.raises(Untranslatable, match="location"):
        await rig.send(
            rig.emsp,
            f"{BASE}/emw/sessions/NL/CPX/S1",
            module="sessions",
            role=RECEIVER,
            method="PUT",
            tail=("NL", "CPX", "S1"),
            body=a_session_221(),
        )
    assert rig.http.sent == []


async def test_a_token_push_to_a_cpo_drops_the_type_query_and_is_remembered_by_auth_id(rig: Rig) -> None:
    token = a_token_221("APP1", type="APP_USER", whitelist="NEVER")
    await rig.send(
        rig.cpo,
        f"{BASE}/cpw/tokens/NL/PRT/APP1",
        module="tokens",
        role=RECEIVER,
        method="PUT",
        tail=("NL", "PRT", "APP1"),
        from_party=PRT,
        query={"type": "APP_USER"},
        body=token,
    )
    [sent] = rig.http.sent
    assert sent.params is None
    assert (sent.body["type"], sent.body["auth_id"]) == ("OTHER", token["contract_id"])
    record = await rig.rt.core.records.get(AUTH_IDS, rig.rt.config.hub_party, token["contract_id"])
    assert record is not None
    assert record.data["party_id"] == "PRT"


async def test_start_session_response_url_becomes_a_via_url_and_the_answer_gets_a_timeout(rig: Rig) -> None:
    rig.http.answers.append(response({"result": "ACCEPTED"}))
    body = {
        "response_url": f"{HUB}/ocpi/hub/KEY1",
        "token": a_token_221(),
        "location_id": "L1",
        "evse_uid": "E1",
    }
    answer = await rig.send(
        rig.cpo,
        f"{BASE}/cpw/commands/START_SESSION",
        module="commands",
        role=RECEIVER,
        method="POST",
        tail=("START_SESSION",),
        from_party=PRT,
        body=body,
    )
    assert rig.http.sent[0].body["response_url"] == f"{HUB}/ocpi/2.1.1/via/commands/hub/KEY1"
    assert answer.data == {"result": "ACCEPTED", "timeout": 60}


async def test_a_response_url_outside_the_hub_is_refused(rig: Rig) -> None:
    body = {"response_url": "https://emsp.example/r/1", "session_id": "S1"}
    with pytest.raises(Untranslatable) as caught:
        await rig.send(
            rig.cpo,
            f"{BASE}/cpw/commands/STOP_SESSION",
            module="commands",
            role=RECEIVER,
            method="POST",
            tail=("STOP_SESSION",),
            from_party=PRT,
            body=body,
        )
    assert caught.value.path == "response_url"
    assert rig.http.sent == []


async def test_a_command_result_to_an_emsps_response_url_is_a_2_1_1_command_response(rig: Rig) -> None:
    """The push service names the module and URL only: a POST outside the commands Receiver is a result."""
    url = "https://emsp.example/ocpi/2.1.1/results/42"
    await rig.send(
        rig.emsp, url, module="commands", role=RECEIVER, method="POST", tail=(), body={"result": "FAILED"}
    )
    assert rig.http.sent[0].body == {"result": "REJECTED"}


# --- what comes back --------------------------------------------------------------------------------------


async def test_a_list_from_a_2_1_1_cpo_comes_back_in_2_2_1_shape_without_what_cannot_be_carried(
    rig: Rig,
) -> None:
    usa = a_location_211("L2", country="USA")
    del usa["time_zone"]
    rig.http.answers.append(
        response(
            [a_location_211("L1"), usa],
            headers={"X-Total-Count": "2", "X-Limit": "50", "Link": '<https://p/next>; rel="next"'},
        )
    )
    answer = await rig.send(
        rig.cpo,
        f"{BASE}/cpw/locations",
        module="locations",
        role=SENDER,
        method="GET",
        tail=(),
        from_party=MSP,
        query={"date_from": "2026-01-05T09:00:00Z"},
    )
    assert rig.http.sent[0].params == {"date_from": "2026-01-05T08:59:59Z"}
    [location] = answer.data
    assert (location["country_code"], location["party_id"], location["id"]) == ("DE", "CPW", "L1")
    assert answer.headers == {"Link": '<https://p/next>; rel="next"', "X-Total-Count": "2", "X-Limit": "50"}


async def test_a_2_1_1_cpos_session_list_names_known_tokens(rig: Rig) -> None:
    token = a_token_221()
    await rig.link.send(
        rig.cpo,
        RelayRequest(
            "tokens", RECEIVER, "PUT", ("NL", "PRT", token["uid"]), PRT, CPW, rig.cpo, "c", body=token
        ),
        f"{BASE}/cpw/tokens/NL/PRT/{token['uid']}",
    )
    rig.http.answers.append(
        response([a_session_211(auth_id=token["contract_id"]), a_session_211("S2", auth_id="?")])
    )
    answer = await rig.send(
        rig.cpo,
        f"{BASE}/cpw/sessions",
        module="sessions",
        role=SENDER,
        method="GET",
        tail=(),
        from_party=PRT,
        query={"date_from": "2026-01-01T00:00:00Z"},
    )
    [session] = answer.data
    assert session["cdr_token"]["uid"] == token["uid"]


async def test_authorization_at_a_2_1_1_emsp_is_completed_with_the_token_it_pushed(rig: Rig) -> None:
    token = {**a_token_221("EMW1", party="DE*EMW"), "type": "OTHER"}
    await Lookups(rig.rt, rig.emsp, correlation_id="c").remember_token(token)
    rig.http.answers.append(response({"allowed": "ALLOWED"}))
    answer = await rig.send(
        rig.emsp,
        f"{BASE}/emw/tokens/EMW1/authorize",
        module="tokens",
        role=SENDER,
        method="POST",
        tail=("EMW1", "authorize"),
        query={"type": "OTHER"},
        body={"location_id": "LOC001", "evse_uids": ["CP001*1"]},
    )
    assert rig.http.sent[0].params == {"type": "OTHER"}
    assert rig.http.sent[0].body == {"location_id": "LOC001", "evse_uids": ["CP001*1"]}
    assert answer.data == {"allowed": "ALLOWED", "token": token}


def test_a_token_type_2_1_1_lacks_is_asked_for_as_other() -> None:
    request = RelayRequest(
        "tokens",
        SENDER,
        "POST",
        ("A", "authorize"),
        CPO,
        EMW,
        a_platform(EMW, Role.EMSP, "e"),
        "c",
        query={"type": "APP_USER"},
    )
    assert outbound_query(request) == {"type": "OTHER"}


async def test_unknown_token_at_a_2_1_1_emsp_is_2004(rig: Rig) -> None:
    rig.http.answers.append(response(None, 2001, 404))
    answer = await rig.send(
        rig.emsp,
        f"{BASE}/emw/tokens/X/authorize",
        module="tokens",
        role=SENDER,
        method="POST",
        tail=("X", "authorize"),
    )
    assert (answer.http_status, answer.status_code, answer.data) == (404, 2004, None)


async def test_an_error_answer_passes_with_its_status_and_no_data(rig: Rig) -> None:
    rig.http.answers.append(response({"junk": 1}, 2001))
    answer = await rig.send(
        rig.emsp,
        f"{BASE}/emw/locations/NL/CPX/L1",
        module="locations",
        role=RECEIVER,
        method="GET",
        tail=("NL", "CPX", "L1"),
    )
    assert (answer.status_code, answer.data) == (2001, None)


# --- failures ---------------------------------------------------------------------------------------------


async def test_an_answer_without_envelope_and_transport_failures_raise_transport_errors(rig: Rig) -> None:
    rig.http.answers.append(OcpiResponse(502, None, None, None))
    with pytest.raises(OcpiTransportError) as caught:
        await rig.send(
            rig.emsp,
            f"{BASE}/emw/tariffs/NL/CPX/T1",
            module="tariffs",
            role=RECEIVER,
            method="DELETE",
            tail=("NL", "CPX", "T1"),
        )
    assert caught.value.reason == "invalid_envelope"
    rig.http.answers.append(OcpiTransportError("down", url="u", reason="connection"))
    with pytest.raises(OcpiTransportError):
        await rig.send(
            rig.emsp,
            f"{BASE}/emw/tariffs/NL/CPX/T1",
            module="tariffs",
            role=RECEIVER,
            method="DELETE",
            tail=("NL", "CPX", "T1"),
        )


@pytest.mark.parametrize("module", ["chargingprofiles", "hubclientinfo"])
async def test_modules_2_1_1_lacks_are_refused(rig: Rig, module: str) -> None:
    with pytest.raises(Untranslatable):
        await rig.send(
            rig.cpo,
            f"{BASE}/cpw/{module}/S1",
            module=module,
            role=RECEIVER,
            method="PUT",
            tail=("S1",),
            body={},
        )
    assert rig.http.sent == []
