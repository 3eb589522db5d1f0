"""Capture: install bookmarks (TRG-15) and the HubSpot / Salesforce poll windows (TRG-1/2/3)."""

from __future__ import annotations

from typing import Any

from sync.clients.hubspot import SEARCH_CAP, SEARCH_PAGE
from sync.clients.salesforce import soql_datetime
from sync.errors import (
    DailyLimitReached,
    SuspensionError,
    SyncHttpError,
    TransientError,
)
from sync.pipeline.context import EngineContext
from sync.pipeline.values import (
    hs_props,
    iso_to_ms,
    ms_to_dt,
)

SF_QUERY_PAGE = 2000  # records per SOQL page (queryMore batch size)


class CaptureStage(EngineContext):
    def _install_if_needed(self) -> None:
        """TRG-15: records that exist when the integration is installed do not sync. The first run
        sets every cursor to the newest change already present and marks those records seen.

        Implements: TRG-15, INC-4"""
        with self.store.session() as s:
            if self.store.get_flag(s, self.object_type.flag("installed")):
                return
        self.progress("first run: bookmarking existing records (TRG-15)")
        body = {
            "filterGroups": [],
            "sorts": [{"propertyName": self.object_type.hs_modified, "direction": "DESCENDING"}],
            "properties": [self.object_type.hs_modified],
            "limit": 1,
        }
        top = self.hubspot.search(self.object_type.hs_object, body).get("results", [])
        hs_cursor = (iso_to_ms(hs_props(top[0]).get(self.object_type.hs_modified)) or 0) if top else 0
        sf_cursors: dict[str, str] = {}
        for obj in self.object_type.sf_objects:
            rows = list(
                self.salesforce.query(
                    f"SELECT SystemModstamp FROM {obj} ORDER BY SystemModstamp DESC LIMIT 1", True
                )
            )
            sf_cursors[obj] = rows[0]["SystemModstamp"] if rows else "1970-01-01T00:00:00.000+0000"
        with self.store.session() as s:
            self.store.set_cursor(s, self.object_type.cursor_name(), str(hs_cursor))
            for obj, stamp in sf_cursors.items():
                self.store.set_cursor(s, f"salesforce:{obj}:SystemModstamp", stamp)
        # Everything inside the overlap window behind each cursor is marked seen, not queued, so the
        # overlap re-read of the first real cycle does not sync pre-existing records.
        self._mark_only = True
        try:
            self._capture_hubspot()
            for obj in self.object_type.sf_objects:
                self._capture_salesforce(obj)
        finally:
            self._mark_only = False
        with self.store.session() as s:
            self.store.set_flag(s, self.object_type.flag("installed"), {"at": self._ts()})
        # INC-4: choosing a list does not start a sync: take today's members as the baseline.
        list_id = self._inclusion_list_id()
        if list_id:
            self._capture_memberships(baseline=True)

    def _hs_search_window(self, start_ms: int, eq: bool = False, after_id: str | None = None) -> Any:
        """Yield records with lastmodifieddate >= start (or == start), ascending, up to the 10k cap.
        With eq=True, pages by hs_object_id instead (keyset) so ties past the cap are still reached."""
        props = self.schema.hs_read_properties()
        after = 0
        fetched = 0
        while True:
            if eq:
                filters = [{"propertyName": self.object_type.hs_modified, "operator": "EQ", "value": str(start_ms)}]
                if after_id:
                    filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": after_id})
                sorts = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
            else:
                filters = [{"propertyName": self.object_type.hs_modified, "operator": "GTE", "value": str(start_ms)}]
                sorts = [{"propertyName": self.object_type.hs_modified, "direction": "ASCENDING"}]
            body = {
                "filterGroups": [{"filters": filters}],
                "sorts": sorts,
                "properties": props,
                "limit": SEARCH_PAGE,
                "after": str(after),
            }
            page = self.hubspot.search(self.object_type.hs_object, body)
            results = page.get("results", [])
            yield from results
            fetched += len(results)
            nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not results:
                return
            if fetched + SEARCH_PAGE > SEARCH_CAP:
                # At the cap HubSpot stops offering a next page even when more records match, so
                # decide by the total: a tie continues by id (keyset); a range is re-windowed by the
                # caller from its newest timestamp.
                total = page.get("total")
                more = bool(nxt) or (isinstance(total, int) and total > fetched)
                if eq and more:
                    yield from self._hs_search_window(start_ms, eq=True, after_id=str(results[-1]["id"]))
                return
            if not nxt:
                return
            after = int(nxt) if str(nxt).isdigit() else nxt

    def _hs_count(self, lo: int, hi: int) -> int | None:
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": self.object_type.hs_modified, "operator": "GTE", "value": str(lo)},
                        {"propertyName": self.object_type.hs_modified, "operator": "LTE", "value": str(hi)},
                    ]
                }
            ],
            "properties": [self.object_type.hs_modified],
            "limit": 1,
        }
        try:
            total = self.hubspot.search(self.object_type.hs_object, body).get("total")
        except SyncHttpError as exc:
            if isinstance(exc, TransientError | DailyLimitReached | SuspensionError):
                raise
            return None  # cannot count: fall back to re-reading the window
        return int(total) if isinstance(total, int) else None

    def _capture_hubspot(self) -> None:
        """HubSpot changes by search on lastmodifieddate, windowed past the 10k cap.

        Implements: TRG-1, TRG-2, TRG-7"""
        cursor_name = self.object_type.cursor_name()
        with self.store.session() as s:
            cursor = int(self.store.get_cursor(s, cursor_name) or 0)
        # feeding a concurrent drain, the reads must stay exact while it writes (capture_feed.py)
        reader = self._hs_read_feeding if self._feeding else self._hs_read_from
        self._capture_with_overlap(cursor_name, cursor, lambda start: reader(start, cursor), self._hs_count, SEARCH_PAGE)

    def _hs_read_from(self, start: int, cursor: int) -> int:
        """Read every HubSpot change at or after `start`; returns the new cursor."""
        while True:
            batch: list[dict[str, Any]] = []
            count = 0
            at_top = 0  # records in this window sharing the newest timestamp
            top = -1
            for rec in self._hs_search_window(start):
                batch.append(rec)
                count += 1
                ms = iso_to_ms(hs_props(rec).get(self.object_type.hs_modified)) or 0
                at_top = at_top + 1 if ms == top else 1
                top = max(top, ms)
                if len(batch) >= SEARCH_PAGE:
                    cursor = self._enqueue_hubspot(batch, cursor)
                    batch = []
            if batch:
                cursor = self._enqueue_hubspot(batch, cursor)
            if count < SEARCH_CAP - SEARCH_PAGE:
                return cursor
            if cursor > start and at_top <= SEARCH_PAGE:
                start = cursor  # advance the window (re-reads the few records at `cursor`; deduped)
                continue
            # Many records share one timestamp (bulk writes, frozen clocks): walk that timestamp by
            # id (keyset, so the 10k cap never applies), then step past it.
            tie: list[dict[str, Any]] = []
            for rec in self._hs_search_window(cursor, eq=True):
                tie.append(rec)
                if len(tie) >= SEARCH_PAGE:
                    self._enqueue_hubspot(tie, cursor)
                    tie = []
            if tie:
                self._enqueue_hubspot(tie, cursor)
            start = cursor + 1

    def _capture_salesforce(self, sobject: str) -> None:
        """SOQL on SystemModstamp (>=, ORDER BY SystemModstamp, Id) through queryAll so deletions
        (IsDeleted = true) arrive as positive evidence in the same stream.

        Implements: TRG-1, TRG-3, TRG-6, DEL-1"""
        self._check_allocation()
        name = f"salesforce:{sobject}:SystemModstamp"
        with self.store.session() as s:
            stamp = self.store.get_cursor(s, name) or "1970-01-01T00:00:00.000+0000"
        fields = ", ".join(self.schema.sf_read_fields(sobject))

        def read(start_ms: int) -> int:
            nonlocal stamp
            start = ms_to_dt(start_ms)
            soql = f"SELECT {fields} FROM {sobject} WHERE SystemModstamp >= {soql_datetime(start)} ORDER BY SystemModstamp, Id"
            page: list[dict[str, Any]] = []
            for rec in self.salesforce.query(soql, include_deleted=True):
                page.append(rec)
                if len(page) >= 2000:
                    stamp = self._enqueue_salesforce(sobject, page, stamp)
                    page = []
            if page:
                stamp = self._enqueue_salesforce(sobject, page, stamp)
            return iso_to_ms(stamp) or 0

        def count(lo: int, hi: int) -> int | None:
            soql = (
                f"SELECT COUNT() FROM {sobject} WHERE SystemModstamp >= {soql_datetime(ms_to_dt(lo))}"
                f" AND SystemModstamp <= {soql_datetime(ms_to_dt(hi))}"
            )
            try:
                return self.salesforce.count(soql, include_deleted=True)
            except SyncHttpError as exc:
                if isinstance(exc, TransientError | SuspensionError):
                    raise
                return None  # cannot count: fall back to re-reading the window

        self._capture_with_overlap(name, iso_to_ms(stamp) or 0, read, count, SF_QUERY_PAGE)
