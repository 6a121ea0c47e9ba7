"""The catalog of backups: an in-memory fake and one SQLAlchemy adapter for SQLite and PostgreSQL."""
