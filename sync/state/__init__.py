"""Durable sync state in SQLAlchemy: SQLite file by default, PostgreSQL by URL (postgresql+psycopg://)."""

from sync.state.store import StateStore

__all__ = ["StateStore"]
