"""A scripted `hub.core.ports.StationGateway` for core unit tests: records every call, answers with scripted
replies (ACCEPTED by default), raises UnavailableError for stations that are not connected, and can hold a
call until the test releases it (to provoke TIMEOUT).

Imports the standard library and the core only.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.core.errors import UnavailableError
from hub.core.models import CommandResultType, StationCommandReply

Reply = StationCommandReply | BaseException


@dataclass(frozen=True)
class GatewayCall:
    method: str
    station_id: str
    args: tuple[Any, ...]


class FakeGateway:
    def __init__(self, connected: Sequence[str] = ()) -> None:
        self.connected: set[str] = {s.upper() for s in connected}
        self.calls: list[GatewayCall] = []
        self._replies: dict[str, deque[Reply]] = defaultdict(deque)
        self._holds: dict[str, asyncio.Event] = {}
        self._called = asyncio.Condition()

    # --- scripting ---------------------------------------------------------------------------------

    def connect(self, station_id: str) -> None:
        self.connected.add(station_id.upper())

    def disconnect(self, station_id: str) -> None:
        self.connected.discard(station_id.upper())

    def script(self, method: str, *replies: Reply | CommandResultType) -> None:
        """Answer the next calls of `method` with these replies (or raise these exceptions), in order."""
        for reply in replies:
            if isinstance(reply, CommandResultType):
                reply = StationCommandReply(result=reply)
            self._replies[method].append(reply)

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` wait until the returned event is set (never, to test TIMEOUT)."""
        event = self._holds[method] = asyncio.Event()
        return event

    def calls_of(self, method: str) -> list[GatewayCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_call(self, method: str, count: int = 1) -> GatewayCall:
        """The `count`-th call of `method` once it was made (fails after two seconds)."""
        async with asyncio.timeout(2.0), self._called:
            await self._called.wait_for(lambda: len(self.calls_of(method)) >= count)
        return self.calls_of(method)[count - 1]

    async def _call(self, method: str, station_id: str, *args: Any) -> StationCommandReply:
        self.calls.append(GatewayCall(method, station_id, args))
        async with self._called:
            self._called.notify_all()
        if station_id.upper() not in self.connected:
            raise UnavailableError(f"station {station_id} is not connected")
        hold = self._holds.get(method)
        if hold is not None:
            await hold.wait()
        queue = self._replies.get(method)
        reply: Reply = queue.popleft() if queue else StationCommandReply(result=CommandResultType.ACCEPTED)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    # --- StationGateway ----------------------------------------------------------------------------

    def is_connected(self, station_id: str) -> bool:
        return station_id.upper() in self.connected

    async def start_transaction(
        self, station_id: str, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply:
        return await self._call("start_transaction", station_id, evse_no, token_uid, remote_start_id)

    async def stop_transaction(self, station_id: str, transaction_id: str) -> StationCommandReply:
        return await self._call("stop_transaction", station_id, transaction_id)

    async def unlock_connector(self, station_id: str, evse_no: int, connector_no: int) -> StationCommandReply:
        return await self._call("unlock_connector", station_id, evse_no, connector_no)

    async def reserve_now(
        self, station_id: str, reservation_id: int, evse_no: int | None, token_uid: str, expiry: datetime
    ) -> StationCommandReply:
        return await self._call("reserve_now", station_id, reservation_id, evse_no, token_uid, expiry)

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> StationCommandReply:
        return await self._call("cancel_reservation", station_id, reservation_id)

    async def set_charging_limit(
        self,
        station_id: str,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        return await self._call(
            "set_charging_limit", station_id, evse_no, transaction_id, profile_id, limit, unit
        )

    async def clear_charging_profile(self, station_id: str, profile_id: int) -> StationCommandReply:
        return await self._call("clear_charging_profile", station_id, profile_id)

    async def get_composite_schedule(
        self, station_id: str, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        return await self._call("get_composite_schedule", station_id, evse_no, duration_s, unit)

    async def reset(self, station_id: str, hard: bool) -> StationCommandReply:
        return await self._call("reset", station_id, hard)

    async def change_availability(
        self, station_id: str, evse_no: int, operative: bool
    ) -> StationCommandReply:
        return await self._call("change_availability", station_id, evse_no, operative)

    async def trigger_message(
        self, station_id: str, message: str, evse_no: int | None
    ) -> StationCommandReply:
        return await self._call("trigger_message", station_id, message, evse_no)

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> StationCommandReply:
        return await self._call("get_configuration", station_id, tuple(keys))

    async def change_configuration(self, station_id: str, key: str, value: str) -> StationCommandReply:
        return await self._call("change_configuration", station_id, key, value)

    async def send_local_list(
        self, station_id: str, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        return await self._call("send_local_list", station_id, version, tuple(entries), full)

    async def data_transfer(
        self, station_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        return await self._call("data_transfer", station_id, vendor_id, message_id, data)
