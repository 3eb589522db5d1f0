"""Run: drive the queue through the stages, one chunk at a time.

capture (queued items) -> gate -> match -> decide -> write -> finish; each chunk of `chunk_size`
items goes through every stage and is committed (finish) before the next chunk is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sync.pipeline.context import STOPPED, EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.queries import in_rows, in_scalar, links_by_hs_id
from sync.state.models import Link, Membership, QueueItem


class RunStage(EngineContext):
    def _drain_queue(self, keep_touched: bool = False) -> None:
        """Process every ready queue item, chunk by chunk; a stop request ends it between chunks.
        keep_touched: this drain continues one that ran during the capture (capture_feed.py), so
        what that one wrote still makes older payloads stale.

        Implements: LIM-4, TRG-1"""
        retries_ok = self._retries_allowed()
        last_id = 0
        if not keep_touched:
            self._touched = {}
        while True:
            if self._stop.is_set():
                self._report.stopped = self._report.stopped or STOPPED
                return
            self._check_allocation()
            with self.store.session() as s:
                q = select(QueueItem).where(
                    QueueItem.id > last_id,
                    QueueItem.not_before <= self._ts(),
                    QueueItem.object_type.in_(self.object_type.queue_types),  # the active pair's rows
                )
                if not retries_ok:
                    q = q.where(QueueItem.attempts == 0)  # LIM-4
                items = list(s.scalars(q.order_by(QueueItem.id).limit(self.chunk_size)))
            if not items:
                return
            last_id = items[-1].id
            self._process(items)
            self.progress(f"processed {self._report.processed} records")

    def _process(self, items: list[QueueItem]) -> None:
        """One chunk through the stages, in order; the data flows one way."""
        schema = self.schema
        list_id = self._inclusion_list_id()
        if list_id and not self._memberships_fresh:
            self._check_memberships(items, list_id)
        links_hs, links_sf, members = self._load_links(items, list_id)
        self._members, self._list_id = members, list_id
        pairs = self._pairs_of(items, links_hs, links_sf)
        self._read_bare_hubspot(pairs, schema)
        self._skip_echoes(pairs, schema)
        self._fill_missing(pairs, schema)
        self._handle_salesforce_specials(pairs, members, list_id)
        self._gate(pairs, members, list_id)
        self._match_and_create(pairs, schema)
        self._sync_linked(pairs, schema)
        if self.object_type.after_write is not None:
            self.object_type.after_write(self, pairs)  # e.g. contact roles <-> associations (DEAL-6)
        self._finish(pairs, items)
        if self.object_type.after_chunk is not None:
            self.object_type.after_chunk(self, pairs)  # e.g. company <-> contact associations

    def _load_links(
        self, items: list[QueueItem], list_id: str | None
    ) -> tuple[dict[str, Link], dict[str, Link], set[str]]:
        """The links of the chunk's records, by HubSpot id and by Salesforce id, and which of
        their HubSpot records are in the inclusion list."""
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
        return links_hs, links_sf, members

    def _stale_payload(self, it: QueueItem) -> bool:
        """A payload captured before this drain's own write to (or link of) the record is stale:
        its values predate our write, so a blank in it would read as a user's clear and undo the
        write (issue 17, bug 2). Such an item is read fresh instead."""
        touched = self._touched.get(it.record_id)
        return touched is not None and it.enqueued_at <= touched

    def _pairs_of(self, items: list[QueueItem], links_hs: dict[str, Link], links_sf: dict[str, Link]) -> list[Pair]:
        """Queue items into pairs: both sides' items of one link become one pair."""
        pairs: list[Pair] = []
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
            payload: Any = None if it.payload is None or self._stale_payload(it) else it.payload
            if it.system == "hubspot":
                pair.hs = payload or pair.hs
                pair.detail.setdefault("pending_hs", it.record_id)
            else:
                pair.sf = payload or pair.sf
                pair.sf_object = it.object_type
                pair.detail.setdefault("pending_sf", it.record_id)
            if link is not None:
                pair.sf_object = link.sf_object
        return pairs
