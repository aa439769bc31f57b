"""`FakePartner`: an OCPI 2.2.1 platform on a loopback port that registers with the hub or lets the hub
register with it, records every call, stores what Receiver endpoints get and serves configured Sender data.

Test support: imports aiohttp and the standard library only (independent of the hub's own wire code).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes.loopback import serve_on_loopback
from tests.fakes.ocpi_partner.wire import (
    CALL_KEY,
    DEFAULT_ROLES,
    ROLE_MODULES,
    Answer,
    Call,
    Failure,
    HubClient,
    HubReply,
    decode_token,
    parse_time,
    reply,
)


@dataclass
class FakePartner:
    """`async with FakePartner(roles=[("DE", "PRT", "CPO")]) as partner: …`

    Tokens, from the partner's side: `inbound_token` is what it accepts from the hub, `outbound_token` what it
    presents to the hub, `invitation_token` the Token A it handed out (`invite()`)."""

    roles: Iterable[tuple[str, str, str]] = DEFAULT_ROLES
    name: str = "Fake Partner"
    versions: tuple[str, ...] = ("2.2.1",)
    omit: frozenset[str] = frozenset()  # endpoint identifiers left out of the details ("credentials" → 3003)
    token_format: str = "any"  # what it accepts from the hub: "any", "base64" or "raw"
    encode: bool = True  # how it sends its own token
    page_limit: int = 50
    client_info: bool = False  # offer a hubclientinfo RECEIVER (HC-04): the hub PUTs ClientInfo objects there
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Sender data per module
    authorize: Callable[[str, Any], Answer] | None = (
        None  # (uid, body) → answer; None: look up lists["tokens"]
    )
    command_response: dict[str, Any] = field(default_factory=lambda: {"result": "ACCEPTED", "timeout": 30})
    cdr_http_status: int = 200  # the HTTP status of a CDR POST's answer (with its Location header)
    objects: dict[str, Any] = field(default_factory=dict)  # what Receiver endpoints got, by path under 2.2.1/
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    inbound_token: str | None = None
    previous_inbound_token: str | None = None
    outbound_token: str | None = None
    invitation_token: str | None = None
    hub_versions_url: str | None = None
    hub_endpoints: list[dict[str, Any]] = field(default_factory=list)
    hub_roles: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.roles = tuple(self.roles)
        self.parties = [f"{cc}*{pid}" for cc, pid, _ in self.roles]
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> FakePartner:
        app = web.Application(middlewares=[self._note_status])
        app.router.add_get("/ocpi/versions", self._versions)
        app.router.add_get("/ocpi/{version}", self._details)
        app.router.add_route("*", "/ocpi/{version}/credentials", self._credentials)
        app.router.add_route("*", "/ocpi/{version}/{side:sender|receiver}/{module}{tail:.*}", self._module)
        self._runner, self.url = await serve_on_loopback(app)
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        for failure in self.failures:
            if failure.hold is not None:
                failure.hold.set()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakePartner:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def credentials_roles(self) -> list[dict[str, Any]]:
        return [
            {"role": role, "party_id": pid, "country_code": cc, "business_details": {"name": self.name}}
            for cc, pid, role in self.roles
        ]

    def endpoints(self, version: str = "2.2.1") -> list[dict[str, str]]:
        base = f"{self.url}/ocpi/{version}"
        found = [{"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"}]
        for _, _, role in self.roles:
            for module, side in ROLE_MODULES.get(role, {}).items():
                entry = {"identifier": module, "role": side, "url": f"{base}/{side.lower()}/{module}"}
                if entry not in found:
                    found.append(entry)
        if self.client_info:
            found.append(
                {"identifier": "hubclientinfo", "role": "RECEIVER", "url": f"{base}/receiver/hubclientinfo"}
            )
        return [e for e in found if e["identifier"] not in self.omit]

    # --- test helpers -------------------------------------------------------------------------------------
    def invite(self) -> tuple[str, str]:
        """(versions URL, Token A) for the hub to register with this partner."""
        self.invitation_token = secrets.token_urlsafe(24)
        return self.versions_url, self.invitation_token

    def client(self, hub_url: str) -> HubClient:
        return HubClient(self, hub_url)

    def hub_endpoint(self, identifier: str, role: str = "SENDER") -> str | None:
        return next(
            (e["url"] for e in self.hub_endpoints if e["identifier"] == identifier and e["role"] == role),
            None,
        )

    def fail(self, path: str, **kwargs: Any) -> Failure:
        """Answer requests whose path contains `path` with an error (HTTP 500/3000 once by default)."""
        failure = Failure(path, **kwargs)
        self.failures.append(failure)
        return failure

    def hang(self, path: str, *, method: str | None = None, times: int | None = 1) -> asyncio.Event:
        """Hold matching requests until the returned event is set (then answer normally)."""
        event = asyncio.Event()
        self.failures.append(Failure(path, method, 200, 1000, times, hold=event))
        return event

    def garbage(
        self, path: str, body: bytes = b"<html>502 Bad Gateway</html>", *, times: int | None = 1
    ) -> Failure:
        """Answer requests whose path contains `path` with `body` as is (no OCPI envelope, maybe no JSON)."""
        return self.fail(path, http_status=200, times=times, body=body)

    def calls_to(self, path: str = "", method: str | None = None) -> list[Call]:
        return [c for c in self.calls if path in c.path and (method is None or c.method == method)]

    async def wait_for_calls(
        self, path: str = "", method: str | None = None, *, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(path, method)) >= count)
        return self.calls_to(path, method)

    async def http(self, method: str, url: str, *, token: str | None = None, **kwargs: Any) -> HubReply:
        assert self._session is not None, "start() the partner first"
        headers = kwargs.pop("headers", None) or {}
        if token is not None:
            headers["Authorization"] = "Token " + (
                base64.b64encode(token.encode()).decode() if self.encode else token
            )
        async with self._session.request(method, url, headers=headers, **kwargs) as response:
            text = await response.text()
            body = json.loads(text) if text.strip() else None
            return HubReply(response.status, body, {k.lower(): v for k, v in response.headers.items()})

    async def _discover_hub(self, versions_url: str, token: str) -> None:
        versions = await self.http("GET", versions_url, token=token)
        url = next(v["url"] for v in versions.data if v["version"] == "2.2.1")
        details = await self.http("GET", url, token=token)
        self.hub_versions_url, self.hub_endpoints = versions_url, details.data["endpoints"]

    async def register_with(self, hub_versions_url: str, token_a: str) -> HubReply:
        """The partner as Sender: discover the hub with Token A, POST credentials with a new token B."""
        await self._discover_hub(hub_versions_url, token_a)
        self.inbound_token = secrets.token_urlsafe(24)
        answer = await self.http(
            "POST", self.hub_endpoint("credentials") or "", token=token_a, json=self._ours()
        )
        if answer.status_code == 1000:
            self.outbound_token, self.hub_roles = answer.data["token"], answer.data["roles"]
        return answer

    async def update_with_hub(self) -> HubReply:
        """PUT credentials with a fresh token; the previous one stays accepted."""
        assert self.outbound_token is not None, "not registered"
        assert self.hub_versions_url is not None, "not registered"
        await self._discover_hub(self.hub_versions_url, self.outbound_token)
        self.previous_inbound_token, self.inbound_token = self.inbound_token, secrets.token_urlsafe(24)
        answer = await self.http(
            "PUT", self.hub_endpoint("credentials") or "", token=self.outbound_token, json=self._ours()
        )
        if answer.status_code == 1000:
            self.outbound_token, self.hub_roles = answer.data["token"], answer.data["roles"]
        return answer

    async def unregister_from_hub(self) -> HubReply:
        answer = await self.http("DELETE", self.hub_endpoint("credentials") or "", token=self.outbound_token)
        if answer.status_code == 1000:
            self.inbound_token = self.outbound_token = None
        return answer

    def _ours(self) -> dict[str, Any]:
        return {"token": self.inbound_token, "url": self.versions_url, "roles": self.credentials_roles()}

    # --- server side --------------------------------------------------------------------------------------
    @web.middleware
    async def _note_status(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if CALL_KEY in request:
            request[CALL_KEY].answered = response.status
        return response

    async def _record(self, request: web.Request) -> Call:
        body = await request.read()
        raw, decoded = decode_token(request.headers.get("Authorization"))
        call = Call(
            request.method, request.path, dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            json.loads(body) if body.strip() else None, decoded or raw, decoded is not None, raw,
        )  # fmt: skip
        request[CALL_KEY] = call
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return call

    def _token_ok(self, call: Call, *, invitation: bool = False) -> bool:
        """Known token, in a form `token_format` allows; a raw token that happens to be valid Base64 is
        recognised as raw (the call record is corrected)."""
        valid = {self.inbound_token, self.previous_inbound_token}
        valid |= {self.invitation_token} if invitation else set()
        valid.discard(None)
        if call.encoded and call.token in valid and self.token_format != "raw":
            return True
        if call.raw in valid and self.token_format != "base64":
            call.token, call.encoded = call.raw, False
            return True
        return False

    async def _failure(self, call: Call) -> web.Response | None:
        for failure in self.failures:
            if failure.path in call.path and failure.method in (None, call.method) and failure.times != 0:
                if failure.times is not None:
                    failure.times -= 1
                if failure.hold is not None:
                    await failure.hold.wait()
                    return None
                if failure.body is not None:
                    return web.Response(body=failure.body, status=failure.http_status)
                return reply(None, failure.status_code, failure.http_status)
        return None

    async def _enter(
        self, request: web.Request, *, invitation: bool = False
    ) -> tuple[Call, web.Response | None]:
        call = await self._record(request)
        if not self._token_ok(call, invitation=invitation):
            return call, reply(None, 2000, 401)
        return call, await self._failure(call)

    async def _versions(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, invitation=True)
        return early or reply([{"version": v, "url": f"{self.url}/ocpi/{v}"} for v in self.versions])

    async def _details(self, request: web.Request) -> web.Response:
        _, early = await self._enter(request, invitation=True)
        version = request.match_info["version"]
        return early or reply({"version": version, "endpoints": self.endpoints(version)})

    async def _credentials(self, request: web.Request) -> web.Response:
        call, early = await self._enter(request, invitation=request.method == "POST")
        if early is not None:
            return early
        registered = call.token != self.invitation_token
        if request.method == "GET":
            return reply(self._ours() | {"token": self.inbound_token})
        if (request.method == "POST") == registered:
            return reply(None, 2000, 405)
        if request.method == "DELETE":
            self.inbound_token = self.outbound_token = self.previous_inbound_token = None
            return reply()
        body = call.json or {}
        try:
            await self._discover_hub(body["url"], body["token"])
        except (aiohttp.ClientError, KeyError, StopIteration, TypeError):
            return reply(None, 3001)
        self.outbound_token, self.invitation_token, self.hub_roles = body["token"], None, body["roles"]
        self.previous_inbound_token = self.inbound_token if registered else None
        self.inbound_token = secrets.token_urlsafe(24)
        return reply(self._ours())

    async def _module(self, request: web.Request) -> web.Response:
        call, early = await self._enter(request)
        if early is not None:
            return early
        side, module, tail = (request.match_info[k] for k in ("side", "module", "tail"))
        key = f"{module}{tail}"
        if side == "sender" and request.method == "GET":
            return self._sender_get(request, module, tail.strip("/"))
        if side == "sender" and module == "tokens" and tail.endswith("/authorize"):
            return self._authorize(tail.strip("/").split("/")[0], call.json)
        if request.method == "PUT":
            self.objects[key] = call.json
        elif request.method == "PATCH":
            if key not in self.objects:
                return reply(None, 2001, 404)
            self.objects[key] = {**self.objects[key], **(call.json or {})}
        elif request.method == "GET":
            return reply(self.objects[key]) if key in self.objects else reply(None, 2001, 404)
        elif request.method == "DELETE":
            self.objects.pop(key, None)
        elif module == "commands" and side == "receiver":
            self.objects[key] = call.json
            return reply(self.command_response)
        elif module == "cdrs" and isinstance(call.json, dict):
            cdr_path = (
                f"cdrs/{call.json.get('country_code')}/{call.json.get('party_id')}/{call.json.get('id')}"
            )
            self.objects[cdr_path] = call.json
            return reply(
                http=self.cdr_http_status,
                headers={"Location": f"{self.url}/ocpi/{request.match_info['version']}/receiver/{cdr_path}"},
            )
        else:
            self.objects[key] = call.json
        return reply()

    def _sender_get(self, request: web.Request, module: str, tail: str) -> web.Response:
        items = self.lists.get(module, [])
        if tail:
            wanted = tail.split("/")[0]
            found = next((i for i in items if wanted in (i.get("id"), i.get("uid"))), None)
            return reply(found) if found is not None else reply(None, 2001, 404)
        query = request.query
        if "date_from" in query:
            items = [i for i in items if parse_time(i["last_updated"]) >= parse_time(query["date_from"])]
        if "date_to" in query:
            items = [i for i in items if parse_time(i["last_updated"]) < parse_time(query["date_to"])]
        offset, limit = (
            int(query.get("offset", 0)),
            min(int(query.get("limit", self.page_limit)), self.page_limit),
        )
        headers = {"X-Total-Count": str(len(items)), "X-Limit": str(self.page_limit)}
        if offset + limit < len(items):
            following = {**query, "offset": str(offset + limit), "limit": str(limit)}
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(following)}>; rel="next"'
        return reply(items[offset : offset + limit], headers=headers)

    def _authorize(self, uid: str, body: Any) -> web.Response:
        if self.authorize is not None:
            http, code, data = self.authorize(uid, body)
            return reply(data, code, http)
        token = next((t for t in self.lists.get("tokens", []) if t.get("uid") == uid), None)
        if token is None:
            return reply(None, 2004, 404)
        return reply({"allowed": "ALLOWED" if token.get("valid", True) else "BLOCKED", "token": token})
