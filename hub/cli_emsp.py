"""`python -m hub tokens …`, `python -m hub ocpi start-session|stop-session`, `python -m hub emsp cdrs`: our
eMSP's tokens (import, distribution to CPOs, block), remote start/stop at partner CPOs and partner CDRs
with the CPO's and our own price, through a running hub's operator API.

Composition layer: may import anything. Hub URL and admin token as for every operator command
(`hub.cli_common`: `--url`, `--token` / HUB_ADMIN_TOKEN); each leaf sets `run` (an async handler).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hub.cli_common import admin_options, call_admin

DEFAULT_WAIT_S = 60.0  # `--wait` without a value
IMPORT_BATCH = 500  # rows per import request: one progress line each
POLL_CHUNK_S = 10.0  # one command-result request waits at most this long on the hub


def add_tokens_commands(subparsers: Any) -> None:
    """`tokens import FILE`, `tokens distribution [--retry-failed]`, `tokens block UID`."""
    common = admin_options()
    tokens = subparsers.add_parser("tokens", help="our eMSP's tokens: import, distribution to CPOs, block")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="TOKENS_COMMAND", required=True)
    imp = actions.add_parser(
        "import",
        parents=[common],
        help="import tokens from a JSON list of OCPI Tokens or a CSV file "
        "(header: uid,type,contract_id,visual_number,issuer,group_id,valid,whitelist,language)",
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=tokens_import)
    dist = actions.add_parser(
        "distribution", parents=[common], help="per CPO: tokens accepted, pending and failed (with errors)"
    )
    dist.add_argument("--retry-failed", action="store_true", help="push the failed tokens again now")
    dist.add_argument("--json", action="store_true", help="print the JSON answer")
    dist.set_defaults(run=tokens_distribution)
    block = actions.add_parser("block", parents=[common], help="set a token valid=false and push it to CPOs")
    block.add_argument("uid")
    block.set_defaults(run=tokens_block)


def add_ocpi_emsp_commands(ocpi_subparsers: Any) -> None:
    """`ocpi start-session …` and `ocpi stop-session …` (our eMSP as Commands Sender). `--token` is the
    operator API's token here as everywhere, so our token's uid is `--token-uid` (as in `station start`)."""
    common = admin_options()
    start = ocpi_subparsers.add_parser(
        "start-session", parents=[common], help="START_SESSION at a partner CPO with one of our tokens"
    )
    start.add_argument("--token-uid", required=True, metavar="UID", help="our token's uid")
    start.add_argument("--location", required=True, help="the CPO's location id")
    start.add_argument("--evse", default=None, help="EVSE uid")
    start.add_argument("--connector", default=None, help="connector id (needs --evse)")
    start.add_argument("--cpo", required=True, help="the CPO as CC*PID, e.g. DE*ABC")
    _wait_argument(start)
    start.set_defaults(run=ocpi_start_session)
    stop = ocpi_subparsers.add_parser("stop-session", parents=[common], help="STOP_SESSION at a partner CPO")
    stop.add_argument("--session", required=True, help="the CPO's session id")
    stop.add_argument("--cpo", required=True, help="the CPO as CC*PID, e.g. DE*ABC")
    _wait_argument(stop)
    stop.set_defaults(run=ocpi_stop_session)


def _wait_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        nargs="?",
        type=float,
        const=DEFAULT_WAIT_S,
        default=None,
        metavar="SECONDS",
        help=f"wait for the CPO's CommandResult and print it (default {DEFAULT_WAIT_S:g} s)",
    )


# --- tokens ---------------------------------------------------------------------------------------------


async def tokens_import(args: argparse.Namespace) -> int:
    """Read the file, send it in batches (a progress line on stderr per batch of a long file), then print a
    summary and one line per refused row; exit 1 when any row was refused."""
    from ocpi_modules.v2_2_1.emsp.tokens import TokenFileError, read_token_file

    path: Path = args.file
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        rows, first_row = read_token_file(path.name, text)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    except TokenFileError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 1
    totals = {"total": 0, "imported": 0, "unchanged": 0, "blank": 0}
    errors: list[dict[str, Any]] = []
    started = time.monotonic()
    for start in range(0, len(rows), IMPORT_BATCH):
        batch = rows[start : start + IMPORT_BATCH]
        query = [("first_row", str(first_row + start))]
        code, report = await call_admin(
            args, "POST", "/admin/tokens/import", batch, query, wait_s=600, quiet=True
        )
        if code != 0:
            print(f"error: stopped after {start} of {len(rows)} rows", file=sys.stderr)
            return code
        for key in totals:
            totals[key] += int(report.get(key, 0))
        errors.extend(report.get("errors", []))
        if len(rows) > IMPORT_BATCH:
            print(
                f"{start + len(batch)}/{len(rows)} rows ({time.monotonic() - started:.0f} s): "
                f"{totals['imported']} imported, {len(errors)} refused",
                file=sys.stderr,
            )
    print(
        f"{path.name}: {totals['total']} rows, {totals['imported']} imported, "
        f"{totals['unchanged']} unchanged, {totals['blank']} blank, {len(errors)} refused"
    )
    for error in errors:
        uid = f" (uid {error['uid']})" if error.get("uid") else ""
        print(f"  row {error['row']}{uid}: {error['error']}")
    return 1 if errors else 0


async def tokens_distribution(args: argparse.Namespace) -> int:
    if args.retry_failed:
        query = [("retry_failed", "1")]
        code, answer = await call_admin(args, "POST", "/admin/tokens/distribution", None, query, quiet=True)
    else:
        code, answer = await call_admin(args, "GET", "/admin/tokens/distribution", quiet=True)
    if code != 0:
        return code
    if args.json:
        print_json(answer)
        return 0
    if args.retry_failed:
        print(f"{answer.get('retried', 0)} failed pushes made due again")
    cpos = answer.get("cpos", [])
    if not cpos:
        print("no token has been pushed to any CPO yet")
    for cpo in cpos:
        name = f" {cpo['platform']}" if cpo.get("platform") else ""
        print(
            f"{cpo['cpo']}{name} [{cpo['platform_id']}]: {cpo['accepted']} accepted, "
            f"{cpo['pending']} pending, {cpo['failed']} failed"
        )
        for failed in cpo.get("failed_tokens", []):
            print(f"  {failed['uid']}: {failed.get('last_error') or '?'} ({failed['attempts']} attempts)")
    return 0


async def tokens_block(args: argparse.Namespace) -> int:
    code, _ = await call_admin(args, "POST", f"/admin/tokens/{quote(args.uid, safe='')}/block")
    return code


def print_json(value: Any) -> None:
    import json

    print(json.dumps(value, indent=2, ensure_ascii=False))


# --- commands -------------------------------------------------------------------------------------------


async def _command(args: argparse.Namespace, path: str, body: dict[str, Any]) -> int:
    """Send the command, print the stored command with the CPO's answer; exit 0 when ACCEPTED. With
    `--wait`, then wait for the CommandResult and exit 0 only when it is ACCEPTED too."""
    code, answer = await call_admin(args, "POST", path, body)
    if code != 0:
        return code
    response = answer.get("response") if isinstance(answer, dict) else None
    accepted = isinstance(response, dict) and response.get("result") == "ACCEPTED"
    if not accepted:
        return 1
    if args.wait is None:
        return 0
    return await wait_result(args, str(answer["command_id"]), float(args.wait))


async def wait_result(args: argparse.Namespace, command_id: str, seconds: float) -> int:
    """Ask the hub for the CommandResult (each request waits up to POLL_CHUNK_S on the hub's side) until it
    came or `seconds` passed; print it."""
    deadline = time.monotonic() + seconds
    path = f"/admin/ocpi/command-results/{quote(command_id, safe='')}"
    while True:
        remaining = deadline - time.monotonic()
        chunk = max(0.0, min(remaining, POLL_CHUNK_S))
        code, answer = await call_admin(
            args, "GET", path, None, [("wait", f"{chunk:.1f}")], wait_s=chunk, quiet=True
        )
        if code != 0:
            return code
        result = answer.get("result") if isinstance(answer, dict) else None
        if isinstance(result, dict):
            print("result:")
            print_json(result)
            return 0 if result.get("result") == "ACCEPTED" else 1
        if remaining <= 0:
            print(f"error: no CommandResult within {seconds:g} s", file=sys.stderr)
            return 1


async def ocpi_start_session(args: argparse.Namespace) -> int:
    body = {
        "token_uid": args.token_uid,
        "location_id": args.location,
        "evse_uid": args.evse,
        "connector_id": args.connector,
        "cpo": args.cpo,
    }
    return await _command(args, "/admin/ocpi/start-session", body)


async def ocpi_stop_session(args: argparse.Namespace) -> int:
    return await _command(args, "/admin/ocpi/stop-session", {"session_id": args.session, "cpo": args.cpo})


# --- CDR ratings ----------------------------------------------------------------------------------------

# (label, key of a core CdrCost), in the order the fleet portal's CDR pages list the costs.
RATING_ROWS: tuple[tuple[str, str], ...] = (
    ("Fixed", "fixed_excl_vat"),
    ("Reservation", "reservation_excl_vat"),
    ("Parking", "parking_excl_vat"),
    ("Energy", "energy_excl_vat"),
    ("Time", "time_excl_vat"),
    ("Total excl. VAT", "total_excl_vat"),
    ("Total incl. VAT", "total_incl_vat"),
)


def add_emsp_commands(subparsers: Any) -> None:
    """`emsp cdrs [--party CC*PID] [--id CDR_ID] [--cpo CC*PID] [--json]`: partner CDRs with the CPO's price
    and our customer tariff's price side by side."""
    common = admin_options()
    emsp = subparsers.add_parser("emsp", help="our eMSP: partner CDRs with CPO and MSP price")
    actions = emsp.add_subparsers(dest="emsp_command", metavar="EMSP_COMMAND", required=True)
    cdrs = actions.add_parser(
        "cdrs", parents=[common], help="partner CDRs: the CPO's price (CPO CDR) beside ours (MSP CDR)"
    )
    cdrs.add_argument("--party", default=None, metavar="CC*PID", help="only CDRs for this eMSP of ours")
    cdrs.add_argument("--id", dest="cdr_id", default=None, metavar="CDR_ID", help="one CDR")
    cdrs.add_argument("--cpo", default=None, metavar="CC*PID", help="with --id: the CPO that sent it")
    cdrs.add_argument("--offset", type=int, default=0)
    cdrs.add_argument("--limit", type=int, default=100)
    cdrs.add_argument("--json", action="store_true", help="print the JSON answer")
    cdrs.set_defaults(run=emsp_cdrs)


async def emsp_cdrs(args: argparse.Namespace) -> int:
    query = [("offset", str(args.offset)), ("limit", str(args.limit))]
    for name, value in (("party", args.party), ("id", args.cdr_id), ("cpo", args.cpo)):
        if value:
            query.append((name, value))
    code, answer = await call_admin(args, "GET", "/admin/emsp/cdrs", None, query, quiet=True)
    if code != 0:
        return code
    if args.json:
        print_json(answer)
        return 0
    ratings = answer.get("ratings", [])
    if not ratings:
        print("no rated CDRs" + (f" with id {args.cdr_id}" if args.cdr_id else ""))
        return 1 if args.cdr_id else 0
    for i, rating in enumerate(ratings):
        if i:
            print()
        print("\n".join(describe_rating(rating)))
    return 0


def _party(value: Any) -> str:
    return f"{value['country_code']}*{value['party_id']}" if isinstance(value, dict) else str(value)


def _amount(cost: dict[str, Any] | None, key: str) -> str:
    if cost is None:
        return ""
    value = cost.get(key)
    return "-" if value is None else str(value)


def describe_rating(rating: dict[str, Any]) -> list[str]:
    """One rated CDR: the CPO's price ("CPO CDR") and the driver's price ("MSP CDR") in two columns."""
    cpo, msp = rating["cpo_cost"], rating.get("msp_cost")
    kind = "credit CDR" if rating.get("credit") else "CDR"
    credits = f" (credits {rating.get('credit_reference_id')})" if rating.get("credit") else ""
    msp_head = (
        f"MSP CDR ({msp['currency']}, tariff {rating.get('msp_tariff_id')})"
        if msp is not None
        else "MSP CDR (no customer tariff)"
    )
    lines = [
        f"{kind} {rating['cdr_id']}{credits} from CPO {_party(rating['cpo_party'])}"
        f" for {_party(rating['emsp_party'])}",
        f"  token {rating['token_uid']}, session {rating.get('session_id') or '-'}, "
        f"{rating['start']} .. {rating['end']}, energy {cpo.get('total_energy_kwh')} kWh",
        f"  {'':<18} {'CPO CDR (' + cpo['currency'] + ')':>20}   {msp_head}",
    ]
    for label, key in RATING_ROWS:
        lines.append(f"  {label:<18} {_amount(cpo, key):>20}   {_amount(msp, key)}")
    return lines
