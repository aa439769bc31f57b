"""The operator API under `/admin/`: list stations and send them commands (reset, availability, trigger,
configuration, local list, data transfer, unlock, start, stop), show and credit our CDRs, JSON in and out,
behind a bearer token.

An adapter: imports aiohttp and the core only; the token, the core and the gateway are handed in by the
composition root.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from aiohttp import web

from hub.core.errors import (
    ConflictError,
    HubError,
    HubTimeoutError,
    InvalidRequestError,
    NotFoundError,
    RejectedError,
    UnavailableError,
)
from hub.core.models import Cdr, Command, Station, StationCommandReply
from hub.core.ports import StationGateway
from hub.core.services import Core

log = structlog.get_logger(__name__)

CoreGetter = Callable[[], Core | None]  # None until the composition root has started the core
Handler = Callable[[web.Request], Awaitable[web.Response]]
MAX_WAIT_S = 300.0

# One table from the core's errors to HTTP statuses (ARCHITECTURE.md, Data rules).
ERROR_STATUS: tuple[tuple[type[HubError], int], ...] = (
    (NotFoundError, 404),
    (InvalidRequestError, 400),
    (UnavailableError, 409),
    (ConflictError, 409),
    (RejectedError, 409),
    (HubTimeoutError, 504),
)


class AdminRequestError(Exception):
    """A request this adapter refuses before the core is asked (bad JSON, a missing or mistyped field)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def station_json(station: Station, connected: bool) -> dict[str, Any]:
    return {
        "id": station.id,
        "connected": connected,
        "boot_status": str(station.boot_status) if station.boot_status is not None else None,
        "vendor": station.vendor,
        "model": station.model,
        "protocol": station.protocol,
        "last_seen": station.last_seen.isoformat() if station.last_seen is not None else None,
    }


def reply_json(reply: StationCommandReply) -> dict[str, Any]:
    """`result`, `message`, `data`; Decimals and datetimes in `data` become strings (pydantic's JSON mode)."""
    dumped: dict[str, Any] = reply.model_dump(mode="json")
    return dumped


def cdr_json(cdr: Cdr) -> dict[str, Any]:
    """The core CDR with its cost breakdown; money and quantities as decimal strings."""
    dumped: dict[str, Any] = cdr.model_dump(mode="json")
    return dumped


def command_json(command: Command) -> dict[str, Any]:
    dumped: dict[str, Any] = command.model_dump(mode="json")
    return dumped


async def read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise AdminRequestError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AdminRequestError(400, "the body must be a JSON object")
    return body


def field(
    body: Mapping[str, Any], name: str, kind: type, *, required: bool = True, default: Any = None
) -> Any:
    """`body[name]` checked against `kind` (bool is not an int here); None is allowed when not required."""
    value = body.get(name)
    if value is None:
        if required:
            raise AdminRequestError(400, f"field '{name}' is required")
        return default
    if kind is int and isinstance(value, bool):
        raise AdminRequestError(400, f"field '{name}' must be an integer")
    if not isinstance(value, kind):
        raise AdminRequestError(400, f"field '{name}' must be {kind.__name__}")
    return value


def local_list_entries(value: Any) -> list[tuple[str, bool]]:
    if not isinstance(value, list):
        raise AdminRequestError(400, "field 'entries' must be a list of [uid, accepted] pairs")
    entries: list[tuple[str, bool]] = []
    for item in value:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], bool)
        ):
            raise AdminRequestError(400, "field 'entries' must be a list of [uid, accepted] pairs")
        entries.append((item[0], item[1]))
    return entries


def wait_seconds(request: web.Request) -> float | None:
    raw = request.query.get("wait")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        raise AdminRequestError(400, "query 'wait' must be a number of seconds") from None
    if not 0 < seconds <= MAX_WAIT_S:
        raise AdminRequestError(400, f"query 'wait' must be > 0 and <= {MAX_WAIT_S:g}")
    return seconds


def setup_admin_routes(app: web.Application, token: str, core: CoreGetter, gateway: StationGateway) -> None:
    """Register `/admin/…`. With an empty `token` the API is disabled: every `/admin/` path answers 404."""
    if not token:

        async def disabled(_request: web.Request) -> web.Response:
            return error_response(404, "the operator API is disabled (set [admin] token)")

        app.router.add_route("*", "/admin/{tail:.*}", disabled)
        return
    expected = token.encode()

    def authorized(request: web.Request) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # Compared in constant time; an empty or missing value still takes the comparison.
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)

    def guarded(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.Response:
            if not authorized(request):
                log.warning("admin_unauthorized", path=request.path, remote=request.remote)
                return error_response(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
            try:
                return await handler(request)
            except AdminRequestError as exc:
                return error_response(exc.status, str(exc))
            except HubError as exc:
                for kind, status in ERROR_STATUS:
                    if isinstance(exc, kind):
                        return error_response(status, str(exc) or type(exc).__name__)
                raise

        return run

    def the_core() -> Core:
        started = core()
        if started is None:
            raise AdminRequestError(503, "the hub is starting")
        return started

    async def known_station(request: web.Request) -> Station:
        station_id = request.match_info["station_id"]
        station = await the_core().chargepoints.get_station(station_id)
        if station is None:
            raise NotFoundError(f"unknown station {station_id}")
        return station

    async def gateway_call(
        request: web.Request, call: Callable[[str], Awaitable[StationCommandReply]], action: str
    ) -> web.Response:
        station = await known_station(request)
        log.info("admin_command", action=action, station_id=station.id)
        reply = await call(station.id)
        return web.json_response(reply_json(reply))

    async def command_answer(command: Command, seconds: float | None) -> web.Response:
        log.info(
            "admin_command", action=str(command.type), station_id=command.station_id, command_id=command.id
        )
        if seconds is not None and command.result is None:
            command = await the_core().commands.wait_result(command.id, seconds)
        return web.json_response(command_json(command), status=200 if command.result is not None else 202)

    async def list_stations(_request: web.Request) -> web.Response:
        stations = await the_core().chargepoints.list_stations()
        return web.json_response(
            {"stations": [station_json(s, gateway.is_connected(s.id)) for s in stations]}
        )

    async def reset(request: web.Request) -> web.Response:
        body = await read_body(request)
        hard = field(body, "hard", bool, required=False, default=False)
        return await gateway_call(request, lambda sid: gateway.reset(sid, hard), "reset")

    async def change_availability(request: web.Request) -> web.Response:
        body = await read_body(request)
        evse = field(body, "evse", int)
        operative = field(body, "operative", bool)
        return await gateway_call(
            request, lambda sid: gateway.change_availability(sid, evse, operative), "change_availability"
        )

    async def trigger_message(request: web.Request) -> web.Response:
        body = await read_body(request)
        message = field(body, "message", str)
        evse = field(body, "evse", int, required=False)
        return await gateway_call(
            request, lambda sid: gateway.trigger_message(sid, message, evse), "trigger_message"
        )

    async def get_configuration(request: web.Request) -> web.Response:
        keys = request.query.getall("key", [])
        return await gateway_call(
            request, lambda sid: gateway.get_configuration(sid, keys), "get_configuration"
        )

    async def change_configuration(request: web.Request) -> web.Response:
        body = await read_body(request)
        key = field(body, "key", str)
        value = field(body, "value", str)
        return await gateway_call(
            request, lambda sid: gateway.change_configuration(sid, key, value), "change_configuration"
        )

    async def send_local_list(request: web.Request) -> web.Response:
        body = await read_body(request)
        version = field(body, "version", int)
        entries = local_list_entries(body.get("entries", []))
        full = field(body, "full", bool, required=False, default=True)
        return await gateway_call(
            request, lambda sid: gateway.send_local_list(sid, version, entries, full), "send_local_list"
        )

    async def data_transfer(request: web.Request) -> web.Response:
        body = await read_body(request)
        vendor_id = field(body, "vendor_id", str)
        message_id = field(body, "message_id", str, required=False)
        data = field(body, "data", str, required=False)
        return await gateway_call(
            request, lambda sid: gateway.data_transfer(sid, vendor_id, message_id, data), "data_transfer"
        )

    async def unlock(request: web.Request) -> web.Response:
        body = await read_body(request)
        seconds = wait_seconds(request)  # checked before anything is sent
        evse_uid = field(body, "evse_uid", str)
        connector_id = field(body, "connector_id", str)
        await known_station(request)
        command = await the_core().commands.unlock_connector(evse_uid=evse_uid, connector_id=connector_id)
        return await command_answer(command, seconds)

    async def start(request: web.Request) -> web.Response:
        body = await read_body(request)
        seconds = wait_seconds(request)  # checked before anything is sent
        token_uid = field(body, "token_uid", str)
        evse_uid = field(body, "evse_uid", str, required=False)
        station = await known_station(request)
        token = await the_core().tokens.get(token_uid)
        if token is None:
            raise NotFoundError("unknown token")
        command = await the_core().commands.start_session(
            station_id=station.id, evse_uid=evse_uid, token=token
        )
        return await command_answer(command, seconds)

    async def stop(request: web.Request) -> web.Response:
        body = await read_body(request)
        seconds = wait_seconds(request)  # checked before anything is sent
        session_id = field(body, "session_id", str)
        await known_station(request)
        command = await the_core().commands.stop_session(session_id=session_id)
        return await command_answer(command, seconds)

    async def show_cdr(request: web.Request) -> web.Response:
        cdr_id = request.match_info["cdr_id"]
        cdr = await the_core().cdrs.get(cdr_id)
        if cdr is None:
            raise NotFoundError(f"unknown CDR {cdr_id}")
        return web.json_response({"cdr": cdr_json(cdr)})

    async def credit_cdr(request: web.Request) -> web.Response:
        """Body (all optional): `reason` (the credit CDR's remark), `reprice` (also issue a new CDR priced
        again), `tariff_id` (the tariff of that new CDR, of the CDR's CPO; default: the original's)."""
        body = await read_body(request)
        reason = field(body, "reason", str, required=False)
        reprice = field(body, "reprice", bool, required=False, default=False)
        tariff_id = field(body, "tariff_id", str, required=False)
        if tariff_id is not None and not reprice:
            raise AdminRequestError(400, "field 'tariff_id' needs 'reprice': true")
        core = the_core()
        cdr_id = request.match_info["cdr_id"]
        log.info("admin_cdr_credit", cdr_id=cdr_id, reprice=reprice, tariff_id=tariff_id)
        if not reprice:
            credit = await core.cdrs.credit(cdr_id, reason or None)
            return web.json_response({"credit": cdr_json(credit)}, status=201)
        tariff = None
        if tariff_id is not None:
            original = await core.cdrs.get(cdr_id)
            if original is None:
                raise NotFoundError(f"unknown CDR {cdr_id}")
            tariff = await core.tariffs.get(original.party, tariff_id)
            if tariff is None:
                raise NotFoundError(f"unknown tariff {tariff_id} of {original.party}")
        credit, replacement = await core.cdrs.correct(cdr_id, tariff, reason or None)
        return web.json_response({"credit": cdr_json(credit), "cdr": cdr_json(replacement)}, status=201)

    station = "/admin/stations/{station_id}"
    routes: tuple[tuple[str, str, Handler], ...] = (
        ("GET", "/admin/stations", list_stations),
        ("POST", f"{station}/reset", reset),
        ("POST", f"{station}/change-availability", change_availability),
        ("POST", f"{station}/trigger-message", trigger_message),
        ("GET", f"{station}/configuration", get_configuration),
        ("POST", f"{station}/configuration", change_configuration),
        ("POST", f"{station}/local-list", send_local_list),
        ("POST", f"{station}/data-transfer", data_transfer),
        ("POST", f"{station}/unlock", unlock),
        ("POST", f"{station}/start", start),
        ("POST", f"{station}/stop", stop),
        ("GET", "/admin/cdrs/{cdr_id}", show_cdr),
        ("POST", "/admin/cdrs/{cdr_id}/credit", credit_cdr),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))

    async def no_endpoint(request: web.Request) -> web.Response:
        raise AdminRequestError(404, f"no endpoint {request.method} {request.path}")

    # Last, so that every other `/admin/` answer (unknown path, wrong method) is a JSON error too.
    app.router.add_route("*", "/admin/{tail:.*}", guarded(no_endpoint))
