"""Migration 1: the initial schema, frozen as it was at version 1 (later changes are later migrations).

Imports SQLAlchemy and hub.storage column types only.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.storage.types import DecimalText, UtcDateTime, id_type, json_type

VERSION = 1

_UNDELIVERED = text("delivered_at IS NULL")


def _id(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, id_type(), nullable=nullable)


def _str(name: str, *, nullable: bool = True) -> Column[str]:
    return Column(name, String(), nullable=nullable)


def _when(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UtcDateTime(), nullable=nullable)


def _dec(name: str, *, nullable: bool = True) -> Column[object]:
    return Column(name, DecimalText(), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, json_type(), nullable=nullable)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean(), nullable=False)


def _int(name: str) -> Column[int]:
    return Column(name, BigInteger(), nullable=True)


def _party_columns() -> list[Column[str]]:
    return [_id("party_key"), _str("country_code", nullable=False), _str("party_id", nullable=False)]


def schema_v1() -> MetaData:
    md = MetaData()
    Table(
        "parties",
        md,
        *_party_columns(),
        _str("role", nullable=False),
        _str("name", nullable=False),
        _str("protocol", nullable=False),
        _when("last_updated"),
        PrimaryKeyConstraint("party_key"),
    )
    Table(
        "locations",
        md,
        *_party_columns(),
        _id("id_key"),
        _id("id"),
        _str("name"),
        _str("address", nullable=False),
        _str("city", nullable=False),
        _str("postal_code"),
        _str("country", nullable=False),
        _dec("latitude", nullable=False),
        _dec("longitude", nullable=False),
        _str("time_zone", nullable=False),
        _flag("publish"),
        _json("evses_json"),
        _json("evse_keys"),
        _when("last_updated"),
        PrimaryKeyConstraint("party_key", "id_key"),
        Index("ix_locations_updated", "last_updated", "id"),
        Index("ix_locations_party_updated", "party_key", "last_updated"),
    )
    Table(
        "location_evses",
        md,
        _id("party_key"),
        _id("location_key"),
        _id("evse_key"),
        PrimaryKeyConstraint("party_key", "location_key", "evse_key"),
        ForeignKeyConstraint(
            ["party_key", "location_key"], ["locations.party_key", "locations.id_key"], ondelete="CASCADE"
        ),
        Index("ix_location_evses_evse", "evse_key"),
    )
    Table(
        "stations",
        md,
        _id("id_key"),
        _id("id"),
        *_party_columns(),
        _str("location_id"),
        _str("tariff_id"),
        _str("password_hash"),
        _str("protocol"),
        _str("vendor"),
        _str("model"),
        _str("serial_number"),
        _str("firmware_version"),
        _str("boot_status"),
        _flag("connected"),
        _when("last_boot", nullable=True),
        _when("last_seen", nullable=True),
        _flag("registered"),
        _when("last_updated"),
        PrimaryKeyConstraint("id_key"),
    )
    Table(
        "tokens",
        md,
        *_party_columns(),
        _id("uid_key"),
        _id("uid"),
        _str("type", nullable=False),
        _str("contract_id", nullable=False),
        _str("visual_number"),
        _str("issuer", nullable=False),
        _str("group_id"),
        _flag("valid"),
        _str("whitelist", nullable=False),
        _str("language"),
        _flag("own"),
        _when("last_updated"),
        PrimaryKeyConstraint("party_key", "uid_key"),
        Index("ix_tokens_uid", "uid_key"),
        Index("ix_tokens_updated", "last_updated", "party_key", "uid"),
    )
    Table(
        "sessions",
        md,
        _id("id_key"),
        _id("id"),
        *_party_columns(),
        _str("status", nullable=False),
        _when("start"),
        _when("end", nullable=True),
        _str("location_id"),
        _str("evse_uid"),
        _str("connector_id"),
        _str("station_id"),
        _id("station_key", nullable=True),
        _id("transaction_id", nullable=True),
        _str("token_uid", nullable=False),
        _str("token_party"),
        _str("token_type", nullable=False),
        _str("contract_id"),
        _str("auth_method", nullable=False),
        _str("authorization_reference"),
        _dec("meter_start_wh"),
        _dec("meter_last_wh"),
        _dec("kwh", nullable=False),
        _json("charging_periods_json"),
        _str("currency", nullable=False),
        _str("tariff_id"),
        _dec("total_cost"),
        _int("remote_start_id"),
        _int("reservation_id"),
        _int("last_seq_no"),
        _flag("offline"),
        _flag("reconstructed"),
        _str("stop_reason"),
        _id("idempotency_key", nullable=True),
        _when("last_updated"),
        PrimaryKeyConstraint("id_key"),
        Index("ix_sessions_transaction", "station_key", "transaction_id"),
        Index("ix_sessions_idempotency", "idempotency_key", unique=True),
        Index("ix_sessions_remote_start", "station_key", "remote_start_id"),
        Index("ix_sessions_station_status", "station_key", "status"),
        Index("ix_sessions_updated", "last_updated", "id"),
        Index("ix_sessions_party_updated", "party_key", "last_updated"),
    )
    Table(
        "cdrs",
        md,
        _id("id_key"),
        _id("id"),
        *_party_columns(),
        _str("session_id", nullable=False),
        _id("session_key"),
        _when("start"),
        _when("end"),
        _str("location_id"),
        _str("evse_uid"),
        _str("connector_id"),
        _str("station_id"),
        _str("token_uid", nullable=False),
        _str("token_party"),
        _str("token_type", nullable=False),
        _str("contract_id"),
        _str("auth_method", nullable=False),
        _str("authorization_reference"),
        _str("tariff_id"),
        _json("cost_json"),
        _json("charging_periods_json"),
        _flag("credit"),
        _str("credit_reference_id"),
        _str("remark"),
        _when("last_updated"),
        PrimaryKeyConstraint("id_key"),
        Index("ix_cdrs_session", "session_key"),
        Index("ix_cdrs_updated", "last_updated", "id"),
        Index("ix_cdrs_party_updated", "party_key", "last_updated"),
    )
    Table(
        "tariffs",
        md,
        *_party_columns(),
        _id("id_key"),
        _id("id"),
        _str("currency", nullable=False),
        _json("elements_json"),
        _str("type"),
        _dec("min_price_excl_vat"),
        _dec("max_price_excl_vat"),
        _when("start_date_time", nullable=True),
        _when("end_date_time", nullable=True),
        _json("source_json", nullable=True),
        _when("last_updated"),
        PrimaryKeyConstraint("party_key", "id_key"),
        Index("ix_tariffs_updated", "last_updated", "id"),
    )
    Table(
        "commands",
        md,
        _id("id_key"),
        _id("id"),
        _str("type", nullable=False),
        _str("requester"),
        _id("requester_key", nullable=True),
        _str("station_id", nullable=False),
        _id("station_key"),
        _str("location_id"),
        _str("evse_uid"),
        _str("connector_id"),
        _str("session_id"),
        _str("token_uid"),
        _str("token_party"),
        _str("authorization_reference"),
        _str("reservation_id"),
        _int("station_reservation_id"),
        _int("remote_start_id"),
        _when("expiry", nullable=True),
        _dec("charging_limit"),
        _str("limit_unit"),
        _str("reply_to"),
        _str("result"),
        _str("message"),
        _when("created"),
        _when("last_updated"),
        PrimaryKeyConstraint("id_key"),
    )
    Table(
        "alarms",
        md,
        _id("id_key"),
        _id("id"),
        _str("station_id", nullable=False),
        _id("station_key"),
        _str("evse_uid"),
        _str("code", nullable=False),
        _str("description"),
        _str("severity", nullable=False),
        _when("started"),
        _when("ended", nullable=True),
        _when("last_updated"),
        PrimaryKeyConstraint("id_key"),
        Index("ix_alarms_station", "station_key", "started"),
        Index("ix_alarms_started", "started", "id"),
    )
    Table(
        "station_notifications",
        md,
        _id("id_key"),
        _id("id"),
        _str("station_id", nullable=False),
        _id("station_key"),
        _str("kind", nullable=False),
        _when("timestamp"),
        _json("payload_json"),
        PrimaryKeyConstraint("id_key"),
        Index("ix_station_notifications_station", "station_key", "timestamp"),
    )
    Table(
        "outbox",
        md,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        _str("topic", nullable=False),
        _id("key"),
        _str("target"),
        _json("payload_json"),
        _when("created"),
        Column("attempts", Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("delivered_at", nullable=True),
        _str("last_error"),
        Index("ix_outbox_pending_key", "key", "id", sqlite_where=_UNDELIVERED, postgresql_where=_UNDELIVERED),
        Index(
            "ix_outbox_pending_due",
            "next_attempt_at",
            sqlite_where=_UNDELIVERED,
            postgresql_where=_UNDELIVERED,
        ),
        sqlite_autoincrement=True,
    )
    Table(
        "counters",
        md,
        _id("name"),
        Column("value", BigInteger(), nullable=False),
        PrimaryKeyConstraint("name"),
    )
    return md


async def upgrade(connection: AsyncConnection, dialect: str) -> None:
    await connection.run_sync(schema_v1().create_all)
    if dialect == "postgresql":
        # Sequences are outside transactions: a number is never handed out twice, even after a rollback.
        await connection.execute(
            text(
                "CREATE SEQUENCE hub_transaction_number_seq AS bigint MINVALUE 1 MAXVALUE 2147483647 NO CYCLE"
            )
        )
    else:
        await connection.execute(text("INSERT INTO counters (name, value) VALUES ('transaction_number', 0)"))
