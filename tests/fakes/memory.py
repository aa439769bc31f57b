"""An in-memory implementation of `hub.core.ports.Database` for core unit tests and the repository contract
suite: every unit of work works on a copy taken when it begins and applies its writes on commit, so a
rollback (or leaving without commit) discards everything, outbox rows included.

Imports the standard library and the core only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from hub.core.errors import ConflictError
from hub.core.models import (
    Alarm,
    Cdr,
    CdrRating,
    Command,
    CommandType,
    Location,
    OutboxMessage,
    PartnerRecord,
    Party,
    PartyRef,
    Platform,
    PlatformStatus,
    Session,
    SessionStatus,
    Station,
    StationNotification,
    Tariff,
    Token,
    TokenType,
)
from hub.core.ports import (
    AlarmRepository,
    CdrRatingRepository,
    CdrRepository,
    CommandRepository,
    LocationRepository,
    OutboxRepository,
    PartnerRecordRepository,
    PartyRepository,
    PlatformRepository,
    SessionRepository,
    StationNotificationRepository,
    StationRepository,
    TariffRepository,
    TokenRepository,
    UnitOfWork,
)

T = TypeVar("T")

MAX_TRANSACTION_NUMBER = 2**31 - 1


@dataclass
class _Tables:
    parties: dict[str, Party] = field(default_factory=dict)
    locations: dict[tuple[str, str], Location] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)
    tokens: dict[tuple[str, str, str], Token] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    cdrs: dict[str, Cdr] = field(default_factory=dict)
    tariffs: dict[tuple[str, str], Tariff] = field(default_factory=dict)
    tariff_versions: dict[tuple[str, str, datetime], Tariff] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    alarms: dict[str, Alarm] = field(default_factory=dict)
    notifications: dict[str, StationNotification] = field(default_factory=dict)
    outbox: dict[int, OutboxMessage] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)
    records: dict[tuple[str, str, str], PartnerRecord] = field(default_factory=dict)
    ratings: dict[tuple[str, str], CdrRating] = field(default_factory=dict)

    NAMES = (
        "parties",
        "locations",
        "stations",
        "tokens",
        "sessions",
        "cdrs",
        "tariffs",
        "tariff_versions",
        "commands",
        "alarms",
        "notifications",
        "outbox",
        "platforms",
        "records",
        "ratings",
    )

    def copy(self) -> _Tables:
        return _Tables(**{name: dict(getattr(self, name)) for name in self.NAMES})


def _in_window(when: datetime, date_from: datetime | None, date_to: datetime | None) -> bool:
    """date_from inclusive, date_to exclusive (OCPI pagination)."""
    return (date_from is None or when >= date_from) and (date_to is None or when < date_to)


def _page(items: Sequence[T], offset: int, limit: int | None) -> list[T]:
    end = None if limit is None else offset + limit
    return list(items[offset:end])


def _party_matches(party: PartyRef, wanted: PartyRef | None) -> bool:
    return wanted is None or party.key() == wanted.key()


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _t(self) -> _Tables:
        return self._uow._working()

    def _write(self, table: str, key: Any) -> None:
        self._uow._dirty.setdefault(table, {})[key] = None  # ordered: rows apply in write order


class _Parties(_Repo):
    async def get(self, ref: PartyRef) -> Party | None:
        return self._t.parties.get(ref.key())

    async def put(self, party: Party) -> None:
        self._t.parties[party.ref.key()] = party
        self._write("parties", party.ref.key())

    async def list(self) -> Sequence[Party]:
        return sorted(self._t.parties.values(), key=lambda p: p.ref.key())


class _Locations(_Repo):
    async def get(self, party: PartyRef, location_id: str) -> Location | None:
        return self._t.locations.get((party.key(), location_id.upper()))

    async def put(self, location: Location) -> None:
        key = (location.party.key(), location.id.upper())
        self._t.locations[key] = location
        self._write("locations", key)

    def _select(
        self, party: PartyRef | None, date_from: datetime | None, date_to: datetime | None
    ) -> list[Location]:
        found = [
            loc
            for loc in self._t.locations.values()
            if _party_matches(loc.party, party) and _in_window(loc.last_updated, date_from, date_to)
        ]
        return sorted(found, key=lambda loc: (loc.last_updated, loc.id))

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Location]:
        return _page(self._select(party, date_from, date_to), offset, limit)

    async def count(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        return len(self._select(party, date_from, date_to))

    async def find_by_evse(self, evse_uid: str) -> Location | None:
        return next((loc for loc in self._t.locations.values() if loc.evse(evse_uid) is not None), None)


class _Stations(_Repo):
    async def get(self, station_id: str) -> Station | None:
        return self._t.stations.get(station_id.upper())

    async def put(self, station: Station) -> None:
        self._t.stations[station.id.upper()] = station
        self._write("stations", station.id.upper())

    async def list(self) -> Sequence[Station]:
        return sorted(self._t.stations.values(), key=lambda s: s.id)


class _Tokens(_Repo):
    async def get(
        self, uid: str, party: PartyRef | None = None, type: TokenType | None = None
    ) -> Token | None:
        found = [
            t
            for (party_key, tuid, ttype), t in self._t.tokens.items()
            if tuid == uid.upper()
            and (party is None or party_key == party.key())
            and (type is None or ttype == type.value)
        ]
        found.sort(key=lambda t: (not t.own, t.type is not TokenType.RFID, t.party.key(), t.type.value))
        return found[0] if found else None

    async def put(self, token: Token) -> None:
        key = (token.party.key(), token.uid.upper(), token.type.value)
        self._t.tokens[key] = token
        self._write("tokens", key)

    async def list(
        self, party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Token]:
        found = [t for t in self._t.tokens.values() if _party_matches(t.party, party)]
        found.sort(key=lambda t: (t.last_updated, t.party.key(), t.uid, t.type.value))
        return _page(found, offset, limit)


class _Sessions(_Repo):
    async def get(self, session_id: str) -> Session | None:
        return self._t.sessions.get(session_id.upper())

    async def put(self, session: Session) -> None:
        self._t.sessions[session.id.upper()] = session
        self._write("sessions", session.id.upper())

    async def find_by_transaction(self, station_id: str, transaction_id: str) -> Session | None:
        return next(
            (
                s
                for s in self._t.sessions.values()
                if s.station_id is not None
                and s.station_id.upper() == station_id.upper()
                and s.transaction_id == transaction_id
            ),
            None,
        )

    async def find_by_idempotency_key(self, key: str) -> Session | None:
        return next((s for s in self._t.sessions.values() if s.idempotency_key == key), None)

    async def find_active(self, station_id: str, evse_uid: str | None = None) -> Sequence[Session]:
        found = [
            s
            for s in self._t.sessions.values()
            if s.status in (SessionStatus.PENDING, SessionStatus.ACTIVE)
            and s.station_id is not None
            and s.station_id.upper() == station_id.upper()
            and (evse_uid is None or (s.evse_uid is not None and s.evse_uid.upper() == evse_uid.upper()))
        ]
        return sorted(found, key=lambda s: (s.start, s.id))

    async def find_pending_remote_start(self, station_id: str, remote_start_id: int) -> Session | None:
        return next(
            (
                s
                for s in self._t.sessions.values()
                if s.status is SessionStatus.PENDING
                and s.remote_start_id == remote_start_id
                and s.station_id is not None
                and s.station_id.upper() == station_id.upper()
            ),
            None,
        )

    async def find_pending(self, started_before: datetime, limit: int) -> Sequence[Session]:
        found = [
            s
            for s in self._t.sessions.values()
            if s.status is SessionStatus.PENDING and s.start < started_before
        ]
        return sorted(found, key=lambda s: (s.start, s.id))[:limit]

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Session]:
        found = [
            s
            for s in self._t.sessions.values()
            if _party_matches(s.party, party) and _in_window(s.last_updated, date_from, date_to)
        ]
        found.sort(key=lambda s: (s.last_updated, s.id))
        return _page(found, offset, limit)

    async def next_transaction_number(self) -> int:
        # Like a database sequence: never handed out twice, not returned on rollback.
        return self._uow._db._next_transaction_number()


class _Cdrs(_Repo):
    async def get(self, cdr_id: str) -> Cdr | None:
        return self._t.cdrs.get(cdr_id.upper())

    async def add(self, cdr: Cdr) -> None:
        key = cdr.id.upper()
        if key in self._t.cdrs:
            raise ConflictError(f"CDR {cdr.id} exists already")
        self._t.cdrs[key] = cdr
        self._write("cdrs", key)
        self._uow._inserted_cdrs.add(key)

    async def find_by_session(self, session_id: str) -> Sequence[Cdr]:
        found = [c for c in self._t.cdrs.values() if c.session_id.upper() == session_id.upper()]
        return sorted(found, key=lambda c: (c.last_updated, c.id))

    async def list(
        self,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Cdr]:
        found = [
            c
            for c in self._t.cdrs.values()
            if _party_matches(c.party, party) and _in_window(c.last_updated, date_from, date_to)
        ]
        found.sort(key=lambda c: (c.last_updated, c.id))
        return _page(found, offset, limit)


class _Tariffs(_Repo):
    async def get(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        return self._t.tariffs.get((party.key(), tariff_id.upper()))

    async def get_at(self, party: PartyRef, tariff_id: str, at: datetime) -> Tariff | None:
        versions = [
            t
            for (party_key, id_key, when), t in self._t.tariff_versions.items()
            if party_key == party.key() and id_key == tariff_id.upper() and when <= at
        ]
        return max(versions, key=lambda t: t.last_updated, default=None)

    async def put(self, tariff: Tariff) -> None:
        key = (tariff.party.key(), tariff.id.upper())
        self._t.tariffs[key] = tariff
        self._write("tariffs", key)
        version = (*key, tariff.last_updated)
        self._t.tariff_versions[version] = tariff  # deletes keep versions
        self._write("tariff_versions", version)

    async def delete(self, party: PartyRef, tariff_id: str) -> None:
        key = (party.key(), tariff_id.upper())
        self._t.tariffs.pop(key, None)
        self._write("tariffs", key)

    async def list(self, party: PartyRef | None = None) -> Sequence[Tariff]:
        found = [t for t in self._t.tariffs.values() if _party_matches(t.party, party)]
        return sorted(found, key=lambda t: (t.last_updated, t.id))


class _Ratings(_Repo):
    async def get(self, cpo_party: PartyRef, cdr_id: str) -> CdrRating | None:
        return self._t.ratings.get((cpo_party.key(), cdr_id.upper()))

    async def put(self, rating: CdrRating) -> None:
        key = (rating.cpo_party.key(), rating.cdr_id.upper())
        self._t.ratings[key] = rating
        self._write("ratings", key)

    async def list(
        self, emsp_party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[CdrRating]:
        found = [r for r in self._t.ratings.values() if _party_matches(r.emsp_party, emsp_party)]
        found.sort(key=lambda r: (r.rated_at, r.cdr_id, r.cpo_party.key()))
        return _page(found, offset, limit)


class _Commands(_Repo):
    async def get(self, command_id: str) -> Command | None:
        return self._t.commands.get(command_id.upper())

    async def put(self, command: Command) -> None:
        self._t.commands[command.id.upper()] = command
        self._write("commands", command.id.upper())

    async def find_reservation(
        self, station_id: str, reservation_id: str, requester: PartyRef | None
    ) -> Command | None:
        latest: Command | None = None
        for command in self._t.commands.values():  # insertion order: oldest first
            if (
                command.type is CommandType.RESERVE_NOW
                and command.station_id.upper() == station_id.upper()
                and command.reservation_id is not None
                and command.reservation_id.upper() == reservation_id.upper()
                and (command.requester.key() if command.requester else None)
                == (requester.key() if requester else None)
                and (latest is None or command.created >= latest.created)
            ):
                latest = command
        return latest

    async def next_station_number(self, station_id: str, kind: str) -> int:
        return self._uow._db._next_station_number(station_id, kind)


class _Alarms(_Repo):
    async def put(self, alarm: Alarm) -> None:
        self._t.alarms[alarm.id.upper()] = alarm
        self._write("alarms", alarm.id.upper())

    async def open_alarms(self, station_id: str) -> Sequence[Alarm]:
        found = [
            a
            for a in self._t.alarms.values()
            if a.ended is None and a.station_id.upper() == station_id.upper()
        ]
        return sorted(found, key=lambda a: (a.started, a.id))

    async def list(
        self, station_id: str | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Alarm]:
        found = [
            a
            for a in self._t.alarms.values()
            if station_id is None or a.station_id.upper() == station_id.upper()
        ]
        found.sort(key=lambda a: (a.started, a.id))
        return _page(found, offset, limit)


class _Notifications(_Repo):
    async def add(self, notification: StationNotification) -> None:
        key = notification.id.upper()
        if key in self._t.notifications:
            raise ConflictError(f"notification {notification.id} exists already")
        self._t.notifications[key] = notification
        self._write("notifications", key)

    async def list(
        self, station_id: str, kind: str | None = None, limit: int | None = None
    ) -> Sequence[StationNotification]:
        """Oldest first; with `limit`, the most recent `limit` of them."""
        found = [
            n
            for n in self._t.notifications.values()
            if n.station_id.upper() == station_id.upper() and (kind is None or n.kind == kind)
        ]
        found.sort(key=lambda n: (n.timestamp, n.id))
        return found if limit is None else found[max(0, len(found) - limit) :]


class _Outbox(_Repo):
    async def add(self, message: OutboxMessage) -> int:
        message_id = self._uow._db._next_outbox_id()
        self._t.outbox[message_id] = message.model_copy(update={"id": message_id})
        self._write("outbox", message_id)
        return message_id

    async def claim_due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        undelivered = sorted(
            (m for m in self._t.outbox.values() if m.delivered_at is None), key=lambda m: m.id or 0
        )
        seen_keys: set[str] = set()
        claimed: list[OutboxMessage] = []
        for message in undelivered:
            if message.key in seen_keys:
                continue  # only the oldest undelivered message of a key may go: keys are delivered in order
            seen_keys.add(message.key)
            assert message.id is not None
            if message.next_attempt_at > now or not self._uow._db._claim(message.id, self._uow):
                continue
            claimed.append(message)
            if len(claimed) >= limit:
                break
        return claimed

    def _update(self, message_id: int, **changes: Any) -> None:
        message = self._t.outbox.get(message_id)
        if message is None:
            return
        self._t.outbox[message_id] = message.model_copy(update=changes)
        self._write("outbox", message_id)

    async def mark_delivered(self, message_id: int, when: datetime) -> None:
        self._update(message_id, delivered_at=when)

    async def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None:
        message = self._t.outbox.get(message_id)
        attempts = (message.attempts if message else 0) + 1
        self._update(message_id, last_error=error, next_attempt_at=next_attempt_at, attempts=attempts)

    async def lease(self, message_id: int, until: datetime) -> None:
        self._update(message_id, next_attempt_at=until)

    async def depth(self) -> int:
        return sum(1 for m in self._t.outbox.values() if m.delivered_at is None)

    @staticmethod
    def _targeted(message: OutboxMessage, topic: str, target_prefix: str | None) -> bool:
        if message.topic != topic:
            return False
        if target_prefix is None:
            return True
        return message.target is not None and message.target.startswith(target_prefix)

    async def latest(self, topic: str, target_prefix: str | None = None) -> Sequence[OutboxMessage]:
        newest: dict[tuple[str, str], OutboxMessage] = {}
        for message in sorted(self._t.outbox.values(), key=lambda m: m.id or 0):
            if self._targeted(message, topic, target_prefix):
                newest[(message.target or "", message.key)] = message
        return [newest[k] for k in sorted(newest)]

    async def retry_failed(self, topic: str, target_prefix: str | None, when: datetime) -> int:
        failed = [
            m.id
            for m in self._t.outbox.values()
            if self._targeted(m, topic, target_prefix) and m.delivered_at is None and m.attempts > 0
        ]
        for message_id in failed:
            assert message_id is not None
            self._update(message_id, next_attempt_at=when)
        return len(failed)


class _Platforms(_Repo):
    async def get(self, platform_id: str) -> Platform | None:
        return self._t.platforms.get(platform_id)

    async def put(self, platform: Platform) -> None:
        self._t.platforms[platform.id] = platform
        self._write("platforms", platform.id)

    async def list(self) -> Sequence[Platform]:
        return sorted(self._t.platforms.values(), key=lambda p: (p.name, p.id))

    async def find_by_token(self, token: str) -> Platform | None:
        for platform in self._t.platforms.values():
            if token in (platform.invitation_token, platform.inbound_token, platform.previous_inbound_token):
                return platform
        return None

    async def find_by_party(self, party: PartyRef) -> Platform | None:
        found = [
            p
            for p in self._t.platforms.values()
            if p.status is not PlatformStatus.SUSPENDED and p.role_of(party) is not None
        ]
        found.sort(key=lambda p: (p.last_updated, p.id), reverse=True)
        return found[0] if found else None


class _Records(_Repo):
    @staticmethod
    def _key(module: str, party: PartyRef, record_id: str) -> tuple[str, str, str]:
        return (module, party.key(), record_id.upper())

    async def get(self, module: str, party: PartyRef, record_id: str) -> PartnerRecord | None:
        return self._t.records.get(self._key(module, party, record_id))

    async def put(self, record: PartnerRecord) -> None:
        key = self._key(record.module, record.party, record.id)
        self._t.records[key] = record
        self._write("records", key)

    async def delete(self, module: str, party: PartyRef, record_id: str) -> None:
        key = self._key(module, party, record_id)
        self._t.records.pop(key, None)
        self._write("records", key)

    def _select(
        self, module: str, party: PartyRef | None, date_from: datetime | None, date_to: datetime | None
    ) -> list[PartnerRecord]:
        found = [
            r
            for r in self._t.records.values()
            if r.module == module
            and _party_matches(r.party, party)
            and _in_window(r.last_updated, date_from, date_to)
        ]
        return sorted(found, key=lambda r: (r.last_updated, r.id))

    async def list(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[PartnerRecord]:
        return _page(self._select(module, party, date_from, date_to), offset, limit)

    async def count(
        self,
        module: str,
        party: PartyRef | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> int:
        return len(self._select(module, party, date_from, date_to))


class InMemoryUnitOfWork:
    """One 'transaction' over the in-memory tables (copy on begin, apply on commit)."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db
        self._snapshot: _Tables | None = None
        self._dirty: dict[str, dict[Any, None]] = {}
        self._inserted_cdrs: set[str] = set()
        self.parties: PartyRepository = _Parties(self)
        self.locations: LocationRepository = _Locations(self)
        self.stations: StationRepository = _Stations(self)
        self.tokens: TokenRepository = _Tokens(self)
        self.sessions: SessionRepository = _Sessions(self)
        self.cdrs: CdrRepository = _Cdrs(self)
        self.tariffs: TariffRepository = _Tariffs(self)
        self.commands: CommandRepository = _Commands(self)
        self.alarms: AlarmRepository = _Alarms(self)
        self.notifications: StationNotificationRepository = _Notifications(self)
        self.outbox: OutboxRepository = _Outbox(self)
        self.platforms: PlatformRepository = _Platforms(self)
        self.records: PartnerRecordRepository = _Records(self)
        self.ratings: CdrRatingRepository = _Ratings(self)

    def _working(self) -> _Tables:
        if self._snapshot is None:
            self._begin()
        assert self._snapshot is not None
        return self._snapshot

    def _begin(self) -> None:
        self._snapshot = self._db._tables.copy()
        self._dirty = {}
        self._inserted_cdrs = set()

    def _end(self) -> None:
        self._snapshot = None
        self._dirty = {}
        self._inserted_cdrs = set()
        self._db._release_claims(self)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end()

    async def commit(self) -> None:
        if self._snapshot is None:
            return
        self._db._apply(self._snapshot, self._dirty, self._inserted_cdrs)
        self._db.commits += 1
        self._end()

    async def rollback(self) -> None:
        self._db.rollbacks += 1
        self._end()


class InMemoryDatabase:
    """`hub.core.ports.Database` in memory. `commits`/`rollbacks` count finished units of work (for tests that
    check the handshake path does not touch the database)."""

    def __init__(self) -> None:
        self._tables = _Tables()
        self._transaction_numbers = itertools.count(1)
        self._station_numbers: dict[tuple[str, str], int] = {}
        self._outbox_ids = itertools.count(1)
        self._claims: dict[int, InMemoryUnitOfWork] = {}
        self.units_begun = 0
        self.commits = 0
        self.rollbacks = 0
        self.closed = False

    def unit_of_work(self) -> UnitOfWork:
        self.units_begun += 1
        return InMemoryUnitOfWork(self)

    async def ping(self) -> bool:
        return not self.closed

    async def close(self) -> None:
        self.closed = True

    # --- helpers for the units of work ---------------------------------------------------------------

    def _next_transaction_number(self) -> int:
        number = next(self._transaction_numbers)
        if number > MAX_TRANSACTION_NUMBER:
            raise OverflowError("transaction numbers exhausted")
        return number

    def _next_station_number(self, station_id: str, kind: str) -> int:
        key = (station_id.upper(), kind)
        self._station_numbers[key] = self._station_numbers.get(key, 0) + 1
        return self._station_numbers[key]

    def _next_outbox_id(self) -> int:
        return next(self._outbox_ids)

    def _claim(self, message_id: int, uow: InMemoryUnitOfWork) -> bool:
        owner = self._claims.get(message_id)
        if owner is not None and owner is not uow:
            return False
        self._claims[message_id] = uow
        return True

    def _release_claims(self, uow: InMemoryUnitOfWork) -> None:
        for message_id in [m for m, owner in self._claims.items() if owner is uow]:
            del self._claims[message_id]

    def _apply(self, working: _Tables, dirty: dict[str, dict[Any, None]], inserted_cdrs: set[str]) -> None:
        for key in inserted_cdrs:
            if key in self._tables.cdrs:  # another unit of work committed the same CDR id first
                raise ConflictError(f"CDR {key} exists already")
        new_keys = {s.idempotency_key for k, s in working.sessions.items() if k in dirty.get("sessions", {})}
        for key, session in self._tables.sessions.items():
            if (
                session.idempotency_key is not None
                and session.idempotency_key in new_keys
                and key not in dirty.get("sessions", {})
            ):
                raise ConflictError(
                    f"a session with idempotency key {session.idempotency_key} exists already"
                )
        for name, keys in dirty.items():
            source: dict[Any, Any] = getattr(working, name)
            target: dict[Any, Any] = getattr(self._tables, name)
            for key in keys:
                if key in source:
                    target[key] = source[key]
                else:
                    target.pop(key, None)

    # --- inspection for tests ------------------------------------------------------------------------

    def committed(self, table: str) -> list[Any]:
        """The committed rows of one table (`sessions`, `cdrs`, `outbox`, …), in insertion order."""
        rows: dict[Any, Any] = getattr(self._tables, table)
        return list(rows.values())

    def outbox_topics(self) -> list[str]:
        return [m.topic for m in self._tables.outbox.values()]

    def select(self, table: str, predicate: Callable[[Any], bool]) -> list[Any]:
        return [row for row in self.committed(table) if predicate(row)]
