"""OCPI hub-role benchmark: the latency the hub adds to a relayed request, measured side by side with calling
the receiver directly, and the time a broadcast takes to reach 100 parties.

Run (from the repository root; about a minute, not collected by pytest):

    python -m tests.bench.bench_ocpi_hub [--db sqlite|postgres] [--requests 2000] [--parties 100] [--json F]

The hub runs as users run it (`python -m hub serve`, a subprocess pinned to CPU 0, SQLite file unless
`--db postgres`). Every partner registers through the hub's own flow (Token A from `[[ocpi.invitations]]` →
POST credentials → Token C):
- a CPO platform DE*CPX in a second subprocess (`tests/bench/ocpi_hub_peers.py`, also CPU 0), whose
  locations SENDER answers a fixed page of `--page-size` Locations (the 2.2.1 example Location, ~3 KiB each)
  with X-Total-Count and X-Limit; the first page (offset 0) also carries a `Link` to the second;
- an eMSP platform BE*REQ (the requester) and `--parties` eMSP platforms DE*Rxx with a locations RECEIVER,
  all served by one aiohttp app in this process (CPU 1, with the load).
The CPO shares CPU 0 with the hub: the relayed path then crosses between CPUs as often as the direct one
(there and back); a CPO on CPU 1 would add two cross-CPU wake-ups, up to ~2 ms each on a busy 2-CPU machine.

1. relay: one keep-alive connection to the hub and one to the CPO; sequential GET locations pages from
   BE*REQ, to the hub with OCPI-to DE*CPX (relayed) and the same request straight to the CPO (direct).
   `--warmup` requests of each kind first, then `--requests` of each in rounds of `--batch`, the order of
   the kinds reversed every round. Two variants: the last page (no `Link`: the plain relay) and the first
   page (the hub stores a proxy URL for its `Link`: one database write per request). Printed: p50/p95/p99
   of hub and direct, the added latency (hub p50 − direct p50, hub p99 − direct p99; targets 3 ms and
   10 ms) and the CPU time per request of the hub and of the CPO process.
2. broadcast: DE*CPX PUTs a new Location with OCPI-to = the hub (NL*HUB); the time from sending the PUT
   until all `--parties` receivers got it (the hub answers, queues one outbox row per receiver and kicks the
   drainer). One cold round, then `--broadcasts` measured rounds, each once the hub's outbox is empty again
   (`outbox_depth 0` on /metrics). Printed: the median (target 1 s) and every round.

Options: `--parts relay,broadcast`, `--page-size 10`, `--batch 50`, `--warmup 200`, `--keep DIR`,
`--json PATH` (`-`: stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from hub.ocpp.simulator.fleet import percentile
from ocpi_modules.common.auth import authorization_header
from tests.bench.bench_ocpi import (
    CLIENT_CPU,
    Server,
    can_pin,
    cpu_seconds,
    database,
    free_port,
    hub_config,
    machine_line,
    start_hub,
    start_process,
    workspace,
)
from tests.bench.common import pin_and_describe, write_json
from tests.bench.http_load import build_request, read_response
from tests.bench.ocpi_hub_peers import SENDER_PATH, PeerHost, PeerPlatform, a_location, page_body, register

ADDED_P50_TARGET_MS = 3.0
ADDED_P99_TARGET_MS = 10.0
BROADCAST_TARGET_S = 1.0
HUB = ("NL", "HUB")
CPO = ("DE", "CPX")
REQUESTER = ("BE", "REQ")
LOCATIONS = "/ocpi/2.2.1/cpo/locations"
BROADCAST_PATH = "/ocpi/2.2.1/emsp/locations"


def headers_for(token: str, from_party: tuple[str, str], to_party: tuple[str, str]) -> dict[str, str]:
    return {
        "Authorization": authorization_header(token, encode=True),
        "OCPI-from-country-code": from_party[0],
        "OCPI-from-party-id": from_party[1],
        "OCPI-to-country-code": to_party[0],
        "OCPI-to-party-id": to_party[1],
        "X-Request-ID": "bench",
        "X-Correlation-ID": "bench",
    }


def receiver_party(number: int) -> str:
    """R + two letters: RAA, RAB … (676 distinct party ids)."""
    return "R" + chr(65 + number // 26 % 26) + chr(65 + number % 26)


class Setup:
    """The hub, the CPO subprocess and the in-process platforms, each registered through the hub's flow."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        token = secrets.token_urlsafe
        self.cpo = PeerPlatform("cpx", token(24), ((*CPO, "CPO"),), sender=True, page_size=args.page_size)
        self.requester = PeerPlatform("req", token(24), ((*REQUESTER, "EMSP"),))
        self.receivers = [
            PeerPlatform(f"r{n:03d}", token(24), (("DE", receiver_party(n), "EMSP"),), receiver=True)
            for n in range(args.parties)
        ]
        self.host = PeerHost([self.requester, *self.receivers])
        self.servers: list[Server] = []
        self.hub: Server | None = None
        self.cpo_server: Server | None = None
        self.registration_s = 0.0

    async def start(self, database_url: str) -> None:
        platforms = [self.cpo, self.requester, *self.receivers]
        invitations = [{"name": f"bench-{p.key}", "token": f"token-a-{p.key}"} for p in platforms]
        port = free_port()
        config = hub_config(self.workdir, "hub", port, database_url, ocpi={"invitations": invitations})
        spec = self.workdir / "cpo-spec.json"
        spec.write_text(json.dumps([self.cpo.spec()]), encoding="utf-8")
        argv = [sys.executable, "-m", "tests.bench.ocpi_hub_peers", "--spec", str(spec)]
        self.cpo_server = await start_process("cpo-peer", argv, 0, self.workdir)
        self.servers.append(self.cpo_server)
        await self.host.start()
        self.hub = await start_hub(self.workdir, "hub", config, port)
        self.servers.append(self.hub)
        started = time.perf_counter()
        hub_versions = f"{self.hub.url}/ocpi/versions"
        async with aiohttp.ClientSession() as client:
            cpo_versions = f"{self.cpo_server.url}/p/{self.cpo.key}/ocpi/versions"
            await register(client, hub_versions, f"token-a-{self.cpo.key}", self.cpo, cpo_versions)
            for platform in (self.requester, *self.receivers):
                versions = self.host.versions_url(platform)
                await register(client, hub_versions, f"token-a-{platform.key}", platform, versions)
        self.registration_s = time.perf_counter() - started

    async def stop(self) -> None:
        await self.host.stop()
        for server in reversed(self.servers):
            server.stop()


# ---------------------------------------------------------------------- part 1: relay latency


class Kind:
    """One kind of request on its own keep-alive connection, and what it measured."""

    def __init__(self, name: str, server: Server, path: str, headers: dict[str, str]) -> None:
        self.name, self.server, self.path, self.headers = name, server, path, headers
        self.request = build_request(f"127.0.0.1:{server.port}", path, headers)
        self.latencies: list[float] = []
        self.cpu_s = 0.0
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def connect(self) -> None:
        self._streams = await asyncio.open_connection("127.0.0.1", self.server.port)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()

    async def batch(self, count: int, *, measured: bool) -> None:
        assert self._streams is not None
        reader, writer = self._streams
        cpu = cpu_seconds(self.server.pid)
        for _ in range(count):
            started = time.perf_counter()
            writer.write(self.request)
            status, body = await read_response(reader)
            elapsed = time.perf_counter() - started
            if status != 200 or b'"status_code":1000' not in body:
                raise RuntimeError(f"{self.name}: HTTP {status} {body[:300]!r}")
            if measured:
                self.latencies.append(elapsed)
        if measured:
            self.cpu_s += cpu_seconds(self.server.pid) - cpu

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "requests": len(ms),
            "p50_ms": round(percentile(ms, 0.5), 3),
            "p95_ms": round(percentile(ms, 0.95), 3),
            "p99_ms": round(percentile(ms, 0.99), 3),
            "max_ms": round(max(ms), 3) if ms else 0.0,
            "server_cpu_ms_per_request": round(self.cpu_s * 1000 / len(ms), 3) if ms else 0.0,
        }


async def check_relay(hub: Kind, direct: Kind, *, link: bool) -> None:
    """The relayed page is the CPO's data unchanged, with its X-Total-Count, FROM = the CPO, and (first page)
    a hub URL as `Link`: what is measured is a correct relay."""
    answers = []
    async with aiohttp.ClientSession() as client:
        for kind in (hub, direct):
            async with client.get(kind.server.url + kind.path, headers=kind.headers) as response:
                answers.append((response.status, response.headers, await response.json()))
    (status, headers, body), (_, direct_headers, direct_body) = answers
    problems = []
    if status != 200 or body.get("status_code") != 1000 or body.get("data") != direct_body.get("data"):
        problems.append(f"HTTP {status}, status_code {body.get('status_code')}, data differs or missing")
    if headers.get("X-Total-Count") != direct_headers.get("X-Total-Count"):
        problems.append("X-Total-Count not passed on")
    if headers.get("OCPI-from-party-id") != CPO[1]:
        problems.append(f"OCPI-from-party-id {headers.get('OCPI-from-party-id')}")
    if link and "/ocpi/hub/" not in headers.get("Link", ""):
        problems.append(f"Link {headers.get('Link')!r} is no hub URL")
    if problems:
        raise RuntimeError("relay check failed: " + "; ".join(problems))


async def relay_benchmark(setup: Setup) -> dict[str, Any]:
    args, hub, cpo = setup.args, setup.hub, setup.cpo_server
    assert hub is not None
    assert cpo is not None
    assert setup.requester.token_c is not None
    size = args.page_size
    via_hub = headers_for(setup.requester.token_c, REQUESTER, CPO)
    direct = headers_for(setup.cpo.token, REQUESTER, CPO)
    pairs: dict[str, tuple[Kind, Kind]] = {}
    for variant, offset in (("last_page", size), ("first_page_with_link", 0)):
        query = f"?offset={offset}&limit={size}"
        pair = (
            Kind("hub", hub, LOCATIONS + query, via_hub),
            Kind("direct", cpo, f"/p/{setup.cpo.key}/ocpi/2.2.1/{SENDER_PATH}{query}", direct),
        )
        await check_relay(*pair, link=offset == 0)
        pairs[variant] = pair
    order = [kind for pair in pairs.values() for kind in pair]
    rounds = max(1, args.requests // args.batch)
    print(
        f"  page of {size} locations ({len(page_body(*CPO, size)) / 1024:.0f} KiB); {rounds} rounds x "
        f"{args.batch} sequential requests per kind and variant (+{args.warmup} warm-up each)",
        flush=True,
    )
    try:
        for kind in order:
            await kind.connect()
            await kind.batch(args.warmup, measured=False)
        for round_no in range(rounds):
            for kind in order if round_no % 2 == 0 else order[::-1]:
                await kind.batch(args.batch, measured=True)
    finally:
        for kind in order:
            kind.close()
    variants: dict[str, Any] = {}
    for variant, (hub_kind, direct_kind) in pairs.items():
        h, d = hub_kind.summary(), direct_kind.summary()
        variants[variant] = {
            "hub": h,
            "direct": d,
            "added_p50_ms": round(h["p50_ms"] - d["p50_ms"], 3),
            "added_p95_ms": round(h["p95_ms"] - d["p95_ms"], 3),
            "added_p99_ms": round(h["p99_ms"] - d["p99_ms"], 3),
        }
    return {
        "db": args.db,
        "page_size": size,
        "page_bytes": len(page_body(*CPO, size)),
        "rounds": rounds,
        "batch": args.batch,
        "warmup": args.warmup,
        "variants": variants,
        "target_added_p50_ms": ADDED_P50_TARGET_MS,
        "target_added_p99_ms": ADDED_P99_TARGET_MS,
    }


def print_relay(result: dict[str, Any]) -> None:
    print(
        f"\nrelay latency ({result['db']}, page of {result['page_size']} locations, sequential, keep-alive)"
    )
    header = ("variant", "path", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/req")
    print("  {:<21} {:<7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}".format(*header))
    for variant, v in result["variants"].items():
        for path in ("hub", "direct"):
            s = v[path]
            print(
                f"  {variant:<21} {path:<7} {s['requests']:>8} {s['p50_ms']:>8.2f} {s['p95_ms']:>8.2f} "
                f"{s['p99_ms']:>8.2f} {s['max_ms']:>8.2f} {s['server_cpu_ms_per_request']:>10.2f}"
            )
        met = (
            v["added_p50_ms"] < result["target_added_p50_ms"]
            and v["added_p99_ms"] < result["target_added_p99_ms"]
        )
        print(
            f"  {variant:<21} added   p50 {v['added_p50_ms']:.2f} ms, p95 {v['added_p95_ms']:.2f} ms, "
            f"p99 {v['added_p99_ms']:.2f} ms (targets < {result['target_added_p50_ms']:g} / "
            f"< {result['target_added_p99_ms']:g} ms: {'met' if met else 'NOT met'})"
        )


# ---------------------------------------------------------------------- part 2: broadcast to N parties


async def outbox_depth(client: aiohttp.ClientSession, hub: Server) -> float | None:
    async with client.get(f"{hub.url}/metrics") as response:
        text = await response.text()
    for line in text.splitlines():
        if line.startswith("outbox_depth "):
            return float(line.split()[1])
    return None


async def wait_idle(client: aiohttp.ClientSession, hub: Server, within_s: float = 30.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await outbox_depth(client, hub) == 0:
            return True
        await asyncio.sleep(0.02)
    return False


async def broadcast_once(client: aiohttp.ClientSession, setup: Setup, number: int) -> dict[str, Any]:
    hub = setup.hub
    assert hub is not None
    assert setup.cpo.token_c is not None
    location_id = f"BCAST{number:04d}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps(a_location(*CPO, location_id, stamp)).encode("utf-8")
    headers = {**headers_for(setup.cpo.token_c, CPO, HUB), "Content-Type": "application/json"}
    url = f"{hub.url}{BROADCAST_PATH}/{CPO[0]}/{CPO[1]}/{location_id}"
    expected = len(setup.receivers)
    waiting = asyncio.create_task(setup.host.wait_for(location_id, expected, 30.0))
    cpu = cpu_seconds(hub.pid)
    started = time.perf_counter()
    async with client.put(url, data=body, headers=headers) as response:
        answer = await response.json()
    answered = time.perf_counter() - started
    if response.status != 200 or answer.get("status_code") != 1000:
        waiting.cancel()
        raise RuntimeError(f"broadcast PUT: HTTP {response.status} {answer}")
    complete = await waiting
    arrivals = sorted(at for at, _ in setup.host.arrivals.get(location_id, ()))
    idle = await wait_idle(client, hub)
    return {
        "location_id": location_id,
        "answered_s": round(answered, 4),
        "first_s": round(arrivals[0] - started, 4) if arrivals else None,
        "all_s": round(arrivals[-1] - started, 4) if complete and arrivals else None,
        "received": len(arrivals),
        "hub_cpu_s": round(cpu_seconds(hub.pid) - cpu, 3),
        "outbox_emptied": idle,
    }


async def broadcast_benchmark(setup: Setup) -> dict[str, Any]:
    args, hub = setup.args, setup.hub
    assert hub is not None
    rounds: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as client:
        await wait_idle(client, hub)
        for number in range(args.broadcasts + 1):
            rounds.append(await broadcast_once(client, setup, number))
            label = "cold" if number == 0 else f"round {number}"
            r = rounds[-1]
            print(
                f"    {label:<9} all {r['all_s']} s, answered {r['answered_s']} s, {r['received']} received"
            )
    measured = rounds[1:]
    totals = [r["all_s"] for r in measured]
    complete = all(t is not None for t in totals)
    return {
        "db": args.db,
        "parties": len(setup.receivers),
        "registration_s": round(setup.registration_s, 2),
        "cold": rounds[0],
        "rounds": measured,
        "all_received": complete and all(r["received"] == len(setup.receivers) for r in rounds),
        "median_all_s": round(statistics.median(totals), 4) if complete and totals else None,
        "median_answered_s": round(statistics.median(r["answered_s"] for r in measured), 4),
        "median_first_s": round(statistics.median(r["first_s"] or 0.0 for r in measured), 4),
        "median_hub_cpu_s": round(statistics.median(r["hub_cpu_s"] for r in measured), 3),
        "target_s": BROADCAST_TARGET_S,
    }


def print_broadcast(result: dict[str, Any]) -> None:
    print(
        f"\nbroadcast of a Location to {result['parties']} eMSP platforms ({result['db']}; "
        f"{result['parties'] + 2} platforms registered in {result['registration_s']:.1f} s)"
    )
    median = result["median_all_s"]
    met = result["all_received"] and median is not None and median < result["target_s"]
    print(
        f"  median over {len(result['rounds'])} rounds: all received {median} s (target < "
        f"{result['target_s']:g} s: {'met' if met else 'NOT met'}); "
        f"PUT answered {result['median_answered_s']} s; first arrival {result['median_first_s']} s; "
        f"hub CPU {result['median_hub_cpu_s']} s"
    )
    print(f"  cold round (new connections to every receiver): all received {result['cold']['all_s']} s")


# ---------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    results: dict[str, Any] = {"machine": machine_line(), "load_average_before": os.getloadavg()[0]}
    with workspace(args.keep) as workdir:
        async with database(args.db, workdir, "hub") as database_url:
            setup = Setup(args, workdir)
            try:
                await setup.start(database_url)
                print(f"  {len(setup.receivers) + 2} platforms registered in {setup.registration_s:.1f} s")
                if "relay" in parts:
                    print("\npart 1: relay latency, hub vs direct", flush=True)
                    results["relay"] = await relay_benchmark(setup)
                    print_relay(results["relay"])
                if "broadcast" in parts:
                    print(f"\npart 2: broadcast to {len(setup.receivers)} parties", flush=True)
                    results["broadcast"] = await broadcast_benchmark(setup)
                    print_broadcast(results["broadcast"])
            finally:
                await setup.stop()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_ocpi_hub", description=summary)
    parser.add_argument("--parts", default="relay,broadcast", help="parts to run (default: %(default)s)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the hub's database")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per kind and variant")
    parser.add_argument("--batch", type=int, default=50, help="requests per kind in a round")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per kind first")
    parser.add_argument("--page-size", type=int, default=10, help="locations in the relayed page")
    parser.add_argument("--parties", type=int, default=100, help="broadcast receivers")
    parser.add_argument("--broadcasts", type=int, default=7, help="measured broadcast rounds")
    parser.add_argument("--keep", help="write config, database and logs here instead of a temp dir")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON here ('-': stdout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from hub.logging import configure_logging

    configure_logging("warning", "console")
    if can_pin():
        pin_and_describe(CLIENT_CPU, machine_line())
        print("hub and CPO pinned to CPU 0; this process (load, requester, receivers) to CPU 1")
    else:
        print(f"machine: {machine_line()}\nfewer than 2 CPUs: nothing pinned")
    results = asyncio.run(main_async(args))
    print(
        f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the machine)"
    )
    write_json(results, args.json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
