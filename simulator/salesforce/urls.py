"""The Salesforce fake's route table: every endpoint group's routes, in one list. Both transports
(socket server and in-process router) serve exactly this table."""

from __future__ import annotations

from simulator.core.service import Route
from simulator.salesforce.api import (
    bulk2,
    composite,
    composite_graph,
    composite_requests,
    login,
    misc,
    query,
    sobjects,
)

ROUTES: list[Route] = [
    *login.ROUTES,
    *misc.ROUTES,
    *query.ROUTES,
    *composite_graph.ROUTES,
    *composite.ROUTES,
    *composite_requests.ROUTES,
    *bulk2.ROUTES,
    *sobjects.ROUTES,  # last: its `<object>/<id>` rules are the most generic
]
