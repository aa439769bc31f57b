"""BARE server for the OCPI benchmark: a trivial aiohttp app that answers
`GET /ocpi/2.2.1/cpo/locations?offset=N` with bytes fetched once from the hub (files `page-<offset>.json` in
`--pages`), no authentication, no database.
`python -m tests.bench.ocpi_bare_server --pages DIR [--port 0]` prints `READY <port>` once listening.

Benchmark-only code: imports aiohttp and the standard library, nothing of the hub.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from aiohttp import web

PATH = "/ocpi/2.2.1/cpo/locations"


def make_app(pages: dict[str, bytes]) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        body = pages.get(request.query.get("offset", "0"))
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get(PATH, page)
    return app


def load_pages(directory: Path) -> dict[str, bytes]:
    return {p.stem.removeprefix("page-"): p.read_bytes() for p in sorted(directory.glob("page-*.json"))}


async def serve(directory: Path, port: int) -> None:
    runner = web.AppRunner(make_app(load_pages(directory)), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    server: Any = site._server
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, required=True, help="directory with page-<offset>.json files")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.pages, args.port))


if __name__ == "__main__":
    main()
