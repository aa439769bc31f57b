"""A small in-process metrics registry (counters, gauges, histograms) rendered as Prometheus text.

Protocol-neutral, so every layer may record into it; imports the standard library only.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from threading import Lock

LabelKey = tuple[tuple[str, str], ...]

DEFAULT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _key(labels: dict[str, str] | None) -> LabelKey:
    return tuple(sorted((labels or {}).items()))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _render_labels(key: LabelKey, extra: Iterable[tuple[str, str]] = ()) -> str:
    pairs = [*key, *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in pairs) + "}"


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Counter:
    kind = "counter"

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self._values: dict[LabelKey, float] = {}

    def inc(self, labels: dict[str, str] | None = None, amount: float = 1) -> None:
        key = _key(labels)
        self._values[key] = self._values.get(key, 0) + amount

    def value(self, labels: dict[str, str] | None = None) -> float:
        return self._values.get(_key(labels), 0)

    def samples(self) -> list[str]:
        return [f"{self.name}{_render_labels(k)} {_number(v)}" for k, v in sorted(self._values.items())]


class Gauge:
    kind = "gauge"

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self._values: dict[LabelKey, float] = {}
        self._callbacks: dict[LabelKey, Callable[[], float]] = {}

    def set(self, value: float, labels: dict[str, str] | None = None) -> None:
        self._values[_key(labels)] = value

    def inc(self, labels: dict[str, str] | None = None, amount: float = 1) -> None:
        key = _key(labels)
        self._values[key] = self._values.get(key, 0) + amount

    def dec(self, labels: dict[str, str] | None = None, amount: float = 1) -> None:
        self.inc(labels, -amount)

    def set_function(self, fn: Callable[[], float], labels: dict[str, str] | None = None) -> None:
        """Read the value from `fn` at scrape time (e.g. the number of open sockets)."""
        self._callbacks[_key(labels)] = fn

    def value(self, labels: dict[str, str] | None = None) -> float:
        key = _key(labels)
        if key in self._callbacks:
            return self._callbacks[key]()
        return self._values.get(key, 0)

    def samples(self) -> list[str]:
        merged = dict(self._values)
        for key, fn in self._callbacks.items():
            merged[key] = fn()
        return [f"{self.name}{_render_labels(k)} {_number(v)}" for k, v in sorted(merged.items())]


class Histogram:
    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self.name, self.help = name, help_text
        self._buckets = buckets
        self._series: dict[LabelKey, list[float]] = {}  # bucket counts..., then sum, then count

    def observe(self, seconds: float, labels: dict[str, str] | None = None) -> None:
        key = _key(labels)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0.0] * (len(self._buckets) + 2)
        series[bisect.bisect_left(self._buckets, seconds)] += 0 if seconds > self._buckets[-1] else 1
        series[-2] += seconds
        series[-1] += 1

    def count(self, labels: dict[str, str] | None = None) -> float:
        series = self._series.get(_key(labels))
        return series[-1] if series else 0

    def samples(self) -> list[str]:
        lines: list[str] = []
        for key, series in sorted(self._series.items()):
            cumulative = 0.0
            for bound, count in zip(self._buckets, series, strict=False):
                cumulative += count
                lines.append(
                    f"{self.name}_bucket{_render_labels(key, [('le', repr(bound))])} {_number(cumulative)}"
                )
            lines.append(f"{self.name}_bucket{_render_labels(key, [('le', '+Inf')])} {_number(series[-1])}")
            lines.append(f"{self.name}_sum{_render_labels(key)} {series[-2]!r}")
            lines.append(f"{self.name}_count{_render_labels(key)} {_number(series[-1])}")
        return lines


Metric = Counter | Gauge | Histogram


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}
        self._lock = Lock()

    def _get(self, name: str, factory: Callable[[], Metric]) -> Metric:
        with self._lock:
            metric = self._metrics.get(name)
            if metric is None:
                metric = self._metrics[name] = factory()
            return metric

    def counter(self, name: str, help_text: str = "") -> Counter:
        metric = self._get(name, lambda: Counter(name, help_text))
        assert isinstance(metric, Counter)
        return metric

    def gauge(self, name: str, help_text: str = "") -> Gauge:
        metric = self._get(name, lambda: Gauge(name, help_text))
        assert isinstance(metric, Gauge)
        return metric

    def histogram(self, name: str, help_text: str = "") -> Histogram:
        metric = self._get(name, lambda: Histogram(name, help_text))
        assert isinstance(metric, Histogram)
        return metric

    def render(self) -> str:
        """Prometheus text exposition format 0.0.4."""
        out: list[str] = []
        for name in sorted(self._metrics):
            metric = self._metrics[name]
            out.append(f"# HELP {name} {metric.help}")
            out.append(f"# TYPE {name} {metric.kind}")
            out.extend(metric.samples())
        return "\n".join(out) + "\n"


METRICS = Registry()
