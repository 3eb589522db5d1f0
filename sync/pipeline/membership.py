"""Inclusion-list memberships: joins and leaves (INC-4/5/9)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from sync.clients.hubspot import MEMBERSHIP_PAGE, chunks
from sync.pipeline.context import EngineContext
from sync.pipeline.queries import in_scalar
from sync.state.models import Decision, Membership, QueueItem


class MembershipCapture(EngineContext):
    def _capture_memberships(self, baseline: bool = False) -> None:
        """INC-5/INC-9: joins and leaves of the inclusion list, by diffing its membership.

        Implements: INC-4, INC-5, INC-9"""
        list_id = self._inclusion_list_id()
        if not list_id:
            return
        current = set(self.hubspot.list_member_ids(list_id))
        with self.store.session() as s:
            stored = set(s.scalars(select(Membership.hs_id).where(Membership.list_id == list_id)))
            flag = self.object_type.flag("membership_baseline")
            prev = self.store.get_flag(s, flag)
            if not stored and not baseline and prev != {"list": list_id}:
                baseline = True  # the list changed in settings: new baseline, no bulk sync (INC-4)
            joined, left = current - stored, stored - current
            for hs_id in joined:
                s.add(Membership(list_id=list_id, hs_id=hs_id))
            for part in chunks(sorted(left), 500):
                s.execute(delete(Membership).where(Membership.list_id == list_id, Membership.hs_id.in_(part)))
            # This pair's previous list (changed in settings) is forgotten; other pairs' lists stay.
            others = {lst for o in self.object_types if o is not self.object_type for lst in self._list_ids_of(s, o)}
            s.execute(delete(Membership).where(Membership.list_id != list_id, Membership.list_id.not_in(others)))
            self.store.set_flag(s, flag, {"list": list_id})
            if not baseline and joined:
                self.store.enqueue(
                    s,
                    "hubspot",
                    self.object_type.hs_object,
                    {i: ("INC-5 joined inclusion list", None) for i in joined},
                    self._ts(),
                )
            self._log_left_list(s, list(left)[:1000])
        if not baseline:
            self._report.list_joins += len(joined)
            self._report.list_leaves += len(left)

    def _list_ids_of(self, s: Any, obj: Any) -> list[str]:
        """The inclusion list another pair last diffed (its memberships are not this pair's to prune)."""
        mark = self.store.get_flag(s, obj.flag("membership_baseline"))
        return [str(mark["list"])] if mark and mark.get("list") else []

    def _check_memberships(self, items: list[QueueItem], list_id: str) -> None:
        """Outside a poll cycle the stored membership can be minutes old, and a webhook change of a
        contact that just joined (or left) the list must be gated on where it is now (INC-2/3/9).
        A few records: ask for each record's lists. Many: diff the whole list, which costs a page per
        250 members and also queues any other joins (INC-5).

        Implements: INC-2, INC-3, INC-9"""
        ids = sorted({i.record_id for i in items if i.system == "hubspot"})
        if not ids:
            return
        with self.store.session() as s:
            stored = s.scalar(select(func.count()).select_from(Membership).where(Membership.list_id == list_id))
        if len(ids) > (stored or 0) // MEMBERSHIP_PAGE + 1:
            self._capture_memberships()
            self._memberships_fresh = True
            return
        now_in = {rid for rid in ids if list_id in self.hubspot.record_list_ids(rid, self.object_type.hs_type_id)}
        with self.store.session() as s:
            was_in = set(in_scalar(s, Membership.hs_id, Membership.hs_id, ids, Membership.list_id == list_id))
            for rid in now_in - was_in:
                s.add(Membership(list_id=list_id, hs_id=rid))
            left = was_in - now_in
            if left:
                s.execute(delete(Membership).where(Membership.list_id == list_id, Membership.hs_id.in_(left)))
            self._log_left_list(s, sorted(left))

    def _log_left_list(self, s: Any, hs_ids: list[str]) -> None:
        """Implements: INC-9"""
        for hs_id in hs_ids:
            s.add(
                Decision(
                    at=self._ts(),
                    hs_id=hs_id,
                    trigger="INC-9 left inclusion list",
                    outcome="left_list",
                    detail={"note": "A2: sync stops; nothing is deleted"},
                )
            )
