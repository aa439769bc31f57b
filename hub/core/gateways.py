"""A station gateway that routes each call by station id: stations an adapter drives its own way (a 互联互通
partner's virtual stations, say) go to that adapter's gateway, every other station to the default one.

Imports the standard library and the core only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from hub.core.models import StationCommandReply
from hub.core.ports import StationGateway

StationPredicate = Callable[[str], bool]


class RoutingGateway:
    """Implements StationGateway: each call goes to the gateway of the first route whose predicate holds
    for the station id, else to `default`. Predicates must be cheap and pure (they run on every call)."""

    def __init__(
        self, default: StationGateway, routes: Sequence[tuple[StationPredicate, StationGateway]] = ()
    ) -> None:
        self._default = default
        self._routes = tuple(routes)

    def gateway_for(self, station_id: str) -> StationGateway:
        for applies, gateway in self._routes:
            if applies(station_id):
                return gateway
        return self._default

    def is_connected(self, station_id: str) -> bool:
        return self.gateway_for(station_id).is_connected(station_id)

    async def start_transaction(
        self, station_id: str, evse_no: int | None, token_uid: str, remote_start_id: int
    ) -> StationCommandReply:
        gateway = self.gateway_for(station_id)
        return await gateway.start_transaction(station_id, evse_no, token_uid, remote_start_id)

    async def stop_transaction(self, station_id: str, transaction_id: str) -> StationCommandReply:
        return await self.gateway_for(station_id).stop_transaction(station_id, transaction_id)

    async def unlock_connector(self, station_id: str, evse_no: int, connector_no: int) -> StationCommandReply:
        return await self.gateway_for(station_id).unlock_connector(station_id, evse_no, connector_no)

    async def reserve_now(
        self,
        station_id: str,
        reservation_id: int,
        evse_no: int | None,
        token_uid: str,
        expiry: datetime,
    ) -> StationCommandReply:
        gateway = self.gateway_for(station_id)
        return await gateway.reserve_now(station_id, reservation_id, evse_no, token_uid, expiry)

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> StationCommandReply:
        return await self.gateway_for(station_id).cancel_reservation(station_id, reservation_id)

    async def set_charging_limit(
        self,
        station_id: str,
        evse_no: int,
        transaction_id: str | None,
        profile_id: int,
        limit: Decimal,
        unit: str,
    ) -> StationCommandReply:
        gateway = self.gateway_for(station_id)
        return await gateway.set_charging_limit(station_id, evse_no, transaction_id, profile_id, limit, unit)

    async def clear_charging_profile(self, station_id: str, profile_id: int) -> StationCommandReply:
        return await self.gateway_for(station_id).clear_charging_profile(station_id, profile_id)

    async def get_composite_schedule(
        self, station_id: str, evse_no: int, duration_s: int, unit: str | None
    ) -> StationCommandReply:
        gateway = self.gateway_for(station_id)
        return await gateway.get_composite_schedule(station_id, evse_no, duration_s, unit)

    async def reset(self, station_id: str, hard: bool) -> StationCommandReply:
        return await self.gateway_for(station_id).reset(station_id, hard)

    async def change_availability(
        self, station_id: str, evse_no: int, operative: bool
    ) -> StationCommandReply:
        return await self.gateway_for(station_id).change_availability(station_id, evse_no, operative)

    async def trigger_message(
        self, station_id: str, message: str, evse_no: int | None
    ) -> StationCommandReply:
        return await self.gateway_for(station_id).trigger_message(station_id, message, evse_no)

    async def get_configuration(self, station_id: str, keys: Sequence[str]) -> StationCommandReply:
        return await self.gateway_for(station_id).get_configuration(station_id, keys)

    async def change_configuration(self, station_id: str, key: str, value: str) -> StationCommandReply:
        return await self.gateway_for(station_id).change_configuration(station_id, key, value)

    async def send_local_list(
        self, station_id: str, version: int, entries: Sequence[tuple[str, bool]], full: bool
    ) -> StationCommandReply:
        return await self.gateway_for(station_id).send_local_list(station_id, version, entries, full)

    async def data_transfer(
        self, station_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> StationCommandReply:
        return await self.gateway_for(station_id).data_transfer(station_id, vendor_id, message_id, data)


def _conforms(gateway: RoutingGateway) -> StationGateway:
    return gateway  # mypy checks here that RoutingGateway implements the port
