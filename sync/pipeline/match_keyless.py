"""Match for a pair without a dedupe key (deals, DEAL-9): nothing is looked up; every new record is
created on the other side. HubSpot's batch create does not promise its results in input order, so
each new HubSpot record carries the Salesforce id in the pair's link property and is matched by it."""

from __future__ import annotations

from typing import Any

from sync.errors import Category
from sync.mappings import SyncRule
from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.values import hs_props
from sync.rules import to_hubspot_value
from sync.schema import Schema

BATCH = 100  # HubSpot batch create limit


class KeylessMatch(EngineContext):
    def _create_keyless(self, hs_new: list[Pair], sf_new: list[Pair], schema: Schema) -> None:
        """Implements: DEAL-9"""
        if hs_new:
            self._create_in_salesforce(self.object_type.create_target(self.object_settings), hs_new, schema)  # type: ignore[attr-defined]
        if sf_new:
            self._create_in_hubspot_keyless(sf_new, schema)

    def _create_in_hubspot_keyless(self, group: list[Pair], schema: Schema) -> None:
        """Batch-create HubSpot records with the mapped values and the link property.

        Implements: DEAL-9, TRG-6"""
        ot = self.object_type
        link_prop = ot.link_properties.get(ot.default_sf_object, "")
        inputs: list[dict[str, Any]] = []
        written: list[dict[str, str | None]] = []
        assoc = ot.create_associations(self, group) if ot.create_associations is not None else {}
        for p in group:
            props: dict[str, str] = {link_prop: p.sf["Id"]}  # type: ignore[index]
            synced: dict[str, str | None] = {}
            for am in schema.active.get(p.sf_object or ot.default_sf_object, []):
                sfv = self._sf_value(am, p.sf)  # type: ignore[attr-defined]
                val = self._to_hs_option(am, sfv)  # type: ignore[attr-defined]
                if am.to_hs_allowed and val is not None:
                    props[am.mapping.hubspot] = to_hubspot_value(val)
                    synced[am.key] = sfv
                elif am.mapping.rule != SyncRule.DONT_SYNC:
                    synced[am.key] = None if sfv is None else {"hs": None, "sf": sfv}  # type: ignore[assignment]
            if ot.shape_hubspot is not None:
                ot.shape_hubspot(self, p, props, True)
            links = assoc.get(p.sf["Id"])  # type: ignore[index]
            inputs.append({"properties": props, "associations": links} if links else {"properties": props})
            written.append(synced)
        for start in range(0, len(group), BATCH):
            part = group[start : start + BATCH]
            body = self.hubspot.batch_create(ot.hs_object, inputs[start : start + BATCH])
            by_sf = {hs_props(r).get(link_prop): r for r in body.get("results", [])}
            errors = body.get("errors") or []
            for p, synced in zip(part, written[start : start + BATCH], strict=True):
                rec = by_sf.get(p.sf["Id"])  # type: ignore[index]
                if rec is None:
                    msg = str((errors[0] if errors else {}).get("message") or "HubSpot batch create returned no record")
                    self._fail(p, "salesforce", p.sf["Id"], Category.OTHER, None, msg)  # type: ignore[index]
                    continue
                p.hs = rec
                p.link = self._new_link(p, synced)  # type: ignore[attr-defined]
                p.outcome = "created_in_hubspot"
                p.detail["created"] = f"DEAL-9/TRG-6: new HubSpot {ot.hs_object[:-1]} {rec['id']} (no dedupe)"
                self._report.created_in_hubspot += 1
