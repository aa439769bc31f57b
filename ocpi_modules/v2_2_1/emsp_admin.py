"""The operator API for our eMSP: import our tokens, their distribution to CPOs (retry the failed pushes),
block a token, START/STOP_SESSION at a partner CPO with the CommandResult to read back, and the ratings of
partner CDRs (the CPO's price beside our customer tariff's). JSON in and out, behind the same bearer token
as the rest of `/admin/` (disabled while it is empty, 401 when wrong).

An adapter module: imports aiohttp, structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web

from hub.core.errors import (
    NotFoundError,
)
from hub.core.models import PartyRef
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.runtime import OCPI_KEY, OcpiRuntime
from ocpi_modules.v2_2_1.admin import AdminRequestError, bearer_guard
from ocpi_modules.v2_2_1.emsp import commands, tokens
from ocpi_modules.v2_2_1.tokens import from_core_token

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]
MAX_IMPORT_ROWS = 10_000  # one request; the CLI sends long files in batches
MAX_WAIT_S = 60.0  # the longest one command-result request may wait for the result
MAX_RATINGS = 1000  # one page of CDR ratings


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON with OCPI's number and DateTime forms (Decimal stays exact, datetimes end in Z)."""
    return web.json_response(data, status=status, dumps=lambda obj: ocpi_json.dumps(obj).decode())


async def _read(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise AdminRequestError(400, "the body is not valid JSON") from None


async def _object(request: web.Request) -> dict[str, Any]:
    body = await _read(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise AdminRequestError(400, "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise AdminRequestError(400, f"field '{name}' is required")
        return None
    if not isinstance(value, str):
        raise AdminRequestError(400, f"field '{name}' must be str")
    return value.strip()


def _cpo(body: dict[str, Any]) -> PartyRef:
    text = _text(body, "cpo") or ""
    try:
        return PartyRef.parse(text)
    except ValueError:
        raise AdminRequestError(400, "field 'cpo' must be CC*PID (e.g. DE*ABC)") from None


def _query_int(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise AdminRequestError(400, f"query '{name}' must be a non-negative integer")
    return int(text)


def _wait(request: web.Request) -> float:
    text = request.query.get("wait")
    if text is None:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        raise AdminRequestError(400, "query 'wait' must be a number of seconds") from None
    if not 0 <= seconds <= MAX_WAIT_S:
        raise AdminRequestError(400, f"query 'wait' must be between 0 and {MAX_WAIT_S:g}")
    return seconds


def _runtime(request: web.Request) -> OcpiRuntime:
    rt = request.app.get(OCPI_KEY)
    if rt is None or rt.core_getter() is None:
        raise AdminRequestError(503, "the hub is starting")
    return rt


# --- tokens --------------------------------------------------------------------------------------------


async def import_tokens(request: web.Request) -> web.Response:
    """Body: a JSON list of OCPI Token objects (or CSV records as objects; null = blank line); query
    `first_row` numbers the first element in the report (default 1)."""
    rt = _runtime(request)
    rows = await _read(request)
    if not isinstance(rows, list):
        raise AdminRequestError(400, "the body must be a JSON list of Token objects")
    if len(rows) > MAX_IMPORT_ROWS:
        raise AdminRequestError(413, f"at most {MAX_IMPORT_ROWS} rows per request; send the file in batches")
    report = await tokens.import_tokens(rt, rows, first_row=_query_int(request, "first_row", 1))
    return _json(report.as_json())


async def get_distribution(request: web.Request) -> web.Response:
    rt = _runtime(request)
    return _json({"cpos": [d.as_json() for d in await tokens.distribution(rt)]})


async def post_distribution(request: web.Request) -> web.Response:
    """`?retry_failed=1`: make every failed token push due now, then answer the distribution."""
    rt = _runtime(request)
    if request.query.get("retry_failed", "").lower() not in ("1", "true", "yes"):
        raise AdminRequestError(400, "POST needs ?retry_failed=1")
    retried = await tokens.retry_failed(rt)
    return _json({"retried": retried, "cpos": [d.as_json() for d in await tokens.distribution(rt)]})


async def block_token(request: web.Request) -> web.Response:
    token = await tokens.block_token(_runtime(request), request.match_info["uid"])
    return _json({"token": from_core_token(token)})


# --- CDR ratings ---------------------------------------------------------------------------------------


def _query_party(request: web.Request, name: str) -> PartyRef | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        return PartyRef.parse(text)
    except ValueError:
        raise AdminRequestError(400, f"query '{name}' must be CC*PID (e.g. NL*MSP)") from None


async def list_ratings(request: web.Request) -> web.Response:
    """`?party=CC*PID` (our eMSP), `?id=CDR_ID` (with `?cpo=CC*PID` when known), `offset`, `limit`: each
    rating with `cpo_cost` (the "CPO CDR") and `msp_cost` (the "MSP CDR", null without a customer tariff)."""
    rt = _runtime(request)
    emsp = _query_party(request, "party")
    cpo = _query_party(request, "cpo")
    cdr_id = request.query.get("id")
    ratings = rt.core.ratings
    if cdr_id and cpo is not None:
        found = await ratings.get(cpo, cdr_id)
        wanted = found is not None and (emsp is None or found.emsp_party.key() == emsp.key())
        items = [found] if found is not None and wanted else []
    elif cdr_id:
        items = list(await ratings.find(cdr_id, emsp))
    else:
        offset = _query_int(request, "offset", 0)
        limit = min(_query_int(request, "limit", MAX_RATINGS), MAX_RATINGS)
        items = list(await ratings.list(emsp, offset, limit))
    # Core JSON (money as decimal strings), so that the CLI prints the amounts exactly as stored.
    return _json({"ratings": [r.model_dump(mode="json") for r in items]})


# --- commands ------------------------------------------------------------------------------------------


async def start_session(request: web.Request) -> web.Response:
    rt = _runtime(request)
    body = await _object(request)
    result = await commands.start_session(
        rt,
        token_uid=_text(body, "token_uid") or "",
        location_id=_text(body, "location_id") or "",
        evse_uid=_text(body, "evse_uid", required=False),
        connector_id=_text(body, "connector_id", required=False),
        cpo=_cpo(body),
    )
    return _json(result)


async def stop_session(request: web.Request) -> web.Response:
    rt = _runtime(request)
    body = await _object(request)
    result = await commands.stop_session(rt, session_id=_text(body, "session_id") or "", cpo=_cpo(body))
    return _json(result)


async def get_command_result(request: web.Request) -> web.Response:
    """200 with the command once its CommandResult arrived, 202 while it has not (`?wait=S` waits up to S
    seconds for it first), 404 for a command id we never sent."""
    rt = _runtime(request)
    command_id = request.match_info["command_id"]
    stored = await commands.wait_for_result(rt, command_id, _wait(request))
    if stored is None:
        raise NotFoundError(f"unknown command {command_id}")
    return _json(stored, status=200 if stored.get("result") is not None else 202)


def setup_emsp_admin(app: web.Application, admin_token: str) -> None:
    """Register `/admin/tokens/…`, the eMSP's `/admin/ocpi/…` commands and `/admin/emsp/cdrs`. With an empty
    `admin_token` nothing is added: the operator API's own catch-all answers 404 (disabled)."""
    if not admin_token:
        return
    guarded = bearer_guard(admin_token)

    routes: tuple[tuple[str, str, Handler], ...] = (
        ("POST", "/admin/tokens/import", import_tokens),
        ("GET", "/admin/tokens/distribution", get_distribution),
        ("POST", "/admin/tokens/distribution", post_distribution),
        ("POST", "/admin/tokens/{uid}/block", block_token),
        ("POST", "/admin/ocpi/start-session", start_session),
        ("POST", "/admin/ocpi/stop-session", stop_session),
        ("GET", "/admin/ocpi/command-results/{command_id}", get_command_result),
        ("GET", "/admin/emsp/cdrs", list_ratings),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))
