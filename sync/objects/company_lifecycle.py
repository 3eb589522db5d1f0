"""CMP-8: a HubSpot contact's lifecycle stage flows to its companies (setting
`companies.lifecycle_from_contacts`, on by default). Run once per cycle of the companies pair, after
capture: the contacts whose lifecycle stage changed since the last look, their synced companies, and
a batch update where a contact is further along than its company. Forward only (README reading)."""

from __future__ import annotations

from typing import Any

from sync.clients.hubspot import SEARCH_PAGE
from sync.clients.salesforce import parse_sf_datetime
from sync.pipeline.queries import links_by_hs_id

# HubSpot's default lifecycle stages in order ("other" stays outside the order).
STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist")
CURSOR_FLAG = "lifecycle_cursor"


def rolled_up_stage(company_stage: str | None, contact_stages: list[str]) -> str | None:
    """The stage the company moves to, or None: the furthest contact stage when it is ahead of the
    company's (a stage outside the default order never moves anything).

    Implements: CMP-8"""
    known = [s for s in contact_stages if s in STAGES]
    if not known:
        return None
    top = max(known, key=STAGES.index)
    if company_stage in STAGES and STAGES.index(company_stage) >= STAGES.index(top):
        return None
    if company_stage and company_stage not in STAGES:
        return None
    return top


def _changed_contacts(engine: Any, since_ms: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = "0"
    while True:
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(since_ms)},
                        {"propertyName": "lifecyclestage", "operator": "HAS_PROPERTY"},
                    ]
                }
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["lifecyclestage", "lastmodifieddate"],
            "limit": SEARCH_PAGE,
            "after": after,
        }
        page = engine.hubspot.search("contacts", body)
        found.extend(page.get("results", []))
        nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not nxt or len(found) >= 9000:  # the rest waits for the next cycle (search cap)
            return found
        after = str(nxt)


def roll_up_lifecycle(engine: Any) -> None:
    """Implements: CMP-8"""
    if not engine.object_settings.lifecycle_from_contacts:
        return
    flag = engine.object_type.flag(CURSOR_FLAG)
    now_ms = int(engine._ts() * 1000)
    with engine.store.session() as s:
        mark = engine.store.get_flag(s, flag)
    if mark is None:  # first cycle: changes from now on (TRG-15's bookmark)
        with engine.store.session() as s:
            engine.store.set_flag(s, flag, {"ms": now_ms})
        return
    contacts = _changed_contacts(engine, int(mark["ms"]))
    newest = max([int(mark["ms"]), *(_ms(c) for c in contacts)])
    stages = {str(c["id"]): (c.get("properties") or {}).get("lifecyclestage") or "" for c in contacts}
    assoc = engine.hubspot.associated_ids("contacts", "companies", sorted(stages)) if stages else {}
    by_company: dict[str, list[str]] = {}
    for contact, companies in assoc.items():
        for co in companies:
            by_company.setdefault(co, []).append(stages.get(contact, ""))
    with engine.store.session() as s:
        synced = {lk.hs_id for lk in links_by_hs_id(s, engine.object_type.hs_object, sorted(by_company))}
    targets = sorted(co for co in by_company if co in synced)
    updates = []
    if targets:
        for rec in engine.hubspot.batch_read("companies", targets, ["lifecyclestage"]):
            stage = rolled_up_stage((rec.get("properties") or {}).get("lifecyclestage"), by_company[str(rec["id"])])
            if stage:
                updates.append({"id": str(rec["id"]), "properties": {"lifecyclestage": stage}})
    for start in range(0, len(updates), 100):
        engine.hubspot.batch_update("companies", updates[start : start + 100])
    with engine.store.session() as s:
        engine.store.set_flag(s, flag, {"ms": newest + 1 if contacts else newest})


def _ms(contact: dict[str, Any]) -> int:
    text = (contact.get("properties") or {}).get("lastmodifieddate")
    if text and str(text).isdigit():
        return int(text)
    dt = parse_sf_datetime(text) if text else None
    return int(dt.timestamp() * 1000) if dt else 0
