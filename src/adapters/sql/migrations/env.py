"""Alembic's entry point, run by `adapters.sql.migrate.upgrade_schema` on a connection it hands over."""

from alembic import context
from sqlalchemy.engine import Connection

from ios_backup_api.adapters.sql.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("Run the catalog migrations through adapters.sql.migrate.upgrade_schema.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters a table by copying it; autogenerate then writes batch operations that work on both.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
