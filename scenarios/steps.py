"""The `when` vocabulary: each step name maps to one function that acts through the fakes' public
APIs (or the control API, for what only a test harness can do) or through the engine adapter.
The names here and in schema.json are the same list (a unit test checks it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenarios.fakes import FakeApiError
from scenarios.model import Step
from scenarios.values import PROCESSING_TYPES, duration_seconds, filter_branch
from scenarios.world import Handle, StepError, World

StepFn = Callable[[World, Any], None]
STEPS: dict[str, StepFn] = {}


def step(name: str) -> Callable[[StepFn], StepFn]:
    def register(fn: StepFn) -> StepFn:
        STEPS[name] = fn
        return fn

    return register


def run_step(world: World, s: Step) -> None:
    if s.name == "check":
        _check(world, s)
        return
    fn = STEPS.get(s.name)
    if fn is None:
        raise StepError(f"no implementation for step {s.name!r}")
    try:
        fn(world, s.args if s.args is not None else {})
    except FakeApiError as exc:
        raise StepError(f"the fake refused the call: {exc}") from None


def _check(world: World, s: Step) -> None:
    """Expectations in the middle of `when`: mismatches are kept and the scenario goes on."""
    from scenarios.expectations import check

    lines = getattr(s.args, "item_lines", None) or [s.line] * len(s.args)
    for i, item in enumerate(s.args):
        ((name, args),) = item.items()
        e = Step(name=name, args=args, line=lines[i], index=i + 1, block=f"when[{s.index}] check")
        world.mismatches.extend(check(world, e))


STEPS["check"] = lambda world, args: None  # handled by run_step (it needs the Step for line numbers)


# --- HubSpot contacts ----------------------------------------------------------------------------


def hs_fill(world: World, properties: dict[str, Any]) -> dict[str, Any]:
    """Property values for a HubSpot write: `$...` references resolved, option labels of
    enumerations (lifecycle stage "Marketing Qualified Lead") turned into their internal values."""
    return {k: world.fakes.hs_option_value(k, v) for k, v in world.fill(properties).items()}


def create_hubspot_contact(world: World, args: dict[str, Any]) -> Handle:
    props = hs_fill(world, args["properties"])
    record = world.fakes.hs_create_contact(props)
    handle = Handle(
        args.get("as") or f"_hs{record['id']}", "hubspot", "contact", str(record["id"]), props.get("email")
    )
    if args.get("as"):
        world.name(handle)
    return handle


@step("hubspot.create_contact")
def _hs_create(world: World, args: dict[str, Any]) -> None:
    create_hubspot_contact(world, args)


@step("hubspot.update_contact")
def _hs_update(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs_update_contact(world.hubspot_id(args), hs_fill(world, args["properties"]))


@step("hubspot.delete_contact")
def _hs_delete(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs_delete_contact(world.hubspot_id(args))


@step("hubspot.merge_contacts")
def _hs_merge(world: World, args: dict[str, Any]) -> None:
    primary = world.handle(args["primary"], "hubspot")
    merged = world.handle(args["merged"], "hubspot")
    result = world.fakes.hs_merge_contacts(primary.id, merged.id)
    # HubSpot may give the merged record a new id; the primary handle follows it.
    primary.id = str(result.get("id", primary.id))


@step("hubspot.submit_form")
def _hs_form(world: World, args: dict[str, Any]) -> None:
    """A form submission creates or updates the contact with that email (TRG-8). HubSpot's forms
    endpoint is not part of the fake; the submission reaches the CRM as this create/update."""
    props = {"email": args["email"], **hs_fill(world, args.get("properties") or {})}
    found = world.fakes.hs_find_by_email(args["email"], properties=["email"])
    if found:
        world.fakes.hs_update_contact(str(found[0]["id"]), props)
        if args.get("as"):
            world.name(Handle(args["as"], "hubspot", "contact", str(found[0]["id"]), args["email"]))
    else:
        create_hubspot_contact(world, {"properties": props, **({"as": args["as"]} if args.get("as") else {})})


# --- HubSpot lists -------------------------------------------------------------------------------


def _property_types(world: World) -> dict[str, str]:
    try:
        return {name: p.get("type", "string") for name, p in world.fakes.hs_properties().items()}
    except FakeApiError:
        return {}


def branch_for(world: World, args: dict[str, Any]) -> dict[str, Any] | None:
    """`where` (all must hold) or `where_any` (an OR-list of `where` blocks) -> a filterBranch;
    enumeration labels become values. `filter_branch` is taken as written."""
    if "filter_branch" in args:
        return dict(args["filter_branch"])
    blocks = [args["where"]] if "where" in args else list(args.get("where_any") or [])
    if not blocks:
        return None
    labelled = [{k: _option_values(world, k, v) for k, v in dict(b).items()} for b in blocks]
    return filter_branch(labelled, _property_types(world))


def _option_values(world: World, prop: str, cond: Any) -> Any:
    if isinstance(cond, list):
        return [world.fakes.hs_option_value(prop, v) for v in cond]
    if isinstance(cond, dict):
        return {k: _option_values(world, prop, v) if k in ("not", "any_of") else v for k, v in cond.items()}
    return world.fakes.hs_option_value(prop, cond)


def create_list(world: World, args: dict[str, Any]) -> None:
    processing = PROCESSING_TYPES[args.get("processing", "active")]
    branch = branch_for(world, args)
    if processing == "DYNAMIC" and branch is None:
        raise StepError(f"list {args['name']!r}: an active list needs `where:`, `where_any:` or `filter_branch:`")
    # `object: companies`: a company list (INC-11), objectTypeId 0-2
    world.fakes.hs_create_list(args["name"], processing, branch, "0-2" if args.get("object") == "companies" else "0-1")
    members = [world.handle(m, "hubspot").id for m in args.get("members") or []]
    if members:
        world.fakes.hs_list_membership_change(args["name"], members, add=True)


step("hubspot.create_list")(create_list)


@step("hubspot.update_list_filters")
def _list_filters(world: World, args: dict[str, Any]) -> None:
    branch = branch_for(world, args)
    assert branch is not None  # the schema requires where or filter_branch
    world.fakes.hs_update_list_filters(args["list"], branch)


def _refs(world: World, args: dict[str, Any]) -> list[str]:
    names = args["refs"] if "refs" in args else [args["ref"]]
    return [world.handle(n, "hubspot").id for n in names]


@step("hubspot.add_to_list")
def _list_add(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs_list_membership_change(args["list"], _refs(world, args), add=True)


@step("hubspot.remove_from_list")
def _list_remove(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs_list_membership_change(args["list"], _refs(world, args), add=False)


@step("hubspot.delete_list")
def _list_delete(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs_delete_list(args["list"])


# --- Salesforce records --------------------------------------------------------------------------


def create_salesforce_record(world: World, sobject: str, args: dict[str, Any]) -> Handle:
    fields = world.fill(args["fields"])
    record_id = world.fakes.sf_create(sobject, fields)
    handle = Handle(
        args.get("as") or f"_sf{record_id}", "salesforce", sobject, record_id, fields.get("Email")
    )
    if args.get("as"):
        world.name(handle)
    return handle


@step("salesforce.create")
def _sf_create(world: World, args: dict[str, Any]) -> None:
    create_salesforce_record(world, args["sobject"], args)


@step("salesforce.update")
def _sf_update(world: World, args: dict[str, Any]) -> None:
    sobject, record_id = world.salesforce_target(args)
    world.fakes.sf_update(sobject, record_id, world.fill(args["fields"]))


@step("salesforce.delete")
def _sf_delete(world: World, args: dict[str, Any]) -> None:
    sobject, record_id = world.salesforce_target(args)
    world.fakes.sf_delete(sobject, record_id)


@step("salesforce.merge")
def _sf_merge(world: World, args: dict[str, Any]) -> None:
    master = world.handle(args["master"], "salesforce")
    names = args["merged"] if isinstance(args["merged"], list) else [args["merged"]]
    merged = [world.handle(n, "salesforce") for n in names]
    _platform_action(
        world,
        "/salesforce/merge",
        {"object": master.sobject, "masterId": master.id, "duplicateIds": [m.id for m in merged]},
    )


@step("salesforce.convert_lead")
def _sf_convert(world: World, args: dict[str, Any]) -> None:
    lead = world.handle(args["ref"], "salesforce")
    body: dict[str, Any] = {"leadId": lead.id, "doNotCreateOpportunity": not args.get("opportunity", False)}
    if args.get("account"):
        body["accountId"] = world.handle(args["account"], "salesforce").id
    result = _platform_action(world, "/salesforce/convert-lead", body)
    if args.get("contact_as"):
        world.name(Handle(args["contact_as"], "salesforce", "Contact", str(result["contactId"]), lead.email))
    if args.get("account_as"):
        world.name(Handle(args["account_as"], "salesforce", "Account", str(result["accountId"])))


def _platform_action(world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Lead conversion and merge answer 400 with Salesforce's result shape when the platform refuses."""
    try:
        return world.fakes.control("POST", path, json=body) or {}
    except FakeApiError as exc:
        raise StepError(f"Salesforce refused {path.rsplit('/', 1)[-1]}: {exc.body[:300]}") from None


@step("salesforce.validation_rule")
def _sf_validation(world: World, args: dict[str, Any]) -> None:
    body = {"object": args["sobject"], "name": args["name"], "active": args.get("active", True)}
    for key, wire in (
        ("field", "field"),
        ("condition", "condition"),
        ("message", "message"),
        ("error_field", "errorField"),
    ):
        if key in args:
            body[wire] = args[key]
    world.fakes.control("POST", "/salesforce/validation-rules", json=body)


@step("salesforce.duplicate_rule")
def _sf_duplicate(world: World, args: dict[str, Any]) -> None:
    body = {"object": args["sobject"], "fields": args["fields"], "action": args.get("action", "block")}
    if "name" in args:
        body["name"] = args["name"]
    world.fakes.control("POST", "/salesforce/duplicate-rules", json=body)


@step("salesforce.field_permission")
def _sf_field_permission(world: World, args: dict[str, Any]) -> None:
    world.fakes.control(
        "POST",
        "/salesforce/field-permissions",
        json={"object": args["sobject"], "field": args["field"], "editable": args["editable"]},
    )


@step("salesforce.user_permissions")
def _sf_user_permissions(world: World, args: dict[str, Any]) -> None:
    """The integration user's system permissions: {PermissionsModifyAllData: false, ...}."""
    world.fakes.control("POST", "/salesforce/user-permissions", json=dict(args))


@step("salesforce.custom_field")
def _sf_custom_field(world: World, args: dict[str, Any]) -> None:
    body: dict[str, Any] = {
        "object": args["sobject"],
        "name": args["name"],
        "type": args.get("type", "string"),
    }
    for key, wire in (
        ("label", "label"),
        ("values", "picklistValues"),
        ("length", "length"),
        ("required", "required"),
        ("restricted", "restrictedPicklist"),
    ):
        if key in args:
            body[wire] = args[key]
    body.update(args.get("body") or {})
    world.fakes.control("POST", "/salesforce/fields", json=body)


@step("salesforce.expire_session")
def _sf_expire(world: World, args: dict[str, Any]) -> None:
    world.fakes.control("POST", "/salesforce/sessions/expire", json={})


@step("salesforce.api_usage")
def _sf_usage(world: World, args: dict[str, Any]) -> None:
    used = args.get("used")
    if args.get("exhausted"):
        used = int(world.fakes.control("GET", "/salesforce/api-usage")["max"])
    if used is None:
        raise StepError("give used: N or exhausted: true")
    world.fakes.control("POST", "/salesforce/api-usage", json={"used": int(used)})
    world.fakes.usage_managed = True


@step("salesforce.control")
def _sf_control(world: World, args: dict[str, Any]) -> None:
    world.fakes.control(
        args.get("method", "POST").upper(), f"/salesforce/{args['action'].lstrip('/')}", json=args.get("body")
    )


@step("hubspot.control")
def _hs_control(world: World, args: dict[str, Any]) -> None:
    world.fakes.control(
        args.get("method", "POST").upper(), f"/hubspot/{args['action'].lstrip('/')}", json=args.get("body")
    )


# --- settings ------------------------------------------------------------------------------------


@step("settings.set")
def _settings_set(world: World, args: dict[str, Any]) -> None:
    """`refused: true` (with `message_contains`): the engine must refuse the change (DEAL-1); the
    previous settings stay in force."""
    changes = {k: v for k, v in args.items() if k not in ("refused", "message_contains")}
    if not args.get("refused"):
        _change_settings(world, changes)
        return
    try:
        world.engine.update_settings(changes)
    except Exception as exc:  # refused, as expected
        _refusal_says(args, exc)
        return
    raise StepError(f"expected the engine to refuse settings {changes}, but it accepted them")


@step("settings.inclusion_list")
def _settings_list(world: World, args: Any) -> None:
    if not isinstance(args, dict):
        _change_settings(world, {"contacts": {"inclusion_list": args or None}})
        return
    if not args.get("refused"):
        _change_settings(world, {"contacts": {"inclusion_list": args.get("list") or None}})
        return
    before = world.engine.settings_dict
    try:
        world.engine.update_settings({"contacts": {"inclusion_list": args.get("list")}})
    except Exception as exc:  # refused, as expected (INC-1); the previous settings stay in force
        world.engine.settings_dict = before
        _refusal_says(args, exc)
        return
    raise StepError(f"expected the engine to refuse inclusion list {args.get('list')!r}, but it accepted it")


def _refusal_says(args: dict[str, Any], exc: Exception) -> None:
    """`message_contains` (text or list): the refusal's message must say all of it, so the admin
    learns what was wrong (e.g. the list's name and that it is not an active list)."""
    needles = args.get("message_contains") or []
    missing = [n for n in ([needles] if isinstance(needles, str) else needles) if n.lower() not in str(exc).lower()]
    if missing:
        raise StepError(f"the setting was refused, but the message does not mention {missing}: {exc}") from None


@step("settings.mapping")
def _settings_mapping(world: World, args: dict[str, Any]) -> None:
    """Add or change one mapping. `refused: true` expects the engine to refuse it (RULE-6/7):
    the previous mappings stay in force."""
    mapping = {k: v for k, v in args.items() if k in ("hubspot", "salesforce", "rule")}
    section = args.get("object", "contacts")  # the object's mappings tab (RULE-10: companies, deals)
    current = list(((world.engine.settings_dict.get(section) or {}).get("mappings")) or [])
    current = [
        m for m in current if (m.get("hubspot"), m.get("salesforce")) != (args["hubspot"], args["salesforce"])
    ]
    change = {section: {"mappings": [*current, mapping]}}
    if not args.get("refused"):
        _change_settings(world, change)
        return
    try:
        world.engine.update_settings(change)
    except Exception as exc:  # refused, as expected; the previous mappings stay in force
        _refusal_says(args, exc)
        return
    raise StepError(f"expected the engine to refuse mapping {mapping}, but it accepted it")


def _change_settings(world: World, changes: dict[str, Any]) -> None:
    try:
        world.engine.update_settings(changes)
    except ValueError as exc:
        raise StepError(str(exc)) from None


# --- the engine ----------------------------------------------------------------------------------


@step("sync.run")
def _sync_run(world: World, args: dict[str, Any]) -> None:
    for _ in range(int(args.get("cycles", 1))):
        world.engine_call(world.engine.run_cycle)


@step("sync.drain")
def _sync_drain(world: World, args: Any) -> None:
    """What `sync run` does every few seconds between poll ticks when HubSpot webhooks are on:
    process the queued changes, no capture (given.webhooks)."""
    world.engine_call(world.engine.drain)


@step("sync.resync_record")
def _resync_record(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.resync_record, world.hubspot_id(args))


@step("sync.resync_list")
def _resync_list(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.resync_list, args["list"])


@step("sync.resync_errors")
def _resync_errors(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.resync_errors, args.get("category"))


@step("sync.import")
def _import(world: World, args: dict[str, Any]) -> None:
    """`refused: true`: the engine must refuse the import with a clear error (IMP-6: the object's
    sync is off), its message containing `message_contains`; nothing is written."""
    if not args.get("refused"):
        world.engine_call(world.engine.import_salesforce, args["sobject"])
        return
    try:
        world.engine_call(world.engine.import_salesforce, args["sobject"])
    except ValueError as exc:
        _refusal_says(args, exc)
        return
    raise StepError(f"expected the engine to refuse importing {args['sobject']}, but it ran the import")


@step("sync.clear_suspension")
def _clear_suspension(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.clear_suspension)


# --- time, faults, sandbox, marks ----------------------------------------------------------------


@step("clock.advance")
def _advance(world: World, args: Any) -> None:
    world.fakes.advance_clock(duration_seconds(args))


@step("faults.add")
def _fault(world: World, args: dict[str, Any]) -> None:
    rule = dict(args)
    if "headers" in rule:
        rule["headers"] = {k: str(v) for k, v in rule["headers"].items()}
    world.fakes.control("POST", "/faults", json=rule)
    world.fakes.faults_active = True


@step("faults.clear")
def _faults_clear(world: World, args: dict[str, Any]) -> None:
    world.fakes.control("DELETE", "/faults")
    world.fakes.faults_active = False


@step("sandbox.settings")
def _sandbox_settings(world: World, args: dict[str, Any]) -> None:
    world.fakes.control("PATCH", "/settings", json=args)


@step("mark")
def _mark(world: World, args: Any) -> None:
    world.marks[str(args)] = world.fakes.journal_last_seq()


# Steps that reach into an engine step (sync.during, engine.stop), and the company and the
# deal/opportunity vocabularies, live in their own modules; importing them here registers them
# wherever the vocabulary is used.
from scenarios import companies, deal_steps, interrupts  # noqa: E402, F401
