"""`FakePlatform`: a 互联互通 operator platform (快电-like) or regulator on a loopback port. It issues
tokens to the hub, serves stations and the CPO interfaces, records every push with its decrypted payload,
answers as scripted, and calls the hub as a client (`call_hub`) with its own token and envelope code.

Test support: imports aiohttp, the standard library and the fake's own modules only (never `interconnect`).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.interconnect_platform import business
from tests.fakes.interconnect_platform.envelope import (
    Keys,
    SeqCounter,
    Style,
    decrypt,
    dumps,
    loads,
    request_body,
    response_body,
    sig_matches,
)
from tests.fakes.interconnect_platform.envelope import field as get
from tests.fakes.interconnect_platform.notifications import CpoNotifications
from tests.fakes.loopback import serve_on_loopback

ENVELOPE_FIELDS = ("OperatorID", "Data", "TimeStamp", "Seq", "Sig")


class HubRefusedError(Exception):
    """The hub did not give the fake a token (Ret ≠ 0 or SuccStat ≠ 0)."""


@dataclass
class Received:
    """One call the fake got from the hub."""

    interface: str  # the name on the wire
    logical: str  # the standard name it stands for (through `interfaces`)
    envelope: dict[str, Any]
    headers: dict[str, str]
    payload: Any = None  # decrypted and parsed (Decimals for numbers); None when it never got that far
    plaintext: str = ""
    ret: int = 0  # what the fake answered
    answer: Any = None


@dataclass
class Script:
    """How to answer the next `times` calls to `interface` (wire or logical name) instead of the default."""

    interface: str
    data: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None  # replaces the default answer
    ret: int = 0
    msg: str | None = None
    garbage: bool = False  # a non-envelope body with HTTP 200
    http_status: int = 200  # ≠ 200: a bare HTTP error without an envelope
    bad_sig: bool = False
    hold: asyncio.Event | None = None  # answer only once set (a hanging platform)
    delay: float = 0.0  # answer this many seconds late (a slow platform)
    times: int | None = 1  # None: every time


@dataclass
class RawAnswer:
    status: int
    body: Any  # parsed JSON, or the text when it is not JSON


def _default_policy() -> list[dict[str, Any]]:
    return [{"StartTime": "000000", "ElecPrice": Decimal("1.0000"), "SevicePrice": Decimal("0.8000")}]


@dataclass
class FakePlatform(CpoNotifications):
    """`async with FakePlatform(stations=[station("S1")]) as platform: platform.connect(hub.url) …`

    `keys` is the set this platform issued to the hub (the hub's `their_*`), `hub_keys` the set the hub issued
    to it (the hub's unprefixed keys); `partner_settings(platform)` gives the hub's config entry."""

    operator_id: str = "MA005DBW1"
    name: str = "快电"
    kind: str = "operator"
    ocpi_party: str = "CN*KDN"
    hub_operator_id: str = "MA24YKWR9"  # the OperatorID the hub uses towards this platform
    base_path: str = "/evcs/v1.0"
    keys: Keys = field(default_factory=Keys.random)
    hub_keys: Keys = field(default_factory=Keys.random)
    style: Style = field(default_factory=Style)
    stations: list[dict[str, Any]] = field(default_factory=list)
    modified: dict[str, str] = field(default_factory=dict)  # StationID → last change (yyyy-MM-dd HH:mm:ss)
    statuses: dict[str, int] = field(default_factory=dict)  # ConnectorID → Status (default 1 free)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ConnectorID → PolicyInfos
    default_policy: list[dict[str, Any]] = field(default_factory=_default_policy)
    orders: dict[str, business.Order] = field(default_factory=dict)  # StartChargeSeq → order (as CPO)
    interfaces: dict[str, str] = field(default_factory=dict)  # logical → this platform's name for it
    aliases: dict[str, str] = field(default_factory=dict)  # names it calls on the hub → hub interface
    behaviours: dict[str, business.Behaviour] = field(default_factory=dict)  # logical → answer, overrides
    token_lifetime: int = 7200
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    extra_settings: dict[str, Any] = field(default_factory=dict)  # added to partner_settings()
    calls: list[Received] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    tokens: dict[str, datetime] = field(default_factory=dict)  # tokens issued to the hub → expiry
    hub_url: str = ""  # where the hub serves 互联互通 (connect())
    url: str = ""

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._seq = SeqCounter()
        self._hub_token: tuple[str, datetime] | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> FakePlatform:
        app = web.Application()
        app.router.add_post(self.base_path.rstrip("/") + "/{interface}", self._serve)
        self._runner, self.url = await serve_on_loopback(app)
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        for script in self.scripts:
            if script.hold is not None:
                script.hold.set()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakePlatform:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"{self.url}{self.base_path.rstrip('/')}/"

    def connect(self, hub_url: str, base_path: str = "/evcs/v1.0") -> None:
        self.hub_url = hub_url.rstrip("/") + base_path.rstrip("/")

    def now(self) -> datetime:
        return self.clock()

    # --- test helpers -------------------------------------------------------------------------------------
    def status_of(self, connector_id: str) -> int:
        return self.statuses.get(connector_id, 1)

    def logical(self, wire_name: str) -> str:
        return next((k for k, v in self.interfaces.items() if v == wire_name), wire_name)

    def script(self, interface: str, **kwargs: Any) -> Script:
        """Answer the next call(s) to `interface` as told: `data=`, `ret=`, `garbage=True`, `http_status=`,
        `bad_sig=True`, `hold=asyncio.Event()`, `delay=`, `times=None` (always)."""
        script = Script(interface, **kwargs)
        self.scripts.append(script)
        return script

    def hang(self, interface: str, *, times: int | None = 1) -> asyncio.Event:
        event = asyncio.Event()
        self.script(interface, hold=event, times=times)
        return event

    def expire_tokens(self) -> None:
        """Forget every token issued to the hub (its next call gets 4002)."""
        self.tokens.clear()

    def calls_to(self, interface: str = "") -> list[Received]:
        return [c for c in self.calls if not interface or interface in (c.interface, c.logical)]

    async def wait_for_calls(
        self, interface: str = "", *, count: int = 1, within: float = 5.0
    ) -> list[Received]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(interface)) >= count)
        return self.calls_to(interface)

    # --- server side --------------------------------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.StreamResponse:
        wire_name = request.match_info["interface"]
        received = Received(wire_name, self.logical(wire_name), {}, dict(request.headers))
        body = await request.read()
        self.calls.append(received)  # recorded before any scripted hold, so tests can wait for it
        answer = await self._answer(received, body)
        await self._note_change()
        return answer

    async def _note_change(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _answer(self, received: Received, body: bytes) -> web.StreamResponse:
        try:
            envelope = loads(body)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict) or not all(
            isinstance(envelope.get(f), str) for f in ENVELOPE_FIELDS
        ):
            return self._reply(received, 4003, None, signed=False)
        received.envelope = envelope
        if envelope["OperatorID"] != self.hub_operator_id:
            return self._reply(received, 4003, None, signed=False)
        parts = (envelope["OperatorID"], envelope["Data"], envelope["TimeStamp"], envelope["Seq"])
        if not sig_matches(self.keys.sig_secret, envelope["Sig"], *parts):
            return self._reply(received, 4001, None)
        is_token = received.logical == "query_token"
        if not is_token and not self._token_valid(received.headers.get("Authorization", "")):
            return self._reply(received, 4002, None)
        plain = is_token and self.style.plain_token_data
        try:
            text = (
                envelope["Data"]
                if plain
                else decrypt(envelope["Data"], self.keys.data_secret, self.keys.data_iv)
            )
            received.plaintext = text if isinstance(text, str) else text.decode()
            received.payload = loads(received.plaintext)
        except ValueError:
            return self._reply(received, 4004 if plain or received.plaintext else 4003, None)
        script = self._take_script(received)
        if script is not None:
            if script.hold is not None:
                await self._note_change()
                await script.hold.wait()
            if script.delay:
                await asyncio.sleep(script.delay)  # the point of the switch: a slow platform (spec §2.8)
            if script.garbage:
                received.ret = -999
                return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
            if script.http_status != 200:
                received.ret = -script.http_status
                return web.Response(status=script.http_status, text="upstream error")
            if script.ret:
                return self._reply(received, script.ret, None, msg=script.msg, bad_sig=script.bad_sig)
            if script.data is not None:
                data = script.data(received.payload) if callable(script.data) else script.data
                return self._reply(received, 0, data, msg=script.msg, bad_sig=script.bad_sig, plain=plain)
        data = self._behaviour(received.logical, received.envelope, received.payload)
        bad_sig = script is not None and script.bad_sig
        return self._reply(
            received, 0, data, msg=script.msg if script else None, bad_sig=bad_sig, plain=plain
        )

    def _take_script(self, received: Received) -> Script | None:
        for script in self.scripts:
            if script.interface in (received.interface, received.logical) and script.times != 0:
                if script.times is not None:
                    script.times -= 1
                return script
        return None

    def _behaviour(self, logical: str, envelope: dict[str, Any], payload: Any) -> dict[str, Any]:
        if logical == "query_token":
            return self._issue_token(envelope, payload)
        behaviour = self.behaviours.get(logical) or business.DEFAULT_BEHAVIOURS.get(logical)
        return (behaviour or business.generic_receipt)(self, payload)

    def _issue_token(self, envelope: dict[str, Any], payload: Any) -> dict[str, Any]:
        operator_id = get(payload, "OperatorID")
        refusal = {"OperatorID": operator_id, "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0}
        if operator_id != envelope["OperatorID"]:
            return {**refusal, "FailReason": 1}
        if get(payload, "OperatorSecret") != self.keys.operator_secret:
            return {**refusal, "FailReason": 2}
        token = secrets.token_hex(16)
        self.tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
        return {"OperatorID": operator_id, "SuccStat": 0, "AccessToken": token,
                "TokenAvailableTime": self.token_lifetime, "FailReason": 0}  # fmt: skip

    def _token_valid(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and expiry > self.now()

    def _reply(
        self, received: Received, ret: int, data: Any, *, msg: str | None = None, signed: bool = True,
        bad_sig: bool = False, plain: bool = False,
    ) -> web.Response:  # fmt: skip
        received.ret, received.answer = ret, data
        text = msg if msg is not None else ("请求成功" if ret == 0 else "请求失败")
        body = response_body(ret, text, data, self.keys, self.style, plain=plain)
        if not signed:
            body["Sig"] = ""
        elif bad_sig:
            body["Sig"] = "0" * 32
        return web.json_response(body, dumps=lambda value: _json_text(value))

    # --- client side: the platform calls the hub ---------------------------------------------------------
    def envelope(
        self, payload: Any, *, keys: Keys | None = None, operator_id: str | None = None, plain: bool = False,
        style: Style | None = None,
    ) -> dict[str, str]:  # fmt: skip
        timestamp, seq = self._seq.next(self.now())
        return request_body(
            operator_id or self.operator_id,
            payload,
            keys or self.hub_keys,
            timestamp,
            seq,
            style or self.style,
            plain=plain,
        )

    async def post_raw(self, interface: str, body: Any, *, token: str | None = None) -> RawAnswer:
        """POST anything (an envelope dict, bytes, text) to the hub's `interface`, answer unparsed."""
        assert self._session is not None, "start() the platform first"
        assert self.hub_url, "connect() the platform to the hub first"
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = body if isinstance(body, bytes | str) else _json_text(body)
        async with self._session.post(f"{self.hub_url}/{interface}", data=data, headers=headers) as response:
            text = await response.text()
        try:
            return RawAnswer(response.status, loads(text))
        except ValueError:
            return RawAnswer(response.status, text)

    def open_answer(self, body: Any, *, plain: bool = False, check_sig: bool = True) -> tuple[int, str, Any]:
        """(Ret, Msg, decrypted Data or None) of a hub answer; Sig checked over Ret+Msg+Data (spec §2.5)."""
        assert isinstance(body, dict), f"the hub answered no envelope: {body!r}"
        ret, msg, data = int(body["Ret"]), body.get("Msg") or "", body.get("Data") or ""
        if check_sig:
            assert sig_matches(self.hub_keys.sig_secret, body.get("Sig"), str(ret), msg, data), (
                "bad answer Sig"
            )
        if not data:
            return ret, msg, None
        text = data if plain else decrypt(data, self.hub_keys.data_secret, self.hub_keys.data_iv).decode()
        return ret, msg, loads(text)

    async def call_hub(
        self, interface: str, payload: Any, *, token: str | None = None, retry: bool = True
    ) -> tuple[int, str, Any]:
        """Call the hub like a partner: a token first (cached; re-fetched once on 4002), then the call."""
        if interface == "query_token":
            plain = self.style.plain_token_data
            answer = await self.post_raw(interface, self.envelope(payload, plain=plain))
            return self.open_answer(answer.body, plain=plain)
        given = token is not None
        token = token if given else await self.hub_token()
        answer = await self.post_raw(interface, self.envelope(payload), token=token)
        result = self.open_answer(answer.body)
        if result[0] == 4002 and retry and not given:
            self._hub_token = None
            answer = await self.post_raw(interface, self.envelope(payload), token=await self.hub_token())
            result = self.open_answer(answer.body)
        return result

    async def hub_token(self) -> str:
        if self._hub_token is not None and self._hub_token[1] > self.now():
            return self._hub_token[0]
        payload = {"OperatorID": self.operator_id, "OperatorSecret": self.hub_keys.operator_secret}
        ret, msg, data = await self.call_hub("query_token", payload)
        if ret != 0 or data is None or int(get(data, "SuccStat", 1)) != 0:
            raise HubRefusedError(f"query_token: Ret {ret} {msg} {data!r}")
        lifetime = int(get(data, "TokenAvailableTime", 7200))
        self._hub_token = (str(get(data, "AccessToken")), self.now() + timedelta(seconds=lifetime - 300))
        return self._hub_token[0]


def _json_text(value: Any) -> str:
    return dumps(value)


def partner_settings(platform: FakePlatform) -> dict[str, Any]:
    """The hub's `[[interconnect.partners]]` entry for this platform (keys both directions, spec §1.3)."""
    settings: dict[str, Any] = {
        "name": platform.name, "operator_id": platform.operator_id, "kind": platform.kind,
        "base_url": platform.base_url, "ocpi_party": platform.ocpi_party,
        "our_operator_id": platform.hub_operator_id, "allow_ips": ["127.0.0.1"],
        "operator_secret": platform.hub_keys.operator_secret, "data_secret": platform.hub_keys.data_secret,
        "data_iv": platform.hub_keys.data_iv, "sig_secret": platform.hub_keys.sig_secret,
        "their_operator_secret": platform.keys.operator_secret,
        "their_data_secret": platform.keys.data_secret, "their_data_iv": platform.keys.data_iv,
        "their_sig_secret": platform.keys.sig_secret,
    }  # fmt: skip
    if platform.interfaces:
        settings["interfaces"] = dict(platform.interfaces)
    if platform.aliases:
        settings["aliases"] = dict(platform.aliases)
    if platform.style.service_spelling != "Sevice":
        settings["service_spelling"] = platform.style.service_spelling
    if platform.style.plain_token_data:
        settings["plain_token_data"] = True
    return {**settings, **platform.extra_settings}
