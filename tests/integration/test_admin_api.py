"""The operator API (`/admin/`, hub/web_admin.py) over real HTTP against the real hub with a simulated OCPP
station on a real websocket: bearer auth, the station list, every command reaching the station (the OCPP CALL
it received and the HTTP answer), JSON errors (400/404/409/504), and the `python -m hub station` CLI."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import pytest
import structlog.testing

from hub.core.models import CommandResultType, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, REPO, RunningHub

ADMIN_TOKEN = "admin-token-9f8e7d6c5b4a"
ADMIN = {"token": ADMIN_TOKEN}


async def api(
    hub: RunningHub,
    method: str,
    path: str,
    *,
    json: Any = None,
    data: bytes | None = None,
    params: list[tuple[str, str]] | None = None,
    token: str | None = ADMIN_TOKEN,
    authorization: str | None = None,
) -> tuple[int, Any, Mapping[str, str]]:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, hub.url + path, json=json, data=data, params=params, headers=headers
        ) as response,
    ):
        assert response.content_type == "application/json"
        return response.status, await response.json(), {k.lower(): v for k, v in response.headers.items()}


@pytest.fixture
async def admin_hub(make_hub: Callable[..., Awaitable[RunningHub]]) -> RunningHub:
    return await make_hub(admin=ADMIN)


@pytest.fixture
async def cp(admin_hub: RunningHub) -> AsyncIterator[SimulatedStation]:
    station = SimulatedStation(admin_hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    await station.connect()
    await station.boot()
    yield station
    await station.close()


async def test_missing_or_wrong_token_is_401_with_a_bearer_challenge(admin_hub: RunningHub) -> None:
    attempts: list[dict[str, Any]] = [
        {"token": None},
        {"token": "wrong"},
        {"token": ""},
        {"authorization": f"Basic {ADMIN_TOKEN}"},
        {"token": ADMIN_TOKEN + "x"},
    ]
    for kwargs in attempts:
        status, body, headers = await api(admin_hub, "GET", "/admin/stations", **kwargs)
        assert (status, body) == (401, {"error": "unauthorized"}), kwargs
        assert headers["www-authenticate"] == "Bearer"
        status, _, _ = await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={}, **kwargs)
        assert status == 401
    status, _, _ = await api(admin_hub, "GET", "/admin/stations")
    assert status == 200


async def test_without_a_token_the_api_is_disabled(hub: RunningHub) -> None:
    assert hub.settings.admin.token == ""
    for method, path in (("GET", "/admin/stations"), ("POST", "/admin/stations/CP001/reset")):
        status, body, _ = await api(hub, method, path, json={})
        assert status == 404
        assert "disabled" in body["error"]


async def test_list_stations(admin_hub: RunningHub) -> None:
    status, body, _ = await api(admin_hub, "GET", "/admin/stations")
    assert status == 200
    assert body == {
        "stations": [
            {
                "id": "CP001",
                "connected": False,
                "boot_status": None,
                "vendor": None,
                "model": None,
                "protocol": None,
                "last_seen": None,
            }
        ]
    }
    async with SimulatedStation(admin_hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD) as cp:
        await cp.boot()
        status, body, _ = await api(admin_hub, "GET", "/admin/stations")
    assert status == 200
    [station] = body["stations"]
    assert station["connected"] is True
    assert station["boot_status"] == "Accepted"
    assert (station["vendor"], station["model"], station["protocol"]) == ("SimVendor", "SimModel", "ocpp1.6")
    assert station["last_seen"] is not None


async def test_reset_availability_and_trigger_reach_the_station(
    admin_hub: RunningHub, cp: SimulatedStation
) -> None:
    status, body, _ = await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={"hard": True})
    assert (status, body) == (200, {"result": "ACCEPTED", "message": None, "data": None})
    assert await cp.wait_for_call("Reset") == {"type": "Hard"}
    status, _, _ = await api(admin_hub, "POST", "/admin/stations/cp001/reset", json={})
    assert status == 200  # ids are case-insensitive; soft is the default
    assert await cp.wait_for_call("Reset") == {"type": "Soft"}

    status, body, _ = await api(
        admin_hub, "POST", "/admin/stations/CP001/change-availability", json={"evse": 1, "operative": False}
    )
    assert (status, body["result"]) == (200, "ACCEPTED")
    assert await cp.wait_for_call("ChangeAvailability") == {"connectorId": 1, "type": "Inoperative"}

    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/trigger-message",
        json={"message": "Heartbeat", "evse": None},
    )
    assert (status, body["result"]) == (200, "ACCEPTED")
    assert await cp.wait_for_call("TriggerMessage") == {"requestedMessage": "Heartbeat"}


async def test_configuration_local_list_and_data_transfer_reach_the_station(
    admin_hub: RunningHub, cp: SimulatedStation
) -> None:
    status, body, _ = await api(
        admin_hub, "GET", "/admin/stations/CP001/configuration", params=[("key", "HeartbeatInterval")]
    )
    assert status == 200
    assert body["result"] == "ACCEPTED"
    assert body["data"] == {"HeartbeatInterval": "300"}
    assert await cp.wait_for_call("GetConfiguration") == {"key": ["HeartbeatInterval"]}

    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/configuration",
        json={"key": "HeartbeatInterval", "value": "600"},
    )
    assert (status, body["result"]) == (200, "ACCEPTED")
    assert await cp.wait_for_call("ChangeConfiguration") == {"key": "HeartbeatInterval", "value": "600"}
    assert cp.configuration["HeartbeatInterval"] == "600"

    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/local-list",
        json={"version": 3, "entries": [["TAG1", True], ["TAG2", False]], "full": True},
    )
    assert (status, body["result"]) == (200, "ACCEPTED")
    request = await cp.wait_for_call("SendLocalList")
    assert (request["listVersion"], request["updateType"]) == (3, "Full")
    assert [entry["idTag"] for entry in request["localAuthorizationList"]] == ["TAG1", "TAG2"]

    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/data-transfer",
        json={"vendor_id": "com.example", "message_id": "Ping", "data": "x"},
    )
    assert (status, body["result"]) == (200, "ACCEPTED")
    assert await cp.wait_for_call("DataTransfer") == {
        "vendorId": "com.example",
        "messageId": "Ping",
        "data": "x",
    }


async def test_unlock_start_and_stop_go_through_the_command_service(
    admin_hub: RunningHub, cp: SimulatedStation
) -> None:
    await cp.status(1, "Available")  # the hub learns the station's EVSEs from its reports
    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/unlock",
        json={"evse_uid": "CP001*1", "connector_id": "1"},
        params=[("wait", "5")],
    )
    assert status == 200
    assert (body["type"], body["result"], body["station_id"]) == ("UNLOCK_CONNECTOR", "ACCEPTED", "CP001")
    assert await cp.wait_for_call("UnlockConnector") == {"connectorId": 1}

    status, body, _ = await api(
        admin_hub,
        "POST",
        "/admin/stations/CP001/start",
        json={"token_uid": OWN_TOKEN, "evse_uid": "CP001*1"},
        params=[("wait", "5")],
    )
    assert (status, body["type"], body["result"]) == (200, "START_SESSION", "ACCEPTED")
    assert (await cp.wait_for_call("RemoteStartTransaction"))["idTag"] == OWN_TOKEN
    tx = await cp.wait_for_transaction(timeout=5)
    async with admin_hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("CP001", tx.id)
    assert session is not None

    status, body, _ = await api(
        admin_hub, "POST", "/admin/stations/CP001/stop", json={"session_id": session.id}
    )
    assert status in (200, 202)  # without ?wait the answer comes before or after the station's
    assert (body["type"], body["session_id"]) == ("STOP_SESSION", session.id)
    done = await admin_hub.core.commands.wait_result(body["id"], timeout=5)
    assert done.result is CommandResultType.ACCEPTED
    assert await cp.wait_for_call("RemoteStopTransaction") == {"transactionId": int(tx.id)}
    await cp.wait_for_transaction_end(tx.id, timeout=5)
    async with admin_hub.db.unit_of_work() as uow:
        ended = await uow.sessions.get(session.id)
    assert ended is not None
    assert ended.status is SessionStatus.COMPLETED


async def test_bad_requests_are_json_errors(admin_hub: RunningHub, cp: SimulatedStation) -> None:
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("POST", "/admin/stations/CP001/reset", {"data": b"{not json"}, 400, "JSON"),
        ("POST", "/admin/stations/CP001/reset", {"json": [1, 2]}, 400, "object"),
        ("POST", "/admin/stations/CP001/reset", {"json": {"hard": "yes"}}, 400, "'hard'"),
        ("POST", "/admin/stations/CP001/change-availability", {"json": {"operative": True}}, 400, "'evse'"),
        (
            "POST",
            "/admin/stations/CP001/change-availability",
            {"json": {"evse": True, "operative": True}},
            400,
            "'evse'",
        ),
        (
            "POST",
            "/admin/stations/CP001/local-list",
            {"json": {"version": 1, "entries": [["A"]]}},
            400,
            "entries",
        ),
        (
            "POST",
            "/admin/stations/CP001/start",
            {"json": {"token_uid": OWN_TOKEN}, "params": [("wait", "x")]},
            400,
            "wait",
        ),
        ("POST", "/admin/stations/NOPE/reset", {"json": {}}, 404, "NOPE"),
        ("GET", "/admin/stations/NOPE/configuration", {}, 404, "NOPE"),
        ("POST", "/admin/stations/CP001/start", {"json": {"token_uid": "UNKNOWN"}}, 404, "token"),
        (
            "POST",
            "/admin/stations/CP001/unlock",
            {"json": {"evse_uid": "NOPE*1", "connector_id": "1"}},
            404,
            "NOPE",
        ),
    ]
    for method, path, kwargs, expected, word in cases:
        status, body, _ = await api(admin_hub, method, path, **kwargs)
        assert status == expected, (path, kwargs, body)
        assert word in body["error"], (path, kwargs, body)
    assert [name for name, _ in cp.received] == []  # nothing reached the station


async def test_offline_station_is_409(admin_hub: RunningHub) -> None:
    status, body, _ = await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={"hard": False})
    assert status == 409
    assert body["error"]


async def test_silent_station_is_504(make_hub: Callable[..., Awaitable[RunningHub]]) -> None:
    hub = await make_hub(ocpp={"call_timeout": 1.0}, admin=ADMIN)
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as station:
        never = asyncio.Event()

        async def hang(_request: dict[str, Any]) -> dict[str, Any]:
            await never.wait()
            return {}

        station.handlers["Reset"] = hang
        status, body, _ = await api(hub, "POST", "/admin/stations/CP001/reset", json={"hard": True})
        assert status == 504
        assert body["error"]
        assert await station.wait_for_call("Reset") == {"type": "Hard"}
        never.set()


async def test_the_token_never_appears_in_logs(admin_hub: RunningHub, cp: SimulatedStation) -> None:
    with structlog.testing.capture_logs() as logs:
        await api(admin_hub, "GET", "/admin/stations")
        await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={})
        await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={}, token=ADMIN_TOKEN + "-wrong")
        await api(admin_hub, "POST", "/admin/stations/CP001/reset", json={}, token=ADMIN_TOKEN[:-1])
    events = [entry["event"] for entry in logs]
    assert "admin_command" in events
    assert "admin_unauthorized" in events
    assert ADMIN_TOKEN[:-1] not in repr(logs)


async def run_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_cli_station_list_and_reset(admin_hub: RunningHub, cp: SimulatedStation) -> None:
    import json

    code, out, err = await run_cli("station", "list", "--url", admin_hub.url, "--token", ADMIN_TOKEN)
    assert (code, err) == (0, "")
    [station] = json.loads(out)["stations"]
    assert (station["id"], station["connected"]) == ("CP001", True)

    code, out, err = await run_cli(
        "station", "reset", "CP001", "--hard", "--url", admin_hub.url, "--token", ADMIN_TOKEN
    )
    assert code == 0, err
    assert json.loads(out)["result"] == "ACCEPTED"
    assert await cp.wait_for_call("Reset") == {"type": "Hard"}

    code, out, err = await run_cli("station", "list", "--url", admin_hub.url, "--token", "wrong")
    assert (code, out) == (1, "")
    assert "401" in err
    assert "unauthorized" in err


def test_every_station_sub_command_has_help() -> None:
    import subprocess

    commands = ["list", "reset", "availability", "trigger", "config-get", "config-set", "start", "stop"]
    result = subprocess.run(
        [sys.executable, "-m", "hub", "station", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert all(command in result.stdout for command in commands)
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", "hub", "station", command, "--help"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, command
        assert "--token" in result.stdout, command
        assert "--url" in result.stdout, command
