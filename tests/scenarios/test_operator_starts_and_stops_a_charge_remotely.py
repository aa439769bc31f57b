"""The operator starts a charge remotely (START_SESSION → RemoteStartTransaction / RequestStartTransaction),
the car charges, the operator stops it (STOP_SESSION) and the CDR follows; a start for a station that has gone
offline is refused at once. Both OCPP versions, both storage backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest

from hub.core.clock import FixedClock
from hub.core.models import AuthMethod, CommandResultType, CommandType, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.scenarios.support import (
    MSP,
    T0,
    OutboxTap,
    cdrs_of,
    disconnect,
    own_token,
    sessions_of,
    std_cost,
)


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_operator_starts_and_stops_a_charge_remotely(
    make_hub: Callable[..., Awaitable[RunningHub]], protocol: str
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    tap = OutboxTap(hub)
    commands = hub.core.commands
    token = await own_token(hub)
    station = SimulatedStation(hub.ws_url(), "CP001", protocol, password=CP001_PASSWORD, clock=clock.now)
    await station.connect()
    try:
        await station.boot()
        await station.status(1, "Available")

        started = clock.advance(minutes=1)
        start = await commands.start_session(evse_uid="CP001*1", token=token)
        assert (start.type, start.result, start.station_id) == (CommandType.START_SESSION, None, "CP001")
        request = await station.wait_for_call(
            "RemoteStartTransaction" if protocol == "ocpp1.6" else "RequestStartTransaction"
        )
        if protocol == "ocpp1.6":
            assert request == {"idTag": OWN_TOKEN, "connectorId": 1}
        else:
            assert request["idToken"]["idToken"] == OWN_TOKEN
            assert (request["remoteStartId"], request["evseId"]) == (start.remote_start_id, 1)
        assert (await commands.wait_result(start.id, timeout=5)).result is CommandResultType.ACCEPTED
        tx = await station.wait_for_transaction(1)
        assert tx.started_at == started

        clock.advance(minutes=30)
        await station.meter(1, tx.id, 7_400)
        [running] = await sessions_of(hub, "CP001")
        assert (running.status, running.transaction_id, running.auth_method) == (
            SessionStatus.ACTIVE,
            tx.id,
            AuthMethod.COMMAND,
        )
        assert (running.token_uid, running.token_party, running.evse_uid) == (OWN_TOKEN, MSP, "CP001*1")
        if protocol == "ocpp2.0.1":
            assert running.remote_start_id == start.remote_start_id

        ended = clock.advance(minutes=30)
        stop = await commands.stop_session(session_id=running.id)
        assert (stop.type, stop.result, stop.session_id) == (CommandType.STOP_SESSION, None, running.id)
        request = await station.wait_for_call(
            "RemoteStopTransaction" if protocol == "ocpp1.6" else "RequestStopTransaction"
        )
        assert request == {"transactionId": int(tx.id) if protocol == "ocpp1.6" else tx.id}
        assert (await commands.wait_result(stop.id, timeout=5)).result is CommandResultType.ACCEPTED
        await station.wait_for_transaction_end(tx.id)
        await disconnect(hub, station)
    finally:
        await station.close()
    assert not hub.gateway.is_connected("CP001")

    # The station is gone: a new start is refused synchronously and nothing is sent or queued for it.
    offline = await commands.start_session(evse_uid="CP001*1", token=token)
    assert offline.result is CommandResultType.REJECTED
    assert offline.message == "station offline"

    [session] = await sessions_of(hub, "CP001")  # no stray PENDING session from either start
    assert session.id == running.id
    assert session.status is SessionStatus.COMPLETED
    assert (session.start, session.end, session.stop_reason) == (started, ended, "Remote")
    assert session.kwh == Decimal("7.4")
    cdrs = await cdrs_of(hub, session.id)
    assert len(cdrs) == 1
    _, excl, incl = std_cost(session.kwh)
    assert (cdrs[0].cost.total_excl_vat, cdrs[0].cost.total_incl_vat) == (excl, incl)
    assert cdrs[0].auth_method is AuthMethod.COMMAND

    async with hub.db.unit_of_work() as uow:
        stored = {c.id: await uow.commands.get(c.id) for c in (start, stop, offline)}
    assert {i: c.result if c else None for i, c in stored.items()} == {
        start.id: CommandResultType.ACCEPTED,
        stop.id: CommandResultType.ACCEPTED,
        offline.id: CommandResultType.REJECTED,
    }
    rows = await tap.rows(topic="command.result")
    assert [(m.key, m.payload["type"], m.payload["result"]) for m in rows] == [
        (f"command:{start.id}", "START_SESSION", "ACCEPTED"),
        (f"command:{stop.id}", "STOP_SESSION", "ACCEPTED"),
    ]
    assert rows[1].payload["session_id"] == session.id
    session_topics = [m.topic for m in await tap.rows(key=f"session:{session.id}")]
    assert session_topics[0] == "session.updated"
    assert session_topics[-1] == "cdr.created"
    assert session_topics.count("cdr.created") == 1


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_operator_start_refused_by_the_station(
    make_hub: Callable[..., Awaitable[RunningHub]], protocol: str
) -> None:
    """The station says no (e.g. the connector is in use): REJECTED is stored and reported, no session."""
    hub = await make_hub(clock=FixedClock(T0))
    tap = OutboxTap(hub)
    station = SimulatedStation(hub.ws_url(), "CP001", protocol, password=CP001_PASSWORD)
    action = "RemoteStartTransaction" if protocol == "ocpp1.6" else "RequestStartTransaction"
    station.handlers[action] = lambda _payload: {"status": "Rejected"}
    await station.connect()
    try:
        await station.boot()
        await station.status(1, "Available")
        command = await hub.core.commands.start_session(evse_uid="CP001*1", token=await own_token(hub))
        await station.wait_for_call(action)
        done = await hub.core.commands.wait_result(command.id, timeout=5)
        assert done.result is CommandResultType.REJECTED
        # the injected token is withdrawn: the station cannot start a charge with it on the hub's word
        await station.status(1, "Preparing")
        tx = await station.start(1, OWN_TOKEN)
        await station.stop(tx, 1_000)
    finally:
        await station.close()
    rows = await tap.rows(key=f"command:{command.id}")
    assert [(m.topic, m.payload["result"]) for m in rows] == [("command.result", "REJECTED")]
    [session] = await sessions_of(hub, "CP001")  # only the driver's own (whitelisted) charge
    assert session.auth_method is AuthMethod.WHITELIST
    assert session.status is SessionStatus.COMPLETED
