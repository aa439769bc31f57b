"""CommandService: the stored Command comes back at once; the station's answer (or TIMEOUT / FAILED) arrives
as CommandResultReceived with an outbox row; immediate refusals (offline, unknown session or reservation)
are set synchronously and go nowhere else. STOP_SESSION of a PENDING session cancels it at once (ACCEPTED,
with its result row and event), and PENDING sessions no station started expire."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest.mock import AsyncMock

import pytest

from hub.core.chargepoint import StatusReport
from hub.core.commands import PENDING_CANCELLED
from hub.core.errors import HubTimeoutError, InvalidRequestError, NotFoundError, UnavailableError
from hub.core.events import CommandResultReceived, SessionUpdated
from hub.core.models import (
    AuthMethod,
    Command,
    CommandResultType,
    CommandType,
    ConnectorState,
    Session,
    SessionStatus,
    StationCommandReply,
    Token,
)
from hub.core.sessions.service import PENDING_EXPIRED
from tests.unit.core_kit import (
    MSP,
    OWN_UID,
    STATION,
    Kit,
    a_roaming_token,
    a_start,
    a_stop,
    a_token,
    at,
    make_kit,
)

ACCEPTED, REJECTED = CommandResultType.ACCEPTED, CommandResultType.REJECTED


async def online_kit(**kw: object) -> Kit:
    kit = await make_kit(**kw)  # type: ignore[arg-type]
    await kit.online()
    kit.events.clear()
    return kit


async def settled(kit: Kit, command: Command) -> Command:
    assert command.result is None
    return await kit.core.commands.wait_result(command.id, 2)


async def test_start_session_answers_at_once_then_reports_the_station_answer() -> None:
    kit = await online_kit()
    token = a_roaming_token("APP-1")
    command = await kit.core.commands.start_session(
        location_id="LOC001", evse_uid="cp001*1", token=token, requester=MSP, reply_to="https://msp/cb/1"
    )
    assert (command.station_id, command.evse_uid, command.remote_start_id, command.result) == (
        STATION,
        "CP001*1",
        1,
        None,
    )
    done = await settled(kit, command)
    assert (done.result, done.reply_to) == (ACCEPTED, "https://msp/cb/1")
    (call,) = kit.gateway.calls_of("start_transaction")
    assert call.args == (1, "APP-1", 1)
    (row,) = kit.outbox("command.result")
    assert (row.key, row.payload["result"], row.payload["reply_to"]) == (
        f"command:{command.id}",
        "ACCEPTED",
        "https://msp/cb/1",
    )
    assert [e.command.result for e in kit.events_of(CommandResultReceived)] == [ACCEPTED]
    (pending,) = kit.db.committed("sessions")
    assert (pending.status, pending.token_uid, pending.token_party, pending.evse_uid) == (
        SessionStatus.PENDING,
        "APP-1",
        token.party,
        "CP001*1",
    )


async def test_remote_start_ids_count_up_per_station() -> None:
    kit = await online_kit()
    first = await kit.core.commands.start_session(station_id=STATION, token=a_roaming_token())
    second = await kit.core.commands.start_session(station_id=STATION, token=a_roaming_token())
    assert (first.remote_start_id, second.remote_start_id) == (1, 2)
    await settled(kit, first)
    await settled(kit, second)


async def test_a_rejected_start_creates_no_session_and_forgets_the_injected_token() -> None:
    kit = await online_kit()
    kit.gateway.script("start_transaction", REJECTED)
    command = await kit.core.commands.start_session(station_id=STATION, token=a_roaming_token("APP-1"))
    assert (await settled(kit, command)).result is REJECTED
    assert kit.db.committed("sessions") == []
    assert kit.core.authorization.injected.find(STATION, "APP-1") is None


async def test_an_offline_station_is_refused_synchronously() -> None:
    kit = await online_kit()
    kit.gateway.disconnect(STATION)
    command = await kit.core.commands.start_session(evse_uid="CP001*1", token=a_roaming_token())
    assert (command.result, command.message) == (REJECTED, "station offline")
    assert kit.gateway.calls == []
    assert kit.outbox("command.result") == []
    assert kit.events_of(CommandResultReceived) == []
    stored = await kit.core.commands.get(command.id)
    assert stored == command


async def test_a_station_that_never_answers_gives_timeout() -> None:
    kit = await online_kit(command_timeout_s=0.05)
    kit.gateway.hold("unlock_connector")
    command = await kit.core.commands.unlock_connector(evse_uid="CP001*1", connector_id="1")
    done = await settled(kit, command)
    assert done.result is CommandResultType.TIMEOUT
    assert kit.outbox("command.result")[0].payload["result"] == "TIMEOUT"


async def test_a_station_gone_during_the_call_gives_failed() -> None:
    kit = await online_kit()
    kit.gateway.script("unlock_connector", UnavailableError("gone"))
    command = await kit.core.commands.unlock_connector(evse_uid="CP001*1", connector_id="1")
    assert (await settled(kit, command)).result is CommandResultType.FAILED


async def test_unlock_maps_the_station_answer_and_addresses_the_connector() -> None:
    kit = await online_kit()
    kit.gateway.script(
        "unlock_connector", StationCommandReply(result=CommandResultType.NOT_SUPPORTED, message="no lock")
    )
    command = await kit.core.commands.unlock_connector(
        location_id="LOC001", evse_uid="CP001*1", connector_id="1"
    )
    done = await settled(kit, command)
    assert (done.result, done.message) == (CommandResultType.NOT_SUPPORTED, "no lock")
    assert kit.gateway.calls_of("unlock_connector")[0].args == (1, 1)


async def test_unknown_evses_and_locations_are_not_found() -> None:
    kit = await online_kit()
    with pytest.raises(NotFoundError):
        await kit.core.commands.unlock_connector(evse_uid="NOPE*1", connector_id="1")
    with pytest.raises(NotFoundError):
        await kit.core.commands.start_session(location_id="NOWHERE", token=a_roaming_token())
    with pytest.raises(NotFoundError):
        await kit.core.commands.start_session(
            location_id="LOC002", evse_uid="CP001*1", token=a_roaming_token()
        )


async def test_a_location_with_several_stations_needs_an_evse() -> None:
    kit = await online_kit()
    await kit.core.chargepoints.register_station(
        "CP002", party=kit.core.options.default_cpo, location_id="LOC001"
    )
    await kit.core.chargepoints.status("CP002", StatusReport(evse_no=1, state=ConnectorState.AVAILABLE))
    with pytest.raises(InvalidRequestError):
        await kit.core.commands.start_session(location_id="LOC001", token=a_roaming_token())


# --- stop and charging limits -------------------------------------------------------------------------


async def test_stop_sends_the_station_transaction_id() -> None:
    kit = await online_kit()
    outcome = await kit.core.chargepoints.transaction(STATION, a_start())
    assert outcome.session is not None
    command = await kit.core.commands.stop_session(session_id=outcome.session.id, requester=MSP)
    assert (await settled(kit, command)).result is ACCEPTED
    assert kit.gateway.calls_of("stop_transaction")[0].args == ("1",)


async def test_stopping_an_unknown_or_finished_session_is_unknown_session() -> None:
    kit = await online_kit()
    unknown = await kit.core.commands.stop_session(session_id="no-such-session")
    assert unknown.result is CommandResultType.UNKNOWN_SESSION
    outcome = await kit.core.chargepoints.transaction(STATION, a_start())
    assert outcome.session is not None
    await kit.core.chargepoints.transaction(STATION, a_stop(outcome.transaction_id))
    finished = await kit.core.commands.stop_session(session_id=outcome.session.id)
    assert finished.result is CommandResultType.UNKNOWN_SESSION
    assert kit.gateway.calls_of("stop_transaction") == []
    assert kit.outbox("command.result") == []


async def pending_session(kit: Kit, token: Token) -> Session:
    """The PENDING session of an accepted START_SESSION (the station has not started yet)."""
    start = await kit.core.commands.start_session(evse_uid="CP001*1", token=token, requester=MSP)
    assert (await settled(kit, start)).result is ACCEPTED
    pending = kit.db.committed("sessions")[-1]
    assert (pending.status, pending.token_uid) == (SessionStatus.PENDING, token.uid)
    kit.events.clear()
    return pending


async def test_stopping_a_pending_session_cancels_it_without_a_station_call() -> None:
    kit = await online_kit()
    pending = await pending_session(kit, a_token())
    kit.clock.advance(seconds=30)

    command = await kit.core.commands.stop_session(
        session_id=pending.id, requester=MSP, reply_to="https://msp/cb/2"
    )

    assert (command.type, command.result, command.session_id, command.station_id) == (
        CommandType.STOP_SESSION,
        ACCEPTED,
        pending.id,
        STATION,
    )
    assert (await kit.core.commands.wait_result(command.id, 0.01)).result is ACCEPTED
    assert kit.gateway.calls_of("stop_transaction") == []
    (cancelled,) = kit.db.committed("sessions")
    assert (cancelled.status, cancelled.end, cancelled.last_updated, cancelled.stop_reason) == (
        SessionStatus.INVALID,
        at(0.5),
        at(0.5),
        PENDING_CANCELLED,
    )
    assert kit.db.committed("cdrs") == []
    last_session_row = kit.outbox("session.updated")[-1]
    assert (last_session_row.key, last_session_row.payload["status"]) == (f"session:{pending.id}", "INVALID")
    (result_row,) = [r for r in kit.outbox("command.result") if r.key == f"command:{command.id}"]
    assert (result_row.payload["result"], result_row.payload["reply_to"]) == ("ACCEPTED", "https://msp/cb/2")
    assert [e.session.status for e in kit.events_of(SessionUpdated)] == [SessionStatus.INVALID]
    assert [e.command.id for e in kit.events_of(CommandResultReceived)] == [command.id]
    assert kit.core.authorization.injected.find(STATION, OWN_UID) is None


async def test_a_late_start_of_a_cancelled_session_token_is_a_session_of_its_own() -> None:
    kit = await online_kit()
    pending = await pending_session(kit, a_token())
    await kit.core.commands.stop_session(session_id=pending.id)

    outcome = await kit.core.chargepoints.transaction(STATION, a_start(1))

    assert outcome.session is not None
    assert outcome.session.id != pending.id
    assert (outcome.session.status, outcome.session.auth_method) == (
        SessionStatus.ACTIVE,
        AuthMethod.WHITELIST,  # the hub's own token list decided, not the withdrawn injection
    )
    stored = await kit.core.sessions.get(pending.id)
    assert stored is not None
    assert (stored.status, stored.transaction_id) == (SessionStatus.INVALID, None)


async def test_a_pending_session_that_starts_meanwhile_is_stopped_at_the_station(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit = await online_kit()
    pending = await pending_session(kit, a_token())
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(1))
    assert outcome.session is not None
    assert (outcome.session.id, outcome.session.status) == (pending.id, SessionStatus.ACTIVE)
    stale = AsyncMock(side_effect=[pending, outcome.session])  # read before the start, then after it
    monkeypatch.setattr(kit.core.sessions, "get", stale)

    command = await kit.core.commands.stop_session(session_id=pending.id)

    assert (await settled(kit, command)).result is ACCEPTED
    assert kit.gateway.calls_of("stop_transaction")[0].args == (outcome.transaction_id,)
    assert stale.await_count == 2
    (session,) = kit.db.committed("sessions")
    assert session.status is SessionStatus.ACTIVE
    assert kit.core.authorization.injected.find(STATION, OWN_UID) is not None


async def test_pending_sessions_past_the_limit_expire_as_invalid() -> None:
    kit = await online_kit()
    old = await pending_session(kit, a_token())
    kit.clock.advance(minutes=3)
    young = await pending_session(kit, a_roaming_token("APP-2"))
    kit.clock.advance(minutes=2, seconds=1)  # old: 5 min 1 s, young: 2 min 1 s

    assert await kit.core.sessions.expire_pending(timedelta(minutes=5)) == 1

    statuses = {s.id: (s.status, s.stop_reason) for s in kit.db.committed("sessions")}
    assert statuses == {
        old.id: (SessionStatus.INVALID, PENDING_EXPIRED),
        young.id: (SessionStatus.PENDING, None),
    }
    assert [(e.session.id, e.session.status) for e in kit.events_of(SessionUpdated)] == [
        (old.id, SessionStatus.INVALID)
    ]
    assert kit.outbox("session.updated")[-1].payload["id"] == old.id
    assert kit.core.authorization.injected.find(STATION, OWN_UID) is None
    assert kit.core.authorization.injected.find(STATION, "APP-2") is not None
    assert await kit.core.sessions.expire_pending(timedelta(minutes=5)) == 0


async def test_expiry_works_through_more_pending_sessions_than_one_batch() -> None:
    kit = await online_kit()
    for n in range(5):
        await pending_session(kit, a_roaming_token(f"APP-{n}"))
    kit.clock.advance(minutes=10)

    assert await kit.core.sessions.expire_pending(timedelta(minutes=5), batch=2) == 5
    assert {s.status for s in kit.db.committed("sessions")} == {SessionStatus.INVALID}


async def test_a_charging_limit_gets_a_fresh_profile_id_per_station() -> None:
    kit = await online_kit()
    outcome = await kit.core.chargepoints.transaction(STATION, a_start())
    assert outcome.session is not None
    first = await kit.core.commands.set_charging_limit(
        session_id=outcome.session.id, limit=Decimal(7400), unit="W"
    )
    second = await kit.core.commands.set_charging_limit(
        session_id=outcome.session.id, limit=Decimal(16), unit="A"
    )
    await settled(kit, first)
    await settled(kit, second)
    calls = [c.args for c in kit.gateway.calls_of("set_charging_limit")]
    assert calls == [(1, "1", 1, Decimal(7400), "W"), (1, "1", 2, Decimal(16), "A")]
    assert (
        await kit.core.commands.set_charging_limit(session_id="nope", limit=Decimal(1), unit="W")
    ).result is (CommandResultType.UNKNOWN_SESSION)
    with pytest.raises(InvalidRequestError):
        await kit.core.commands.set_charging_limit(session_id=outcome.session.id, limit=Decimal(1), unit="kW")


# --- reservations -----------------------------------------------------------------------------------


async def test_the_same_reservation_id_reuses_the_station_number() -> None:
    kit = await online_kit()
    token = a_roaming_token()
    expiry = at(30)
    first = await kit.core.commands.reserve_now(
        evse_uid="CP001*1", token=token, expiry=expiry, reservation_id="res-A", requester=MSP
    )
    again = await kit.core.commands.reserve_now(
        evse_uid="CP001*1",
        token=token,
        expiry=expiry + timedelta(minutes=5),
        reservation_id="RES-a",
        requester=MSP,
    )
    other = await kit.core.commands.reserve_now(
        evse_uid="CP001*1", token=token, expiry=expiry, reservation_id="res-B", requester=MSP
    )
    for command in (first, again, other):
        await settled(kit, command)
    assert [c.station_reservation_id for c in (first, again, other)] == [1, 1, 2]
    assert [c.args[0] for c in kit.gateway.calls_of("reserve_now")] == [1, 1, 2]
    assert kit.gateway.calls_of("reserve_now")[0].args[1:] == (1, token.uid, expiry)


async def test_cancel_finds_the_station_and_number_of_a_reservation() -> None:
    kit = await online_kit()
    reserve = await kit.core.commands.reserve_now(
        evse_uid="CP001*1", token=a_roaming_token(), expiry=at(30), reservation_id="res-A", requester=MSP
    )
    await settled(kit, reserve)
    cancel = await kit.core.commands.cancel_reservation(reservation_id="res-a", requester=MSP)
    assert cancel.station_id == STATION
    assert (await settled(kit, cancel)).result is ACCEPTED
    assert kit.gateway.calls_of("cancel_reservation")[0].args == (1,)


async def test_cancelling_an_unknown_reservation_is_unknown_reservation() -> None:
    kit = await online_kit()
    command = await kit.core.commands.cancel_reservation(reservation_id="never-made", requester=MSP)
    assert command.result is CommandResultType.UNKNOWN_RESERVATION
    assert kit.gateway.calls == []
    # another requester's id is not ours to cancel
    reserve = await kit.core.commands.reserve_now(
        evse_uid="CP001*1", token=a_roaming_token(), expiry=at(30), reservation_id="res-A", requester=MSP
    )
    await settled(kit, reserve)
    stranger = await kit.core.commands.cancel_reservation(reservation_id="res-A", requester=None)
    assert stranger.result is CommandResultType.UNKNOWN_RESERVATION


# --- waiting ----------------------------------------------------------------------------------------


async def test_wait_result_times_out_and_knows_unknown_commands() -> None:
    kit = await online_kit()
    release = kit.gateway.hold("unlock_connector")
    command = await kit.core.commands.unlock_connector(evse_uid="CP001*1", connector_id="1")
    with pytest.raises(HubTimeoutError):
        await kit.core.commands.wait_result(command.id, 0.01)
    release.set()
    assert (await kit.core.commands.wait_result(command.id, 2)).result is ACCEPTED
    with pytest.raises(NotFoundError):
        await kit.core.commands.wait_result("no-such-command", 0.01)


async def test_shutdown_cancels_commands_in_flight() -> None:
    kit = await online_kit()
    kit.gateway.hold("unlock_connector")
    await kit.core.commands.unlock_connector(evse_uid="CP001*1", connector_id="1")
    await kit.gateway.wait_for_call("unlock_connector")
    assert len(kit.core.tasks) == 1
    await kit.core.tasks.close()
    assert len(kit.core.tasks) == 0
