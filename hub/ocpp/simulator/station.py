"""One simulated OCPP 1.6 / 2.0.1 station on one websocket (`SimulatedStation`).

Imports the standard library, aiohttp and the simulator's own modules only.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import ssl as ssl_module
import time
import uuid
from collections.abc import Awaitable, Callable, MutableSequence, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aiohttp

from hub.ocpp.simulator.common import (
    _OCCUPIED_16,
    CALL,
    CALLERROR,
    CALLRESULT,
    DEFAULT_ID_TAG,
    ENERGY_REGISTER,
    OCPP16,
    OCPP201,
    PROTOCOLS,
    RFID_TOKEN_TYPE,
    AfterHook,
    Handler,
    SimTransaction,
    StationCallError,
    StationClosedError,
    _dumps,
    basic_auth,
    format_timestamp,
    utc_now,
)
from hub.ocpp.simulator.replies import default_after_hooks, default_handlers


class SimulatedStation:
    """One simulated charging station on one websocket.

    `url` is either the hub's OCPP base (`ws://host:port/ocpp`; the station id is appended) or the full
    station URL already ending in the station id. Basic auth uses the station id as username when
    `password` is set. Incoming hub CALLs are answered by `handlers` (action -> callable(payload) returning
    the response payload, sync or async; raise `StationCallError` to answer a CALLERROR), then `after`
    hooks run with (request, response) once the reply was sent (a real station starts a remotely started
    transaction only after it accepted). Every incoming CALL is recorded in `received` (`wait_for_call`).
    """

    def __init__(
        self,
        url: str,
        station_id: str,
        protocol: str = OCPP16,
        *,
        password: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
        connectors: int = 2,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], datetime] = utc_now,
        vendor: str = "SimVendor",
        model: str = "SimModel",
        serial_number: str | None = None,
        firmware_version: str = "sim-1.0",
        latencies: MutableSequence[float] | None = None,
        call_timeout_s: float = 10.0,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
        self.url = self._station_url(url, station_id)
        self.station_id = station_id
        self.protocol = protocol
        self.password = password
        self.ssl = ssl
        self.connectors = connectors
        self.clock = clock
        self.vendor = vendor
        self.model = model
        self.serial_number = serial_number or station_id[-25:]
        self.firmware_version = firmware_version
        self.latencies = latencies  # when a list, every CALL's round-trip time (seconds) is appended
        self.call_timeout_s = call_timeout_s

        self.received: list[tuple[str, dict[str, Any]]] = []
        self.transactions: dict[str, SimTransaction] = {}
        self.registers: dict[int, int] = dict.fromkeys(range(1, connectors + 1), 0)
        self.configuration: dict[str, str] = {
            "HeartbeatInterval": "300",
            "MeterValueSampleInterval": "60",
            "AuthorizeRemoteTxRequests": "false",
            "NumberOfConnectors": str(connectors),
        }
        self.variables: dict[tuple[str, str], str] = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): "300",
            ("SampledDataCtrlr", "TxUpdatedInterval"): "60",
            ("AuthCtrlr", "AuthorizeRemoteStart"): "false",
        }
        self.boot_response: dict[str, Any] | None = None
        self.errors: list[BaseException] = []  # exceptions of background work (after hooks)
        self.calls_sent = 0
        self.handlers: dict[str, Handler] = default_handlers(self)
        self.after: dict[str, AfterHook] = default_after_hooks(self)

        self._session = session
        self._own_session = False
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._call_lock = asyncio.Lock()
        self._raw: asyncio.Queue[str] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._waited: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._id_prefix = uuid.uuid4().hex[:8] + "-"
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ connection

    @staticmethod
    def _station_url(url: str, station_id: str) -> str:
        path = urlsplit(url).path.rstrip("/")
        if unquote(path.rsplit("/", 1)[-1]) == station_id:
            return url
        return url.rstrip("/") + "/" + quote(station_id, safe="")

    @property
    def negotiated_protocol(self) -> str | None:
        return self._ws.protocol if self._ws is not None else None

    @property
    def is_v201(self) -> bool:
        return (self.negotiated_protocol or self.protocol) == OCPP201

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code if self._ws is not None else None

    async def connect(self, protocols: Sequence[str] | None = None) -> SimulatedStation:
        """Open the websocket offering `protocols` (default: this station's protocol).

        Raises `aiohttp.WSServerHandshakeError` when the hub refuses the upgrade (401, 404)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        headers = (
            {"Authorization": basic_auth(self.station_id, self.password)} if self.password is not None else {}
        )
        try:
            self._ws = await self._session.ws_connect(
                self.url,
                protocols=tuple(protocols) if protocols is not None else (self.protocol,),
                headers=headers,
                ssl=self.ssl if self.ssl is not None else True,
                compress=0,
                autoclose=True,
                autoping=True,
            )
        except BaseException:
            await self._close_own_session()
            raise
        self._reader = asyncio.create_task(self._read_loop(self._ws), name=f"sim-reader-{self.station_id}")
        return self

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._close_own_session()

    async def _close_own_session(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._own_session = False

    async def wait_closed(self, timeout: float = 5.0) -> int | None:  # noqa: ASYNC109 -- agreed API
        """Wait until the hub closes the socket; returns the close code."""
        if self._reader is not None:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._reader)
        return self.close_code

    async def __aenter__(self) -> SimulatedStation:
        if self._ws is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ framing

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._on_text(message.data)
                elif message.type is aiohttp.WSMsgType.BINARY:
                    self._raw.put_nowait(message.data.decode("utf-8", "replace"))
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            closed = StationClosedError(f"{self.station_id}: websocket closed (code {ws.close_code})")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(closed)
            self._pending.clear()
            self._notify()

    def _on_text(self, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self._raw.put_nowait(text)
            return
        if not isinstance(frame, list) or len(frame) < 3:
            self._raw.put_nowait(text)
            return
        kind, message_id = frame[0], frame[1]
        if kind in (CALLRESULT, CALLERROR):
            future = self._pending.pop(message_id, None) if isinstance(message_id, str) else None
            if future is None or future.done():
                self._raw.put_nowait(text)
            elif kind == CALLRESULT:
                payload = frame[2]
                future.set_result(payload if isinstance(payload, dict) else {"_": payload})
            else:
                details = frame[4] if len(frame) > 4 and isinstance(frame[4], dict) else {}
                future.set_exception(
                    StationCallError(str(frame[2]), str(frame[3]) if len(frame) > 3 else "", details)
                )
        elif kind == CALL and len(frame) >= 4 and isinstance(frame[2], str):
            payload = frame[3] if isinstance(frame[3], dict) else {}
            self.received.append((frame[2], payload))
            self._notify()
            self._spawn(self._answer(str(message_id), frame[2], payload), f"answer-{frame[2]}")
        else:
            self._raw.put_nowait(text)

    async def _answer(self, message_id: str, action: str, payload: dict[str, Any]) -> None:
        handler = self.handlers.get(action)
        if handler is None:
            await self._send_frame([CALLERROR, message_id, "NotImplemented", f"{action} not implemented", {}])
            return
        try:
            result = handler(payload)
            response = await result if inspect.isawaitable(result) else result
        except StationCallError as error:
            await self._send_frame([CALLERROR, message_id, error.code, error.description, error.details])
            return
        except Exception as error:
            self.errors.append(error)
            await self._send_frame([CALLERROR, message_id, "InternalError", type(error).__name__, {}])
            return
        await self._send_frame([CALLRESULT, message_id, response])
        hook = self.after.get(action)
        if hook is not None:
            outcome = hook(payload, response)
            if inspect.isawaitable(outcome):
                await outcome

    async def _send_frame(self, frame: list[Any]) -> None:
        if self._ws is None or self._ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await self._ws.send_str(_dumps(frame))

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(f"sim-{self.station_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.errors.append(task.exception())  # type: ignore[arg-type]
            self._notify()

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_until(self, probe: Callable[[], Any], timeout: float) -> Any:  # noqa: ASYNC109 -- agreed API
        async with asyncio.timeout(timeout):
            while True:
                event = self._changed
                found = probe()
                if found is not None:
                    return found
                await event.wait()

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        timeout: float | None = None,  # noqa: ASYNC109 -- agreed API
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload; one outstanding CALL at a time (OCPP-J §4.1.1).

        Raises `StationCallError` on a CALLERROR, `StationClosedError` when the socket is closed and
        `TimeoutError` when no answer comes within `timeout` (default `call_timeout_s`)."""
        async with self._call_lock:
            ws = self._ws
            if ws is None or ws.closed:
                raise StationClosedError(f"{self.station_id}: not connected")
            message_id = f"{self._id_prefix}{next(self._ids)}"
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._pending[message_id] = future
            started = time.perf_counter()
            try:
                await ws.send_str(_dumps([CALL, message_id, action, payload]))
                async with asyncio.timeout(self.call_timeout_s if timeout is None else timeout):
                    result = await future
            finally:
                self._pending.pop(message_id, None)
            self.calls_sent += 1
            if self.latencies is not None:
                self.latencies.append(time.perf_counter() - started)
            return result

    async def send_raw(self, text: str) -> None:
        """Send one text frame as is (malformed frames, replays, wrong ids)."""
        if self._ws is None or self._ws.closed:
            raise StationClosedError(f"{self.station_id}: not connected")
        await self._ws.send_str(text)

    async def recv_raw(self, timeout: float = 5.0) -> str:  # noqa: ASYNC109 -- agreed API
        """The next frame the call machinery did not consume (unknown ids, garbage, binary frames)."""
        async with asyncio.timeout(timeout):
            return await self._raw.get()

    async def wait_for_call(self, action: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109 -- agreed API
        """The payload of the earliest incoming CALL of `action` not returned by an earlier wait."""

        def probe() -> dict[str, Any] | None:
            for index, (name, payload) in enumerate(self.received):
                if name == action and index not in self._waited:
                    self._waited.add(index)
                    return payload
            return None

        result: dict[str, Any] = await self._wait_until(probe, timeout)
        return result

    async def wait_for_transaction(
        self,
        evse: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 -- agreed API
        *,
        remote_start_id: int | None = None,
    ) -> SimTransaction:
        """An active transaction (e.g. one started by a RemoteStart/RequestStart) on `evse` (None: any)."""

        def probe() -> SimTransaction | None:
            self._raise_background_error()
            for tx in self.transactions.values():
                if tx.ended or (evse is not None and tx.evse != evse):
                    continue
                if remote_start_id is not None and tx.remote_start_id != remote_start_id:
                    continue
                return tx
            return None

        result: SimTransaction = await self._wait_until(probe, timeout)
        return result

    async def wait_for_transaction_end(self, tx_id: str, timeout: float = 5.0) -> SimTransaction:  # noqa: ASYNC109 -- agreed API
        """Wait until transaction `tx_id` was stopped (e.g. after a RemoteStop/RequestStop)."""

        def probe() -> SimTransaction | None:
            self._raise_background_error()
            tx = self.transactions.get(tx_id)
            return tx if tx is not None and tx.ended else None

        result: SimTransaction = await self._wait_until(probe, timeout)
        return result

    def _raise_background_error(self) -> None:
        if self.errors:
            raise self.errors[0]

    # ------------------------------------------------------------------ station → hub messages

    def _ts(self, timestamp: datetime | None) -> str:
        return format_timestamp(timestamp if timestamp is not None else self.clock())

    async def boot(self, reason: str = "PowerUp") -> dict[str, Any]:
        if self.is_v201:
            station: dict[str, Any] = {
                "vendorName": self.vendor,
                "model": self.model,
                "serialNumber": self.serial_number,
                "firmwareVersion": self.firmware_version,
            }
            payload: dict[str, Any] = {"chargingStation": station, "reason": reason}
        else:
            payload = {
                "chargePointVendor": self.vendor,
                "chargePointModel": self.model,
                "chargePointSerialNumber": self.serial_number,
                "firmwareVersion": self.firmware_version,
            }
        self.boot_response = await self.call("BootNotification", payload)
        return self.boot_response

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def status(
        self,
        evse: int,
        state: str,
        error_code: str = "NoError",
        *,
        connector: int = 1,
        timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        """StatusNotification. `state` in either version's words: 1.6 Preparing/Charging/… become 2.0.1
        Occupied and 2.0.1 Occupied becomes 1.6 Charging."""
        if self.is_v201:
            v201_state = "Occupied" if state in _OCCUPIED_16 else state
            payload: dict[str, Any] = {
                "timestamp": self._ts(timestamp),
                "connectorStatus": v201_state,
                "evseId": evse,
                "connectorId": connector if evse else 0,
            }
        else:
            payload = {
                "connectorId": evse,
                "errorCode": error_code,
                "status": "Charging" if state == "Occupied" else state,
                "timestamp": self._ts(timestamp),
            }
        return await self.call("StatusNotification", payload)

    def _id_token(self, id_tag: str, token_type: str) -> dict[str, Any]:
        return {"idToken": id_tag, "type": token_type}

    async def authorize(self, id_tag: str, *, token_type: str = RFID_TOKEN_TYPE) -> dict[str, Any]:
        """Authorize; the answer's status is `response["idTagInfo"]["status"]` (1.6) or
        `response["idTokenInfo"]["status"]` (2.0.1) — see `authorization_status`."""
        if self.is_v201:
            return await self.call("Authorize", {"idToken": self._id_token(id_tag, token_type)})
        return await self.call("Authorize", {"idTag": id_tag})

    @staticmethod
    def authorization_status(response: dict[str, Any]) -> str | None:
        info = response.get("idTagInfo") or response.get("idTokenInfo") or {}
        status = info.get("status")
        return status if isinstance(status, str) else None

    def _sampled_value(self, register_wh: int | float, context: str) -> dict[str, Any]:
        if self.is_v201:
            return {
                "value": register_wh,
                "context": context,
                "measurand": ENERGY_REGISTER,
                "unitOfMeasure": {"unit": "Wh"},
            }
        return {"value": str(register_wh), "context": context, "measurand": ENERGY_REGISTER, "unit": "Wh"}

    async def start(
        self,
        evse: int,
        id_tag: str,
        meter_start_wh: int | None = None,
        timestamp: datetime | None = None,
        remote_start_id: int | None = None,
        *,
        reservation_id: int | None = None,
        token_type: str = RFID_TOKEN_TYPE,
    ) -> str:
        """Start a transaction (1.6 StartTransaction / 2.0.1 TransactionEvent Started); returns its id.

        `meter_start_wh` defaults to the EVSE's current register (0 for a fresh station)."""
        meter_start = self.registers.get(evse, 0) if meter_start_wh is None else int(meter_start_wh)
        moment = timestamp if timestamp is not None else self.clock()
        ts = format_timestamp(moment)
        if self.is_v201:
            tx_id = str(uuid.uuid4())
            info: dict[str, Any] = {"transactionId": tx_id, "chargingState": "Charging"}
            if remote_start_id is not None:
                info["remoteStartId"] = remote_start_id
            payload: dict[str, Any] = {
                "eventType": "Started",
                "timestamp": ts,
                "triggerReason": "RemoteStart" if remote_start_id is not None else "Authorized",
                "seqNo": 0,
                "transactionInfo": info,
                "idToken": self._id_token(id_tag, token_type),
                "evse": {"id": evse, "connectorId": 1},  # only in the first event (E01.FR.16)
                "meterValue": [
                    {"timestamp": ts, "sampledValue": [self._sampled_value(meter_start, "Transaction.Begin")]}
                ],
            }
            if reservation_id is not None:
                payload["reservationId"] = reservation_id
            response = await self.call("TransactionEvent", payload)
        else:
            payload = {"connectorId": evse, "idTag": id_tag, "meterStart": meter_start, "timestamp": ts}
            if reservation_id is not None:
                payload["reservationId"] = reservation_id
            response = await self.call("StartTransaction", payload)
            tx_id = str(response["transactionId"])
        self.registers[evse] = meter_start
        self.transactions[tx_id] = SimTransaction(
            id=tx_id,
            evse=evse,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            register_wh=meter_start,
            started_at=moment,
            seq_no=1,
            remote_start_id=remote_start_id,
            start_response=response,
        )
        self._notify()
        return tx_id

    def _transaction(self, tx_id: str) -> SimTransaction:
        tx = self.transactions.get(str(tx_id))
        if tx is None:
            raise KeyError(f"{self.station_id}: no transaction {tx_id!r}")
        return tx

    async def meter(
        self, evse: int, tx_id: str | None, register_wh: int | float, timestamp: datetime | None = None
    ) -> dict[str, Any]:
        """One energy register reading: 1.6 MeterValues (string value), 2.0.1 TransactionEvent Updated
        (numeric value; MeterValues when there is no transaction)."""
        ts = self._ts(timestamp)
        sampled = [{"timestamp": ts, "sampledValue": [self._sampled_value(register_wh, "Sample.Periodic")]}]
        tx = self._transaction(tx_id) if tx_id is not None else None
        self.registers[evse] = int(register_wh)
        if tx is not None:
            tx.register_wh = int(register_wh)
        if self.is_v201:
            if tx is None:
                return await self.call("MeterValues", {"evseId": evse, "meterValue": sampled})
            payload: dict[str, Any] = {
                "eventType": "Updated",
                "timestamp": ts,
                "triggerReason": "MeterValuePeriodic",
                "seqNo": tx.seq_no,
                "transactionInfo": {"transactionId": tx.id, "chargingState": "Charging"},
                "meterValue": sampled,
            }
            tx.seq_no += 1
            return await self.call("TransactionEvent", payload)
        payload = {"connectorId": evse, "meterValue": sampled}
        if tx is not None:
            payload["transactionId"] = int(tx.id)
        return await self.call("MeterValues", payload)

    async def stop(
        self,
        tx_id: str,
        meter_stop_wh: int | None = None,
        timestamp: datetime | None = None,
        reason: str | None = None,
        id_tag: str | None = None,
    ) -> dict[str, Any]:
        """Stop a transaction (1.6 StopTransaction / 2.0.1 TransactionEvent Ended).

        `meter_stop_wh` defaults to the last register reading of the transaction."""
        tx = self._transaction(tx_id)
        meter_stop = tx.register_wh if meter_stop_wh is None else int(meter_stop_wh)
        ts = self._ts(timestamp)
        if self.is_v201:
            stopped_reason = reason or "Local"
            trigger = {"Remote": "RemoteStop", "EVDisconnected": "EVCommunicationLost"}.get(
                stopped_reason, "StopAuthorized"
            )
            payload: dict[str, Any] = {
                "eventType": "Ended",
                "timestamp": ts,
                "triggerReason": trigger,
                "seqNo": tx.seq_no,
                "transactionInfo": {
                    "transactionId": tx.id,
                    "chargingState": "EVConnected",
                    "stoppedReason": stopped_reason,
                },
                "meterValue": [
                    {"timestamp": ts, "sampledValue": [self._sampled_value(meter_stop, "Transaction.End")]}
                ],
            }
            if id_tag is not None:
                payload["idToken"] = self._id_token(id_tag, RFID_TOKEN_TYPE)
            tx.seq_no += 1
            response = await self.call("TransactionEvent", payload)
        else:
            payload = {"transactionId": int(tx.id), "meterStop": meter_stop, "timestamp": ts}
            if reason is not None:
                payload["reason"] = reason
            if id_tag is not None:
                payload["idTag"] = id_tag
            response = await self.call("StopTransaction", payload)
        tx.register_wh = meter_stop
        tx.ended = True
        tx.stop_response = response
        self.registers[tx.evse] = meter_stop
        self._notify()
        return response

    async def charge(
        self,
        id_tag: str = DEFAULT_ID_TAG,
        evse: int = 1,
        energy_wh: int = 7_400,
        samples: int = 3,
        *,
        started_at: datetime | None = None,
        duration: timedelta = timedelta(0),
        meter_interval_s: float = 0.0,
        stop_event: asyncio.Event | None = None,
    ) -> str:
        """A whole charging session on `evse`: Authorize, Status Preparing, Start, `samples` meter values
        spreading `energy_wh`, Stop, Status Available (5 + samples CALLs). Returns the transaction id.

        Timestamps run from `started_at` (default: now) over `duration`; `meter_interval_s` waits between
        samples in real time (demo mode; `stop_event` cuts the waits short and the session still ends)."""
        begin = started_at if started_at is not None else self.clock()
        step = duration / (samples + 1) if samples >= 0 else duration
        await self.authorize(id_tag)
        await self.status(evse, "Preparing", timestamp=begin)
        meter_start = self.registers.get(evse, 0)
        tx_id = await self.start(evse, id_tag, meter_start, begin)
        for index in range(1, samples + 1):
            if meter_interval_s > 0:
                await pause_unless_stopped(meter_interval_s, stop_event)
            register = meter_start + energy_wh * index // (samples + 1)
            await self.meter(evse, tx_id, register, begin + step * index if duration else None)
        if meter_interval_s > 0:
            await pause_unless_stopped(meter_interval_s, stop_event)
        end = begin + duration if duration else None
        await self.stop(tx_id, meter_start + energy_wh, end, id_tag=id_tag)
        await self.status(evse, "Available", timestamp=end)
        return tx_id

    # ------------------------------------------------------------------ hub → station CALLs

    def _free_evse(self) -> int:
        busy = {tx.evse for tx in self.transactions.values() if not tx.ended}
        for evse in range(1, self.connectors + 1):
            if evse not in busy:
                return evse
        return 1

    def _active(self, tx_id: str) -> SimTransaction | None:
        tx = self.transactions.get(tx_id)
        return tx if tx is not None and not tx.ended else None


async def pause_unless_stopped(seconds: float, stop_event: asyncio.Event | None) -> None:
    """Wait `seconds` of simulated charging, or less when `stop_event` is set (demo shutdown)."""
    if stop_event is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop_event.wait()
