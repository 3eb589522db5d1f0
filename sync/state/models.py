"""State tables (SQLAlchemy 2.x ORM). Times are epoch seconds (float) so SQLite and PostgreSQL
agree without timezone handling. `object_type` is the HubSpot object ("contacts"; companies and
deals later) so every table is object-generic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Link(Base):
    """HubSpot record <-> Salesforce record, plus the last-synced value of every mapped field
    (echo suppression: a value equal to last_synced is not a change)."""

    __tablename__ = "sync_links"
    __table_args__ = (
        UniqueConstraint("object_type", "hs_id", name="uq_link_hs"),
        UniqueConstraint("sf_id", name="uq_link_sf"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(40))
    hs_id: Mapped[str] = mapped_column(String(40))
    sf_object: Mapped[str] = mapped_column(String(80))
    sf_id: Mapped[str] = mapped_column(String(18))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    # {"hs_property|SfField": canonical value or None}; a key present means "known".
    last_synced: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    sf_modstamp: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when the link came from an SF auto-create while an inclusion list is in use (INC-7).
    outside_list_created: Mapped[bool] = mapped_column(Boolean, default=False)


class Seen(Base):
    """Last version (modstamp) of each record already captured: dedupes cursor overlaps."""

    __tablename__ = "sync_seen"
    system: Mapped[str] = mapped_column(String(20), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(80), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))


class Cursor(Base):
    __tablename__ = "sync_cursors"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class QueueItem(Base):
    """Durable work queue: one row per record awaiting sync (re-enqueue merges triggers)."""

    __tablename__ = "sync_queue"
    __table_args__ = (UniqueConstraint("system", "object_type", "record_id", name="uq_queue_record"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    enqueued_at: Mapped[float] = mapped_column(Float)
    not_before: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Membership(Base):
    __tablename__ = "sync_memberships"
    list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hs_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class SyncError(Base):
    __tablename__ = "sync_errors"
    __table_args__ = (UniqueConstraint("system", "record_id", name="uq_error_record"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(20))  # where the record that failed to sync lives
    object_type: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str | None] = mapped_column(String(80), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float)
    next_retry_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class LedgerEntry(Base):
    __tablename__ = "sync_api_ledger"
    __table_args__ = (Index("ix_ledger_system_at", "system", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)


class Flag(Base):
    """Small key/value facts: suspension, HubSpot daily pause, install time, resolved list id."""

    __tablename__ = "sync_flags"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class Intent(Base):
    """Written before a create on the other side; deleted with the link in one transaction.
    A leftover row after a crash means: search the other side before re-creating."""

    __tablename__ = "sync_intents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(20))  # the side the record is being created on
    source_id: Mapped[str] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    at: Mapped[float] = mapped_column(Float)
    # The HubSpot object of the record ("contacts", "companies", "deals"): source ids are unique
    # per object only, and a pair's recovery must not read another pair's intents. Added after
    # the table existed: StateStore adds the column to older databases (rows there are contacts').
    object_type: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Decision(Base):
    """Why a record did or did not sync (queried by `hubforce sync why RECORD`)."""

    __tablename__ = "sync_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    hs_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    sf_id: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    trigger: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExpectedEcho(Base):
    """A HubSpot property value the engine is about to write (kept only with webhooks configured):
    the webhook event that write causes carries this value and is dropped as our own echo."""

    __tablename__ = "sync_expected_echoes"
    record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    property: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[float] = mapped_column(Float, index=True)
