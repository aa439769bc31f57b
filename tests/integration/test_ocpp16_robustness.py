"""The real hub under bad OCPP 1.6 input and at the handshake: Basic auth, unknown stations, subprotocol
negotiation, malformed frames, schema violations, oversize frames, messages before boot. The hub stays up,
other stations are not affected and stored data stays intact."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from hub.core.models import SessionStatus
from hub.ocpp.simulator import SimulatedStation, StationCallError
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub

MakeHub = Callable[..., Awaitable[RunningHub]]


async def test_basic_auth_right_wrong_and_missing(hub: RunningHub) -> None:
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as station:
        assert (await station.boot())["status"] == "Accepted"
    for password in ("not-the-password-000", None):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await SimulatedStation(hub.ws_url(), "CP001", password=password).connect()
        assert err.value.status == 401
        assert err.value.headers is not None
        assert err.value.headers.get("WWW-Authenticate", "").startswith("Basic")
    assert not hub.gateway.is_connected("CP001")


async def test_unknown_station_is_404_when_not_accepted(make_hub: MakeHub) -> None:
    hub = await make_hub(ocpp={"accept_unknown_stations": False})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await SimulatedStation(hub.ws_url(), "STRANGER").connect()
    assert err.value.status == 404
    async with hub.db.unit_of_work() as uow:
        assert await uow.stations.get("STRANGER") is None
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as known:
        assert await known.heartbeat()


async def test_subprotocol_preference_and_no_common_protocol(hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(hub.ws_url("OPEN-1"), protocols=("ocpp1.6", "ocpp2.0.1"))
        assert ws.protocol == hub.settings.ocpp.protocols[0]  # the hub's preference, not the station's order
        await ws.close()
        ws = await session.ws_connect(hub.ws_url("OPEN-1"), protocols=("ocpp1.6",))
        assert ws.protocol == "ocpp1.6"
        await ws.close()
        ws = await session.ws_connect(hub.ws_url("OPEN-1"), protocols=("ocpp2.1",))
        assert ws.protocol is None  # handshake completed without Sec-WebSocket-Protocol
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE  # and closed at once
        await ws.close()
    assert not hub.gateway.is_connected("OPEN-1")


async def test_only_1_6_offered_by_configuration(make_hub: MakeHub) -> None:
    hub = await make_hub(ocpp={"protocols": ["ocpp1.6"]})
    station = SimulatedStation(hub.ws_url(), "OPEN-2")
    await station.connect(protocols=["ocpp2.0.1", "ocpp1.6"])
    assert station.negotiated_protocol == "ocpp1.6"
    assert (await station.boot())["status"] == "Accepted"
    await station.close()


BAD_FRAMES = [
    ("[2, 'single quotes', 'Heartbeat', {}]", "-1", "FormatViolation"),
    ('"just a string"', "-1", "ProtocolError"),
    ('[2, "m-1", "Heartbeat", "payload"]', "m-1", "ProtocolError"),
    ('[2, "m-2", "Authorize", {"idTag": "ABC", "color": "red"}]', "m-2", "FormatViolation"),
    ('[2, "m-3", "Authorize", {}]', "m-3", "ProtocolError"),
    ('[2, "m-4", "Authorize", {"idTag": 4}]', "m-4", "TypeConstraintViolation"),
    ('[2, "m-5", "StartTransaction", {"connectorId": 1}]', "m-5", "ProtocolError"),
    (
        '[2, "m-6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleepy"}]',
        "m-6",
        "FormatViolation",
    ),
    ('[2, "m-7", "Launch", {}]', "m-7", "NotImplemented"),
    ('[2, "m-8", "GetConfiguration", {}]', "m-8", "NotSupported"),  # a CSMS -> station action
]


async def test_bad_frames_get_callerrors_and_nothing_else_breaks(hub: RunningHub) -> None:
    bystander = SimulatedStation(hub.ws_url(), "BYSTANDER")
    await bystander.connect()
    await bystander.boot()
    tx = await bystander.start(1, OWN_TOKEN)
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as station:
        await station.boot()
        for frame, expected_id, code in BAD_FRAMES:
            await station.send_raw(frame)
            reply = json.loads(await station.recv_raw(timeout=5))
            assert reply[:3] == [4, expected_id, code], frame
            assert isinstance(reply[3], str)
            assert isinstance(reply[4], dict)
            assert await station.heartbeat()  # the connection survives
    assert await bystander.meter(1, tx, 2000) == {}
    await bystander.stop(tx, 3000)
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("BYSTANDER", tx)
        station_row = await uow.stations.get("CP001")
    assert session is not None
    assert session.status is SessionStatus.COMPLETED
    assert session.kwh == 3
    assert station_row is not None
    assert station_row.vendor == "SimVendor"
    await bystander.close()


async def test_oversize_frame_closes_only_that_socket(make_hub: MakeHub) -> None:
    hub = await make_hub(ocpp={"max_message_bytes": 2048})
    bystander = SimulatedStation(hub.ws_url(), "BYSTANDER")
    await bystander.connect()
    await bystander.boot()
    tx = await bystander.start(1, OWN_TOKEN)
    station = SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD)
    await station.connect()
    await station.boot()
    await station.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "A" * 5000}]))
    assert await station.wait_closed(timeout=5) == 1009
    assert await bystander.heartbeat()
    await bystander.stop(tx, 1000)
    async with hub.db.unit_of_work() as uow:
        session = await uow.sessions.find_by_transaction("BYSTANDER", tx)
        station_row = await uow.stations.get("CP001")
    assert session is not None
    assert session.status is SessionStatus.COMPLETED
    assert station_row is not None
    assert station_row.vendor == "SimVendor"  # stored data intact
    await bystander.close()
    await station.close()
    async with SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD) as again:
        assert await again.heartbeat()  # the station may come back


async def test_messages_before_boot_are_answered_leniently(hub: RunningHub) -> None:
    async with SimulatedStation(hub.ws_url(), "FRESH-1") as station:
        assert (await station.authorize(OWN_TOKEN))["idTagInfo"]["status"] == "Accepted"
        await station.status(1, "Available")
        tx = await station.start(1, OWN_TOKEN)
        assert int(tx) > 0
        await station.stop(tx, 500)
        assert (await station.boot())["status"] == "Accepted"


async def test_lenient_validation_accepts_what_real_stations_send(make_hub: MakeHub) -> None:
    hub = await make_hub(ocpp={"validation": "lenient"})
    async with SimulatedStation(hub.ws_url(), "LENIENT-1") as station:
        boot = await station.call(
            "BootNotification",
            {"chargePointVendor": "V", "chargePointModel": "M", "chargePointSerialNumber": "S" * 40},
        )
        assert boot["status"] == "Accepted"
        ts = datetime.now(UTC).isoformat()
        meter = {
            "connectorId": 1,
            "meterValue": [
                {"timestamp": ts, "sampledValue": [{"value": "50", "measurand": "Frequency", "unit": "Hz"}]}
            ],
        }
        assert await station.call("MeterValues", meter) == {}
        with pytest.raises(StationCallError) as err:
            await station.call("Authorize", {"notAnIdTag": 1})
        assert err.value.code == "ProtocolError"
