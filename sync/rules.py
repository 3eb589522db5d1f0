"""Sync decisions as pure functions (RULE-1..4, RULE-5, OWN-4, A5, A6).

Values are compared in a canonical text form (`canonical`): HubSpot stores every property as a
string, Salesforce returns typed JSON, so both are normalised before any comparison. `None` means
blank on either side (HubSpot "" and Salesforce null are the same thing to the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sync.mappings import FieldMapping, SyncRule


class Action(StrEnum):
    NONE = "none"
    TO_SALESFORCE = "to_salesforce"
    TO_HUBSPOT = "to_hubspot"


def canonical(value: Any, sf_type: str | None = None) -> str | None:
    """Canonical text of a value from either side (None for blank)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    text = str(value)
    if text == "":
        return None
    if sf_type in ("double", "int", "currency", "percent"):
        try:
            num = float(text)
        except ValueError:
            return text
        return str(int(num)) if num.is_integer() else repr(num)
    if sf_type == "boolean":
        return text.lower()
    if sf_type == "date" and text.isdigit():
        # HubSpot date pickers hold midnight-UTC epoch milliseconds; Salesforce dates are YYYY-MM-DD.
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC).strftime("%Y-%m-%d")
    if sf_type == "date" and len(text) > 10 and text[4] == "-":
        return text[:10]
    return text


def to_salesforce_value(value: str | None, sf_type: str | None) -> Any:
    """Canonical text -> the JSON value a Salesforce field of `sf_type` accepts."""
    if value is None:
        return None
    if sf_type == "boolean":
        return value.lower() == "true"
    if sf_type in ("double", "currency", "percent"):
        try:
            return float(value)
        except ValueError:
            return value  # let Salesforce reject it: a recorded property-value error (ERR-6)
    if sf_type == "int":
        try:
            return int(float(value))
        except ValueError:
            return value
    return value


def to_hubspot_value(value: str | None) -> str:
    """HubSpot clears a property with the empty string."""
    return "" if value is None else value


@dataclass(frozen=True)
class FieldState:
    """Everything the rules need about one mapped field of one linked pair."""

    mapping: FieldMapping
    hs_value: str | None
    sf_value: str | None
    # The value both sides held after the last sync, or {"hs": x, "sf": y} when the sides were
    # recorded without being reconciled (RULE-9 baseline of a mapping added later).
    last_synced: Any = None
    known: bool = False  # False until the pair has synced this field once
    hs_changed_at: datetime | None = None
    sf_changed_at: datetime | None = None

    @property
    def last_hs(self) -> str | None:
        return side_value(self.last_synced, "hs")

    @property
    def last_sf(self) -> str | None:
        return side_value(self.last_synced, "sf")


def side_value(last: Any, side: str) -> str | None:
    """A stored last-synced entry, as seen from one side ("hs" or "sf")."""
    return last.get(side) if isinstance(last, dict) else last


@dataclass(frozen=True)
class FieldDecision:
    hubspot: str
    salesforce: str
    rule: SyncRule
    action: Action
    value: str | None
    reason: str
    # What to store as the last-synced value after the write succeeds (None + known=False: keep old).
    synced_value: Any = None
    mark_known: bool = False


@dataclass
class PairDecision:
    fields: list[FieldDecision] = field(default_factory=list)

    @property
    def to_salesforce(self) -> dict[str, str | None]:
        return {d.salesforce: d.value for d in self.fields if d.action == Action.TO_SALESFORCE}

    @property
    def to_hubspot(self) -> dict[str, str | None]:
        return {d.hubspot: d.value for d in self.fields if d.action == Action.TO_HUBSPOT}


def _later(hs_at: datetime | None, sf_at: datetime | None) -> str:
    """A5: the later change wins; unknown or equal times go to Salesforce (the system of record)."""
    if hs_at is not None and (sf_at is None or hs_at > sf_at):
        return "hubspot"
    return "salesforce"


_EARLY = datetime(2000, 1, 1, tzinfo=UTC)
_LATE = datetime(2100, 1, 1, tzinfo=UTC)


def contested(fs: FieldState) -> bool:
    """Both sides hold a claim the other does not: both changed since the last sync, or, on a first
    sync, both hold a value. Only then can "which changed last" (A5) matter."""
    if not fs.known:
        return fs.hs_value is not None and fs.sf_value is not None
    return fs.hs_value != fs.last_hs and fs.sf_value != fs.last_sf


def times_matter(decide: Callable[[FieldState], FieldDecision], fs: FieldState) -> bool:
    """Whether `decide` picks a different winner for this field depending on which side changed it
    last (A5): then the engine fetches the field's own change time before deciding. Asked only of
    contested fields (most fields of most records have one side unchanged: no call at all)."""
    if not contested(fs):
        return False
    hs_later = decide(replace(fs, hs_changed_at=_LATE, sf_changed_at=_EARLY))
    sf_later = decide(replace(fs, hs_changed_at=_EARLY, sf_changed_at=_LATE))
    return (hs_later.action, hs_later.value) != (sf_later.action, sf_later.value)


def decide_field(fs: FieldState) -> FieldDecision:
    m = fs.mapping
    rule = m.effective_rule
    hs, sf, last = fs.hs_value, fs.sf_value, fs.last_synced

    def out(action: Action, value: str | None, reason: str) -> FieldDecision:
        synced = value if action != Action.NONE else (hs if hs == sf else (sf if not fs.known else last))
        return FieldDecision(m.hubspot, m.salesforce, rule, action, value, reason, synced, True)

    if rule == SyncRule.DONT_SYNC:
        return FieldDecision(m.hubspot, m.salesforce, rule, Action.NONE, None, "RULE-4: don't sync")
    if hs == sf:
        return out(Action.NONE, None, "values already equal")
    to_sf = (Action.TO_SALESFORCE, hs)
    to_hs = (Action.TO_HUBSPOT, sf)

    if not fs.known:
        # First sync of this pair: a blank never wipes a value on the first pass.
        if hs is None:
            return out(*to_hs, "first sync: HubSpot blank, Salesforce value copied")
        if sf is None:
            if rule == SyncRule.ALWAYS_SALESFORCE:
                return out(Action.NONE, None, "RULE-2: HubSpot never writes to Salesforce, even into a blank")
            return out(*to_sf, "first sync: Salesforce blank, HubSpot value copied")
        if rule in (SyncRule.ALWAYS_SALESFORCE, SyncRule.PREFER_SALESFORCE):
            return out(*to_hs, f"{_rule_id(rule)}: Salesforce value overwrites HubSpot")
        if m.is_owner:
            return out(*to_hs, "OWN-4: existing Salesforce owner kept on first sync")
        if _later(fs.hs_changed_at, fs.sf_changed_at) == "hubspot":
            return out(*to_sf, "RULE-3/A5: first sync, HubSpot changed later")
        return out(*to_hs, "RULE-3/A5: first sync, Salesforce changed later (or same time)")

    hs_changed, sf_changed = hs != fs.last_hs, sf != fs.last_sf
    if rule == SyncRule.ALWAYS_SALESFORCE:
        if sf_changed:
            return out(*to_hs, "RULE-2: Salesforce value (or clear) overwrites HubSpot")
        if sf is not None:
            # "A Salesforce value always overwrites HubSpot's" (RULE-2, as RULE-1 reads it): a
            # HubSpot edit of the field is reverted to Salesforce's value at the sync it triggers.
            return out(*to_hs, "RULE-2: HubSpot edit reverted; the Salesforce value always wins")
        return out(Action.NONE, None, "RULE-2: HubSpot never writes to Salesforce, even into a blank")
    if rule == SyncRule.PREFER_SALESFORCE:
        if sf_changed and hs_changed:
            if sf is None and _later(fs.hs_changed_at, fs.sf_changed_at) == "hubspot":
                return out(*to_sf, "RULE-1/A6: Salesforce cleared, HubSpot changed later into the blank")
            return out(*to_hs, "RULE-1: Salesforce change overwrites HubSpot")
        if sf_changed:
            return out(*to_hs, "RULE-1: Salesforce value (or clear) overwrites HubSpot")
        if sf is None:
            return out(*to_sf, "RULE-1: Salesforce blank, HubSpot change fills it")
        return out(*to_hs, "RULE-1: Salesforce not blank, its value overwrites HubSpot's change")
    # TWO_WAY (RULE-3; also the owner, RULE-5)
    if hs_changed and sf_changed:
        if _later(fs.hs_changed_at, fs.sf_changed_at) == "hubspot":
            return out(*to_sf, "RULE-3/A5: both changed, HubSpot later")
        return out(*to_hs, "RULE-3/A5: both changed, Salesforce later (or same time)")
    if hs_changed:
        return out(*to_sf, "RULE-3: HubSpot change (a clear counts) wins")
    return out(*to_hs, "RULE-3: Salesforce change (a clear counts) wins")


def _rule_id(rule: SyncRule) -> str:
    return {
        SyncRule.PREFER_SALESFORCE: "RULE-1",
        SyncRule.ALWAYS_SALESFORCE: "RULE-2",
        SyncRule.TWO_WAY: "RULE-3",
        SyncRule.DONT_SYNC: "RULE-4",
    }[rule]


def baseline_field(fs: FieldState) -> FieldDecision:
    """RULE-9: a mapping added after the pair first synced is not retroactive: today's values on
    both sides become the baseline and only later changes sync (backfill = resync or import)."""
    m = fs.mapping
    synced: Any = fs.hs_value if fs.hs_value == fs.sf_value else {"hs": fs.hs_value, "sf": fs.sf_value}
    return FieldDecision(
        m.hubspot,
        m.salesforce,
        m.effective_rule,
        Action.NONE,
        None,
        "RULE-9: new mapping, existing values are not synced; later changes will be",
        synced,
        True,
    )


def decide_pair(fields: list[FieldState]) -> PairDecision:
    """Decisions for every mapped field of one linked pair. Unmapped fields never appear (TRG-4)."""
    return PairDecision([decide_field(f) for f in fields])
