"""Pushes of our hosted parties' objects to partner platforms (design "Outbox and pushes"): core outbox rows
are expanded into one `ocpi.<topic>` row per receiver (target `{platform_id}|{CC*PID}`), then each of those
is pushed to its one receiver and raises unless the receiver answered success, so the drainer retries it.

An adapter module: imports structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    Cdr,
    ChargingPeriod,
    Command,
    CommandResultType,
    CommandType,
    Evse,
    Location,
    OutboxMessage,
    PartnerRecord,
    PartyRef,
    Platform,
    PlatformStatus,
    Role,
    Session,
    SessionStatus,
    Tariff,
    Token,
    TokenType,
)
from hub.core.outbox import Topic, location_key, tariff_key, token_key
from hub.core.ports import UnitOfWork
from hub.core.services import Core
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError, join_url
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.cdrs import from_core_cdr
from ocpi_modules.v2_2_1.chargingprofiles import from_core_schedule, profile_result
from ocpi_modules.v2_2_1.commands import command_result
from ocpi_modules.v2_2_1.locations import evse_status_patch, from_core_location
from ocpi_modules.v2_2_1.sessions import from_core_period, from_core_session, session_patch
from ocpi_modules.v2_2_1.tariffs import from_core_tariff
from ocpi_modules.v2_2_1.tokens import from_core_token

log = structlog.get_logger(__name__)

Deliverer = Callable[[OutboxMessage], Awaitable[None]]

PREFIX = "ocpi."
# Where we remember, per receiver, how much of a session it already has (module of a PartnerRecord whose party
# is the receiver and whose id is the session id): PATCHes then carry only new charging periods (SE-05).
SESSION_LEDGER = "pushed.sessions"
# Where we remember the last location version pushed, so the `evse.status` rows written with a
# `location.updated` in the same transaction are not pushed a second time (the PUT carries the status).
LOCATION_LEDGER = "pushed.locations"

# The OCPI module each core topic feeds (the receiver's endpoint, the `[[agreements]]` module name).
MODULES: Mapping[str, str] = {
    Topic.LOCATION_UPDATED: "locations",
    Topic.EVSE_STATUS: "locations",
    Topic.TARIFF_UPDATED: "tariffs",
    Topic.TARIFF_DELETED: "tariffs",
    Topic.SESSION_UPDATED: "sessions",
    Topic.CDR_CREATED: "cdrs",
    Topic.TOKEN_UPDATED: "tokens",
    Topic.COMMAND_RESULT: "commands",
}
# Broadcasts of our CPO reach eMSPs, NSPs and OTHER parties (RT-04); our eMSP's tokens reach CPOs.
CPO_AUDIENCE = frozenset({Role.EMSP, Role.NSP, Role.OTHER})
# Status and location data are never queued for a platform that is not CONNECTED: it resyncs by GET (OF-02).
# Tokens are not dropped: their distribution status must show FAILED until they are delivered.
DROPPED_WHEN_OFFLINE = frozenset(
    {Topic.LOCATION_UPDATED, Topic.EVSE_STATUS, Topic.TARIFF_UPDATED, Topic.TARIFF_DELETED}
)
# A session, CDR or command result still goes to an OFFLINE platform (retried until it is back, OF-02).
TARGETED_STATUSES = frozenset({PlatformStatus.CONNECTED, PlatformStatus.OFFLINE})
FINAL_SESSION = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})
# Commands of the ChargingProfiles module: their result is a ChargingProfileResult,
# ActiveChargingProfileResult or ClearProfileResult (CP-03), not a CommandResult.
_PROFILE_COMMANDS = frozenset(
    {CommandType.SET_CHARGING_LIMIT, CommandType.GET_CHARGING_SCHEDULE, CommandType.CLEAR_CHARGING_LIMIT}
)


class PushFailedError(Exception):
    """A receiver did not answer success (HTTP 2xx and a 1xxx status), or could not be reached."""


@dataclass(frozen=True)
class Receiver:
    platform: Platform
    party: PartyRef

    @property
    def target(self) -> str:
        return f"{self.platform.id}|{self.party}"


def parse_target(target: str) -> tuple[str, PartyRef]:
    """`{platform_id}|{CC*PID}` → (platform id, party)."""
    platform_id, _, party = target.partition("|")
    return platform_id, PartyRef.parse(party)


def _digest(periods: Sequence[ChargingPeriod]) -> str:
    wire = [from_core_period(p) for p in periods]
    return hashlib.sha256(ocpi_json.dumps(wire)).hexdigest()[:32]


class OcpiPushService:
    """Expands core outbox rows per receiver and pushes each receiver's row (see the module docstring)."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt
        self._pushers: dict[str, Callable[[Receiver, dict[str, Any]], Awaitable[None]]] = {
            Topic.LOCATION_UPDATED: self._push_location,
            Topic.EVSE_STATUS: self._push_evse_status,
            Topic.TARIFF_UPDATED: self._push_tariff,
            Topic.TARIFF_DELETED: self._push_tariff_deletion,
            Topic.SESSION_UPDATED: self._push_session,
            Topic.CDR_CREATED: self._push_cdr,
            Topic.TOKEN_UPDATED: self._push_token,
            Topic.COMMAND_RESULT: self._push_command_result,
        }

    def deliverers(self) -> list[tuple[str, Deliverer]]:
        """(topic prefix, deliverer) pairs for the outbox drainer: one expander per core topic and the pusher
        of the expanded `ocpi.` rows."""
        pairs: list[tuple[str, Deliverer]] = [(str(topic), self.expand) for topic in MODULES]
        pairs.append((PREFIX, self.push))
        return pairs

    # --- expansion ---------------------------------------------------------------------------------------

    async def expand(self, message: OutboxMessage) -> None:
        """Add one `ocpi.<topic>` row per receiver of a core row and close the core row in one transaction."""
        assert message.id is not None
        now = self._rt.clock.now()
        async with self._rt.core.db.unit_of_work() as uow:
            receivers = await self._receivers(uow, message)
            for receiver in receivers:
                target = receiver.target
                await uow.outbox.add(
                    OutboxMessage(
                        topic=PREFIX + message.topic,
                        key=f"{target}|{message.key}",
                        target=target,
                        payload=message.payload,
                        created=now,
                        next_attempt_at=now,
                    )
                )
            await uow.outbox.mark_delivered(message.id, now)
            await uow.commit()
        if receivers:
            log.debug("ocpi_push_expanded", topic=message.topic, key=message.key, receivers=len(receivers))

    async def welcome(self, platform_id: str) -> int:
        """Queue for a newly registered platform what it must know from the start — our CPO's published
        locations and tariffs, our eMSP's tokens — exactly as the change pushes would have sent it, and
        return how many rows were queued. Partners that want more pull (and our resync pulls from them)."""
        core, now = self._rt.core, self._rt.clock.now()
        queued = 0
        async with core.db.unit_of_work() as uow:

            async def queue(
                topic: Topic, key: str, owner: PartyRef, model: Any, roles: frozenset[Role]
            ) -> None:
                nonlocal queued
                for receiver in await self._broadcast(uow, owner, roles, MODULES[topic]):
                    if receiver.platform.id != platform_id:
                        continue
                    target = receiver.target
                    await uow.outbox.add(
                        OutboxMessage(
                            topic=PREFIX + topic,
                            key=f"{target}|{key}",
                            target=target,
                            payload=model.model_dump(mode="json"),
                            created=now,
                            next_attempt_at=now,
                        )
                    )
                    queued += 1

            for cpo in self._rt.config.hosted_by_role(Role.CPO):
                for location in await uow.locations.list(party=cpo.ref):
                    if location.publish:
                        key = location_key(location.party, location.id)
                        await queue(Topic.LOCATION_UPDATED, key, cpo.ref, location, CPO_AUDIENCE)
                for tariff in await uow.tariffs.list(cpo.ref):
                    key = tariff_key(tariff.party, tariff.id)
                    await queue(Topic.TARIFF_UPDATED, key, cpo.ref, tariff, CPO_AUDIENCE)
            for emsp in self._rt.config.hosted_by_role(Role.EMSP):
                for token in await uow.tokens.list(emsp.ref):
                    if token.own:
                        key = token_key(token.party, token.uid)
                        await queue(Topic.TOKEN_UPDATED, key, emsp.ref, token, frozenset({Role.CPO}))
            await uow.commit()
        log.info("ocpi_platform_welcomed", platform_id=platform_id, queued=queued)
        return queued

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

    def _single_hosted(self, role: Role) -> PartyRef | None:
        candidates = self._rt.config.hosted_by_role(role)
        return candidates[0].ref if len(candidates) == 1 else None

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
        """With `[[agreements]]` configured (runtime extras "agreements": items with `parties` and `modules`),
        only parties that agreed on `module` exchange it; with none, everyone may (CONTRACT.md)."""
        agreements: Iterable[Any] = self._rt.extras.get("agreements") or ()
        agreements = list(agreements)
        if not agreements:
            return True
        pair = {owner.key(), receiver.key()}
        for agreement in agreements:
            parties = {PartyRef.parse(str(p)).key() for p in agreement.parties}
            if parties == pair and module in tuple(agreement.modules):
                return True
        return False

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

    # --- pushing one row to one receiver -------------------------------------------------------------------

    async def push(self, message: OutboxMessage) -> None:
        """Push an `ocpi.` row to its receiver; raises PushFailedError unless it answered success."""
        topic = message.topic.removeprefix(PREFIX)
        pusher = self._pushers.get(topic)
        if pusher is None or message.target is None:
            log.warning("ocpi_push_unroutable", topic=message.topic, key=message.key)
            return
        platform_id, party = parse_target(message.target)
        platform = await self._rt.core.platforms.get(platform_id)
        if platform is None or platform.status is PlatformStatus.SUSPENDED or platform.role_of(party) is None:
            log.info("ocpi_push_dropped", topic=topic, platform_id=platform_id, reason="receiver gone")
            return
        if platform.status is not PlatformStatus.CONNECTED:
            if topic in DROPPED_WHEN_OFFLINE:
                log.info(
                    "ocpi_push_dropped", topic=topic, platform_id=platform_id, reason=str(platform.status)
                )
                return
            raise PushFailedError(f"platform {platform_id} is {platform.status}")
        await pusher(Receiver(platform, party), message.payload)

    async def _call(
        self,
        receiver: Receiver,
        method: str,
        url: str,
        *,
        sender: PartyRef,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> OcpiResponse:
        platform = receiver.platform
        if not platform.outbound_token:
            raise PushFailedError(f"no token towards platform {platform.id}")
        try:
            return await self._rt.http.request(  # type: ignore[no-any-return]
                method,
                url,
                token=platform.outbound_token,
                encode=platform.encode_token,
                json=body,
                params=params,
                from_party=sender,
                to_party=receiver.party,
                timeout_s=self._rt.config.request_timeout_s,
            )
        except OcpiTransportError as exc:
            raise PushFailedError(f"{method} {url}: {exc}") from exc

    async def _send(
        self,
        receiver: Receiver,
        method: str,
        url: str,
        *,
        sender: PartyRef,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        response = await self._call(receiver, method, url, sender=sender, body=body, params=params)
        _require_success(response, method, url)

    def _url(self, receiver: Receiver, module: str) -> str:
        url = receiver.platform.endpoint(module, "RECEIVER")
        if url is None:
            raise PushFailedError(f"platform {receiver.platform.id} has no {module} RECEIVER endpoint")
        return url

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

    # --- sessions: PUT first, PATCH with what is new, PUT when final (SE-04, SE-05, SE-11) ------------------

    async def _push_session(self, receiver: Receiver, payload: dict[str, Any]) -> None:
        """Charging periods grow while they are the last one, so a PATCH only ever carries closed periods
        (appending is all a PATCH can do, SE-05); the final PUT carries them all."""
        session = Session.model_validate(payload)
        final = session.status in FINAL_SESSION
        closed = session.charging_periods if final else session.charging_periods[:-1]
        shown = session.model_copy(update={"charging_periods": closed})
        party = session.party
        url = join_url(self._url(receiver, "sessions"), party.country_code, party.party_id, session.id)
        ledger = await self._rt.core.records.get(SESSION_LEDGER, receiver.party, session.id)
        sent = _ledger_count(ledger, receiver, closed)
        if sent is not None and not final:
            response = await self._call(
                receiver, "PATCH", url, sender=party, body=session_patch(shown, periods_sent=sent)
            )
            if response.http_status != 404:  # 404: the receiver lost it, PUT it again (CO-07, CO-08)
                _require_success(response, "PATCH", url)
                await self._remember_session(receiver, session, closed)
                return
        token = await self._token(session.token_uid, session.token_party, session.token_type)
        await self._send(receiver, "PUT", url, sender=party, body=from_core_session(shown, token=token))
        if final:
            await self._rt.core.records.delete(SESSION_LEDGER, receiver.party, session.id)
        else:
            await self._remember_session(receiver, session, closed)

    async def _remember_session(
        self, receiver: Receiver, session: Session, closed: Sequence[ChargingPeriod]
    ) -> None:
        await self._rt.core.records.put(
            PartnerRecord(
                module=SESSION_LEDGER,
                party=receiver.party,
                id=session.id,
                data={
                    "platform": receiver.platform.id,
                    "periods": len(closed),
                    "digest": _digest(closed),
                    "status": session.status.value,
                },
                last_updated=session.last_updated,
            )
        )

    async def _token(self, uid: str, party: PartyRef | None, kind: TokenType) -> Token | None:
        if party is None:
            return None
        return await self._rt.core.tokens.get(uid, party, kind)


async def cdr_for_wire(core: Core, cdr: Cdr) -> dict[str, Any]:
    """A CDR as OCPI sends it, with its location, tariff and token looked up (CD-07: the CDR's own copies of
    the session's facts win; the location supplies address and connector details)."""
    location = await core.locations.get(cdr.party, cdr.location_id) if cdr.location_id else None
    tariff = await core.tariffs.get(cdr.party, cdr.tariff_id) if cdr.tariff_id else None
    token = await core.tokens.get(cdr.token_uid, cdr.token_party, cdr.token_type) if cdr.token_party else None
    return from_core_cdr(cdr, location=location, tariff=tariff, token=token)


def _ledger_count(
    ledger: PartnerRecord | None, receiver: Receiver, closed: Sequence[ChargingPeriod]
) -> int | None:
    """How many of `closed` the receiver already has, or None when it must get a PUT (never pushed, pushed
    through another platform, or the periods it has are no longer a prefix of ours)."""
    if ledger is None or ledger.data.get("platform") != receiver.platform.id:
        return None
    count = ledger.data.get("periods")
    if not isinstance(count, int) or count > len(closed):
        return None
    if ledger.data.get("digest") != _digest(closed[:count]):
        return None
    return count


def _require_success(response: OcpiResponse, method: str, url: str) -> None:
    if not response.ok:
        raise PushFailedError(
            f"{method} {url} answered HTTP {response.http_status}, status {response.status_code}"
            + (f": {response.status_message}" if response.status_message else "")
        )


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
