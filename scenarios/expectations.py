"""The `then` vocabulary. Each expectation returns every mismatch it finds (never stops at the
first), each naming the record and field with expected vs actual. Records are read through the
fakes' public APIs; links, errors, suspension and decisions through the engine adapter; API calls
from the request journal, restricted to the engine's own steps."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from scenarios.fakes import FakeApiError
from scenarios.model import Mismatch, Step
from scenarios.values import ANY, UNCHANGED, matches
from scenarios.world import Handle, StepError, World

ExpectFn = Callable[[World, Any, Step], list[Mismatch]]
EXPECTATIONS: dict[str, ExpectFn] = {}

# Fields that change on every write; `others: unchanged` ignores them.
VOLATILE_FIELDS = frozenset(
    {
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "createdate",
        "hs_all_accessible_team_ids",
        "LastModifiedDate",
        "SystemModstamp",
        "LastModifiedById",
        "LastViewedDate",
        "LastReferencedDate",
        "LastActivityDate",
    }
)
# Properties the integration itself writes on a HubSpot contact (CON-12) — not "other" data.
LINK_PROPERTIES = frozenset(
    {
        "salesforceleadid",
        "salesforcecontactid",
        "salesforceaccountid",
        "salesforceownerid",
        "salesforcelastsynctime",
    }
)


def expectation(name: str) -> Callable[[ExpectFn], ExpectFn]:
    def register(fn: ExpectFn) -> ExpectFn:
        EXPECTATIONS[name] = fn
        return fn

    return register


def check(world: World, e: Step) -> list[Mismatch]:
    fn = EXPECTATIONS.get(e.name)
    if fn is None:
        return [Mismatch(e, f"no implementation for expectation {e.name!r}")]
    try:
        return fn(world, e.args if e.args is not None else {}, e)
    except (StepError, FakeApiError, ValueError) as exc:
        return [Mismatch(e, f"could not check: {exc}")]


# --- records -----------------------------------------------------------------------------------


def _compare_fields(
    world: World,
    e: Step,
    label: str,
    system: str,
    record_id: str,
    values: dict[str, Any],
    expected: dict[str, Any],
    others: str | None,
) -> list[Mismatch]:
    out: list[Mismatch] = []
    before = world.given_snapshot.get((system, record_id))
    for field, want in expected.items():
        want = world.resolve(want, field)
        actual = _lookup(values, field)
        ok, why = matches(want, actual, before=_lookup(before or {}, field), has_before=before is not None)
        if not ok:
            out.append(Mismatch(e, why, record=label, field=field, expected=want, actual=actual))
    if others == UNCHANGED:
        if before is None:
            out.append(
                Mismatch(
                    e, "`others: unchanged` needs a record that existed at the end of `given`", record=label
                )
            )
        else:
            mentioned = {k.lower() for k in expected}
            for field in sorted(set(before) | set(values)):
                if field.lower() in mentioned or field in VOLATILE_FIELDS or field.lower() in LINK_PROPERTIES:
                    continue
                ok, _ = matches(UNCHANGED, values.get(field), before=before.get(field), has_before=True)
                if not ok:
                    out.append(
                        Mismatch(
                            e,
                            "changed, but only the fields named should change (others: unchanged)",
                            record=label,
                            field=field,
                            expected=before.get(field),
                            actual=values.get(field),
                        )
                    )
    return out


def _lookup(values: dict[str, Any], field: str) -> Any:
    if field in values:
        return values[field]
    lowered = field.lower()
    for k, v in values.items():
        if k.lower() == lowered:
            return v
    return None


def _records_check(
    world: World,
    e: Step,
    args: dict[str, Any],
    system: str,
    label_kind: str,
    found: list[tuple[str, dict[str, Any]]],
    label: str,
    expected_values: dict[str, Any],
) -> list[Mismatch]:
    # `count: 0` asks for none: without `exists: false` it must not fall through to "exists"
    exists = args.get("exists", args.get("count", 1) != 0)
    if "count" in args and len(found) != args["count"]:
        return [
            Mismatch(
                e,
                f"wrong number of {label_kind} records",
                record=label,
                expected=args["count"],
                actual=len(found),
            )
        ]
    if not exists:
        if found:
            return [
                Mismatch(
                    e,
                    f"expected no {label_kind} record",
                    record=label,
                    expected="absent",
                    actual=f"{len(found)} found (id {', '.join(i for i, _ in found)})",
                )
            ]
        return []
    if not found:
        return [
            Mismatch(
                e,
                f"expected a {label_kind} record, found none",
                record=label,
                expected="exists",
                actual="absent",
            )
        ]
    out: list[Mismatch] = []
    for record_id, values in found:
        name = label if len(found) == 1 else f"{label} (id {record_id})"
        out += _compare_fields(world, e, name, system, record_id, values, expected_values, args.get("others"))
    return out


@expectation("hubspot.contact")
def _hs_contact(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    expected = {k: world.fakes.hs_option_value(k, v) for k, v in dict(args.get("properties") or {}).items()}
    found: list[tuple[str, dict[str, Any]]] = []
    if "email" in args:
        label = args["email"]
        for rec in world.fakes.hs_find_by_email(args["email"]):
            full = world.fakes.hs_get_contact(str(rec["id"]))
            if full is not None:
                found.append((str(full["id"]), dict(full.get("properties") or {})))
    else:
        record_id = world.handle(args["ref"], "hubspot").id if "ref" in args else str(args["id"])
        label = args.get("ref") or f"id {record_id}"
        rec = world.fakes.hs_get_contact(record_id)
        if rec is not None:
            found.append((record_id, dict(rec.get("properties") or {})))
    out = _records_check(
        world, e, args, "hubspot", "HubSpot contact", found, f"hubspot contact {label}", expected
    )
    return out + _name_found(
        world, e, args, "hubspot", [("contact", rid) for rid, _ in found], args.get("email")
    )


def _sf_records(world: World, args: dict[str, Any], e: Step, sobject: str | None) -> list[Mismatch]:
    expected = dict(args.get("fields") or {})
    found: list[tuple[str, dict[str, Any]]] = []
    types: list[tuple[str, str]] = []
    if "email" in args:
        label = args["email"]
        for obj in [sobject] if sobject else ["Lead", "Contact"]:
            for rec in world.fakes.sf_find_by_email(obj, args["email"]):
                found.append((str(rec["Id"]), {k: v for k, v in rec.items() if k != "attributes"}))
                types.append((obj, str(rec["Id"])))
    else:
        if "ref" in args:
            h = world.handle(args["ref"], "salesforce")
            if sobject and h.sobject != sobject:
                return [
                    Mismatch(
                        e, f"handle {h.name} is a Salesforce {h.sobject}, not a {sobject}", record=h.name
                    )
                ]
            obj, record_id, label = h.sobject, h.id, h.name
        else:
            obj, record_id, label = sobject or "Lead", str(args["id"]), f"id {args['id']}"
        rec = world.fakes.sf_get(obj, record_id)
        if rec is not None and not rec.get("IsDeleted"):
            found.append((record_id, {k: v for k, v in rec.items() if k != "attributes"}))
            types.append((obj, record_id))
    kind = f"Salesforce {sobject or 'lead/contact'}"
    out = _records_check(
        world,
        e,
        args,
        "salesforce",
        kind,
        found,
        f"salesforce {(sobject or 'record').lower()} {label}",
        expected,
    )
    return out + _name_found(world, e, args, "salesforce", types, args.get("email"))


def _name_found(
    world: World, e: Step, args: dict[str, Any], system: str, found: list[tuple[str, str]], email: str | None
) -> list[Mismatch]:
    """`as: name` on a record check: the one record it found becomes a handle for later steps
    (e.g. the lead the engine created, to convert it)."""
    name = args.get("as")
    if not name:
        return []
    if len(found) != 1:
        return [
            Mismatch(
                e,
                f"`as: {name}` names exactly one record; could not find one",
                record=args.get("email") or args.get("ref") or args.get("id"),
                expected="1 record",
                actual=f"{len(found)} records",
            )
        ]
    sobject, record_id = found[0]
    world.name(Handle(name, system, sobject, record_id, email))
    return []


@expectation("salesforce.lead")
def _sf_lead(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    return _sf_records(world, args, e, "Lead")


@expectation("salesforce.contact")
def _sf_contact(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    return _sf_records(world, args, e, "Contact")


@expectation("salesforce.record")
def _sf_record(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    return _sf_records(world, args, e, args["sobject"])


@expectation("hubspot.list_member")
def _list_member(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    record_id = world.hubspot_id(args)
    is_member = record_id in world.fakes.hs_list_member_ids(args["list"])
    if is_member != args["is"]:
        who = args.get("ref") or args.get("email")
        return [
            Mismatch(
                e,
                f"list membership of {args['list']!r}",
                record=f"hubspot contact {who}",
                expected="member" if args["is"] else "not a member",
                actual="member" if is_member else "not a member",
            )
        ]
    return []


# --- the engine's view ---------------------------------------------------------------------------


def _hs_id_of(world: World, ref_or_email: str) -> str:
    if "@" in ref_or_email:
        return world.hubspot_id({"email": ref_or_email})
    return world.handle(ref_or_email, "hubspot").id


@expectation("link")
def _link(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    hs_ref = args["hubspot"]
    label = f"hubspot contact {hs_ref}"
    try:
        hs_id = _hs_id_of(world, hs_ref)
    except StepError as exc:  # "not linked" about a contact that is not there would pass vacuously
        return [Mismatch(e, f"could not find the HubSpot contact: {exc}", record=label)]
    link = world.engine.link_of(hs_id)
    exists = args.get("exists", args.get("salesforce", ANY) is not None)
    if not exists:
        if link is not None:
            return [
                Mismatch(
                    e,
                    "expected no link",
                    record=label,
                    expected="not linked",
                    actual=f"{link.sobject} {link.salesforce_id}",
                )
            ]
        return []
    if link is None:
        return [
            Mismatch(
                e,
                "expected a link to Salesforce, the engine records none",
                record=label,
                expected=args.get("salesforce", "a link"),
                actual="not linked",
            )
        ]
    out: list[Mismatch] = []
    choices = args.get("salesforce")
    if isinstance(choices, dict):  # {one_of: [handles]}: the documentation leaves the choice open
        targets = [world.handle(n, "salesforce") for n in choices["one_of"]]
        if link.salesforce_id not in {t.id for t in targets}:
            out.append(
                Mismatch(
                    e,
                    "linked to none of the Salesforce records allowed",
                    record=label,
                    expected=f"one of {[f'{t.sobject} {t.id} ({t.name})' for t in targets]}",
                    actual=f"{link.sobject} {link.salesforce_id}",
                )
            )
    elif isinstance(choices, str):
        target = world.handle(args["salesforce"], "salesforce")
        if link.salesforce_id != target.id:
            out.append(
                Mismatch(
                    e,
                    "linked to another Salesforce record",
                    record=label,
                    expected=f"{target.sobject} {target.id} ({target.name})",
                    actual=f"{link.sobject} {link.salesforce_id}",
                )
            )
    if args.get("sobject") and (link.sobject or "").lower() != args["sobject"].lower():
        out.append(
            Mismatch(
                e,
                "linked to another Salesforce object type",
                record=label,
                field="sobject",
                expected=args["sobject"],
                actual=link.sobject,
            )
        )
    return out


def _count_problem(
    e: Step, args: dict[str, Any], n: int, what: str, record: str | None = None
) -> list[Mismatch]:
    if "count" in args and n != args["count"]:
        return [Mismatch(e, f"wrong number of {what}", record=record, expected=args["count"], actual=n)]
    if "at_most" in args and n > args["at_most"]:
        return [
            Mismatch(e, f"too many {what}", record=record, expected=f"at most {args['at_most']}", actual=n)
        ]
    if "at_least" in args and n < args["at_least"]:
        return [
            Mismatch(e, f"too few {what}", record=record, expected=f"at least {args['at_least']}", actual=n)
        ]
    return []


def _since(world: World, args: dict[str, Any]) -> int:
    mark = args.get("since")
    if mark is None:
        return world.marks.get("_when", 0)
    if mark not in world.marks:
        raise StepError(f"no mark named {mark!r} (add a `mark: {mark}` step)")
    return world.marks[mark]


def _record_ids(world: World, ref: str) -> set[str]:
    """The ids of a handle, or of every record with that email in either system (empty: none)."""
    if "@" not in ref:
        return {world.handle(ref).id}
    ids: set[str] = set()
    for find in (
        lambda: world.hubspot_id({"email": ref}),
        lambda: world.salesforce_target({"email": ref})[1],
    ):
        with contextlib.suppress(StepError):
            ids.add(find())
    return ids


@expectation("sync_errors")
def _sync_errors(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    errors = world.engine.errors()
    categories = args.get("category")
    if categories:
        wanted = {c.lower() for c in ([categories] if isinstance(categories, str) else categories)}
        errors = [x for x in errors if x.category.lower() in wanted]
    record_label = None
    if args.get("record"):
        ref = args["record"]
        record_label = ref
        ids = _record_ids(world, ref)
        if not ids:  # "no errors" about a record that does not exist would pass vacuously
            return [Mismatch(e, f"could not find a record with email {ref} in either system", record=ref)]
        errors = [x for x in errors if x.hubspot_id in ids or x.salesforce_id in ids]
    if args.get("message_contains"):
        errors = [x for x in errors if args["message_contains"].lower() in x.message.lower()]
    out = _count_problem(
        e,
        args,
        len(errors),
        f"sync errors{f' ({categories})' if categories else ''}",
        record_label,
    )
    if out:
        everything = world.engine.errors()
        out[0].message += f"; all errors: {[f'{x.category}: {x.message[:80]}' for x in everything][:8]}"
    return out


@expectation("suspended")
def _suspended(world: World, args: Any, e: Step) -> list[Mismatch]:
    want = args if isinstance(args, bool) else args["is"]
    is_suspended, reason = world.engine.suspension()
    out = []
    if is_suspended != want:
        out.append(
            Mismatch(
                e,
                "integration suspension",
                expected="suspended" if want else "not suspended",
                actual=f"suspended: {reason}" if is_suspended else "not suspended",
            )
        )
    elif (
        isinstance(args, dict)
        and args.get("reason_contains")
        and args["reason_contains"].lower() not in reason.lower()
    ):
        out.append(
            Mismatch(e, "suspension reason", expected=f"contains {args['reason_contains']!r}", actual=reason)
        )
    return out


@expectation("decision_log")
def _decisions(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    label = None
    if args.get("record"):
        ref = args["record"]
        label = ref
        if "@" in ref and not _record_ids(world, ref):  # no entries about nothing: not a pass
            return [Mismatch(e, f"could not find a record with email {ref} in either system", record=ref)]
        entries = world.engine.decisions(ref if "@" in ref else world.handle(ref).id)
    else:
        entries = world.engine.decisions()
    needles = args.get("contains")
    needles = [needles] if isinstance(needles, str) else (needles or [])
    out: list[Mismatch] = []
    for needle in needles:
        hits = [x for x in entries if needle.lower() in x.lower()]
        if not hits and not any(k in args for k in ("count", "at_most", "at_least")):
            out.append(
                Mismatch(
                    e,
                    "no decision log entry contains the text",
                    record=label,
                    expected=needle,
                    actual=entries[-8:] if entries else "no entries",
                )
            )
    if any(k in args for k in ("count", "at_most", "at_least")):
        chosen = [x for x in entries if all(n.lower() in x.lower() for n in needles)]
        out += _count_problem(
            e,
            args,
            len(chosen),
            "decision log entries" + (f" containing {needles}" if needles else ""),
            label,
        )
    return out


@expectation("engine_status")
def _engine_status(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    status = world.engine.status()
    out: list[Mismatch] = []
    for path, want in args.items():
        node: Any = status
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        ok, why = matches(want, node)
        if not ok:
            out.append(Mismatch(e, why, record="engine status", field=path, expected=want, actual=node))
    return out


@expectation("one_of")
def _one_of(world: World, args: list[Any], e: Step) -> list[Mismatch]:
    """Alternatives, each a list of expectations: passes when every expectation of at least one
    alternative holds (where the documentation leaves a choice open, e.g. CON-6's first duplicate).
    When none holds, each alternative's mismatches are reported."""
    lines = getattr(args, "item_lines", None) or [e.line] * len(args)
    failures: list[Mismatch] = []
    for i, alternative in enumerate(args):
        found: list[Mismatch] = []
        item_lines = getattr(alternative, "item_lines", None) or [lines[i]] * len(alternative)
        for j, item in enumerate(alternative):
            ((name, inner),) = item.items()
            sub = Step(
                name=name,
                args=inner,
                line=item_lines[j],
                index=j + 1,
                block=f"{e.block}[{e.index}] one_of[{i + 1}]",
            )
            found += check(world, sub)
        if not found:
            return []
        failures += found
    return [
        Mismatch(e, f"none of the {len(args)} alternatives holds (each one's mismatches follow)")
    ] + failures


@expectation("same_as_without")
def _same_as_without(world: World, args: Any, e: Step) -> list[Mismatch]:
    """Compares two runs, so the runner checks it after this run (scenarios/compare.py)."""
    return [Mismatch(e, "same_as_without compares whole runs: use it in `then`, not in a `check` step")]


# Checks on the engine's requests and checks over many records (given.generate) live in their own
# modules; importing them here registers them.
from scenarios import engine_calls, volume  # noqa: E402, F401
