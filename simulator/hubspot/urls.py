"""The HubSpot fake's route table: every endpoint group's routes, in one list. Both transports
(socket server and in-process router) serve exactly this table."""

from __future__ import annotations

from simulator.core.service import Route
from simulator.hubspot.api import (
    associations,
    lists,
    oauth,
    objects,
    owners,
    pipelines,
    properties,
    search,
    webhooks,
)

# Order matters where rules overlap: specific paths (search, batch, merge) before `{objectId}`.
ROUTES: list[Route] = [
    *search.ROUTES,
    *objects.ROUTES,
    *properties.ROUTES,
    *pipelines.ROUTES,
    *owners.ROUTES,
    *lists.ROUTES,
    *associations.ROUTES,
    *webhooks.ROUTES,
    *oauth.ROUTES,
]
