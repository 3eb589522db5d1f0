"""Control API: reset, seed, snapshots, clock, faults, journal, settings, plus each service's own
actions under /_hubforce/<service>/. No authentication: it is the test harness's side door, on a
path prefix that neither real API has, and the sync engine never calls it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Response, request

from simulator.core.clock import parse_instant
from simulator.core.errors import ControlError
from simulator.core.faults import FaultRuleError
from simulator.core.journal import JournalFilter
from simulator.core.service import Route, json_response

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

P = "/_hubforce"


def body_json(optional: bool = False) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise ControlError(400, "this control action needs a JSON body")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, f"malformed JSON: {exc}") from exc


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def status(sb: Sandbox) -> Response:
    return json_response({
        "seed": sb.seed, "clock": sb.clock.to_json(), "services": sorted(sb.services),
        "journal": {"last_seq": sb.journal.last_seq}, "faults": len(sb.faults.rules()),
    })


def reset(sb: Sandbox) -> Response:
    data = _object(body_json(optional=True))
    seed = data.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise ControlError(400, "seed must be an integer")
    sb.reset(seed)
    return json_response({"reset": True, "seed": sb.seed})


def seed(sb: Sandbox) -> Response:
    data = _object(body_json())
    if not isinstance(data.get("seed"), int):
        raise ControlError(400, "seed must be an integer")
    sb.reset(data["seed"])
    return json_response({"seed": sb.seed})


def get_snapshot(sb: Sandbox) -> Response:
    return json_response(sb.snapshot())


def put_snapshot(sb: Sandbox) -> Response:
    from simulator.core.sandbox import SnapshotError

    try:
        sb.restore(_object(body_json()))
    except SnapshotError as exc:
        raise ControlError(409, str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(400, f"snapshot is malformed: {exc!r}") from exc
    return json_response({"restored": True})


def save_snapshot(sb: Sandbox) -> Response:
    data = _object(body_json())
    if not isinstance(data.get("path"), str):
        raise ControlError(400, "path (string) is required")
    try:
        path = sb.save_snapshot(data["path"])
    except OSError as exc:
        raise ControlError(400, f"cannot write snapshot: {exc}") from exc
    return json_response({"saved": str(path)})


def load_snapshot(sb: Sandbox) -> Response:
    from simulator.core.sandbox import SnapshotError

    data = _object(body_json())
    if not isinstance(data.get("path"), str):
        raise ControlError(400, "path (string) is required")
    try:
        sb.load_snapshot(data["path"])
    except SnapshotError as exc:
        raise ControlError(409, str(exc)) from exc
    return json_response({"loaded": data["path"]})


def get_clock(sb: Sandbox) -> Response:
    return json_response(sb.clock.to_json())


def set_clock(sb: Sandbox) -> Response:
    """{"now": ISO or epoch ms} freezes at that instant; {"mode": "wall"|"virtual"} switches."""
    data = _object(body_json())
    try:
        if "now" in data:
            sb.clock.set(parse_instant(str(data["now"])))
        elif data.get("mode") == "wall":
            sb.clock.unfreeze()
        elif data.get("mode") == "virtual":
            sb.clock.freeze()
        else:
            raise ControlError(400, 'give "now" (ISO-8601 or epoch ms) or "mode": "wall"|"virtual"')
    except ValueError as exc:
        raise ControlError(400, f"bad time: {exc}") from exc
    return json_response(sb.clock.to_json())


def advance_clock(sb: Sandbox) -> Response:
    data = _object(body_json())
    seconds = data.get("seconds", 0) + 60 * data.get("minutes", 0) + 3600 * data.get("hours", 0) + 86400 * data.get("days", 0)
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ControlError(400, "seconds/minutes/hours/days must be non-negative numbers")
    sb.clock.advance(seconds)
    for backend in (sb.backend(n) for n in sb.services):
        tick = getattr(backend, "on_clock_advanced", None)
        if tick:  # e.g. webhook retries or list re-processing that are due by now
            tick()
    return json_response(sb.clock.to_json())


def list_faults(sb: Sandbox) -> Response:
    return json_response({"faults": [r.to_json() for r in sb.faults.rules()]})


def add_fault(sb: Sandbox) -> Response:
    try:
        rule = sb.faults.add(_object(body_json()))
    except FaultRuleError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(rule.to_json(), 201)


def clear_faults(sb: Sandbox) -> Response:
    sb.faults.clear()
    return json_response(None, 204)


def delete_fault(sb: Sandbox, fault_id: str) -> Response:
    if not sb.faults.remove(fault_id):
        raise ControlError(404, f"no fault rule {fault_id}")
    return json_response(None, 204)


def _journal_filter() -> JournalFilter:
    args = {k: request.args.getlist(k) for k in request.args}
    try:
        return JournalFilter.from_args(args)
    except (ValueError, TypeError) as exc:
        raise ControlError(400, f"bad journal filter: {exc}") from exc


def journal(sb: Sandbox) -> Response:
    entries = sb.journal.entries(_journal_filter())
    return json_response({"count": len(entries), "last_seq": sb.journal.last_seq,
                          "entries": [e.to_json() for e in entries]})


def journal_count(sb: Sandbox) -> Response:
    entries = sb.journal.entries(_journal_filter())
    by: dict[str, int] = {}
    for e in entries:
        key = f"{e.service} {e.method} {e.status}"
        by[key] = by.get(key, 0) + 1
    return json_response({"count": len(entries), "by_service_method_status": by})


def clear_journal(sb: Sandbox) -> Response:
    sb.journal.clear()
    return json_response(None, 204)


def get_settings(sb: Sandbox) -> Response:
    return json_response(sb.settings)


def patch_settings(sb: Sandbox) -> Response:
    """{"hubspot": {"tier": "enterprise"}, "salesforce": {"daily_api_requests": 1000}}"""
    data = _object(body_json())
    try:
        for service, values in data.items():
            sb.update_settings(service, _object(values))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(sb.settings)


def control_routes(sb: Sandbox) -> list[Route]:
    routes = [
        Route(f"{P}", ("GET",), status),
        Route(f"{P}/reset", ("POST",), reset),
        Route(f"{P}/seed", ("POST",), seed),
        Route(f"{P}/snapshot", ("GET",), get_snapshot),
        Route(f"{P}/snapshot", ("PUT", "POST"), put_snapshot),
        Route(f"{P}/snapshot/save", ("POST",), save_snapshot),
        Route(f"{P}/snapshot/load", ("POST",), load_snapshot),
        Route(f"{P}/clock", ("GET",), get_clock),
        Route(f"{P}/clock", ("PUT", "POST"), set_clock),
        Route(f"{P}/clock/advance", ("POST",), advance_clock),
        Route(f"{P}/faults", ("GET",), list_faults),
        Route(f"{P}/faults", ("POST",), add_fault),
        Route(f"{P}/faults", ("DELETE",), clear_faults),
        Route(f"{P}/faults/<fault_id>", ("DELETE",), delete_fault),
        Route(f"{P}/journal", ("GET",), journal),
        Route(f"{P}/journal/count", ("GET",), journal_count),
        Route(f"{P}/journal", ("DELETE",), clear_journal),
        Route(f"{P}/settings", ("GET",), get_settings),
        Route(f"{P}/settings", ("PATCH", "PUT"), patch_settings),
    ]
    for name, service in sb.services.items():
        for r in service.admin_routes():
            routes.append(Route(f"{P}/{name}{r.rule}", r.methods, r.handler, True))
    return routes
