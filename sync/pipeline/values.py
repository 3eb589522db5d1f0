"""Value conversions between the two sides, owners included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from sync.clients.salesforce import parse_sf_datetime
from sync.errors import (
    DailyLimitReached,
    SuspensionError,
    SyncHttpError,
    TransientError,
)
from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.rules import (
    canonical,
)
from sync.schema import ActiveMapping


def hs_props(rec: dict[str, Any]) -> dict[str, Any]:
    return rec.get("properties") or {}


def iso_to_ms(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    dt = parse_sf_datetime(text)
    return int(dt.timestamp() * 1000) if dt else None


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(max(0, ms) / 1000, tz=UTC)


def hs_modified(rec: dict[str, Any]) -> datetime | None:
    props = hs_props(rec)  # contacts spell it lastmodifieddate, other objects hs_lastmodifieddate
    ms = iso_to_ms(props.get("lastmodifieddate") or props.get("hs_lastmodifieddate") or rec.get("updatedAt"))
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


def sf_stamp(rec: dict[str, Any] | None) -> datetime:
    return parse_sf_datetime((rec or {}).get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC)


def history_time(entries: Any) -> datetime | None:
    """When a HubSpot property last changed: the newest timestamp in its propertiesWithHistory."""
    times = [
        dt
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and (dt := parse_sf_datetime(str(e.get("timestamp") or ""))) is not None
    ]
    return max(times, default=None)


def filter_properties(branch: Any) -> set[str]:
    """Every `property` named anywhere in a list's filter tree."""
    if isinstance(branch, dict):
        found = {branch["property"]} if isinstance(branch.get("property"), str) else set()
        return found.union(*(filter_properties(v) for v in branch.values() if isinstance(v, dict | list)))
    if isinstance(branch, list):
        return set().union(*(filter_properties(v) for v in branch))
    return set()


def jsonable(value: Any) -> Any:
    try:  # the common case (plain JSON data) at C speed: this runs for every decision logged
        return orjson.loads(orjson.dumps(value))
    except (TypeError, ValueError):
        return _jsonable_slow(value)


def _jsonable_slow(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable_slow(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable_slow(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)



class ValuesMixin(EngineContext):
    def _hs_val(self, am: ActiveMapping, p: Pair) -> str | None:
        """_hs_value of p.hs, memoised on the pair while p.hs stays the same record."""
        if p.hs_vals_of is not p.hs:
            p.hs_vals, p.hs_vals_of = {}, p.hs
        key = am.key
        if key in p.hs_vals:
            return p.hs_vals[key]
        value = p.hs_vals[key] = self._hs_value(am, p.hs)  # type: ignore[arg-type]
        return value

    @staticmethod
    def _hs_value(am: ActiveMapping, rec: dict[str, Any]) -> str | None:
        """A HubSpot value in Salesforce terms (picklist options matched by value or label).

        Implements: RULE-14"""
        value = am.hs_to_sf(canonical(hs_props(rec).get(am.mapping.hubspot), am.sf_type))
        if value is None and am.sf_type == "boolean":
            return "false"  # a Salesforce checkbox is never null: an empty HubSpot checkbox means false
        return value

    def _sf_value(self, am: ActiveMapping, rec: dict[str, Any]) -> str | None:
        value = rec.get(am.mapping.salesforce)
        if value is not None and self._placeholders.get(am.mapping.salesforce) == value:
            return None  # our own placeholder for a required field counts as blank
        return canonical(value, am.sf_type)

    def _to_hs_option(self, am: ActiveMapping, value: str | None) -> str | None:
        """A Salesforce value in HubSpot terms; None when HubSpot cannot hold it (unknown owner,
        picklist value that is not a HubSpot option)."""
        if value is None:
            return None
        if am.mapping.is_owner:
            return self._sf_owner_to_hs(value)
        try:
            return am.sf_to_hs(value)
        except KeyError:
            return None

    def _owner_maps(self) -> tuple[dict[str, str], dict[str, str], set[str]]:
        """(HubSpot owner id -> SF user id, SF user id -> HubSpot owner id, active SF user ids).
        OWN-2: to Salesforce only when an *active* user matches by name and email.

        Implements: OWN-2, OWN-3"""
        if self._owners is None:
            try:
                owners = self.hubspot.owners()
                users = list(
                    self.salesforce.query("SELECT Id, Email, FirstName, LastName, IsActive FROM User")
                )
            except SyncHttpError as exc:
                if isinstance(exc, SuspensionError | DailyLimitReached | TransientError):
                    raise
                # Owners cannot be matched: owner values are left alone this cycle (RULE-16 spirit).
                self.progress(f"owner matching unavailable: {exc}")
                owners, users = [], []
            by_email = {(u.get("Email") or "").lower(): u for u in users}
            hs_to_sf, sf_to_hs, active = {}, {}, {u["Id"] for u in users if u.get("IsActive", True)}
            for o in owners:
                u = by_email.get((o.get("email") or "").lower())
                if u is None:
                    continue
                sf_to_hs[u["Id"]] = str(o["id"])
                same_name = (o.get("firstName") or "", o.get("lastName") or "") == (
                    u.get("FirstName") or "",
                    u.get("LastName") or "",
                )
                if same_name and u["Id"] in active:
                    hs_to_sf[str(o["id"])] = u["Id"]
            self._owners = (hs_to_sf, sf_to_hs, active)
        return self._owners

    def _hs_owner_to_sf(self, hs_owner: str | None) -> str | None:
        return self._owner_maps()[0].get(hs_owner) if hs_owner else None

    def _sf_owner_to_hs(self, sf_owner: str | None) -> str | None:
        return self._owner_maps()[1].get(sf_owner) if sf_owner else None
