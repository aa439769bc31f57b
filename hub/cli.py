"""`python -m hub …`: the operator's command line (serve, simulate, certs, config check, station commands
through the operator API).

Composition layer: may import anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import resource
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from aiohttp import web

from hub.cli_common import admin_options, call_admin
from hub.settings import Settings, SettingsError

log = structlog.get_logger("hub.cli")

DEFAULT_CONFIG = "config.toml"
# How long `serve --demo` lets the demo stations finish their sessions at shutdown before cancelling them.
DEMO_GRACE_S = 5.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hub",
        description="ocpi-hub: an EV roaming hub (OCPI 2.2.1/2.1.1, 互联互通, OCPP 1.6J/2.0.1 stations).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the hub in the foreground until SIGINT/SIGTERM")
    serve.add_argument("--config", default=DEFAULT_CONFIG, help="path to config.toml (default: %(default)s)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also run simulated stations (see [demo] in config.toml) charging against this hub",
    )

    simulate = commands.add_parser("simulate", help="run simulated OCPP stations against a hub")
    from hub.ocpp import simulator

    simulator.add_arguments(simulate)

    certs = commands.add_parser("certs", help="TLS certificates for OCPP security profiles 2 and 3")
    certs_commands = certs.add_subparsers(dest="certs_command", metavar="CERTS_COMMAND", required=True)
    dev = certs_commands.add_parser("dev", help="write a development CA, server and station certificates")
    from hub import certs as certs_module

    certs_module.add_arguments(dev)

    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", metavar="CONFIG_COMMAND", required=True)
    check = config_commands.add_parser("check", help="validate config.toml and print a summary")
    check.add_argument("--config", default=DEFAULT_CONFIG, help="path to config.toml (default: %(default)s)")

    station = commands.add_parser("station", help="drive stations through a running hub's operator API")
    add_station_arguments(station)

    from hub.cli_emsp import add_ocpi_emsp_commands, add_tokens_commands
    from hub.cli_ocpi import add_ocpi_commands
    from hub.cli_tariff import add_tariff_commands

    add_ocpi_emsp_commands(add_ocpi_commands(commands))
    add_tokens_commands(commands)
    add_tariff_commands(commands)
    from hub.cli_cdr import add_cdr_commands
    from hub.cli_emsp import add_emsp_commands

    add_cdr_commands(commands)
    add_emsp_commands(commands)
    from hub.cli_interconnect import add_interconnect_commands

    add_interconnect_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(Path(args.config), demo=args.demo)
    if args.command == "simulate":
        from hub.logging import configure_logging
        from hub.ocpp import simulator

        configure_logging("warning", "console")
        return asyncio.run(simulator.run_from_args(args))
    if args.command == "certs":
        from hub import certs as certs_module

        return certs_module.run_from_args(args)
    if args.command == "config":
        return config_check(Path(args.config))
    if args.command == "station":
        return asyncio.run(station_command(args))
    run = getattr(args, "run", None)
    if run is not None:  # `ocpi …`, `tokens …`, `tariff …`: each leaf sub-command names its handler
        return int(asyncio.run(run(args)))
    raise AssertionError(args.command)  # argparse rejects unknown commands


def add_station_arguments(parser: argparse.ArgumentParser) -> None:
    """`python -m hub station …`: one sub-command per operator API endpoint (README, Operator API)."""
    common = admin_options()
    actions = parser.add_subparsers(dest="station_command", metavar="STATION_COMMAND", required=True)
    actions.add_parser("list", parents=[common], help="list stations: connected, boot status, last seen")
    reset = actions.add_parser("reset", parents=[common], help="reset a station")
    reset.add_argument("station_id")
    reset.add_argument("--hard", action="store_true", help="hard reset (default: soft)")
    availability = actions.add_parser("availability", parents=[common], help="change an EVSE's availability")
    availability.add_argument("station_id")
    availability.add_argument("--evse", type=int, default=0, help="EVSE number, 0 = whole station")
    state = availability.add_mutually_exclusive_group(required=True)
    state.add_argument("--operative", dest="operative", action="store_true")
    state.add_argument("--inoperative", dest="operative", action="store_false")
    trigger = actions.add_parser("trigger", parents=[common], help="ask a station to send a message")
    trigger.add_argument("station_id")
    trigger.add_argument("message", help="BootNotification, Heartbeat, StatusNotification, MeterValues, …")
    trigger.add_argument("--evse", type=int, default=None)
    config_get = actions.add_parser("config-get", parents=[common], help="read configuration keys")
    config_get.add_argument("station_id")
    config_get.add_argument("keys", nargs="*", help="keys to read (none: all)")
    config_set = actions.add_parser("config-set", parents=[common], help="change one configuration key")
    config_set.add_argument("station_id")
    config_set.add_argument("key")
    config_set.add_argument("value")
    start = actions.add_parser("start", parents=[common], help="start a session with a token")
    start.add_argument("station_id")
    start.add_argument("--token-uid", required=True)
    start.add_argument("--evse-uid", default=None)
    start.add_argument("--wait", type=float, default=None, help="seconds to wait for the station's result")
    stop = actions.add_parser("stop", parents=[common], help="stop a session")
    stop.add_argument("station_id")
    stop.add_argument("session_id")
    stop.add_argument("--wait", type=float, default=None, help="seconds to wait for the station's result")


ApiRequest = tuple[str, str, dict[str, Any] | None, list[tuple[str, str]]]


def station_request(args: argparse.Namespace) -> ApiRequest:
    """(method, path, JSON body, query) of a `station` sub-command."""
    action = args.station_command
    if action == "list":
        return "GET", "/admin/stations", None, []
    base = f"/admin/stations/{quote(args.station_id, safe='')}"
    wait = [("wait", str(args.wait))] if getattr(args, "wait", None) is not None else []
    if action == "reset":
        return "POST", f"{base}/reset", {"hard": args.hard}, []
    if action == "availability":
        return "POST", f"{base}/change-availability", {"evse": args.evse, "operative": args.operative}, []
    if action == "trigger":
        return "POST", f"{base}/trigger-message", {"message": args.message, "evse": args.evse}, []
    if action == "config-get":
        return "GET", f"{base}/configuration", None, [("key", key) for key in args.keys]
    if action == "config-set":
        return "POST", f"{base}/configuration", {"key": args.key, "value": args.value}, []
    if action == "start":
        return "POST", f"{base}/start", {"token_uid": args.token_uid, "evse_uid": args.evse_uid}, wait
    if action == "stop":
        return "POST", f"{base}/stop", {"session_id": args.session_id}, wait
    raise AssertionError(action)  # argparse rejects unknown sub-commands


async def station_command(args: argparse.Namespace) -> int:
    """Call the operator API; print the JSON answer (exit 0 on 2xx, else 1 with the error on stderr)."""
    method, path, body, query = station_request(args)
    code, _ = await call_admin(args, method, path, body, query, wait_s=getattr(args, "wait", None))
    return code


def load_settings_or_exit(path: Path) -> Settings:
    try:
        return Settings.from_toml(path)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def config_check(path: Path) -> int:
    settings = load_settings_or_exit(path)
    print(
        f"{path}: ok — hub {settings.hub.country_code}*{settings.hub.party_id} on {settings.hub.listen}, "
        f"{len(settings.parties)} parties, {len(settings.locations)} locations, "
        f"{len(settings.ocpp.stations)} stations, {len(settings.tariffs)} tariffs, "
        f"{len(settings.tokens)} tokens"
    )
    return 0


def raise_file_limit() -> None:
    """Each station holds a socket: a default limit of 1,024 descriptors stalls a hub near 1,000 stations."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    tls = settings.tls
    if not tls.enabled:
        return None
    assert tls.cert_file is not None
    assert tls.key_file is not None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.resolve(tls.cert_file), settings.resolve(tls.key_file))
    if tls.client_certificates != "none":
        assert tls.ca_file is not None
        context.load_verify_locations(cafile=settings.resolve(tls.ca_file))
        context.verify_mode = (
            ssl.CERT_REQUIRED if tls.client_certificates == "required" else ssl.CERT_OPTIONAL
        )
    return context


def serve(config_path: Path, *, demo: bool = False) -> int:
    settings = load_settings_or_exit(config_path)
    from hub.logging import configure_logging

    configure_logging(settings.hub.log_level, settings.hub.log_format)
    raise_file_limit()
    try:
        asyncio.run(_serve(settings, demo=demo))
    except SettingsError as exc:  # found while seeding what config.toml declares (e.g. a tariff file)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("serve_failed", error=str(exc))
        return 1
    return 0


async def _serve(settings: Settings, *, demo: bool) -> None:
    from hub.app import create_app

    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=settings.hub.shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(
        runner,
        settings.hub.host,
        settings.hub.port,
        ssl_context=server_ssl_context(settings),
        backlog=4096,
        reuse_address=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    demo_task: asyncio.Task[None] | None = None
    try:
        await site.start()
        # What start-up built lives as long as the process: keep it out of the collector's full passes, which
        # otherwise walk it every time (pauses of 100+ ms under load, measured by the hub benchmark).
        gc.collect()
        gc.freeze()
        log.info(
            "listening", url=settings.hub.public_url, ocpp=f"{settings.hub.listen}{settings.ocpp.path}/{{id}}"
        )
        if demo:
            demo_task = asyncio.create_task(_run_demo(settings, stop), name="demo")
        await stop.wait()
        log.info("shutdown_requested")
    finally:
        if demo_task is not None:
            await _finish_demo(demo_task, stop)
        await runner.cleanup()


async def _finish_demo(demo_task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """The demo stations end their sessions in flight once `stop` is set (the hub still serves them, so each
    gets its CDR); one that takes longer than DEMO_GRACE_S is cancelled."""
    stop.set()
    done, _ = await asyncio.wait({demo_task}, timeout=DEMO_GRACE_S)
    if not done:
        log.warning("demo_cancelled", grace_s=DEMO_GRACE_S)
        demo_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await demo_task


async def _run_demo(settings: Settings, stop: asyncio.Event) -> None:
    from hub.ocpp import simulator

    scheme = "wss" if settings.tls.enabled else "ws"
    url = f"{scheme}://{settings.hub.listen}{settings.ocpp.path}"
    passwords = {s.id: s.password for s in settings.ocpp.stations if s.password}
    ids = [s.id for s in settings.ocpp.stations][: settings.demo.stations]
    ids += [f"DEMO{i:03d}" for i in range(1, settings.demo.stations - len(ids) + 1)]
    log.info("demo_started", stations=len(ids), protocol=settings.demo.protocol)
    try:
        await simulator.run_demo(url, ids, protocol=settings.demo.protocol, passwords=passwords, stop=stop)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("demo_failed")
