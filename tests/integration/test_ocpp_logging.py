"""Logs as operators read them: JSON lines carrying the station id and the message id of the OCPP message
being handled, and never a password or a token in clear."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from hub.logging import configure_logging
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def test_core_log_lines_carry_station_and_message_ids_and_no_secrets(
    hub: RunningHub, json_logs: io.StringIO
) -> None:
    station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD)
    async with station:
        await station.boot()
        await station.status(1, "Available")
        await station.authorize(OWN_TOKEN)
        tx_id = await station.start(1, OWN_TOKEN, meter_start_wh=0)
        await station.stop(tx_id, meter_stop_wh=5_000)

    records = lines(json_logs)
    started = [r for r in records if r.get("event") == "transaction_started"]
    assert len(started) == 1
    assert started[0]["station_id"] == "CP001"
    assert isinstance(started[0].get("message_id"), str)
    assert started[0]["message_id"]
    text = json_logs.getvalue()
    assert CP001_PASSWORD not in text
    assert OWN_TOKEN not in text
