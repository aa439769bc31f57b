"""`python -m hub cdr show|credit …`: our CPO's CDRs with their cost breakdown, and credit CDRs (CD-10) to
correct one, optionally with a new CDR priced again, through a running hub's operator API.

Composition layer: may import anything. Hub URL and admin token as for every operator command
(`hub.cli_common`: `--url`, `--token` / HUB_ADMIN_TOKEN); each leaf sets `run` (an async handler).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from hub.cli_common import admin_options, call_admin

# (label, excl.-VAT key, incl.-VAT key) of a core CdrCost, in the order a breakdown lists them.
COST_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Fixed", "fixed_excl_vat", "fixed_incl_vat"),
    ("Energy", "energy_excl_vat", "energy_incl_vat"),
    ("Time", "time_excl_vat", "time_incl_vat"),
    ("Parking", "parking_excl_vat", "parking_incl_vat"),
    ("Reservation", "reservation_excl_vat", "reservation_incl_vat"),
    ("Total", "total_excl_vat", "total_incl_vat"),
)


def add_cdr_commands(subparsers: Any) -> None:
    """`cdr show CDR_ID [--json]`, `cdr credit CDR_ID [--reason TEXT] [--reprice [--tariff ID]] [--json]`."""
    common = admin_options()
    cdr = subparsers.add_parser("cdr", help="our CPO's CDRs: show the cost breakdown, credit (correct) one")
    actions = cdr.add_subparsers(dest="cdr_command", metavar="CDR_COMMAND", required=True)
    show = actions.add_parser("show", parents=[common], help="print a CDR with its cost breakdown")
    show.add_argument("cdr_id")
    show.add_argument("--json", action="store_true", help="print the JSON answer")
    show.set_defaults(run=cdr_show)
    credit = actions.add_parser(
        "credit",
        parents=[common],
        help="issue the credit CDR of a CDR (id + '-C', negative totals), sent to the token's eMSP",
    )
    credit.add_argument("cdr_id")
    credit.add_argument("--reason", default=None, help="why (the credit CDR's remark)")
    credit.add_argument(
        "--reprice",
        action="store_true",
        help="also issue a new CDR priced again from the same charging periods",
    )
    credit.add_argument(
        "--tariff",
        default=None,
        metavar="TARIFF_ID",
        help="with --reprice: the tariff (default: the CDR's own)",
    )
    credit.add_argument("--json", action="store_true", help="print the JSON answer")
    credit.set_defaults(run=cdr_credit)


async def cdr_show(args: argparse.Namespace) -> int:
    code, answer = await call_admin(args, "GET", f"/admin/cdrs/{quote(args.cdr_id, safe='')}", quiet=True)
    if code != 0:
        return code
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe_cdr(answer["cdr"])))
    return 0


async def cdr_credit(args: argparse.Namespace) -> int:
    if args.tariff is not None and not args.reprice:
        print("error: --tariff needs --reprice", file=sys.stderr)
        return 2
    body: dict[str, Any] = {"reason": args.reason, "reprice": args.reprice, "tariff_id": args.tariff}
    path = f"/admin/cdrs/{quote(args.cdr_id, safe='')}/credit"
    code, answer = await call_admin(args, "POST", path, body, quiet=True)
    if code != 0:
        return code
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    print("\n".join(describe_cdr(answer["credit"])))
    if answer.get("cdr") is not None:
        print()
        print("\n".join(describe_cdr(answer["cdr"])))
    return 0


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _quantity(value: Any) -> str:
    """kWh and hours without the engine's trailing zeros (`20.000000` → `20`, `0E-10` → `0`)."""
    if value is None:
        return "-"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(number.normalize() if number else Decimal(0), "f")


def describe_cdr(cdr: Mapping[str, Any]) -> list[str]:
    """A readable CDR: who, when, what was used, and what it cost (sub-totals and lines)."""
    party = cdr.get("party") or {}
    token_party = cdr.get("token_party") or {}
    cost = cdr.get("cost") or {}
    kind = (
        f"credit CDR {cdr['id']} (credits {cdr.get('credit_reference_id')})"
        if cdr.get("credit")
        else f"CDR {cdr['id']}"
    )
    energy, hours = _quantity(cost.get("total_energy_kwh")), _quantity(cost.get("total_time_hours"))
    parking = _quantity(cost.get("total_parking_time_hours"))
    lines = [
        f"{kind} of {party.get('country_code')}*{party.get('party_id')}",
        f"  session   {cdr.get('session_id')}",
        f"  period    {cdr.get('start')} .. {cdr.get('end')}",
        f"  location  {_text(cdr.get('location_id'))} EVSE {_text(cdr.get('evse_uid'))}",
        f"  token     {cdr.get('token_uid')}"
        + (f" of {token_party.get('country_code')}*{token_party.get('party_id')}" if token_party else ""),
        f"  tariff    {_text(cdr.get('tariff_id'))}",
        f"  used      {energy} kWh, {hours} h (parking {parking} h)",
    ]
    if cdr.get("remark"):
        lines.append(f"  remark    {cdr['remark']}")
    lines.extend(describe_cost(cost))
    return lines


def describe_cost(cost: Mapping[str, Any]) -> list[str]:
    currency = cost.get("currency", "")
    lines = [f"  cost ({currency})          excl. VAT    incl. VAT"]
    for label, excl, incl in COST_ROWS:
        lines.append(f"    {label:<20} {_text(cost.get(excl)):>10}   {_text(cost.get(incl)):>10}")
    if cost.get("clamped"):
        lines.append(f"    (total set by the tariff's {cost['clamped']})")
    cost_lines = cost.get("lines") or []
    if cost_lines:
        lines.append("  lines")
        for line in cost_lines:
            vat = "no VAT" if line.get("vat") is None else f"VAT {line['vat']}%"
            lines.append(
                f"    {line['dimension']:<16} element {line['element']}  {line['start']} .. {line['end']}"
                f"  billed {_quantity(line['billed'])} × {line['price']} = {line['amount_excl_vat']} ({vat})"
            )
    return lines
