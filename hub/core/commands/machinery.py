"""The machinery every command shares: storing it, running the station call in a background task with a
deadline, storing and publishing the result (`command.result` outbox row, `CommandResultReceived`), and
finding the station, EVSE and connector a command targets.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from hub.core.authorization import AuthorizationService
from hub.core.clock import Clock, IdGenerator
from hub.core.errors import HubTimeoutError, InvalidRequestError, NotFoundError, UnavailableError
from hub.core.events import CommandResultReceived, DomainEvent, EventBus
from hub.core.models import (
    Command,
    CommandResultType,
    CommandType,
    Evse,
    Location,
    PartyRef,
    Session,
    SessionStatus,
    StationCommandReply,
)
from hub.core.models.commands import plain_data
from hub.core.outbox import Topic, add_change, command_key
from hub.core.ports import Database, StationGateway, UnitOfWork
from hub.core.sessions import SessionService
from hub.core.tasks import TaskRegistry

log = structlog.get_logger(__name__)

StationCall = Callable[[], Awaitable[StationCommandReply]]
OnAccepted = Callable[[UnitOfWork, Command, datetime], Awaitable[list[DomainEvent]]]
CHARGING_LIMIT_UNITS = frozenset({"W", "A"})
# stop_reason of a PENDING session cancelled by STOP_SESSION before the EV started.
PENDING_CANCELLED = "CancelledBeforeStart"


@dataclass(frozen=True)
class Target:
    station_id: str
    location: Location | None
    evse: Evse | None

    @property
    def evse_no(self) -> int | None:
        return self.evse.station_evse_no if self.evse is not None else None


class CommandMachinery:
    """State and shared steps of `CommandService` (the commands themselves are in `service.py`)."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        gateway: StationGateway,
        tasks: TaskRegistry,
        authorization: AuthorizationService,
        sessions: SessionService,
        timeout_s: float,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._gateway = gateway
        self._tasks = tasks
        self._authorization = authorization
        self._sessions = sessions
        self._timeout_s = timeout_s
        self._done: dict[str, asyncio.Event] = {}
        self._reservation_stations: dict[tuple[str | None, str], str] = {}
        # session id (upper) -> (station id, profile id) of the last charging limit the station ACCEPTED for
        # it; CLEAR_CHARGING_LIMIT removes that profile. Kept in this process only (see service.py).
        self._session_profiles: dict[str, tuple[str, int]] = {}

    async def wait_result(self, command_id: str, timeout: float) -> Command:  # noqa: ASYNC109 (shared API name)
        """The command once it has a result. Raises NotFoundError for an unknown id and HubTimeoutError when
        no result arrives within `timeout` seconds."""
        done = self._done.get(command_id)
        command = await self._get(command_id)
        if command.result is not None:
            return command
        if done is None:
            raise HubTimeoutError(f"command {command_id} has no result and none is awaited in this process")
        try:
            async with asyncio.timeout(timeout):
                await done.wait()
        except TimeoutError as exc:
            raise HubTimeoutError(f"no result for command {command_id} within {timeout} s") from exc
        return await self._get(command_id)

    async def get(self, command_id: str) -> Command | None:
        async with self._db.unit_of_work() as uow:
            return await uow.commands.get(command_id)

    # --- the machinery ----------------------------------------------------------------------------------

    def _new(
        self,
        kind: CommandType,
        target: Target,
        *,
        requester: PartyRef | None,
        reply_to: str | None,
        connector_id: str | None = None,
        token_uid: str | None = None,
        token_party: PartyRef | None = None,
        authorization_reference: str | None = None,
        remote_start_id: int | None = None,
        reservation_id: str | None = None,
        station_reservation_id: int | None = None,
        expiry: datetime | None = None,
    ) -> Command:
        now = self._clock.now()
        return Command(
            id=self._ids.new_id(),
            type=kind,
            requester=requester,
            station_id=target.station_id,
            location_id=target.location.id if target.location is not None else None,
            evse_uid=target.evse.uid if target.evse is not None else None,
            connector_id=connector_id,
            token_uid=token_uid,
            token_party=token_party,
            authorization_reference=authorization_reference,
            reservation_id=reservation_id,
            station_reservation_id=station_reservation_id,
            remote_start_id=remote_start_id,
            expiry=expiry,
            reply_to=reply_to,
            created=now,
            last_updated=now,
        )

    async def _refuse(self, command: Command, result: CommandResultType, message: str) -> Command:
        """Store an immediate refusal; it is the synchronous answer, so no event and no outbox row."""
        refused = command.model_copy(update={"result": result, "message": message})
        async with self._db.unit_of_work() as uow:
            await uow.commands.put(refused)
            await uow.commit()
        log.info("command_refused", command_id=command.id, type=str(command.type), result=str(result))
        return refused

    async def _dispatch(
        self,
        command: Command,
        call: StationCall,
        on_accepted: OnAccepted | None = None,
        on_rejected: Callable[[], None] | None = None,
        guard: asyncio.Lock | None = None,
    ) -> Command:
        async with self._db.unit_of_work() as uow:
            await uow.commands.put(command)
            await uow.commit()
        self._done[command.id] = asyncio.Event()
        self._tasks.spawn(
            self._run(command, call, on_accepted, on_rejected, guard),
            name=f"command:{command.type}:{command.id}",
        )
        return command

    async def _run(
        self,
        command: Command,
        call: StationCall,
        on_accepted: OnAccepted | None,
        on_rejected: Callable[[], None] | None,
        guard: asyncio.Lock | None = None,
    ) -> None:
        data = command.data
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await call()
            result, message = reply.result, reply.message
            if reply.data is not None:  # what the station answered besides its status (e.g. a schedule)
                data = plain_data({**(data or {}), **reply.data})
        except (TimeoutError, HubTimeoutError):
            result, message = CommandResultType.TIMEOUT, "the station did not answer in time"
        except UnavailableError:
            result, message = CommandResultType.FAILED, "the station is not connected"
        except Exception:
            log.exception("command_failed", command_id=command.id, type=str(command.type))
            result, message = CommandResultType.FAILED, "the station call failed"
        if result is CommandResultType.REJECTED and on_rejected is not None:
            on_rejected()
        try:
            async with guard or contextlib.nullcontext():
                answered = command.model_copy(update={"data": data})
                await self._store_result(answered, result, message, on_accepted)
        finally:
            done = self._done.pop(command.id, None)
            if done is not None:
                done.set()

    async def _store_result(
        self, command: Command, result: CommandResultType, message: str | None, on_accepted: OnAccepted | None
    ) -> None:
        now = self._clock.now()
        answered = command.model_copy(update={"result": result, "message": message, "last_updated": now})
        events: list[DomainEvent] = []
        async with self._db.unit_of_work() as uow:
            await uow.commands.put(answered)
            await add_change(uow, Topic.COMMAND_RESULT, command_key(command.id), answered, now)
            if result is CommandResultType.ACCEPTED and on_accepted is not None:
                events.extend(await on_accepted(uow, answered, now))
            await uow.commit()
        log.info("command_result", command_id=command.id, type=str(command.type), result=str(result))
        await self._bus.publish_all([CommandResultReceived(command=answered), *events])

    # --- lookups -----------------------------------------------------------------------------------

    async def _get(self, command_id: str) -> Command:
        command = await self.get(command_id)
        if command is None:
            raise NotFoundError(f"command {command_id}")
        return command

    @staticmethod
    def _running(session: Session) -> bool:
        return session.end is None and session.status in (SessionStatus.ACTIVE, SessionStatus.INVALID)

    async def _target(
        self, *, station_id: str | None = None, location_id: str | None = None, evse_uid: str | None = None
    ) -> Target:
        """The station (and EVSE) a command goes to. NotFoundError for an unknown location/EVSE or one no
        station of this hub drives; InvalidRequestError when a location has several stations and no EVSE
        was named."""
        async with self._db.unit_of_work() as uow:
            if evse_uid is not None:
                location = await uow.locations.find_by_evse(evse_uid)
                evse = location.evse(evse_uid) if location is not None else None
                if (
                    location is None
                    or evse is None
                    or (location_id and location.id.upper() != location_id.upper())
                ):
                    raise NotFoundError(f"EVSE {evse_uid}")
                if evse.station_id is None or evse.station_evse_no is None:
                    raise NotFoundError(f"EVSE {evse_uid} is not driven by a station of this hub")
                return Target(station_id=evse.station_id, location=location, evse=evse)
            if station_id is not None:
                station = await uow.stations.get(station_id)
                if station is None:
                    raise NotFoundError(f"station {station_id}")
                return Target(station_id=station.id, location=None, evse=None)
            if location_id is None:
                raise InvalidRequestError(
                    "a command needs an EVSE, a location or a station", field="evse_uid"
                )
            location = await self._location(uow, location_id)
        stations = sorted({e.station_id for e in location.evses if e.station_id is not None})
        if not stations:
            raise NotFoundError(f"location {location_id} has no station of this hub")
        if len(stations) > 1:
            raise InvalidRequestError(
                f"location {location_id} has several stations: name the EVSE", field="evse_uid"
            )
        return Target(station_id=stations[0], location=location, evse=None)

    @staticmethod
    async def _location(uow: UnitOfWork, location_id: str) -> Location:
        for location in await uow.locations.list():
            if location.id.upper() == location_id.upper():
                return location
        raise NotFoundError(f"location {location_id}")

    @staticmethod
    def _connector_no(evse: Evse, connector_id: str) -> int:
        if connector_id.isdigit():
            return int(connector_id)
        for number, connector in enumerate(evse.connectors, start=1):
            if connector.id.upper() == connector_id.upper():
                return number
        raise NotFoundError(f"connector {connector_id} of EVSE {evse.uid}")

    async def _evse_no(self, session: Session) -> int:
        if session.evse_uid is not None:
            async with self._db.unit_of_work() as uow:
                location = await uow.locations.find_by_evse(session.evse_uid)
            evse = location.evse(session.evse_uid) if location is not None else None
            if evse is not None and evse.station_evse_no is not None:
                return evse.station_evse_no
        return 0  # unknown EVSE: 0 addresses the whole station

    async def _find_reservation(self, reservation_id: str, requester: PartyRef | None) -> Command | None:
        """The latest RESERVE_NOW for this requester's id, on the station it was sent to (remembered here;
        after a restart every station is searched)."""
        key = (requester.key() if requester else None, reservation_id.upper())
        async with self._db.unit_of_work() as uow:
            known = self._reservation_stations.get(key)
            station_ids: Sequence[str] = [known] if known else [s.id for s in await uow.stations.list()]
            for station_id in station_ids:
                found = await uow.commands.find_reservation(station_id, reservation_id, requester)
                if found is not None:
                    return found
        return None
