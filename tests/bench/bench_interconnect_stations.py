"""互联互通 benchmark: the hub's `query_stations_info` (encrypted, signed, token-checked) against a bare
aiohttp handler answering the same request bytes with the same encrypted response bytes, side by side.

Run (from the repository root; a few minutes, not collected by pytest):

    python -m tests.bench.bench_interconnect_stations [--db sqlite|postgres] [--stations 10000]
        [--connections 8] [--seconds 10] [--rounds 2] [--keep DIR] [--json out.json]

A fresh database is seeded through the core (`core.locations.put`) with `--stations` locations of our CPO
NL*CPO in Beijing (2 DC EVSEs each, one OCPP-less equipment per EVSE). The hub runs as a subprocess with one
operator partner; this process gets a token (`query_token`), then fetches every page of
`query_stations_info` (PageSize 100) once and checks it (Ret 0, Sig, PageCount, ItemSize). The BARE server
(this module with `--bare DIR`, a subprocess: one aiohttp POST handler, no checks, no database) maps each
request body to the hub's response bytes. Both servers are pinned to CPU 0, the load generator to CPU 1.
`--connections` keep-alive clients replay the page requests round-robin in a closed loop, alternating
hub/bare rounds (1 s warm-up per round not counted). Printed: requests/s, p50/p99 latency and server CPU of
each, and the ratio hub/bare (target >= 0.40, issue 5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from interconnect import codec
from interconnect.runtime import KeySet
from tests.bench.bench_ocpi import (
    CLIENT_CPU,
    WARMUP_S,
    Measured,
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
from tests.bench.common import write_json
from tests.bench.http_load import LoadResult, closed_loop

PAGE = 100
RATIO_TARGET = 0.40
BASE_PATH = "/evcs/v1.0"
PARTNER_ID = "MA005DBW1"
SECRET = "1234567890abcdef"  # a throw-away partner of a throw-away hub
KEYS = KeySet(SECRET, SECRET.encode(), SECRET.encode(), SECRET.encode())
PARTNER = {
    "name": "bench-partner",
    "operator_id": PARTNER_ID,
    "kind": "operator",
    "base_url": "http://127.0.0.1:9/evcs/v1.0/",
    "ocpi_party": "CN*KDN",
    **{f"{prefix}{key}": SECRET for prefix in ("", "their_") for key in (
        "operator_secret", "data_secret", "data_iv", "sig_secret")},
}  # fmt: skip


def bench_location(number: int, moment: datetime) -> Any:
    from hub.core.models import Capability, Connector, Evse, EvseStatus, Location, PartyRef, PowerType

    location_id = f"BJ{number:06d}"
    return Location(
        id=location_id,
        party=PartyRef(country_code="NL", party_id="CPO"),
        name=f"北京充电站 {number}",
        address=f"北京市朝阳区建国路{number}号",
        city="北京市",
        postal_code="110105",
        country="CHN",
        latitude=Decimal("39.900000") + Decimal(number) / Decimal(1_000_000),
        longitude=Decimal("116.400000"),
        time_zone="Asia/Shanghai",
        evses=tuple(
            Evse(
                uid=f"{location_id}-{n}",
                evse_id=f"CN*CPO*E{location_id}{n}",
                status=EvseStatus.AVAILABLE,
                capabilities=(Capability.REMOTE_START_STOP_CAPABLE,),
                connectors=(
                    Connector(
                        id="1",
                        standard="GBT_DC",
                        power_type=PowerType.DC,
                        max_voltage=750,
                        max_amperage=250,
                        max_electric_power=60_000,
                        last_updated=moment,
                    ),
                ),
                last_updated=moment,
            )
            for n in (1, 2)
        ),
        last_updated=moment,
    )


async def seed(config: Path, count: int) -> None:
    """`count` locations through the core of an in-process hub on the same database; outbox drained."""
    from hub.app import CORE_KEY, DB_KEY, SCHEDULER_KEY, create_app
    from hub.settings import Settings

    app = create_app(Settings.from_toml(config, environ={}))
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    try:
        core = app[CORE_KEY]
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for number in range(1, count + 1):
            await core.locations.put(bench_location(number, start + timedelta(seconds=number)))
        drainer = app[SCHEDULER_KEY].drainer
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            while await drainer.drain_once():
                pass
            async with app[DB_KEY].unit_of_work() as uow:
                if await uow.outbox.depth() == 0:
                    break
            await asyncio.sleep(0.2)
    finally:
        await runner.cleanup()


def envelope(payload: Any, seq: int) -> bytes:
    timestamp = "20260105120000"  # no replay window configured: the same bytes may be replayed
    return codec.dumps(codec.build_request(PARTNER_ID, payload, KEYS, timestamp, f"{seq % 10000:04d}"))


def post_request(host: str, path: str, body: bytes, token: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json;charset=utf-8\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def fetch_pages(url: str, total: int) -> tuple[str, dict[bytes, bytes]]:
    """A token, then every page once, checked: (token, request body → response body)."""
    async with aiohttp.ClientSession() as client:
        body = envelope({"OperatorID": PARTNER_ID, "OperatorSecret": SECRET}, 1)
        async with client.post(f"{url}{BASE_PATH}/query_token", data=body) as response:
            answer = codec.read_response(await response.read(), KEYS, verify_sig=True)
        if answer.ret != 0 or answer.data.get("SuccStat") != 0:
            raise RuntimeError(f"query_token: {answer}")
        token = answer.data["AccessToken"]
        pages: dict[bytes, bytes] = {}
        count = -(-total // PAGE)
        for page_no in range(1, count + 1):
            request = envelope({"PageNo": page_no, "PageSize": PAGE}, page_no + 1)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            async with client.post(
                f"{url}{BASE_PATH}/query_stations_info", data=request, headers=headers
            ) as r:
                raw = await r.read()
            page = codec.read_response(raw, KEYS, verify_sig=True)
            got = page.data or {}
            expected = min(PAGE, total - (page_no - 1) * PAGE)
            if (
                page.ret != 0
                or got.get("ItemSize") != total
                or len(got.get("StationInfos") or []) != expected
            ):
                raise RuntimeError(f"page {page_no}: Ret {page.ret} {page.msg} {str(got)[:300]}")
            pages[request] = raw
    return token, pages


# ---------------------------------------------------------------------- the bare server (a subprocess)


def bare_app(answers: dict[bytes, bytes]) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        body = answers.get(await request.read())
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_post(f"{BASE_PATH}/{{interface}}", answer)
    return app


def load_answers(directory: Path) -> dict[bytes, bytes]:
    return {
        (directory / f"{p.stem}.req").read_bytes(): p.read_bytes() for p in sorted(directory.glob("*.res"))
    }


async def serve_bare(answers: dict[bytes, bytes]) -> None:
    runner = web.AppRunner(bare_app(answers), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    server: Any = site._server
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


# ---------------------------------------------------------------------- the comparison


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    total = args.stations
    async with database(args.db, workdir, "stations") as database_url:
        port = free_port()
        config = hub_config(
            workdir,
            "stations",
            port,
            database_url,
            interconnect={"base_path": BASE_PATH, "partners": [PARTNER]},
        )
        started = time.perf_counter()
        await seed(config, total)
        print(f"  seeded {total} stations x 2 EVSEs ({args.db}) in {time.perf_counter() - started:.1f} s")
        hub = await start_hub(workdir, "stations", config, port)
        servers = [hub]
        try:
            token, pages = await fetch_pages(hub.url, total)
            pages_dir = workdir / "interconnect-pages"
            pages_dir.mkdir(exist_ok=True)
            for n, (request, response) in enumerate(pages.items()):
                (pages_dir / f"{n:05d}.req").write_bytes(request)
                (pages_dir / f"{n:05d}.res").write_bytes(response)
            argv = [sys.executable, "-m", "tests.bench.bench_interconnect_stations", "--bare", str(pages_dir)]
            bare = await start_process("bare-interconnect", argv, 0, workdir)
            servers.append(bare)
            kib = sum(map(len, pages.values())) // len(pages) // 1024
            print(
                f"  {len(pages)} pages of {PAGE} ({kib} KiB each), {args.connections} connections, "
                f"{args.rounds} alternating rounds x {args.seconds / args.rounds:.1f} s per server"
            )
            results = {"hub": Measured("hub", LoadResult()), "bare": Measured("bare", LoadResult())}
            path = f"{BASE_PATH}/query_stations_info"
            for round_no in range(args.rounds):
                for server, name in ((hub, "hub"), (bare, "bare")):
                    host = f"127.0.0.1:{server.port}"
                    requests = [post_request(host, path, body, token) for body in pages]
                    server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
                    load = await closed_loop(
                        "127.0.0.1",
                        server.port,
                        requests,
                        connections=args.connections,
                        seconds=args.seconds / args.rounds,
                        warmup_s=WARMUP_S,
                        must_contain=b'"Ret":0',
                    )
                    span = load.seconds + WARMUP_S
                    scale = load.seconds / span if span else 0.0
                    results[name].add(
                        load,
                        (cpu_seconds(server.pid) - server_cpu) * scale,
                        (time.process_time() - client_cpu) * scale,
                    )
                    print(f"    round {round_no + 1} {name:<5} {load.rate:>8.0f} req/s", flush=True)
        finally:
            for server in servers:
                server.stop()
    hub_s, bare_s = results["hub"].summary(), results["bare"].summary()
    ratio = hub_s["requests_per_s"] / bare_s["requests_per_s"] if bare_s["requests_per_s"] else 0.0
    return {
        "machine": machine_line(),
        "db": args.db,
        "stations": total,
        "page_size": PAGE,
        "pages": len(pages),
        "connections": args.connections,
        "hub": hub_s,
        "bare": bare_s,
        "ratio_hub_over_bare": round(ratio, 4),
        "target_ratio": RATIO_TARGET,
        "pinned": can_pin(),
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"\nquery_stations_info ({result['db']}, {result['stations']} stations, "
        f"pages of {result['page_size']})"
    )
    print(
        "  {:<6} {:>9} {:>8} {:>8} {:>11} {:>7}".format(
            "server", "req/s", "p50 ms", "p99 ms", "server CPU", "errors"
        )
    )
    for name in ("hub", "bare"):
        s = result[name]
        print(
            f"  {name:<6} {s['requests_per_s']:>9.1f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
            f"{s['server_cpu']:>11.0%} {len(s['errors']):>7}"
        )
        for error in s["errors"]:
            print(f"      {error}")
    ratio, target = result["ratio_hub_over_bare"], result["target_ratio"]
    print(f"  ratio hub/bare: {ratio:.4f} ({'meets' if ratio >= target else 'BELOW'} the target {target})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_interconnect_stations", description=summary
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured s per server, all rounds")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", help="write configs, databases, logs and pages here instead of a temp dir")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON here ('-': stdout)")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # run as the bare server
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bare is not None:
        asyncio.run(serve_bare(load_answers(args.bare)))
        return 0
    from hub.logging import configure_logging

    configure_logging("warning", "console")
    if can_pin():
        os.sched_setaffinity(0, {CLIENT_CPU})
    print(f"machine: {machine_line()}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    async def both() -> dict[str, Any]:
        with workspace(args.keep) as workdir:
            return await run(args, workdir)

    result = asyncio.run(both())
    report(result)
    write_json(result, args.json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
