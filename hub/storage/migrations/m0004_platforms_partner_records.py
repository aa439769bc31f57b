"""Migration 4: OCPI roaming — `platforms` (partner platforms, their tokens stored only as Fernet
ciphertext plus an HMAC-SHA256 lookup digest each) and `partner_records` (objects partners pushed to our
hosted parties, as wire JSON) — and an index on `outbox (topic, key, id)` for `OutboxRepository.latest`.
Frozen as at version 4.

Imports SQLAlchemy and hub.storage column types only.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, MetaData, PrimaryKeyConstraint, String, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.storage.types import UtcDateTime, id_type, json_type

VERSION = 4

_TOKENS = ("invitation_token", "inbound_token", "previous_inbound_token", "outbound_token")


def _str(name: str, *, nullable: bool = True) -> Column[str]:
    return Column(name, String(), nullable=nullable)


def _id(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, id_type(), nullable=nullable)


def schema_v4() -> MetaData:
    """The tables this migration adds."""
    md = MetaData()
    token_columns: list[Column[str]] = []
    for token in _TOKENS:
        token_columns += [_str(token), _id(f"{token}_digest", nullable=True)]
    Table(
        "platforms",
        md,
        _id("id"),
        _str("name", nullable=False),
        _str("status", nullable=False),
        _str("version"),
        _str("versions_url"),
        Column("endpoints_json", json_type(), nullable=False),
        Column("roles_json", json_type(), nullable=False),
        _str("party_keys", nullable=False),
        *token_columns,
        Column("previous_inbound_until", UtcDateTime(), nullable=True),
        Column("encode_token", Boolean(), nullable=False),
        Column("registered_at", UtcDateTime(), nullable=True),
        Column("last_updated", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("id"),
        Index("ix_platforms_invitation_digest", "invitation_token_digest"),
        Index("ix_platforms_inbound_digest", "inbound_token_digest"),
        Index("ix_platforms_previous_inbound_digest", "previous_inbound_token_digest"),
        Index("ix_platforms_outbound_digest", "outbound_token_digest"),
    )
    Table(
        "partner_records",
        md,
        _id("module"),
        _id("party_key"),
        _id("id_key"),
        _id("id"),
        _str("country_code", nullable=False),
        _str("party_id", nullable=False),
        Column("data_json", json_type(), nullable=False),
        Column("last_updated", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("module", "party_key", "id_key"),
        Index("ix_partner_records_updated", "module", "last_updated", "id"),
        Index("ix_partner_records_party_updated", "module", "party_key", "last_updated"),
    )
    return md


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    await connection.run_sync(schema_v4().create_all)
    await connection.execute(text("CREATE INDEX ix_outbox_topic_key ON outbox (topic, key, id)"))
