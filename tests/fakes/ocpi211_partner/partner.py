"""`Fake211Partner`: an OCPI 2.1.1 platform (one party, CPO or eMSP) on a loopback port. It registers with the
hub (flat 2.1.1 credentials, raw tokens), serves its version details (`{identifier, url}`, no roles), records
every call, stores what its Receiver endpoints get — refusing with 2001 anything not in 2.1.1 shape — serves
configured Sender lists and command answers, and receives command results at its own response URLs.

Test support: imports aiohttp and the standard library only (independent of the hub's own wire code).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.loopback import serve_on_loopback
from tests.fakes.ocpi211_partner.wire import (
    ROLE_MODULES,
    Call,
    Client211,
    HubReply,
    json_default,
    problems_211,
    reply,
    result_problems,
)

V = "2.1.1"


@dataclass
class Fake211Partner:
    """`async with Fake211Partner(role="EMSP") as partner: await partner.register_with(hub_versions, token_a)`

    `inbound_token` is what it accepts from the hub, `outbound_token` what it presents to the hub."""

    party: tuple[str, str] = ("DE", "EMW")
    role: str = "EMSP"
    name: str = "Fake 2.1.1 Partner"
    versions: tuple[str, ...] = (V,)
    omit: frozenset[str] = frozenset()  # endpoint identifiers left out of the details
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Sender data, 2.1.1 shapes
    authorize: Callable[[str, Any], tuple[int, int, Any]] | None = None  # (uid, body) → (HTTP, code, data)
    command_response: dict[str, Any] = field(default_factory=lambda: {"result": "ACCEPTED"})
    objects: dict[str, Any] = field(default_factory=dict)  # what Receivers got, by path under /ocpi/2.1.1/
    results: dict[str, Any] = field(default_factory=dict)  # command results POSTed to our response URLs
    refused: list[tuple[str, list[str]]] = field(default_factory=list)  # (path, problems): not 2.1.1 shapes
    calls: list[Call] = field(default_factory=list)
    inbound_token: str | None = None
    outbound_token: str | None = None
    invitation_token: str | None = None  # the Token A it handed out (`invite()`)
    hub_versions_url: str | None = None
    hub_details_url: str | None = None
    hub_endpoints: list[dict[str, Any]] = field(default_factory=list)
    hub_credentials: dict[str, Any] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> Fake211Partner:
        app = web.Application()
        app.router.add_get("/ocpi/versions", self._versions)
        app.router.add_get(f"/ocpi/{V}", self._details)
        app.router.add_route("*", f"/ocpi/{V}/credentials", self._credentials)
        app.router.add_post(f"/ocpi/{V}/results/{{name}}", self._result)
        app.router.add_route("*", f"/ocpi/{V}/{{module}}{{tail:.*}}", self._module)
        self._runner, self.url = await serve_on_loopback(app)
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Fake211Partner:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def party_key(self) -> str:
        return f"{self.party[0]}*{self.party[1]}"

    def response_url(self, name: str) -> str:
        return f"{self.url}/ocpi/{V}/results/{name}"

    def endpoints(self) -> list[dict[str, str]]:
        base = f"{self.url}/ocpi/{V}"
        modules = ("credentials", *ROLE_MODULES[self.role])
        return [{"identifier": m, "url": f"{base}/{m}"} for m in modules if m not in self.omit]

    def invite(self) -> tuple[str, str]:
        """(versions URL, Token A) for the hub to register with this partner."""
        self.invitation_token = secrets.token_urlsafe(24)
        return self.versions_url, self.invitation_token

    def client(self, hub_url: str) -> Client211:
        return Client211(self, hub_url)

    # --- test helpers --------------------------------------------------------------------------------------
    def calls_to(self, path: str = "", method: str | None = None) -> list[Call]:
        return [c for c in self.calls if path in c.path and (method is None or c.method == method)]

    async def wait_for_calls(
        self, path: str = "", method: str | None = None, *, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(path, method)) >= count)
        return self.calls_to(path, method)

    async def http(self, method: str, url: str, **kwargs: Any) -> HubReply:
        """One call; a `json` body may hold Decimals (written as JSON numbers)."""
        assert self._session is not None, "start() the partner first"
        if kwargs.get("json") is not None:
            kwargs["data"] = json.dumps(kwargs.pop("json"), default=json_default)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Content-Type": "application/json"}
        else:
            kwargs.pop("json", None)
        async with self._session.request(method, url, **kwargs) as response:
            text = await response.text()
            body = json.loads(text) if text.strip() else None
            return HubReply(response.status, body, {k.lower(): v for k, v in response.headers.items()})

    async def register_with(
        self, hub_versions_url: str, token_a: str, *, details_url: str | None = None
    ) -> HubReply:
        """Discover the hub with Token A (raw), POST flat credentials with a new token B."""
        await self._discover_hub(hub_versions_url, token_a, details_url)
        self.inbound_token = secrets.token_urlsafe(24)
        answer = await self.http(
            "POST",
            self.hub_endpoint("credentials"),
            headers={"Authorization": f"Token {token_a}"},
            json=self._ours(),
        )
        if answer.status_code == 1000:
            self.outbound_token, self.hub_credentials = answer.data["token"], answer.data
        return answer

    async def update_with_hub(self) -> HubReply:
        assert self.outbound_token is not None, "not registered"
        assert self.hub_versions_url is not None, "not registered"
        await self._discover_hub(self.hub_versions_url, self.outbound_token, self.hub_details_url)
        self.inbound_token = secrets.token_urlsafe(24)
        answer = await self.http(
            "PUT",
            self.hub_endpoint("credentials"),
            headers={"Authorization": f"Token {self.outbound_token}"},
            json=self._ours(),
        )
        if answer.status_code == 1000:
            self.outbound_token, self.hub_credentials = answer.data["token"], answer.data
        return answer

    def hub_endpoint(self, identifier: str) -> str:
        return str(next(e["url"] for e in self.hub_endpoints if e["identifier"] == identifier))

    async def _discover_hub(self, versions_url: str, token: str, details_url: str | None) -> None:
        auth = {"Authorization": f"Token {token}"}
        versions = await self.http("GET", versions_url, headers=auth)
        url = next((v["url"] for v in versions.data or () if v["version"] == V), details_url)
        assert url is not None, f"the hub lists no {V}: {versions.data}"
        details = await self.http("GET", url, headers=auth)
        self.hub_versions_url, self.hub_details_url = versions_url, url
        self.hub_endpoints = details.data["endpoints"]

    def _ours(self) -> dict[str, Any]:
        return {
            "token": self.inbound_token,
            "url": self.versions_url,
            "business_details": {"name": self.name},
            "party_id": self.party[1],
            "country_code": self.party[0],
        }

    # --- server side ---------------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> Call:
        body = await request.read()
        header = request.headers.get("Authorization", "")
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            json.loads(body) if body.strip() else None,
            header[6:].strip() if header.lower().startswith("token ") else None,
        )
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return call

    async def _enter(
        self, request: web.Request, *, invitation: bool = False
    ) -> tuple[Call, web.Response | None]:
        """Its own raw token (or its Token A where `invitation`) and no routing headers: a 2.2.1 request sent
        to it untranslated is caught."""
        call = await self._record(request)
        accepted = {self.inbound_token} | ({self.invitation_token} if invitation else set())
        if call.token is None or call.token not in accepted - {None}:
            return call, reply(None, 2000, 401)
        routing = [h for h in call.headers if h.startswith(("ocpi-from-", "ocpi-to-"))]
        if routing:
            self.refused.append((request.path, [f"{h}: no routing headers in 2.1.1" for h in routing]))
            return call, reply(None, 2001, message="routing headers do not exist in OCPI 2.1.1")
        return call, None

    async def _versions(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, invitation=True)
        return early or reply([{"version": v, "url": f"{self.url}/ocpi/{v}"} for v in self.versions])

    async def _details(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, invitation=True)
        return early or reply({"version": V, "endpoints": self.endpoints()})

    async def _credentials(self, request: web.Request) -> web.Response:
        call, early = await self._enter(request, invitation=request.method == "POST")
        if early is not None:
            return early
        if request.method == "GET":
            return reply(self._ours())
        if request.method == "DELETE":
            self.inbound_token = self.outbound_token = None
            return reply()
        if request.method != "POST" or call.token != self.invitation_token:
            return reply(None, 2000, 405)
        body = call.json or {}
        try:  # the hub registers with us: call it back with the token it gave, then answer with token C
            await self._discover_hub(body["url"], body["token"], self.hub_details_url)
        except (aiohttp.ClientError, KeyError, AssertionError, TypeError):
            return reply(None, 3001)
        self.outbound_token, self.hub_credentials, self.invitation_token = body["token"], body, None
        self.inbound_token = secrets.token_urlsafe(24)
        return reply(self._ours())

    async def _result(self, request: web.Request) -> web.Response:
        call, early = await self._enter(request)
        if early is not None:
            return early
        problems = result_problems(call.json)
        if problems:
            self.refused.append((request.path, problems))
            return reply(None, 2001, message="; ".join(problems))
        self.results[request.match_info["name"]] = call.json
        return reply()

    async def _module(self, request: web.Request) -> web.Response:
        call, early = await self._enter(request)
        if early is not None:
            return early
        module = request.match_info["module"]
        segments = [s for s in request.match_info["tail"].split("/") if s]
        key = "/".join([module, *segments])
        method = request.method
        if method in ("PUT", "PATCH", "POST") and not (module == "tokens" and segments[-1:] == ["authorize"]):
            problems = problems_211(module, len(segments), call.json) if method != "PATCH" else []
            if problems:
                self.refused.append((request.path, problems))
                return reply(None, 2001, message="; ".join(problems))
        if method == "GET" and (self.role == "CPO" or module == "tokens") and len(segments) <= 1:
            return self._sender_get(module, segments)
        if module == "tokens" and segments[-1:] == ["authorize"]:
            if self.authorize is not None:
                http, code, data = self.authorize(segments[0], call.json)
                return reply(data, code, http)
            return reply(None, 2000, 404)
        if module == "commands" and method == "POST":
            self.objects[key] = call.json
            return reply(self.command_response)
        if module == "cdrs" and method == "POST":
            cdr_key = f"cdrs/{call.json.get('id')}"
            self.objects[cdr_key] = call.json
            return reply(headers={"Location": f"{self.url}/ocpi/{V}/{cdr_key}"})
        if method == "PUT":
            self.objects[key] = call.json
        elif method == "PATCH":
            if key not in self.objects:
                return reply(None, 2001, 404)
            self.objects[key] = {**self.objects[key], **(call.json or {})}
        elif method == "DELETE":
            self.objects.pop(key, None)
        elif method == "GET":
            return reply(self.objects[key]) if key in self.objects else reply(None, 2001, 404)
        return reply()

    def _sender_get(self, module: str, segments: list[str]) -> web.Response:
        items = self.lists.get(module, [])
        if segments:
            found = next((i for i in items if segments[0] in (i.get("id"), i.get("uid"))), None)
            return reply(found) if found is not None else reply(None, 2001, 404)
        return reply(items, headers={"X-Total-Count": str(len(items)), "X-Limit": "100"})
