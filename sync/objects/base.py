"""What differs per synced pair of object types: one `ObjectType` descriptor per pair.

The pipeline stages (sync/pipeline/) take a descriptor and never test which object they sync; a new
pair (companies and accounts, deals and opportunities, ...) is a new small module next to
contacts.py that builds one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sync.schema import ObjectNames

if TYPE_CHECKING:
    from sync.pipeline.pair import Pair
    from sync.schema import Schema
    from sync.settings import ObjectSettings, Settings

# A special step: called by a stage with the engine (the per-run context), the pairs and the open
# state-database session where the stage has one. Typed loosely: the engine is the stages' mixin.
SpecialStep = Callable[..., Any]


@dataclass(frozen=True)
class ObjectType:
    name: str  # the settings section and the Link.object_type value
    hs_object: str  # the HubSpot object type in CRM v3 paths
    sf_objects: tuple[str, ...]  # the Salesforce sObjects synced with it, in capture order
    default_sf_object: str  # a pair whose sObject is not known yet
    # The dedupe key of a record on each side (e.g. the lower-cased email), or None when it has none.
    hs_key: Callable[[dict[str, Any]], str | None]
    sf_key: Callable[[dict[str, Any]], str | None]
    hs_key_property: str  # HubSpot property holding the key (batch read / upsert by it)
    sf_key_field: str  # Salesforce field holding the key
    # The settings section of this pair (toggles, deletion behaviour, mappings, inclusion list).
    settings_of: Callable[[Settings], ObjectSettings]
    # HubSpot properties holding the linked Salesforce record's id, per sObject (CON-12).
    link_properties: dict[str, str] = field(default_factory=dict)
    # Required Salesforce fields filled with a placeholder on create when HubSpot has no value;
    # the same values read back count as blank.
    create_defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    # Salesforce id prefixes (first 3 characters) -> sObject, to resolve a record the user names.
    sf_id_prefixes: dict[str, str] = field(default_factory=dict)
    # Hooks for the special steps of this pair (None: no such step).
    sf_create_target: Callable[[ObjectSettings], str] | None = None  # which sObject HubSpot creates
    sf_match_filter: Callable[[str, Schema], str] | None = None  # extra SOQL condition for matching
    sf_read_only: Callable[[str, dict[str, Any]], bool] | None = None  # a record never written to
    sf_specials: SpecialStep | None = None  # e.g. lead conversion (gate stage)
    creates_from_salesforce: Callable[[ObjectSettings, str], bool] | None = None  # CON-1 per sObject
    # HubSpot's webhook subscriptionType prefix for the object ("contact" -> contact.creation, ...).
    webhook_event: str = ""
    # What the schema stage names in reads and error messages for this pair.
    schema_names: ObjectNames = field(default_factory=ObjectNames)
    # The key is the Salesforce record id itself (companies: the Salesforce Account ID property),
    # not a value both records carry (contacts: the email): it is never written to Salesforce, a
    # HubSpot record without it is simply not linked yet, and records are created, not upserted.
    key_is_sf_id: bool = False
    hs_type_id: str = "0-1"  # HubSpot's objectTypeId (lists, memberships)
    # Matching and creation where the key is not enough (companies, CMP-4/CMP-6): hooks called
    # with the engine, the pairs and the schema.
    sf_find: SpecialStep | None = None  # HubSpot records -> {hs id: (sObject, existing record)}
    hs_find: SpecialStep | None = None  # Salesforce records -> {sf key: existing HubSpot record}
    create_gate: SpecialStep | None = None  # HubSpot records that may create in Salesforce
    after_chunk: SpecialStep | None = None  # after a chunk is committed (e.g. associations)
    cycle_step: SpecialStep | None = None  # once per poll cycle, after capture (e.g. CMP-8)
    # Deal-style hooks (sync/objects/deals.py), each called with the engine (None: no such step):
    before_schema: Callable[[Any], Any] | None = None  # reads the schema depends on (pipelines)
    after_validate: Callable[[Any], Any] | None = None  # setup writes once all settings are good
    gate_hook: Callable[[Any, Pair], str | None] | None = None  # why a pair does not sync, or None
    # Adjust a write body before it is sent (engine, pair, body, creating): values that depend on
    # the pair as a whole (a stage id in the deal's own pipeline, a new record's record type).
    shape_hubspot: Callable[[Any, Pair, dict[str, str], bool], None] | None = None
    shape_salesforce: Callable[[Any, Pair, dict[str, Any], bool], None] | None = None
    after_write: Callable[[Any, list[Pair]], None] | None = None  # related records of a chunk
    # The `associations` of each new HubSpot record, by Salesforce id (made with the create call).
    create_associations: Callable[[Any, list[Pair]], dict[str, list[dict[str, Any]]]] | None = None
    # Prefix of this pair's keys in the state database's flags (installed, inclusion list, ...).
    # None: "<name>:"; contacts keep the unprefixed keys existing state databases already hold.
    flag_scope: str | None = None

    @property
    def placeholders(self) -> dict[str, str]:
        """Every placeholder value by field, across the sObjects."""
        out: dict[str, str] = {}
        for defaults in self.create_defaults.values():
            out.update(defaults)
        return out

    def match_filter(self, sobject: str, schema: Schema) -> str:
        return self.sf_match_filter(sobject, schema) if self.sf_match_filter else ""

    def read_only(self, sobject: str, rec: dict[str, Any]) -> bool:
        return bool(self.sf_read_only and self.sf_read_only(sobject, rec))

    def create_target(self, section: ObjectSettings) -> str:
        return self.sf_create_target(section) if self.sf_create_target else self.default_sf_object

    def takes_from_salesforce(self, section: ObjectSettings, sobject: str) -> bool:
        return self.creates_from_salesforce(section, sobject) if self.creates_from_salesforce else True

    def sobject_of_id(self, record_id: str) -> str | None:
        return self.sf_id_prefixes.get(record_id[:3]) if len(record_id) in (15, 18) else None

    @property
    def hs_modified(self) -> str:
        """The HubSpot last-modified property capture searches on."""
        return self.schema_names.hs_modified_property

    @property
    def keyless(self) -> bool:
        """No dedupe key (DEAL-9): a new record on one side is created on the other, never matched."""
        return not self.hs_key_property

    def cursor_name(self) -> str:
        return f"hubspot:{self.hs_object}:lastmodifieddate"

    def flag(self, key: str) -> str:
        """The state-database flag `key` of this pair."""
        scope = f"{self.name}:" if self.flag_scope is None else self.flag_scope
        return f"{scope}{key}"

    @property
    def queue_types(self) -> tuple[str, ...]:
        """The QueueItem.object_type values of this pair's records (HubSpot object, sObjects)."""
        return (self.hs_object, *self.sf_objects)


def pair_key(obj: ObjectType, p: Pair) -> str | None:
    """The pair's dedupe key, from whichever side it has (HubSpot first)."""
    return (obj.hs_key(p.hs) if p.hs else None) or (obj.sf_key(p.sf) if p.sf else None)
