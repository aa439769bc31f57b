"""OCPP-J RPC over one aiohttp websocket: framing, schema validation, in-order CALL handling, the hub's own
CALLs with one deadline, CallError mapping, metrics and log lines. Shared by every OCPP version.

Imports the standard library, aiohttp, orjson, structlog, hub.core and the shared hub.ocpp modules only.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from hub.core.errors import (
    HubError,
    HubTimeoutError,
    UnavailableError,
)
from hub.core.metrics import METRICS
from hub.ocpp import schemas
from hub.ocpp.errors import (
    CallErrorReceived,
    InternalCallError,
    NotImplementedCallError,
    NotSupportedCallError,
    OcppCallError,
    SecurityCallError,
)
from hub.ocpp.protocol import (
    HandlerContext,
    RpcOptions,
    VersionSpec,
    call_error_for,
    dumps,
    loads,
)

if TYPE_CHECKING:
    from hub.core.chargepoint import ChargePointApi

CALL: Final = 2
CALLRESULT: Final = 3
CALLERROR: Final = 4

MESSAGES = METRICS.counter("ocpp_messages_total", "OCPP frames by action, direction (in/out) and result")
HANDLER_SECONDS = METRICS.histogram("ocpp_handler_seconds", "Time to answer one incoming OCPP CALL")
CONNECTED = METRICS.gauge("ocpp_connected_stations", "Open OCPP websocket connections")

_log = structlog.get_logger("hub.ocpp")


class _Incoming:
    __slots__ = ("action", "error", "message_id", "payload")

    def __init__(
        self, message_id: str, action: str, payload: Any, error: OcppCallError | None = None
    ) -> None:
        self.message_id = message_id
        self.action = action
        self.payload = payload
        self.error = error


class Flag:
    """A one-way asyncio.Event for per-connection signals: no waiter list until someone waits (memory: an
    idle station costs one small object instead of an Event and its deque)."""

    __slots__ = ("_is_set", "_waiters")

    def __init__(self) -> None:
        self._is_set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._is_set

    def set(self) -> None:
        self._is_set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        if self._is_set:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


@dataclass
class _Pending:
    message_id: str
    action: str
    future: asyncio.Future[Any] = field(repr=False)


class Connection:
    """One open websocket to one station. `run()` reads frames until the socket closes: replies to the hub's
    CALLs resolve at once in the read loop; incoming CALLs are answered one at a time, in order, by a worker.

    Tens of thousands of these are mostly idle, so a connection holds little while idle (slots; the worker
    task, its queue, the bound logger, `state` and the task set exist only while needed).
    """

    __slots__ = (
        "_after",
        "_call_lock",
        "_closed",
        "_closing",
        "_log",
        "_pending",
        "_queue",
        "_room",
        "_state",
        "_tasks",
        "_worker_task",
        "announced",
        "api",
        "options",
        "protocol",
        "spec",
        "station_id",
        "ws",
    )

    def __init__(
        self,
        ws: web.WebSocketResponse,
        station_id: str,
        spec: VersionSpec,
        api: ChargePointApi,
        options: RpcOptions | None = None,
    ) -> None:
        self.ws = ws
        self.station_id = station_id
        self.spec = spec
        self.protocol = spec.protocol
        self.api = api
        self.options = options or RpcOptions()
        self._state: dict[str, Any] | None = None
        self._log: Any = None
        # Incoming CALLs waiting for the worker; the worker task runs only while there are some.
        self._queue: deque[_Incoming] = deque()
        self._worker_task: asyncio.Task[None] | None = None
        self._room: asyncio.Future[None] | None = None  # the read loop waits here while the queue is full
        self._call_lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._closing = False
        self._closed = Flag()
        self.announced = Flag()  # set once the core was told this socket is open (server.py)
        self._tasks: set[asyncio.Task[Any]] | None = None
        self._after: list[tuple[Coroutine[Any, Any, Any], str]] | None = None  # set while a handler runs

    @property
    def state(self) -> dict[str, Any]:
        """Per-connection data of the version's handlers (created on first use)."""
        if self._state is None:
            self._state = {}
        return self._state

    @property
    def log(self) -> Any:
        """The connection's logger, bound to station and protocol (created on first use)."""
        if self._log is None:
            self._log = _log.bind(station_id=self.station_id, protocol=self.protocol)
        return self._log

    # --- state ------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the socket is closing or closed: no more CALLs can be sent."""
        return self._closing or self.ws.closed

    async def wait_closed(self) -> None:
        await self._closed.wait()

    # --- the hub's own CALLs -----------------------------------------------------------------------

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the adapter's contract
    ) -> dict[str, Any]:
        """Send a CALL and return the station's validated answer. One outstanding CALL per connection; one
        deadline covers waiting for the lock and for the reply; a closing connection fails at once."""
        if self.closed:
            raise UnavailableError(f"station {self.station_id} is not connected")
        budget = self.options.call_timeout_s if timeout is None else timeout
        loop = asyncio.get_running_loop()
        labels = {"action": action, "direction": "out", "result": "ok"}
        try:
            async with asyncio.timeout_at(loop.time() + budget):
                async with self._call_lock:
                    if self.closed:
                        raise UnavailableError(f"station {self.station_id} is not connected")
                    outbound = schemas.check(self.spec.schema_dir, action, "Request", payload)
                    if outbound is not None:
                        # Our own payload is wrong: a programming error, never sent.
                        raise ValueError(f"invalid {action} request: {outbound.description}")
                    message_id = str(uuid.uuid4())
                    pending = _Pending(message_id, action, loop.create_future())
                    self._pending = pending
                    try:
                        await self.ws.send_str(dumps([CALL, message_id, action, payload]))
                        reply = await pending.future
                    finally:
                        self._pending = None
        except TimeoutError:
            labels["result"] = "timeout"
            MESSAGES.inc(labels)
            self.log.warning("ocpp.call_timeout", action=action, timeout_s=budget)
            raise HubTimeoutError(
                f"station {self.station_id} did not answer {action} within {budget}s"
            ) from None
        except CallErrorReceived as exc:
            labels["result"] = exc.code
            MESSAGES.inc(labels)
            self.log.info(
                "ocpp.call_error_received", action=action, code=exc.code, description=exc.description
            )
            raise
        except (UnavailableError, ConnectionError) as exc:
            labels["result"] = "unavailable"
            MESSAGES.inc(labels)
            if isinstance(exc, UnavailableError):
                raise
            raise UnavailableError(f"station {self.station_id} is not connected") from exc
        violation = schemas.check(self.spec.schema_dir, action, "Response", reply)
        if violation is not None:
            labels["result"] = "invalid"
            MESSAGES.inc(labels)
            self.log.warning(
                "ocpp.invalid_response", action=action, code=violation.code, error=violation.description
            )
            if self.options.strict:
                raise violation
        else:
            MESSAGES.inc(labels)
        return reply  # type: ignore[no-any-return]

    # --- background work -------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run `coro` after the current reply was sent (or now, outside a handler); the task is held and its
        exception logged. Use it for work that CALLs the station, which a handler must never await."""
        if self._after is not None:
            self._after.append((coro, name))
        else:
            self._start(coro, name)

    def _start(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"ocpp:{self.station_id}:{name}")
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if self._tasks is not None:
            self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, UnavailableError | HubTimeoutError | OcppCallError):
            self.log.error("ocpp.background_failed", task=task.get_name(), exc_info=exc)
        elif exc is not None:
            self.log.info("ocpp.background_ended", task=task.get_name(), error=repr(exc))

    async def cancel_background(self) -> None:
        tasks = list(self._tasks or ())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- the read loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Read frames until the socket closes; then fail the outstanding CALL and let the worker finish."""
        try:
            async for msg in self.ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    self.log.info("ocpp.binary_frame_ignored", size=len(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    self._log_ws_error(msg.data)
        finally:
            self._mark_closed()
            worker = self._worker_task
            try:
                if worker is not None:
                    if len(self._queue) >= self.options.max_queued_calls:
                        worker.cancel()  # a full backlog is not worked off for a station that left
                    await worker
            finally:
                self._closed.set()

    def _log_ws_error(self, error: Any) -> None:
        code = getattr(error, "code", None)
        if code == WSCloseCode.MESSAGE_TOO_BIG:
            self.log.warning("ocpp.frame_too_large", close_code=int(code))
        else:
            self.log.warning("ocpp.websocket_error", error=repr(error), close_code=code)

    def _mark_closed(self) -> None:
        self._closing = True
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(UnavailableError(f"station {self.station_id} disconnected"))

    async def close(self, code: int = WSCloseCode.OK, message: bytes = b"") -> None:
        """Close the socket (the read loop then ends); CALLs still outstanding fail with UnavailableError."""
        self._mark_closed()
        await self.ws.close(code=code, message=message)

    async def _on_text(self, text: str) -> None:
        try:
            frame = loads(text)
        except ValueError:
            self.log.info("ocpp.invalid_json", size=len(text))
            await self._enqueue(_Incoming("-1", "", None, self._frame_error(self.spec.invalid_json_code)))
            return
        if type(frame) is not list or len(frame) < 3:
            self.log.info("ocpp.invalid_frame", reason="not an RPC array")
            await self._enqueue(_Incoming("-1", "", None, self._frame_error(self.spec.invalid_frame_code)))
            return
        kind, message_id = frame[0], frame[1]
        if type(message_id) is not str or not message_id:
            self.log.info("ocpp.invalid_frame", reason="no message id", message_type=repr(kind)[:10])
            if kind == CALL:
                await self._enqueue(
                    _Incoming("-1", "", None, self._frame_error(self.spec.invalid_frame_code))
                )
            return
        if kind == CALL:
            action, payload = frame[2], frame[3] if len(frame) > 3 else None
            if len(frame) != 4 or type(action) is not str or type(payload) is not dict:
                self.log.info("ocpp.invalid_frame", reason="malformed CALL", message_id=message_id)
                err = self._frame_error(self.spec.invalid_frame_code)
                await self._enqueue(_Incoming(message_id, action if type(action) is str else "", None, err))
                return
            await self._enqueue(_Incoming(message_id, action, payload))
        elif kind == CALLRESULT:
            self._on_reply(message_id, frame[2] if len(frame) == 3 and type(frame[2]) is dict else None, None)
        elif kind == CALLERROR:
            code = frame[2] if type(frame[2]) is str else "GenericError"
            description = frame[3] if len(frame) > 3 and type(frame[3]) is str else ""
            details = frame[4] if len(frame) > 4 and type(frame[4]) is dict else {}
            self._on_reply(message_id, None, CallErrorReceived(code, description, details))
        else:
            self.log.info("ocpp.unknown_message_type", message_type=repr(kind)[:10], message_id=message_id)
            if self.spec.unknown_message_type_code is not None:
                err = self._frame_error(self.spec.unknown_message_type_code)
                await self._enqueue(_Incoming(message_id, "", None, err))

    def _frame_error(self, code: str) -> OcppCallError:
        error = OcppCallError("Message is not a valid OCPP-J RPC frame")
        error.code = code
        return error

    async def _enqueue(self, item: _Incoming) -> None:
        queue = self._queue
        while len(queue) >= self.options.max_queued_calls:
            # Back-pressure: stop reading frames until the worker takes one.
            if self._room is None or self._room.done():
                self._room = asyncio.get_running_loop().create_future()
            await self._room
        queue.append(item)
        if self._worker_task is None:
            self._worker_task = asyncio.get_running_loop().create_task(
                self._worker(), name=f"ocpp:{self.station_id}:worker"
            )

    def _on_reply(
        self, message_id: str, payload: dict[str, Any] | None, error: CallErrorReceived | None
    ) -> None:
        pending = self._pending
        if pending is None or pending.message_id != message_id or pending.future.done():
            self.log.info(
                "ocpp.reply_dropped", message_id=message_id, reason="no outstanding CALL with this id"
            )
            MESSAGES.inc({"action": "", "direction": "in", "result": "dropped"})
            return
        if error is not None:
            pending.future.set_exception(error)
        elif payload is None:
            self.log.info("ocpp.invalid_frame", reason="malformed CALLRESULT", message_id=message_id)
            pending.future.set_exception(CallErrorReceived("FormatViolation", "malformed CALLRESULT frame"))
        else:
            pending.future.set_result(payload)

    # --- the worker: incoming CALLs, one at a time ---------------------------------------------------

    async def _worker(self) -> None:
        """Answer the queued CALLs in order, then end (the next CALL starts a new worker)."""
        queue = self._queue
        try:
            while queue:
                item = queue.popleft()
                room = self._room
                if room is not None and not room.done():
                    room.set_result(None)
                try:
                    await self._answer(item)
                except Exception:  # the worker must survive whatever a single message does
                    self.log.exception("ocpp.worker_error", message_id=item.message_id, action=item.action)
        finally:
            self._worker_task = None

    async def _answer(self, item: _Incoming) -> None:
        started = time.perf_counter()
        action = item.action
        after: list[tuple[Coroutine[Any, Any, Any], str]] = []
        if item.error is not None:
            error: OcppCallError | None = item.error
            response = None
        else:
            self._after = after
            try:
                response = await self._handle(item)
                error = None
            except OcppCallError as exc:
                response, error = None, exc
            finally:
                self._after = None
        if error is None:
            text = dumps([CALLRESULT, item.message_id, response])
            result = "ok"
        else:
            code = self.spec.wire_code(error.code)
            text = dumps([CALLERROR, item.message_id, code, error.description, error.details])
            result = code
            self.log.info(
                "ocpp.call_error_sent",
                action=action,
                message_id=item.message_id,
                code=code,
                error=error.description,
            )
        if not self.ws.closed:
            try:
                await self.ws.send_str(text)
            except ConnectionError:
                self.log.info("ocpp.reply_not_sent", action=action, message_id=item.message_id)
        label = action if action in self.spec.actions else "unknown"
        MESSAGES.inc({"action": label, "direction": "in", "result": result})
        HANDLER_SECONDS.observe(time.perf_counter() - started, {"action": label})
        for coro, name in after:
            self._start(coro, name)

    async def _handle(self, item: _Incoming) -> dict[str, Any]:
        spec, action = self.spec, item.action
        handler = spec.handlers.get(action)
        if handler is None:
            # OCPP-J: NotImplemented = action not known; NotSupported = known, not supported by the receiver.
            if action in spec.actions:
                raise NotSupportedCallError(f"{action} is not supported by this central system")
            raise NotImplementedCallError(f"{action} is not a known OCPP action")
        if action not in spec.boot_exempt and not self.api.is_accepted(self.station_id):
            if spec.reject_before_boot:
                raise SecurityCallError(f"{action} before an accepted BootNotification")
            self.log.debug("ocpp.message_before_boot", action=action, message_id=item.message_id)
        violation = schemas.check(spec.schema_dir, action, "Request", item.payload)
        if violation is not None:
            self.log.info(
                "ocpp.schema_violation",
                action=action,
                message_id=item.message_id,
                code=violation.code,
                error=violation.description,
                strict=self.options.strict,
            )
            if self.options.strict:
                raise violation
        context = HandlerContext(self.station_id, self.api, self, item.message_id)
        try:
            # Every log line the core writes while handling this message carries both ids.
            with structlog.contextvars.bound_contextvars(
                station_id=self.station_id, message_id=item.message_id
            ):
                response = await handler(context, item.payload)
        except OcppCallError:
            raise
        except HubError as exc:
            self.log.info("ocpp.core_error", action=action, message_id=item.message_id, error=repr(exc))
            raise call_error_for(exc) from exc
        except (KeyError, TypeError, ValueError) as exc:
            if violation is None:
                self.log.exception("ocpp.handler_failed", action=action, message_id=item.message_id)
                raise InternalCallError() from exc
            # Lenient validation let a payload through that the handler cannot use after all.
            raise violation from exc
        except Exception as exc:
            self.log.exception("ocpp.handler_failed", action=action, message_id=item.message_id)
            raise InternalCallError() from exc
        invalid = schemas.check(spec.schema_dir, action, "Response", response)
        if invalid is not None:
            self.log.error(
                "ocpp.invalid_own_response",
                action=action,
                message_id=item.message_id,
                error=invalid.description,
            )
            raise InternalCallError("the central system built an invalid response")
        return response
