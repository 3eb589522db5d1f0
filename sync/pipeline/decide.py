"""Decide: per-field rule decisions (sync/rules.py) for linked pairs, with field change times."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync.errors import (
    Category,
)
from sync.mappings import SyncRule
from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.values import (
    history_time,
    hs_modified,
    hs_props,
    sf_stamp,
)
from sync.rules import (
    Action,
    FieldDecision,
    FieldState,
    PairDecision,
    baseline_field,
    decide_field,
    times_matter,
    to_hubspot_value,
    to_salesforce_value,
)
from sync.schema import ActiveMapping, Schema

# (pair, sObject, field states, baseline keys, equal values, owner invalid, denied fields)
Prepared = tuple[
    Pair, str, list[tuple[ActiveMapping, FieldState]], set[str], dict[str, str | None], bool, list[str]
]


class DecideStage(EngineContext):
    def _sync_linked(self, pairs: list[Pair], schema: Schema) -> None:
        """Linked pairs: decide every mapped field by its rule, then write both sides in batches.

        Implements: RULE-1, RULE-2, RULE-3, RULE-4, RULE-9, RULE-16, TRG-4, CON-12, ERR-5"""
        default_rules = self.decide is decide_field  # an injected rule sees every field
        prepared = [x for p in pairs if (x := self._prepare_pair(p, schema, default_rules)) is not None]
        self._field_change_times(prepared)
        sf_updates: dict[str, list[tuple[Pair, dict[str, Any], dict[str, str | None]]]] = {
            o: [] for o in self.object_type.sf_objects
        }
        hs_updates: list[tuple[Pair, dict[str, str], dict[str, str | None]]] = []
        for item in prepared:
            self._decide_pair(item, schema, sf_updates, hs_updates)
        for obj, ups in sf_updates.items():
            if ups:
                self._update_salesforce(obj, ups)
        if hs_updates:
            self._update_hubspot(hs_updates)

    def _prepare_pair(self, p: Pair, schema: Schema, default_rules: bool) -> Prepared | None:
        """The rule inputs of one linked pair (None when it is not to be decided)."""
        if (
            p.outcome
            in ("skipped", "failed", "deleted_in_hubspot", "unlinked", "relinked", "merged", "no_change")
            or p.link is None
        ):
            return None
        if p.hs is None or p.sf is None:
            p.outcome = p.outcome or "skipped"
            p.detail.setdefault("reason", "one side could not be read")
            return None
        obj = p.link.sf_object
        if self.object_type.read_only(obj, p.sf):
            p.outcome = p.outcome or "skipped"
            p.detail.setdefault("reason", "A7: converted lead is read-only")
            return None
        states, owner_invalid = [], False
        baseline: set[str] = set()
        denied: list[str] = []
        explicit = any(t in p.trigger for t in ("TRG-14", "INC-6", "IMP-"))
        last = p.link.last_synced  # a plain dict: read once, not through the ORM per field
        baseline_new_fields = bool(last) and not explicit
        hs_at, sf_at = hs_modified(p.hs), sf_stamp(p.sf)  # once per pair, not per field
        sf_changed_at = sf_at if p.sf.get("SystemModstamp") else None
        equal: dict[str, str | None] = {}
        for am in schema.active.get(obj, []):
            hs_v, sf_v = self._hs_val(am, p), self._sf_value(am, p.sf)
            if am.mapping.is_owner:
                raw = hs_v
                hs_v = self._hs_owner_to_sf(raw)
                owner_invalid = raw is not None and hs_v is None
                if owner_invalid:
                    hs_v = raw  # an unmatched HubSpot owner: RULE-16 decides below
            known = am.key in last
            if not known and baseline_new_fields:
                # RULE-9: a mapping added after this pair synced is not retroactive; but a side
                # edited after the mapping appeared holds a "later change" and syncs.
                since = self._mapping_first_seen.get(f"{am.key}|{am.mapping.rule.value}")
                edited_after = since is not None and (
                    (hs_at is not None and hs_at.timestamp() >= since) or sf_at.timestamp() >= since
                )
                if not edited_after:
                    baseline.add(am.key)
            if (
                default_rules
                and hs_v == sf_v
                and am.mapping.rule != SyncRule.DONT_SYNC
                and am.key not in baseline
                and not (am.mapping.is_owner and owner_invalid)
            ):
                # Equal values: decide_field's answer is "no action, remember this value" and it
                # is not logged, so skip building its input (most fields of most records).
                equal[am.key] = hs_v
                continue
            states.append(
                (
                    am,
                    FieldState(
                        am.mapping,
                        hs_v,
                        sf_v,
                        last.get(am.key),
                        known,
                        hs_at,
                        sf_changed_at,
                    ),
                )
            )
        return (p, obj, states, baseline, equal, owner_invalid, denied)

    def _decide_pair(
        self,
        item: Prepared,
        schema: Schema,
        sf_updates: dict[str, list[tuple[Pair, dict[str, Any], dict[str, str | None]]]],
        hs_updates: list[tuple[Pair, dict[str, str], dict[str, str | None]]],
    ) -> None:
        p, obj, states, baseline, equal, owner_invalid, denied = item
        decision = PairDecision(
            [baseline_field(fs) if am.key in baseline else self.decide(fs) for am, fs in states]
        )
        sf_body: dict[str, Any] = {}
        hs_body: dict[str, str] = {}
        synced: dict[str, str | None] = dict(equal)
        fields_log = []
        for (am, fs), d in zip(states, decision.fields, strict=True):
            self._apply_field(am, fs, d, owner_invalid, denied, (sf_body, hs_body, synced), fields_log)
        p.detail["fields"] = fields_log
        link_prop = self.object_type.link_properties.get(obj)
        if (
            link_prop
            and link_prop in schema.hs_properties
            and hs_props(p.hs).get(link_prop) != p.link.sf_id
        ):
            hs_body[link_prop] = p.link.sf_id  # CON-12
        p.detail["pending_synced"] = synced
        if hs_body and self.object_type.shape_hubspot is not None:
            self.object_type.shape_hubspot(self, p, hs_body, False)
        if sf_body and self.object_type.shape_salesforce is not None:
            self.object_type.shape_salesforce(self, p, sf_body, False)
        if denied:
            self._fail(
                p,
                "hubspot",
                p.link.hs_id,
                Category.PERMISSIONS,
                "INSUFFICIENT_ACCESS_OR_READONLY",
                f"Salesforce field permission: the integration user cannot edit {obj}.{', '.join(denied)}",
            )
        if sf_body:
            sf_updates[obj].append((p, sf_body, synced))
        if hs_body:
            hs_updates.append((p, hs_body, synced))
        if not sf_body and not hs_body:
            p.outcome = p.outcome or "no_change"
            if not fields_log:
                p.detail.setdefault(
                    "reason", "TRG-4: no mapped value changed (or our own write echoed back)"
                )

    def _apply_field(
        self,
        am: ActiveMapping,
        fs: FieldState,
        d: FieldDecision,
        owner_invalid: bool,
        denied: list[str],
        out: tuple[dict[str, Any], dict[str, str], dict[str, str | None]],
        fields_log: list[dict[str, Any]],
    ) -> None:
        """One field's decision into the write bodies and the values to remember."""
        sf_body, hs_body, synced = out
        action, value, reason = d.action, d.value, d.reason
        if action == Action.TO_SALESFORCE and am.mapping.is_owner and owner_invalid:
            action, value = Action.TO_HUBSPOT, fs.sf_value
            reason = "RULE-16: HubSpot owner matches no active Salesforce user; Salesforce owner kept, HubSpot reverts"
        if action == Action.TO_SALESFORCE and not am.to_sf_allowed:
            if am.sf_permission_denied and am.mapping.effective_rule in (
                SyncRule.TWO_WAY,
                SyncRule.PREFER_SALESFORCE,
            ):
                denied.append(am.mapping.salesforce)  # ERR-5: recorded after the other writes
            action, reason = Action.NONE, reason + " (Salesforce field not writable)"
        if action == Action.TO_HUBSPOT and not am.to_hs_allowed:
            action, reason = Action.NONE, reason + " (HubSpot property not writable)"
        if action == Action.TO_SALESFORCE:
            sf_body[am.mapping.salesforce] = to_salesforce_value(value, am.sf_type)
            if value is None and am.mapping.salesforce in self._placeholders:
                sf_body[am.mapping.salesforce] = self._placeholders[am.mapping.salesforce]
            synced[am.key] = value
        elif action == Action.TO_HUBSPOT:
            hv = self._to_hs_option(am, value)
            if value is not None and hv is None:
                # remember both sides so this record does not re-trigger until one changes
                synced[am.key] = (
                    fs.sf_value
                    if fs.hs_value == fs.sf_value
                    else {"hs": fs.hs_value, "sf": fs.sf_value}
                )  # type: ignore[assignment]
                reason += (
                    " (no HubSpot owner for this Salesforce user; skipped)"
                    if am.mapping.is_owner
                    else " (HubSpot property has no such option; skipped)"
                )
            else:
                hs_body[am.mapping.hubspot] = to_hubspot_value(hv)
                synced[am.key] = value
        elif d.mark_known and not (am.mapping.is_owner and owner_invalid):
            synced[am.key] = d.synced_value
        if action != Action.NONE or "equal" not in reason:
            fields_log.append(
                {
                    "hubspot": am.mapping.hubspot,
                    "salesforce": am.mapping.salesforce,
                    "rule": d.rule.value,
                    "action": action.value,
                    "reason": reason,
                }
            )

    def _field_change_times(
        self, prepared: list[tuple[Pair, str, list[tuple[ActiveMapping, FieldState]], Any, Any, Any, Any]]
    ) -> None:
        """A5, best reading: where the winner depends on which side changed a field last, compare
        that field's own change time in HubSpot (its property history) with Salesforce's record time
        (SystemModstamp: Salesforce keeps no per-field time without field history tracking). Until
        here every field carries the HubSpot record's lastmodifieddate, which an edit of any other
        property moves. Only such conflicts cost a read: one batch read per 100 records.

        Implements: RULE-3"""
        need: dict[str, set[str]] = {}
        for p, _obj, states, baseline, *_ in prepared:
            for am, fs in states:
                if am.key not in baseline and times_matter(self.decide, fs):
                    need.setdefault(str(p.link.hs_id), set()).add(am.mapping.hubspot)  # type: ignore[union-attr]
        if not need:
            return
        props = sorted(set().union(*need.values()))
        got = {
            str(r["id"]): r.get("propertiesWithHistory") or {}
            for r in self.hubspot.batch_read(self.object_type.hs_object, list(need), ["hs_object_id"], with_history=props)
        }
        for p, _obj, states, *_ in prepared:
            hs_id = str(p.link.hs_id)  # type: ignore[union-attr]
            hist, wanted = got.get(hs_id), need.get(hs_id, set())
            if not hist:
                continue
            for i, (am, fs) in enumerate(states):
                at = history_time(hist.get(am.mapping.hubspot)) if am.mapping.hubspot in wanted else None
                if at is not None:
                    states[i] = (am, replace(fs, hs_changed_at=at))
                    p.detail.setdefault("field_times", {})[am.mapping.hubspot] = at.isoformat()
