"""The core's `StationGateway` for OCPP stations: one live connection per identity; each operation goes to the
connection's version (`VersionSpec.commands`), which maps it to that version's CALL and its answer.

Imports the standard library, aiohttp, structlog, hub.core and hub.ocpp.rpc only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from aiohttp import WSCloseCode

from hub.core.errors import UnavailableError
from hub.core.models import StationCommandReply
from hub.ocpp.rpc import CONNECTED, Connection

_log = structlog.get_logger("hub.ocpp.gateway")


class OcppGateway:
    """Implements `hub.core.ports.StationGateway`. Not connected -> UnavailableError; no answer in time ->
    HubTimeoutError; a CALLERROR from the station -> a FAILED reply (mapped by the version's commands)."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}
        self._closing_tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        CONNECTED.set_function(lambda: float(len(self._connections)))

    # --- connection registry (used by the server) ----------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def attach(self, conn: Connection) -> Connection | None:
        """Make `conn` the live connection of its station; the replaced one (if any) is closed in the
        background and returned."""
        old = self._connections.get(conn.station_id)
        self._connections[conn.station_id] = conn
        if old is not None and old is not conn:
            _log.info("ocpp.connection_replaced", station_id=conn.station_id)
            task = asyncio.get_running_loop().create_task(
                old.close(WSCloseCode.OK, b"replaced by a new connection"),
                name=f"ocpp:{conn.station_id}:close-replaced",
            )
            self._closing_tasks.add(task)
            task.add_done_callback(self._closing_tasks.discard)
        return old

    def detach(self, conn: Connection) -> bool:
        """Forget `conn` if it is still the live connection of its station; True when it was."""
        if self._connections.get(conn.station_id) is conn:
            del self._connections[conn.station_id]
            return True
        return False

    def connection(self, station_id: str) -> Connection:
        conn = self._connections.get(station_id)
        if conn is None or conn.closed:
            raise UnavailableError(f"station {station_id} is not connected")
        return conn

    def current(self, station_id: str) -> Connection | None:
        """The live (or most recent, still registered) connection of a station."""
        return self._connections.get(station_id)

    def is_current(self, conn: Connection) -> bool:
        return self._connections.get(conn.station_id) is conn

    def is_connected(self, station_id: str) -> bool:
        conn = self._connections.get(station_id)
        return conn is not None and not conn.closed

    def connected_count(self) -> int:
        return len(self._connections)

    def connected_ids(self) -> list[str]:
        return sorted(self._connections)

    async def close(self) -> None:
        """Close every station socket with 1001 (going away) and wait for their read loops to end."""
        self._closed = True
        conns = list(self._connections.values())
        await asyncio.gather(
            *(c.close(WSCloseCode.GOING_AWAY, b"server shutting down") for c in conns), return_exceptions=True
        )
        for conn in conns:
            await conn.cancel_background()
        if self._closing_tasks:
            await asyncio.gather(*self._closing_tasks, return_exceptions=True)

    # --- StationGateway ----------------------------------------------------------------------------

    def _commands(self, station_id: str) -> tuple[Connection, Any]:
        conn = self.connection(station_id)
        return conn, conn.spec.commands

    async def start_transaction(
        self, station_id: str, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.start_transaction(
            conn, evse_no, token_uid, remote_start_id
        )
        return reply

    async def stop_transaction(self, station_id: str, transaction_id: str) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.stop_transaction(conn, transaction_id)
        return reply

    async def unlock_connector(self, station_id: str, evse_no: int, connector_no: int) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.unlock_connector(conn, evse_no, connector_no)
        return reply

    async def reserve_now(
        self, station_id: str, reservation_id: int, evse_no: int | None, token_uid: str, expiry: datetime
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.reserve_now(
            conn, reservation_id, evse_no, token_uid, expiry
        )
        return reply

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.cancel_reservation(conn, reservation_id)
        return reply

    async def set_charging_limit(
        self,
        station_id: str,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.set_charging_limit(
            conn, evse_no, transaction_id, profile_id, limit, unit
        )
        return reply

    async def clear_charging_profile(self, station_id: str, profile_id: int) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.clear_charging_profile(conn, profile_id)
        return reply

    async def get_composite_schedule(
        self, station_id: str, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.get_composite_schedule(conn, evse_no, duration_s, unit)
        return reply

    async def reset(self, station_id: str, hard: bool) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.reset(conn, hard)
        return reply

    async def change_availability(
        self, station_id: str, evse_no: int, operative: bool
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.change_availability(conn, evse_no, operative)
        return reply

    async def trigger_message(
        self, station_id: str, message: str, evse_no: int | None
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.trigger_message(conn, message, evse_no)
        return reply

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.get_configuration(conn, keys)
        return reply

    async def change_configuration(self, station_id: str, key: str, value: str) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.change_configuration(conn, key, value)
        return reply

    async def send_local_list(
        self, station_id: str, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.send_local_list(conn, version, entries, full)
        return reply

    async def data_transfer(
        self, station_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        conn, commands = self._commands(station_id)
        reply: StationCommandReply = await commands.data_transfer(conn, vendor_id, message_id, data)
        return reply
