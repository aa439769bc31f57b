"""OCPI transport over real loopback HTTP: the middleware, envelope and pagination helpers on a tiny app, and
the OCPI client against a recording fake partner (§1, §2, §4, §6).

The full hub app is wired elsewhere; these tests pin the shared transport behaviour every route relies on.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest
import structlog.testing
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.auth import token_candidates
from ocpi_modules.common.client import OcpiClient, OcpiStatusError, OcpiTransportError, join_url
from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.errors import InvalidParametersError, UnknownTokenError
from ocpi_modules.common.headers import party_headers, routing_headers
from ocpi_modules.common.middleware import ocpi_middleware
from ocpi_modules.common.pagination import page_headers, parse_page
from ocpi_modules.common.runtime import OCPI_KEY, OcpiConfig, OcpiRuntime, runtime

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
HUB = PartyRef(country_code="NL", party_id="HUB")
CPO = PartyRef(country_code="NL", party_id="CPO")
MSP = PartyRef(country_code="DE", party_id="MSP")
TOKEN = "partner-secret-token"
ITEMS = [{"id": f"item-{i}", "price": Decimal(f"{i}.50")} for i in range(7)]

OcpiTestClient = TestClient[web.Request, web.Application]
Client = Callable[..., Awaitable[OcpiTestClient]]
Server = Callable[..., Awaitable[TestServer]]


# ---------------------------------------------------------------- a tiny OCPI app built from the helpers


async def list_items(request: web.Request) -> web.Response:
    ocpi = runtime(request)
    cap = ocpi.config.page_limit
    page = parse_page(request, cap=cap)
    rows = ITEMS[page.offset : page.offset + page.limit]
    headers = page_headers(
        request,
        public_url=ocpi.config.public_url,
        total=len(ITEMS),
        offset=page.offset,
        limit=page.limit,
        cap=cap,
        returned=len(rows),
    )
    return ocpi_response(request, rows, headers=headers)


async def list_sessions(request: web.Request) -> web.Response:
    page = parse_page(request, cap=runtime(request).config.page_limit, require_date_from=True)
    return ocpi_response(request, [{"date_from": page.date_from}])


async def echo(request: web.Request) -> web.Response:
    body = ocpi_json.loads(await request.read())
    if not isinstance(body, dict):
        raise InvalidParametersError("an object is expected", http_status=200)
    return ocpi_response(request, body, http_status=201)


async def show_auth(request: web.Request) -> web.Response:
    return ocpi_response(request, token_candidates(request.headers.get("Authorization")))


async def answer_as_hub(request: web.Request) -> web.Response:
    caller = routing_headers(request).from_party
    return ocpi_response(request, headers=party_headers(from_party=HUB, to_party=caller))


async def unknown_token(request: web.Request) -> web.Response:
    raise UnknownTokenError("token 123 is unknown")


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("database password is hunter2")


async def plain_json(request: web.Request) -> web.Response:
    return web.json_response({"plain": True})


async def not_ocpi(request: web.Request) -> web.Response:
    raise RuntimeError("outside /ocpi the framework answers")


def ocpi_app(*, page_limit: int = 3) -> web.Application:
    app = web.Application(middlewares=[ocpi_middleware])
    config = OcpiConfig(
        public_url="http://placeholder", hub_party=HUB, hub_name="Test Hub", page_limit=page_limit
    )
    app[OCPI_KEY] = OcpiRuntime(config=config, clock=FixedClock(NOW), core_getter=lambda: None)
    app.router.add_get("/ocpi/2.2.1/items", list_items)
    app.router.add_get("/ocpi/2.2.1/sessions", list_sessions)
    app.router.add_post("/ocpi/2.2.1/echo", echo)
    app.router.add_get("/ocpi/2.2.1/auth", show_auth)
    app.router.add_get("/ocpi/2.2.1/hub", answer_as_hub)
    app.router.add_get("/ocpi/2.2.1/tokens/{uid}", unknown_token)
    app.router.add_get("/ocpi/2.2.1/boom", boom)
    app.router.add_get("/ocpi/2.2.1/plain", plain_json)
    app.router.add_get("/health", not_ocpi)
    return app


@pytest.fixture
async def client(aiohttp_client: Client) -> OcpiTestClient:
    app = ocpi_app()
    test_client = await aiohttp_client(app)
    # The public URL is only known once the server listens (PG-04 uses it for Link).
    app[OCPI_KEY].config = dataclasses.replace(
        app[OCPI_KEY].config, public_url=str(test_client.make_url("")).rstrip("/")
    )
    return test_client


async def envelope_of(response: aiohttp.ClientResponse) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json")
    body = await response.read()
    parsed = orjson.loads(body)
    assert isinstance(parsed, dict)
    assert parsed["timestamp"] == "2025-01-31T12:00:00Z"
    return parsed


# ---------------------------------------------------------------- server side: middleware and envelope


async def test_rf02_success_envelope_and_decimal_numbers(client: OcpiTestClient) -> None:
    response = await client.get("/ocpi/2.2.1/items?limit=1")
    assert response.status == 200
    assert await response.read() == (
        b'{"data":[{"id":"item-0","price":0.50}],"status_code":1000,"timestamp":"2025-01-31T12:00:00Z"}'
    )
    body = await envelope_of(response)
    assert body["status_code"] == 1000


async def test_id01_id02_ids_are_echoed(client: OcpiTestClient) -> None:
    response = await client.get(
        "/ocpi/2.2.1/items", headers={"X-Request-ID": "req-42", "X-Correlation-ID": "corr-7"}
    )
    assert response.headers["X-Request-ID"] == "req-42"
    assert response.headers["X-Correlation-ID"] == "corr-7"


async def test_id05_missing_ids_are_generated_and_echoed_on_errors(client: OcpiTestClient) -> None:
    for path in ("/ocpi/2.2.1/items", "/ocpi/2.2.1/nowhere", "/ocpi/2.2.1/boom", "/ocpi/2.2.1/tokens/x"):
        response = await client.get(path)
        assert uuid.UUID(response.headers["X-Request-ID"]).version == 4, path
        assert uuid.UUID(response.headers["X-Correlation-ID"]).version == 4, path
        assert response.headers["X-Request-ID"] != response.headers["X-Correlation-ID"]


async def test_rf08_router_404_is_an_envelope_with_ids_and_routing(client: OcpiTestClient) -> None:
    response = await client.get(
        "/ocpi/2.2.1/nowhere",
        headers={
            "X-Request-ID": "r1",
            "X-Correlation-ID": "c1",
            "OCPI-from-country-code": "DE",
            "OCPI-from-party-id": "MSP",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "CPO",
        },
    )
    assert response.status == 404
    body = await envelope_of(response)
    assert body["status_code"] == 2000
    assert "data" not in body
    assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == ("r1", "c1")
    assert (response.headers["OCPI-from-country-code"], response.headers["OCPI-from-party-id"]) == (
        "NL",
        "CPO",
    )
    assert (response.headers["OCPI-to-country-code"], response.headers["OCPI-to-party-id"]) == ("DE", "MSP")


async def test_rf08_router_405_is_an_envelope_keeping_allow(client: OcpiTestClient) -> None:
    response = await client.delete("/ocpi/2.2.1/items", headers={"X-Request-ID": "r2"})
    assert response.status == 405
    body = await envelope_of(response)
    assert body["status_code"] == 2000
    assert "GET" in response.headers["Allow"]
    assert response.headers["X-Request-ID"] == "r2"


async def test_rf07_ocpi_error_gets_its_http_status_and_code(client: OcpiTestClient) -> None:
    response = await client.get("/ocpi/2.2.1/tokens/123")
    assert response.status == 404
    body = await envelope_of(response)
    assert (body["status_code"], body["status_message"]) == (2004, "token 123 is unknown")


async def test_rf08_unexpected_exception_is_3000_http_200_without_its_text(client: OcpiTestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/ocpi/2.2.1/boom", headers={"X-Request-ID": "r3"})
    assert response.status == 200
    body = await envelope_of(response)
    assert body["status_code"] == 3000
    assert "hunter2" not in orjson.dumps(body).decode()
    assert body["status_message"] == "Internal server error"
    assert response.headers["X-Request-ID"] == "r3"
    errors = [entry for entry in logs if entry["event"] == "ocpi_unhandled_error"]
    assert len(errors) == 1
    assert errors[0]["log_level"] == "error"
    assert errors[0]["exc_info"] is True


async def test_rf04_invalid_json_body_is_http_400(client: OcpiTestClient) -> None:
    response = await client.post(
        "/ocpi/2.2.1/echo",
        data=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-ID": "r4"},
    )
    assert response.status == 400
    body = await envelope_of(response)
    assert body["status_code"] == 2000
    assert response.headers["X-Request-ID"] == "r4"


async def test_rf05_valid_json_with_bad_content_is_2001_http_200(client: OcpiTestClient) -> None:
    response = await client.post(
        "/ocpi/2.2.1/echo", data=b"[1, 2]", headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    assert (await envelope_of(response))["status_code"] == 2001


async def test_rf08_plain_handler_responses_still_echo_ids(client: OcpiTestClient) -> None:
    response = await client.get("/ocpi/2.2.1/plain", headers={"X-Request-ID": "r5", "X-Correlation-ID": "c5"})
    assert response.status == 200
    assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == ("r5", "c5")


async def test_rf08_handler_routing_headers_win(client: OcpiTestClient) -> None:
    response = await client.get(
        "/ocpi/2.2.1/hub", headers={"OCPI-from-country-code": "DE", "OCPI-from-party-id": "MSP"}
    )
    assert response.headers["OCPI-from-party-id"] == "HUB"
    assert response.headers["OCPI-to-party-id"] == "MSP"


async def test_paths_outside_ocpi_are_untouched(client: OcpiTestClient) -> None:
    response = await client.get("/health")
    assert response.status == 500
    assert "X-Request-ID" not in response.headers
    missing = await client.get("/ocpix/versions")
    assert missing.status == 404
    assert not missing.headers["Content-Type"].startswith("application/json")


async def test_au07_header_forms_reach_the_handler(client: OcpiTestClient) -> None:
    encoded = base64.b64encode(b"example-token").decode()
    response = await client.get("/ocpi/2.2.1/auth", headers={"authorization": f"token {encoded}"})
    assert (await envelope_of(response))["data"] == [encoded, "example-token"]
    response = await client.get("/ocpi/2.2.1/auth", headers={"Authorization": "Token raw-token"})
    assert (await envelope_of(response))["data"] == ["raw-token"]


async def test_pg01_to_pg05_pagination_headers_over_http(client: OcpiTestClient) -> None:
    response = await client.get("/ocpi/2.2.1/items?limit=50&date_from=2025-01-01T00:00:00%2B01:00")
    body = await envelope_of(response)
    assert [item["id"] for item in body["data"]] == ["item-0", "item-1", "item-2"]
    assert response.headers["X-Total-Count"] == "7"
    assert response.headers["X-Limit"] == "3"
    public = str(client.make_url("")).rstrip("/")
    query = "date_from=2025-01-01T00%3A00%3A00%2B01%3A00&offset=3&limit=3"
    assert response.headers["Link"] == f'<{public}/ocpi/2.2.1/items?{query}>; rel="next"'
    last = await client.get("/ocpi/2.2.1/items?offset=6")
    assert len((await envelope_of(last))["data"]) == 1
    assert "Link" not in last.headers
    assert last.headers["X-Total-Count"] == "7"


async def test_pg01_bad_pagination_parameter_is_2001(client: OcpiTestClient) -> None:
    response = await client.get("/ocpi/2.2.1/items?offset=-1")
    assert response.status == 200  # RF-05: 2001 travels in the envelope
    assert (await envelope_of(response))["status_code"] == 2001


async def test_pg08_sessions_require_date_from(client: OcpiTestClient) -> None:
    missing = await client.get("/ocpi/2.2.1/sessions")
    assert (await envelope_of(missing))["status_code"] == 2001
    given = await client.get("/ocpi/2.2.1/sessions?date_from=2025-01-01T00:00:00")
    assert (await envelope_of(given))["data"] == [{"date_from": "2025-01-01T00:00:00Z"}]


# ---------------------------------------------------------------- client side: a recording fake partner


@dataclasses.dataclass
class Partner:
    server: TestServer
    seen: list[tuple[str, str, dict[str, str], bytes]]
    never: asyncio.Event

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def partner(aiohttp_server: Server) -> AsyncIterator[Partner]:
    seen: list[tuple[str, str, dict[str, str], bytes]] = []
    never = asyncio.Event()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Any:
        seen.append((request.method, request.path_qs, dict(request.headers), await request.read()))
        return await handler(request)

    def envelope(data: Any = None, code: int = 1000, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"status_code": code, "timestamp": "2025-01-31T12:00:00+00:00", **extra}
        if data is not None:
            body["data"] = data
        return body

    async def ok(request: web.Request) -> web.Response:
        return web.json_response(envelope({"echo": (await request.read()).decode() or None}))

    async def client_error(request: web.Request) -> web.Response:
        return web.json_response(envelope(code=2001, status_message="missing last_updated"), status=400)

    async def hub_error_200(request: web.Request) -> web.Response:
        return web.json_response(envelope(code=4001, status_message="unknown receiver"))

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>bad gateway</html>", status=502, content_type="text/html")

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def hang(request: web.Request) -> web.Response:
        await never.wait()
        return web.json_response(envelope())

    async def by_id(request: web.Request) -> web.Response:
        return web.json_response(envelope({"uid": request.match_info["uid"]}))

    async def cursor(request: web.Request) -> web.Response:
        # Opaque cursors, relative Links and a page without `data` (RF-09, PG-10).
        step = request.match_info["step"]
        pages = {
            "start": ([1, 2], "/cursor/xyz"),
            "xyz": (None, "/cursor/last"),
            "last": ([3], None),
        }
        data, following = pages[step]
        headers = {"Link": f'<{following}>; rel="next"'} if following else {}
        return web.json_response(envelope(data), headers=headers)

    async def loop(request: web.Request) -> web.Response:
        return web.json_response(
            envelope([request.query.get("n", "x")]), headers={"Link": '</loop>; rel="next"'}
        )

    async def not_a_list(request: web.Request) -> web.Response:
        return web.json_response(envelope({"id": 1}))

    app = web.Application(middlewares=[record])
    app.router.add_route("*", "/ok", ok)
    app.router.add_get("/client-error", client_error)
    app.router.add_get("/hub-error", hub_error_200)
    app.router.add_get("/html", html)
    app.router.add_get("/empty", empty)
    app.router.add_get("/hang", hang)
    app.router.add_get("/tokens/{uid}", by_id)
    app.router.add_get("/cursor/{step}", cursor)
    app.router.add_get("/loop", loop)
    app.router.add_get("/not-a-list", not_a_list)
    server = await aiohttp_server(app)
    yield Partner(server, seen, never)
    never.set()


@pytest.fixture
async def ocpi_client() -> AsyncIterator[OcpiClient]:
    async with aiohttp.ClientSession() as session:
        yield OcpiClient(session, FixedClock(NOW), timeout_s=5.0)


async def test_rf01_au02_id03_outbound_request_headers(partner: Partner, ocpi_client: OcpiClient) -> None:
    first = await ocpi_client.request(
        "PUT",
        partner.url("/ok"),
        token="example-token",
        json={"price": Decimal("0.1"), "at": NOW},
        from_party=CPO,
        to_party=MSP,
        correlation_id="corr-1",
    )
    await ocpi_client.request(
        "GET", partner.url("/ok"), token="example-token", encode=False, correlation_id="corr-1"
    )
    (method1, _, headers1, body1), (method2, _, headers2, body2) = partner.seen
    assert (method1, method2) == ("PUT", "GET")
    assert headers1["Authorization"] == "Token ZXhhbXBsZS10b2tlbg=="
    assert headers2["Authorization"] == "Token example-token"
    assert headers1["Content-Type"] == "application/json"
    assert body1 == b'{"price":0.1,"at":"2025-01-31T12:00:00Z"}'
    assert body2 == b""
    assert "Content-Type" not in headers2
    assert headers1["X-Request-ID"] != headers2["X-Request-ID"]
    assert uuid.UUID(headers1["X-Request-ID"]).version == 4
    assert headers1["X-Correlation-ID"] == headers2["X-Correlation-ID"] == "corr-1"
    assert (headers1["OCPI-from-country-code"], headers1["OCPI-from-party-id"]) == ("NL", "CPO")
    assert (headers1["OCPI-to-country-code"], headers1["OCPI-to-party-id"]) == ("DE", "MSP")
    assert first.ok
    assert first.status_code == 1000
    assert first.timestamp == NOW
    assert first.data == {"echo": '{"price":0.1,"at":"2025-01-31T12:00:00Z"}'}


async def test_rf09_envelope_parsed_whatever_the_http_status(
    partner: Partner, ocpi_client: OcpiClient
) -> None:
    bad = await ocpi_client.request("GET", partner.url("/client-error"), token=TOKEN)
    assert (bad.http_status, bad.status_code, bad.status_message, bad.data) == (
        400,
        2001,
        "missing last_updated",
        None,
    )
    assert not bad.ok
    hub = await ocpi_client.request("GET", partner.url("/hub-error"), token=TOKEN)
    assert (hub.http_status, hub.status_code, hub.ok) == (200, 4001, False)


async def test_rf09_empty_body_is_no_envelope(partner: Partner, ocpi_client: OcpiClient) -> None:
    response = await ocpi_client.request("GET", partner.url("/empty"), token=TOKEN)
    assert (response.http_status, response.status_code, response.data) == (404, None, None)


async def test_non_json_body_is_a_transport_error(partner: Partner, ocpi_client: OcpiClient) -> None:
    with pytest.raises(OcpiTransportError) as info:
        await ocpi_client.request("GET", partner.url("/html"), token=TOKEN)
    assert info.value.reason == "invalid_json"


async def test_timeout_is_a_transport_error(partner: Partner, ocpi_client: OcpiClient) -> None:
    with pytest.raises(OcpiTransportError) as info:
        await ocpi_client.request("GET", partner.url("/hang"), token=TOKEN, timeout_s=0.2)
    assert info.value.reason == "timeout"


async def test_connection_refused_is_a_transport_error(ocpi_client: OcpiClient, unused_tcp_port: int) -> None:
    with pytest.raises(OcpiTransportError) as info:
        await ocpi_client.request("GET", f"http://127.0.0.1:{unused_tcp_port}/ocpi", token=TOKEN)
    assert info.value.reason == "connection"


async def test_ty01_ids_with_slashes_travel_percent_encoded(
    partner: Partner, ocpi_client: OcpiClient
) -> None:
    response = await ocpi_client.request("GET", join_url(partner.url("/tokens"), "a/b c"), token=TOKEN)
    assert response.data == {"uid": "a/b c"}
    assert partner.seen[-1][1] == "/tokens/a%2Fb%20c"


async def test_pg10_iterate_follows_opaque_relative_links(partner: Partner, ocpi_client: OcpiClient) -> None:
    items = [
        item
        async for item in ocpi_client.iterate(partner.url("/cursor/start"), token=TOKEN, correlation_id="c")
    ]
    assert items == [1, 2, 3]
    assert [path for _, path, _, _ in partner.seen] == ["/cursor/start", "/cursor/xyz", "/cursor/last"]
    assert {headers["X-Correlation-ID"] for _, _, headers, _ in partner.seen} == {"c"}
    assert len({headers["X-Request-ID"] for _, _, headers, _ in partner.seen}) == 3


async def test_pg10_iterate_stops_on_a_link_loop(partner: Partner, ocpi_client: OcpiClient) -> None:
    items = [item async for item in ocpi_client.iterate(partner.url("/loop"), token=TOKEN, params={"n": 1})]
    assert items == ["1", "x"]
    assert [path for _, path, _, _ in partner.seen] == ["/loop?n=1", "/loop"]


async def test_pg10_iterate_raises_on_failure_or_non_list(partner: Partner, ocpi_client: OcpiClient) -> None:
    with pytest.raises(OcpiStatusError) as info:
        [item async for item in ocpi_client.iterate(partner.url("/client-error"), token=TOKEN)]
    assert info.value.response.status_code == 2001
    with pytest.raises(OcpiStatusError):
        [item async for item in ocpi_client.iterate(partner.url("/not-a-list"), token=TOKEN)]


async def test_pg04_pg10_client_crawls_our_own_pagination(
    client: OcpiTestClient, ocpi_client: OcpiClient
) -> None:
    url = str(client.make_url("/ocpi/2.2.1/items"))
    items = [item async for item in ocpi_client.iterate(url, token=TOKEN, params={"limit": 2})]
    assert [item["id"] for item in items] == [f"item-{i}" for i in range(7)]
    assert items[3]["price"] == Decimal("3.50")


async def test_ve08_client_refuses_private_urls_when_configured(partner: Partner) -> None:
    async with aiohttp.ClientSession() as session:
        strict = OcpiClient(session, FixedClock(NOW), allow_private=False)
        with pytest.raises(OcpiTransportError) as info:
            await strict.request("GET", partner.url("/ok"), token=TOKEN)
    assert info.value.reason == "refused_url"
    assert partner.seen == []


async def test_au10_client_logs_carry_no_token(partner: Partner, ocpi_client: OcpiClient) -> None:
    with structlog.testing.capture_logs() as logs:
        await ocpi_client.request("GET", partner.url("/ok"), token=TOKEN)
        with pytest.raises(OcpiTransportError):
            await ocpi_client.request("GET", partner.url("/html"), token=TOKEN)
    assert logs
    text = repr(logs)
    encoded = base64.b64encode(TOKEN.encode()).decode()
    assert TOKEN not in text
    assert encoded not in text
    assert all(entry["token_fp"].startswith("fp:") for entry in logs)
