"""Tokens of our own eMSPs and of roaming partners: storage with change events and outbox rows.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.core.clock import Clock
from hub.core.events import EventBus, TokenChanged
from hub.core.models import PartyRef, Token, TokenType
from hub.core.outbox import Topic, add_change, same_content, token_key
from hub.core.ports import Database


class TokenService:
    def __init__(self, db: Database, bus: EventBus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    async def put(self, token: Token) -> Token:
        """Insert or replace the token of this (party, uid, type) (TK-04); a changed token is published
        (`TokenChanged`, outbox `token.updated`, keyed per (party, uid) so both types stay in order)."""
        async with self._db.unit_of_work() as uow:
            existing = await uow.tokens.get(token.uid, token.party, token.type)
            if same_content(existing, token):
                assert existing is not None
                return existing
            await uow.tokens.put(token)
            await add_change(
                uow, Topic.TOKEN_UPDATED, token_key(token.party, token.uid), token, self._clock.now()
            )
            await uow.commit()
        await self._bus.publish(TokenChanged(token=token))
        return token

    async def get(
        self, uid: str, party: PartyRef | None = None, type: TokenType | None = None
    ) -> Token | None:
        """Case-insensitive; with `party` None any party's token (own tokens first), with `type` None any
        type (RFID first)."""
        async with self._db.unit_of_work() as uow:
            return await uow.tokens.get(uid, party, type)

    async def list(
        self, party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Token]:
        async with self._db.unit_of_work() as uow:
            return await uow.tokens.list(party, offset, limit)
