"""The sandbox handling the current request, for code deep in an error path that has no ctx; and
correlation ids."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

current_sandbox: ContextVar[Sandbox | None] = ContextVar("hubforce_current_sandbox", default=None)


def correlation_id() -> str:
    """A fresh id per error response, as HubSpot's are: support traces one request by it. Not from
    the seeded source, which repeats the same ids after every reset (issue 13) and whose sequence of
    record ids would otherwise shift with the number of errors answered."""
    return str(uuid.uuid4())
