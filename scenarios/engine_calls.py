"""Checks on the requests the engine made during engine steps (`api_calls`, `nothing_synced`), as
the wire tap saw them (scenarios/wiretap.py): method, path, status, decoded query string, body."""

from __future__ import annotations

import re
from typing import Any

from scenarios.expectations import _count_problem, _since, expectation
from scenarios.model import Mismatch, Step
from scenarios.wiretap import Call, is_write
from scenarios.world import World


def _engine_calls(world: World, args: dict[str, Any], e: Step) -> tuple[list[Call], list[Mismatch]]:
    """The engine's requests since the mark; a check of "what the engine did" when no engine
    step ran in that window could only pass vacuously, so it fails and says so."""
    since = _since(world, args)
    if not world.engine_ran_since(since):
        where = f"since mark {args['since']!r}" if args.get("since") else "in `when`"
        return [], [Mismatch(e, f"could not find an engine step {where}: no sync step ran, nothing to check")]
    return world.engine_entries(since), []


@expectation("api_calls")
def _api_calls(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    entries, missing = _engine_calls(world, args, e)
    if missing:
        return missing
    system = args.get("system", "any")
    methods = args.get("method")
    methods = {m.upper() for m in ([methods] if isinstance(methods, str) else methods)} if methods else None
    path = re.compile(args["path"]) if args.get("path") else None
    body_needles = [str(world.resolve(n)) for n in _texts(args.get("body_contains"))]
    query_needles = [str(world.resolve(n)) for n in _texts(args.get("query_contains"))]
    chosen = [
        x
        for x in entries
        if (system == "any" or x.service == system)
        and (methods is None or x.method in methods)
        and (path is None or path.search(x.path))
        and ("status" not in args or x.status == args["status"])
        and all(n.lower() in x.body.lower() for n in body_needles)
        and all(n.lower() in x.query.lower() for n in query_needles)
    ]
    desc = " ".join(
        filter(
            None,
            [
                system,
                "/".join(sorted(methods)) if methods else "",
                args.get("path", ""),
                f"body containing {body_needles}" if body_needles else "",
                f"query containing {query_needles}" if query_needles else "",
            ],
        )
    )
    out = _count_problem(e, args, len(chosen), f"engine API calls ({desc})")
    if out:
        sample = [x.describe() for x in (chosen or entries)[:8]]
        out[0].message += f"; {'calls' if chosen else 'the engine made'}: {sample}"
    return out


def _texts(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@expectation("nothing_synced")
def _nothing_synced(world: World, args: Any, e: Step) -> list[Mismatch]:
    args = args if isinstance(args, dict) else {}
    entries, missing = _engine_calls(world, args, e)
    if missing:
        return missing
    system = args.get("system", "any")
    writes = [x for x in entries if (system == "any" or x.service == system) and is_write(x)]
    if writes:
        return [
            Mismatch(
                e,
                "the engine wrote to the APIs",
                expected="no writes",
                actual=[x.describe() for x in writes[:10]],
            )
        ]
    return []
