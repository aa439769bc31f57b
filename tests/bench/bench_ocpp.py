"""OCPP benchmark: the hub against a baseline of the bare `ocpp` library, side by side, plus idle memory.

Run (from the repository root; takes about two minutes, not collected by pytest):

    python -m tests.bench.bench_ocpp [--stations 200] [--seconds 20] [--idle 10000]

1. Starts the hub (`python -m hub serve --config <generated toml>`: fresh SQLite file, persistence on, schema
   validation strict, compression off, logging at warning) and the BASELINE (`tests/bench/baseline_server.py`:
   aiohttp + `ocpp` 2.1.0 `ChargePoint` v16 at the library's defaults, fixed answers, no database) as separate
   processes pinned to CPU 0; this process (the simulated stations) is pinned to CPU 1.
2. Drives each with `--stations` simulated OCPP 1.6 stations in a closed loop of charging sessions (9 CALLs
   per session: Authorize, Status, Start, MeterValues x3, Stop, Status, Heartbeat), alternating hub/baseline
   rounds, and prints CALL/s, p50/p99 latency, the servers' CPU use and the hub/baseline ratio.
3. Connects `--idle` booted, idle stations (compression off) to a fresh hub and prints its RSS growth per
   connection in KiB (VmRSS from /proc before and after); the same for the baseline for comparison.

Options: `--rounds 4` (alternating rounds per server), `--servers hub,baseline`, `--idle 0` (no memory part).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiohttp

from hub.ocpp.simulator import OCPP16, SimulatedStation, percentile, station_ids
from tests.bench.common import cpu_model

REPO = Path(__file__).resolve().parents[2]
SERVER_CPU = 0
CLIENT_CPU = 1
ID_TAG = "04A1B2C3D4E5F6"
SAMPLES = 3  # MeterValues per session: 6 + 3 = 9 CALLs per session
WARMUP_S = 1.0
STATIONS_PER_LOCATION = 10  # a site with a few stations; every status change rewrites its location's EVSEs


# ---------------------------------------------------------------------- machine and processes


def machine_line() -> str:
    model = cpu_model()
    return (
        f"machine: {os.cpu_count()} CPUs (nproc), {model}; Python {platform.python_version()}, "
        f"aiohttp {version('aiohttp')}, ocpp {version('ocpp')}; {platform.system()} {platform.release()}"
    )


def raise_file_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all threads) in seconds."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class Server:
    name: str
    url: str  # OCPP base, ws://127.0.0.1:PORT/ocpp
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _pin_to_server_cpu() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})


def start_process(name: str, argv: list[str], port: int, workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_pin_to_server_cpu
        )
    return Server(name, f"ws://127.0.0.1:{port}/ocpp", process, log)


async def wait_listening(server: Server, port: int, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {server.log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.name} did not listen on {port} within {within_s} s")


def hub_config(workdir: Path, port: int, stations: list[str], tag: str) -> Path:
    """A config with persistence on (fresh SQLite file), strict validation, compression off, quiet logs; the
    benchmark's stations registered 10 per location with tariff STD, so every session ends in a priced CDR."""
    tariff = REPO / "fixtures" / "tariffs" / "standard.json"
    lines = [
        "[hub]",
        'name = "bench"',
        f'listen = "127.0.0.1:{port}"',
        f'public_url = "http://127.0.0.1:{port}"',
        f'database_url = "sqlite:///{workdir / f"hub-{tag}.db"}"',
        'log_level = "warning"',
        "",
        "[[parties]]",
        'country_code = "NL"\nparty_id = "CPO"\nrole = "CPO"\nname = "Bench CPO"',
        "",
        "[[parties]]",
        'country_code = "NL"\nparty_id = "MSP"\nrole = "EMSP"\nname = "Bench eMSP"',
        "",
        "[ocpp]",
        "accept_unknown_stations = true",
        "compression = false",
        'validation = "strict"',
        "",
        "[[tariffs]]",
        f'id = "STD"\nparty = "NL*CPO"\nfile = "{tariff}"',
        "",
        "[[tokens]]",
        f'uid = "{ID_TAG}"\nparty = "NL*MSP"\ntype = "RFID"\ncontract_id = "NL-MSP-C12345678-X"',
    ]
    for number in range(1, (len(stations) + STATIONS_PER_LOCATION - 1) // STATIONS_PER_LOCATION + 1):
        lines += [
            "",
            "[[locations]]",
            f'id = "LOC{number:03d}"',
            'party = "NL*CPO"',
            'address = "Benchstraat 1"',
        ]
        lines += ['city = "Utrecht"', 'country = "NLD"', 'latitude = "52.09"', 'longitude = "5.12"']
    for index, station_id in enumerate(stations):
        location = f"LOC{index // STATIONS_PER_LOCATION + 1:03d}"
        lines += ["", "[[ocpp.stations]]", f'id = "{station_id}"', 'party = "NL*CPO"']
        lines += [f'location_id = "{location}"', 'tariff_id = "STD"']
    path = workdir / f"hub-{tag}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def start_hub(workdir: Path, stations: list[str], tag: str) -> Server:
    port = free_port()
    config = hub_config(workdir, port, stations, tag)
    argv = [sys.executable, "-m", "hub", "serve", "--config", str(config)]
    server = start_process(f"hub-{tag}", argv, port, workdir)
    await wait_listening(server, port)
    return server


async def start_baseline(workdir: Path, tag: str) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "tests.bench.baseline_server", "--port", str(port)]
    server = start_process(f"baseline-{tag}", argv, port, workdir)
    await wait_listening(server, port)
    return server


# ---------------------------------------------------------------------- closed-loop load


@dataclass
class Fleet:
    """Simulated stations connected to one server, with their shared latency record."""

    server: Server
    stations: list[SimulatedStation]
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    window: list[float] = field(default_factory=list)  # latencies inside the measured windows
    by_action: dict[str, list[float]] = field(default_factory=dict)  # every CALL, warm-up included

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


class BenchStation(SimulatedStation):
    """A simulated station that also records its CALL latencies per action."""

    by_action: dict[str, list[float]] | None = None

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        timeout: float | None = None,  # noqa: ASYNC109 -- the simulator's signature
    ) -> dict[str, Any]:
        if self.by_action is None:
            return await super().call(action, payload, timeout)
        started = time.perf_counter()
        result = await super().call(action, payload, timeout)
        self.by_action.setdefault(action, []).append(time.perf_counter() - started)
        return result


async def connect_fleet(
    server: Server,
    ids: list[str],
    client: aiohttp.ClientSession,
    *,
    concurrency: int = 200,
    status: bool = True,
    latencies: list[float] | None = None,
    by_action: dict[str, list[float]] | None = None,
) -> list[SimulatedStation]:
    gate = asyncio.Semaphore(concurrency)

    async def one(station_id: str) -> SimulatedStation:
        station = BenchStation(server.url, station_id, OCPP16, session=client, latencies=latencies)
        station.by_action = by_action
        async with gate:
            await station.connect()
            boot = await station.boot()
            if boot.get("status") != "Accepted":
                raise RuntimeError(f"{server.name}: {station_id} boot {boot}")
            if status:
                await station.status(1, "Available")
        return station

    return list(await asyncio.gather(*(one(sid) for sid in ids)))


async def run_round(fleet: Fleet, seconds: float) -> None:
    """All stations charge in a closed loop; only CALLs completed inside [t0, t0 + seconds] count."""
    stop = asyncio.Event()

    async def loop(station: SimulatedStation) -> None:
        while not stop.is_set():
            try:
                await station.charge(ID_TAG, 1, 7_400, SAMPLES)
                await station.heartbeat()
            except Exception as error:
                fleet.failures.append(f"{station.station_id}: {type(error).__name__}: {error}")
                return

    tasks = [asyncio.create_task(loop(station)) for station in fleet.stations]
    await asyncio.sleep(WARMUP_S)
    first = len(fleet.latencies)
    server_cpu = cpu_seconds(fleet.server.pid)
    client_cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    last = len(fleet.latencies)
    fleet.seconds += time.perf_counter() - started
    fleet.server_cpu_s += cpu_seconds(fleet.server.pid) - server_cpu
    fleet.client_cpu_s += time.process_time() - client_cpu
    fleet.calls += last - first
    fleet.window.extend(fleet.latencies[first:last])
    stop.set()  # stations finish the session they are in, so no transaction stays open
    await asyncio.gather(*tasks)


def report_load(fleets: list[Fleet]) -> None:
    header = ("server", "CALL/s", "p50 ms", "p99 ms", "server CPU", "CALL/CPU-s", "client CPU")
    print("\n{:<10} {:>8} {:>8} {:>8} {:>11} {:>11} {:>11} failures".format(*header))
    for fleet in fleets:
        p50, p99 = percentile(fleet.window, 0.5) * 1000, percentile(fleet.window, 0.99) * 1000
        server_cpu, client_cpu = fleet.server_cpu_s / fleet.seconds, fleet.client_cpu_s / fleet.seconds
        name = fleet.server.name.split("-")[0]
        print(
            f"{name:<10} {fleet.rate:>8.0f} {p50:>8.1f} {p99:>8.1f} {server_cpu:>11.0%} "
            f"{fleet.calls / fleet.server_cpu_s:>11.0f} {client_cpu:>11.0%} {len(fleet.failures)}"
        )
        for failure in fleet.failures[:5]:
            print(f"    {failure}")
    for fleet in fleets:
        parts = [
            f"{action} {percentile(values, 0.5) * 1000:.1f}/{percentile(values, 0.99) * 1000:.0f}"
            for action, values in sorted(fleet.by_action.items())
        ]
        print(f"  {fleet.server.name.split('-')[0]} p50/p99 ms per action: " + ", ".join(parts))
    by_name = {fleet.server.name.split("-")[0]: fleet for fleet in fleets}
    if "hub" in by_name and "baseline" in by_name and by_name["baseline"].rate:
        hub, baseline = by_name["hub"], by_name["baseline"]
        per_cpu = (hub.calls / hub.server_cpu_s) / (baseline.calls / baseline.server_cpu_s)
        print(
            f"ratio hub/baseline: {hub.rate / baseline.rate:.2f} in CALL/s, "
            f"{per_cpu:.2f} in CALLs per server CPU-second"
        )
    print(
        f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(other work on the machine lowers CALL/s; CALLs per CPU-second is the steadier figure)"
    )


async def load_benchmark(args: argparse.Namespace, workdir: Path, servers: list[str]) -> None:
    ids = station_ids(args.stations, "BENCH")
    started: list[Server] = []
    try:
        for name in servers:
            if name == "hub":
                started.append(await start_hub(workdir, ids, "load"))
            else:
                started.append(await start_baseline(workdir, "load"))
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as client:
            fleets = []
            for server in started:
                fleet = Fleet(server, [])
                fleet.stations = await connect_fleet(
                    server, ids, client, latencies=fleet.latencies, by_action=fleet.by_action
                )
                fleets.append(fleet)
            print(
                f"\nload: {args.stations} OCPP 1.6 stations per server, closed loop, "
                f"{SAMPLES + 6} CALLs per session, "
                f"{args.rounds} alternating rounds x {args.seconds / args.rounds:.1f} s per server "
                f"(+{WARMUP_S:.0f} s warm-up each)"
            )
            for round_no in range(args.rounds):
                for fleet in fleets:
                    await run_round(fleet, args.seconds / args.rounds)
                    window = fleet.latencies[-1000:]
                    print(
                        f"  round {round_no + 1} {fleet.server.name:<14} {fleet.rate:>7.0f} CALL/s so far, "
                        f"last p50 {percentile(window, 0.5) * 1000:.1f} ms",
                        flush=True,
                    )
            for fleet in fleets:
                for station in fleet.stations:
                    await station.close()
            report_load(fleets)
    finally:
        for server in started:
            server.stop()


# ---------------------------------------------------------------------- idle memory


async def idle_memory(server: Server, count: int, client: aiohttp.ClientSession) -> tuple[int, int, float]:
    """RSS before/after `count` booted idle connections: (before KiB, after KiB, seconds to connect)."""
    warm = await connect_fleet(server, [f"WARM{i:03d}" for i in range(10)], client, status=False)
    await asyncio.sleep(1.0)
    before = rss_kib(server.pid)
    started = time.perf_counter()
    ids = station_ids(count, "IDLE", 1)
    stations = await connect_fleet(server, ids, client, concurrency=500, status=False)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2.0)  # let the server settle (finished handler tasks, freed buffers)
    after = rss_kib(server.pid)
    await asyncio.gather(*(station.close() for station in stations + warm))
    return before, after, elapsed


async def memory_benchmark(args: argparse.Namespace, workdir: Path, servers: list[str]) -> None:
    print(f"\nidle memory: {args.idle} booted, idle OCPP 1.6 stations, compression off")
    for name in servers:
        if name == "hub":
            server = await start_hub(workdir, [], "idle")
        else:
            server = await start_baseline(workdir, "idle")
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as client:
                before, after, elapsed = await idle_memory(server, args.idle, client)
            gc.collect()
            print(
                f"  {name:<9} RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB, "
                f"{(after - before) / args.idle:.1f} KiB per connection "
                f"(connected + booted in {elapsed:.1f} s, {args.idle / elapsed:.0f}/s)",
                flush=True,
            )
        finally:
            server.stop()


# ---------------------------------------------------------------------- main


@contextlib.contextmanager
def workspace(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="ocpp-bench-") as tmp:
            yield Path(tmp)


async def main_async(args: argparse.Namespace) -> int:
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    with workspace(args.keep) as workdir:
        if args.stations > 0 and args.seconds > 0:
            await load_benchmark(args, workdir, servers)
        if args.idle > 0:
            await memory_benchmark(args, workdir, servers)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_ocpp", description=summary)
    parser.add_argument("--stations", type=int, default=200, help="stations per server in the load test")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured s per server, all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per server")
    parser.add_argument("--idle", type=int, default=10_000, help="idle stations (0: no memory test)")
    parser.add_argument("--servers", default="hub,baseline", help="servers to run (default: %(default)s)")
    parser.add_argument("--keep", help="write configs, databases and server logs here instead of a temp dir")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        print("needs at least 2 CPUs (one for the server, one for the stations)", file=sys.stderr)
        return 2
    limit = raise_file_limit()
    if args.idle + 2 * args.stations + 100 > limit:
        print(f"RLIMIT_NOFILE hard limit {limit} is too low for --idle {args.idle}", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {CLIENT_CPU})
    print(machine_line())
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"servers pinned to CPU {SERVER_CPU}, stations (this process) to CPU {CLIENT_CPU}; nofile {limit}")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
