"""STUB — HTTP handlers for this endpoint group; to be replaced by its owner."""

from __future__ import annotations

from simulator.core.service import Route

ROUTES: list[Route] = []
