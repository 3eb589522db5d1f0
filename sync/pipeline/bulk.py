"""Bulk resync of one object type's records (a mapping's "resync"; CMP-7's limit for companies)."""

from __future__ import annotations

from sync.clients.hubspot import SEARCH_PAGE, chunks
from sync.pipeline.context import EngineContext
from sync.state.models import Decision

# CMP-7: a bulk resync of company/account mappings cannot complete past this many companies.
BULK_RESYNC_LIMIT = 200_000
BULK_RESYNC_MESSAGE = "We couldn't sync all your updates for this mapping"


def bulk_resync_refusal(total: int, label: str) -> str | None:
    """CMP-7: the message when more than 200,000 records would sync at once, else None.

    Implements: CMP-7"""
    if total <= BULK_RESYNC_LIMIT:
        return None
    return f"CMP-7: {BULK_RESYNC_MESSAGE} ({total:,} {label} records would sync at once; the limit is {BULK_RESYNC_LIMIT:,})"


class BulkResync(EngineContext):
    def _bulk_resync_active(self) -> None:
        """Queue every HubSpot record of the active pair as a manual resync, then drain; refused
        (nothing queued) above the limit.

        Implements: CMP-7"""
        ot = self.object_type
        count = self.hubspot.search(ot.hs_object, {"filterGroups": [], "properties": ["hs_object_id"], "limit": 1})
        total = int(count.get("total") or 0)
        refusal = bulk_resync_refusal(total, ot.schema_names.hs_label)
        if refusal:
            self._report.stopped = refusal
            self.progress(refusal)
            with self.store.session() as s:  # what the mapping page shows, kept in the log
                s.add(Decision(at=self._ts(), trigger="TRG-14 manual bulk resync", outcome="refused", detail={"reason": refusal}))
            return
        after = "0"
        while True:
            body = {
                "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": after}]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": ["hs_object_id"],
                "limit": SEARCH_PAGE,
            }
            ids = [str(r["id"]) for r in self.hubspot.search(ot.hs_object, body).get("results", [])]
            if not ids:
                break
            for part in chunks(ids, 1000):
                with self.store.session() as s:
                    self.store.enqueue(s, "hubspot", ot.hs_object, {i: ("TRG-14 manual bulk resync", None) for i in part}, self._ts())
            after = ids[-1]
            if len(ids) < SEARCH_PAGE:
                break
        self._drain_queue()
