"""Who receives a core outbox row: broadcasts of our CPO and eMSP, targeted sessions, CDRs and command
results, the configured agreements, and the location ledger. Imports ocpi_modules and the core only."""

from __future__ import annotations

from typing import Any

import structlog

from hub.core.models import (
    Command,
    Evse,
    Location,
    OutboxMessage,
    PartnerRecord,
    PartyRef,
    PlatformStatus,
    Role,
    Token,
)
from hub.core.outbox import Topic
from hub.core.ports import UnitOfWork
from ocpi_modules.v2_2_1.push.base import CPO_AUDIENCE, MODULES, PushBase, Receiver

log = structlog.get_logger(__name__)

# Where we remember the last location version pushed, so the `evse.status` rows written with a
# `location.updated` in the same transaction are not pushed a second time (the PUT carries the status).
LOCATION_LEDGER = "pushed.locations"
# A session, CDR or command result still goes to an OFFLINE platform (retried until it is back, OF-02).
TARGETED_STATUSES = frozenset({PlatformStatus.CONNECTED, PlatformStatus.OFFLINE})


class ReceiversMixin(PushBase):
    """The receivers of a core outbox row (used by the expansion and the welcome)."""

    async def _receivers(self, uow: UnitOfWork, message: OutboxMessage) -> list[Receiver]:
        topic, payload = message.topic, message.payload
        module = MODULES[topic]
        if topic in (Topic.LOCATION_UPDATED, Topic.EVSE_STATUS, Topic.TARIFF_UPDATED, Topic.TARIFF_DELETED):
            owner = self._owner(topic, payload)
            if owner is None or not self._hosted(owner, Role.CPO):
                return []
            if topic == Topic.LOCATION_UPDATED and not payload.get("publish", True):
                return []  # unpublished locations are shown to nobody (LO-07): no publish_allowed_to yet
            if topic == Topic.EVSE_STATUS and (
                not payload.get("publish", True) or await self._carried_by_location_push(uow, payload)
            ):
                return []
            if topic == Topic.LOCATION_UPDATED:
                await self._remember_location_push(uow, payload)
            return await self._broadcast(uow, owner, CPO_AUDIENCE, module)
        if topic == Topic.TOKEN_UPDATED:
            token = Token.model_validate(payload)
            if not token.own or not self._hosted(token.party, Role.EMSP):
                return []
            return await self._broadcast(uow, token.party, frozenset({Role.CPO}), module)
        if topic in (Topic.SESSION_UPDATED, Topic.CDR_CREATED):
            owner = PartyRef.model_validate(payload["party"])
            token_party = payload.get("token_party")
            if token_party is None or not self._hosted(owner, Role.CPO):
                return []
            return await self._targeted(uow, owner, PartyRef.model_validate(token_party), module)
        if topic == Topic.COMMAND_RESULT:
            command = Command.model_validate(payload)
            if command.requester is None or not command.reply_to or command.result is None:
                return []
            station = await uow.stations.get(command.station_id)
            owner = station.party if station is not None else self._single_hosted(Role.CPO)
            if owner is None:
                return []
            return await self._targeted(uow, owner, command.requester, module, need_endpoint=False)
        return []

    @staticmethod
    def _owner(topic: str, payload: dict[str, Any]) -> PartyRef | None:
        party = payload.get("party")
        if isinstance(party, str):  # `evse.status` and `tariff.deleted` name it as `CC*PID`
            return PartyRef.parse(party)
        if isinstance(party, dict):
            return PartyRef.model_validate(party)
        log.warning("ocpi_push_no_owner", topic=topic)
        return None

    def _hosted(self, party: PartyRef, role: Role) -> bool:
        hosted = self._rt.config.hosted_party(party)
        return hosted is not None and hosted.role is role

    async def _broadcast(
        self, uow: UnitOfWork, owner: PartyRef, roles: frozenset[Role], module: str
    ) -> list[Receiver]:
        """Every party of a CONNECTED platform, in one of `roles`, whose platform has `module` as RECEIVER
        (RT-04), that may exchange `module` with `owner` under the configured agreements."""
        receivers: list[Receiver] = []
        for platform in await uow.platforms.list():
            if (
                platform.status is not PlatformStatus.CONNECTED
                or platform.endpoint(module, "RECEIVER") is None
            ):
                continue
            parties = [entry.party for entry in platform.roles if entry.role in roles]
            if not parties:
                # Another hub (its credentials carry only HUB, CR-11) gets the push addressed to itself and
                # hands it to the parties behind it.
                parties = [entry.party for entry in platform.roles if entry.role is Role.HUB][:1]
            receivers.extend(
                Receiver(platform, party) for party in parties if self._may_reach(owner, party, module)
            )
        return receivers

    async def _targeted(
        self, uow: UnitOfWork, owner: PartyRef, party: PartyRef, module: str, *, need_endpoint: bool = True
    ) -> list[Receiver]:
        """The platform carrying `party` (not one of ours), when registered and (unless told otherwise) it has
        `module` as RECEIVER."""
        if self._rt.config.hosted_party(party) is not None:
            return []  # our own eMSP reads the core directly
        platform = await uow.platforms.find_by_party(party)
        if platform is None or platform.status not in TARGETED_STATUSES:
            return []
        if need_endpoint and platform.endpoint(module, "RECEIVER") is None:
            return []
        entry = platform.role_of(party)
        if entry is None or not self._may_reach(owner, entry.party, module):
            return []
        return [Receiver(platform, entry.party)]

    def _may_reach(self, owner: PartyRef, receiver: PartyRef, module: str) -> bool:
        """With `[[agreements]]` configured (`rt.agreements`, hub.core.agreements),
        only parties that agreed on `module` exchange it; with none, everyone may (CONTRACT.md)."""
        return self._rt.agreements.allows(owner, receiver, module)

    # A `location.updated` and the `evse.status` rows of the same change are written in one transaction with
    # the same key, so the location row is expanded (and pushed, per receiver in key order) first.
    # The ledger keeps the version (last_updated) and the EVSE statuses of the last location expanded.
    async def _remember_location_push(self, uow: UnitOfWork, payload: dict[str, Any]) -> None:
        location = Location.model_validate(payload)
        await uow.records.put(
            PartnerRecord(
                module=LOCATION_LEDGER,
                party=location.party,
                id=location.id,
                data={"evses": {e.uid.upper(): e.status.value for e in location.evses}},
                last_updated=location.last_updated,
            )
        )

    @staticmethod
    async def _carried_by_location_push(uow: UnitOfWork, payload: dict[str, Any]) -> bool:
        """True when the last location expanded is this very change: same version, same EVSE status."""
        evse = Evse.model_validate(payload["evse"])
        record = await uow.records.get(
            LOCATION_LEDGER, PartyRef.parse(str(payload["party"])), str(payload["location_id"])
        )
        if record is None or record.last_updated != evse.last_updated:
            return False
        return bool(record.data.get("evses", {}).get(evse.uid.upper()) == str(payload["new"]))
