"""CommandService charging profiles (CP-01, CP-03): GET_CHARGING_SCHEDULE keeps the station's composite
schedule in `Command.data` (JSON-ready, on the stored command and its `command.result` row), and
CLEAR_CHARGING_LIMIT removes exactly the profile the last accepted SET_CHARGING_LIMIT of the session sent;
with none to clear it is REJECTED at once. Unknown or finished sessions are UNKNOWN_SESSION."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hub.core.events import CommandResultReceived
from hub.core.models import Command, CommandResultType, CommandType, StationCommandReply
from ocpi_modules.v2_2_1.chargingprofiles import from_core_schedule
from tests.unit.core_kit import MSP, STATION, Kit, a_start, a_stop, make_kit

ACCEPTED, REJECTED = CommandResultType.ACCEPTED, CommandResultType.REJECTED
UNKNOWN_SESSION = CommandResultType.UNKNOWN_SESSION
SCHEDULE = {
    "start": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    "unit": "W",
    "duration_s": 600,
    "periods": [{"start_s": 0, "limit": Decimal("11000.0")}, {"start_s": 300, "limit": Decimal("7400.0")}],
}


async def charging(**kw: float) -> tuple[Kit, str]:
    """A kit whose station is online and charging; the running session's id."""
    kit = await make_kit(**kw)  # type: ignore[arg-type]
    await kit.online()
    outcome = await kit.core.chargepoints.transaction(STATION, a_start())
    assert outcome.session is not None
    kit.events.clear()
    return kit, outcome.session.id


async def settled(kit: Kit, command: Command) -> Command:
    assert command.result is None
    return await kit.core.commands.wait_result(command.id, 2)


# --- GET_CHARGING_SCHEDULE ------------------------------------------------------------------------------


async def test_cp_03_the_station_schedule_is_kept_on_the_command_and_its_result_row() -> None:
    kit, session_id = await charging()
    kit.gateway.script("get_composite_schedule", StationCommandReply(result=ACCEPTED, data=SCHEDULE))

    command = await kit.core.commands.charging_schedule(
        session_id=session_id, duration_s=600, requester=MSP, reply_to="https://msp/cp/get-1"
    )

    assert (command.type, command.session_id, command.station_id) == (
        CommandType.GET_CHARGING_SCHEDULE,
        session_id,
        STATION,
    )
    done = await settled(kit, command)
    (call,) = kit.gateway.calls_of("get_composite_schedule")
    assert call.args == (1, 600, None)  # the session's EVSE, the asked duration, the station's own unit
    plain = {
        "start": "2026-03-02T09:00:00Z",
        "unit": "W",
        "duration_s": 600,
        "periods": [{"start_s": 0, "limit": "11000.0"}, {"start_s": 300, "limit": "7400.0"}],
    }
    assert (done.result, done.data, done.reply_to) == (ACCEPTED, plain, "https://msp/cp/get-1")
    assert await kit.core.commands.get(command.id) == done
    (row,) = kit.outbox("command.result")
    assert (row.payload["type"], row.payload["data"]) == ("GET_CHARGING_SCHEDULE", plain)
    assert [e.command.data for e in kit.events_of(CommandResultReceived)] == [plain]
    profile = from_core_schedule(Command.model_validate(row.payload).data or {})
    assert profile["charging_profile"]["charging_profile_period"] == [
        {"start_period": 0, "limit": Decimal("11000.0")},
        {"start_period": 300, "limit": Decimal("7400.0")},
    ]
    assert profile["start_date_time"] == SCHEDULE["start"]


async def test_cp_03_a_refused_or_silent_schedule_request_carries_no_data() -> None:
    kit, session_id = await charging(command_timeout_s=0.05)
    kit.gateway.script("get_composite_schedule", REJECTED)
    rejected = await kit.core.commands.charging_schedule(session_id=session_id, duration_s=60)
    assert ((done := await settled(kit, rejected)).result, done.data) == (REJECTED, None)

    kit.gateway.hold("get_composite_schedule")
    silent = await kit.core.commands.charging_schedule(session_id=session_id, duration_s=60)
    assert ((done := await settled(kit, silent)).result, done.data) == (CommandResultType.TIMEOUT, None)


async def test_cp_01_schedule_of_an_unknown_finished_or_offline_session_is_refused_at_once() -> None:
    kit, session_id = await charging()
    unknown = await kit.core.commands.charging_schedule(session_id="nope", duration_s=60)
    assert unknown.result is UNKNOWN_SESSION

    kit.gateway.disconnect(STATION)
    offline = await kit.core.commands.charging_schedule(session_id=session_id, duration_s=60)
    assert (offline.result, offline.message) == (REJECTED, "station offline")
    kit.gateway.connect(STATION)

    session = await kit.core.sessions.get(session_id)
    assert session is not None
    await kit.core.chargepoints.transaction(STATION, a_stop(session.transaction_id))
    finished = await kit.core.commands.charging_schedule(session_id=session_id, duration_s=60)
    assert finished.result is UNKNOWN_SESSION
    assert kit.gateway.calls_of("get_composite_schedule") == []
    assert kit.outbox("command.result") == []


# --- CLEAR_CHARGING_LIMIT ---------------------------------------------------------------------------------


async def test_cp_01_clearing_removes_the_profile_the_accepted_limit_sent() -> None:
    kit, session_id = await charging()
    await settled(
        kit, await kit.core.commands.set_charging_limit(session_id=session_id, limit=Decimal(16), unit="A")
    )
    kit.gateway.script("set_charging_limit", REJECTED)  # the station keeps the earlier profile
    await settled(
        kit, await kit.core.commands.set_charging_limit(session_id=session_id, limit=Decimal(8), unit="A")
    )
    sent = [c.args[2] for c in kit.gateway.calls_of("set_charging_limit")]
    assert sent == [1, 2]

    command = await kit.core.commands.clear_charging_limit(
        session_id=session_id, requester=MSP, reply_to="https://msp/cp/clear-1"
    )

    assert command.data == {"profile_id": 1}
    done = await settled(kit, command)
    assert (done.type, done.result, done.reply_to) == (
        CommandType.CLEAR_CHARGING_LIMIT,
        ACCEPTED,
        "https://msp/cp/clear-1",
    )
    (call,) = kit.gateway.calls_of("clear_charging_profile")
    assert (call.station_id, call.args) == (STATION, (1,))
    assert kit.outbox("command.result")[-1].payload["type"] == "CLEAR_CHARGING_LIMIT"

    again = await kit.core.commands.clear_charging_limit(session_id=session_id)
    assert again.result is REJECTED  # cleared: nothing of ours is left on the station
    assert len(kit.gateway.calls_of("clear_charging_profile")) == 1


async def test_cp_01_clearing_without_a_limit_of_ours_is_rejected_without_a_station_call() -> None:
    kit, session_id = await charging()
    command = await kit.core.commands.clear_charging_limit(session_id=session_id, reply_to="https://msp/x")
    assert (command.result, command.message) == (
        REJECTED,
        "no charging limit of this hub to clear for this session",
    )
    assert (await kit.core.commands.clear_charging_limit(session_id="nope")).result is UNKNOWN_SESSION
    assert kit.gateway.calls_of("clear_charging_profile") == []
    assert kit.outbox("command.result") == []


async def test_cp_03_a_clear_the_station_refuses_keeps_the_profile_to_clear_later() -> None:
    kit, session_id = await charging()
    await settled(
        kit, await kit.core.commands.set_charging_limit(session_id=session_id, limit=Decimal(16), unit="A")
    )
    kit.gateway.script("clear_charging_profile", REJECTED)
    refused = await settled(kit, await kit.core.commands.clear_charging_limit(session_id=session_id))
    assert refused.result is REJECTED
    retried = await settled(kit, await kit.core.commands.clear_charging_limit(session_id=session_id))
    assert retried.result is ACCEPTED
    assert [c.args for c in kit.gateway.calls_of("clear_charging_profile")] == [(1,), (1,)]


async def test_cp_01_a_set_charging_limit_records_its_profile_id() -> None:
    kit, session_id = await charging()
    command = await kit.core.commands.set_charging_limit(session_id=session_id, limit=Decimal(7400), unit="W")
    assert command.data == {"profile_id": 1}
    assert (await settled(kit, command)).data == {"profile_id": 1}
