"""Our eMSP's own tokens: import from JSON or CSV rows, distribution status per CPO (read from the push
outbox), retrying failed pushes and blocking a token.

An adapter module: imports the core and ocpi_modules only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog

from hub.core.authorization import fingerprint
from hub.core.errors import NotFoundError
from hub.core.models import OutboxMessage, Token, TokenType, WhitelistType
from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.emsp.parties import our_emsp

log = structlog.get_logger(__name__)

# The outbox topic the push service writes one row per (CPO platform, token) to (design: "Outbox and pushes").
TOKEN_TOPIC = "ocpi.token.updated"  # noqa: S105 (a topic name, not a secret)
CSV_COLUMNS = (
    "uid",
    "type",
    "contract_id",
    "visual_number",
    "issuer",
    "group_id",
    "valid",
    "whitelist",
    "language",
)
REQUIRED_CSV_COLUMNS = ("uid", "contract_id")
PROGRESS_EVERY = 500  # rows between two progress lines of a long import

_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})
# Token field limits (checklist §17 TK-03, §20); an import is ours to emit, so it is checked strictly.
_MAX_LENGTH = {"uid": 36, "contract_id": 36, "visual_number": 64, "issuer": 64, "group_id": 36}


class TokenFileError(ValueError):
    """The file as a whole cannot be read (not JSON/CSV, wrong top-level shape, unknown CSV columns)."""


@dataclass(frozen=True)
class RowError:
    row: int
    uid: str | None
    error: str


@dataclass
class ImportReport:
    """What an import did; every row is either imported, unchanged, blank or listed in `errors`."""

    total: int = 0
    imported: int = 0
    unchanged: int = 0
    blank: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# --- Reading files --------------------------------------------------------------------------------


def rows_from_json(text: str) -> list[Any]:
    """A JSON file holding a list of OCPI Token objects (a single object counts as a list of one)."""
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise TokenFileError(f"not valid JSON: {exc}") from None
    if isinstance(parsed, dict):
        return [parsed]
    if not isinstance(parsed, list):
        raise TokenFileError("a JSON token file holds a list of Token objects")
    return parsed


def rows_from_csv(text: str) -> list[Any]:
    """CSV with a header naming columns of CSV_COLUMNS (uid and contract_id required, any order). Each record
    becomes a dict of its non-empty cells; a blank line becomes None so row numbers stay those of the file
    (row 1 = the header). A record with more cells than the header is kept as an error marker."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise TokenFileError("the CSV file is empty (a header line is required)") from None
    except csv.Error as exc:
        raise TokenFileError(f"CSV: {exc}") from None
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise TokenFileError(f"unknown CSV column(s) {', '.join(unknown)}; allowed: {', '.join(CSV_COLUMNS)}")
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in header]
    if missing:
        raise TokenFileError(f"the CSV header lacks the column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise TokenFileError("a CSV column is named twice in the header")
    rows: list[Any] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                rows.append(None)
                continue
            if len(record) > len(header):
                rows.append({"__error__": f"{len(record)} cells for {len(header)} columns"})
                continue
            rows.append(
                {name: cell.strip() for name, cell in zip(header, record, strict=False) if cell.strip()}
            )
    except csv.Error as exc:
        raise TokenFileError(f"CSV line {reader.line_num}: {exc}") from None
    return rows


def read_token_file(name: str, text: str) -> tuple[list[Any], int]:
    """(rows, number of the first row) of a token file: `.json` → JSON (rows from 1), anything else that
    starts with `[` or `{` → JSON, otherwise CSV (row 1 is the header, records from 2)."""
    if name.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        return rows_from_json(text), 1
    return rows_from_csv(text), 2


# --- Import ---------------------------------------------------------------------------------------


def _text(
    row: Mapping[str, Any], name: str, *, required: bool = False, default: str | None = None
) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return default
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if not value.isprintable():
        raise ValueError(f"{name} contains control characters")
    limit = _MAX_LENGTH.get(name)
    if limit is not None and len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def _flag(row: Mapping[str, Any], name: str, default: bool) -> bool:
    value = row.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{name} must be true or false, not {value!r}")


def token_from_row(row: Any, *, rt: OcpiRuntime, issuer: str) -> Token:
    """One import row (OCPI Token object or CSV record) as an own token of our eMSP; raises ValueError
    saying what is wrong. Unknown OCPI fields (energy_contract, default_profile_type) are ignored."""
    if not isinstance(row, dict):
        raise ValueError("a row must be a Token object")
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))
    emsp = our_emsp(rt).ref
    for name, ours in (("country_code", emsp.country_code), ("party_id", emsp.party_id)):
        given = row.get(name)
        if given is not None and (not isinstance(given, str) or given.upper() != ours.upper()):
            raise ValueError(f"{name} {given!r} is not our eMSP {emsp}")
    uid = _text(row, "uid", required=True)
    assert uid is not None
    if uid != uid.strip() or not uid.isascii():
        raise ValueError("uid must be printable ASCII without surrounding spaces")
    contract_id = _text(row, "contract_id", required=True)
    assert contract_id is not None
    type_text = _text(row, "type", default=TokenType.RFID.value)
    whitelist_text = _text(row, "whitelist", default=WhitelistType.ALLOWED.value)
    language = _text(row, "language")
    if language is not None and (len(language) != 2 or not language.isalpha()):
        raise ValueError("language must be a two-letter ISO 639-1 code")
    try:
        token_type = TokenType(str(type_text).upper())
    except ValueError:
        raise ValueError(f"type {type_text!r} is not one of {', '.join(TokenType)}") from None
    try:
        whitelist = WhitelistType(str(whitelist_text).upper())
    except ValueError:
        raise ValueError(f"whitelist {whitelist_text!r} is not one of {', '.join(WhitelistType)}") from None
    return Token(
        uid=uid,
        party=emsp,
        type=token_type,
        contract_id=contract_id,
        visual_number=_text(row, "visual_number"),
        issuer=_text(row, "issuer", default=issuer) or issuer,
        group_id=_text(row, "group_id"),
        valid=_flag(row, "valid", True),
        whitelist=whitelist,
        language=language,
        own=True,
        last_updated=rt.clock.now(),
    )


async def import_tokens(
    rt: OcpiRuntime,
    rows: Sequence[Any],
    *,
    first_row: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import `rows` (Token objects or CSV records; None = blank line) as our eMSP's own tokens through the
    core, so the push service distributes every changed token to the CPOs. Bad rows are reported with their
    row number (`first_row` numbers the first one); good rows are imported whatever the others hold."""
    emsp = our_emsp(rt)
    report = ImportReport(total=len(rows))
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        number = first_row + index
        if row is None:
            report.blank += 1
        else:
            await _import_row(rt, row, number, emsp.name, seen, report)
        done = index + 1
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            log.info(
                "ocpi_tokens_import_progress",
                done=done,
                total=len(rows),
                imported=report.imported,
                errors=len(report.errors),
            )
            if progress is not None:
                progress(done, len(rows))
    log.info(
        "ocpi_tokens_imported",
        total=report.total,
        imported=report.imported,
        unchanged=report.unchanged,
        blank=report.blank,
        errors=len(report.errors),
    )
    return report


async def _import_row(
    rt: OcpiRuntime, row: Any, number: int, issuer: str, seen: dict[str, int], report: ImportReport
) -> None:
    uid = row.get("uid") if isinstance(row, dict) and isinstance(row.get("uid"), str) else None
    try:
        token = token_from_row(row, rt=rt, issuer=issuer)
        first = seen.get(token.uid.upper())
        if first is not None:
            raise ValueError(f"uid already imported from row {first}")
    except ValueError as exc:
        report.errors.append(RowError(row=number, uid=uid, error=str(exc)))
        return
    seen[token.uid.upper()] = number
    stored = await rt.core.tokens.put(token)
    if stored is token:
        report.imported += 1
    else:  # the same content was already stored: no change, nothing to push (OCPI #428)
        report.unchanged += 1


# --- Distribution status ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedToken:
    uid: str
    type: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: str


@dataclass
class CpoDistribution:
    """The push state of our tokens at one CPO of one platform (newest outbox row per token)."""

    platform_id: str
    platform: str
    cpo: str
    accepted: int = 0
    pending: int = 0
    failed: int = 0
    failed_tokens: list[FailedToken] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _split_target(target: str) -> tuple[str, str]:
    platform_id, _, party = target.partition("|")
    return platform_id, party


async def distribution(rt: OcpiRuntime) -> list[CpoDistribution]:
    """Per CPO target, how many of our tokens it ACCEPTED (push answered 1000), how many are PENDING and
    which FAILED (with the last error); from the newest `ocpi.token.updated` row per (target, token)."""
    async with rt.core.db.unit_of_work() as uow:
        messages: Sequence[OutboxMessage] = await uow.outbox.latest(TOKEN_TOPIC)
    names = {p.id: p.name for p in await rt.core.platforms.list()}
    groups: dict[str, CpoDistribution] = {}
    for message in messages:
        if message.target is None:
            continue
        platform_id, party = _split_target(message.target)
        group = groups.get(message.target)
        if group is None:
            group = CpoDistribution(platform_id=platform_id, platform=names.get(platform_id, ""), cpo=party)
            groups[message.target] = group
        if message.delivered_at is not None:
            group.accepted += 1
        elif message.attempts > 0:
            group.failed += 1
            group.failed_tokens.append(
                FailedToken(
                    uid=str(message.payload.get("uid", "")),
                    type=message.payload.get("type"),
                    attempts=message.attempts,
                    last_error=message.last_error,
                    next_attempt_at=format_datetime(message.next_attempt_at),
                )
            )
        else:
            group.pending += 1
    return sorted(groups.values(), key=lambda g: (g.platform, g.cpo, g.platform_id))


async def retry_failed(rt: OcpiRuntime) -> int:
    """Make every failed token push due now (attempt counts are kept); returns how many."""
    async with rt.core.db.unit_of_work() as uow:
        count = await uow.outbox.retry_failed(TOKEN_TOPIC, None, rt.clock.now())
        await uow.commit()
    log.info("ocpi_tokens_retry_failed", count=count)
    return count


async def block_token(rt: OcpiRuntime, uid: str) -> Token:
    """Set one of our tokens `valid=false` (tokens are never deleted, TK-01); the change is pushed to every
    CPO. Raises NotFoundError for a uid that is not one of our eMSP's tokens."""
    emsp = our_emsp(rt)
    token = await rt.core.tokens.get(uid, emsp.ref)
    if token is None:
        raise NotFoundError(f"unknown token {uid}")
    if not token.valid:
        return token
    blocked = await rt.core.tokens.put(
        token.model_copy(update={"valid": False, "last_updated": rt.clock.now()})
    )
    log.info("ocpi_token_blocked", token=fingerprint(blocked.uid))
    return blocked
