"""The OCPI 2.2.1 checklist's transport rules (§1 AU, §2 RF, §3 SC, §4 ID) on every route of the real hub
over loopback HTTP, on both storage backends, with a registered partner platform (its eMSP DE*PRT calls our
CPO, its CPO DE*CPX our eMSP). Also the shared harness (route table, raw HTTP calls, envelope check) of
test_ocpi_spec_checklist_battery.py ("nothing returns 500"), _formats.py (§5, §6, §9) and _modules.py (§7,
§13–§19, §22).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import structlog.testing
import yarl
from aiohttp.test_utils import make_mocked_request

from hub.core.clock import FixedClock
from hub.core.models import Cdr, CdrCost, PartyRef, Session, SessionStatus
from tests.conftest import OWN_TOKEN, RunningHub, base_config
from tests.fakes.ocpi_partner import FakePartner, bind_public_url, welcomed

MakeHub = Callable[..., Awaitable[RunningHub]]

TOKEN_A = "checklist-invitation-token-A"  # the partner registers with it
SPARE_A = "checklist-spare-invitation-A"  # a live Token A nobody has used
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AT = T0 + timedelta(hours=1)  # a whole-second instant for date_from/date_to boundaries
V = "/ocpi/2.2.1"
CPO = PartyRef.parse("NL*CPO")
PRT = PartyRef.parse("DE*PRT")  # the partner's eMSP: calls our CPO
ROUTING = {"cpo": ("DE*PRT", "NL*CPO"), "emsp": ("DE*CPX", "NL*MSP")}  # side → (FROM, TO)
STANDARD_CODES = {1000, 2000, 2001, 2002, 2003, 2004, 3000, 3001, 3002, 3003, 4000, 4001, 4002, 4003}
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- every OCPI route of the hub ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One route; `{id}` in the path stands for the object id the URL names."""

    method: str
    path: str

    @property
    def side(self) -> str:
        return "cpo" if f"{V}/cpo/" in self.path else "emsp" if f"{V}/emsp/" in self.path else "config"

    @property
    def functional(self) -> bool:
        return self.side != "config"

    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def url(self, object_id: str = "X1") -> str:
        return self.path.replace("{id}", object_id)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


CREDENTIALS = f"{V}/credentials"
_ROUTES = """
GET /ocpi/versions
GET /ocpi/2.2.1
GET,POST,PUT,DELETE /ocpi/2.2.1/credentials
GET /ocpi/2.2.1/hubclientinfo
GET /ocpi/2.2.1/cpo/locations
GET /ocpi/2.2.1/cpo/locations/{id}
GET /ocpi/2.2.1/cpo/locations/LOC001/{id}
GET /ocpi/2.2.1/cpo/locations/LOC001/CP001*1/{id}
GET /ocpi/2.2.1/cpo/sessions
PUT /ocpi/2.2.1/cpo/sessions/{id}/charging_preferences
GET /ocpi/2.2.1/cpo/cdrs
GET /ocpi/2.2.1/cpo/tariffs
GET,PUT,PATCH /ocpi/2.2.1/cpo/tokens/DE/PRT/{id}
POST /ocpi/2.2.1/cpo/commands/START_SESSION
GET,PUT,DELETE /ocpi/2.2.1/cpo/chargingprofiles/{id}
GET /ocpi/2.2.1/emsp/tokens
POST /ocpi/2.2.1/emsp/tokens/{id}/authorize
POST /ocpi/2.2.1/emsp/cdrs
GET /ocpi/2.2.1/emsp/cdrs/DE/CPX/{id}
GET,PUT,PATCH /ocpi/2.2.1/emsp/sessions/DE/CPX/{id}
GET,PUT,DELETE /ocpi/2.2.1/emsp/tariffs/DE/CPX/{id}
POST /ocpi/2.2.1/emsp/commands/START_SESSION/{id}
GET,PUT,PATCH /ocpi/2.2.1/emsp/locations/DE/CPX/{id}
GET,PUT,PATCH /ocpi/2.2.1/emsp/locations/DE/CPX/L1/{id}
GET,PUT,PATCH /ocpi/2.2.1/emsp/locations/DE/CPX/L1/E1/{id}
GET,POST,PUT,PATCH,DELETE /ocpi/hub/{id}
"""
ROUTES = [
    Route(method, path)
    for line in _ROUTES.strip().splitlines()
    for methods, path in [line.split(" ")]
    for method in methods.split(",")
]
PATHS = list(dict.fromkeys(r.path for r in ROUTES))
ALLOWED = {path: {r.method for r in ROUTES if r.path == path} for path in PATHS}
# DELETE credentials would unregister the partner in the middle of a battery; it has no body to get wrong.
BATTERY_ROUTES = [r for r in ROUTES if str(r) != f"DELETE {CREDENTIALS}"]
FUNCTIONAL_ROUTES = [r for r in ROUTES if r.functional]
BODY_ROUTES = [r for r in BATTERY_ROUTES if r.has_body]
LISTS = {  # list GETs → the field naming an item
    f"{V}/cpo/locations": "id",
    f"{V}/cpo/sessions": "id",
    f"{V}/cpo/cdrs": "id",
    f"{V}/cpo/tariffs": "id",
    f"{V}/emsp/tokens": "uid",
}


# --- the hub, a registered partner (eMSP DE*PRT and CPO DE*CPX), and raw HTTP ------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    text: str
    body: Any  # the parsed JSON, or None when the body is not JSON

    @property
    def code(self) -> Any:
        return self.body.get("status_code") if isinstance(self.body, dict) else None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    http: aiohttp.ClientSession
    clock: FixedClock
    sent: list[tuple[str, str]] = field(default_factory=list)  # (request id, correlation id) of the last call

    @property
    def token(self) -> str:
        assert self.partner.outbound_token is not None
        return self.partner.outbound_token

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        token: str | None = None,
        authorization: str | None = None,
        ids: bool = True,
        routing: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """`path` is sent exactly as given (already percent-encoded); the partner's token (Base64) unless
        `token` or a literal `authorization` header value ("" for none) is given; FROM/TO of the side the
        path belongs to; fresh X-Request-ID/X-Correlation-ID unless `ids=False`."""
        sent: dict[str, str] = {}
        if authorization is None:
            sent["Authorization"] = "Token " + base64.b64encode((token or self.token).encode()).decode()
        elif authorization:
            sent["Authorization"] = authorization
        if ids:
            request_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
            sent |= {"X-Request-ID": request_id, "X-Correlation-ID": correlation_id}
            self.sent.append((request_id, correlation_id))
        side = Route("GET", path).side
        if routing and side != "config":
            for name, party in zip(("from", "to"), ROUTING[side], strict=True):
                cc, pid = party.split("*")
                sent[f"OCPI-{name}-country-code"], sent[f"OCPI-{name}-party-id"] = cc, pid
        if json_body is not None:
            data = json.dumps(json_body).encode()
        if data is not None:
            sent["Content-Type"] = "application/json"
        sent |= headers or {}
        url = yarl.URL(self.hub.url + path, encoded=True)
        async with self.http.request(method, url, data=data, headers=sent) as response:
            text = await response.text(errors="replace")
            try:
                body = json.loads(text, parse_float=Decimal)
            except ValueError:
                body = None
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, text, body)


@asynccontextmanager
async def start_env(make_hub: MakeHub) -> AsyncIterator[Env]:
    """The hub (page limit 3, five locations, fixed clock) with the partner registered through Token A, its
    welcome pushes delivered, and a session S1 of our CPO for a token of the partner's eMSP."""
    locations = base_config("sqlite://")["locations"] + [
        {
            "id": f"LOC10{i}",
            "party": "NL*CPO",
            "address": f"Straat {i}",
            "city": "Utrecht",
            "country": "NLD",
            "latitude": "52.09000",
            "longitude": "5.12000",
        }
        for i in range(4)
    ]
    clock = FixedClock(T0)
    hub = await make_hub(
        clock=clock,
        locations=locations,
        ocpi={
            "allow_private_urls": True,
            "page_limit": 3,
            "invitations": [{"name": "Partner", "token": TOKEN_A}, {"name": "Spare", "token": SPARE_A}],
        },
    )
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "PRT", "EMSP"), ("DE", "CPX", "CPO")]) as partner:
        answer = await partner.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
        assert answer.status_code == 1000, answer.body
        await welcomed(hub)
        await a_session(hub, "S1", T0)
        async with aiohttp.ClientSession() as http:
            yield Env(hub, partner, http, clock)


@pytest.fixture
async def env(make_hub: MakeHub) -> AsyncIterator[Env]:
    async with start_env(make_hub) as started:
        yield started


async def a_session(hub: RunningHub, session_id: str, when: datetime) -> None:
    """A session of our CPO for a token of the partner's eMSP."""
    async with hub.db.unit_of_work() as uow:
        await uow.sessions.put(
            Session(
                id=session_id,
                party=CPO,
                status=SessionStatus.ACTIVE,
                start=when,
                location_id="LOC001",
                evse_uid="CP001*1",
                connector_id="1",
                station_id="CP001",
                token_uid="DEPRT0001",
                token_party=PRT,
                kwh=Decimal("1.5"),
                last_updated=when,
            )
        )
        await uow.commit()


async def a_cdr(hub: RunningHub, cdr_id: str, when: datetime) -> None:
    async with hub.db.unit_of_work() as uow:
        await uow.cdrs.add(
            Cdr(
                id=cdr_id,
                party=CPO,
                session_id="S1",
                start=when - timedelta(hours=1),
                end=when,
                location_id="LOC001",
                evse_uid="CP001*1",
                connector_id="1",
                token_uid="DEPRT0001",
                token_party=PRT,
                cost=CdrCost(currency="EUR", total_excl_vat=Decimal("1.00"), total_energy_kwh=Decimal(4)),
                last_updated=when,
            )
        )
        await uow.commit()


def a_wire_tariff(tariff_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}],
        "last_updated": "2026-03-01T00:00:00Z",
        **changes,
    }


def a_wire_token(uid: str, **changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "PRT",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-PRT-C00001-1",
        "issuer": "Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T10:00:00Z",
        **changes,
    }


def a_wire_location(location_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "last_updated": "2026-03-01T10:00:00Z",
        **changes,
    }


def a_wire_evse(uid: str, *connector_ids: str, **changes: Any) -> dict[str, Any]:
    connectors = [
        {"id": connector_id, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
         "max_voltage": 230, "max_amperage": 16, "last_updated": "2026-03-01T10:00:00Z"}
        for connector_id in connector_ids
    ]  # fmt: skip
    evse = {
        "uid": uid,
        "status": "AVAILABLE",
        "connectors": connectors,
        "last_updated": "2026-03-01T10:00:00Z",
    }
    return evse | changes


def a_wire_session(session_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": session_id,
        "start_date_time": "2026-03-01T10:00:00Z",
        "kwh": 0,
        "cdr_token": {"country_code": "NL", "party_id": "MSP", "uid": OWN_TOKEN, "type": "RFID",
                      "contract_id": "NL-MSP-C12345678-X"},
        "auth_method": "WHITELIST",
        "location_id": "L1",
        "evse_uid": "E1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2026-03-01T10:00:00Z",
        **changes,
    }  # fmt: skip


def envelope_problems(reply: Reply, env: Env, route: Route | None = None, *, ids: bool = True) -> list[str]:
    """What is wrong with a reply against RF-01/RF-02/RF-08/ID-01/ID-02 and "never HTTP 500"."""
    problems = []
    if reply.status >= 500:
        problems.append(f"HTTP {reply.status}")
    if not reply.headers.get("content-type", "").startswith("application/json"):
        problems.append(f"Content-Type {reply.headers.get('content-type')!r}: {reply.text[:80]!r}")
    body = reply.body
    if not isinstance(body, dict) or not isinstance(body.get("status_code"), int):
        return [*problems, f"not an envelope: {reply.text[:120]!r}"]
    if not isinstance(body.get("timestamp"), str) or not DATETIME.fullmatch(body["timestamp"]):
        problems.append(f"timestamp {body.get('timestamp')!r}")
    if not isinstance(body.get("status_message", ""), str):
        problems.append("status_message is not a string")
    if ids:
        request_id, correlation_id = env.sent[-1]
        echoed = (reply.headers.get("x-request-id"), reply.headers.get("x-correlation-id"))
        if echoed != (request_id, correlation_id):
            problems.append(f"ids not echoed: {echoed}")
    if route is not None and route.functional:
        caller, answering = ROUTING[route.side]
        to = f"{reply.headers.get('ocpi-to-country-code')}*{reply.headers.get('ocpi-to-party-id')}"
        if to != caller:
            problems.append(f"response OCPI-to {to}, expected the caller {caller}")
        sender = f"{reply.headers.get('ocpi-from-country-code')}*{reply.headers.get('ocpi-from-party-id')}"
        if sender != answering:
            problems.append(f"response OCPI-from {sender}, expected {answering}")
    return problems


def assert_no_problems(found: dict[str, list[str]]) -> None:
    bad = {where: problems for where, problems in found.items() if problems}
    assert not bad, "\n".join(f"{where}: {'; '.join(problems)}" for where, problems in bad.items())


async def test_the_route_table_names_every_ocpi_route_of_the_app(env: Env) -> None:
    """Every checklist test that loops over ROUTES covers the whole OCPI surface only while this holds."""
    router = env.hub.app.router
    served = {
        (route.method, resource.canonical)
        for resource in router.resources()
        # 2.1.1 has its own checks (tests/integration/test_ocpi211_*.py)
        if resource.canonical.startswith("/ocpi/") and not resource.canonical.startswith("/ocpi/2.1.1")
        for route in resource
        if route.method != "HEAD"
    }
    named = set()
    for route in ROUTES:
        match = await router.resolve(make_mocked_request(route.method, route.url(), app=env.hub.app))
        assert match.http_exception is None, route
        named.add((route.method, match.route.resource.canonical if match.route.resource else ""))

    assert named == served


# --- §1 Authentication on every route --------------------------------------------------------------------

BAD_AUTHORIZATION = {
    "missing": "",
    "no-value": "Token",
    "bearer": "Bearer abc",
    "undecodable": "Token %%%not-base64%%%",
    "unknown-raw": "Token not-a-registered-token",
    "unknown-base64": "Token " + base64.b64encode(b"not-registered").decode(),
    "base64-of-binary": "Token " + base64.b64encode(b"\xff\xfe\x00\x01").decode(),
    "latin-1": "Token \xe9\xe8\xff",
    "huge": "Token " + "A" * 4000,
}


async def test_au_04_au_07_missing_wrong_or_undecodable_token_is_401_on_every_route(env: Env) -> None:
    found = {}
    for name, authorization in BAD_AUTHORIZATION.items():
        for route in ROUTES:
            reply = await env.call(route.method, route.url(), authorization=authorization, json_body={})
            problems = envelope_problems(reply, env)
            if (reply.status, reply.code) != (401, 2000):
                problems.append(f"HTTP {reply.status} / {reply.code}, expected 401 / 2000")
            found[f"{route} {name}"] = problems
    assert_no_problems(found)


async def test_au_05_a_live_token_a_reaches_versions_but_no_functional_route(env: Env) -> None:
    found = {}
    for route in FUNCTIONAL_ROUTES:
        reply = await env.call(route.method, route.url(), token=SPARE_A, json_body={})
        problems = envelope_problems(reply, env)
        if reply.status != 401:
            problems.append(f"HTTP {reply.status} / {reply.code}, expected 401")
        found[str(route)] = problems
    assert_no_problems(found)
    for path in ("/ocpi/versions", V):
        assert (await env.call("GET", path, token=SPARE_A)).code == 1000


async def test_au_09_writes_from_a_party_outside_the_platforms_roles_are_refused_and_not_stored(
    env: Env,
) -> None:
    foreign = {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "XYZ"}
    location = {"country_code": "DE", "party_id": "CPX", "id": "L9", "last_updated": "2026-03-01T00:00:00Z"}

    put = await env.call("PUT", f"{V}/emsp/locations/DE/CPX/L9", json_body=location, headers=foreign)
    command = await env.call(
        "POST", f"{V}/cpo/commands/STOP_SESSION", json_body={"response_url": "x", "session_id": "S1"},
        headers=foreign,
    )  # fmt: skip

    assert put.status == 401
    assert command.status == 401
    assert await env.hub.core.records.get("locations", PartyRef.parse("DE*CPX"), "L9") is None
    assert (await env.call("GET", f"{V}/emsp/locations/DE/CPX/L9")).status == 404


# --- §2 Envelope and HTTP status ---------------------------------------------------------------------------


# POST credentials of a registered platform is 405 whatever its body (CR-01); charging preferences are read
# for an existing session only (S1).
JSON_BODY_ROUTES = [r for r in BODY_ROUTES if str(r) != f"POST {CREDENTIALS}"]


def url_of_existing(route: Route) -> str:
    return route.url("S1" if "sessions/{id}/charging" in route.path else "X1")


async def test_rf_04_invalid_json_is_http_400_envelope(env: Env) -> None:
    found = {}
    for route in JSON_BODY_ROUTES:
        broken_bodies = [b"{not json", b"\xff\xfe", b'{"a": 1,}', b"[" * 50_000, b'{"a": NaN}']
        if not route.path.endswith("/authorize"):  # its LocationReferences body is optional (TK-02)
            broken_bodies.append(b"")
        for broken in broken_bodies:
            reply = await env.call(route.method, url_of_existing(route), data=broken)
            problems = envelope_problems(reply, env, route)
            if (reply.status, reply.code) != (400, 2000):
                problems.append(f"HTTP {reply.status} / {reply.code}, expected 400 / 2000")
            found[f"{route} {broken[:12]!r}"] = problems
    assert_no_problems(found)


async def test_rf_04_a_body_that_does_not_decode_per_its_content_encoding_is_http_400(env: Env) -> None:
    found = {}
    for route in JSON_BODY_ROUTES:
        headers = {"Content-Encoding": "gzip", "Connection": "close"}  # the server drops the connection after
        with structlog.testing.capture_logs():  # the crash's traceback need not be rendered
            reply = await env.call(
                route.method, url_of_existing(route), data=b'{"id": "X1"}', headers=headers
            )
        problems = envelope_problems(reply, env, route)
        if (reply.status, reply.code) != (400, 2000):
            problems.append(f"HTTP {reply.status} / {reply.code}, expected 400 / 2000")
        found[str(route)] = problems
    assert_no_problems(found)


async def test_rf_02_lists_are_arrays_single_objects_are_objects_and_every_envelope_is_complete(
    env: Env,
) -> None:
    await env.call("PUT", f"{V}/emsp/tariffs/DE/CPX/T1", json_body=a_wire_tariff("T1"))
    singles = [f"{V}", f"{CREDENTIALS}", f"{V}/cpo/locations/LOC001", f"{V}/emsp/tariffs/DE/CPX/T1"]
    lists = ["/ocpi/versions", *[f"{path}?date_from=2020-01-01T00:00:00Z" for path in LISTS]]
    for path in singles + lists:
        reply = await env.call("GET", path)
        assert envelope_problems(reply, env) == [], path
        assert (reply.status, reply.code) == (200, 1000), path
        assert isinstance(reply.data, list if path in lists else dict), path


async def test_rf_05_valid_json_with_bad_content_is_2001_with_http_200_at_our_cpo(env: Env) -> None:
    token = f"{V}/cpo/tokens/DE/PRT/T1"
    await env.call("PUT", token, json_body=a_wire_token("T1"))
    cases = [
        ("PUT", token, a_wire_token("OTHER")),
        ("PUT", token, []),
        ("PATCH", token, {"valid": False}),
        ("POST", f"{V}/cpo/commands/STOP_SESSION", {"response_url": "x"}),
        ("PUT", f"{V}/cpo/chargingprofiles/S1", {"response_url": "x", "charging_profile": {}}),
    ]
    for method, path, body in cases:
        reply = await env.call(method, path, json_body=body)
        assert (reply.status, reply.code) == (200, 2001), (method, path, body, reply.text)


async def test_rf_05_valid_json_with_bad_content_is_2001_with_http_200_at_our_emsp(env: Env) -> None:
    location = f"{V}/emsp/locations/DE/CPX/L1"
    session = f"{V}/emsp/sessions/DE/CPX/S1"
    assert (await env.call("PUT", location, json_body=a_wire_location("L1"))).status == 201
    assert (await env.call("PUT", session, json_body=a_wire_session("S1"))).status == 201
    cases = [
        ("PATCH", location, {"name": "no last_updated"}),
        ("PUT", location, a_wire_location("OTHER")),
        ("PUT", location, [a_wire_location("L1")]),
        ("PATCH", session, {"kwh": 2}),
        ("PUT", session, a_wire_session("S1", country_code="FR")),
    ]
    answers = [(await env.call(m, p, json_body=b)) for m, p, b in cases]
    assert [(a.status, a.code) for a in answers] == [(200, 2001)] * len(cases)


# --- §3 Status codes ---------------------------------------------------------------------------------------


async def test_sc_02_a_patch_without_last_updated_is_2001_not_2002_on_every_patch_route(env: Env) -> None:
    await env.call("PUT", f"{V}/cpo/tokens/DE/PRT/T1", json_body=a_wire_token("T1"))
    location = a_wire_location("L1", evses=[a_wire_evse("E1", "C1")])
    await env.call("PUT", f"{V}/emsp/locations/DE/CPX/L1", json_body=location)
    await env.call("PUT", f"{V}/emsp/sessions/DE/CPX/S1", json_body=a_wire_session("S1"))
    patched = {"/cpo/tokens/DE/PRT/T1": "T1", "/emsp/sessions/DE/CPX/S1": "S1"}
    patched |= {f"/emsp/locations/DE/CPX/{tail}": tail for tail in ("L1", "L1/E1", "L1/E1/C1")}
    for path in patched:
        reply = await env.call("PATCH", V + path, json_body={"status": "BLOCKED", "valid": False})
        assert reply.code == 2001, (path, reply.text)


# --- §4 Request and correlation ids ------------------------------------------------------------------------


async def test_id_01_id_02_successful_answers_echo_both_ids(env: Env) -> None:
    for path in ["/ocpi/versions", V, CREDENTIALS, *(f"{p}?date_from=2020-01-01T00:00:00Z" for p in LISTS)]:
        reply = await env.call("GET", path)
        assert reply.code == 1000, path
        assert envelope_problems(reply, env) == [], path


async def test_id_04_id_05_missing_ids_are_generated_as_uuids_on_every_route(env: Env) -> None:
    found = {}
    for route in [*BATTERY_ROUTES, Route("GET", f"{V}/nowhere"), Route("PATCH", f"{V}/cpo/locations")]:
        for authorization in (None, ""):  # authenticated, and refused with 401
            reply = await env.call(
                route.method, route.url(), json_body={}, ids=False, authorization=authorization
            )
            problems = envelope_problems(reply, env, ids=False)
            request_id, correlation_id = (
                reply.headers.get("x-request-id"),
                reply.headers.get("x-correlation-id"),
            )
            try:
                if uuid.UUID(str(request_id)).version != 4 or uuid.UUID(str(correlation_id)).version != 4:
                    problems.append("not uuid4")
            except ValueError:
                problems.append(f"ids {request_id!r} / {correlation_id!r}")
            if request_id == correlation_id:
                problems.append("one id for both")
            found[f"{route} auth={authorization is None}"] = problems
    assert_no_problems(found)


async def test_id_01_id_02_id_04_the_hubs_own_requests_carry_unique_uuid_ids(env: Env) -> None:
    calls = env.partner.calls  # the callbacks of the registration and the welcome pushes
    assert len(calls) >= 4
    request_ids = [c.headers.get("x-request-id") for c in calls]
    assert all(uuid.UUID(str(i)) for i in request_ids)
    assert len(set(request_ids)) == len(calls)
    assert all(uuid.UUID(str(c.headers.get("x-correlation-id"))) for c in calls)
