"""HubSpot companies <-> Salesforce accounts: the descriptor and its special steps.

What differs from contacts (sync/objects/contacts.py):
  * no natural key on both sides: a company is matched by its `salesforceaccountid` (the Salesforce
    Account ID property) and, the first time, by its associated contacts; never by domain (CMP-6);
  * a HubSpot company creates an account only under CMP-4's conditions (or a manual sync, CMP-5);
  * after a chunk, contact<->company associations follow Contact.AccountId both ways.
The decisions are pure functions (`account_allowed`, `best_match`); the hooks only gather facts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sync.clients.salesforce import parse_sf_datetime, soql_datetime
from sync.objects.base import ObjectType
from sync.objects.company_lifecycle import roll_up_lifecycle
from sync.objects.contacts import CONTACTS
from sync.pipeline.queries import in_rows, in_scalar, links_by_hs_id
from sync.schema import ObjectNames
from sync.settings import CreateAs, ObjectSettings, Settings
from sync.state.models import Intent, Link, Membership

if TYPE_CHECKING:
    from sync.pipeline.pair import Pair
    from sync.schema import Schema

LINK_PROPERTIES = {"Account": "salesforceaccountid"}
ACCOUNT_ID = "salesforceaccountid"
# Record source HubSpot's "automatically create and associate companies" gives a company (the
# fake's reading, simulator/hubspot/autocompany.py): CMP-4 (a).
AUTO_CREATED_SOURCE = "COMPANY_INSIGHTS"
SEARCH_IN_LIMIT = 100  # values of one IN filter
PRIMARY = 1  # HubSpot-defined association type: contact -> company, Primary


def hs_account_id(rec: dict[str, Any]) -> str | None:
    value = (rec.get("properties") or {}).get(ACCOUNT_ID)
    return str(value).strip() or None if value else None


def sf_record_id(rec: dict[str, Any]) -> str | None:
    return rec.get("Id") or None


def _settings(settings: Settings) -> ObjectSettings:
    return settings.companies


@dataclass(frozen=True)
class ContactFacts:
    """What CMP-4 needs to know of one contact associated with the company."""

    sobject: str | None  # "Lead" / "Contact" it syncs with, None when not synced
    has_account: bool  # its Salesforce contact has an AccountId
    in_list: bool  # it is a member of the contacts' inclusion list


def account_allowed(
    contacts: list[ContactFacts], auto_created: bool, creates_contacts: bool, list_set: bool
) -> tuple[bool, str]:
    """CMP-4: may a HubSpot company create a Salesforce account? The "no account" conditions win
    over the "account" ones (README reading: they are the documented exceptions).

    Implements: CMP-4"""
    if not contacts:
        return False, "CMP-4: the company has no associated contacts"
    if list_set and not any(c.in_list for c in contacts):
        return False, "CMP-4: none of its associated contacts is in the inclusion list"
    synced = [c for c in contacts if c.sobject]
    if synced and all(c.sobject == "Lead" for c in synced) and len(synced) == len(contacts):
        return False, "CMP-4: all its associated contacts sync to Salesforce leads"
    if auto_created and creates_contacts:
        return True, "CMP-4 (a): auto-created company, and HubSpot creates Salesforce contacts"
    if any(c.sobject == "Contact" and not c.has_account for c in contacts):
        return True, "CMP-4 (b): an associated contact syncs to a private Salesforce contact"
    if list_set and any(c.in_list for c in contacts):
        return True, "CMP-4 (c): an associated contact is in the inclusion list"
    return False, "CMP-4: no associated contact syncs to a private contact or is in the inclusion list"


def best_match(candidates: list[str], taken: set[str]) -> str | None:
    """CMP-6 first-time matching by associated contacts: the record most of the contacts point at
    (ties: the oldest, i.e. the smallest id), skipping records that already sync with another."""
    counts = Counter(c for c in candidates if c not in taken)
    if not counts:
        return None
    top = max(counts.values())
    return min((c for c, n in counts.items() if n == top), key=lambda c: (len(c), c))


def _contact_links(s: Any, hs_contact_ids: list[str]) -> dict[str, Link]:
    return {lk.hs_id: lk for lk in links_by_hs_id(s, CONTACTS.hs_object, hs_contact_ids)}


def _account_ids_of_contacts(engine: Any, sf_contact_ids: list[str]) -> dict[str, str | None]:
    """Salesforce contact id -> its AccountId."""
    if not sf_contact_ids:
        return {}
    rows = engine.salesforce.query_in("SELECT Id, AccountId FROM Contact WHERE Id IN ({inlist})", sorted(set(sf_contact_ids)))
    return {r["Id"]: r.get("AccountId") for r in rows}


def find_in_salesforce(engine: Any, pairs: list[Pair], schema: Schema) -> dict[str, tuple[str, dict[str, Any]]]:
    """HubSpot companies -> existing accounts: by the company's Salesforce Account ID, then, for
    first-time matching, by the accounts of its associated contacts. Never by domain. Also notes the
    associated contacts' facts on each pair for CMP-4.

    Implements: CMP-6"""
    ids = [p.hs_id for p in pairs if p.hs_id]
    assoc = engine.hubspot.associated_ids("companies", "contacts", ids) if ids else {}
    with engine.store.session() as s:
        clinks = _contact_links(s, sorted({c for cs in assoc.values() for c in cs}))
    accounts_of = _account_ids_of_contacts(engine, [lk.sf_id for lk in clinks.values() if lk.sf_object == "Contact"])
    by_id = {p.hs_id: hs_account_id(p.hs) for p in pairs if p.hs is not None}
    candidates = {a for a in by_id.values() if a} | {a for a in accounts_of.values() if a}
    with engine.store.session() as s:  # accounts already syncing with another company
        taken = {lk.sf_id for lk in in_rows(s, Link, Link.sf_id, sorted(candidates))}
    wanted: dict[str, str] = {}
    for p in pairs:
        contacts = assoc.get(p.hs_id or "", [])
        p.detail["contacts"] = contacts[:20]
        own = by_id.get(p.hs_id)
        if own and own not in taken:
            wanted[p.hs_id or ""] = own
            continue
        accounts = [accounts_of.get(clinks[c].sf_id) for c in contacts if c in clinks]
        choice = best_match([a for a in accounts if a], taken | set(wanted.values()))
        if choice:
            wanted[p.hs_id or ""] = choice
            p.detail["matched"] = f"CMP-6: account {choice} of its associated contacts linked"
    _recover_interrupted_creates(engine, pairs, wanted, taken)
    members = _contact_members(engine, sorted({c for cs in assoc.values() for c in cs}))
    for p in pairs:
        p.detail["contact_facts"] = [asdict(f) for f in _facts(assoc.get(p.hs_id or "", []), clinks, accounts_of, members)]
    if not wanted:
        return {}
    fields = ", ".join(schema.sf_read_fields("Account"))
    recs = {
        r["Id"]: {k: v for k, v in r.items() if k != "attributes"}
        for r in engine.salesforce.query_in(f"SELECT {fields} FROM Account WHERE Id IN ({{inlist}})", sorted(set(wanted.values())))
    }
    out = {}
    for hs_id, acc in wanted.items():
        if acc in recs:
            out[hs_id] = ("Account", recs[acc])
    for p in pairs:
        if p.hs_id in out and "matched" not in p.detail:
            p.detail["matched"] = "CMP-6: the account named by its Salesforce Account ID linked"
    return out


def _recover_interrupted_creates(engine: Any, pairs: list[Pair], wanted: dict[str, str], taken: set[str]) -> None:
    """An account create whose answer was lost (crash, timeout) left its intent row: an account of
    the company's name created since then, syncing with nothing, is that account (no key to search
    by, unlike a contact's email). Without this a retry would create a second account.

    Implements: ERR-7"""
    ids = [p.hs_id for p in pairs if p.hs_id and p.hs_id not in wanted]
    if not ids:
        return
    with engine.store.session() as s:
        intents = {i.source_id: i.at for i in in_rows(s, Intent, Intent.source_id, ids, Intent.system == "salesforce", Intent.object_type == engine.object_type.hs_object)}
    names = {p.hs_id: (p.hs or {}).get("properties", {}).get("name") for p in pairs if p.hs_id in intents}
    names = {k: v for k, v in names.items() if v}
    if not names:
        return
    since = soql_datetime(datetime.fromtimestamp(min(intents.values()) - 60, tz=UTC))
    rows = list(
        engine.salesforce.query_in(
            f"SELECT Id, Name FROM Account WHERE CreatedDate >= {since} AND Name IN ({{inlist}}) ORDER BY CreatedDate, Id",
            sorted(set(names.values())),
        )
    )
    with engine.store.session() as s:
        linked = {lk.sf_id for lk in in_rows(s, Link, Link.sf_id, [r["Id"] for r in rows])}
    for hs_id, name in names.items():
        acc = next((r["Id"] for r in rows if r.get("Name") == name and r["Id"] not in linked | taken | set(wanted.values())), None)
        if acc:
            wanted[hs_id] = acc


def _accounts_of_interrupted_creates(engine: Any, accounts: list[dict[str, Any]], props: list[str]) -> dict[str, dict[str, Any]]:
    """The other half of `_recover_interrupted_creates`: an account whose create answer was lost
    arrives as a new Salesforce account before its company retries. A company with a leftover
    account-create intent (no email: contacts' intents carry theirs), syncing with nothing, of the
    account's name, whose intent is older than the account, is its company; otherwise the account
    would create a second company (and the company a second account).

    Implements: ERR-7"""
    if not accounts:
        return {}
    with engine.store.session() as s:
        rows = s.scalars(select(Intent).where(Intent.system == "salesforce", Intent.object_type == engine.object_type.hs_object)).all()
        intents = {i.source_id: i.at for i in rows}
        linked = {lk.hs_id for lk in links_by_hs_id(s, engine.object_type.hs_object, sorted(intents))}
    waiting = sorted(set(intents) - linked)
    if not waiting:
        return {}
    companies = [c for c in engine.hubspot.batch_read("companies", waiting, props) if not hs_account_id(c)]
    out: dict[str, dict[str, Any]] = {}
    for acc in sorted(accounts, key=lambda a: (str(a.get("CreatedDate") or ""), a["Id"])):
        created = parse_sf_datetime(acc.get("CreatedDate"))
        for c in companies:
            cid = str(c["id"])
            same_name = (c.get("properties") or {}).get("name") == acc.get("Name")
            in_time = created is None or created.timestamp() >= intents[cid] - 60
            if same_name and in_time and cid not in {str(o["id"]) for o in out.values()}:
                out[acc["Id"]] = c
                break
    return out


def _contact_members(engine: Any, hs_ids: list[str]) -> set[str]:
    """Which of these HubSpot contacts are in the contacts' inclusion list (as last diffed)."""
    if not engine.settings.contacts.inclusion_list or not hs_ids:
        return set()
    with engine.store.session() as s:
        mark = engine.store.get_flag(s, CONTACTS.flag("inclusion_list"))
        if not mark:
            return set()
        return set(in_scalar(s, Membership.hs_id, Membership.hs_id, hs_ids, Membership.list_id == str(mark["id"])))


def _facts(
    contacts: list[str], clinks: dict[str, Link], accounts_of: dict[str, str | None], members: set[str]
) -> list[ContactFacts]:
    return [
        ContactFacts(
            sobject=clinks[c].sf_object if c in clinks else None,
            has_account=bool(accounts_of.get(clinks[c].sf_id)) if c in clinks else False,
            in_list=c in members,
        )
        for c in contacts
    ]


def creation_gate(engine: Any, pairs: list[Pair]) -> list[Pair]:
    """The HubSpot companies of `pairs` that may create an account (CMP-4); a manual sync of the
    company always may (CMP-5). The others are skipped with the reason.

    Implements: CMP-4, CMP-5"""
    creates_contacts = engine.settings.contacts.hubspot_creates == CreateAs.CONTACT
    list_set = bool(engine.settings.contacts.inclusion_list)
    allowed = []
    for p in pairs:
        if "manual" in p.trigger and "bulk" not in p.trigger:
            p.detail["create_reason"] = "CMP-5: manual sync of the company creates the account"
            allowed.append(p)
            continue
        auto = (p.hs or {}).get("properties", {}).get("hs_object_source") == AUTO_CREATED_SOURCE
        facts = [ContactFacts(**f) for f in p.detail.pop("contact_facts", [])]
        ok, why = account_allowed(facts, auto, creates_contacts, list_set)
        if ok:
            p.detail["create_reason"] = why
            allowed.append(p)
        else:
            p.outcome = "skipped"
            p.detail["reason"] = why + "; a manual sync of the company creates it (CMP-5)"
    return allowed


def find_in_hubspot(engine: Any, pairs: list[Pair], schema: Schema) -> dict[str, dict[str, Any]]:
    """Salesforce accounts -> existing HubSpot companies, keyed by account id: by the Salesforce
    Account ID property, then (first-time matching) the company its synced contacts are associated
    with. Never by domain.

    Implements: CMP-6, CMP-2"""
    ids = sorted({p.sf["Id"] for p in pairs if p.sf})
    props = schema.hs_read_properties()
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), SEARCH_IN_LIMIT):
        part = ids[start : start + SEARCH_IN_LIMIT]
        lower = {i.lower(): i for i in part}  # HubSpot's IN on strings takes lower-case values
        body = {
            "filterGroups": [{"filters": [{"propertyName": ACCOUNT_ID, "operator": "IN", "values": sorted(lower)}]}],
            "properties": props,
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "limit": SEARCH_IN_LIMIT,
        }
        for rec in engine.hubspot.search("companies", body).get("results", []):
            acc = lower.get((hs_account_id(rec) or "").lower())
            if acc and acc not in out:
                out[acc] = rec
    rest = [i for i in ids if i not in out]
    out.update(_accounts_of_interrupted_creates(engine, [p.sf for p in pairs if p.sf and p.sf["Id"] in rest], props))
    rest = [i for i in rest if i not in out]
    if not rest:
        return out
    contacts = list(engine.salesforce.query_in("SELECT Id, AccountId FROM Contact WHERE AccountId IN ({inlist})", rest))
    with engine.store.session() as s:
        links = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, [c["Id"] for c in contacts])}
    hs_contacts = sorted({links[c["Id"]] for c in contacts if c["Id"] in links})
    assoc = engine.hubspot.associated_ids("contacts", "companies", hs_contacts) if hs_contacts else {}
    with engine.store.session() as s:  # companies already syncing with another account
        taken = {
            lk.hs_id
            for lk in links_by_hs_id(s, engine.object_type.hs_object, sorted({c for cs in assoc.values() for c in cs}))
        }
    picks: dict[str, str] = {}
    for acc in rest:
        cands = [co for c in contacts if c.get("AccountId") == acc and c["Id"] in links for co in assoc.get(links[c["Id"]], [])]
        choice = best_match(cands, taken | set(picks.values()))
        if choice:
            picks[acc] = choice
    if picks:
        got = {str(r["id"]): r for r in engine.hubspot.batch_read("companies", sorted(set(picks.values())), props)}
        for acc, cid in picks.items():
            if cid in got and not hs_account_id(got[cid]):
                out[acc] = got[cid]
    return out


def associate_contacts(engine: Any, pairs: list[Pair]) -> None:
    """After a chunk: a linked company's contacts follow Contact.AccountId both ways. A synced
    Salesforce contact of the account is associated with the company in HubSpot; a synced contact
    associated with the company whose Salesforce contact has no account gets this account.

    Implements: CMP-2, CMP-3"""
    linked = {p.link.hs_id: p.link.sf_id for p in pairs if p.link is not None and not p.failed and p.outcome not in ("deleted_in_hubspot", "unlinked")}
    if not linked:
        return
    account_to_company = {a: c for c, a in linked.items()}
    assoc = engine.hubspot.associated_ids("companies", "contacts", sorted(linked))
    sf_contacts = list(engine.salesforce.query_in("SELECT Id, AccountId FROM Contact WHERE AccountId IN ({inlist})", sorted(account_to_company)))
    with engine.store.session() as s:
        by_sf = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, [c["Id"] for c in sf_contacts])}
        clinks = _contact_links(s, sorted({c for cs in assoc.values() for c in cs}))
    to_associate = []
    for c in sf_contacts:
        company = account_to_company.get(c.get("AccountId") or "")
        hs_contact = by_sf.get(c["Id"])
        if company and hs_contact and hs_contact not in assoc.get(company, []):
            to_associate.append((hs_contact, company))
    if to_associate:
        engine.hubspot.associate_default("contacts", "companies", to_associate)
    candidates = {clinks[h].sf_id: linked[co] for co, hs in assoc.items() for h in hs if h in clinks and clinks[h].sf_object == "Contact"}
    current = _account_ids_of_contacts(engine, list(candidates))
    updates = [{"id": cid, "AccountId": acc} for cid, acc in candidates.items() if cid in current and not current[cid]]
    if updates:
        engine.salesforce.update_records("Contact", updates)


def associate_changed_contacts(engine: Any) -> None:
    """Once per cycle: Salesforce contacts changed since the last look whose account syncs with a
    company. Contacts sync first in a cycle, so their HubSpot contacts exist by now; each synced one
    is associated with its account's company (a contact that moved to a synced account, or was
    created on one, without the company itself changing); a move drops the old synced company.

    Implements: CMP-2"""
    flag = engine.object_type.flag("contact_account_cursor")
    now = soql_datetime(engine.now())
    with engine.store.session() as s:
        mark = engine.store.get_flag(s, flag)
    if mark is not None:
        rows = list(
            engine.salesforce.query(f"SELECT Id, AccountId FROM Contact WHERE SystemModstamp >= {mark['at']} AND AccountId != null")
        )
        with engine.store.session() as s:
            by_sf = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, [r["Id"] for r in rows])}
            company_of = {lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, [r["AccountId"] for r in rows])}
        wanted = [(by_sf[r["Id"]], company_of[r["AccountId"]]) for r in rows if r["Id"] in by_sf and r["AccountId"] in company_of]
        if wanted:
            _follow_accounts(engine, wanted)
    with engine.store.session() as s:
        engine.store.set_flag(s, flag, {"at": now})


def moved_associations(
    wanted: list[tuple[str, str]], current: dict[str, list[str]], synced: set[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """For (HubSpot contact, company of its Salesforce account) pairs and the contacts' current
    company associations: the associations to add, and the stale ones to remove. Stale means a
    company that syncs with another account; unsynced companies are HubSpot's business and stay
    (a contact may have several companies in HubSpot, but one account in Salesforce).

    Implements: CMP-2"""
    company_of = dict(wanted)
    add = sorted({(h, c) for h, c in wanted if c not in current.get(h, [])})
    stale = sorted({(h, o) for h, c in company_of.items() for o in current.get(h, []) if o != c and o in synced})
    return add, stale


def _follow_accounts(engine: Any, wanted: list[tuple[str, str]]) -> None:
    """Associate each contact with its account's company; a contact that moved off another synced
    account loses that company and its new company becomes its Primary (the account is the one
    company a Salesforce contact has)."""
    current = engine.hubspot.associated_ids("contacts", "companies", sorted({h for h, _ in wanted}))
    with engine.store.session() as s:
        others = sorted({o for os_ in current.values() for o in os_})
        synced = {lk.hs_id for lk in links_by_hs_id(s, engine.object_type.hs_object, others)}
    add, stale = moved_associations(wanted, current, synced)
    if add:
        engine.hubspot.associate_default("contacts", "companies", add)
    if stale:
        engine.hubspot.disassociate("contacts", "companies", stale)
        moved = {h for h, _ in stale}
        engine.hubspot.associate_labeled("contacts", "companies", [(h, c) for h, c in dict(wanted).items() if h in moved], PRIMARY)


def company_cycle(engine: Any) -> None:
    """The companies' once-per-cycle steps (after capture, before the drain)."""
    associate_changed_contacts(engine)
    roll_up_lifecycle(engine)


COMPANIES = ObjectType(
    name="companies",
    hs_object="companies",
    sf_objects=("Account",),
    default_sf_object="Account",
    hs_key=hs_account_id,
    sf_key=sf_record_id,
    hs_key_property=ACCOUNT_ID,
    sf_key_field="Id",
    settings_of=_settings,
    link_properties=LINK_PROPERTIES,
    sf_id_prefixes={"001": "Account"},
    webhook_event="company",
    schema_names=ObjectNames(
        section="companies",
        hs_label="company",
        hs_key_property="name",
        sf_key_field="Name",
        link_properties=LINK_PROPERTIES,
        hs_modified_property="hs_lastmodifieddate",
    ),
    key_is_sf_id=True,
    hs_type_id="0-2",
    sf_find=find_in_salesforce,
    hs_find=find_in_hubspot,
    create_gate=creation_gate,
    after_chunk=associate_contacts,
    cycle_step=company_cycle,
)
