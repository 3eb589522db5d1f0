"""The sandbox handling the current request, for code deep in an error path that has no ctx
(e.g. a correlation id in an error body must still come from the seeded random source)."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

current_sandbox: ContextVar[Sandbox | None] = ContextVar("hubforce_current_sandbox", default=None)


def new_uuid() -> str:
    sandbox = current_sandbox.get()
    return sandbox.rng.uuid4() if sandbox is not None else str(uuid.uuid4())
