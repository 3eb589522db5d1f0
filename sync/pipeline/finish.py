"""Finish: one transaction for links, last-synced values, errors and retries, the decision log, the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from sync.clients.hubspot import chunks
from sync.pipeline.context import DAY, EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.queries import in_rows, link_row, links_by_hs_id
from sync.pipeline.values import (
    jsonable,
)
from sync.state.models import Decision, ExpectedEcho, Intent, Link, QueueItem, SyncError


class FinishStage(EngineContext):
    def _finish(self, pairs: list[Pair], items: list[QueueItem]) -> None:
        """One transaction: links + last-synced values, errors, decision log, queue and intents.

        Implements: ERR-7, TRG-14"""
        now = self._ts()
        with self.store.session() as s:
            drop, fresh_links = self._merge_links(s, pairs, now)
            failed_queue, ok_ids, decisions = self._log_outcomes(s, pairs, now)
            if fresh_links:  # one executemany, not an ORM unit-of-work flush per new link
                s.execute(insert(Link.__table__), [link_row(lk) for lk in fresh_links])
            if decisions:
                s.execute(insert(Decision.__table__), decisions)  # one executemany, not an ORM object per record
            self._clear_done(s, pairs, items, drop, ok_ids, failed_queue)
        for p in pairs:
            # Later chunks of this drain re-read the records written here instead of trusting a
            # payload captured before the write (RunStage._stale_payload). Only the side written:
            # echoes and unchanged pairs cost no extra read.
            if p.link is None or p.failed:
                continue
            if "written_to_salesforce" in p.detail:
                self._touched[p.link.sf_id] = now
            if "written_to_hubspot" in p.detail or p.outcome == "created_in_hubspot":
                self._touched[p.link.hs_id] = now
        self._report.processed += len(pairs)

    def _merge_links(self, s: Any, pairs: list[Pair], now: float) -> tuple[list[int], list[Link]]:
        """Each pair's link into the session (existing rows updated, new ones returned for a bulk
        insert); the ids of links to drop."""
        existing_ids = [p.link.id for p in pairs if p.link is not None and p.link.id]
        by_id = {lk.id: lk for lk in in_rows(s, Link, Link.id, existing_ids)} if existing_ids else {}
        new_links = [p.link for p in pairs if p.link is not None and not p.link.id]
        by_hs: dict[str, Link] = {}
        by_sf: dict[str, Link] = {}
        if new_links:
            for lk in links_by_hs_id(s, self.object_type.hs_object, [x.hs_id for x in new_links]):
                by_hs[lk.hs_id] = lk
            for lk in in_rows(s, Link, Link.sf_id, [x.sf_id for x in new_links]):
                by_sf[lk.sf_id] = lk
        drop: list[int] = []
        fresh_links: list[Link] = []
        for p in pairs:
            if p.link is not None and p.detail.get("drop_link"):
                if p.link.id:
                    drop.append(p.link.id)
            elif p.link is not None:
                if p.link.id:
                    link = by_id.get(p.link.id)
                else:
                    # a link made twice (e.g. crash replay): keep one row per hs_id / sf_id
                    link = by_hs.get(p.link.hs_id) or by_sf.get(p.link.sf_id)
                    if link is not None:
                        link.sf_id, link.sf_object = p.link.sf_id, p.link.sf_object
                        # a stale link taken over (CON-8 after a HubSpot deletion) changes contact
                        link.hs_id, link.email = p.link.hs_id, p.link.email
                    else:
                        link = p.link
                        fresh_links.append(link)  # inserted in bulk below
                    by_hs[link.hs_id], by_sf[link.sf_id] = link, link
                if link is not None:
                    if not p.failed:
                        merged = dict(link.last_synced or {})
                        if link is not p.link:
                            merged.update(p.link.last_synced or {})
                        merged.update(p.detail.get("pending_synced") or {})
                        link.last_synced = merged
                    if p.sf is not None and p.sf.get("SystemModstamp"):
                        link.sf_modstamp = p.sf.get("SystemModstamp")
                    link.updated_at = now
                    p.link = link
        return drop, fresh_links

    def _log_outcomes(
        self, s: Any, pairs: list[Pair], now: float
    ) -> tuple[set[int], list[str], list[dict[str, Any]]]:
        """Errors (with their retry times) and the decision-log rows of the pairs."""
        retry = self.settings.retry
        failed_queue: set[int] = set()
        ok_ids: list[str] = []
        decisions: list[dict[str, Any]] = []
        for p in pairs:
            hs_id, sf_id = p.hs_id, p.sf_id
            if p.failed:
                failed_queue.update(p.queue_ids)
                self._record_error(s, p, now, retry.interval_seconds, retry.max_attempts)
            else:
                ok_ids += [x for x in (hs_id, sf_id) if x]
            detail = {
                k: v
                for k, v in p.detail.items()
                if k not in ("pending_synced", "pending_hs", "pending_sf")
            }
            decisions.append(
                {
                    "at": now,
                    "hs_id": hs_id,
                    "sf_id": sf_id,
                    "email": (self.object_type.hs_key(p.hs) if p.hs else None) or (self.object_type.sf_key(p.sf) if p.sf else None),
                    "trigger": p.trigger[:200],
                    "outcome": p.outcome or "no_change",
                    "detail": jsonable(detail),
                }
            )
            if p.outcome == "skipped":
                self._report.skipped += 1
        return failed_queue, ok_ids, decisions

    def _clear_done(
        self,
        s: Any,
        pairs: list[Pair],
        items: list[QueueItem],
        drop: list[int],
        ok_ids: list[str],
        failed_queue: set[int],
    ) -> None:
        """Dropped links, intents, noted echoes, cleared errors and the processed queue rows."""
        nosync = {"synchronize_session": False}
        for part in chunks(drop, 500):
            s.execute(delete(Link).where(Link.id.in_(part)).execution_options(**nosync))
        # an intent outlives a create whose answer was lost: the object type's matching reads it
        hs_sources = [p.hs_id for p in pairs if p.hs_id and not p.detail.get("create_unknown")]
        for part in chunks(hs_sources, 500):
            mine = Intent.object_type == self.object_type.hs_object
            s.execute(delete(Intent).where(mine, Intent.source_id.in_(part)).execution_options(**nosync))
            if self.settings.hubspot.webhooks is not None:
                # last-synced values are committed with this transaction: from now on the
                # receiver tells our echoes by them (a noted value would also hide a user's
                # later edit back to it)
                s.execute(
                    delete(ExpectedEcho).where(ExpectedEcho.record_id.in_(part)).execution_options(**nosync)
                )
        for part in chunks(ok_ids, 500):
            s.execute(delete(SyncError).where(SyncError.record_id.in_(part)).execution_options(**nosync))
        done = [{"qid": i.id, "qat": i.enqueued_at} for i in items if i.id not in failed_queue]
        if done:
            # Compare-and-delete in one statement: a row re-queued while we worked (a webhook for
            # a newer change moved enqueued_at) stays, to be read fresh by the next drain.
            # PostgreSQL re-checks the condition on the row's latest version, so a receiver's
            # commit racing this transaction cannot slip through.
            q = QueueItem.__table__
            s.connection().execute(
                delete(q).where(q.c.id == bindparam("qid"), q.c.enqueued_at == bindparam("qat")), done
            )

    def _record_error(self, s: Any, p: Pair, now: float, interval: int, max_attempts: int) -> None:
        """Implements: ERR-7, LIM-4"""
        err = p.detail["error"]
        row = s.scalar(
            select(SyncError).where(SyncError.system == err["system"], SyncError.record_id == err["record"])
        )
        attempts = (row.attempts + 1) if row else 1
        # ERR-7/A13: every interval up to max_attempts, then once a day.
        delay = interval if attempts < max_attempts else DAY
        message = str(err["message"])[:2000]
        if row is None:
            obj = self.object_type.hs_object if err["system"] == "hubspot" else (p.sf_object or self.object_type.default_sf_object)
            s.add(
                SyncError(
                    system=err["system"],
                    object_type=obj,
                    record_id=err["record"],
                    category=err["category"],
                    code=err["code"],
                    message=message,
                    attempts=1,
                    first_at=now,
                    last_at=now,
                    next_retry_at=now + delay,
                )
            )
        else:
            row.category, row.code, row.message = err["category"], err["code"], message
            row.attempts, row.last_at, row.next_retry_at = attempts, now, now + delay
        for q in s.scalars(select(QueueItem).where(QueueItem.id.in_(p.queue_ids))):
            q.attempts += 1
            q.not_before = now + delay
            q.payload = None  # a retry reads the record fresh (it may have been fixed meanwhile)
