"""HubSpot deals <-> Salesforce opportunities: the only module that knows deals are special.

Special here: no dedupe key (DEAL-9: every new record creates one on the other side, matched to
nothing); one HubSpot pipeline per opportunity record type, whose stages carry the StageNames
(DEAL-4); a deal syncs only while it sits in a synced pipeline (DEAL-5); contact roles <-> deal
contacts (DEAL-6); the company association from the opportunity's account (DEAL-2); automatic
lifecycle stage transitions (ALC-1..3, TRG-13). The decisions are sync/deal_rules.py's, the reads
and writes sync/objects/deal_io.py's; the stages call the hooks below through the descriptor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync.clients.salesforce import parse_sf_datetime, soql_datetime
from sync.deal_rules import (
    contact_role_diff,
    deal_company,
    deal_prerequisites,
    lifecycle_target,
    lifecycle_updates,
    opportunity_account,
)
from sync.deal_settings import resolve_pipelines
from sync.objects import deal_io
from sync.objects.base import ObjectType
from sync.pipeline.queries import in_rows
from sync.schema import ObjectNames
from sync.settings import ObjectSettings, Settings, SettingsError
from sync.state.models import Link

if TYPE_CHECKING:
    from sync.pipeline.pair import Pair

SF_OBJECTS = ("Opportunity",)
LINK_PROPERTIES = {"Opportunity": "hs_salesforceopportunityid"}
ROLES_KEY = "__contact_roles"  # last_synced entry: the contact roles both sides agreed on (DEAL-6)
NO_COMPANY_KEY = "__synced_without_company"  # last_synced entry: DEAL-2's "company sync was off"
COMPANY_KEY = "__account"  # last_synced entry: the account whose company the deal was associated with
_DONE = ("skipped", "failed", "deleted_in_hubspot", "unlinked", "merged")


def _settings(settings: Settings) -> ObjectSettings:
    return settings.deals


def _no_key(_rec: dict[str, Any]) -> str | None:
    return None  # DEAL-9: opportunities and deals are not deduplicated


def book(engine: Any) -> deal_io.PipelineBook:
    """The pipelines of this operation, the missing ones created first (this is called only where
    the engine is about to sync deals)."""
    b = engine.object_state.get("deals:pipelines") or prepare(engine)
    if b.missing:
        made = deal_io.create_missing(engine.hubspot, b)
        _learn_stages(engine, made)
    return b  # type: ignore[no-any-return]


PERMISSIONS_SOQL = "SELECT PermissionsModifyAllData, PermissionsModifyMetadata FROM UserPermissionAccess"


def validate(engine: Any) -> deal_io.PipelineBook:
    """Once every section is known good: the prerequisites of deal sync (the integration user's
    permissions, one query; company sync and an account import), then the pipelines. A refusal
    raises SettingsError before anything is written; the rest are one-line report warnings.

    Implements: DEAL-1"""
    rows = list(engine.salesforce.query(PERMISSIONS_SOQL))
    with engine.store.session() as s:
        imported = engine.store.get_flag(s, "imported:Account") is not None
    refusal, warnings = deal_prerequisites(rows[0] if rows else {}, engine.settings.companies.enabled, imported)
    if refusal:
        raise SettingsError(refusal)
    for w in warnings:
        if w not in engine._report.warnings:
            engine._report.warnings.append(w)
    return book(engine)


def prepare(engine: Any) -> deal_io.PipelineBook:
    """Before the schema is read: the pipelines and record types, and `deals.pipelines` checked
    against them (a name that is neither stops the engine with nothing written).

    Implements: DEAL-4"""
    b = deal_io.load_pipelines(engine.hubspot, engine.salesforce)
    would_be = {str(body["label"]): str(body["label"]) for body in b.missing}
    b.synced = resolve_pipelines(engine.settings.deals, b.names, {**b.names, **would_be})
    engine.object_state["deals:pipelines"] = b
    return b


def _learn_stages(engine: Any, pipelines: list[dict[str, Any]]) -> None:
    """Pipelines created after the schema was read: their stages join the dealstage mapping's
    option tables, so stage ids translate to StageNames (and back) in this same operation."""
    for am in (engine._schema.active.get("Opportunity", []) if engine._schema else []):
        if am.mapping.hubspot != "dealstage" or am.hs_options is None:
            continue
        for p in pipelines:
            for st in p.get("stages") or []:
                sid, label = str(st["id"]), str(st.get("label") or "")
                am.hs_options.setdefault(sid.lower(), sid)
                am.hs_labels[sid.lower()] = label


def gate(engine: Any, p: Pair) -> str | None:
    """Why this pair does not sync (None: it does).

    Implements: DEAL-5"""
    b = book(engine)
    if p.hs is not None:
        pipe = str((p.hs.get("properties") or {}).get("pipeline") or "")
        if not b.syncs(pipe):
            return f"DEAL-5: the deal is in pipeline {pipe}, which does not sync with Salesforce"
    elif p.sf is not None and b.synced is not None and b.label_of(p.sf.get("RecordTypeId")) not in b.synced:
        return "DEAL-4: the opportunity's record type is not one of deals.pipelines"
    return None


def shape_hubspot(engine: Any, p: Pair, props: dict[str, str], creating: bool) -> None:
    """The deal's pipeline (by record type) and its stage in that pipeline (by StageName): the
    schema's option lookup cannot tell two pipelines' "Prospecting" apart."""
    if p.sf is None:
        return
    b = book(engine)
    if creating:
        pid = b.ids[b.label_of(p.sf.get("RecordTypeId"))]
        props["pipeline"] = pid
    else:
        pid = str(((p.hs or {}).get("properties") or {}).get("pipeline") or "")
    if creating or "dealstage" in props:
        stage = b.hs_stage(pid, p.sf.get("StageName"))
        if stage:
            props["dealstage"] = stage
        else:
            props.pop("dealstage", None)


def shape_salesforce(engine: Any, p: Pair, body: dict[str, Any], creating: bool) -> None:
    """A new opportunity gets the record type of the deal's pipeline. Its owner is the deal's
    valid owner (the Owner mapping); failing that the body names none and Salesforce makes the
    running user, the integration user, the owner (OWN-5/OWN-6).

    Implements: OWN-5, OWN-6"""
    if creating and p.hs is not None:
        rt = book(engine).record_type_of(str((p.hs.get("properties") or {}).get("pipeline") or ""))
        if rt:
            body["RecordTypeId"] = rt


def after_write(engine: Any, pairs: list[Pair]) -> None:
    """Contact roles <-> associations, the company association and lifecycle transitions of the
    chunk's synced pairs, batched across the chunk.

    Implements: DEAL-6, DEAL-2"""
    live = [p for p in pairs if p.link is not None and p.outcome not in _DONE and not p.failed]
    if not live:
        return
    hs, sf = engine.hubspot, engine.salesforce
    opp_ids = [p.link.sf_id for p in live]  # type: ignore[union-attr]
    read = engine.object_state.pop("deals:roles", {})  # read for this chunk's creates
    roles = {**read, **deal_io.contact_roles(sf, [o for o in opp_ids if o not in read])}
    # A deal this chunk created has only the associations it was created with: only the others are read.
    deal_contacts = deal_io.deal_associations(hs, [p.link.hs_id for p in live if p.outcome != "created_in_hubspot"])  # type: ignore[union-attr]
    for p in live:
        if p.outcome == "created_in_hubspot":
            deal_contacts[p.link.hs_id] = set(p.detail.get("inline_contacts") or ())  # type: ignore[union-attr]
    sf_contacts = {c for r in roles.values() for c in r}
    hs_contacts = {c for cs in deal_contacts.values() for c in cs}
    with engine.store.session() as s:
        links = [lk for lk in in_rows(s, Link, Link.sf_id, sorted(sf_contacts)) if lk.sf_object == "Contact"]
        links += [lk for lk in in_rows(s, Link, Link.hs_id, sorted(hs_contacts)) if lk.sf_object == "Contact" and lk.object_type == "contacts"]
    hs_of = {lk.sf_id: lk.hs_id for lk in links}
    sf_of = {lk.hs_id: lk.sf_id for lk in links}
    adds_hs, removes_hs, adds_sf, removes_sf = [], [], [], []
    results: dict[int, frozenset[str]] = {}
    for i, p in enumerate(live):
        opp, deal = p.link.sf_id, p.link.hs_id  # type: ignore[union-attr]
        on_sf = {c for c in roles.get(opp, {}) if c in hs_of}
        on_hs = {sf_of[c] for c in deal_contacts.get(deal, set()) if c in sf_of}
        last = (p.link.last_synced or {}).get(ROLES_KEY)  # type: ignore[union-attr]
        d = contact_role_diff(on_sf, on_hs, last)
        adds_hs += [(deal, hs_of[c]) for c in sorted(d.add_to_hubspot)]
        removes_hs += [(deal, hs_of[c]) for c in sorted(d.remove_from_hubspot)]
        adds_sf += [(opp, c) for c in sorted(d.add_to_salesforce)]
        removes_sf += [roles[opp][c] for c in sorted(d.remove_from_salesforce)]
        results[i] = d.result
    deal_io.associate(hs, adds_hs)
    deal_io.dissociate(hs, removes_hs)
    saved = deal_io.add_contact_roles(sf, adds_sf)
    deal_io.delete_records(sf, removes_sf)
    failed = {pair for pair, res in zip(adds_sf, saved, strict=False) if not res.get("success")}
    for i, p in enumerate(live):
        opp = p.link.sf_id  # type: ignore[union-attr]
        kept = {c for c in results[i] if (opp, c) not in failed}
        p.detail.setdefault("pending_synced", {})[ROLES_KEY] = sorted(kept)
        if adds_hs or removes_hs or adds_sf or removes_sf:
            p.detail["contact_roles"] = sorted(kept)
    _read_opportunities(engine, live)  # the account (DEAL-2) and stage facts (ALC) of every pair
    _company_associations(engine, _account_rules(engine, live))
    if engine.settings.deals.lifecycle_transitions:
        _lifecycle(engine, live, {i: {hs_of[c] for c in results[i] if c in hs_of} for i in results})


def create_associations(engine: Any, group: list[Pair]) -> dict[str, list[dict[str, Any]]]:
    """The associations a new deal is created with (no separate association calls): its
    opportunity's contact roles' contacts (DEAL-6) and, with company sync on, its account's company
    (DEAL-2). The roles read here serve the chunk's after_write too.

    Implements: DEAL-6, DEAL-2"""
    opps = [str(p.sf["Id"]) for p in group if p.sf]
    roles = deal_io.contact_roles(engine.salesforce, opps)
    engine.object_state["deals:roles"] = roles
    accounts = {str(p.sf["Id"]): p.sf.get("AccountId") for p in group if p.sf and p.sf.get("AccountId")}
    with engine.store.session() as s:
        contacts = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, sorted({c for r in roles.values() for c in r})) if lk.sf_object == "Contact"}
        on = engine.settings.companies.enabled
        companies = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, sorted(set(accounts.values())))} if on else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for p in group:
        opp = str(p.sf["Id"])  # type: ignore[index]
        hs_contacts = sorted(contacts[c] for c in roles.get(opp, {}) if c in contacts)
        links = [deal_io.assoc_input(c, deal_io.DEAL_TO_CONTACT) for c in hs_contacts]
        company = companies.get(accounts.get(opp) or "")
        if company:
            links.append(deal_io.assoc_input(company, deal_io.DEAL_TO_COMPANY))
            p.detail["inline_account"] = accounts[opp]
        p.detail["inline_contacts"] = hs_contacts
        if links:
            out[opp] = links
    return out


def _read_opportunities(engine: Any, live: list[Pair]) -> None:
    """Pairs processed from their HubSpot side only (an echo, a contact-role change) lack the
    opportunity's stage facts and account: one IN query for all of them."""
    need = [p.link.sf_id for p in live if p.sf is None]  # type: ignore[union-attr]
    if not need:
        return
    soql = "SELECT Id, IsClosed, IsWon, AccountId FROM Opportunity WHERE Id IN ({inlist})"
    got = {str(r["Id"]): r for r in engine.salesforce.query_in(soql, need)}
    for p in live:
        if p.sf is None:
            p.sf = got.get(p.link.sf_id)  # type: ignore[union-attr]


def _account_rules(engine: Any, live: list[Pair]) -> list[Pair]:
    """DEAL-2's second half: a pair that synced while company sync was off is marked; once company
    sync is on, the deal (which has no company) takes the account off its opportunity, once. The
    pairs left are those whose company association follows the account.

    Implements: DEAL-2"""
    on = engine.settings.companies.enabled
    rest, clear = [], []
    for p in live:
        last = p.link.last_synced or {}  # type: ignore[union-attr]
        without = bool(last.get(NO_COMPANY_KEY)) or (not on and NO_COMPANY_KEY not in last)
        write, account = opportunity_account(on, None, without)
        if on and write and p.sf and p.sf.get("AccountId"):
            clear.append({"id": p.link.sf_id, "AccountId": account})  # type: ignore[union-attr]
            p.detail["account_removed"] = "DEAL-2: company sync turned on after this deal synced without a company"
        if not on or without:
            p.detail.setdefault("pending_synced", {})[NO_COMPANY_KEY] = not on
        if on and not without:
            rest.append(p)
    if clear:
        engine.salesforce.update_records("Opportunity", clear)
    return rest


def _company_associations(engine: Any, live: list[Pair]) -> None:
    """DEAL-2: with company sync on, a deal is associated with its opportunity's account's company.
    The account last associated is remembered with the pair, so only a new or changed account costs
    a read (and a deal this chunk created, having no associations, none)."""
    on = engine.settings.companies.enabled
    by_deal = {p.link.hs_id: p for p in live}  # type: ignore[union-attr]
    wanted = {
        deal: acc
        for deal, p in by_deal.items()
        if p.sf
        and (acc := deal_company(on, p.sf.get("AccountId")))
        and (p.link.last_synced or {}).get(COMPANY_KEY) != acc  # type: ignore[union-attr]
        and p.detail.get("inline_account") != acc  # associated at create (remembered below)
    }
    for p in live:
        if p.detail.get("inline_account"):
            p.detail.setdefault("pending_synced", {})[COMPANY_KEY] = p.detail["inline_account"]
    if not wanted:
        return
    with engine.store.session() as s:
        companies = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, sorted(set(wanted.values())))}
    pairs = [(deal, companies[acc]) for deal, acc in wanted.items() if acc in companies]
    older = sorted({d for d, _ in pairs if by_deal[d].outcome != "created_in_hubspot"})
    have = deal_io.deal_associations(engine.hubspot, older, "companies") if older else {}
    deal_io.associate(engine.hubspot, [(d, c) for d, c in pairs if c not in have.get(d, set())], "companies")
    for deal, _company in pairs:
        by_deal[deal].detail.setdefault("pending_synced", {})[COMPANY_KEY] = wanted[deal]


def _lifecycle(engine: Any, live: list[Pair], contacts: dict[int, set[str]]) -> None:
    """ALC-1/2 and TRG-13: the contact roles' contacts move to Opportunity / Customer (never back),
    and each contact moved is queued for a sync; with HubSpot's company lifecycle sync on (ALC-3)
    the move spreads to the other contacts of the same companies.

    Implements: ALC-1, ALC-2, ALC-3, TRG-13"""
    targets = {i: lifecycle_target(bool(p.sf.get("IsClosed")), bool(p.sf.get("IsWon"))) for i, p in enumerate(live) if p.sf}
    ids = sorted({c for i in targets for c in contacts.get(i, set())})
    if not ids:
        return
    spread = _company_contacts(engine, ids) if engine.settings.deals.lifecycle_to_company_contacts else {}
    every = sorted(set(ids) | {c for cs in spread.values() for c in cs})
    current = deal_io.lifecycle_stages(engine.hubspot, every)
    updates: dict[str, str] = {}
    for i, target in targets.items():
        role = {c: updates.get(c, current.get(c)) for c in contacts.get(i, set()) if c in current}
        mates = {m for c in role for m in spread.get(c, set())}
        company = {m: updates.get(m, current.get(m)) for m in mates if m in current}
        updates.update(lifecycle_updates(role, target, company))
    if not updates:
        return
    deal_io.set_lifecycle_stages(engine.hubspot, updates)
    with engine.store.session() as s:
        engine.store.enqueue(s, "hubspot", "contacts", {c: ("TRG-13 lifecycle transition", None) for c in updates}, engine._ts())


def _company_contacts(engine: Any, contact_ids: list[str]) -> dict[str, set[str]]:
    """ALC-3: contact id -> the contacts of the same HubSpot companies (two v4 batch reads).

    Implements: ALC-3"""
    companies = deal_io.deal_associations(engine.hubspot, contact_ids, "companies", from_type="contacts")
    all_companies = sorted({co for cos in companies.values() for co in cos})
    members = deal_io.deal_associations(engine.hubspot, all_companies, "contacts", from_type="companies") if all_companies else {}
    return {c: {m for co in cos for m in members.get(co, set())} - {c} for c, cos in companies.items()}


def capture_contact_roles(engine: Any) -> None:
    """Contact role changes do not touch the opportunity's SystemModstamp: poll
    OpportunityContactRole (queryAll, so deletions come too) and queue each one's opportunity.

    Implements: DEAL-6"""
    name = "salesforce:OpportunityContactRole:SystemModstamp"
    with engine.store.session() as s:
        stamp = engine.store.get_cursor(s, name)
    if stamp is None:  # first run: existing contact roles are bookmarked, not synced (TRG-15)
        rows = list(engine.salesforce.query("SELECT SystemModstamp FROM OpportunityContactRole ORDER BY SystemModstamp DESC LIMIT 1", True))
        with engine.store.session() as s:
            engine.store.set_cursor(s, name, rows[0]["SystemModstamp"] if rows else "1970-01-01T00:00:00.000+0000")
        return
    since = parse_sf_datetime(stamp)
    soql = (
        "SELECT OpportunityId, SystemModstamp FROM OpportunityContactRole "
        f"WHERE SystemModstamp > {soql_datetime(since) if since else '1970-01-01T00:00:00.000Z'} ORDER BY SystemModstamp"
    )
    opps: dict[str, tuple[str, None]] = {}
    for r in engine.salesforce.query(soql, True):
        opps[str(r["OpportunityId"])] = ("DEAL-6 contact role changed", None)
        stamp = max(stamp, str(r["SystemModstamp"]))
    with engine.store.session() as s:
        if opps:
            engine.store.enqueue(s, "salesforce", "Opportunity", opps, engine._ts(), fresh_read=True)
        engine.store.set_cursor(s, name, stamp)


DEALS = ObjectType(
    name="deals",
    hs_object="deals",
    sf_objects=SF_OBJECTS,
    default_sf_object="Opportunity",
    hs_key=_no_key,
    sf_key=_no_key,
    hs_key_property="",
    sf_key_field="",
    settings_of=_settings,
    link_properties=LINK_PROPERTIES,
    sf_id_prefixes={"006": "Opportunity"},
    webhook_event="deal",
    schema_names=ObjectNames(
        section="deals",
        hs_label="deal",
        hs_key_property="",
        sf_key_field="",
        link_properties=LINK_PROPERTIES,
        sf_optional_fields=("RecordTypeId", "IsClosed", "IsWon", "AccountId"),
        hs_modified_property="hs_lastmodifieddate",
        hs_extra_properties=("pipeline",),
    ),
    before_schema=prepare,
    after_validate=validate,  # DEAL-1's checks; then the "Salesforce - ..." pipelines exist
    gate_hook=gate,
    shape_hubspot=shape_hubspot,
    shape_salesforce=shape_salesforce,
    after_write=after_write,
    cycle_step=capture_contact_roles,
    create_associations=create_associations,
)
