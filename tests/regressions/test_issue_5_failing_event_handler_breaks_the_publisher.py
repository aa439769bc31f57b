"""Issue 5: a failing event handler was logged with `event=` as a keyword, which structlog reserves for the
message itself, so the log call raised TypeError and the publisher (a station's StatusNotification) failed
with an OCPP InternalError. A failing handler must be logged and skipped; the others still run."""

from __future__ import annotations

import structlog.testing

from hub.core.events import EventBus, EvseStatusChanged
from hub.core.models import EvseStatus


async def test_a_failing_handler_is_logged_and_the_next_one_still_runs() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: EvseStatusChanged) -> None:
        raise RuntimeError("handler bug")

    async def working(event: EvseStatusChanged) -> None:
        seen.append(event.evse_uid)

    bus.subscribe(EvseStatusChanged, broken)
    bus.subscribe(EvseStatusChanged, working)
    change = EvseStatusChanged(
        location_id="LOC1",
        evse_uid="CP001*1",
        station_id="CP001",
        old=EvseStatus.AVAILABLE,
        new=EvseStatus.CHARGING,
    )
    with structlog.testing.capture_logs() as logs:
        await bus.publish(change)

    assert seen == ["CP001*1"]
    assert [(e["event"], e["event_type"]) for e in logs] == [("event_handler_failed", "EvseStatusChanged")]
