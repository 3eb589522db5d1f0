"""Plumbing shared by the Salesforce store's modules: constants of the fake org, the session
record, the per-object equality/range indexes and small time helpers. `models.SalesforceBackend`
assembles the store from this and the mixins in store_org / store_lifecycle / store_snapshot."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sortedcontainers import SortedList

from simulator.salesforce import ids
from simulator.salesforce.schema import FieldDef, ObjectDef

DEFAULT_API_VERSION = "59.0"
SESSION_TOKEN_ALPHABET = ids.BASE62 + "._"
RECYCLE_BIN_DAYS = 15
UPDATED_WINDOW_DAYS = 30
MAX_REPLICATION_IDS = 600_000
# Fields whose equality lookups are indexed besides Id: references, emails, unique/external ids.
RANGE_INDEXED = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
SEED_USERS = [
    # (Username/Email, FirstName, LastName, Alias, Title)
    ("integration@example.com", "Integration", "User", "integ", "Integration User"),
    ("alice.admin@example.com", "Alice", "Admin", "aadmin", "System Administrator"),
    ("bob.sales@example.com", "Bob", "Sales", "bsales", "Account Executive"),
]
INTEGRATION_USERNAME = SEED_USERS[0][0]
PASSWORD = "sandbox"
SECURITY_TOKEN = "sandboxtoken"  # optional suffix of the SOAP/OAuth password (password + token)
DEFAULT_SESSION = "sandbox-session"
DEFAULT_REFRESH_TOKEN = "sandbox-refresh-token"


@dataclass
class Session:
    token: str
    user_id: str
    issued_at: datetime
    kind: str  # "default" | "soap" | "oauth"


class _ObjectIndex:
    """Equality indexes (normalised value -> ids) and range indexes (sorted (value, id)) of one object."""

    def __init__(self, obj: ObjectDef) -> None:
        self.eq: dict[str, dict[Any, set[str]]] = {}
        self.range: dict[str, SortedList] = {}
        self.refresh_fields(obj)

    def refresh_fields(self, obj: ObjectDef) -> None:
        for f in obj.fields.values():
            if _eq_indexed(f) and f.name not in self.eq:
                self.eq[f.name] = {}
            if f.name in RANGE_INDEXED and f.name not in self.range:
                self.range[f.name] = SortedList()

    def add(self, rid: str, rec: dict[str, Any]) -> None:
        for name, idx in self.eq.items():
            v = rec.get(name)
            if v is not None:
                idx.setdefault(index_key(v), set()).add(rid)
        for name, sl in self.range.items():
            v = rec.get(name)
            if v is not None:
                sl.add((v, rid))

    def remove(self, rid: str, rec: dict[str, Any]) -> None:
        for name, idx in self.eq.items():
            v = rec.get(name)
            if v is not None:
                bucket = idx.get(index_key(v))
                if bucket is not None:
                    bucket.discard(rid)
                    if not bucket:
                        del idx[index_key(v)]
        for name, sl in self.range.items():
            v = rec.get(name)
            if v is not None:
                sl.discard((v, rid))


def _eq_indexed(f: FieldDef) -> bool:
    return (
        f.type in ("reference", "email")
        or f.external_id
        or f.unique
        or f.name in ("Name", "IsDeleted", "IsConverted")
    )


def index_key(value: Any) -> Any:
    """Equality key: text compares case-insensitively (SOQL `=` and external-id lookups do)."""
    return value.lower() if isinstance(value, str) else value



def _minute(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(second=0, microsecond=0)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _quarter_end(d: date) -> date:
    month = ((d.month - 1) // 3 + 1) * 3
    return date(d.year, month, calendar.monthrange(d.year, month)[1])


def format_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
