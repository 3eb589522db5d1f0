"""`same_as_without: [step names]` — compare two runs: the final state of this scenario must equal
the final state of the same scenario played without those steps (e.g. without its faults, lost
answers and engine stops), as one check.

The final state is what a person would compare in the two apps: every HubSpot contact and every
Salesforce lead and contact, grouped by email, with their field values. Record ids, timestamps and
the fields that hold other records' ids are left out (the faulty run may use more ids and more
time); how many records share an email is kept (a duplicate is a difference)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from scenarios.model import Mismatch, Scenario, Step
from scenarios.values import normalise
from scenarios.world import World

NAME = "same_as_without"
DEFAULT_WITHOUT = ("faults.add", "engine.stop")
# ids, timestamps and id-valued fields differ between two runs without anything being wrong
VOLATILE = re.compile(r"(?i)(date|time|modstamp|^id$|id$|^hs_object_id$|^hs_all_|^hs_user_ids_)")
MAX_REPORTED = 12

State = dict[tuple[str, str], list[dict[str, str]]]


def final_state(world: World) -> State:
    """Every contact, lead and Salesforce contact by (kind, email), values normalised."""
    state: State = {}
    props = world.fakes.hs_property_names()
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, "properties": ",".join(props)}
        if after:
            params["after"] = after
        body = world.fakes.hs("GET", "/crm/v3/objects/contacts", params=params).json()
        for rec in body.get("results", []):
            _add(state, "HubSpot contact", rec.get("properties") or {})
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            break
    for sobject in ("Lead", "Contact"):
        fields = [
            f["name"]
            for f in world.fakes.sf("GET", f"/sobjects/{sobject}/describe").json()["fields"]
            if f.get("type") not in ("address", "location")  # compound fields are not queryable as one
        ]
        for rec in world.fakes.sf_query(f"SELECT {', '.join(fields)} FROM {sobject}"):
            _add(state, f"Salesforce {sobject}", {k: v for k, v in rec.items() if k != "attributes"})
    return state


def _add(state: State, kind: str, values: dict[str, Any]) -> None:
    email = str(values.get("email") or values.get("Email") or "(no email)").lower()
    kept = {k: str(normalise(v)) for k, v in values.items() if not VOLATILE.search(k) and v not in (None, "")}
    state.setdefault((kind, email), []).append(kept)


def differences(actual: State, expected: State) -> list[str]:
    out: list[str] = []
    for key in sorted(set(actual) | set(expected)):
        kind, email = key
        mine, theirs = actual.get(key, []), expected.get(key, [])
        if len(mine) != len(theirs):
            out.append(f"{kind} {email}: {len(mine)} record(s), in the other run {len(theirs)}")
            continue
        by_sorted = sorted(mine, key=_order), sorted(theirs, key=_order)
        for a, b in zip(*by_sorted, strict=True):
            for field in sorted(set(a) | set(b)):
                if a.get(field) != b.get(field):
                    out.append(f"{kind} {email} field {field}: {a.get(field)!r}, in the other run {b.get(field)!r}")
    return out


def _order(values: dict[str, str]) -> str:
    return repr(sorted(values.items()))


def without(scenario: Scenario, names: list[str]) -> Scenario:
    """The same scenario with every `when` step of those names left out and no expectations."""
    kept = [s for s in scenario.when if s.name not in names]
    return dataclasses.replace(scenario, when=kept, then=[])


def compare(
    scenario: Scenario,
    e: Step,
    mine: State,
    play: Callable[[Scenario], tuple[State | None, str | None]],
) -> list[Mismatch]:
    names = list(e.args or DEFAULT_WITHOUT)
    if not any(s.name in names for s in scenario.when):
        return [Mismatch(e, f"could not find any of {names} in `when`: the two runs would be the same run")]
    theirs, problem = play(without(scenario, names))
    if theirs is None:
        return [Mismatch(e, f"the run without {names} could not be played: {problem}")]
    found = differences(mine, theirs)
    if not found:
        return []
    shown = found[:MAX_REPORTED] + ([f"... and {len(found) - MAX_REPORTED} more"] if len(found) > MAX_REPORTED else [])
    return [
        Mismatch(
            e,
            f"the final state differs from the same scenario without {names}:\n        " + "\n        ".join(shown)
        )
    ]
