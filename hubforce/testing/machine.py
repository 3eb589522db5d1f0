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
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hubforce.testing.convergence import ConvergenceChecks, _calls, _text, _values
from hubforce.testing.flicker import FlickerChecks
from hubforce.testing.machine_setup import (
    DRAIN_INTERVAL,
    FAULTS,
    FIELD_CANDIDATES,
    IN_LIST,
    OUT_OF_LIST,
    POLL,
    RETRY_AFTER,
    START_ARGS,
    VALUE,
    Observed,
    QuietInvariant,
    config_from_settings,
    settings_for,
)
from hubforce.testing.model import (
    DONT,
    SYNCING_RULES,
    Config,
    LinkState,
    Person,
    Record,
    Value,
)
from hubforce.testing.transport_faults import TransportFaultRules
from hubforce.testing.world import HOOK_TROUBLE, CrashPlan, Decide, World
from scenarios.values import filter_branch
from sync.mappings import SyncRule
from sync.rules import decide_field


class SyncMachine(TransportFaultRules, FlickerChecks, ConvergenceChecks, RuleBasedStateMachine):
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
