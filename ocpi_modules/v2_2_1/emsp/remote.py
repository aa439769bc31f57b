"""Our eMSP as the core's port to partner CPOs (`hub.core.remote.RemoteCpos`): the locations, tariffs,
sessions and CDRs the Receivers stored, mapped to core models on the way out, and START_SESSION /
STOP_SESSION through the Commands Sender. A start for a party that is no eMSP of the CPO (a 互联互通 EMSP)
carries a token of our eMSP standing for its driver: created here (APP_USER, whitelist ALWAYS — the party
that asked vouches for the driver — and not `own`, so it is not distributed to every CPO).

An adapter module: imports the core and ocpi_modules only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import structlog

from hub.core.errors import InvalidRequestError, NotFoundError, RejectedError
from hub.core.models import (
    Cdr,
    Location,
    PartnerRecord,
    PartyRef,
    Role,
    Session,
    Tariff,
    Token,
    TokenType,
    WhitelistType,
)
from hub.core.models.remote import RemoteCommand, RemoteStart
from hub.core.remote import RemoteCpos
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.cdrs import to_core_cdr
from ocpi_modules.v2_2_1.emsp import commands
from ocpi_modules.v2_2_1.emsp.mapping import to_core_location, to_core_session, to_remote_command
from ocpi_modules.v2_2_1.emsp.parties import our_emsp
from ocpi_modules.v2_2_1.emsp.records import CDRS, LOCATIONS, SESSIONS, TARIFFS
from ocpi_modules.v2_2_1.tariffs import to_core_tariff

log = structlog.get_logger(__name__)

T = TypeVar("T")


class OcpiRemoteCpos:
    """Implements `RemoteCpos` over the runtime of OCPI 2.2.1 (the core is read when called)."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt

    # --- what the CPOs told us ---------------------------------------------------------------------------

    async def _reachable(self, party: PartyRef) -> bool:
        """A CPO on a registered platform (not SUSPENDED), or behind the one hub we are registered with;
        never one of our own parties."""
        rt = self._rt
        if rt.config.hosted_party(party) is not None:
            return False
        platform = await rt.core.platforms.find_by_party(party)
        if platform is not None:
            entry = platform.role_of(party)
            return entry is not None and entry.role is Role.CPO
        return await commands.hub_platform(rt) is not None

    @staticmethod
    def _read(kind: str, record: PartnerRecord, build: Callable[[dict[str, Any], PartyRef], T]) -> T | None:
        """`build(data, owner)`, or None (and a log line) for a record the core cannot read."""
        try:
            return build(record.data, record.party)
        except (InvalidRequestError, ValueError, KeyError) as exc:  # pydantic's ValidationError: ValueError
            log.info(
                "ocpi_remote_object_unreadable",
                kind=kind,
                party=str(record.party),
                id=record.id,
                error=str(exc)[:200],
            )
            return None

    async def locations(
        self, party: PartyRef | None = None, date_from: datetime | None = None
    ) -> Sequence[Location]:
        records = await self._rt.core.records.list(LOCATIONS, party, date_from=date_from)
        reachable: dict[str, bool] = {}
        found: list[Location] = []
        for record in records:
            key = record.party.key()
            if key not in reachable:
                reachable[key] = await self._reachable(record.party)
            location = self._read("location", record, to_core_location) if reachable[key] else None
            if location is not None:
                found.append(location)
        return found

    async def location(self, party: PartyRef, location_id: str) -> Location | None:
        record = await self._rt.core.records.get(LOCATIONS, party, location_id)
        if record is None or not await self._reachable(record.party):
            return None
        return self._read("location", record, to_core_location)

    async def tariff(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        record = await self._rt.core.records.get(TARIFFS, party, tariff_id)
        return self._read("tariff", record, _tariff) if record is not None else None

    async def session(self, party: PartyRef, session_id: str) -> Session | None:
        record = await self._rt.core.records.get(SESSIONS, party, session_id)
        return self._read("session", record, to_core_session) if record is not None else None

    async def sessions(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Session]:
        records = await self._rt.core.records.list(SESSIONS, party, date_from=date_from)
        mapped = (self._read("session", r, to_core_session) for r in records)
        return [s for s in mapped if s is not None]

    async def cdrs(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Cdr]:
        records = await self._rt.core.records.list(CDRS, party, date_from=date_from)
        mapped = (self._read("cdr", r, _cdr) for r in records)
        return [c for c in mapped if c is not None]

    # --- commands ------------------------------------------------------------------------------------------

    async def _stand_in(self, start: RemoteStart) -> Token:
        """Our eMSP's token for the start (kept as it was when it exists)."""
        rt = self._rt
        try:
            emsp = our_emsp(rt)
        except NotFoundError as exc:
            raise RejectedError(str(exc)) from None
        existing = await rt.core.tokens.get(start.token_uid, emsp.ref, TokenType.APP_USER)
        if existing is not None:
            return existing
        token = Token(
            uid=start.token_uid,
            party=emsp.ref,
            type=TokenType.APP_USER,
            contract_id=start.contract_id,
            issuer=start.issuer,
            whitelist=WhitelistType.ALWAYS,
            last_updated=rt.clock.now(),
        )
        return await rt.core.tokens.put(token)

    async def start_session(self, start: RemoteStart) -> RemoteCommand:
        token = await self._stand_in(start)
        stored = await commands.start_session(
            self._rt,
            token_uid=token.uid,
            location_id=start.location_id,
            evse_uid=start.evse_uid,
            connector_id=start.connector_id,
            cpo=start.cpo,
            authorization_reference=start.authorization_reference,
        )
        return to_remote_command(stored, self._rt.clock.now())

    async def stop_session(self, party: PartyRef, session_id: str) -> RemoteCommand:
        stored = await commands.stop_session(self._rt, session_id=session_id, cpo=party)
        return to_remote_command(stored, self._rt.clock.now())

    async def command(self, command_id: str) -> RemoteCommand | None:
        stored: dict[str, Any] | None = await commands.command_result(self._rt, command_id)
        if stored is None:
            return None
        try:
            return to_remote_command(stored, self._rt.clock.now())
        except (InvalidRequestError, ValueError, KeyError) as exc:
            log.warning("ocpi_remote_command_unreadable", command_id=command_id, error=str(exc)[:200])
            return None


def _tariff(data: dict[str, Any], party: PartyRef) -> Tariff:
    return to_core_tariff(data, default_party=party)


def _cdr(data: dict[str, Any], party: PartyRef) -> Cdr:
    return to_core_cdr(data, default_party=party)


def _conforms(port: OcpiRemoteCpos) -> RemoteCpos:
    return port  # mypy checks here that OcpiRemoteCpos implements the port
