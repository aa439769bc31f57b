"""Commands to our stations (START/STOP_SESSION, UNLOCK_CONNECTOR, RESERVE_NOW, CANCEL_RESERVATION,
SET/CLEAR_CHARGING_LIMIT, GET_CHARGING_SCHEDULE): each returns the stored Command at once; the station call
runs in a background task with a deadline and its result (with the station's reply data in `Command.data`) is
stored, written to the outbox (`command.result`) and published (`CommandResultReceived`). Immediate refusals
(station offline, unknown session or reservation, no charging limit to clear) are set on the returned Command
and not sent anywhere else. STOP_SESSION of a session still PENDING cancels it without a station call:
ACCEPTED at once, with its `command.result` row and event.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal

import structlog

from hub.core.authorization import INJECTED_TOKEN_WINDOW, Injection, fingerprint
from hub.core.commands.machinery import (
    CHARGING_LIMIT_UNITS,
    PENDING_CANCELLED,
    CommandMachinery,
)
from hub.core.errors import InvalidRequestError
from hub.core.events import CommandResultReceived, DomainEvent
from hub.core.models import (
    Command,
    CommandResultType,
    CommandType,
    PartyRef,
    Session,
    SessionStatus,
    StationCommandReply,
    Token,
)
from hub.core.outbox import Topic, command_key, outbox_message
from hub.core.ports import UnitOfWork

log = structlog.get_logger(__name__)


class CommandService(CommandMachinery):
    # --- the commands --------------------------------------------------------------------------------

    async def start_session(
        self,
        *,
        station_id: str | None = None,
        location_id: str | None = None,
        evse_uid: str | None = None,
        connector_id: str | None = None,
        token: Token,
        authorization_reference: str | None = None,
        requester: PartyRef | None = None,
        reply_to: str | None = None,
    ) -> Command:
        target = await self._target(station_id=station_id, location_id=location_id, evse_uid=evse_uid)
        async with self._db.unit_of_work() as uow:
            remote_start_id = await uow.commands.next_station_number(target.station_id, "remote_start")
        command = self._new(
            CommandType.START_SESSION,
            target,
            requester=requester,
            reply_to=reply_to,
            connector_id=connector_id,
            token_uid=token.uid,
            token_party=token.party,
            authorization_reference=authorization_reference,
            remote_start_id=remote_start_id,
        )
        if not self._gateway.is_connected(target.station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        injection = self._authorization.injected.add(
            Injection(
                station_id=target.station_id,
                token=token,
                expires=self._clock.now() + INJECTED_TOKEN_WINDOW,
                authorization_reference=authorization_reference,
                evse_uid=command.evse_uid,
                connector_id=connector_id,
                remote_start_id=remote_start_id,
                command_id=command.id,
                requester=requester,
            )
        )

        async def on_accepted(uow: UnitOfWork, done: Command, now: datetime) -> list[DomainEvent]:
            if injection.session_id is not None:
                return []  # the station started before its answer was processed: the session exists
            station = await uow.stations.get(done.station_id)
            if station is None:
                return []
            event = await self._sessions.create_pending(
                uow,
                station,
                token=token,
                evse_uid=done.evse_uid,
                connector_id=done.connector_id,
                location_id=done.location_id,
                authorization_reference=authorization_reference,
                remote_start_id=remote_start_id,
                now=now,
            )
            injection.session_id = event.session.id
            return [event]

        def on_rejected() -> None:
            self._authorization.injected.remove(injection)

        log.info(
            "start_session", command_id=command.id, station_id=target.station_id, token=fingerprint(token.uid)
        )

        def call() -> Awaitable[StationCommandReply]:
            return self._gateway.start_transaction(
                target.station_id, target.evse_no, token.uid, remote_start_id
            )

        return await self._dispatch(command, call, on_accepted, on_rejected, guard=injection.lock)

    async def stop_session(
        self, *, session_id: str, requester: PartyRef | None = None, reply_to: str | None = None
    ) -> Command:
        session = await self._sessions.get(session_id)
        if session is not None and session.status is SessionStatus.PENDING:
            pending = self._stop_command(session_id, session, requester, reply_to)
            cancelled = await self._cancel_pending(pending, session_id)
            if cancelled is not None:
                return cancelled
            session = await self._sessions.get(session_id)  # the station started it meanwhile
        running = session is not None and self._running(session)
        station_id = session.station_id if session is not None and session.station_id else ""
        command = self._stop_command(session_id, session, requester, reply_to)
        if session is None or not running or session.transaction_id is None or not station_id:
            return await self._refuse(
                command, CommandResultType.UNKNOWN_SESSION, "no running session with this id"
            )
        if not self._gateway.is_connected(station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        transaction_id = session.transaction_id
        return await self._dispatch(
            command, lambda: self._gateway.stop_transaction(station_id, transaction_id)
        )

    def _stop_command(
        self, session_id: str, session: Session | None, requester: PartyRef | None, reply_to: str | None
    ) -> Command:
        return self._about_session(CommandType.STOP_SESSION, session_id, session, requester, reply_to)

    def _about_session(
        self,
        kind: CommandType,
        session_id: str,
        session: Session | None,
        requester: PartyRef | None,
        reply_to: str | None,
    ) -> Command:
        """A new command of `kind` about a session (the session's station and EVSE when it is known)."""
        now = self._clock.now()
        return Command(
            id=self._ids.new_id(),
            type=kind,
            requester=requester,
            station_id=(session.station_id or "") if session is not None else "",
            location_id=session.location_id if session else None,
            evse_uid=session.evse_uid if session else None,
            connector_id=session.connector_id if session else None,
            session_id=session_id,
            reply_to=reply_to,
            created=now,
            last_updated=now,
        )

    async def _cancel_pending(self, command: Command, session_id: str) -> Command | None:
        """STOP_SESSION of a session still PENDING (accepted START_SESSION, no EV yet): nothing charges, so no
        station call. The session becomes INVALID, the injected token is withdrawn (a late start of it is
        no longer taken for this session), and the command is ACCEPTED at once, with its `command.result`
        row and event like any answered command. Returns None when the session is no longer PENDING."""
        injection = self._authorization.injected.find_session(session_id)
        # Under the injection's lock: a start that took the injection up before us is committed first.
        async with injection.lock if injection is not None else contextlib.nullcontext():
            if injection is not None:
                self._authorization.injected.remove(injection)
            now = self._clock.now()
            answered = command.model_copy(
                update={
                    "result": CommandResultType.ACCEPTED,
                    "message": "pending session cancelled",
                    "last_updated": now,
                }
            )
            async with self._db.unit_of_work() as uow:
                event = await self._sessions.cancel_pending(uow, session_id, now, PENDING_CANCELLED)
                if event is not None:
                    await uow.commands.put(answered)
                    payload = answered.model_dump(mode="json")
                    await uow.outbox.add(
                        outbox_message(Topic.COMMAND_RESULT, command_key(command.id), payload, now)
                    )
                    await uow.commit()
            if event is None:
                if injection is not None:
                    self._authorization.injected.add(injection)  # it started meanwhile: keep its token
                return None
        log.info("command_result", command_id=command.id, type=str(command.type), result="ACCEPTED")
        await self._bus.publish_all([CommandResultReceived(command=answered), event])
        return answered

    async def unlock_connector(
        self,
        *,
        location_id: str | None = None,
        evse_uid: str,
        connector_id: str,
        requester: PartyRef | None = None,
        reply_to: str | None = None,
    ) -> Command:
        target = await self._target(location_id=location_id, evse_uid=evse_uid)
        assert target.evse is not None
        assert target.evse_no is not None
        evse_no = target.evse_no
        connector_no = self._connector_no(target.evse, connector_id)
        command = self._new(
            CommandType.UNLOCK_CONNECTOR,
            target,
            requester=requester,
            reply_to=reply_to,
            connector_id=connector_id,
        )
        if not self._gateway.is_connected(target.station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        return await self._dispatch(
            command, lambda: self._gateway.unlock_connector(target.station_id, evse_no, connector_no)
        )

    async def reserve_now(
        self,
        *,
        evse_uid: str | None = None,
        location_id: str | None = None,
        token: Token,
        expiry: datetime,
        reservation_id: str,
        requester: PartyRef | None = None,
        reply_to: str | None = None,
    ) -> Command:
        target = await self._target(location_id=location_id, evse_uid=evse_uid)
        async with self._db.unit_of_work() as uow:
            earlier = await uow.commands.find_reservation(target.station_id, reservation_id, requester)
            if earlier is not None and earlier.station_reservation_id is not None:
                number = earlier.station_reservation_id  # the same reservation again replaces it (ocpp.md §6)
            else:
                number = await uow.commands.next_station_number(target.station_id, "reservation")
        command = self._new(
            CommandType.RESERVE_NOW,
            target,
            requester=requester,
            reply_to=reply_to,
            token_uid=token.uid,
            token_party=token.party,
            reservation_id=reservation_id,
            station_reservation_id=number,
            expiry=expiry,
        )
        self._reservation_stations[(requester.key() if requester else None, reservation_id.upper())] = (
            target.station_id
        )
        if not self._gateway.is_connected(target.station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        self._authorization.injected.add(
            Injection(
                station_id=target.station_id,
                token=token,
                expires=self._clock.now() + INJECTED_TOKEN_WINDOW,
                evse_uid=command.evse_uid,
                command_id=command.id,
                requester=requester,
                starts_session=False,
            )
        )
        call = lambda: self._gateway.reserve_now(target.station_id, number, target.evse_no, token.uid, expiry)  # noqa: E731
        return await self._dispatch(command, call)

    async def cancel_reservation(
        self, *, reservation_id: str, requester: PartyRef | None = None, reply_to: str | None = None
    ) -> Command:
        reservation = await self._find_reservation(reservation_id, requester)
        now = self._clock.now()
        command = Command(
            id=self._ids.new_id(),
            type=CommandType.CANCEL_RESERVATION,
            requester=requester,
            station_id=reservation.station_id if reservation else "",
            location_id=reservation.location_id if reservation else None,
            evse_uid=reservation.evse_uid if reservation else None,
            reservation_id=reservation_id,
            station_reservation_id=reservation.station_reservation_id if reservation else None,
            reply_to=reply_to,
            created=now,
            last_updated=now,
        )
        if reservation is None or reservation.station_reservation_id is None:
            return await self._refuse(command, CommandResultType.UNKNOWN_RESERVATION, "no such reservation")
        station_id, number = reservation.station_id, reservation.station_reservation_id
        if not self._gateway.is_connected(station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        return await self._dispatch(command, lambda: self._gateway.cancel_reservation(station_id, number))

    async def set_charging_limit(
        self,
        *,
        session_id: str,
        limit: Decimal,
        unit: str,
        requester: PartyRef | None = None,
        reply_to: str | None = None,
    ) -> Command:
        if unit not in CHARGING_LIMIT_UNITS:
            raise InvalidRequestError(f"charging limit unit must be W or A, not {unit!r}", field="unit")
        if limit < 0:
            raise InvalidRequestError("charging limit must not be negative", field="limit")
        session = await self._sessions.get(session_id)
        station_id = session.station_id if session is not None and session.station_id else ""
        now = self._clock.now()
        command = Command(
            id=self._ids.new_id(),
            type=CommandType.SET_CHARGING_LIMIT,
            requester=requester,
            station_id=station_id,
            location_id=session.location_id if session else None,
            evse_uid=session.evse_uid if session else None,
            connector_id=session.connector_id if session else None,
            session_id=session_id,
            limit=limit,
            limit_unit=unit,
            reply_to=reply_to,
            created=now,
            last_updated=now,
        )
        if session is None or not self._running(session) or not station_id:
            return await self._refuse(
                command, CommandResultType.UNKNOWN_SESSION, "no running session with this id"
            )
        if not self._gateway.is_connected(station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        evse_no = await self._evse_no(session)
        async with self._db.unit_of_work() as uow:
            profile_id = await uow.commands.next_station_number(station_id, "charging_profile")
        command = command.model_copy(update={"data": {"profile_id": profile_id}})
        transaction_id = session.transaction_id
        session_key = session.id.upper()

        def call() -> Awaitable[StationCommandReply]:
            return self._gateway.set_charging_limit(
                station_id, evse_no, transaction_id, profile_id, limit, unit
            )

        async def on_accepted(uow: UnitOfWork, done: Command, now: datetime) -> list[DomainEvent]:
            self._session_profiles[session_key] = (station_id, profile_id)
            return []

        return await self._dispatch(command, call, on_accepted)

    async def clear_charging_limit(
        self, *, session_id: str, requester: PartyRef | None = None, reply_to: str | None = None
    ) -> Command:
        """Remove the charging profile the last accepted SET_CHARGING_LIMIT of this session sent (same station
        profile id). Without one (never set, or set before this process started) the command is REJECTED at
        once: the hub never clears profiles it did not send."""
        session, command = await self._session_command(
            CommandType.CLEAR_CHARGING_LIMIT, session_id, requester, reply_to
        )
        if session is None:
            return await self._refuse(
                command, CommandResultType.UNKNOWN_SESSION, "no running session with this id"
            )
        session_key = session.id.upper()
        known = self._session_profiles.get(session_key)
        if known is None or known[0] != command.station_id:
            return await self._refuse(
                command, CommandResultType.REJECTED, "no charging limit of this hub to clear for this session"
            )
        station_id, profile_id = known
        command = command.model_copy(update={"data": {"profile_id": profile_id}})
        if not self._gateway.is_connected(station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")

        async def on_accepted(uow: UnitOfWork, done: Command, now: datetime) -> list[DomainEvent]:
            if self._session_profiles.get(session_key) == known:  # not replaced by a newer limit meanwhile
                del self._session_profiles[session_key]
            return []

        call = lambda: self._gateway.clear_charging_profile(station_id, profile_id)  # noqa: E731
        return await self._dispatch(command, call, on_accepted)

    async def charging_schedule(
        self,
        *,
        session_id: str,
        duration_s: int,
        requester: PartyRef | None = None,
        reply_to: str | None = None,
    ) -> Command:
        """The station's composite schedule for the session's EVSE over the next `duration_s` seconds; once
        ACCEPTED, `Command.data` holds it as {"start", "unit", "duration_s"?, "periods": [{"start_s",
        "limit"}]} (JSON-ready: times and limits as strings)."""
        if duration_s < 0:
            raise InvalidRequestError("duration must not be negative", field="duration")
        session, command = await self._session_command(
            CommandType.GET_CHARGING_SCHEDULE, session_id, requester, reply_to
        )
        if session is None:
            return await self._refuse(
                command, CommandResultType.UNKNOWN_SESSION, "no running session with this id"
            )
        station_id = command.station_id
        if not self._gateway.is_connected(station_id):
            return await self._refuse(command, CommandResultType.REJECTED, "station offline")
        evse_no = await self._evse_no(session)
        call = lambda: self._gateway.get_composite_schedule(station_id, evse_no, duration_s, None)  # noqa: E731
        return await self._dispatch(command, call)

    async def _session_command(
        self, kind: CommandType, session_id: str, requester: PartyRef | None, reply_to: str | None
    ) -> tuple[Session | None, Command]:
        """A new command about a session, and the session when it is running on a station of ours."""
        session = await self._sessions.get(session_id)
        command = self._about_session(kind, session_id, session, requester, reply_to)
        running = session is not None and self._running(session) and bool(command.station_id)
        return (session if running else None), command
