"""BASELINE for the OCPP benchmark: a bare aiohttp websocket server with the `ocpp` 2.1.0 library's own
`ChargePoint` (v16) at its defaults (schema validation on, asynchronous validation, compression default),
fixed answers, no database. `python -m tests.bench.baseline_server --port 9001 [--cpu 0]` prints
`READY <port>` once listening.

Benchmark-only code: imports aiohttp and the `ocpp` package, nothing of the hub.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import resource
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from aiohttp import WSMsgType, web
from ocpp import routing
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

_transaction_ids = itertools.count(1)
_F = TypeVar("_F")


def on(action: str) -> Callable[[_F], _F]:
    """`ocpp.routing.on`, typed."""
    return cast(Callable[[_F], _F], routing.on(action))


class ConnectionClosedError(Exception):
    """The websocket closed: ends `ChargePoint.start()`."""


class AiohttpConnection:
    """The `recv()`/`send()` pair the library expects, over aiohttp's server websocket (spec ocpp.md §4.1)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def recv(self) -> str:
        while True:
            message = await self.ws.receive()
            if message.type is WSMsgType.TEXT:
                return str(message.data)
            if message.type is WSMsgType.BINARY:
                continue
            raise ConnectionClosedError(str(message.type))

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class BaselineChargePoint(ChargePoint):  # type: ignore[misc]  # the package ships no types
    @on(Action.boot_notification)
    def on_boot(self, **_: Any) -> call_result.BootNotification:
        accepted = RegistrationStatus.accepted
        return call_result.BootNotification(current_time=_now(), interval=300, status=accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @on(Action.start_transaction)
    def on_start_transaction(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids), id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted)
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()


async def handle(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("ocpp1.6",))
    await ws.prepare(request)
    if ws.ws_protocol is None:
        await ws.close()
        return ws
    charge_point = BaselineChargePoint(request.match_info["station_id"], AiohttpConnection(ws))
    with contextlib.suppress(ConnectionClosedError):
        await charge_point.start()
    return ws


async def serve(port: int) -> None:
    app = web.Application()
    app.router.add_get("/ocpp/{station_id}", handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    server: Any = site._server
    actual = server.sockets[0].getsockname()[1]
    print(f"READY {actual}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one CPU")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
