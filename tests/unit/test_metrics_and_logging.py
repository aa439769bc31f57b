"""The metrics registry renders valid Prometheus text; logs never carry secrets in clear."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from hub.core.metrics import Registry
from hub.logging import configure_logging, fingerprint


def test_counter_gauge_and_histogram_render_as_prometheus_text() -> None:
    registry = Registry()
    registry.counter("ocpp_messages_total", "Messages").inc({"action": "Heartbeat", "result": "ok"}, 3)
    registry.gauge("ocpp_connected_stations", "Stations").set(7)
    hist = registry.histogram("ocpp_handler_seconds", "Latency")
    hist.observe(0.002, {"action": "Heartbeat"})
    hist.observe(50.0, {"action": "Heartbeat"})

    text = registry.render()

    assert "# TYPE ocpp_messages_total counter" in text
    assert 'ocpp_messages_total{action="Heartbeat",result="ok"} 3' in text
    assert "ocpp_connected_stations 7" in text
    assert 'ocpp_handler_seconds_bucket{action="Heartbeat",le="0.0025"} 1' in text
    assert 'ocpp_handler_seconds_bucket{action="Heartbeat",le="+Inf"} 2' in text
    assert 'ocpp_handler_seconds_count{action="Heartbeat"} 2' in text


def test_label_values_are_escaped() -> None:
    registry = Registry()
    registry.counter("c", "h").inc({"v": 'a"b\\c\nd'})

    assert 'c{v="a\\"b\\\\c\\nd"} 1' in registry.render()


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=50))
def test_histogram_buckets_are_cumulative_and_count_everything(values: list[float]) -> None:
    registry = Registry()
    hist = registry.histogram("h", "x")
    for value in values:
        hist.observe(value)

    buckets = [line for line in registry.render().splitlines() if line.startswith("h_bucket")]
    counts = [float(line.rsplit(" ", 1)[1]) for line in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == len(values)


def test_secrets_are_fingerprinted_in_logs() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    import structlog

    structlog.get_logger("t").info(
        "station_admitted", station_id="CP001", password="hunter2-hunter2", token="abc"
    )

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["password"] == fingerprint("hunter2-hunter2")
    assert "hunter2" not in stream.getvalue()
    assert line["station_id"] == "CP001"


@given(st.text(min_size=1))
def test_fingerprint_is_short_stable_and_not_the_secret(secret: str) -> None:
    fp = fingerprint(secret)
    assert fp == fingerprint(secret)
    assert len(fp) == 13
    assert fp.startswith("fp:")
    assert all(ch in "0123456789abcdef" for ch in fp[3:])
