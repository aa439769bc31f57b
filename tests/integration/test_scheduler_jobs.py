"""The scheduler's jobs on the running hub, on both storage backends: a PENDING session no station started
within the limit becomes INVALID with its outbox row, and station last-seen times from heartbeats reach the
database. Time is the hub's FixedClock; the job functions are called directly rather than awaited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from hub.app import SCHEDULER_KEY
from hub.core.chargepoint import BootInfo
from hub.core.clock import FixedClock
from hub.core.events import SessionUpdated
from hub.core.models import OutboxMessage, Session, SessionStatus
from hub.scheduler import PENDING_TIMEOUT
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def a_pending_session(hub: RunningHub) -> Session:
    """What an accepted START_SESSION leaves behind until the station starts."""
    core = hub.core
    token = await core.tokens.get(OWN_TOKEN)
    assert token is not None
    async with hub.db.unit_of_work() as uow:
        station = await uow.stations.get("CP001")
        assert station is not None
        event = await core.sessions.create_pending(
            uow,
            station,
            token=token,
            evse_uid=None,
            connector_id=None,
            location_id=None,
            authorization_reference="AUTH-1",
            remote_start_id=1,
            now=core.clock.now(),
        )
        await uow.commit()
    return event.session


async def test_a_pending_session_past_the_limit_becomes_invalid(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    scheduler = hub.app[SCHEDULER_KEY]
    delivered: list[OutboxMessage] = []

    async def receive(message: OutboxMessage) -> None:
        delivered.append(message)

    scheduler.drainer.register("session.", receive)
    updates: list[SessionUpdated] = []
    hub.core.bus.subscribe(SessionUpdated, updates.append)
    old = await a_pending_session(hub)
    clock.advance(minutes=2)
    young = await a_pending_session(hub)

    clock.advance(seconds=PENDING_TIMEOUT.total_seconds() - 2 * 60)  # old: exactly at the limit
    await scheduler.expire_pending_sessions()
    assert await hub.core.sessions.get(old.id) == old

    clock.advance(seconds=1)
    await scheduler.expire_pending_sessions()

    expired = await hub.core.sessions.get(old.id)
    assert expired is not None
    assert (expired.status, expired.end, expired.last_updated) == (
        SessionStatus.INVALID,
        clock.now(),
        clock.now(),
    )
    assert await hub.core.sessions.get(young.id) == young
    assert [(u.session.id, u.session.status) for u in updates] == [(old.id, SessionStatus.INVALID)]
    while await scheduler.drainer.drain_once():
        pass
    rows = [(m.key, m.payload["status"]) for m in delivered if m.payload["id"] == old.id]
    assert rows == [(f"session:{old.id}", "PENDING"), (f"session:{old.id}", "INVALID")]


async def test_heartbeats_reach_the_database_through_the_last_seen_job(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    hub = await make_hub(clock=clock)
    core = hub.core
    assert (await core.chargepoints.admit("CP001", CP001_PASSWORD, None)).admitted
    await core.chargepoints.connected("CP001", "ocpp1.6")
    await core.chargepoints.boot("CP001", BootInfo(vendor="ACME", model="Fast-1"))
    clock.advance(minutes=3)
    await core.chargepoints.heartbeat("CP001")

    await hub.app[SCHEDULER_KEY].flush_last_seen()

    async with hub.db.unit_of_work() as uow:
        station = await uow.stations.get("CP001")
    assert station is not None
    assert station.last_seen == T0 + timedelta(minutes=3)
