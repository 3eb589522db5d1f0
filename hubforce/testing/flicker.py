"""The no-flicker invariant of the sync state machine (issue 17).

A field must never be set to a value that is neither its previous value nor the one it ends with,
and never be cleared unless a user cleared it. Bug 2 of the issue broke both: in one cycle the
engine copied a HubSpot phone to a new Salesforce lead and then cleared it in HubSpot (a stale
blank read as a Salesforce clear); the next cycle copied it back (history `['', '+1 555 0100']`).

Checked on every value the engine writes, as the fakes receive it (the Salesforce fake keeps no
field history, so the watch reads the writes at the engine's HTTP session, with the fakes'
answers saying which took effect):
- no flip: between two user edits (any write in the fakes' journal outside an engine action), the
  engine writes at most ONE value to a given field of a given record. Writing A and then B with
  nobody editing in between means A was neither the previous nor the final value.
- no phantom clear: within one engine action, the engine never writes a blank to a field of one
  record and a value to the same field of the linked record on the other side (a sync makes both
  sides equal whatever the rule; a clear beside a fill is a stale blank read as a user's clear).
Only the fields the machine varies are watched (hubforce.testing.machine_setup.FIELD_CANDIDATES)."""

from __future__ import annotations

from typing import Any

import orjson
import requests
from hypothesis.stateful import RuleBasedStateMachine
from sqlalchemy import select

from hubforce.testing.world import World, is_write
from sync.state.models import Link

Key = tuple[str, str, str]  # (system, record id, field)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _body(kwargs: dict[str, Any]) -> Any:
    raw = kwargs.get("data") if kwargs.get("data") is not None else kwargs.get("json")
    if raw is None:
        return None
    if isinstance(raw, bytes | str):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
    return raw


def _answer(resp: requests.Response) -> Any:
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return None


class FlickerWatch:
    """Sees every HTTP call the engine makes (World.watchers) and asserts the two rules above."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.hs_fields = set(fields)
        self.sf_fields = set(fields.values())
        self.sf_to_hs = {v: k for k, v in fields.items()}
        self.written: dict[Key, Any] = {}  # last value the engine wrote since the last user edit
        self.action: dict[tuple[str, str], list[tuple[str, Any]]] = {}  # (system, field) -> writes
        self.mark = 0  # journal sequence at the end of the last engine action
        self.writes = 0  # field writes checked (so a test can see the watch saw something)
        # found during an action, raised after it: inside the engine's HTTP call an AssertionError
        # could be taken for a failed record
        self.violations: list[str] = []

    # --- World hooks ------------------------------------------------------------------------
    def on_action(self, world: World, start: int) -> None:
        if start > self.mark and any(is_write(e) for e in world.fakes.journal(since=self.mark)):
            self.written.clear()  # a user edited something: values may legitimately move again
        self.action.clear()
        self.mark = start

    def on_action_end(self, world: World, journal: list[dict[str, Any]], crashed: bool) -> None:
        self.mark = max([self.mark, *(int(e.get("seq", 0)) for e in journal)])
        if not crashed:  # a dead engine's links may lack the last commit
            self._phantom_clears(world)
        if self.violations:
            found, self.violations = self.violations, []
            raise AssertionError("\n".join(found))

    def on_call(self, method: str, url: str, kwargs: dict[str, Any], resp: requests.Response) -> None:
        if resp.status_code >= 300:
            return
        path = url.split("?", 1)[0]
        if "/crm/v3/objects/contacts/batch/" in path and method == "POST":
            self._hubspot(path.rsplit("/", 1)[-1], _body(kwargs), _answer(resp))
        elif path.endswith("/composite/sobjects") and method in ("POST", "PATCH"):
            self._salesforce(method, _body(kwargs), _answer(resp))

    # --- parsing what took effect -------------------------------------------------------------
    def _hubspot(self, op: str, body: Any, answer: Any) -> None:
        if op not in ("update", "upsert", "create") or not isinstance(body, dict):
            return
        results = answer.get("results", []) if isinstance(answer, dict) else []
        done_ids = {str(r.get("id")) for r in results if isinstance(r, dict)}
        by_email = {
            str((r.get("properties") or {}).get("email") or "").lower(): str(r.get("id"))
            for r in results
            if isinstance(r, dict)
        }
        for item in body.get("inputs", []):
            props = item.get("properties") or {}
            if op == "update":
                rid = str(item.get("id"))
                if rid not in done_ids:
                    continue
            else:
                email = str(props.get("email") or item.get("id") or "").lower()
                rid = by_email.get(email, "")
                if not rid:
                    continue
            for name, value in props.items():
                if name in self.hs_fields:
                    self._wrote("hubspot", rid, name, value)

    def _salesforce(self, method: str, body: Any, answer: Any) -> None:
        if not isinstance(body, dict) or not isinstance(answer, list):
            return
        for rec, res in zip(body.get("records", []), answer, strict=False):
            if not isinstance(res, dict) or not res.get("success"):
                continue
            rid = str(rec.get("Id") or res.get("id"))
            for name, value in rec.items():
                if name in self.sf_fields:
                    self._wrote("salesforce", rid, name, value)

    # --- the rules ----------------------------------------------------------------------------
    def _wrote(self, system: str, rid: str, name: str, value: Any) -> None:
        self.writes += 1
        value = None if _blank(value) else str(value)
        key = (system, rid, name)
        if key in self.written and self.written[key] != value:
            self.violations.append(
                f"flicker: the engine set {system} {rid} {name} to {value!r} after setting it to "
                f"{self.written[key]!r}, with no user edit in between (issue 17 bug 2)"
            )
        self.written[key] = value
        field = name if system == "hubspot" else self.sf_to_hs[name]
        self.action.setdefault((system, field), []).append((rid, value))

    def _phantom_clears(self, world: World) -> None:
        """Within one action, a linked pair never gets a blank on one side and a value on the other
        for the same field: a sync makes both sides equal, whatever the rule."""
        with world.engine.store._sessions() as s:  # read-only look at the engine's links
            pairs = {(hs_id, sf_id) for hs_id, sf_id in s.execute(select(Link.hs_id, Link.sf_id))}
        for field in self.hs_fields:
            hs = self.action.get(("hubspot", field), [])
            sf = self.action.get(("salesforce", field), [])
            for hs_id, hs_value in hs:
                for sf_id, sf_value in sf:
                    if (hs_id, sf_id) in pairs and (hs_value is None) != (sf_value is None):
                        self.violations.append(
                            f"phantom clear: in one engine action {field} was set to {hs_value!r} in HubSpot"
                            f" {hs_id} and to {sf_value!r} in Salesforce {sf_id} (linked); nobody cleared it"
                            " (issue 17 bug 2)"
                        )


class FlickerChecks(RuleBasedStateMachine):
    """Mixed into SyncMachine: attaches a FlickerWatch to every world the machine builds."""

    flicker: FlickerWatch | None = None

    def watch_for_flicker(self, world: World, fields: dict[str, str]) -> None:
        self.flicker = FlickerWatch(fields)
        world.watchers.append(self.flicker)
