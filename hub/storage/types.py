"""Column types shared by the tables and the migrations: aware UTC datetimes, exact decimals, ids.

Imports the standard library and SQLAlchemy only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC, returned aware.

    PostgreSQL: `timestamptz`. SQLite: fixed-width ISO-8601 text (`2026-01-01T00:00:00.000000+00:00`), which
    sorts and compares like the instant it names.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes cannot be stored: the core uses aware UTC datetimes")
        if dialect.name == "sqlite":
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        if value.tzinfo is None:  # a driver that returned a naive timestamp: it was stored as UTC
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text (`"0.250"` comes back as `Decimal("0.250")`), never as a float."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(value)
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def id_type() -> TypeEngine[str]:
    """Ids and lookup keys: byte-ordered on PostgreSQL (collation "C") so listings sort as in Python."""
    return String().with_variant(String(collation="C"), "postgresql")


def json_type() -> TypeEngine[str]:
    """JSON documents, serialised by pydantic (Decimals as exact strings), kept as text."""
    return Text()
