"""`SyncMachine`: a Hypothesis RuleBasedStateMachine over both fakes and the sync engine.

Rules act like people in either app (create/update/clear/delete on both sides, list joins and
leaves, lead conversion), like an admin (mapping-rule and settings changes, imports, manual
resyncs), like the world (clock advances, 429 bursts, 5xx, timeouts, dropped connections, a spent
daily limit) and like an unlucky host (the engine killed after its N-th HTTP call or N-th state
commit, then restarted from its state database). `settle` stops the faults, lets the engine run
until a cycle writes nothing, and compares both fakes with the model (`hubforce.testing.model`).

Structural changes (creates, deletes, list joins/leaves, conversion, imports) lock the person until
the next settle, and settings changes settle first: their outcome would otherwise depend on whether
an earlier cycle happened to get through (e.g. RULE-1 reverts a HubSpot edit made after the first
sync, but not one made before it), which no model of the catalog can predict. Field edits on synced
pairs, cycles, faults and crashes interleave freely.

Webhooks (`WebhookSyncMachine`; its `webhooks`: True, or None to draw it per example): the engine
also captures HubSpot changes by webhooks, configured as a user would (see hubforce.testing.world), and
three more rules apply: `drain` (process what the receiver queued, as `sync run` does every few
seconds), `webhook_trouble` (the receiver refuses deliveries, is down, or loses its answers, so the
fake retries and, after HOOK_MAX_ATTEMPTS, drops them) and `webhook_recover`. The invariants are the
same: a drain is early processing, and settle still runs poll cycles, the search capture being the
safety net for whatever the webhooks missed (the receiver may stay in trouble through a settle).
The receiver must accept every delivery that reaches it (no signature or state failures), and every
engine restarted after a crash or a settings change gets a fresh receiver.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hubforce.testing.flicker import FlickerChecks
from hubforce.testing.model import (
    ALWAYS,
    DONT,
    SYNCING_RULES,
    Config,
    LinkState,
    Pair,
    Person,
    Record,
    Value,
    created_in_hubspot,
    created_in_salesforce,
    first_outcomes,
    known_outcomes,
    next_base,
)
from hubforce.testing.transport_faults import TransportFaultRules
from hubforce.testing.world import HOOK_TROUBLE, CrashPlan, Decide, EngineRun, World
from scenarios.fakes import FakeApiError
from scenarios.values import filter_branch
from sync.mappings import SyncRule
from sync.rules import decide_field

# HubSpot property -> Salesforce field, plain text on both Lead and Contact: the fields the machine
# edits and checks (other mapped fields sync too, they are just not varied).
FIELD_CANDIDATES: dict[str, str] = {
    "firstname": "FirstName",
    "jobtitle": "Title",
    "phone": "Phone",
    "fax": "Fax",
}
DEFAULT_RULES: dict[str, SyncRule] = {
    "firstname": SyncRule.TWO_WAY,
    "jobtitle": SyncRule.PREFER_SALESFORCE,
    "phone": SyncRule.ALWAYS_SALESFORCE,
    "fax": SyncRule.DONT_SYNC,
}
VALUES: tuple[str, ...] = ("101", "202", "303")  # few values, so both sides often collide
VALUE = st.one_of(st.none(), st.sampled_from(VALUES))
LIST_NAME = "Sync to Salesforce"
IN_LIST, OUT_OF_LIST = "marketingqualifiedlead", "lead"  # lifecyclestage values
POLL = 900
RETRY_AFTER = 1201  # just past the default 20-minute retry interval (ERR-7)
DRAIN_INTERVAL = 5  # sync run drains the webhook queue this often between poll ticks
SETTLE_CYCLES = 12
DEFAULT_DAILY_LIMIT = 15000

FAULTS: dict[str, dict[str, Any]] = {
    "hubspot_429_burst": {"service": "hubspot", "method": "POST", "path": r".*/search$", "status": 429},
    "hubspot_5xx": {"service": "hubspot", "path": r"/crm/v3/objects/contacts.*", "status": 502},
    "hubspot_write_drop": {
        "service": "hubspot",
        "method": "POST",
        "path": r".*/batch/(update|upsert|create)$",
        "action": "drop",
    },
    "hubspot_timeout": {"service": "hubspot", "path": r"/crm/v3/.*", "action": "timeout"},
    "hubspot_daily_429": {
        "service": "hubspot",
        "path": r"/crm/v3/.*",
        "status": 429,
        "body": {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "DAILY",
        },
    },
    "salesforce_query_503": {"service": "salesforce", "method": "GET", "path": r".*/query.*", "status": 503},
    "salesforce_write_timeout": {
        "service": "salesforce",
        "method": "(POST|PATCH)",
        "path": r".*/composite/sobjects.*",
        "action": "timeout",
    },
    "salesforce_drop": {"service": "salesforce", "path": r".*/services/data/.*", "action": "drop"},
    "salesforce_500_sometimes": {
        "service": "salesforce",
        "path": r".*/services/data/.*",
        "status": 500,
        "probability": 0.3,
    },
}

START_ARGS: dict[str, st.SearchStrategy[Any]] = {
    "rules": st.fixed_dictionaries({k: st.sampled_from(list(SyncRule)) for k in FIELD_CANDIDATES}),
    "list_enabled": st.booleans(),
    "creates": st.sampled_from(["Lead", "Contact"]),
    "from_leads": st.booleans(),
    "delete_on_sf_delete": st.booleans(),
    "population": st.lists(
        st.tuples(
            st.sampled_from(["hubspot", "salesforce", "both", "none"]),
            st.lists(VALUE, min_size=4, max_size=4),
            st.lists(VALUE, min_size=4, max_size=4),
            st.booleans(),
        ),
        min_size=3,
        max_size=3,
    ),
}


QuietInvariant = Callable[["SyncMachine"], None]
T = TypeVar("T")


@dataclass
class Observed:
    """Both fakes as a person sees them, by email."""

    hs: dict[str, list[Record]] = field(default_factory=dict)
    hs_list: dict[str, bool] = field(default_factory=dict)
    sf: dict[str, list[Record]] = field(default_factory=dict)  # unconverted leads and contacts


@dataclass
class Expectation:
    hs: bool
    sf: bool
    outcomes: dict[str, list[Pair]]
    link: LinkState
    first: bool = False
    sf_object: str | None = None
    in_list: bool | None = None
    why: str = ""


def load_settings(path: str | Path | None) -> dict[str, Any] | None:
    """A user's settings file (connections are ignored: the machine points the engine at the fakes)."""
    if path is None:
        return None
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for key in ("hubspot", "salesforce", "state_url"):
        data.pop(key, None)
    return data


def config_from_settings(data: dict[str, Any]) -> Config:
    contacts = data.get("contacts") or {}
    rules: dict[str, SyncRule] = {}
    sf_fields: dict[str, str] = {}
    for m in contacts.get("mappings") or []:
        hs, sf = m.get("hubspot"), m.get("salesforce")
        if FIELD_CANDIDATES.get(hs) == sf:
            rules[hs] = SyncRule(str(m.get("rule", SyncRule.PREFER_SALESFORCE.value)).lower())
            sf_fields[hs] = sf
    if not rules:  # the settings map none of them specially: vary them under their defaults (RULE-12)
        rules = {"firstname": SyncRule.PREFER_SALESFORCE, "jobtitle": SyncRule.PREFER_SALESFORCE}
        sf_fields = {k: FIELD_CANDIDATES[k] for k in rules}
    return Config(
        rules=rules,
        sf_fields=sf_fields,
        list_enabled=bool(contacts.get("inclusion_list")),
        creates="Contact" if str(contacts.get("hubspot_creates", "lead")).lower() == "contact" else "Lead",
        from_leads=str(contacts.get("from_salesforce_leads", "create_or_update")) == "create_or_update",
        from_contacts=str(contacts.get("from_salesforce_contacts", "create_or_update")) == "create_or_update",
        delete_on_sf_delete=str(contacts.get("deletion", "do_nothing")) == "delete",
    )


def settings_for(cfg: Config, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine settings for a model config (keeping whatever else a user's file says)."""
    data = copy.deepcopy(base) if base else {}
    contacts = data.setdefault("contacts", {})
    if cfg.list_enabled:
        contacts["inclusion_list"] = contacts.get("inclusion_list") or LIST_NAME
    contacts["hubspot_creates"] = cfg.creates.lower()
    contacts["from_salesforce_leads"] = "create_or_update" if cfg.from_leads else "do_nothing"
    contacts["from_salesforce_contacts"] = "create_or_update" if cfg.from_contacts else "do_nothing"
    contacts["deletion"] = "delete" if cfg.delete_on_sf_delete else "do_nothing"
    others = [m for m in contacts.get("mappings") or [] if m.get("hubspot") not in cfg.rules]
    contacts["mappings"] = others + [
        {"hubspot": hs, "salesforce": cfg.sf_fields[hs], "rule": rule.value} for hs, rule in cfg.rules.items()
    ]
    return data


class SyncMachine(TransportFaultRules, FlickerChecks, RuleBasedStateMachine):
    """Subclass (or use `make_machine`) to plug in a settings file and extra invariants:

    - `settings_data`: settings as a dict (None: the machine draws its own configuration)
    - `quiet_invariants`: callables `(machine) -> None`, run after every settle (quiescence)
    - `step_invariants`: callables `(machine) -> None`, run after every step
    - `decide`: the per-field decision the engine uses (sync.rules.decide_field)
    - `people`: how many email addresses the machine plays with
    - `chunk_size`: queue items per processing chunk (boundary effects; None: the engine's default)

    Mixed in: transport failures of every class at any call (hubforce.testing.transport_faults) and
    the no-flicker invariant (hubforce.testing.flicker).

    `WebhookSyncMachine` adds HubSpot webhook capture and its rules.
    """

    settings_data: dict[str, Any] | None = None
    quiet_invariants: Sequence[QuietInvariant] = ()
    step_invariants: Sequence[QuietInvariant] = ()
    decide: Decide = staticmethod(decide_field)  # type: ignore[assignment]
    people: int = 3
    seed: int = 1234
    chunk_size: int | None = None  # queue items per processing chunk (None: the engine's default)

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.cfg: Config | None = None
        self.persons: list[Person] = []
        self.base_settings: dict[str, Any] = {}
        self.faults_on = False
        self.limit_spent = False
        self.import_retry: set[str] = set()
        self.resync_retry: set[str] = set()
        self._obs: Observed | None = None
        self._ok = True  # False while a step or check is running (a failure leaves it False)
        self.settles = 0
        self.hooks_on = False  # this example captures HubSpot changes by webhooks too

    # ------------------------------------------------------------------ set-up
    @initialize(**START_ARGS)
    def start(
        self,
        rules: dict[str, SyncRule],
        list_enabled: bool,
        creates: str,
        from_leads: bool,
        delete_on_sf_delete: bool,
        population: list[tuple[str, list[Value], list[Value], bool]],
    ) -> None:
        self._start(rules, list_enabled, creates, from_leads, delete_on_sf_delete, population)

    def _start(
        self,
        rules: dict[str, SyncRule],
        list_enabled: bool,
        creates: str,
        from_leads: bool,
        delete_on_sf_delete: bool,
        population: list[tuple[str, list[Value], list[Value], bool]],
    ) -> None:
        self._ok = False
        if self.settings_data is not None:
            self.base_settings = copy.deepcopy(self.settings_data)
            self.cfg = config_from_settings(self.base_settings)
        else:
            self.cfg = Config(
                rules=rules,
                sf_fields=dict(FIELD_CANDIDATES),
                list_enabled=list_enabled,
                creates=creates,
                from_leads=from_leads,
                from_contacts=True,
                delete_on_sf_delete=delete_on_sf_delete,
            )
        settings = settings_for(self.cfg, self.base_settings)
        self.world = World(
            settings, seed=self.seed, decide=type(self).decide, webhooks=self.hooks_on, chunk_size=self.chunk_size
        )
        self.watch_for_flicker(self.world, self.cfg.sf_fields)
        if self.cfg.list_enabled:
            # the machine controls membership through lifecyclestage (INC-1: an active list)
            self.world.fakes.hs_create_list(
                settings["contacts"]["inclusion_list"], "DYNAMIC", filter_branch({"lifecyclestage": [IN_LIST]})
            )
            self.world.restart(settings)  # the list now exists: the engine can validate it
        if self.hooks_on:  # after the list exists: its filter's property is subscribed too
            self.world.subscribe_webhooks()
        self.persons = [Person(email=f"p{i}@example.com") for i in range(self.people)]
        self.world.run(lambda e: e.run_cycle())  # install (TRG-15): nothing exists yet
        self.world.advance(60)
        # Correlated records from the start (same emails on both sides), or the interesting paths
        # (matching, conflicts, first syncs) are rarely reached; then sync until settled.
        for i, (where, hs_values, sf_values, in_list) in enumerate(population[: self.people]):
            if where in ("hubspot", "both"):
                self.hubspot_create(i, hs_values, in_list)
            if where in ("salesforce", "both"):
                self.salesforce_create(i, "Lead" if in_list else "Contact", sf_values)
        self._settle_and_check("initial sync")
        self._ok = True

    def teardown(self) -> None:
        try:
            if self.world is not None and self._ok and self.settles_possible():
                self._settle_and_check("final settle")
        finally:
            if self.world is not None:
                self.world.close()
                self.world = None

    def settles_possible(self) -> bool:
        return self.cfg is not None

    def apply_settings(self) -> None:
        """The admin changed the settings: the engine restarts with them (and, with webhooks, the
        subscriptions are brought in line, as `sync webhooks-subscribe` would)."""
        self.w.restart(settings_for(self.c, self.base_settings))
        if self.hooks_on:
            self.w.subscribe_webhooks()

    # ------------------------------------------------------------------ helpers
    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    @property
    def c(self) -> Config:
        assert self.cfg is not None
        return self.cfg

    def person(self, i: int) -> Person:
        return self.persons[i % len(self.persons)]

    def tick(self) -> None:
        """Each action of a person takes a second, so no two changes share a timestamp."""
        self._obs = None
        self.w.advance(1)

    def eligible(self, p: Person) -> bool:
        return p.hs is not None and (not self.c.list_enabled or p.in_list)

    def _fields_of(self, values: dict[str, Value]) -> dict[str, Any]:
        return {hs: v for hs, v in values.items() if v is not None}

    # ------------------------------------------------------------------ people: HubSpot
    @rule(i=st.integers(0, 9), values=st.lists(VALUE, min_size=4, max_size=4), in_list=st.booleans())
    def hubspot_create(self, i: int, values: list[Value], in_list: bool) -> None:
        self._ok = False
        p = self.person(i)
        if p.hs is None and not p.locked and not p.dirty:
            vals = dict(zip(self.c.rules, values, strict=False))
            props: dict[str, Any] = {"email": p.email, "lastname": "Doe", **self._fields_of(vals)}
            if self.c.list_enabled:
                props["lifecyclestage"] = IN_LIST if in_list else OUT_OF_LIST
            rec = self.as_person(lambda: self.w.fakes.hs_create_contact(props))
            p.hs = Record(str(rec["id"]), {k: vals.get(k) for k in self.c.rules})
            p.in_list = in_list if self.c.list_enabled else False
            p.locked = p.hs_event = True
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9), prop=st.integers(0, 3), value=VALUE)
    def hubspot_update(self, i: int, prop: int, value: Value) -> None:
        self._ok = False
        p = self.person(i)
        name = list(self.c.rules)[prop % len(self.c.rules)]
        if p.hs is not None and not p.locked and p.hs.values.get(name) != value:
            hs_id = p.hs.id
            self.as_person(lambda: self.w.fakes.hs_update_contact(hs_id, {name: value}))
            p.hs.values[name] = value
            p.dirty = p.hs_event = True
            p.locked = p.link != LinkState.SYNCED
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9))
    def hubspot_delete(self, i: int) -> None:
        self._ok = False
        p = self.person(i)
        if p.hs is not None and not p.locked and not p.dirty:
            hs_id = p.hs.id
            self.as_person(lambda: self.w.fakes.hs_delete_contact(hs_id))
            p.hs = None
            if p.link != LinkState.NONE:
                p.link = LinkState.STALE  # DEL-2: the deletion never reaches Salesforce
            p.locked = True
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9))
    def toggle_list_membership(self, i: int) -> None:
        """INC-5/INC-9: an edit that makes the contact join or leave the inclusion list."""
        self._ok = False
        p = self.person(i)
        if self.c.list_enabled and p.hs is not None and not p.locked and not p.dirty:
            p.in_list = not p.in_list
            stage = {"lifecyclestage": IN_LIST if p.in_list else OUT_OF_LIST}
            hs_id = p.hs.id
            self.as_person(lambda: self.w.fakes.hs_update_contact(hs_id, stage))
            p.joined = p.in_list
            p.locked = True
            self.tick()
        self._ok = True

    # ------------------------------------------------------------------ people: Salesforce
    @rule(
        i=st.integers(0, 9),
        sobject=st.sampled_from(["Lead", "Contact"]),
        values=st.lists(VALUE, min_size=4, max_size=4),
    )
    def salesforce_create(self, i: int, sobject: str, values: list[Value]) -> None:
        self._ok = False
        p = self.person(i)
        if p.sf is None and not p.locked and not p.dirty:
            vals = dict(zip(self.c.rules, values, strict=False))
            body: dict[str, Any] = {"Email": p.email, "LastName": "Doe"}
            if sobject == "Lead":
                body["Company"] = "Acme"
            body.update({self.c.sf_fields[k]: v for k, v in vals.items() if v is not None})
            sf_id = self.w.fakes.sf_create(sobject, body)
            p.sf = Record(sf_id, {k: vals.get(k) for k in self.c.rules}, sobject)
            p.locked = p.sf_event = p.sf_created = True
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9), prop=st.integers(0, 3), value=VALUE)
    def salesforce_update(self, i: int, prop: int, value: Value) -> None:
        self._ok = False
        p = self.person(i)
        name = list(self.c.rules)[prop % len(self.c.rules)]
        if p.sf is not None and not p.locked and p.sf.values.get(name) != value:
            self.w.fakes.sf_update(p.sf.sobject, p.sf.id, {self.c.sf_fields[name]: value})
            p.sf.values[name] = value
            p.dirty = p.sf_event = True
            p.locked = p.link != LinkState.SYNCED
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9))
    def salesforce_delete(self, i: int) -> None:
        self._ok = False
        p = self.person(i)
        if p.sf is not None and not p.locked and not p.dirty:
            self.w.fakes.sf_delete(p.sf.sobject, p.sf.id)
            p.sf = None
            p.sf_deleted_linked = p.link in (LinkState.SYNCED, LinkState.UNSYNCED, LinkState.STALE)
            p.locked = True
            self.tick()
        self._ok = True

    @rule(i=st.integers(0, 9))
    def convert_lead(self, i: int) -> None:
        """CON-9: the lead becomes a contact; the link follows it (A7)."""
        self._ok = False
        p = self.person(i)
        if (
            p.sf is not None
            and p.sf.sobject == "Lead"
            and not p.locked
            and not p.dirty
            and self.c.from_contacts
            # After a HubSpot deletion the catalog leaves open whether the new contact record a
            # conversion creates brings the contact back (TRG-6) or follows the stale link (CON-9).
            and p.link != LinkState.STALE
        ):
            result = self.w.fakes.control(
                "POST", "/salesforce/convert-lead", json={"leadId": p.sf.id, "doNotCreateOpportunity": True}
            )
            contact_id = str(result["contactId"])
            rec = self.w.fakes.sf_get("Contact", contact_id) or {}
            p.sf = Record(
                contact_id, {k: _text(rec.get(self.c.sf_fields[k])) for k in self.c.rules}, "Contact"
            )
            p.converted = p.sf_event = p.locked = p.sf_created = True
            self.tick()
        self._ok = True

    # ------------------------------------------------------------------ admins
    @rule(prop=st.integers(0, 3), new=st.sampled_from(SYNCING_RULES))
    def change_mapping_rule(self, prop: int, new: SyncRule) -> None:
        """A mapping's rule changes between the syncing rules (at quiescence; see the module doc)."""
        self._ok = False
        name = list(self.c.rules)[prop % len(self.c.rules)]
        if self.c.rules[name] != DONT and self.c.rules[name] != new:
            self._settle_and_check("before a rule change")
            if any(
                p.link == LinkState.SYNCED and p.hs and p.sf and p.hs.values[name] != p.sf.values[name]
                for p in self.persons
            ):
                # A pair left apart (RULE-2 keeps a HubSpot edit in HubSpot): which side wins once
                # the rule changes is not documented, so the model does not guess.
                self._ok = True
                return
            self.c.rules[name] = new
            self.apply_settings()
        self._ok = True

    @rule()
    def toggle_hubspot_creates(self) -> None:
        """CON-2: switch between creating Salesforce leads and contacts (at quiescence)."""
        self._ok = False
        self._settle_and_check("before a settings change")
        self.c.creates = "Contact" if self.c.creates == "Lead" else "Lead"
        self.apply_settings()
        self._ok = True

    @rule(sobject=st.sampled_from(["Lead", "Contact"]), fault=st.none() | st.sampled_from(sorted(FAULTS)))
    def import_from_salesforce(self, sobject: str, fault: str | None) -> None:
        """IMP-1..4, possibly under a fault; an import that does not finish is run again by the
        admin at the next settle."""
        self._ok = False
        self._settle_and_check("before an import")
        if fault is not None:
            self.inject_fault(fault, 1)
            self._ok = False
        run = self.w.run(lambda e: e.import_salesforce(sobject))
        if run.crashed or (run.report is not None and run.report.stopped):
            self.import_retry.add(sobject)
        for p in self.persons:
            if p.sf is not None and p.sf.sobject == sobject and p.link == LinkState.NONE:
                p.imported = sobject
                p.locked = True
        self._obs = None
        self._ok = True

    @rule(i=st.integers(0, 9))
    def resync_record(self, i: int) -> None:
        """TRG-14: a manual sync of one contact (a trigger, processed at once)."""
        self._ok = False
        p = self.person(i)
        if p.hs is not None and not p.locked:
            p.hs_event = True
            p.locked = p.link != LinkState.SYNCED
            hs_id = p.hs.id
            run = self.w.run(lambda e: e.resync_record(hs_id))
            if run.crashed or (run.report is not None and run.report.stopped):
                # refused while suspended, or cut short: the person clicks again at the next settle
                self.resync_retry.add(p.email)
            self._obs = None
        self._ok = True

    # ------------------------------------------------------------------ the engine and the world
    @rule(wait=st.sampled_from([1, POLL, RETRY_AFTER]))
    def sync_cycle(self, wait: int) -> None:
        self._ok = False
        self.w.advance(wait)
        self.w.run(lambda e: e.run_cycle())
        self._obs = None
        self._ok = True

    @precondition(lambda self: not self.faults_on and not self.limit_spent and self.w.crash is None)
    @rule()
    def cycle_twice(self) -> None:
        """Idempotence: with nothing new, a second cycle right after the first changes nothing."""
        self._ok = False
        self.w.run(lambda e: e.run_cycle())
        before = self.observe(fresh=True)
        second = self.w.run(lambda e: e.run_cycle())
        after = self.observe(fresh=True)
        assert not second.write_calls, f"a repeated cycle wrote: {_calls(second.write_calls)}"
        assert _values(before) == _values(after), "a repeated cycle changed the records"
        self._ok = True

    @rule(kind=st.sampled_from(sorted(FAULTS)), times=st.integers(1, 4))
    def inject_fault(self, kind: str, times: int) -> None:
        self._ok = False
        body = dict(FAULTS[kind])
        body["times"] = times * 5 if "probability" in body else times
        self.w.fakes.control("POST", "/faults", json=body)
        self.w.fakes.faults_active = self.faults_on = True
        self._ok = True

    @rule(left=st.integers(0, 15))
    def spend_daily_limit(self, left: int) -> None:
        """LIM-2/SUS-1: the org's daily API requests run out after `left` more calls."""
        self._ok = False
        used = int(self.w.fakes.control("GET", "/salesforce/api-usage")["used"])
        self.w.fakes.control("PATCH", "/settings", json={"salesforce": {"daily_api_requests": used + left}})
        self.w.fakes.usage_managed = self.limit_spent = True
        self._ok = True

    @rule(kind=st.sampled_from(["transport", "commit"]), after=st.integers(1, 40))
    def arm_crash(self, kind: str, after: int) -> None:
        """The next engine action dies at its `after`-th HTTP call or state commit; the engine is
        then restarted from its state database."""
        self.w.crash = CrashPlan(kind, after if kind == "transport" else 1 + after % 12)

    @rule()
    def settle(self) -> None:
        self._ok = False
        self._settle_and_check("settle")
        self._ok = True

    # ------------------------------------------------------------------ observation
    def as_person(self, call: Callable[[], T]) -> T:
        """A person's call; HubSpot's per-second limit is shared with the engine, so someone
        who hits it waits a second and tries again."""
        for _ in range(5):
            try:
                return call()
            except FakeApiError as exc:
                if exc.status != 429:
                    raise
                self.w.advance(1)
        return call()

    def observe(self, fresh: bool = False) -> Observed:
        if self._obs is not None and not fresh:
            return self._obs
        fakes = self.w.fakes
        props = ["email", "lifecyclestage", *self.c.rules]
        body = {"properties": props, "limit": 100}
        obs = Observed()
        found = self.as_person(lambda: fakes.hs("POST", "/crm/v3/objects/contacts/search", json=body))
        for r in found.json().get("results", []):
            pr = r.get("properties") or {}
            email = (pr.get("email") or "").lower()
            obs.hs.setdefault(email, []).append(
                Record(str(r["id"]), {k: _text(pr.get(k)) for k in self.c.rules})
            )
            obs.hs_list[email] = pr.get("lifecyclestage") == IN_LIST
        fields = ", ".join(["Id", "Email", *self.c.sf_fields.values()])
        for sobject in ("Lead", "Contact"):
            extra = " WHERE IsConverted = false" if sobject == "Lead" else ""
            for r in self.as_person(lambda q=f"SELECT {fields} FROM {sobject}{extra}": fakes.sf_query(q)):
                email = (r.get("Email") or "").lower()
                vals = {k: _text(r.get(f)) for k, f in self.c.sf_fields.items()}
                obs.sf.setdefault(email, []).append(Record(str(r["Id"]), vals, sobject))
        self._obs = obs
        return obs

    # ------------------------------------------------------------------ invariants after every step
    @invariant()
    def no_duplicates(self) -> None:
        """At most one HubSpot contact per email, one (unconverted) Salesforce record per contact."""
        if self.world is None or not self._ok:
            return
        obs = self.observe()
        for email, recs in obs.hs.items():
            assert len(recs) <= 1, f"{len(recs)} HubSpot contacts with email {email}"
        for email, recs in obs.sf.items():
            assert len(recs) <= 1, f"{len(recs)} Salesforce records with email {email}: " + ", ".join(
                f"{r.sobject} {r.id}" for r in recs
            )

    @invariant()
    def nothing_unexpected_written(self) -> None:
        """Between settles, for every person without a pending structural change: records exist
        exactly as the model says; "don't sync" fields never change and "always use Salesforce"
        fields never change in Salesforce (RULE-2/4); and a contact outside the inclusion list has
        nothing written to either side (INC-3/INC-9, A1)."""
        if self.world is None or not self._ok:
            return
        obs = self.observe()
        for p in self.persons:
            if p.locked:
                continue
            hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
            hs = hs_recs[0] if hs_recs else None
            sf = sf_recs[0] if sf_recs else None
            assert (hs is None) == (p.hs is None), (
                f"{p.email}: HubSpot contact {'appeared' if hs else 'vanished'}"
            )
            assert (sf is None) == (p.sf is None), (
                f"{p.email}: Salesforce record {'appeared' if sf else 'vanished'}"
            )
            gated = self.c.list_enabled and p.hs is not None and not p.in_list
            for name, rule_ in self.c.rules.items():
                if hs is not None and p.hs is not None and (rule_ == DONT or gated):
                    assert hs.values[name] == p.hs.values[name], (
                        f"{p.email}: HubSpot {name} changed to {hs.values[name]!r} "
                        f"({'outside the inclusion list' if gated else 'dont_sync'}), expected {p.hs.values[name]!r}"
                    )
                if sf is not None and p.sf is not None and (rule_ in (DONT, ALWAYS) or gated):
                    assert sf.values[name] == p.sf.values[name], (
                        f"{p.email}: Salesforce {self.c.sf_fields[name]} changed to {sf.values[name]!r} "
                        f"(rule {rule_.value}{', outside the inclusion list' if gated else ''}), "
                        f"expected {p.sf.values[name]!r}"
                    )

    @invariant()
    def user_step_invariants(self) -> None:
        if self.world is None or not self._ok:
            return
        for check in self.step_invariants:
            check(self)

    # ------------------------------------------------------------------ settle and convergence
    def _stop_faults(self) -> None:
        fakes = self.w.fakes
        fakes.control("DELETE", "/faults")
        fakes.faults_active = self.faults_on = False
        if self.limit_spent:
            fakes.control(
                "PATCH", "/settings", json={"salesforce": {"daily_api_requests": DEFAULT_DAILY_LIMIT}}
            )
            fakes.usage_managed = self.limit_spent = False
        self.w.crash = None
        # A receiver in trouble stays so (until `webhook_recover`): the search capture alone must
        # bring everything together, with deliveries failing, retried and dropped meanwhile.

    def _settle_and_check(self, why: str) -> None:
        for p in self.persons:  # an import run again below also takes records created since
            if p.sf is not None and p.sf.sobject in self.import_retry and p.link == LinkState.NONE:
                p.imported = p.sf.sobject
        expected = {p.email: self.expect(p) for p in self.persons}
        self._stop_faults()
        if self.import_retry or self.resync_retry:
            self.w.engine.clear_suspension()  # the admin clears a pause before importing again
        for sobject in sorted(self.import_retry):  # the admin runs an unfinished import again
            run = self.w.run(lambda e, o=sobject: e.import_salesforce(o))
            assert run.report is not None and not run.report.stopped, (
                f"import of {sobject} failed: {run.report}"
            )
        self.import_retry.clear()
        for p in self.persons:
            if p.email in self.resync_retry and p.hs is not None:
                hs_id = p.hs.id
                run = self.w.run(lambda e, h=hs_id: e.resync_record(h))
                assert run.report is not None and not run.report.stopped, f"resync of {p.email} failed"
        self.resync_retry.clear()
        last: EngineRun | None = None
        for _ in range(SETTLE_CYCLES):
            self.w.advance(RETRY_AFTER)
            last = self.w.run(lambda e: e.run_cycle())
            rep = last.report
            assert rep is not None
            if rep.stopped:  # suspended or paused by an earlier fault: the admin clears it (SUS-4)
                self.w.engine.clear_suspension()
                continue
            if rep.writes == 0 and not last.write_calls and self.w.engine.status()["queue"] == 0:
                break
        else:
            raise AssertionError(f"{why}: the engine did not settle in {SETTLE_CYCLES} cycles: {last}")
        self._obs = None
        obs = self.observe()
        problems = []
        for p in self.persons:
            problems += self._compare(p, expected[p.email], obs)
        assert not problems, f"{why}: after faults stopped and cycles ran:\n  " + "\n  ".join(problems)
        for p in self.persons:
            self._adopt(p, expected[p.email], obs)
        # no echo: once converged, a later cycle writes nothing (RULE-*, TRG-4)
        self.w.advance(POLL)
        echo = self.w.run(lambda e: e.run_cycle())
        assert echo.report is not None and echo.report.writes == 0 and not echo.write_calls, (
            f"{why}: a cycle after convergence wrote: {_calls(echo.write_calls)}"
        )
        self._obs = None
        self.settles += 1
        for check in self.quiet_invariants:
            check(self)

    def expect(self, p: Person) -> Expectation:
        """What both sides should hold for `p` once the engine has caught up (see hubforce.testing.model)."""
        c = self.c
        h = dict(p.hs.values) if p.hs else None
        s = dict(p.sf.values) if p.sf else None
        unchanged = {k: [(h.get(k) if h else None, s.get(k) if s else None)] for k in c.rules}
        eligible = self.eligible(p)
        link = p.link
        if p.sf_deleted_linked:  # DEL-1: the link goes; the contact too if the setting says so
            gone = c.delete_on_sf_delete
            outcomes = {k: [(None if gone else v[0][0], None)] for k, v in unchanged.items()}
            return Expectation(p.hs is not None and not gone, False, outcomes, LinkState.NONE, why="DEL-1")
        if link == LinkState.STALE:
            if not (p.hs is not None and p.hs_event and eligible):
                return Expectation(
                    p.hs is not None, p.sf is not None, unchanged, link, why="DEL-2 stale link"
                )
            link = LinkState.NONE  # a new contact with that email: CON-8 links it to the existing record
        if link in (LinkState.SYNCED, LinkState.UNSYNCED) and h is not None and s is not None:
            triggered = p.hs_event or p.sf_event or p.joined or p.converted or p.imported is not None
            if not (eligible and triggered):
                return Expectation(True, True, unchanged, link, why="not triggered or outside the list")
            if link == LinkState.SYNCED:
                outcomes = {
                    k: known_outcomes(r, p.base.get(k, (h[k], s[k])), h[k], s[k]) for k, r in c.rules.items()
                }
                return Expectation(True, True, outcomes, link, why="RULE-1..4")
            outcomes = {k: first_outcomes(r, h[k], s[k]) for k, r in c.rules.items()}
            return Expectation(True, True, outcomes, LinkState.SYNCED, first=True, why="first sync")
        if h is not None and s is None:
            if eligible and (p.hs_event or p.joined):
                outcomes = {k: [(h[k], created_in_salesforce(r, h[k])[0])] for k, r in c.rules.items()}
                return Expectation(
                    True, True, outcomes, LinkState.SYNCED, sf_object=c.creates, why="CON-2 create"
                )
            return Expectation(
                True, False, unchanged, link, why="HubSpot only, not eligible or not triggered"
            )
        if h is None and s is not None:
            assert p.sf is not None
            if p.imported == p.sf.sobject:  # IMP-1 (email only), then IMP-2 unless a list is in use (IMP-3)
                if c.list_enabled:
                    outcomes = {k: [(None, s[k])] for k in c.rules}
                    return Expectation(True, True, outcomes, LinkState.UNSYNCED, in_list=False, why="IMP-1/3")
                outcomes = {k: first_outcomes(r, None, s[k]) for k, r in c.rules.items()}
                return Expectation(True, True, outcomes, LinkState.SYNCED, True, in_list=False, why="IMP-1/2")
            if p.sf_event and c.from_sf(p.sf.sobject):  # TRG-6/CON-1, regardless of the list (INC-7)
                outcomes = {k: [(created_in_hubspot(r, s[k])[0], s[k])] for k, r in c.rules.items()}
                return Expectation(True, True, outcomes, LinkState.SYNCED, in_list=False, why="TRG-6 create")
            return Expectation(False, True, unchanged, link, why="Salesforce only, not created (CON-1)")
        if h is not None and s is not None:
            assert p.sf is not None
            first = {k: first_outcomes(r, h[k], s[k]) for k, r in c.rules.items()}
            if eligible and (p.hs_event or p.joined):
                return Expectation(True, True, first, LinkState.SYNCED, True, why="CON-8 match by email")
            if p.imported == p.sf.sobject or (p.sf_event and c.from_sf(p.sf.sobject)):
                if eligible:
                    return Expectation(True, True, first, LinkState.SYNCED, True, why="CON-5 match by email")
                if p.sf_created and p.imported is None:
                    # INC-7: a new Salesforce record deduplicated onto the existing contact outside
                    # the list syncs once (like a contact created outside it), then holds
                    return Expectation(True, True, first, LinkState.SYNCED, True, why="INC-7 dedupe, synced once")
                return Expectation(
                    True, True, unchanged, LinkState.UNSYNCED, why="INC-3 linked, outside the list"
                )
            return Expectation(True, True, unchanged, link, why="both exist, not triggered")
        return Expectation(False, False, unchanged, link, why="nothing")

    def _compare(self, p: Person, e: Expectation, obs: Observed) -> list[str]:
        out: list[str] = []
        hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
        hs = hs_recs[0] if hs_recs else None
        sf = sf_recs[0] if sf_recs else None
        tag = f"{p.email} [{e.why}]"
        if (hs is not None) != e.hs:
            out.append(
                f"{tag}: HubSpot contact {'exists' if hs else 'missing'}, expected {'one' if e.hs else 'none'}"
            )
        if (sf is not None) != e.sf:
            out.append(
                f"{tag}: Salesforce record {'exists (' + sf.sobject + ' ' + sf.id + ')' if sf else 'missing'}, "
                f"expected {'one' if e.sf else 'none'}"
            )
        if e.sf_object and sf is not None and sf.sobject != e.sf_object:
            out.append(f"{tag}: created a Salesforce {sf.sobject}, expected a {e.sf_object} (CON-2)")
        for name, allowed in e.outcomes.items():
            got = (hs.values[name] if hs else None, sf.values[name] if sf else None)
            want = [(a if e.hs else None, b if e.sf else None) for a, b in allowed]
            if got not in want:
                out.append(
                    f"{tag}: {name}/{self.c.sf_fields[name]} ({self.c.rules[name].value}) is "
                    f"hubspot={got[0]!r} salesforce={got[1]!r}; expected "
                    + " or ".join(f"hubspot={a!r} salesforce={b!r}" for a, b in want)
                )
        return out

    def _adopt(self, p: Person, e: Expectation, obs: Observed) -> None:
        hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
        p.hs = hs_recs[0] if hs_recs else None
        p.sf = sf_recs[0] if sf_recs else None
        if e.in_list is not None:
            p.in_list = e.in_list
        if e.link == LinkState.SYNCED and p.hs is not None and p.sf is not None:
            new_base: dict[str, Pair] = {}
            for name, r in self.c.rules.items():
                b = next_base(
                    r, None if e.first else p.base.get(name), (p.hs.values[name], p.sf.values[name]), e.first
                )
                if b is not None:
                    new_base[name] = b
            if e.first or p.link != LinkState.SYNCED:
                p.base = new_base
            else:
                p.base.update(new_base)
        elif e.link != LinkState.SYNCED:
            p.base = {} if e.link == LinkState.NONE else p.base
        p.link = e.link
        p.settled()


class WebhookSyncMachine(SyncMachine):
    """SyncMachine with HubSpot webhook capture (see the module doc). `webhooks = True`: in every
    example; None: drawn per example (one drawn without runs SyncMachine's rules only, the webhook
    rules' preconditions being false)."""

    webhooks: bool | None = True

    @initialize(**START_ARGS, webhooks=st.booleans())
    def start(self, webhooks: bool, **args: Any) -> None:  # type: ignore[override]
        self.hooks_on = webhooks if type(self).webhooks is None else bool(type(self).webhooks)
        self._start(**args)

    @precondition(lambda self: self.hooks_on)
    @rule(wait=st.sampled_from([0, DRAIN_INTERVAL]))
    def drain(self, wait: int) -> None:
        """What `sync run` does between poll ticks with webhooks on: process what the receiver
        queued (no capture; no API call at all when nothing is ready)."""
        self._ok = False
        self.w.advance(wait)
        self.w.run(lambda e: e.process_queue())
        self._obs = None
        self._ok = True

    @precondition(lambda self: self.hooks_on)
    @rule(trouble=st.sampled_from(HOOK_TROUBLE))
    def webhook_trouble(self, trouble: str) -> None:
        """The receiver fails deliveries until `webhook_recover` (settles included: the search
        capture is the safety net): the fake retries them on clock advance and drops them after
        HOOK_MAX_ATTEMPTS."""
        self.w.hook_trouble = trouble

    @precondition(lambda self: self.hooks_on and self.w.hook_trouble is not None)
    @rule()
    def webhook_recover(self) -> None:
        self.w.hook_trouble = None

    @invariant()
    def receiver_accepts_deliveries(self) -> None:
        """Every delivery that reached the engine's receiver was queued (a 2xx): the fake signs
        right and the receiver's state commits never fail."""
        if self.world is None or not self._ok:
            return
        assert not self.w.hook_refusals, f"the webhook receiver refused deliveries: {self.w.hook_refusals}"


def _text(value: Any) -> Value:
    if value is None or value == "":
        return None
    return str(value)


def _values(obs: Observed) -> dict[str, Any]:
    return {
        "hs": {e: sorted((r.id, sorted(r.values.items(), key=str)) for r in rs) for e, rs in obs.hs.items()},
        "sf": {e: sorted((r.id, sorted(r.values.items(), key=str)) for r in rs) for e, rs in obs.sf.items()},
    }


def _calls(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{k} x{n}" for k, n in Counter(f"{e['method']} {e['path']}" for e in entries).items())
