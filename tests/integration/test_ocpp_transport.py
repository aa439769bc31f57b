"""The OCPP-J transport over real loopback websockets: framing errors, in-order answers, the hub's own CALLs
(deadline, late replies, CALLERROR, closing), subprotocol negotiation, admission (Basic auth, 401/404),
reconnects, size limits. Most tests run `setup_ocpp` with an in-memory core so they can steer the core's
answers; the `hub` tests at the end run the same checks against the real app."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import aiohttp
import pytest
import structlog
import structlog.testing
from aiohttp import web

from hub.core.chargepoint import (
    AdmissionResult,
    BootInfo,
    BootResult,
    ChargePointEvent,
    StatusReport,
    TransactionOutcome,
    TransactionReport,
)
from hub.core.errors import HubTimeoutError, NotFoundError, UnavailableError
from hub.core.metrics import METRICS
from hub.core.models import AuthorizationDecision, AuthorizationStatus, BootStatus, MeterSample
from hub.ocpp.errors import CallErrorReceived
from hub.ocpp.gateway import OcppGateway
from hub.ocpp.protocol import HandlerContext, VersionSpec
from hub.ocpp.rpc import Connection
from hub.ocpp.server import OcppServerConfig, basic_credentials, identity_from_path, setup_ocpp
from hub.ocpp.simulator import SimulatedStation, StationCallError
from hub.ocpp.v16 import VERSION as V16

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
MakeFakeHub = Callable[..., Awaitable["FakeHub"]]
PASSWORD = "a-very-secret-password-16"


@dataclass
class FakeCore:
    """An in-memory ChargePointApi: known stations with passwords, records every call."""

    passwords: dict[str, str | None] = field(default_factory=lambda: {"CP1": PASSWORD, "OPEN": None})
    accept_unknown: bool = False
    accepted: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    live: dict[str, int] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _note(self, name: str, station_id: str, arg: Any = None) -> None:
        self.calls.append((name, station_id, arg))
        self.changed.set()

    def names(self, station_id: str | None = None) -> list[str]:
        return [name for name, sid, _ in self.calls if station_id is None or sid == station_id]

    async def wait_for(self, name: str, count: int = 1) -> None:
        async with asyncio.timeout(5):
            while self.names().count(name) < count:
                self.changed.clear()
                await self.changed.wait()

    async def admit(
        self, station_id: str, password: str | None, client_cert_cn: str | None
    ) -> AdmissionResult:
        self._note("admit", station_id, password)
        if station_id not in self.passwords:
            return AdmissionResult(admitted=self.accept_unknown, known=False, reason="unknown station")
        expected = self.passwords[station_id]
        ok = expected is None or password == expected
        return AdmissionResult(admitted=ok, known=True, reason=None if ok else "wrong password")

    async def connected(self, station_id: str, protocol: str) -> None:
        self.live[station_id] = self.live.get(station_id, 0) + 1
        self._note("connected", station_id, protocol)

    async def disconnected(self, station_id: str) -> None:
        # Like the real core: sockets are counted; the station is offline when the last one closed.
        self.live[station_id] -= 1
        self._note("disconnected", station_id)
        if self.live[station_id] == 0:
            self._note("offline", station_id)

    async def boot(self, station_id: str, info: BootInfo) -> BootResult:
        self._note("boot", station_id, info)
        self.accepted.add(station_id)
        return BootResult(status=BootStatus.ACCEPTED, interval_s=300, current_time=NOW)

    async def heartbeat(self, station_id: str) -> datetime:
        self._note("heartbeat", station_id)
        return NOW

    def is_accepted(self, station_id: str) -> bool:
        return station_id in self.accepted

    async def status(self, station_id: str, report: StatusReport) -> None:
        self._note("status", station_id, report)

    async def authorize(
        self, station_id: str, id_tag: str, evse_no: int | None = None
    ) -> AuthorizationDecision:
        self._note("authorize", station_id, id_tag)
        if id_tag == "missing":
            raise NotFoundError("no such token")
        if id_tag == "boom":
            raise RuntimeError("core bug")
        return AuthorizationDecision(status=AuthorizationStatus.ALLOWED)

    async def transaction(self, station_id: str, report: TransactionReport) -> TransactionOutcome:
        self._note("transaction", station_id, report)
        return TransactionOutcome(session=None, transaction_id="7", authorization=None)

    async def meter_values(
        self, station_id: str, evse_no: int, transaction_id: str | None, samples: tuple[MeterSample, ...]
    ) -> None:
        self._note("meter_values", station_id, samples)

    async def record(self, station_id: str, event: ChargePointEvent) -> None:
        self._note("record", station_id, event)


@dataclass
class FakeHub:
    url: str
    core: FakeCore
    gateway: OcppGateway
    config: OcppServerConfig

    def ws_url(self, station_id: str) -> str:
        return f"{self.url}/ocpp/{station_id}"

    async def connection(self, station_id: str) -> Connection:
        """The live connection, once the server told the core it is open."""
        async with asyncio.timeout(5):
            while not self.gateway.is_connected(station_id) or ("connected", station_id) not in {
                (name, sid) for name, sid, _ in self.core.calls
            }:
                self.core.changed.clear()
                await self.core.changed.wait()
        return self.gateway.connection(station_id)


# Test-only handlers on top of 1.6's: a blocking one and one that spawns post-reply work.
GATE: dict[str, asyncio.Event] = {}


async def _on_blocking(ctx: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    await GATE[ctx.station_id].wait()
    return {"currentTime": "2026-01-01T00:00:00Z"}


async def _on_spawning(ctx: HandlerContext, payload: dict[str, Any]) -> dict[str, Any]:
    async def after() -> None:
        ctx.connection.state["after_reply"] = await ctx.connection.call("Reset", {"type": "Soft"})
        ctx.connection.state["done"].set()

    ctx.connection.spawn(after(), "post-heartbeat")
    return {"currentTime": "2026-01-01T00:00:00Z"}


def spec_with(**changes: Any) -> VersionSpec:
    handlers = dict(V16.handlers)
    handlers["Heartbeat"] = changes.pop("heartbeat", V16.handlers["Heartbeat"])
    values = {**V16.__dict__, "handlers": MappingProxyType(handlers), **changes}
    return VersionSpec(**values)


@pytest.fixture
async def make_fake_hub() -> AsyncIterator[MakeFakeHub]:
    runners: list[web.AppRunner] = []

    async def start(
        core: FakeCore | None = None, versions: dict[str, VersionSpec] | None = None, **config: Any
    ) -> FakeHub:
        core = core or FakeCore()
        cfg = OcppServerConfig(**{"call_timeout_s": 5.0, **config})
        app = web.Application()
        gateway = setup_ocpp(app, core, cfg, versions=versions or {"ocpp1.6": V16})
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return FakeHub(f"ws://127.0.0.1:{port}", core, gateway, cfg)

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


@pytest.fixture
async def fake_hub(make_fake_hub: MakeFakeHub) -> FakeHub:
    return await make_fake_hub()


@pytest.fixture
async def station(fake_hub: FakeHub) -> AsyncIterator[SimulatedStation]:
    sim = SimulatedStation(fake_hub.url + "/ocpp", "OPEN")
    await sim.connect()
    yield sim
    await sim.close()


async def raw_reply(station: SimulatedStation) -> list[Any]:
    frame = json.loads(await station.recv_raw(timeout=5))
    assert isinstance(frame, list)
    return frame


# --- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/ocpp/CP001", "CP001"),
        ("/ocpp/a%20b", "a b"),
        ("/ocpp/site/CP%2F01", None),  # decoded '/' is not an identity character
        ("/ocpp/CP%3A1", None),  # ':' would break the Basic-auth username
        ("/ocpp/" + "x" * 48, "x" * 48),
        ("/ocpp/" + "x" * 49, None),
        ("/ocpp/", None),
        ("/ocpp/%E4%BD%A0%E5%A5%BD?x=1", "你好"),
        ("/ocpp/%FF", None),
    ],
)
def test_identity_is_the_last_path_segment_percent_decoded(raw: str, expected: str | None) -> None:
    assert identity_from_path(raw) == expected


def test_basic_credentials_parsing() -> None:
    header = "Basic " + base64.b64encode(b"CP1:pa:ss").decode()
    assert basic_credentials(header) == ("CP1", "pa:ss")
    assert basic_credentials("Bearer abc") is None
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials(None) is None
    binary = "Basic " + base64.b64encode(b"CP1:\xff\x00\x01").decode()
    assert basic_credentials(binary) == ("CP1", "\xff\x00\x01")


# --- framing ----------------------------------------------------------------------------------------


async def test_heartbeat_round_trip_echoes_the_message_id(station: SimulatedStation) -> None:
    await station.send_raw(json.dumps([2, "abc-1", "Heartbeat", {}]))
    frame = await raw_reply(station)
    assert frame[:2] == [3, "abc-1"]
    assert frame[2]["currentTime"].startswith("2026-01-01T12:00:00")


@pytest.mark.parametrize(
    ("text", "expected_id", "code"),
    [
        ("{not json", "-1", "FormatViolation"),
        ('{"a": 1}', "-1", "ProtocolError"),
        ("[2]", "-1", "ProtocolError"),
        ('[2, 17, "Heartbeat", {}]', "-1", "ProtocolError"),
        ('[2, "id-9", "Heartbeat", []]', "id-9", "ProtocolError"),
        ('[2, "id-8", 5, {}]', "id-8", "ProtocolError"),
        ('[2, "id-7", "Heartbeat"]', "id-7", "ProtocolError"),
    ],
)
async def test_malformed_frames_get_a_callerror_and_the_connection_survives(
    station: SimulatedStation, text: str, expected_id: str, code: str
) -> None:
    await station.send_raw(text)
    frame = await raw_reply(station)
    assert frame[0] == 4
    assert frame[1] == expected_id
    assert frame[2] == code
    assert isinstance(frame[3], str)
    assert isinstance(frame[4], dict)
    assert await station.heartbeat()


async def test_unknown_message_type_and_stray_replies_are_ignored(station: SimulatedStation) -> None:
    await station.send_raw('[7, "x", "Heartbeat", {}]')
    await station.send_raw('[3, "never-sent", {}]')
    await station.send_raw('[4, "never-sent", "GenericError", "", {}]')
    assert (await station.heartbeat())["currentTime"]
    with pytest.raises(TimeoutError):
        await station.recv_raw(timeout=0.2)


async def test_unknown_action_is_not_implemented_and_unhandled_known_action_not_supported(
    station: SimulatedStation,
) -> None:
    with pytest.raises(StationCallError) as unknown:
        await station.call("FlyToTheMoon", {})
    assert unknown.value.code == "NotImplemented"
    with pytest.raises(StationCallError) as unhandled:
        await station.call("SignCertificate", {"csr": "x"})
    assert unhandled.value.code == "NotSupported"
    assert await station.heartbeat()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"idTag": "ABC", "extra": 1}, "FormatViolation"),  # additional property
        ({}, "ProtocolError"),  # required missing
        ({"idTag": 12}, "TypeConstraintViolation"),  # wrong type
        ({"idTag": "X" * 21}, "TypeConstraintViolation"),  # too long
    ],
)
async def test_schema_violations_map_to_the_callerror_codes(
    station: SimulatedStation, fake_hub: FakeHub, payload: dict[str, Any], code: str
) -> None:
    with pytest.raises(StationCallError) as err:
        await station.call("Authorize", payload)
    assert err.value.code == code
    assert "authorize" not in fake_hub.core.names()


async def test_enum_and_format_violations_are_format_violation(station: SimulatedStation) -> None:
    bad_status = {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}
    with pytest.raises(StationCallError) as err:
        await station.call("StatusNotification", bad_status)
    assert err.value.code == "FormatViolation"
    bad_time = {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "yesterday"}
    with pytest.raises(StationCallError) as err:
        await station.call("StartTransaction", bad_time)
    assert err.value.code == "FormatViolation"


async def test_lenient_validation_logs_and_goes_on(make_fake_hub: MakeFakeHub) -> None:
    hub = await make_fake_hub(validation="lenient")
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        answer = await sim.call("Authorize", {"idTag": "X" * 25, "vendorExtra": True})
        assert answer == {"idTagInfo": {"status": "Accepted"}}
        # Still unusable data (no idTag at all) is refused with the violation's code, not InternalError.
        with pytest.raises(StationCallError) as err:
            await sim.call("Authorize", {})
        assert err.value.code == "ProtocolError"


async def test_core_errors_map_to_callerrors_and_the_connection_survives(station: SimulatedStation) -> None:
    with pytest.raises(StationCallError) as not_found:
        await station.call("Authorize", {"idTag": "missing"})
    assert not_found.value.code == "PropertyConstraintViolation"
    with pytest.raises(StationCallError) as internal:
        await station.call("Authorize", {"idTag": "boom"})
    assert internal.value.code == "InternalError"
    assert "core bug" not in internal.value.description
    assert await station.authorize("fine")


async def test_binary_frames_are_ignored(station: SimulatedStation, fake_hub: FakeHub) -> None:
    conn = await fake_hub.connection("OPEN")
    assert station._ws is not None
    await station._ws.send_bytes(b"\x00\x01binary")
    assert await station.heartbeat()
    assert not conn.closed


async def test_oversize_frame_closes_the_socket_with_1009(
    make_fake_hub: MakeFakeHub,
) -> None:
    hub = await make_fake_hub(max_message_bytes=1024)
    other = SimulatedStation(hub.url + "/ocpp", "OTHER")
    hub.core.passwords["OTHER"] = None
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        await other.connect()
        await sim.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "v", "data": "x" * 4000}]))
        assert await sim.wait_closed(timeout=5) == 1009
    await hub.core.wait_for("offline")
    assert await other.heartbeat()  # another station is not affected
    await other.close()


async def test_calls_are_answered_one_at_a_time_in_order(
    make_fake_hub: MakeFakeHub,
) -> None:
    GATE["OPEN"] = asyncio.Event()
    hub = await make_fake_hub(versions={"ocpp1.6": spec_with(heartbeat=_on_blocking)})
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        await sim.send_raw(json.dumps([2, "m1", "Heartbeat", {}]))
        await sim.send_raw(json.dumps([2, "m2", "Authorize", {"idTag": "A"}]))
        await sim.send_raw(json.dumps([2, "m3", "Authorize", {"idTag": "B"}]))
        with pytest.raises(TimeoutError):
            await sim.recv_raw(timeout=0.2)  # m2 and m3 wait behind the blocked m1
        GATE["OPEN"].set()
        ids = [(await raw_reply(sim))[1] for _ in range(3)]
        assert ids == ["m1", "m2", "m3"]


async def test_hub_call_is_answered_while_a_station_call_is_being_handled(
    make_fake_hub: MakeFakeHub,
) -> None:
    """No deadlock: the read loop resolves the hub's CALL while the worker is busy with the station's."""
    GATE["OPEN"] = asyncio.Event()
    hub = await make_fake_hub(versions={"ocpp1.6": spec_with(heartbeat=_on_blocking)})
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        conn = await hub.connection("OPEN")
        await sim.send_raw(json.dumps([2, "blocked", "Heartbeat", {}]))
        answer = await conn.call("Reset", {"type": "Soft"}, timeout=3)
        assert answer == {"status": "Accepted"}
        GATE["OPEN"].set()
        assert (await raw_reply(sim))[:2] == [3, "blocked"]


async def test_spawned_work_runs_after_the_reply_was_sent(
    make_fake_hub: MakeFakeHub,
) -> None:
    hub = await make_fake_hub(versions={"ocpp1.6": spec_with(heartbeat=_on_spawning)})
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        conn = await hub.connection("OPEN")
        conn.state["done"] = asyncio.Event()
        assert await sim.heartbeat()
        assert await sim.wait_for_call("Reset") == {"type": "Soft"}
        async with asyncio.timeout(5):
            await conn.state["done"].wait()
        assert conn.state["after_reply"] == {"status": "Accepted"}


# --- the hub's own CALLs ------------------------------------------------------------------------------


async def test_call_returns_the_validated_answer_and_counts_it(
    station: SimulatedStation, fake_hub: FakeHub
) -> None:
    labels = {"action": "Reset", "direction": "out", "result": "ok"}
    before = METRICS.counter("ocpp_messages_total").value(labels)
    conn = await fake_hub.connection("OPEN")
    assert await conn.call("Reset", {"type": "Hard"}) == {"status": "Accepted"}
    assert await station.wait_for_call("Reset") == {"type": "Hard"}
    assert METRICS.counter("ocpp_messages_total").value(labels) == before + 1


async def test_call_error_from_station_raises_call_error_received(
    station: SimulatedStation, fake_hub: FakeHub
) -> None:
    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        raise StationCallError("NotSupported", "no resets here")

    station.handlers["Reset"] = refuse
    conn = await fake_hub.connection("OPEN")
    with pytest.raises(CallErrorReceived) as err:
        await conn.call("Reset", {"type": "Hard"})
    assert err.value.code == "NotSupported"
    assert err.value.description == "no resets here"


async def test_invalid_answer_is_a_format_violation(station: SimulatedStation, fake_hub: FakeHub) -> None:
    station.handlers["Reset"] = lambda payload: {"status": "Maybe"}
    conn = await fake_hub.connection("OPEN")
    with pytest.raises(Exception) as err:  # noqa: PT011 - the CallError subclass is asserted below
        await conn.call("Reset", {"type": "Hard"})
    assert getattr(err.value, "code", None) == "FormatViolation"


async def test_call_timeout_then_late_reply_is_dropped(station: SimulatedStation, fake_hub: FakeHub) -> None:
    release = asyncio.Event()

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "Accepted"}

    station.handlers["Reset"] = slow
    conn = await fake_hub.connection("OPEN")
    with pytest.raises(HubTimeoutError):
        await conn.call("Reset", {"type": "Hard"}, timeout=0.2)
    release.set()  # the late CALLRESULT arrives now and is dropped
    station.handlers["Reset"] = lambda payload: {"status": "Rejected"}
    assert await conn.call("Reset", {"type": "Soft"}) == {"status": "Rejected"}


async def test_one_outstanding_call_at_a_time(station: SimulatedStation, fake_hub: FakeHub) -> None:
    release = asyncio.Event()

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "Accepted"}

    station.handlers["Reset"] = slow
    conn = await fake_hub.connection("OPEN")
    first = asyncio.create_task(conn.call("Reset", {"type": "Hard"}))
    second = asyncio.create_task(conn.call("ClearCache", {}))
    await station.wait_for_call("Reset")
    with pytest.raises(TimeoutError):
        await station.wait_for_call("ClearCache", timeout=0.2)  # not sent before the first is answered
    release.set()
    assert await first == {"status": "Accepted"}
    assert await second == {"status": "Accepted"}


async def test_deadline_includes_waiting_for_the_lock(station: SimulatedStation, fake_hub: FakeHub) -> None:
    release = asyncio.Event()

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "Accepted"}

    station.handlers["Reset"] = slow
    conn = await fake_hub.connection("OPEN")
    first = asyncio.create_task(conn.call("Reset", {"type": "Hard"}, timeout=5))
    await station.wait_for_call("Reset")
    with pytest.raises(HubTimeoutError):
        await conn.call("ClearCache", {}, timeout=0.2)
    release.set()
    assert await first == {"status": "Accepted"}


async def test_closing_fails_the_outstanding_call_fast(station: SimulatedStation, fake_hub: FakeHub) -> None:
    never = asyncio.Event()

    async def hang(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return {"status": "Accepted"}

    station.handlers["Reset"] = hang
    conn = await fake_hub.connection("OPEN")
    pending = asyncio.create_task(conn.call("Reset", {"type": "Hard"}, timeout=30))
    await station.wait_for_call("Reset")
    await station.close()
    with pytest.raises(UnavailableError):
        async with asyncio.timeout(3):
            await pending
    with pytest.raises(UnavailableError):
        await conn.call("Reset", {"type": "Hard"})
    with pytest.raises(UnavailableError):
        await fake_hub.gateway.reset("OPEN", hard=True)
    await fake_hub.core.wait_for("disconnected")
    assert not fake_hub.gateway.is_connected("OPEN")


# --- handshake: admission, subprotocols, reconnects ----------------------------------------------------


async def test_basic_auth_right_wrong_and_missing(fake_hub: FakeHub) -> None:
    async with SimulatedStation(fake_hub.url + "/ocpp", "CP1", password=PASSWORD) as sim:
        assert await sim.heartbeat()
    for password in ("wrong-password-123456", None):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await SimulatedStation(fake_hub.url + "/ocpp", "CP1", password=password).connect()
        assert err.value.status == 401
        assert err.value.headers is not None
        assert err.value.headers["WWW-Authenticate"].startswith("Basic")


async def test_passwords_never_reach_the_log(fake_hub: FakeHub) -> None:
    with structlog.testing.capture_logs() as logs:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await SimulatedStation(fake_hub.url + "/ocpp", "CP1", password="wrong-password-123456").connect()
        async with SimulatedStation(fake_hub.url + "/ocpp", "CP1", password=PASSWORD) as sim:
            assert await sim.heartbeat()
    assert any(entry["event"] == "ocpp.authentication_failed" for entry in logs)
    text = repr(logs)
    assert "wrong-password-123456" not in text
    assert PASSWORD not in text


async def test_username_must_equal_the_identity(fake_hub: FakeHub) -> None:
    auth = "Basic " + base64.b64encode(f"SOMEONE:{PASSWORD}".encode()).decode()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await session.ws_connect(
                fake_hub.ws_url("CP1"), protocols=("ocpp1.6",), headers={"Authorization": auth}
            )
    assert err.value.status == 401


async def test_unknown_station_is_404_unless_accepted(
    make_fake_hub: MakeFakeHub,
) -> None:
    closed = await make_fake_hub()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await SimulatedStation(closed.url + "/ocpp", "STRANGER").connect()
    assert err.value.status == 404
    assert "connected" not in closed.core.names()
    open_hub = await make_fake_hub(FakeCore(accept_unknown=True))
    async with SimulatedStation(open_hub.url + "/ocpp", "STRANGER") as sim:
        assert await sim.heartbeat()


async def test_invalid_identity_is_refused_before_the_upgrade(fake_hub: FakeHub) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await session.ws_connect(fake_hub.ws_url("x" * 49), protocols=("ocpp1.6",))
    assert err.value.status == 404
    assert fake_hub.core.calls == []


async def test_subprotocol_preference_and_no_match(make_fake_hub: MakeFakeHub) -> None:
    other = spec_with(protocol="ocpp2.0.1")
    hub = await make_fake_hub(versions={"ocpp1.6": V16, "ocpp2.0.1": other})
    async with aiohttp.ClientSession() as session:
        # The station lists 1.6 first; the hub's preference (2.0.1 first) decides.
        ws = await session.ws_connect(hub.ws_url("OPEN"), protocols=("ocpp1.6", "ocpp2.0.1"))
        assert ws.protocol == "ocpp2.0.1"
        await ws.close()
        ws = await session.ws_connect(hub.ws_url("OPEN"), protocols=("ocpp1.6",))
        assert ws.protocol == "ocpp1.6"
        await ws.close()
        ws = await session.ws_connect(hub.ws_url("OPEN"), protocols=("ocpp2.1", "foo"))
        assert ws.protocol is None  # handshake completed without Sec-WebSocket-Protocol ...
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE  # ... and closed at once
        assert ws.close_code == 1002 or msg.data == 1002
        await ws.close()
    protocols = [arg for name, _, arg in hub.core.calls if name == "connected"]
    assert protocols == ["ocpp2.0.1", "ocpp1.6"]


async def test_reconnect_replaces_the_old_socket(fake_hub: FakeHub) -> None:
    first = SimulatedStation(fake_hub.url + "/ocpp", "OPEN")
    await first.connect()
    old = await fake_hub.connection("OPEN")
    second = SimulatedStation(fake_hub.url + "/ocpp", "OPEN")
    await second.connect()
    assert await first.wait_closed(timeout=5) is not None
    await old.wait_closed()
    assert fake_hub.gateway.connection("OPEN") is not old
    assert fake_hub.gateway.connected_count() == 1
    # The old socket's close was counted after the new one opened: the station never went offline.
    await fake_hub.core.wait_for("disconnected")
    assert fake_hub.core.names() == ["admit", "connected", "admit", "connected", "disconnected"]
    assert fake_hub.core.live["OPEN"] == 1
    assert await fake_hub.gateway.reset("OPEN", hard=False)
    assert await second.wait_for_call("Reset") == {"type": "Soft"}
    await second.close()
    await fake_hub.core.wait_for("offline")


async def test_message_before_boot_is_processed_leniently(
    station: SimulatedStation, fake_hub: FakeHub
) -> None:
    assert not fake_hub.core.is_accepted("OPEN")
    await station.status(1, "Available")
    assert "status" in fake_hub.core.names()


async def test_message_before_boot_is_security_error_when_the_version_requires(
    make_fake_hub: MakeFakeHub,
) -> None:
    hub = await make_fake_hub(versions={"ocpp1.6": spec_with(reject_before_boot=True)})
    async with SimulatedStation(hub.url + "/ocpp", "OPEN") as sim:
        with pytest.raises(StationCallError) as err:
            await sim.status(1, "Available")
        assert err.value.code == "SecurityError"
        assert await sim.heartbeat()  # boot-exempt
        await sim.boot()
        await sim.status(1, "Available")


async def test_shutdown_closes_sockets_with_1001(fake_hub: FakeHub, station: SimulatedStation) -> None:
    await fake_hub.connection("OPEN")
    await fake_hub.gateway.close()
    assert await station.wait_closed(timeout=5) == 1001
    await fake_hub.core.wait_for("disconnected")
    assert fake_hub.gateway.connected_count() == 0
