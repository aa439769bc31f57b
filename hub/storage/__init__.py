"""Storage: SQLite (embedded default) and PostgreSQL behind the core's ports — tables, repositories,
outbox, versioned migrations.

Imports SQLAlchemy, sqlmodel, pydantic and core models/ports only.
"""

from hub.storage.db import SqlDatabase, build_database, database_url, open_database
from hub.storage.engine import DatabaseClosedError, NestedWriteError
from hub.storage.migrations import LATEST_VERSION, SchemaVersionError
from hub.storage.secrets import SecretKeyError, TokenCipher, load_secret_key

__all__ = [
    "LATEST_VERSION",
    "DatabaseClosedError",
    "NestedWriteError",
    "SchemaVersionError",
    "SecretKeyError",
    "SqlDatabase",
    "TokenCipher",
    "build_database",
    "database_url",
    "load_secret_key",
    "open_database",
]
