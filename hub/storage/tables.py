"""sqlmodel table definitions of the current schema; they never leave hub/storage.

Repositories use the `Table` objects (`PartyRow.__table__`, …) with SQLAlchemy Core statements; the migrations
in `hub/storage/migrations` build the same schema step by step (a test compares both).
Columns named `*_key` hold lower-cased (party: upper-cased `CC*PID`) lookup keys of partner-facing ids; the
original spelling stays in the value column. `*_json` columns hold aggregates the core treats as one value.
Imports SQLAlchemy, sqlmodel and `hub.storage.types` only.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, Integer, MetaData, Table, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from hub.storage.types import DecimalText, UtcDateTime, id_type, json_type

_UNDELIVERED = text("delivered_at IS NULL")


class StorageTable(SQLModel, registry=registry()):
    """Base of the hub's tables, with its own metadata (nothing else shares SQLModel's global one)."""


class SchemaMigrationRow(StorageTable, table=True):
    __tablename__ = "schema_migrations"

    version: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    name: str
    applied_at: datetime = Field(sa_type=UtcDateTime)


class PartyRow(StorageTable, table=True):
    __tablename__ = "parties"

    party_key: str = Field(primary_key=True, sa_type=id_type())
    country_code: str
    party_id: str
    role: str
    name: str
    protocol: str
    last_updated: datetime = Field(sa_type=UtcDateTime)


class LocationRow(StorageTable, table=True):
    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_updated", "last_updated", "id"),
        Index("ix_locations_party_updated", "party_key", "last_updated"),
    )

    party_key: str = Field(primary_key=True, sa_type=id_type())
    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    country: str
    latitude: Decimal = Field(sa_type=DecimalText)
    longitude: Decimal = Field(sa_type=DecimalText)
    time_zone: str
    publish: bool
    evses_json: str = Field(sa_type=json_type())
    # The sorted lower-cased EVSE uids, so `put` can tell whether `location_evses` must change.
    evse_keys: str = Field(sa_type=json_type())
    last_updated: datetime = Field(sa_type=UtcDateTime)


class LocationEvseRow(StorageTable, table=True):
    """Lookup table for `LocationRepository.find_by_evse`: which location holds an EVSE uid."""

    __tablename__ = "location_evses"
    __table_args__ = (
        ForeignKeyConstraint(
            ["party_key", "location_key"], ["locations.party_key", "locations.id_key"], ondelete="CASCADE"
        ),
        Index("ix_location_evses_evse", "evse_key"),
    )

    party_key: str = Field(primary_key=True, sa_type=id_type())
    location_key: str = Field(primary_key=True, sa_type=id_type())
    evse_key: str = Field(primary_key=True, sa_type=id_type())


class StationRow(StorageTable, table=True):
    __tablename__ = "stations"

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    party_key: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    location_id: str | None = None
    tariff_id: str | None = None
    password_hash: str | None = None
    protocol: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_status: str | None = None
    connected: bool
    last_boot: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_seen: datetime | None = Field(default=None, sa_type=UtcDateTime)
    registered: bool
    last_updated: datetime = Field(sa_type=UtcDateTime)


class TokenRow(StorageTable, table=True):
    __tablename__ = "tokens"
    __table_args__ = (
        Index("ix_tokens_uid", "uid_key"),
        Index("ix_tokens_updated", "last_updated", "party_key", "uid"),
    )

    party_key: str = Field(primary_key=True, sa_type=id_type())
    uid_key: str = Field(primary_key=True, sa_type=id_type())
    uid: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    type: str = Field(primary_key=True)  # TK-04: a token is (party, uid, type)
    contract_id: str
    visual_number: str | None = None
    issuer: str
    group_id: str | None = None
    valid: bool
    whitelist: str
    language: str | None = None
    own: bool
    last_updated: datetime = Field(sa_type=UtcDateTime)


class SessionRow(StorageTable, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_transaction", "station_key", "transaction_id"),
        Index("ix_sessions_idempotency", "idempotency_key", unique=True),
        Index("ix_sessions_remote_start", "station_key", "remote_start_id"),
        Index("ix_sessions_station_status", "station_key", "status"),
        Index("ix_sessions_status_start", "status", "start"),
        Index("ix_sessions_updated", "last_updated", "id"),
        Index("ix_sessions_party_updated", "party_key", "last_updated"),
    )

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    party_key: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    status: str
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime | None = Field(default=None, sa_type=UtcDateTime)
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    station_id: str | None = None
    station_key: str | None = Field(default=None, sa_type=id_type())
    transaction_id: str | None = Field(default=None, sa_type=id_type())
    token_uid: str
    token_party: str | None = None
    token_type: str
    contract_id: str | None = None
    auth_method: str
    authorization_reference: str | None = None
    meter_start_wh: Decimal | None = Field(default=None, sa_type=DecimalText)
    meter_last_wh: Decimal | None = Field(default=None, sa_type=DecimalText)
    kwh: Decimal = Field(sa_type=DecimalText)
    charging_periods_json: str = Field(sa_type=json_type())
    currency: str
    tariff_id: str | None = None
    total_cost: Decimal | None = Field(default=None, sa_type=DecimalText)
    remote_start_id: int | None = Field(default=None, sa_type=BigInteger)
    reservation_id: int | None = Field(default=None, sa_type=BigInteger)
    last_seq_no: int | None = Field(default=None, sa_type=BigInteger)
    offline: bool
    reconstructed: bool
    stop_reason: str | None = None
    idempotency_key: str | None = Field(default=None, sa_type=id_type())
    last_updated: datetime = Field(sa_type=UtcDateTime)


class CdrRow(StorageTable, table=True):
    __tablename__ = "cdrs"
    __table_args__ = (
        Index("ix_cdrs_session", "session_key"),
        Index("ix_cdrs_updated", "last_updated", "id"),
        Index("ix_cdrs_party_updated", "party_key", "last_updated"),
    )

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    party_key: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    session_id: str
    session_key: str = Field(sa_type=id_type())
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime = Field(sa_type=UtcDateTime)
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    station_id: str | None = None
    token_uid: str
    token_party: str | None = None
    token_type: str
    contract_id: str | None = None
    auth_method: str
    authorization_reference: str | None = None
    tariff_id: str | None = None
    cost_json: str = Field(sa_type=json_type())
    charging_periods_json: str = Field(sa_type=json_type())
    credit: bool
    credit_reference_id: str | None = None
    remark: str | None = None
    last_updated: datetime = Field(sa_type=UtcDateTime)


class TariffRow(StorageTable, table=True):
    __tablename__ = "tariffs"
    __table_args__ = (Index("ix_tariffs_updated", "last_updated", "id"),)

    party_key: str = Field(primary_key=True, sa_type=id_type())
    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    currency: str
    elements_json: str = Field(sa_type=json_type())
    type: str | None = None
    min_price_excl_vat: Decimal | None = Field(default=None, sa_type=DecimalText)
    max_price_excl_vat: Decimal | None = Field(default=None, sa_type=DecimalText)
    # added by migration 7 (OCPI min_price / max_price incl_vat)
    min_price_incl_vat: Decimal | None = Field(default=None, sa_type=DecimalText)
    max_price_incl_vat: Decimal | None = Field(default=None, sa_type=DecimalText)
    start_date_time: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_date_time: datetime | None = Field(default=None, sa_type=UtcDateTime)
    source_json: str | None = Field(default=None, sa_type=json_type())
    last_updated: datetime = Field(sa_type=UtcDateTime)


class TariffVersionRow(StorageTable, table=True):
    """Every version of a tariff ever stored (added by migration 7), kept after the tariff is deleted, so a
    CDR is priced with the tariff valid at its session's start. `tariff_json` is the whole core tariff."""

    __tablename__ = "tariff_versions"

    party_key: str = Field(primary_key=True, sa_type=id_type())
    id_key: str = Field(primary_key=True, sa_type=id_type())
    last_updated: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    id: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    tariff_json: str = Field(sa_type=json_type())


class CdrRatingRow(StorageTable, table=True):
    """Our eMSP's rating of a partner CPO's CDR (added by migration 7), keyed by (CPO party, CDR id); the
    costs are core `CdrCost` JSON. `emsp_party` is `CC*PID` in its original case."""

    __tablename__ = "cdr_ratings"
    __table_args__ = (
        Index("ix_cdr_ratings_rated", "rated_at", "cdr_id"),
        Index("ix_cdr_ratings_emsp_rated", "emsp_party_key", "rated_at"),
    )

    party_key: str = Field(primary_key=True, sa_type=id_type())
    cdr_key: str = Field(primary_key=True, sa_type=id_type())
    cdr_id: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    emsp_party_key: str = Field(sa_type=id_type())
    emsp_party: str
    session_id: str | None = None
    start: datetime = Field(sa_type=UtcDateTime)
    end: datetime = Field(sa_type=UtcDateTime)
    token_uid: str
    cpo_cost_json: str = Field(sa_type=json_type())
    msp_cost_json: str | None = Field(default=None, sa_type=json_type())
    msp_tariff_id: str | None = None
    time_zone: str | None = None
    credit: bool
    credit_reference_id: str | None = None
    rated_at: datetime = Field(sa_type=UtcDateTime)


class CommandRow(StorageTable, table=True):
    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_reservation", "station_key", "reservation_key"),)

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    type: str
    requester: str | None = None
    requester_key: str | None = Field(default=None, sa_type=id_type())
    station_id: str
    station_key: str = Field(sa_type=id_type())
    location_id: str | None = None
    evse_uid: str | None = None
    connector_id: str | None = None
    session_id: str | None = None
    token_uid: str | None = None
    token_party: str | None = None
    authorization_reference: str | None = None
    reservation_id: str | None = None
    # added by migration 2: the lower-cased reservation id, so find_reservation hits an index
    reservation_key: str | None = Field(default=None, sa_type=id_type())
    station_reservation_id: int | None = Field(default=None, sa_type=BigInteger)
    remote_start_id: int | None = Field(default=None, sa_type=BigInteger)
    expiry: datetime | None = Field(default=None, sa_type=UtcDateTime)
    charging_limit: Decimal | None = Field(default=None, sa_type=DecimalText)
    limit_unit: str | None = None
    # added by migration 6: the command's extra data (e.g. a station's charging schedule), JSON
    data_json: str | None = Field(default=None, sa_type=json_type())
    reply_to: str | None = None
    result: str | None = None
    message: str | None = None
    created: datetime = Field(sa_type=UtcDateTime)
    last_updated: datetime = Field(sa_type=UtcDateTime)


class AlarmRow(StorageTable, table=True):
    __tablename__ = "alarms"
    __table_args__ = (
        Index("ix_alarms_station", "station_key", "started"),
        Index("ix_alarms_started", "started", "id"),
    )

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    station_id: str
    station_key: str = Field(sa_type=id_type())
    evse_uid: str | None = None
    code: str
    description: str | None = None
    severity: str
    started: datetime = Field(sa_type=UtcDateTime)
    ended: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_updated: datetime = Field(sa_type=UtcDateTime)


class StationNotificationRow(StorageTable, table=True):
    __tablename__ = "station_notifications"
    __table_args__ = (Index("ix_station_notifications_station", "station_key", "timestamp"),)

    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    station_id: str
    station_key: str = Field(sa_type=id_type())
    kind: str
    timestamp: datetime = Field(sa_type=UtcDateTime)
    payload_json: str = Field(sa_type=json_type())


class OutboxRow(StorageTable, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        # The undelivered head of each key (claim_due) and the due scan, both over undelivered rows only.
        Index("ix_outbox_pending_key", "key", "id", sqlite_where=_UNDELIVERED, postgresql_where=_UNDELIVERED),
        Index(
            "ix_outbox_pending_due",
            "next_attempt_at",
            sqlite_where=_UNDELIVERED,
            postgresql_where=_UNDELIVERED,
        ),
        # added by migration 4: the newest row per (target, key) of a topic (OutboxRepository.latest)
        Index("ix_outbox_topic_key", "topic", "key", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer, "sqlite")
    )
    topic: str
    key: str = Field(sa_type=id_type())
    target: str | None = None
    payload_json: str = Field(sa_type=json_type())
    created: datetime = Field(sa_type=UtcDateTime)
    attempts: int
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = None


class PlatformRow(StorageTable, table=True):
    """A partner platform (added by migration 4). Tokens are never stored in plain: `*_token` holds the
    Fernet ciphertext and `*_token_digest` the HMAC-SHA256 digest used to find a platform by token (see
    hub.storage.secrets). `party_keys` lists the party keys of `roles_json` as `|NL*CPO|DE*ABC|`."""

    __tablename__ = "platforms"
    __table_args__ = (
        Index("ix_platforms_invitation_digest", "invitation_token_digest"),
        Index("ix_platforms_inbound_digest", "inbound_token_digest"),
        Index("ix_platforms_previous_inbound_digest", "previous_inbound_token_digest"),
        Index("ix_platforms_outbound_digest", "outbound_token_digest"),
    )

    id: str = Field(primary_key=True, sa_type=id_type())
    name: str
    status: str
    version: str | None = None
    versions_url: str | None = None
    endpoints_json: str = Field(sa_type=json_type())
    roles_json: str = Field(sa_type=json_type())
    party_keys: str
    invitation_token: str | None = None
    invitation_token_digest: str | None = Field(default=None, sa_type=id_type())
    inbound_token: str | None = None
    inbound_token_digest: str | None = Field(default=None, sa_type=id_type())
    previous_inbound_token: str | None = None
    previous_inbound_token_digest: str | None = Field(default=None, sa_type=id_type())
    previous_inbound_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outbound_token: str | None = None
    outbound_token_digest: str | None = Field(default=None, sa_type=id_type())
    encode_token: bool
    invited_role: str | None = Field(default=None, max_length=16)  # migration 8
    registered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_updated: datetime = Field(sa_type=UtcDateTime)


class PartnerRecordRow(StorageTable, table=True):
    """An object a partner pushed to a hosted party (added by migration 4); `data_json` is its wire JSON
    with Decimals written as JSON numbers (see hub.storage.repositories.records)."""

    __tablename__ = "partner_records"
    __table_args__ = (
        Index("ix_partner_records_updated", "module", "last_updated", "id"),
        Index("ix_partner_records_party_updated", "module", "party_key", "last_updated"),
    )

    module: str = Field(primary_key=True, sa_type=id_type())
    party_key: str = Field(primary_key=True, sa_type=id_type())
    id_key: str = Field(primary_key=True, sa_type=id_type())
    id: str = Field(sa_type=id_type())
    country_code: str
    party_id: str
    data_json: str = Field(sa_type=json_type())
    last_updated: datetime = Field(sa_type=UtcDateTime)


class CounterRow(StorageTable, table=True):
    """Named integer counters: per-station command numbers (and on SQLite the OCPP transaction numbers)."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True, sa_type=id_type())
    value: int = Field(sa_type=BigInteger)


def _table(model: type[StorageTable]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


METADATA: MetaData = StorageTable.metadata
schema_migrations = _table(SchemaMigrationRow)
parties = _table(PartyRow)
locations = _table(LocationRow)
location_evses = _table(LocationEvseRow)
stations = _table(StationRow)
tokens = _table(TokenRow)
sessions = _table(SessionRow)
cdrs = _table(CdrRow)
tariffs = _table(TariffRow)
tariff_versions = _table(TariffVersionRow)
cdr_ratings = _table(CdrRatingRow)
commands = _table(CommandRow)
alarms = _table(AlarmRow)
station_notifications = _table(StationNotificationRow)
outbox = _table(OutboxRow)
counters = _table(CounterRow)
platforms = _table(PlatformRow)
partner_records = _table(PartnerRecordRow)

TRANSACTION_NUMBER_SEQUENCE = "hub_transaction_number_seq"
TRANSACTION_NUMBER_COUNTER = "transaction_number"
MAX_TRANSACTION_NUMBER = 2**31 - 1
