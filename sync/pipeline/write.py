"""Write: batched updates to both sides, with echo expectations for webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert

from sync.clients.hubspot import chunks
from sync.errors import (
    Category,
    DailyLimitReached,
    SyncHttpError,
    TransientError,
    hubspot_category,
    salesforce_category,
)
from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.rules import (
    canonical,
)
from sync.state.models import ExpectedEcho


class WriteStage(EngineContext):
    def _update_salesforce(
        self, obj: str, ups: list[tuple[Pair, dict[str, Any], dict[str, str | None]]]
    ) -> None:
        """Implements: ERR-5, ERR-7"""
        try:
            results = self.salesforce.update_records(
                obj, [{"id": p.link.sf_id, **body} for p, body, _ in ups]
            )  # type: ignore[union-attr]
        except TransientError as exc:
            for p, _, _ in ups:
                self._fail(p, "salesforce", p.link.sf_id, Category.TRANSIENT, exc.code, str(exc))  # type: ignore[union-attr]
            return
        for (p, body, _), res in zip(ups, results, strict=False):
            if res.get("success"):
                p.outcome = p.outcome or "synced"
                p.detail["written_to_salesforce"] = sorted(body)
                self._report.updated_in_salesforce += 1
            else:
                err = (res.get("errors") or [{}])[0]
                code = err.get("statusCode") or err.get("errorCode")
                self._fail(
                    p,
                    "salesforce",
                    p.link.sf_id,
                    salesforce_category(code),
                    code,
                    err.get("message", "update failed"),
                )  # type: ignore[union-attr]

    def _expect_echoes(self, writes: dict[str, dict[str, str]]) -> None:
        """With webhooks on, note what we are about to write so the receiver can drop the events our
        write causes (they may arrive before this batch's links and last-synced values commit)."""
        if self.settings.hubspot.webhooks is None or not writes:
            return
        rows = [
            {"record_id": rid, "property": prop, "value": canonical(v), "at": self._ts()}
            for rid, props in writes.items()
            for prop, v in props.items()
        ]
        with self.store.session() as s:
            for part in chunks(list(writes), 500):
                s.execute(delete(ExpectedEcho).where(ExpectedEcho.record_id.in_(part)))
            s.execute(insert(ExpectedEcho.__table__), rows)

    def _update_hubspot(self, ups: list[tuple[Pair, dict[str, str], dict[str, str | None]]]) -> None:
        """Implements: DEL-2, ERR-7"""
        parts = [ups[start : start + 100] for start in range(0, len(ups), 100)]
        self._expect_echoes({str(p.link.hs_id): props for p, props, _ in ups})  # type: ignore[union-attr]

        def send(
            part: list[tuple[Pair, dict[str, str], dict[str, str | None]]],
        ) -> tuple[dict[str, Any] | None, SyncHttpError | None]:
            try:
                return self.hubspot.batch_update(
                    self.object_type.hs_object, [{"id": p.link.hs_id, "properties": props} for p, props, _ in part]  # type: ignore[union-attr]
                ), None
            except SyncHttpError as exc:
                return None, exc

        # every chunk's call first (several in flight when api.concurrency > 1), then the outcomes in order
        for part, (body, failure) in zip(parts, self.hubspot.map_chunks(send, parts), strict=True):
            try:
                if failure is not None:
                    raise failure
                errors = (body or {}).get("errors") or []
            except SyncHttpError as exc:
                if isinstance(exc, TransientError | DailyLimitReached):
                    for p, _, _ in part:
                        self._fail(p, "hubspot", p.link.hs_id, Category.TRANSIENT, exc.code, str(exc))  # type: ignore[union-attr]
                    if isinstance(exc, DailyLimitReached):
                        raise
                    continue
                if len(part) == 1:
                    p = part[0][0]
                    if exc.status == 404:  # positive evidence the HubSpot contact is gone (DEL-2)
                        self._unlink_hs_deleted(p)
                    else:
                        self._fail(
                            p,
                            "hubspot",
                            p.link.hs_id,
                            hubspot_category(exc.status, exc.code),
                            exc.code,
                            exc.message,
                        )  # type: ignore[union-attr]
                    continue
                for one in part:  # isolate the bad record: one call each
                    self._update_hubspot([one])
                continue
            bad: dict[str, dict[str, Any]] = {}
            for e in errors:
                ids = (e.get("context") or {}).get("ids") or []
                for i in ids:
                    bad[str(i)] = e
            for p, props, _ in part:
                e = bad.get(p.link.hs_id)  # type: ignore[union-attr]
                if e is None:
                    p.outcome = p.outcome or "synced"
                    p.detail["written_to_hubspot"] = sorted(props)
                    self._report.updated_in_hubspot += 1
                elif e.get("category") == "OBJECT_NOT_FOUND":
                    self._unlink_hs_deleted(p)
                else:
                    self._fail(
                        p,
                        "hubspot",
                        p.link.hs_id,
                        hubspot_category(int(e.get("status", 400) or 400), e.get("category")),
                        e.get("category"),
                        e.get("message", ""),
                    )  # type: ignore[union-attr]

    def _unlink_hs_deleted(self, p: Pair) -> None:
        p.outcome = "unlinked"
        p.detail["reason"] = (
            "HubSpot contact no longer exists (deleted in HubSpot; DEL-2: Salesforce untouched)"
        )
        p.detail["drop_link"] = True
