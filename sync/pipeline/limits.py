"""Limits: SET-5 switch, suspensions (SUS-*), HubSpot's daily pause, the allocation (LIM-*), and the guard that stops a cycle on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta

from sync.errors import (
    AllocationExhausted,
    DailyLimitReached,
    SuspensionError,
    SyncHttpError,
    TransientError,
)
from sync.pipeline.context import DAY, STOPPED, EngineContext
from sync.settings import SettingsError

# LIM-4: automatic retries stop above 75% of the allocation, or above 5,000 calls with none set.
RETRY_SHARE = 0.75
RETRY_CALLS_WITHOUT_ALLOCATION = 5000


class LimitsStage(EngineContext):
    def _blocked(self) -> str | None:
        """Implements: SET-5, SUS-1, SUS-4"""
        if not self.settings.integration_enabled:
            return "SET-5: integration is switched off"
        base = self.object_types[0]  # the other pairs sync through it (companies link by contacts)
        if not base.settings_of(self.settings).enabled:
            return f"{base.schema_names.hs_label} sync is switched off"
        now = self._ts()
        with self.store.session() as s:
            sus = self.store.get_flag(s, "suspension")
            pause = self.store.get_flag(s, "hubspot_paused")
            if sus and sus.get("until") is not None and sus["until"] <= now:
                self.store.set_flag(s, "suspension", None)  # SUS-1/SUS-4 clear themselves after a while
                sus = None
            if pause and pause["until"] <= now:
                self.store.set_flag(s, "hubspot_paused", None)
                pause = None
        if sus:
            return f"suspended: {sus['reason']}"
        if pause:
            return "HubSpot daily API limit reached; paused until the next UTC day"
        return None

    def _check_allocation(self) -> None:
        """Implements: LIM-1"""
        alloc = self.settings.api.allocation
        if alloc is not None and self.store.calls_since("salesforce", self._ts() - DAY) >= alloc:
            raise AllocationExhausted(
                f"LIM-1: Salesforce API allocation of {alloc} calls per 24 h is used up"
            )

    def _retries_allowed(self) -> bool:
        """Implements: LIM-4"""
        used = self.store.calls_since("salesforce", self._ts() - DAY)
        alloc = self.settings.api.allocation
        return used <= (alloc * RETRY_SHARE if alloc else RETRY_CALLS_WITHOUT_ALLOCATION)

    def _suspend(self, exc: SuspensionError) -> None:
        """Implements: SUS-1, SUS-4"""
        auto = exc.reason.startswith(("SUS-1", "SUS-4"))
        with self.store.session() as s:
            self.store.set_flag(
                s,
                "suspension",
                {
                    "reason": exc.reason,
                    "code": exc.code,
                    "message": exc.message,
                    "at": self._ts(),
                    "until": self._ts() + 3600 if auto else None,
                },
            )

    def clear_suspension(self) -> None:
        """SUS-4: the admin's Clear Suspension button.

        Implements: SUS-4"""
        with self.store.session() as s:
            self.store.set_flag(s, "suspension", None)
            self.store.set_flag(s, "hubspot_paused", None)

    def _guard(self, fn: Callable[[], None]) -> None:
        """Run one stage; stop the cycle (not the process) on suspension, limits or exhausted retries.

        Implements: SUS-1, SUS-4, LIM-1, LIM-2"""
        if self._report.stopped:
            return
        if self._stop.is_set():
            self._report.stopped = STOPPED
            return
        try:
            fn()
        except SuspensionError as exc:
            self._suspend(exc)
            self._report.stopped = f"suspended: {exc.reason} ({exc.code})"
        except DailyLimitReached:
            tomorrow = (self.now().astimezone(UTC) + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            with self.store.session() as s:
                self.store.set_flag(s, "hubspot_paused", {"until": tomorrow.timestamp()})
            self._report.stopped = "HubSpot DAILY rate limit: paused until the next UTC day"
        except AllocationExhausted as exc:
            self._report.stopped = str(exc)
        except SettingsError as exc:  # e.g. the inclusion list became static or a mapped field vanished
            self._report.stopped = f"settings error: {exc}"
        except TransientError as exc:
            self._report.stopped = f"transient failure, will resume next cycle: {exc}"
        except SyncHttpError as exc:  # an unexpected answer: stop this cycle, keep the process alive
            self._report.stopped = f"error, will retry next cycle: {exc}"
        finally:
            with self.store.session():
                pass  # flush ledger rows
