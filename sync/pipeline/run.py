"""Run: drive the queue through the stages, one chunk at a time."""

from __future__ import annotations

from sqlalchemy import select

from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.queries import in_rows, in_scalar, links_by_hs_id
from sync.state.models import Link, Membership, QueueItem


class RunStage(EngineContext):
    def _drain_queue(self) -> None:
        retries_ok = self._retries_allowed()
        last_id = 0
        while True:
            self._check_allocation()
            with self.store.session() as s:
                q = select(QueueItem).where(QueueItem.id > last_id, QueueItem.not_before <= self._ts())
                if not retries_ok:
                    q = q.where(QueueItem.attempts == 0)  # LIM-4
                items = list(s.scalars(q.order_by(QueueItem.id).limit(self.chunk_size)))
            if not items:
                return
            last_id = items[-1].id
            self._process(items)
            self.progress(f"processed {self._report.processed} records")

    def _process(self, items: list[QueueItem]) -> None:
        schema = self.schema
        list_id = self._inclusion_list_id()
        if list_id and not self._memberships_fresh:
            self._check_memberships(items, list_id)
        pairs: list[Pair] = []
        with self.store.session() as s:
            hs_ids = [i.record_id for i in items if i.system == "hubspot"]
            sf_ids = [i.record_id for i in items if i.system == "salesforce"]
            links_hs = {lk.hs_id: lk for lk in links_by_hs_id(s, self.object_type.hs_object, hs_ids)}
            links_sf = {lk.sf_id: lk for lk in in_rows(s, Link, Link.sf_id, sf_ids)}
            members = (
                set(
                    in_scalar(
                        s,
                        Membership.hs_id,
                        Membership.hs_id,
                        [lk.hs_id for lk in links_sf.values()] + hs_ids,
                        Membership.list_id == list_id,
                    )
                )
                if list_id
                else set()
            )
        self._members, self._list_id = members, list_id
        by_link: dict[int, Pair] = {}
        for it in items:
            link = links_hs.get(it.record_id) if it.system == "hubspot" else links_sf.get(it.record_id)
            if link is not None and link.id in by_link:  # both sides changed: one pair
                pair = by_link[link.id]
                pair.trigger += "," + it.trigger
            else:
                pair = Pair(trigger=it.trigger, link=link)
                if link is not None:
                    by_link[link.id] = pair
                pairs.append(pair)
            pair.queue_ids.append(it.id)
            if it.system == "hubspot":
                pair.hs = it.payload or pair.hs
                pair.detail.setdefault("pending_hs", it.record_id)
            else:
                pair.sf = it.payload or pair.sf
                pair.sf_object = it.object_type
                pair.detail.setdefault("pending_sf", it.record_id)
            if link is not None:
                pair.sf_object = link.sf_object

        self._read_bare_hubspot(pairs, schema)
        self._skip_echoes(pairs, schema)
        self._fill_missing(pairs, schema)
        self._handle_salesforce_specials(pairs, members, list_id)
        self._gate(pairs, members, list_id)
        self._match_and_create(pairs, schema)
        self._sync_linked(pairs, schema)
        self._finish(pairs, items)
