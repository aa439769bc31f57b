"""Pushers of locations, EVSE statuses, tariffs, tokens, CDRs and command results to one receiver.
Imports ocpi_modules and the core only."""

from __future__ import annotations

from typing import Any

import structlog

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    Cdr,
    Command,
    CommandResultType,
    CommandType,
    Evse,
    Location,
    PartyRef,
    Role,
    Tariff,
    Token,
)
from hub.core.services import Core
from ocpi_modules.common.client import join_url
from ocpi_modules.v2_2_1.cdrs import from_core_cdr
from ocpi_modules.v2_2_1.chargingprofiles import from_core_schedule, profile_result
from ocpi_modules.v2_2_1.commands import command_result
from ocpi_modules.v2_2_1.locations import evse_status_patch, from_core_location
from ocpi_modules.v2_2_1.push.base import PushBase, PushFailedError, Receiver, _require_success
from ocpi_modules.v2_2_1.tariffs import from_core_tariff
from ocpi_modules.v2_2_1.tokens import from_core_token

log = structlog.get_logger(__name__)

# Commands of the ChargingProfiles module: their result is a ChargingProfileResult,
# ActiveChargingProfileResult or ClearProfileResult (CP-03), not a CommandResult.
_PROFILE_COMMANDS = frozenset(
    {CommandType.SET_CHARGING_LIMIT, CommandType.GET_CHARGING_SCHEDULE, CommandType.CLEAR_CHARGING_LIMIT}
)


class ObjectPushersMixin(PushBase):
    """PUT/PATCH/DELETE/POST of one object to one receiver; each raises PushFailedError unless it succeeds."""

    async def _push_location(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        location = Location.model_validate(payload)
        await self._put_location(receiver, location)

    async def _put_location(self, receiver: Receiver, location: Location) -> None:
        party = location.party
        url = join_url(self._url(receiver, "locations"), party.country_code, party.party_id, location.id)
        await self._send(receiver, "PUT", url, sender=party, body=from_core_location(location))

    async def _push_evse_status(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        """PATCH the EVSE URL with status and last_updated (LO-15); a receiver that does not know the location
        (404, CO-08) gets the whole current location by PUT instead (CO-07)."""
        party = PartyRef.parse(str(payload["party"]))
        location_id, evse_uid = str(payload["location_id"]), str(payload["evse_uid"])
        body = evse_status_patch(Evse.model_validate(payload["evse"]))
        url = join_url(
            self._url(receiver, "locations"), party.country_code, party.party_id, location_id, evse_uid
        )
        response = await self._call(receiver, "PATCH", url, sender=party, body=body)
        if response.http_status == 404:
            current = await self._rt.core.locations.get(party, location_id)
            if current is None or not current.publish:
                return
            await self._put_location(receiver, current)
            return
        _require_success(response, "PATCH", url)

    async def _push_tariff(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        tariff = Tariff.model_validate(payload)
        party = tariff.party
        url = join_url(self._url(receiver, "tariffs"), party.country_code, party.party_id, tariff.id)
        await self._send(receiver, "PUT", url, sender=party, body=from_core_tariff(tariff))

    async def _push_tariff_deletion(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        party = PartyRef.parse(str(payload["party"]))
        url = join_url(self._url(receiver, "tariffs"), party.country_code, party.party_id, str(payload["id"]))
        response = await self._call(receiver, "DELETE", url, sender=party)
        if response.http_status == 404:
            return  # the receiver never had it: nothing left to delete
        _require_success(response, "DELETE", url)

    async def _push_token(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        token = Token.model_validate(payload)
        party = token.party
        url = join_url(self._url(receiver, "tokens"), party.country_code, party.party_id, token.uid)
        await self._send(
            receiver, "PUT", url, sender=party, body=from_core_token(token), params={"type": token.type.value}
        )

    async def _push_cdr(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        cdr = Cdr.model_validate(payload)
        body = await cdr_for_wire(self._rt.core, cdr)
        await self._send(receiver, "POST", self._url(receiver, "cdrs"), sender=cdr.party, body=body)

    async def _push_command_result(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        command = Command.model_validate(payload)
        assert command.reply_to is not None
        async with self._rt.core.db.unit_of_work() as uow:
            station = await uow.stations.get(command.station_id)
        sender = station.party if station is not None else self._single_hosted(Role.CPO)
        if sender is None:
            raise PushFailedError(f"no CPO of ours for station {command.station_id}")
        if command.type in _PROFILE_COMMANDS:
            body = _profile_command_result(command)
        else:
            body = command_result(command)
        await self._send(receiver, "POST", command.reply_to, sender=sender, body=body)


async def cdr_for_wire(core: Core, cdr: Cdr) -> dict[str, Any]:
    """A CDR as OCPI sends it, with its location, tariff and token looked up (CD-07: the CDR's own copies of
    the session's facts win; the location supplies address and connector details)."""
    location = await core.locations.get(cdr.party, cdr.location_id) if cdr.location_id else None
    tariff = await core.tariffs.get(cdr.party, cdr.tariff_id) if cdr.tariff_id else None
    token = await core.tokens.get(cdr.token_uid, cdr.token_party, cdr.token_type) if cdr.token_party else None
    return from_core_cdr(cdr, location=location, tariff=tariff, token=token)


def _profile_command_result(command: Command) -> dict[str, Any]:
    """CP-03: ChargingProfileResult / ClearProfileResult `{result}`, or for GET_CHARGING_SCHEDULE an
    ActiveChargingProfileResult `{result, profile}` with the station's schedule (only when ACCEPTED)."""
    assert command.result is not None
    accepted = command.result is CommandResultType.ACCEPTED
    if command.type is not CommandType.GET_CHARGING_SCHEDULE or not accepted or command.data is None:
        return profile_result(command.result)
    try:
        profile = from_core_schedule(command.data, now=command.last_updated)
    except InvalidRequestError as exc:  # a schedule we cannot express: report the result without it
        log.warning("charging_schedule_unusable", command_id=command.id, reason=str(exc))
        return profile_result(command.result)
    return profile_result(command.result, profile)
