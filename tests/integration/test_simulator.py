"""The station simulator (hub/ocpp/simulator/): every frame it sends or answers is valid against the
official OCPP 1.6 / 2.0.1 JSON schemas (checked by a recording fake CSMS with `jsonschema`, independent of the
hub's own validation), and simulated stations charging against the real hub leave sessions and CDRs with the
right kWh.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import aiohttp
import jsonschema
import ocpp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.ocpp.simulator import (
    OCPP16,
    OCPP201,
    SimulatedStation,
    StationCallError,
    StationClosedError,
    add_arguments,
    run_from_args,
    run_simulation,
    station_ids,
)
from tests.conftest import CP001_PASSWORD, RunningHub

StationFactory = Callable[..., Awaitable[SimulatedStation]]
HubFactory = Callable[..., Awaitable[RunningHub]]
SCHEMAS = os.path.join(os.path.dirname(os.path.realpath(ocpp.__file__)))
PROTOCOL_PARAMS = [OCPP16, OCPP201]


@cache
def validator(protocol: str, action: str, kind: str) -> jsonschema.protocols.Validator:
    if protocol == OCPP16:
        name = f"{action}.json" if kind == "Request" else f"{action}Response.json"
        path = os.path.join(SCHEMAS, "v16", "schemas", name)
    else:
        path = os.path.join(SCHEMAS, "v201", "schemas", f"{action}{kind}.json")
    with open(path, encoding="utf-8") as handle:
        schema = json.load(handle)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(protocol: str, action: str, kind: str, payload: dict[str, Any]) -> None:
    errors = [e.message for e in validator(protocol, action, kind).iter_errors(payload)]
    assert not errors, f"{protocol} {action}{kind} invalid: {errors} in {payload}"


NOW = "2025-01-01T12:00:00Z"


def canned_response(protocol: str, action: str, payload: dict[str, Any], tx_ids: itertools.count[int]) -> Any:
    accepted_16 = {"idTagInfo": {"status": "Accepted"}}
    accepted_201 = {"idTokenInfo": {"status": "Accepted"}}
    if action == "BootNotification":
        return {"status": "Accepted", "currentTime": NOW, "interval": 300}
    if action == "Heartbeat":
        return {"currentTime": NOW}
    if action == "Authorize":
        return accepted_16 if protocol == OCPP16 else accepted_201
    if action == "StartTransaction":
        return {"transactionId": next(tx_ids), **accepted_16}
    if action == "StopTransaction":
        return accepted_16 if "idTag" in payload else {}
    if action == "TransactionEvent":
        return accepted_201 if "idToken" in payload else {}
    return {}


@dataclass
class FakeCsms:
    """A recording CSMS: answers station CALLs with canned valid responses and validates both directions."""

    server: TestServer | None = None
    frames: list[tuple[str, str, str, dict[str, Any]]] = field(
        default_factory=list
    )  # station, protocol, action
    sockets: dict[str, tuple[web.WebSocketResponse, str]] = field(default_factory=dict)
    pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    tx_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    auth: dict[str, str | None] = field(default_factory=dict)

    def url(self) -> str:
        assert self.server is not None
        return f"ws://127.0.0.1:{self.server.port}/ocpp"

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        station_id = request.match_info["station_id"]
        self.auth[station_id] = request.headers.get("Authorization")
        ws = web.WebSocketResponse(protocols=(OCPP201, OCPP16), compress=False)
        await ws.prepare(request)
        protocol = ws.ws_protocol
        if protocol is None:
            await ws.close()
            return ws
        self.sockets[station_id] = (ws, protocol)
        async for message in ws:
            frame = json.loads(message.data)
            if frame[0] == 2:
                _, message_id, action, payload = frame
                assert_valid(protocol, action, "Request", payload)
                self.frames.append((station_id, protocol, action, payload))
                response = canned_response(protocol, action, payload, self.tx_ids)
                await ws.send_str(json.dumps([3, message_id, response]))
            else:
                future = self.pending.pop(frame[1])
                future.set_result(frame)
        return ws

    async def call(self, station_id: str, action: str, payload: dict[str, Any]) -> Any:
        """Send a CALL to a station; returns its CALLRESULT payload after checking it against the schema."""
        ws, protocol = self.sockets[station_id]
        assert_valid(protocol, action, "Request", payload)
        message_id = f"hub-{next(self.ids)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        await ws.send_str(json.dumps([2, message_id, action, payload]))
        async with asyncio.timeout(5):
            frame = await future
        if frame[0] == 4:
            raise StationCallError(frame[2], frame[3], frame[4])
        assert_valid(protocol, action, "Response", frame[2])
        return frame[2]

    def actions(self, station_id: str) -> list[str]:
        return [action for sid, _, action, _ in self.frames if sid == station_id]

    def payloads(self, station_id: str, action: str) -> list[dict[str, Any]]:
        return [payload for sid, _, name, payload in self.frames if sid == station_id and name == action]


@pytest.fixture
async def csms() -> AsyncIterator[FakeCsms]:
    fake = FakeCsms()
    app = web.Application()
    app.router.add_get("/ocpp/{station_id}", fake.handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def station_factory() -> AsyncIterator[Callable[..., Awaitable[SimulatedStation]]]:
    stations: list[SimulatedStation] = []

    async def make(
        url: str, station_id: str = "SIM001", protocol: str = OCPP16, **kwargs: Any
    ) -> SimulatedStation:
        station = SimulatedStation(url, station_id, protocol, **kwargs)
        stations.append(station)
        await station.connect()
        return station

    yield make
    for station in stations:
        await station.close()


# ---------------------------------------------------------------------- against the fake CSMS


async def test_ocpp16_charge_sends_schema_valid_frames_with_string_values_and_integer_wh(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIM16", OCPP16, password="a-password-of-16+")
    assert station.negotiated_protocol == OCPP16
    boot = await station.boot()
    assert boot["status"] == "Accepted"
    tx_id = await station.charge("TAG16", evse=2, energy_wh=9_000, samples=2)

    assert csms.auth["SIM16"] == "Basic " + base64.b64encode(b"SIM16:a-password-of-16+").decode()
    assert csms.actions("SIM16") == [
        "BootNotification",
        "Authorize",
        "StatusNotification",
        "StartTransaction",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "StatusNotification",
    ]
    (start,) = csms.payloads("SIM16", "StartTransaction")
    assert (start["connectorId"], start["meterStart"], start["idTag"]) == (2, 0, "TAG16")
    meter_values = csms.payloads("SIM16", "MeterValues")
    assert [m["transactionId"] for m in meter_values] == [int(tx_id)] * 2
    values = [m["meterValue"][0]["sampledValue"][0]["value"] for m in meter_values]
    assert values == ["3000", "6000"]  # strings in 1.6
    (stop,) = csms.payloads("SIM16", "StopTransaction")
    assert (stop["transactionId"], stop["meterStop"]) == (int(tx_id), 9_000)
    assert isinstance(stop["meterStop"], int)
    assert station.transactions[tx_id].ended

    # the next session continues from the EVSE's register
    await station.charge("TAG16", evse=2, energy_wh=1_000, samples=0)
    assert csms.payloads("SIM16", "StartTransaction")[1]["meterStart"] == 9_000
    assert csms.payloads("SIM16", "StopTransaction")[1]["meterStop"] == 10_000


async def test_ocpp201_transaction_events_count_seq_no_with_evse_only_in_the_first(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIM201", OCPP201)
    assert station.negotiated_protocol == OCPP201
    assert csms.auth["SIM201"] is None  # no password, no Basic auth header
    await station.boot()
    await station.status(1, "Available")
    begin = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    tx_id = await station.charge(
        "TAG201", energy_wh=12_000, samples=3, started_at=begin, duration=timedelta(hours=1)
    )

    events = csms.payloads("SIM201", "TransactionEvent")
    assert [e["eventType"] for e in events] == ["Started", "Updated", "Updated", "Updated", "Ended"]
    assert [e["seqNo"] for e in events] == [0, 1, 2, 3, 4]
    assert {e["transactionInfo"]["transactionId"] for e in events} == {tx_id}
    assert len(tx_id) == 36
    assert events[0]["evse"] == {"id": 1, "connectorId": 1}
    assert all("evse" not in e for e in events[1:])
    values = [e["meterValue"][0]["sampledValue"][0]["value"] for e in events]
    assert values == [0, 3_000, 6_000, 9_000, 12_000]  # numbers in 2.0.1
    assert events[0]["timestamp"] == "2025-03-01T10:00:00.000Z"
    assert events[-1]["timestamp"] == "2025-03-01T11:00:00.000Z"
    assert events[-1]["transactionInfo"]["stoppedReason"] == "Local"
    statuses = [p["connectorStatus"] for p in csms.payloads("SIM201", "StatusNotification")]
    assert statuses == ["Available", "Occupied", "Available"]

    # a second transaction counts its own seqNo from 0
    await station.charge("TAG201", energy_wh=1_000, samples=1)
    second = csms.payloads("SIM201", "TransactionEvent")[5:]
    assert [e["seqNo"] for e in second] == [0, 1, 2]
    assert second[0]["transactionInfo"]["transactionId"] != tx_id


async def test_connect_offering_both_protocols_uses_the_negotiated_one(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMBOTH", OCPP16)
    await station.close()
    station = SimulatedStation(csms.url(), "SIMBOTH", OCPP16)
    await station.connect(protocols=(OCPP201, OCPP16))
    try:
        assert station.negotiated_protocol == OCPP201
        await station.boot()
        assert "chargingStation" in csms.payloads("SIMBOTH", "BootNotification")[-1]
    finally:
        await station.close()


@pytest.mark.parametrize("protocol", PROTOCOL_PARAMS)
async def test_default_handlers_answer_every_hub_call_with_schema_valid_payloads(
    csms: FakeCsms, station_factory: StationFactory, protocol: str
) -> None:
    station = await station_factory(csms.url(), "SIMH", protocol)
    await station.boot()
    if protocol == OCPP16:
        calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
            ("Reset", {"type": "Soft"}, {"status": "Accepted"}),
            ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
            ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Accepted"}),
            (
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "30"},
                {"status": "Accepted"},
            ),
            ("ReserveNow", {"connectorId": 1, "expiryDate": NOW, "idTag": "T", "reservationId": 7}, {}),
            ("CancelReservation", {"reservationId": 7}, {"status": "Accepted"}),
            ("SetChargingProfile", _profile_16(), {"status": "Accepted"}),
            ("ClearChargingProfile", {"id": 1}, {"status": "Accepted"}),
            ("GetCompositeSchedule", {"connectorId": 1, "duration": 3600}, {"status": "Accepted"}),
            ("SendLocalList", {"listVersion": 1, "updateType": "Full"}, {"status": "Accepted"}),
            ("GetLocalListVersion", {}, {"listVersion": 0}),
            ("DataTransfer", {"vendorId": "x"}, {"status": "Accepted"}),
            ("ClearCache", {}, {"status": "Accepted"}),
        ]
    else:
        component = {"name": "OCPPCommCtrlr"}
        variable = {"name": "HeartbeatInterval"}
        calls = [
            ("Reset", {"type": "Immediate"}, {"status": "Accepted"}),
            ("UnlockConnector", {"evseId": 1, "connectorId": 1}, {"status": "Unlocked"}),
            ("ChangeAvailability", {"operationalStatus": "Inoperative"}, {"status": "Accepted"}),
            (
                "ReserveNow",
                {"id": 7, "expiryDateTime": NOW, "idToken": {"idToken": "T", "type": "Central"}},
                {},
            ),
            ("CancelReservation", {"reservationId": 7}, {"status": "Accepted"}),
            ("ClearChargingProfile", {"chargingProfileId": 1}, {"status": "Accepted"}),
            ("GetCompositeSchedule", {"evseId": 1, "duration": 3600}, {"status": "Accepted"}),
            ("SendLocalList", {"versionNumber": 1, "updateType": "Full"}, {"status": "Accepted"}),
            ("GetTransactionStatus", {}, {"messagesInQueue": False}),
            ("DataTransfer", {"vendorId": "x"}, {"status": "Accepted"}),
            (
                "SetVariables",
                {"setVariableData": [{"attributeValue": "60", "component": component, "variable": variable}]},
                {
                    "setVariableResult": [
                        {"attributeStatus": "Accepted", "component": component, "variable": variable}
                    ]
                },
            ),
        ]
    for action, payload, expected in calls:
        response = await csms.call("SIMH", action, payload)
        assert expected.items() <= response.items(), (action, response)
    if protocol == OCPP16:
        config = await csms.call("SIMH", "GetConfiguration", {"key": ["MeterValueSampleInterval", "Nope"]})
        assert config == {
            "configurationKey": [{"key": "MeterValueSampleInterval", "readonly": False, "value": "30"}],
            "unknownKey": ["Nope"],
        }
    else:
        got = await csms.call(
            "SIMH", "GetVariables", {"getVariableData": [{"component": component, "variable": variable}]}
        )
        assert got["getVariableResult"][0]["attributeValue"] == "60"
    assert [action for action, _ in station.received] == [c[0] for c in calls] + [
        "GetConfiguration" if protocol == OCPP16 else "GetVariables"
    ]
    assert await station.wait_for_call("Reset", timeout=1) == calls[0][1]


def _profile_16() -> dict[str, Any]:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    }


async def test_ocpp16_remote_start_and_stop_really_start_and_stop_a_transaction(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMRS", OCPP16)
    await station.boot()
    answer = await csms.call("SIMRS", "RemoteStartTransaction", {"idTag": "REMOTE1", "connectorId": 2})
    assert answer == {"status": "Accepted"}
    tx = await station.wait_for_transaction(evse=2)
    assert tx.id_tag == "REMOTE1"
    await station.meter(2, tx.id, 4_200)
    assert await csms.call("SIMRS", "RemoteStopTransaction", {"transactionId": 424242}) == {
        "status": "Rejected"
    }
    assert await csms.call("SIMRS", "RemoteStopTransaction", {"transactionId": int(tx.id)}) == {
        "status": "Accepted"
    }
    await station.wait_for_transaction_end(tx.id)
    (stop,) = csms.payloads("SIMRS", "StopTransaction")
    assert stop == {
        "transactionId": int(tx.id),
        "meterStop": 4_200,
        "timestamp": stop["timestamp"],
        "reason": "Remote",
    }


async def test_ocpp201_request_start_carries_remote_start_id_and_token_type(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMRQ", OCPP201)
    await station.boot()
    request = {"idToken": {"idToken": "REMOTE2", "type": "Central"}, "remoteStartId": 77, "evseId": 1}
    assert await csms.call("SIMRQ", "RequestStartTransaction", request) == {"status": "Accepted"}
    tx = await station.wait_for_transaction(remote_start_id=77)
    (started,) = csms.payloads("SIMRQ", "TransactionEvent")
    assert started["triggerReason"] == "RemoteStart"
    assert started["transactionInfo"]["remoteStartId"] == 77
    assert started["idToken"] == {"idToken": "REMOTE2", "type": "Central"}
    assert await csms.call("SIMRQ", "RequestStopTransaction", {"transactionId": tx.id}) == {
        "status": "Accepted"
    }
    await station.wait_for_transaction_end(tx.id)
    ended = csms.payloads("SIMRQ", "TransactionEvent")[-1]
    assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "RemoteStop")
    assert ended["transactionInfo"]["stoppedReason"] == "Remote"


async def test_overridden_handlers_errors_and_unknown_actions(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMX", OCPP16)

    async def refuse(_payload: dict[str, Any]) -> dict[str, Any]:
        raise StationCallError("SecurityError", "not today")

    station.handlers["Reset"] = refuse
    station.handlers["RemoteStartTransaction"] = lambda _p: {"status": "Rejected"}
    with pytest.raises(StationCallError) as refused:
        await csms.call("SIMX", "Reset", {"type": "Hard"})
    assert refused.value.code == "SecurityError"
    assert await csms.call("SIMX", "RemoteStartTransaction", {"idTag": "R"}) == {"status": "Rejected"}
    del station.handlers["UnlockConnector"]
    with pytest.raises(StationCallError) as missing:
        await csms.call("SIMX", "UnlockConnector", {"connectorId": 1})
    assert missing.value.code == "NotImplemented"
    assert not station.transactions  # a rejected remote start starts nothing
    # a frame the call machinery does not own is handed to recv_raw
    await station.send_raw('[2,"raw-1","Heartbeat",{}]')
    assert json.loads(await station.recv_raw(timeout=5)) == [3, "raw-1", {"currentTime": NOW}]


async def test_calls_fail_fast_when_the_socket_is_closed(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMC", OCPP16)
    ws, _ = csms.sockets["SIMC"]
    await ws.close(code=1001)
    assert await station.wait_closed(timeout=5) == 1001
    with pytest.raises(StationClosedError):
        await station.heartbeat()


async def test_wait_for_call_times_out_when_nothing_arrives(
    csms: FakeCsms, station_factory: StationFactory
) -> None:
    station = await station_factory(csms.url(), "SIMW", OCPP16)
    with pytest.raises(TimeoutError):
        await station.wait_for_call("Reset", timeout=0.05)


@pytest.mark.parametrize("protocol", PROTOCOL_PARAMS)
async def test_run_simulation_counts_calls_sessions_and_energy(csms: FakeCsms, protocol: str) -> None:
    stats = await run_simulation(csms.url(), 5, protocol, 2, energy_wh=5_000, samples=3, progress=None)
    assert (stats.connected, stats.booted, stats.sessions, stats.failures) == (5, 5, 10, [])
    # boot + 2 x Available, then per session 6 + samples CALLs (Heartbeat included)
    assert stats.calls == 5 * (3 + 2 * 9) == len(csms.frames) == len(stats.latencies)
    assert stats.energy_wh == 50_000
    assert 0 < stats.percentile_ms(0.5) <= stats.percentile_ms(0.99)
    assert set(csms.sockets) == set(station_ids(5))


async def test_run_simulation_with_duration_loops_until_the_deadline(csms: FakeCsms) -> None:
    stats = await run_simulation(csms.url(), 2, OCPP16, None, duration_s=0.3, progress=None)
    assert stats.failures == []
    assert stats.sessions >= 2
    assert stats.elapsed_s >= 0.3


def simulate_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


async def test_simulate_command_runs_sessions_and_reports(
    csms: FakeCsms, capsys: pytest.CaptureFixture[str]
) -> None:
    args = simulate_args(
        "--url", csms.url(), "--stations", "3", "--sessions", "2", "--password", "pw-0123456789abcdef"
    )
    assert await run_from_args(args) == 0
    out = capsys.readouterr().out
    assert "done: 3/3 stations, 6 sessions, 44.4 kWh" in out
    assert set(csms.sockets) == {"CP001", "CP002", "CP003"}
    assert csms.auth["CP002"] == "Basic " + base64.b64encode(b"CP002:pw-0123456789abcdef").decode()


async def test_simulate_command_in_demo_mode_charges_until_the_duration_ends(csms: FakeCsms) -> None:
    args = simulate_args(
        "--url",
        csms.url(),
        "--station",
        "DEMO1",
        "--protocol",
        OCPP201,
        "--duration",
        "0.3",
        "--meter-interval",
        "0",
        "--quiet",
    )
    assert await run_from_args(args) == 0
    ended = [p for p in csms.payloads("DEMO1", "TransactionEvent") if p["eventType"] == "Ended"]
    assert len(ended) >= 2


async def test_simulate_command_fails_when_the_hub_is_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = simulate_args("--url", f"ws://127.0.0.1:{port}/ocpp", "--quiet")
    assert await run_from_args(args) == 1
    assert "0/1 stations" in capsys.readouterr().out


# ---------------------------------------------------------------------- against the real hub


@pytest.mark.parametrize("protocol", PROTOCOL_PARAMS)
async def test_stations_charge_against_the_hub_and_leave_sessions_and_cdrs(
    make_hub: HubFactory, protocol: str
) -> None:
    hub = await make_hub()
    energy_wh = 7_400
    stats = await run_simulation(
        hub.ws_url(""), 4, protocol, 2, energy_wh=energy_wh, samples=2, station_prefix="SIMHUB", progress=None
    )
    assert (stats.failures, stats.sessions) == ([], 8)
    sessions, cdrs = await _sessions_and_cdrs(hub)
    ours = [s for s in sessions if (s.station_id or "").startswith("SIMHUB")]
    assert len(ours) == 8
    assert {s.status.value for s in ours} == {"COMPLETED"}
    assert all(s.kwh == Decimal("7.4") for s in ours)
    our_cdrs = [c for c in cdrs if c.session_id in {s.id for s in ours}]
    assert len(our_cdrs) == 8
    assert all(c.cost.total_energy_kwh == Decimal("7.4") for c in our_cdrs)


async def test_known_station_charges_with_its_password_and_gets_the_tariff(make_hub: HubFactory) -> None:
    hub = await make_hub()
    station = SimulatedStation(hub.ws_url(), "CP001", OCPP16, password=CP001_PASSWORD)
    async with station:
        assert (await station.boot())["status"] == "Accepted"
        tx_id = await station.charge(energy_wh=10_000, samples=1)
        assert station.authorization_status(station.transactions[tx_id].start_response) == "Accepted"
    sessions, cdrs = await _sessions_and_cdrs(hub)
    (session,) = [s for s in sessions if s.station_id == "CP001"]
    assert (session.kwh, session.transaction_id) == (Decimal(10), tx_id)
    (cdr,) = [c for c in cdrs if c.session_id == session.id]
    # tariff STD: 2.00 flat + 0.25/kWh excl. VAT
    assert cdr.cost.total_energy_kwh == Decimal(10)
    assert cdr.cost.total_excl_vat == Decimal("4.50")


async def test_wrong_password_is_refused_before_the_upgrade(make_hub: HubFactory) -> None:
    hub = await make_hub()
    station = SimulatedStation(hub.ws_url(), "CP001", OCPP16, password="not-the-password-at-all")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await station.connect()
    assert refused.value.status == 401


async def _sessions_and_cdrs(hub: RunningHub) -> tuple[list[Any], list[Any]]:
    async with hub.db.unit_of_work() as uow:
        sessions = await uow.sessions.list()
        cdrs = await uow.cdrs.list()
    return list(sessions), list(cdrs)
