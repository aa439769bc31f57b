"""`python -m hub interconnect …`: 互联互通 partners through a running hub's operator API
(`/admin/interconnect/`): list partners with their token state, pull a partner's stations now.

Composition layer: may import anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from hub.cli_common import admin_options, call_admin

# A pull of thousands of stations pages through the partner (3 × the request timeout per page at worst).
PULL_WAIT_S = 600.0


def add_interconnect_commands(subparsers: Any) -> Any:
    """Add `interconnect` and its sub-commands to the hub's command parser; each leaf sets `run`."""
    common = admin_options()
    interconnect = subparsers.add_parser(
        "interconnect", help="互联互通 partners through a running hub's operator API"
    )
    actions = interconnect.add_subparsers(
        dest="interconnect_command", metavar="INTERCONNECT_COMMAND", required=True
    )
    partners = actions.add_parser(
        "partners", parents=[common], help="list partners: name, OperatorID, kind, party, token state"
    )
    partners.add_argument("--json", action="store_true", help="print the API's JSON answer")
    pull = actions.add_parser(
        "pull-stations", parents=[common], help="pull a partner's stations into the hub now"
    )
    pull.add_argument("partner", metavar="PARTNER", help="the partner's name or OperatorID")
    pull.add_argument("--full", action="store_true", help="everything, not only what changed since last time")
    pull.add_argument("--page-size", type=int, default=None, help="stations per page (default: 100)")
    pull.add_argument("--json", action="store_true", help="print the pull report as JSON")
    partners.set_defaults(run=partners_command)
    pull.set_defaults(run=pull_command)
    return actions


async def partners_command(args: argparse.Namespace) -> int:
    code, answer = await call_admin(args, "GET", "/admin/interconnect/partners", quiet=not args.json)
    if code != 0 or args.json:
        return code
    rows = [("NAME", "OPERATOR ID", "KIND", "PARTY", "TOKEN", "LAST PULL")]
    for p in (answer or {}).get("partners", []):
        token = p.get("token") or {}
        rows.append(
            (
                str(p["name"]),
                str(p["operator_id"]),
                str(p["kind"]),
                str(p["party"]),
                str(token.get("state", "none")),
                str(p.get("last_query_time") or "never"),
            )
        )
    print_table(rows)
    return 0


async def pull_command(args: argparse.Namespace) -> int:
    """Pull, print a progress line per page on stderr and the report (a summary, or JSON with --json)."""
    path = f"/admin/interconnect/partners/{quote(args.partner, safe='')}/pull"
    query = [("full", "true")] if args.full else []
    if args.page_size is not None:
        query.append(("page_size", str(args.page_size)))
    code, report = await call_admin(args, "POST", path, query=query, wait_s=PULL_WAIT_S, quiet=True)
    if code != 0 or not isinstance(report, dict):
        return code or 1
    for page in report.get("page_progress", []):
        print(
            f"page {page['page_no']}/{page['page_count']}: {page['stations']} stations"
            f" (partner total {page['item_size']})",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{report['partner']}: {report['stations']} stations, {report['virtual_stations']} equipment,"
        f" {report['statuses']} connector statuses in {report['pages']} page(s)"
        f" (since {report['since'] or 'the beginning'})"
    )
    for station_id in report.get("skipped", []):
        print(f"skipped: {station_id}", file=sys.stderr)
    if report.get("status_error"):
        print(f"status query failed: {report['status_error']}", file=sys.stderr)
    return 0


def print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
