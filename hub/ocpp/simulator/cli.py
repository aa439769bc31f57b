"""`python -m hub simulate`: command-line arguments and their run.

Imports the standard library and the simulator's own modules only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from hub.ocpp.simulator.common import (
    DEFAULT_ID_TAG,
    OCPP16,
    PROTOCOLS,
    client_ssl_context,
)
from hub.ocpp.simulator.fleet import run_simulation


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the hub's OCPP base URL, e.g. ws://127.0.0.1:8080/ocpp")
    parser.add_argument("--stations", type=int, default=1, help="number of stations (default 1)")
    parser.add_argument(
        "--station",
        action="append",
        dest="station_ids",
        metavar="ID",
        help="explicit station id (repeatable)",
    )
    parser.add_argument(
        "--prefix", default="CP", help="station id prefix for --stations (default CP → CP001…)"
    )
    parser.add_argument(
        "--protocol", choices=PROTOCOLS, default=OCPP16, help="OCPP version (default ocpp1.6)"
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=None,
        help="sessions per station (default 1; 0 = until --duration or Ctrl-C)",
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="keep charging in a loop for S seconds (demo mode)"
    )
    parser.add_argument(
        "--password",
        default=None,
        help="Basic-auth password of every station (default: env HUB_SIM_PASSWORD)",
    )
    parser.add_argument(
        "--id-tag", action="append", dest="id_tags", help=f"token uid (default {DEFAULT_ID_TAG})"
    )
    parser.add_argument(
        "--energy-wh", type=int, default=7_400, help="energy per session in Wh (default 7400)"
    )
    parser.add_argument("--samples", type=int, default=3, help="meter values per session (default 3)")
    parser.add_argument(
        "--meter-interval",
        type=float,
        default=None,
        help="seconds between meter values (default 0; 2 in demo mode)",
    )
    parser.add_argument("--ca-file", help="CA certificate to trust for wss:// (security profile 2/3)")
    parser.add_argument("--cert-file", help="client certificate (security profile 3)")
    parser.add_argument("--key-file", help="client certificate's private key (security profile 3)")
    parser.add_argument("--quiet", action="store_true", help="print only the final line")


async def run_from_args(args: argparse.Namespace) -> int:
    """Exit code 0 when every station completed its sessions, 1 otherwise."""
    demo = args.duration is not None or args.sessions == 0
    sessions = args.sessions if args.sessions is not None else (0 if demo else 1)
    meter_interval = args.meter_interval if args.meter_interval is not None else (2.0 if demo else 0.0)
    password = args.password if args.password is not None else os.environ.get("HUB_SIM_PASSWORD")
    ssl_context = None
    if args.ca_file or args.cert_file:
        ssl_context = client_ssl_context(args.ca_file, args.cert_file, args.key_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        stats = await run_simulation(
            args.url,
            args.station_ids or args.stations,
            args.protocol,
            sessions,
            password_for=(lambda _sid: password) if password is not None else None,
            meter_interval_s=meter_interval,
            samples=args.samples,
            energy_wh=args.energy_wh,
            id_tags=args.id_tags or (DEFAULT_ID_TAG,),
            duration_s=args.duration,
            pause_between_sessions_s=meter_interval,
            station_prefix=args.prefix,
            ssl=ssl_context,
            progress=None if args.quiet else sys.stdout,
            progress_interval_s=10.0 if demo else 1.0,
            stop=stop,
            announce_sessions=demo,
        )
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
    if args.quiet:
        print(stats.summary())
    return 0 if not stats.failures and stats.booted == stats.stations else 1


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hub.ocpp.simulator …` (the same as `python -m hub simulate …`)."""
    parser = argparse.ArgumentParser(prog="python -m hub simulate", description="Simulated OCPP stations")
    add_arguments(parser)
    return asyncio.run(run_from_args(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
