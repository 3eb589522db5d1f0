"""The HubSpot fake's backend: plain Python stores, no HTTP. One instance per sandbox (one portal).

Components own one concern each and talk through change events (events.py): the record store emits,
lists and webhooks listen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.hubspot.associations import AssociationStore
from simulator.hubspot.auth import TokenStore
from simulator.hubspot.autocompany import CompanyAutoAssociator
from simulator.hubspot.events import ChangeEvent
from simulator.hubspot.lists import ListStore
from simulator.hubspot.owners import OwnerStore
from simulator.hubspot.pipelines import PipelineStore
from simulator.hubspot.properties import PropertyCatalog
from simulator.hubspot.ratelimit import RateLimiter
from simulator.hubspot.records import RecordStore
from simulator.hubspot.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

PORTAL_ID = 2_400_001  # the fake portal ("hub") id


class HubSpotBackend:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.portal_id = PORTAL_ID
        self._listeners: list[Callable[[ChangeEvent], None]] = []
        # Order matters: later components may subscribe to / read from earlier ones.
        self.properties = PropertyCatalog(self)
        self.records = RecordStore(self)
        self.pipelines = PipelineStore(self)  # after records: it resolves types and sets property options
        self.associations = AssociationStore(self)
        self.owners = OwnerStore(self)
        self.lists = ListStore(self)
        self.webhooks = WebhookDispatcher(self)
        self.tokens = TokenStore(self)
        self.ratelimit = RateLimiter(self)
        # Last listener: a contact's own email event reaches lists and webhooks before the company
        # this creates does.
        self.autocompany = CompanyAutoAssociator(self)

    # --- shared helpers ---------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        return self.sandbox.settings["hubspot"]

    def now_ms(self) -> int:
        return self.sandbox.clock.now_ms()

    def subscribe(self, listener: Callable[[ChangeEvent], None]) -> None:
        self._listeners.append(listener)

    def emit(self, event: ChangeEvent) -> None:
        for listener in self._listeners:
            listener(event)

    def on_clock_advanced(self) -> None:
        self.webhooks.on_clock_advanced()

    # --- snapshots ----------------------------------------------------------------------------------
    COMPONENTS = ("properties", "pipelines", "records", "associations", "owners", "lists", "webhooks", "tokens", "ratelimit")

    def dump(self) -> dict[str, Any]:
        return {name: getattr(self, name).dump() for name in self.COMPONENTS}

    def load(self, data: dict[str, Any]) -> None:
        for name in self.COMPONENTS:
            if name in data:
                getattr(self, name).load(data[name])
