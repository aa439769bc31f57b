"""SQL TokenRepository: tokens keyed by (issuing party, uid, type) (TK-04), case-insensitive.

Imports SQLAlchemy, core models and hub.storage internals only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, case, select

from hub.core.models import PartyRef, Token, TokenType, WhitelistType
from hub.storage.base import SqlRepository, key, page, party_columns, party_of, upsert
from hub.storage.cache import is_missing
from hub.storage.tables import tokens

_t = tokens.c
_RFID_FIRST = case((_t.type == TokenType.RFID.value, 0), else_=1)


def _token_lookup(by_party: bool, by_type: bool) -> Select[Any]:
    """One token of a uid; without a party own tokens (issued by a party run on this hub) first, without a
    type RFID first, then the other types by name."""
    statement = select(tokens).where(_t.uid_key == bindparam("uid_key"))
    if by_party:
        statement = statement.where(_t.party_key == bindparam("party_key"))
    if by_type:
        statement = statement.where(_t.type == bindparam("type"))
    return statement.order_by(_t.own.desc(), _RFID_FIRST, _t.party_key, _t.type).limit(1)


_GET_TOKEN = {(p, t): _token_lookup(p, t) for p in (False, True) for t in (False, True)}
_TOKEN_ORDER = (_t.last_updated, _t.party_key, _t.uid, _t.type)


def from_core_token(token: Token) -> dict[str, Any]:
    return {
        **party_columns(token.party),
        "uid_key": key(token.uid),
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
        "visual_number": token.visual_number,
        "issuer": token.issuer,
        "group_id": token.group_id,
        "valid": token.valid,
        "whitelist": token.whitelist.value,
        "language": token.language,
        "own": token.own,
        "last_updated": token.last_updated,
    }


def to_core_token(row: Any) -> Token:
    return Token(
        uid=row.uid,
        party=party_of(row),
        type=TokenType(row.type),
        contract_id=row.contract_id,
        visual_number=row.visual_number,
        issuer=row.issuer,
        group_id=row.group_id,
        valid=row.valid,
        whitelist=WhitelistType(row.whitelist),
        language=row.language,
        own=row.own,
        last_updated=row.last_updated,
    )


class SqlTokenRepository(SqlRepository):
    __slots__ = ()

    async def get(
        self, uid: str, party: PartyRef | None = None, type: TokenType | None = None
    ) -> Token | None:
        tx = self._tx
        party_key = None if party is None else party.key()
        type_value = None if type is None else type.value
        cache_key = ("token", (party_key, key(uid), type_value))
        hit = tx.cached(cache_key)
        if not is_missing(hit):
            return hit  # type: ignore[no-any-return]
        generation = tx.cache_generation
        params = {"uid_key": key(uid), "party_key": party_key, "type": type_value}
        statement = _GET_TOKEN[party is not None, type is not None]
        row = (await tx.read(statement, {k: v for k, v in params.items() if v is not None})).first()
        token = None if row is None else to_core_token(row)
        tx.fill_cache(cache_key, token, generation)
        return token

    async def put(self, token: Token) -> None:
        # Dropped, not replaced: the party-less and type-less lookups' answers depend on every token with
        # this uid.
        uid_key = key(token.uid)
        for party_key in (token.party.key(), None):
            for type_value in (token.type.value, None):
                self._tx.stage(("token", (party_key, uid_key, type_value)))
        await self._tx.write(upsert(tokens, self._dialect), from_core_token(token), staged=True)

    async def list(
        self, party: PartyRef | None = None, offset: int = 0, limit: int | None = None
    ) -> Sequence[Token]:
        statement = select(tokens)
        if party is not None:
            statement = statement.where(_t.party_key == party.key())
        statement = page(statement.order_by(*_TOKEN_ORDER), offset, limit)
        return [to_core_token(row) for row in await self._tx.read(statement)]
