"""Many simulated stations at once: `run_simulation` (tests, smoke tests, the benchmark) and `run_demo`
(`python -m hub serve --demo`).

Imports the standard library, aiohttp and the simulator's own modules only.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl as ssl_module
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import aiohttp

from hub.ocpp.simulator.common import (
    DEFAULT_ID_TAG,
    LATENCY_SAMPLES,
    OCPP16,
    StationCallError,
)
from hub.ocpp.simulator.station import SimulatedStation, pause_unless_stopped

# ---------------------------------------------------------------------- many stations


@dataclass
class SimulationStats:
    """What `run_simulation` measured. Latencies are CALL round-trip times in seconds."""

    stations: int
    connected: int = 0
    booted: int = 0
    sessions: int = 0
    calls: int = 0
    energy_wh: int = 0
    call_errors: int = 0
    failures: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    # the most recent CALL round trips (bounded, so a demo can run for days)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile_ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000

    def summary(self) -> str:
        line = (
            f"{self.connected}/{self.stations} stations, {self.sessions} sessions, "
            f"{self.energy_wh / 1000:.1f} kWh, "
            f"{self.calls} CALLs in {self.elapsed_s:.1f} s ({self.calls_per_s:.0f}/s)"
        )
        if self.latencies:
            line += f", p50 {self.percentile_ms(0.5):.1f} ms, p99 {self.percentile_ms(0.99):.1f} ms"
        return line + f", {self.call_errors} CallErrors, {len(self.failures)} failures"


def percentile(values: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def station_ids(count: int, prefix: str = "CP", start: int = 1) -> list[str]:
    """`CP001`, `CP002`, … (at least three digits)."""
    width = max(3, len(str(start + count - 1)))
    return [f"{prefix}{number:0{width}d}" for number in range(start, start + count)]


async def run_simulation(
    url: str,
    stations: int | Iterable[str],
    protocol: str = OCPP16,
    sessions: int | None = 1,
    *,
    password_for: Callable[[str], str | None] | None = None,
    meter_interval_s: float = 0.0,
    samples: int = 3,
    energy_wh: int = 7_400,
    id_tags: Sequence[str] = (DEFAULT_ID_TAG,),
    duration_s: float | None = None,
    pause_between_sessions_s: float = 0.0,
    station_prefix: str = "CP",
    ssl: ssl_module.SSLContext | None = None,
    connect_concurrency: int = 100,
    call_timeout_s: float = 30.0,
    progress: TextIO | None = sys.stdout,
    progress_interval_s: float = 1.0,
    stop: asyncio.Event | None = None,
    announce_sessions: bool = False,
) -> SimulationStats:
    """Run stations concurrently: connect, boot, status Available per connector, then charging sessions on
    EVSE 1 (Authorize, Status, Start, MeterValues × samples, Stop, Status, Heartbeat = 6 + samples CALLs).

    `sessions` per station (None or 0: no limit — until `duration_s`, `stop` or cancellation). Prints a
    progress line to `progress` (None: quiet), with `announce_sessions` one line per finished session, and
    returns the stats; a station that fails is recorded in `failures` and the others go on."""
    ids = station_ids(stations, station_prefix) if isinstance(stations, int) else list(stations)
    stats = SimulationStats(stations=len(ids))
    stop_event = stop if stop is not None else asyncio.Event()
    limit = sessions or None
    started = time.perf_counter()
    deadline = started + duration_s if duration_s is not None else None
    gate = asyncio.Semaphore(max(1, connect_concurrency))
    everyone: list[SimulatedStation] = []
    jitter = random.Random(len(ids))

    def keep_going(done: int) -> bool:
        if stop_event.is_set() or (limit is not None and done >= limit):
            return False
        return deadline is None or time.perf_counter() < deadline

    async def one(index: int, station_id: str, client: aiohttp.ClientSession) -> None:
        station = SimulatedStation(
            url,
            station_id,
            protocol,
            password=password_for(station_id) if password_for is not None else None,
            ssl=ssl,
            session=client,
            latencies=stats.latencies,
            call_timeout_s=call_timeout_s,
        )
        everyone.append(station)
        id_tag = id_tags[index % len(id_tags)]
        try:
            async with gate:
                await station.connect()
            stats.connected += 1
            boot = await station.boot()
            if boot.get("status") != "Accepted":
                stats.failures.append(f"{station_id}: BootNotification answered {boot.get('status')}")
                return
            stats.booted += 1
            for evse in range(1, station.connectors + 1):
                await station.status(evse, "Available")
            done = 0
            while keep_going(done):
                tx_id = await station.charge(
                    id_tag, 1, energy_wh, samples, meter_interval_s=meter_interval_s, stop_event=stop_event
                )
                await station.heartbeat()
                done += 1
                stats.sessions += 1
                stats.energy_wh += energy_wh
                if announce_sessions and progress is not None:
                    print(
                        f"[simulate] {station_id}: charged {energy_wh / 1000:.1f} kWh with {id_tag} "
                        f"(transaction {tx_id})",
                        file=progress,
                        flush=True,
                    )
                if pause_between_sessions_s > 0 and keep_going(done):
                    await pause_unless_stopped(pause_between_sessions_s * (0.5 + jitter.random()), stop_event)
        except StationCallError as error:
            stats.call_errors += 1
            stats.failures.append(f"{station_id}: CallError {error}")
        except Exception as error:  # one broken station must not end the others' sessions; it is reported
            stats.failures.append(f"{station_id}: {type(error).__name__} {error}")
        finally:
            await station.close()

    async def report() -> None:
        assert progress is not None
        while True:
            await asyncio.sleep(progress_interval_s)
            stats.elapsed_s = time.perf_counter() - started
            stats.calls = sum(station.calls_sent for station in everyone)
            print(f"[simulate] {stats.summary()}", file=progress, flush=True)

    connector = aiohttp.TCPConnector(limit=0, ssl=ssl if ssl is not None else True)
    async with aiohttp.ClientSession(connector=connector) as client:
        reporter = asyncio.create_task(report()) if progress is not None else None
        try:
            await asyncio.gather(*(one(index, sid, client) for index, sid in enumerate(ids)))
        finally:
            if reporter is not None:
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter
    stats.elapsed_s = time.perf_counter() - started
    stats.calls = sum(station.calls_sent for station in everyone)
    if progress is not None:
        print(f"[simulate] done: {stats.summary()}", file=progress, flush=True)
        for failure in stats.failures[:10]:
            print(f"[simulate]   {failure}", file=progress, flush=True)
    return stats


# ---------------------------------------------------------------------- CLI: python -m hub simulate


async def run_demo(
    url: str,
    station_ids: Sequence[str],
    *,
    protocol: str = OCPP16,
    passwords: dict[str, str] | None = None,
    stop: asyncio.Event | None = None,
    ssl: ssl_module.SSLContext | None = None,
    id_tags: Sequence[str] = (DEFAULT_ID_TAG,),
    meter_interval_s: float = 2.0,
    progress: TextIO | None = sys.stdout,
) -> SimulationStats:
    """`python -m hub serve --demo`: the stations charge in a loop (a session every ~10 s per station) until
    `stop` is set or the task is cancelled, so a newcomer sees sessions and CDRs appear. Set `stop` and
    await the task to end the sessions in flight cleanly; cancelling leaves them open on the hub."""
    known = passwords or {}
    return await run_simulation(
        url,
        station_ids,
        protocol,
        None,
        password_for=known.get,
        meter_interval_s=meter_interval_s,
        pause_between_sessions_s=meter_interval_s,
        id_tags=id_tags,
        ssl=ssl,
        progress=progress,
        progress_interval_s=30.0,
        stop=stop,
        announce_sessions=True,
    )
