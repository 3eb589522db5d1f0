"""The state machine's model: what each side should hold, written from the behaviour catalog (RULE-1..4,
INC-*, CON-*, DEL-*, IMP-*), never read back from the engine.

Values are compared per field as `(hubspot, salesforce)` pairs. A `base` per field is the pair both
sides held after the last sync that touched the field (the merge base that says which side changed,
as in Dropbox's three trees). Where the catalog leaves the outcome open — "most recent change wins"
(A5) when both sides changed the same field, or the A6 case of a Salesforce clear racing a HubSpot
edit — the model allows either outcome, and then follows the one that happened; everywhere else it
predicts exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sync.mappings import SyncRule

Value = str | None
Pair = tuple[Value, Value]

TWO_WAY = SyncRule.TWO_WAY
PREFER = SyncRule.PREFER_SALESFORCE
ALWAYS = SyncRule.ALWAYS_SALESFORCE
DONT = SyncRule.DONT_SYNC
SYNCING_RULES = (TWO_WAY, PREFER, ALWAYS)


class LinkState(StrEnum):
    NONE = "none"  # the engine has no link for this person
    UNSYNCED = "unsynced"  # linked by email, values never synced (INC-3, IMP-3: outside the list)
    SYNCED = "synced"  # linked and synced at least once: `base` holds per-field merge bases
    STALE = "stale"  # linked to a HubSpot contact that was deleted (DEL-2: nothing reaches Salesforce)


@dataclass
class Record:
    id: str
    values: dict[str, Value]
    sobject: str = "contact"


@dataclass
class Person:
    """One email address and whatever each side holds for it."""

    email: str
    hs: Record | None = None
    sf: Record | None = None
    in_list: bool = False
    link: LinkState = LinkState.NONE
    base: dict[str, Pair] = field(default_factory=dict)
    # Since the last settle:
    locked: bool = False  # a structural change is pending; no more edits until it settles
    dirty: bool = False  # field edits pending
    hs_event: bool = False  # something the engine captures happened on the HubSpot side
    sf_event: bool = False
    sf_created: bool = False  # the Salesforce record was created (TRG-6), not only changed
    joined: bool = False  # joined the inclusion list (INC-5 trigger)
    sf_deleted_linked: bool = False  # the linked Salesforce record was deleted (DEL-1)
    converted: bool = False  # the linked lead was converted (CON-9)
    imported: str | None = None  # a Salesforce import of this object ran (IMP-1/2/3)

    def settled(self) -> None:
        self.locked = self.dirty = self.hs_event = self.sf_event = self.sf_created = self.joined = False
        self.sf_deleted_linked = self.converted = False
        self.imported = None


@dataclass
class Config:
    """The settings the model needs (the machine derives them from the settings file)."""

    rules: dict[str, SyncRule]  # HubSpot property -> rule, for the fields the machine varies
    sf_fields: dict[str, str]  # HubSpot property -> Salesforce field
    list_enabled: bool
    creates: str  # "Lead" | "Contact"  (CON-2)
    from_leads: bool  # CON-1: create/update HubSpot contacts from Salesforce leads
    from_contacts: bool
    delete_on_sf_delete: bool  # DEL-1

    def from_sf(self, sobject: str) -> bool:
        return self.from_leads if sobject == "Lead" else self.from_contacts


def known_outcomes(rule: SyncRule, base: Pair, h: Value, s: Value) -> list[Pair]:
    """A pair that synced before (RULE-1..4, A5/A6): the allowed (hubspot, salesforce) results."""
    if rule == DONT or h == s:
        return [(h, s)]
    bh, bs = base
    h_changed, s_changed = h != bh, s != bs
    if rule == ALWAYS:  # RULE-2: a Salesforce value or clear overwrites; HubSpot never writes
        return [(s, s)] if s_changed or s is not None else [(h, s)]
    if rule == PREFER:  # RULE-1 / A6
        if s_changed and h_changed:
            return [(s, s)] if s is not None else [(None, None), (h, h)]
        if s_changed:
            return [(s, s)]
        return [(h, h)] if s is None else [(s, s)]
    # RULE-3 two-way: the changed side wins, a clear counts; both changed -> the later (A5)
    if h_changed and s_changed:
        return [(h, h), (s, s)]
    if h_changed:
        return [(h, h)]
    if s_changed:
        return [(s, s)]
    return [(h, h), (s, s)]


def first_outcomes(rule: SyncRule, h: Value, s: Value) -> list[Pair]:
    """The first sync of a pair linked by email: a blank never wipes a value; otherwise Salesforce
    wins for RULE-1/2 and the later change for two-way (A5)."""
    if rule == DONT or h == s:
        return [(h, s)]
    if h is None:
        return [(s, s)]
    if s is None:
        return [(h, None)] if rule == ALWAYS else [(h, h)]
    if rule == TWO_WAY:
        return [(h, h), (s, s)]
    return [(s, s)]


def next_base(rule: SyncRule, old: Pair | None, outcome: Pair, first: bool) -> Pair | None:
    """The merge base after a sync: the agreed value; a pair left apart keeps its old base (or,
    on a first sync, the Salesforce side's value on both sides, as nothing was agreed)."""
    if rule == DONT:
        return old
    h, s = outcome
    if h == s:
        return (h, h)
    if first or old is None:
        return (s, s)
    return old


def created_in_salesforce(rule: SyncRule, h: Value) -> tuple[Value, Pair | None]:
    """CON-2: a HubSpot contact creates a Salesforce record: (Salesforce value, base)."""
    if rule in (TWO_WAY, PREFER):
        return h, (h, h)
    if rule == ALWAYS:  # RULE-2: not even into a blank
        return None, (h, None)
    return None, None


def created_in_hubspot(rule: SyncRule, s: Value) -> tuple[Value, Pair | None]:
    """TRG-6/CON-1: a Salesforce record creates a HubSpot contact: (HubSpot value, base)."""
    if rule == DONT:
        return None, None
    return s, (s, s)
