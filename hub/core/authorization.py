"""Token authorization: own tokens by their `valid` flag, roaming tokens by their whitelist type and a
real-time question to the owner (with a deadline), and tokens the hub itself injected into a station.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from hub.core.clock import Clock
from hub.core.models import (
    AuthMethod,
    AuthorizationDecision,
    AuthorizationStatus,
    PartyRef,
    Token,
    WhitelistType,
)
from hub.core.ports import Database, RemoteAuthorizer

log = structlog.get_logger(__name__)

# How long a token the hub sent to a station (START_SESSION, RESERVE_NOW) counts as injected: the station may
# re-authorize it (AuthorizeRemoteTxRequests / AuthCtrlr.AuthorizeRemoteStart) and start within this window.
INJECTED_TOKEN_WINDOW = timedelta(minutes=5)
# A transaction start right after an Authorize reuses that decision instead of asking the owner again.
RECENT_DECISION_TTL = timedelta(minutes=2)


def fingerprint(uid: str) -> str:
    """A short, stable stand-in for a token uid in logs (never log raw tokens)."""
    return hashlib.sha256(uid.upper().encode()).hexdigest()[:10]


@dataclass
class Injection:
    """A token the hub sent to a station by command; correlates the station's later start with it."""

    station_id: str
    token: Token
    expires: datetime
    authorization_reference: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    remote_start_id: int | None = None
    command_id: str | None = None
    requester: PartyRef | None = None
    starts_session: bool = True  # False for RESERVE_NOW: only re-authorization, no correlation
    session_id: str | None = None  # set once a transaction start took it up
    accepted: bool = field(default=False)  # the station accepted the command
    # Serialises the two writers of this injection's session: the station's transaction start and the
    # command's accepted answer, which race (a station often starts before its answer is processed).
    # Taken before either opens its unit of work, so it never waits while holding the database.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)


class InjectedTokens:
    """In-memory register of injected tokens (a station's connection lives in one process)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._items: list[Injection] = []

    def add(self, injection: Injection) -> Injection:
        self._purge()
        self._items.append(injection)
        return injection

    def _purge(self) -> None:
        now = self._clock.now()
        self._items = [i for i in self._items if i.expires > now]

    def find(self, station_id: str | None, uid: str) -> Injection | None:
        """The newest live injection of `uid` (at `station_id` when given)."""
        self._purge()
        for injection in reversed(self._items):
            if injection.token.uid.upper() == uid.upper() and (
                station_id is None or injection.station_id.upper() == station_id.upper()
            ):
                return injection
        return None

    def find_start(self, station_id: str, uid: str | None, remote_start_id: int | None) -> Injection | None:
        """A live, not yet used START_SESSION injection matching the remote-start id, else the token."""
        self._purge()
        for injection in reversed(self._items):
            if not injection.starts_session or injection.session_id is not None:
                continue
            if injection.station_id.upper() != station_id.upper():
                continue
            if remote_start_id is not None and injection.remote_start_id == remote_start_id:
                return injection
            if uid is not None and injection.token.uid.upper() == uid.upper():
                return injection
        return None

    def find_guard(self, station_id: str, uid: str | None, remote_start_id: int | None) -> Injection | None:
        """Like `find_start`, but also an injection already taken up by a PENDING session: a station's start
        takes its lock so that a cancel (STOP_SESSION of the PENDING session) cannot interleave with it."""
        self._purge()
        for injection in reversed(self._items):
            if not injection.starts_session or injection.station_id.upper() != station_id.upper():
                continue
            if remote_start_id is not None and injection.remote_start_id == remote_start_id:
                return injection
            if uid is not None and injection.token.uid.upper() == uid.upper():
                return injection
        return None

    def find_session(self, session_id: str) -> Injection | None:
        """The live injection whose START_SESSION made (or was taken up by) session `session_id`."""
        self._purge()
        return next((i for i in self._items if i.session_id == session_id), None)

    def remove(self, injection: Injection) -> None:
        self._items = [i for i in self._items if i is not injection]


@dataclass(frozen=True)
class Verdict:
    decision: AuthorizationDecision
    method: AuthMethod  # how the decision was reached, recorded on the session


class AuthorizationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        remote: RemoteAuthorizer | None,
        timeout_s: float,
        injected: InjectedTokens,
    ) -> None:
        self._db = db
        self._clock = clock
        self._remote = remote
        self._timeout_s = timeout_s
        self.injected = injected
        self._recent: dict[tuple[str, str], tuple[Verdict, datetime]] = {}
        self._recent_purge_at: datetime | None = None  # expired decisions are dropped at most once per TTL

    async def authorize(
        self,
        uid: str,
        *,
        station_id: str | None = None,
        location_id: str | None = None,
        evse_uid: str | None = None,
    ) -> AuthorizationDecision:
        verdict = await self.verdict(uid, station_id=station_id, location_id=location_id, evse_uid=evse_uid)
        return verdict.decision

    async def verdict(
        self,
        uid: str,
        *,
        station_id: str | None = None,
        location_id: str | None = None,
        evse_uid: str | None = None,
        reuse_recent: bool = False,
    ) -> Verdict:
        """The decision and how it was reached. With `reuse_recent`, a decision made for this token at this
        station in the last RECENT_DECISION_TTL is returned without asking anyone again."""
        key = ((station_id or "").upper(), uid.upper())
        now = self._clock.now()
        if reuse_recent:
            cached = self._recent.get(key)
            if cached is not None and cached[1] > now:
                return cached[0]
        verdict = await self._decide(uid, station_id, location_id, evse_uid)
        if self._recent_purge_at is None or now >= self._recent_purge_at:
            # Not on every call: with thousands of stations that copy would cost more than the decision.
            self._recent = {k: v for k, v in self._recent.items() if v[1] > now}
            self._recent_purge_at = now + RECENT_DECISION_TTL
        self._recent[key] = (verdict, now + RECENT_DECISION_TTL)
        log.info(
            "token_authorized",
            token=fingerprint(uid),
            station_id=station_id,
            status=str(verdict.decision.status),
            method=str(verdict.method),
        )
        return verdict

    async def _decide(
        self, uid: str, station_id: str | None, location_id: str | None, evse_uid: str | None
    ) -> Verdict:
        injection = self.injected.find(station_id, uid) if station_id else None
        if injection is not None:
            return Verdict(
                AuthorizationDecision(
                    status=AuthorizationStatus.ALLOWED,
                    token=injection.token,
                    authorization_reference=injection.authorization_reference,
                    reason="injected by the hub",
                ),
                AuthMethod.COMMAND,
            )
        async with self._db.unit_of_work() as uow:
            token = await uow.tokens.get(uid)
        if token is None:
            return Verdict(
                AuthorizationDecision(status=AuthorizationStatus.UNKNOWN, reason="unknown token"),
                AuthMethod.WHITELIST,
            )
        if token.own or token.whitelist is WhitelistType.ALWAYS:
            return Verdict(self._by_valid_flag(token), AuthMethod.WHITELIST)
        answer = await self._ask_owner(token, location_id, evse_uid)
        if answer is not None:
            if answer.token is None:
                answer = answer.model_copy(update={"token": token})
            return Verdict(answer, AuthMethod.AUTH_REQUEST)
        if token.whitelist is WhitelistType.NEVER:
            return Verdict(
                AuthorizationDecision(
                    status=AuthorizationStatus.NOT_ALLOWED, token=token, reason="token owner did not answer"
                ),
                AuthMethod.AUTH_REQUEST,
            )
        # ALLOWED and ALLOWED_OFFLINE: the owner is unreachable, the whitelisted copy decides.
        return Verdict(self._by_valid_flag(token), AuthMethod.WHITELIST)

    @staticmethod
    def _by_valid_flag(token: Token) -> AuthorizationDecision:
        if token.valid:
            return AuthorizationDecision(status=AuthorizationStatus.ALLOWED, token=token)
        return AuthorizationDecision(
            status=AuthorizationStatus.BLOCKED, token=token, reason="token not valid"
        )

    async def _ask_owner(
        self, token: Token, location_id: str | None, evse_uid: str | None
    ) -> AuthorizationDecision | None:
        """The owner's answer, or None when it cannot be asked, fails or misses the deadline (OCPI TK-10)."""
        if self._remote is None:
            return None
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._remote.authorize(token, location_id, evse_uid)
        except TimeoutError:
            log.warning("remote_authorization_timeout", token=fingerprint(token.uid), party=str(token.party))
        except Exception:
            # The owner being unreachable is exactly the case the whitelist type decides (OCPI TK-08).
            log.exception("remote_authorization_failed", token=fingerprint(token.uid), party=str(token.party))
        return None
