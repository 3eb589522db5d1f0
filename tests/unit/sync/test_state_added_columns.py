"""A state database made before `sync_intents.object_type` existed keeps working: the column is
added on open and the old rows (contacts' intents, the only ones then) are marked as contacts'."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from sync.state.models import Intent
from sync.state.store import StateStore


def test_an_older_state_database_gets_the_intent_object_type(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(url)
    with old.begin() as conn:  # the table as earlier versions created it
        conn.execute(sa.text(
            "CREATE TABLE sync_intents (id INTEGER PRIMARY KEY, system VARCHAR(20), "
            "source_id VARCHAR(40), email VARCHAR(320), at FLOAT)"
        ))
        conn.execute(sa.text("INSERT INTO sync_intents (system, source_id, email, at) VALUES ('salesforce', '7', 'a@x.io', 1.0)"))
    old.dispose()
    store = StateStore(url)
    with store.session() as s:
        rows = s.scalars(sa.select(Intent)).all()
        assert [(r.source_id, r.object_type) for r in rows] == [("7", "contacts")]
        s.add(Intent(system="salesforce", source_id="8", email=None, at=2.0, object_type="deals"))
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).where(Intent.object_type == "deals")) == 1
    store.dispose()
    StateStore(url).dispose()  # opening again finds the column and changes nothing
