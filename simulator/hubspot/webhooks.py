"""Webhooks: HubSpot → your app (wire spec 2.10). The fake is the sender.

* Subscriptions and app settings (target URL) are managed like `/webhooks/v3/{appId}/...`.
* Record changes arrive as ChangeEvents (backend.subscribe); each one that matches an active
  subscription becomes a pending webhook event (built at change time, so `occurredAt` is the
  sandbox clock at the change).
* `flush()` delivers pending events: grouped per target URL in POSTs of ≤100 events, signed v1
  (`X-HubSpot-Signature`) and v3 (`X-HubSpot-Signature-v3` + `X-HubSpot-Request-Timestamp`), with
  `requests.post` — so in-process tests can route the receiver with `responses`.
  When flush runs: after every API request (`HubSpotService.after_request` calls
  `backend.webhooks.flush()` outside the sandbox lock — a no-op, without even the lock, when nothing
  is pending or unfinished; it also sends retries that are due by then), on
  `POST /_hubforce/hubspot/webhooks/flush`, and on clock advance (which also sends retries that are
  due). Concurrent flushes never send one delivery twice: an attempt in flight is SENDING. The last two run under the sandbox lock, so a receiver that calls the fake back from another
  thread waits until the delivery returns. Deterministic: nothing is sent in the background.
* A failed delivery (non-2xx, timeout, connection error) is retried with exponential backoff on the
  sandbox clock (1 min, 2 min, 4 min ... capped at 1 h) up to `webhook_max_attempts` attempts;
  `attemptNumber` counts from 0. A failure never breaks the API call that caused the event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.core.clock import iso_ms
from simulator.hubspot.auth import APP_ID, CLIENT_SECRET
from simulator.hubspot.errors import not_found, validation
from simulator.hubspot.events import ChangeEvent

OBJECT_PREFIX = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket"}
OBJECT_TYPE_IDS = {"contact": "0-1", "company": "0-2", "deal": "0-3", "ticket": "0-5"}
EVENT_KINDS = (
    "creation",
    "propertyChange",
    "deletion",
    "merge",
    "restore",
    "privacyDeletion",
    "associationChange",
)
# GDPR (privacy) deletion exists for contacts only, so only contacts have that subscription type.
EVENT_TYPES = tuple(
    f"{obj}.{kind}"
    for obj in ("contact", "company", "deal")
    for kind in EVENT_KINDS
    if kind != "privacyDeletion" or obj == "contact"
)
MAX_BATCH = 100
OPEN = ("PENDING", "RETRYING")  # delivery states that still have attempts to make
BACKOFF_BASE_S = 60
BACKOFF_CAP_S = 3600
DELIVERY_TIMEOUT_S = 5.0
# HubSpot's `changeFlag` values on lifecycle events. Creation is "CREATED" (wire spec 2.10, and a
# captured contact.creation delivery); older HubSpot doc samples showed "NEW". The others are assumed.
CHANGE_FLAGS = {
    "creation": "CREATED",
    "deletion": "DELETED",
    "merge": "MERGED",
    "restore": "RESTORED",
    "privacyDeletion": "PRIVACY_DELETED",
}


@dataclass
class Subscription:
    id: int
    app_id: int
    event_type: str
    property_name: str | None
    active: bool
    created_at_ms: int
    updated_at_ms: int

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(self.id),
            "eventType": self.event_type,
            "active": self.active,
            "createdAt": _iso(self.created_at_ms),
            "updatedAt": _iso(self.updated_at_ms),
        }
        obj = self.event_type.split(".", 1)[0]
        if obj in OBJECT_TYPE_IDS:
            body["objectTypeId"] = OBJECT_TYPE_IDS[obj]
        if self.property_name:
            body["propertyName"] = self.property_name
        return body


@dataclass
class Delivery:
    id: int
    url: str
    events: list[dict[str, Any]]
    attempts: int = 0
    status: str = "PENDING"  # PENDING | SENDING (attempt in flight) | DELIVERED | RETRYING | FAILED
    next_attempt_at_ms: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)  # [{attemptNumber, at, status|error}]


class WebhookDispatcher:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.app_settings: dict[int, dict[str, Any]] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self.pending: list[tuple[str, dict[str, Any]]] = []  # (target url, event) not yet in a delivery
        self.deliveries: list[Delivery] = []
        self.next_subscription_id = 1
        self.next_event_id = 1
        self.next_delivery_id = 1
        self._unfinished = 0  # deliveries not yet DELIVERED or FAILED (PENDING, SENDING, RETRYING)
        subscribe = getattr(backend, "subscribe", None)
        if subscribe is not None:
            subscribe(self._on_change)

    # --- management ---------------------------------------------------------------------------------
    def get_settings(self, app_id: int) -> dict[str, Any]:
        settings = self.app_settings.get(app_id)
        if settings is None:
            raise not_found(f"No webhook settings for app {app_id}")
        return settings

    def configure(self, app_id: int, target_url: Any, throttling: Any = None) -> dict[str, Any]:
        if not isinstance(target_url, str) or not target_url.startswith(("http://", "https://")):
            raise validation("targetUrl must be an http(s) URL")
        if throttling is not None and not (
            isinstance(throttling, dict) and isinstance(throttling.get("maxConcurrentRequests", 10), int)
        ):
            raise validation("throttling must be an object with maxConcurrentRequests (integer)")
        now = _iso(self.backend.now_ms())
        current = self.app_settings.get(app_id)
        self.app_settings[app_id] = {
            "targetUrl": target_url,
            "throttling": {"maxConcurrentRequests": (throttling or {}).get("maxConcurrentRequests", 10)},
            "createdAt": current["createdAt"] if current else now,
            "updatedAt": now,
        }
        return self.app_settings[app_id]

    def clear_settings(self, app_id: int) -> None:
        self.app_settings.pop(app_id, None)

    def create_subscription(
        self, app_id: int, event_type: Any, property_name: Any = None, active: Any = True
    ) -> Subscription:
        if event_type not in EVENT_TYPES:
            raise validation(f"eventType must be one of {', '.join(EVENT_TYPES)}")
        if event_type.endswith(".propertyChange"):
            if not isinstance(property_name, str) or not property_name:
                raise validation("propertyName is required for propertyChange subscriptions")
        elif property_name is not None:
            raise validation("propertyName is only allowed on propertyChange subscriptions")
        if not isinstance(active, bool):
            raise validation("active must be a boolean")
        for s in self.subscriptions.values():
            if (s.app_id, s.event_type, s.property_name) == (app_id, event_type, property_name):
                raise validation(
                    f"A subscription for {event_type} {property_name or ''} already exists".strip()
                )
        now = self.backend.now_ms()
        sub = Subscription(self.next_subscription_id, app_id, event_type, property_name, active, now, now)
        self.next_subscription_id += 1
        self.subscriptions[sub.id] = sub
        return sub

    def subscription(self, app_id: int, subscription_id: str) -> Subscription:
        sub = self.subscriptions.get(int(subscription_id)) if str(subscription_id).isdigit() else None
        if sub is None or sub.app_id != app_id:
            raise not_found(f"Subscription {subscription_id} does not exist")
        return sub

    def set_active(self, app_id: int, subscription_id: str, active: Any) -> Subscription:
        if not isinstance(active, bool):
            raise validation("active must be a boolean")
        sub = self.subscription(app_id, subscription_id)
        sub.active = active
        sub.updated_at_ms = self.backend.now_ms()
        return sub

    def delete_subscription(self, app_id: int, subscription_id: str) -> None:
        del self.subscriptions[self.subscription(app_id, subscription_id).id]

    # --- events -------------------------------------------------------------------------------------
    def _target_url(self, app_id: int) -> str | None:
        settings = self.app_settings.get(app_id)
        if settings:
            return settings["targetUrl"]
        return self.backend.settings.get("webhook_target_url")

    def _on_change(self, event: ChangeEvent) -> None:
        if not self.subscriptions:  # the common case: nothing to build
            return
        prefix = OBJECT_PREFIX.get(event.object_type)
        if prefix is None:
            return
        event_type = f"{prefix}.{event.kind}"
        for sub in sorted(self.subscriptions.values(), key=lambda s: s.id):
            if not sub.active or sub.event_type != event_type:
                continue
            if event.kind == "propertyChange" and sub.property_name != event.property_name:
                continue
            url = self._target_url(sub.app_id)
            if not url:
                continue
            self.pending.append((url, self._payload(sub, event)))
            self.next_event_id += 1

    def _payload(self, sub: Subscription, event: ChangeEvent) -> dict[str, Any]:
        body: dict[str, Any] = {
            "eventId": self.next_event_id,
            "subscriptionId": sub.id,
            "portalId": self.backend.portal_id,
            "appId": sub.app_id,
            "occurredAt": event.occurred_at_ms,
            "subscriptionType": sub.event_type,
            "attemptNumber": 0,
            "objectId": _num(event.object_id),
            "changeSource": event.change_source,
        }
        if event.kind in CHANGE_FLAGS:
            body["changeFlag"] = CHANGE_FLAGS[event.kind]
        if event.kind == "propertyChange":
            body["propertyName"] = event.property_name
            body["propertyValue"] = event.property_value if event.property_value is not None else ""
        elif event.kind == "merge":
            # A merge into a new record carries the old primary's id in property_value (records.py).
            primary = event.property_value if event.property_name == "primaryObjectId" else event.object_id
            body.update(
                {
                    "primaryObjectId": _num(primary or event.object_id),
                    "mergedObjectIds": [_num(i) for i in event.related_ids if i != primary],
                    "newObjectId": _num(event.object_id),
                    "numberOfPropertiesMoved": 0,
                }
            )
        elif event.kind == "associationChange":
            # associations.py convention: property_name = associationType, property_value = removed flag.
            body.update(
                {
                    "associationType": event.property_name,
                    "fromObjectId": _num(event.object_id),
                    "toObjectId": _num(event.related_ids[0]) if event.related_ids else None,
                    "associationRemoved": event.property_value == "true",
                    "isPrimaryAssociation": False,
                }
            )
        return body

    # --- delivery -----------------------------------------------------------------------------------
    def has_work(self) -> bool:
        if self.pending:
            return True
        if not self._unfinished:
            return False
        now = self.backend.now_ms()
        return any(d.status in OPEN and d.next_attempt_at_ms <= now for d in self.deliveries)

    def _batch_pending(self) -> None:
        by_url: dict[str, list[dict[str, Any]]] = {}
        for url, event in self.pending:
            by_url.setdefault(url, []).append(event)
        self.pending = []
        for url, events in by_url.items():
            for i in range(0, len(events), MAX_BATCH):
                self.deliveries.append(Delivery(self.next_delivery_id, url, events[i : i + MAX_BATCH]))
                self.next_delivery_id += 1
                self._unfinished += 1

    def flush(self) -> list[Delivery]:
        """Send every pending batch and every retry that is due; returns the deliveries attempted.
        Safe to call outside the sandbox lock: bookkeeping takes the lock, HTTP happens outside it."""
        if not self.pending and not self._unfinished:
            return []  # after most requests: no lock, no work (a racy read only delays to the next call)
        lock = self.backend.sandbox.lock
        with lock:
            if not self.has_work():
                return []
            self._batch_pending()
            now = self.backend.now_ms()
            due = [
                d
                for d in self.deliveries
                if d.status in OPEN and d.next_attempt_at_ms <= now
            ]
            prepared = [(d, *self._prepare(d, now)) for d in due]
            for d in due:  # another thread's flush must not send these again while they are in flight
                d.status = "SENDING"
        outcomes = [(d, self._send(d.url, body, headers)) for d, body, headers in prepared]
        with lock:
            now = self.backend.now_ms()
            for d, (ok, detail) in outcomes:
                d.history.append({"attemptNumber": d.attempts, "at": _iso(now), **detail})
                d.attempts += 1
                if ok:
                    d.status = "DELIVERED"
                    self._unfinished -= 1
                elif d.attempts >= int(self.backend.settings.get("webhook_max_attempts", 10)):
                    d.status = "FAILED"
                    self._unfinished -= 1
                else:
                    d.status = "RETRYING"
                    d.next_attempt_at_ms = now + 1000 * min(
                        BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (d.attempts - 1)
                    )
        return [d for d, _ in outcomes]

    def _prepare(self, d: Delivery, now_ms: int) -> tuple[str, dict[str, str]]:
        events = [{**e, "attemptNumber": d.attempts} for e in d.events]
        body = json.dumps(events, separators=(",", ":"))
        timestamp = str(now_ms)
        v3_source = f"POST{d.url}{body}{timestamp}"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (hubforce sandbox)",
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature": hashlib.sha256(f"{CLIENT_SECRET}{body}".encode()).hexdigest(),
            "X-HubSpot-Signature-v3": base64.b64encode(
                hmac.new(CLIENT_SECRET.encode(), v3_source.encode(), hashlib.sha256).digest()
            ).decode(),
            "X-HubSpot-Request-Timestamp": timestamp,
        }
        return body, headers

    @staticmethod
    def _send(url: str, body: str, headers: dict[str, str]) -> tuple[bool, dict[str, Any]]:
        import requests

        try:
            resp = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=DELIVERY_TIMEOUT_S)
        except requests.RequestException as exc:
            return False, {"error": f"{type(exc).__name__}: {exc}"[:300]}
        except Exception as exc:  # noqa: BLE001 - a broken receiver must never break the fake
            return False, {"error": f"{type(exc).__name__}: {exc}"[:300]}
        return 200 <= resp.status_code < 300, {"status": resp.status_code}

    def on_clock_advanced(self) -> None:
        # Also refresh lists whose filters use relative time (lists.py owns that logic): the backend's
        # clock hook calls only this dispatcher, so it forwards here.
        lists = getattr(self.backend, "lists", None)
        if lists is not None and hasattr(lists, "on_clock_advanced"):
            lists.on_clock_advanced()
        self.flush()

    def deliveries_json(self) -> list[dict[str, Any]]:
        return [
            {
                "id": d.id,
                "url": d.url,
                "status": d.status,
                "attempts": d.attempts,
                "nextAttemptAt": _iso(d.next_attempt_at_ms) if d.status == "RETRYING" else None,
                "eventCount": len(d.events),
                "events": d.events,
                "history": d.history,
            }
            for d in self.deliveries
        ]

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "app_settings": {str(k): v for k, v in self.app_settings.items()},
            "subscriptions": [asdict(s) for s in self.subscriptions.values()],
            "pending": [[u, e] for u, e in self.pending],
            "deliveries": [asdict(d) for d in self.deliveries],
            "next": [self.next_subscription_id, self.next_event_id, self.next_delivery_id],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.app_settings = {int(k): v for k, v in data.get("app_settings", {}).items()}
        self.subscriptions = {s["id"]: Subscription(**s) for s in data.get("subscriptions", [])}
        self.pending = [(u, e) for u, e in data.get("pending", [])]
        self.deliveries = [Delivery(**d) for d in data.get("deliveries", [])]
        for d in self.deliveries:
            if d.status == "SENDING":  # snapshot taken mid-delivery: that attempt never finished
                d.status = "PENDING" if d.attempts == 0 else "RETRYING"
        self._unfinished = sum(1 for d in self.deliveries if d.status in OPEN)
        if "next" in data:
            self.next_subscription_id, self.next_event_id, self.next_delivery_id = data["next"]


DEFAULT_APP_ID = APP_ID


def _num(record_id: str) -> int | str:
    return int(record_id) if str(record_id).isdigit() else record_id


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return iso_ms(datetime.fromtimestamp(ms / 1000, tz=UTC))
