from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from ios_backup_api.adapters.sql.utc import as_utc


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no time zone: it stores the UTC wall time and returns a naive datetime, made aware here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


metadata = MetaData()

backups = Table(
    "backups",
    metadata,
    Column("id", Text, primary_key=True),
    Column("udid", Text),
    Column("device_name", Text),
    Column("display_name", Text),
    Column("product_type", Text),
    Column("product_version", Text),
    Column("build_version", Text),
    Column("serial_number", Text),
    Column("is_encrypted", Boolean, nullable=False),
    Column("last_backup_at", UtcDateTime),
    Column("size_bytes", BigInteger),
    Column("status", Text, nullable=False),
    Column("problem", Text),
    Column("warnings", Text),
    Column("fingerprint", Text, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("backup_id", Text, nullable=False, index=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("sealed_key", LargeBinary),
)

unlock_attempts = Table(
    "unlock_attempts",
    metadata,
    Column("backup_key", Text, primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_attempt_at", UtcDateTime, nullable=False),
)
