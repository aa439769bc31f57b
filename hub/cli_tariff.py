"""`python -m hub tariff price`: price a session or CDR JSON against an OCPI 2.2.1 tariff with the hub's own
tariff engine; prints a readable breakdown and the priced OCPI CDR (billing disputes, trying a tariff).

Composition layer: may import anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from hub.cli_tariff_report import local, pretty, render_cost
from hub.core.errors import InvalidRequestError
from hub.core.models import (
    AuthMethod,
    Cdr,
    CdrCost,
    ChargingPeriod,
    DimensionType,
    PartyRef,
    Tariff,
    TokenType,
)
from hub.core.pricing.money import ROUNDING_MODES
from ocpi_modules.common.json import dumps
from ocpi_modules.v2_2_1.cdrs import from_core_cdr
from ocpi_modules.v2_2_1.sessions import to_core_periods
from ocpi_modules.v2_2_1.tariffs import to_core_tariff
from ocpi_modules.v2_2_1.types import to_datetime

EXIT_BAD_INPUT = 2
NOT_AVAILABLE = "#NA"  # OCPI's "unknown" for a required string (types.asciidoc)
DURATION_DIMENSIONS = (DimensionType.TIME, DimensionType.PARKING_TIME, DimensionType.RESERVATION_TIME)
SECONDS_PER_HOUR = Decimal(3600)

DESCRIPTION = """\
Price a session with the hub's own tariff engine, exactly as the hub prices its CDRs.

--tariff: an OCPI 2.2.1 Tariff. --cdr: an OCPI 2.2.1 Session or CDR, or any object with start_date_time,
charging_periods, end_date_time (absent: the end of the last period's TIME/PARKING_TIME) and optionally
currency (must be the tariff's). Times of day and dates are local to the file's top-level "time_zone" (our
extension), else --time-zone, else UTC (with a note on stderr).

Prints one row per cost line (dimension, element, local from-to, consumed -> billed, price, VAT, amount
excl./incl. VAT), sub-totals, min/max price and totals, then the priced OCPI CDR JSON, its periods split
where the cost changes (last_updated = end_date_time, so output is reproducible); --json prints only the
JSON. Exit status 0; 2 for bad input, with the file and field on stderr."""


class BadInputError(Exception):
    """Input that cannot be priced; the message is printed after `error: ` (exit status 2)."""


def add_tariff_commands(subparsers: Any) -> Any:
    """Add `tariff` and its sub-commands to the hub's command parser; each leaf sets `run`."""
    tariff = subparsers.add_parser("tariff", help="tariff tools: price a session offline")
    actions = tariff.add_subparsers(dest="tariff_command", metavar="TARIFF_COMMAND", required=True)
    price = actions.add_parser(
        "price",
        help="price a session or CDR JSON against an OCPI tariff; print the breakdown and the priced CDR",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    price.add_argument("--tariff", required=True, type=Path, help="OCPI 2.2.1 Tariff JSON file")
    price.add_argument("--cdr", required=True, type=Path, help="OCPI Session, CDR or CDR-like JSON file")
    price.add_argument(
        "--time-zone",
        default=None,
        help='IANA time zone when the file has no top-level "time_zone" (default: UTC)',
    )
    price.add_argument(
        "--rounding",
        choices=("line", "total"),
        default="line",
        help="round every cost line, then totals from them (line), or only the totals (default: %(default)s)",
    )
    price.add_argument(
        "--rounding-mode",
        choices=tuple(ROUNDING_MODES),
        default="HALF_UP",
        help="Decimal rounding to the currency's minor unit (default: %(default)s)",
    )
    price.add_argument("--json", action="store_true", help="print only the priced CDR JSON")
    price.set_defaults(run=tariff_price_command)
    return actions


async def tariff_price_command(args: argparse.Namespace) -> int:
    options = {"time_zone": args.time_zone, "scope": args.rounding, "mode": args.rounding_mode}
    try:
        report = price_files(args.tariff, args.cdr, **options)
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if not args.json:
        print(report.breakdown)
        print()
        print("Priced CDR (OCPI 2.2.1):")
    print(report.cdr_json)
    return 0


@dataclass(frozen=True)
class Report:
    breakdown: str
    cdr_json: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Usage:
    """What the session file says: the periods to price and their bounds."""

    start: datetime
    end: datetime
    periods: tuple[ChargingPeriod, ...]
    currency: str | None
    time_zone: str
    notes: tuple[str, ...]


def price_files(tariff_path: Path, cdr_path: Path, *, time_zone: str | None, scope: str, mode: str) -> Report:
    """Read both files, price them with the tariff engine and render the report; raises BadInputError."""
    # the engine is imported here, not at module level, so `python -m hub --help` stays quick
    from hub.core.pricing import RoundingPolicy, TariffEngine
    from hub.core.pricing.validation import validate_tariff

    policy = RoundingPolicy(scope="total" if scope == "total" else "line", mode=mode)
    if time_zone is not None and not known_zone(time_zone):
        raise BadInputError(f"--time-zone: unknown time zone {time_zone!r}")
    tariff_data = load_json(tariff_path, "tariff")
    session_data = load_json(cdr_path, "cdr")
    if not isinstance(session_data, dict):
        raise BadInputError("cdr: expected a JSON object")
    with input_errors("tariff"):
        tariff = to_core_tariff(tariff_data, default_party=party_of(session_data))
        validate_tariff(tariff)
    with input_errors("cdr"):
        usage = read_usage(session_data, time_zone)
        if usage.currency is not None and usage.currency.upper() != tariff.currency.upper():
            message = f"currency: {usage.currency} differs from the tariff's currency {tariff.currency}"
            raise InvalidRequestError(message, field="currency")
        priced = TariffEngine(policy=policy).price_periods(
            tariff, usage.periods, start=usage.start, end=usage.end, time_zone=usage.time_zone
        )
        cdr = priced_cdr(session_data, tariff, usage, priced.cost, priced.periods)
    wire = from_core_cdr(cdr, location=None, tariff=tariff, token=None)
    if isinstance(session_data.get("cdr_location"), dict):  # a CDR's own location beats `#NA` defaults
        wire["cdr_location"] = session_data["cdr_location"]
    zone = usage.time_zone
    header = (
        f"Tariff {tariff.id} of {tariff.party} ({tariff.currency}) · session {local(usage.start, zone)}"
        f" → {local(usage.end, zone)} ({zone})\n"
        f"Rounding: {'each line, then totals' if scope == 'line' else 'totals only'}, {mode} to "
        f"{policy.quantum(priced.cost.currency)} {priced.cost.currency}"
    )
    return Report(
        breakdown=header + "\n\n" + render_cost(priced.cost, tariff, usage.time_zone),
        cdr_json=pretty(dumps(wire)),
        notes=usage.notes,
    )


@contextmanager
def input_errors(which: str) -> Iterator[None]:
    """The mapping's and the engine's input errors as a BadInputError prefixed with the file."""
    try:
        yield
    except InvalidRequestError as exc:
        raise BadInputError(f"{which}: {exc}") from None
    except ValidationError as exc:  # a value a core model refuses, e.g. a tariff `type` that is no text
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or which
        raise BadInputError(f"{which}: {where}: {first['msg']}") from None


def load_json(path: Path, which: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(f"{which}: {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(
            f"{which}: {path}: cannot read: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except ValueError as exc:
        raise BadInputError(f"{which}: {path}: not valid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def party_of(data: dict[str, Any]) -> PartyRef | None:
    try:
        return PartyRef(country_code=str(data["country_code"]), party_id=str(data["party_id"]))
    except (KeyError, ValueError):
        return None


def read_usage(data: dict[str, Any], time_zone_option: str | None) -> Usage:
    """Start, end, periods, currency and time zone of a Session, CDR or CDR-like object."""
    notes: list[str] = []
    start = to_datetime(data.get("start_date_time"), "start_date_time")
    periods = to_core_periods(data.get("charging_periods"))
    if data.get("end_date_time") is not None:
        end = to_datetime(data["end_date_time"], "end_date_time")
    else:
        end = end_of_last_period(periods)
    currency = data.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise InvalidRequestError(f"currency: not an ISO 4217 code: {currency!r}", field="currency")
    zone = data.get("time_zone")
    if zone is not None and not known_zone(zone):
        raise InvalidRequestError(f"time_zone: unknown time zone {zone!r}", field="time_zone")
    if zone is None:
        zone = time_zone_option
    if zone is None:
        zone = "UTC"
        notes.append('no top-level "time_zone" and no --time-zone: restrictions are read in UTC')
    return Usage(start, end, periods, currency, zone, tuple(notes))


def known_zone(name: Any) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def end_of_last_period(periods: tuple[ChargingPeriod, ...]) -> datetime:
    """A running session's end: its last period's start plus that period's duration."""
    hours = [d.volume for d in periods[-1].dimensions if d.type in DURATION_DIMENSIONS] if periods else []
    if not hours:
        message = (
            "end_date_time: missing, and no last charging period with TIME/PARKING_TIME to end the session"
        )
        raise InvalidRequestError(message, field="end_date_time")
    microseconds = (max(hours) * SECONDS_PER_HOUR * 1_000_000).to_integral_value()
    return periods[-1].start_date_time + timedelta(microseconds=int(microseconds))


def priced_cdr(
    data: dict[str, Any], tariff: Tariff, usage: Usage, cost: CdrCost, periods: tuple[ChargingPeriod, ...]
) -> Cdr:
    """The core CDR of the priced session: identity from the file where it has one (a Session's id doubles
    as the CDR id, CD-15), `#NA` for the token when the file names none."""
    token: dict[str, Any] = data["cdr_token"] if isinstance(data.get("cdr_token"), dict) else {}
    location: dict[str, Any] = data["cdr_location"] if isinstance(data.get("cdr_location"), dict) else {}
    is_cdr = "cdr_location" in data or "total_energy" in data
    auth = str(data.get("auth_method") or "").upper()
    token_type = str(token.get("type") or "").upper()

    def text(source: dict[str, Any], key: str) -> str | None:
        value = source.get(key)
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None

    cdr_id = text(data, "id") or "PRICED"
    return Cdr(
        id=cdr_id,
        party=party_of(data) or tariff.party,
        session_id=(text(data, "session_id") if is_cdr else None) or cdr_id,
        start=usage.start,
        end=usage.end,
        location_id=text(data, "location_id") or text(location, "id"),
        evse_uid=text(data, "evse_uid") or text(location, "evse_uid"),
        connector_id=text(data, "connector_id") or text(location, "connector_id"),
        token_uid=text(token, "uid") or NOT_AVAILABLE,
        token_party=party_of(token),
        token_type=TokenType(token_type) if token_type in TokenType.__members__ else TokenType.OTHER,
        contract_id=text(token, "contract_id"),
        auth_method=AuthMethod(auth) if auth in AuthMethod.__members__ else AuthMethod.WHITELIST,
        authorization_reference=text(data, "authorization_reference"),
        tariff_id=tariff.id,
        cost=cost,
        charging_periods=periods,
        last_updated=usage.end,
    )
