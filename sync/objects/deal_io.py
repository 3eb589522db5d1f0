"""Reads and writes that only deal sync needs, batched: the "Salesforce - ..." pipelines and their
stages (DEAL-4), contact roles and deal-contact associations (DEAL-6), contacts' lifecycle stages
(ALC-1..3). Plain functions over the two clients; the decisions are sync/deal_rules.py's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync.clients.hubspot import HubSpotClient
from sync.clients.salesforce import SalesforceClient
from sync.deal_rules import (
    StageFacts,
    hs_stage_id,
    pipeline_label,
    record_type_of_pipeline,
    sf_stage_name,
    stage_spec,
)

ASSOC_BATCH = 100  # HubSpot's v4 batch association endpoints take up to 100 inputs
DEAL_TO_CONTACT = 3  # HubSpot-defined association type id: deal -> contact
DEAL_TO_COMPANY = 341  # deal -> company, unlabelled (what batch/associate/default makes)


@dataclass
class PipelineBook:
    """The synced pipelines: which HubSpot pipeline stands for which record type, and the stages."""

    record_types: dict[str, str] = field(default_factory=dict)  # record type id -> pipeline label
    names: dict[str, str] = field(default_factory=dict)  # id / developer name / label -> label
    ids: dict[str, str] = field(default_factory=dict)  # pipeline label -> HubSpot pipeline id
    stages: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline id -> label -> stage id
    synced: frozenset[str] | None = None  # labels that sync (None: all of ours)
    missing: list[dict[str, Any]] = field(default_factory=list)  # pipelines to create (their bodies)

    def label_of(self, record_type_id: str | None) -> str:
        return pipeline_label(record_type_id, self.record_types)

    def syncs(self, pipeline_id: str | None) -> bool:
        """DEAL-5: a deal syncs only while it sits in one of the synced "Salesforce - ..." pipelines."""
        label = next((lab for lab, pid in self.ids.items() if pid == str(pipeline_id)), None)
        return label is not None and (self.synced is None or label in self.synced)

    def record_type_of(self, pipeline_id: str | None) -> str | None:
        """The record type a new opportunity from a deal in this pipeline gets (None: the default)."""
        label = next((lab for lab, pid in self.ids.items() if pid == str(pipeline_id)), None)
        return record_type_of_pipeline(label, self.record_types) if label else None

    def hs_stage(self, pipeline_id: str, stage_name: str | None) -> str | None:
        return hs_stage_id(stage_name, self.stages.get(pipeline_id, {}))

    def sf_stage(self, pipeline_id: str | None, stage_id: str | None) -> str | None:
        return sf_stage_name(stage_id, self.stages.get(str(pipeline_id), {}))


def load_pipelines(hs: HubSpotClient, sf: SalesforceClient) -> PipelineBook:
    """Read the Opportunity record types and stages and the HubSpot deal pipelines; the pipelines
    the integration owns but HubSpot lacks are left in `missing` (created by `create_missing`, at
    the first write, so a settings problem found meanwhile leaves nothing written).

    Implements: DEAL-4"""
    rts = list(sf.query("SELECT Id, DeveloperName, Name FROM RecordType WHERE SobjectType = 'Opportunity' AND IsActive = true ORDER BY Id"))
    stages = [
        StageFacts(str(r["ApiName"]), int(r.get("DefaultProbability") or 0), bool(r.get("IsClosed")), bool(r.get("IsWon")))
        for r in sf.query(
            "SELECT ApiName, DefaultProbability, IsClosed, IsWon, SortOrder FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder"
        )
    ]
    book = PipelineBook()
    ids = [str(r["Id"]) for r in rts]
    for r in rts:
        label = pipeline_label(str(r["Id"]), ids)
        book.record_types[str(r["Id"])] = label
        for name in (str(r["Id"]), str(r["Id"])[:15], str(r.get("DeveloperName")), str(r.get("Name")), label):
            book.names[name] = label
    wanted = sorted(set(book.record_types.values())) or [pipeline_label(None, ids)]
    book.names.setdefault(wanted[0], wanted[0])
    existing = {str(p.get("label")): p for p in hs.call("GET", "/crm/v3/pipelines/deals").json().get("results", [])}
    for label in wanted:
        p = existing.get(label)
        if p is None:
            body = {"label": label, "displayOrder": 100 + len(book.ids) + len(book.missing), "stages": [stage_spec(s, i) for i, s in enumerate(stages)]}
            book.missing.append(body)
            continue
        _add(book, label, p)
    return book


def create_missing(hs: HubSpotClient, book: PipelineBook) -> list[dict[str, Any]]:
    """Create the integration's pipelines HubSpot lacks (the real pipelines API); the new ones."""
    made = []
    while book.missing:
        body = book.missing.pop(0)
        p = hs.call("POST", "/crm/v3/pipelines/deals", ok=(200, 201), json=body).json()
        _add(book, str(body["label"]), p)
        made.append(p)
    return made


def _add(book: PipelineBook, label: str, p: dict[str, Any]) -> None:
    book.ids[label] = str(p["id"])
    book.names[str(p["id"])] = label
    book.stages[str(p["id"])] = {str(s.get("label")): str(s["id"]) for s in p.get("stages") or []}


# --- DEAL-6: contact roles and associations -----------------------------------------------------------


def contact_roles(sf: SalesforceClient, opportunity_ids: list[str]) -> dict[str, dict[str, str]]:
    """Opportunity id -> {Salesforce contact id: OpportunityContactRole id} (one IN query per ~900)."""
    out: dict[str, dict[str, str]] = {o: {} for o in opportunity_ids}
    if not opportunity_ids:
        return out
    soql = "SELECT Id, OpportunityId, ContactId FROM OpportunityContactRole WHERE OpportunityId IN ({inlist})"
    for r in sf.query_in(soql, opportunity_ids):
        out.setdefault(str(r["OpportunityId"])[:18], {})[str(r["ContactId"])] = str(r["Id"])
    return out


def deal_associations(hs: HubSpotClient, deal_ids: list[str], to_type: str = "contacts", from_type: str = "deals") -> dict[str, set[str]]:
    """Record id -> associated record ids (v4 batch read; a record with none is reported as an error)."""
    out: dict[str, set[str]] = {d: set() for d in deal_ids}
    for start in range(0, len(deal_ids), ASSOC_BATCH):
        chunk = deal_ids[start : start + ASSOC_BATCH]
        body = {"inputs": [{"id": d} for d in chunk]}
        resp = hs.call("POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/read", ok=(200, 207), json=body).json()
        for row in resp.get("results", []):
            out[str(row["from"]["id"])] = {str(t["toObjectId"]) for t in row.get("to", [])}
    return out


def assoc_input(to_id: str, type_id: int) -> dict[str, Any]:
    """One entry of a create call's `associations` (CRM v3 objects)."""
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def associate(hs: HubSpotClient, pairs: list[tuple[str, str]], to_type: str = "contacts") -> None:
    for start in range(0, len(pairs), ASSOC_BATCH):
        inputs = [{"from": {"id": d}, "to": {"id": c}} for d, c in pairs[start : start + ASSOC_BATCH]]
        hs.call("POST", f"/crm/v4/associations/deals/{to_type}/batch/associate/default", ok=(200, 201, 207), json={"inputs": inputs})


def dissociate(hs: HubSpotClient, pairs: list[tuple[str, str]], to_type: str = "contacts") -> None:
    by_deal: dict[str, list[str]] = {}
    for d, c in pairs:
        by_deal.setdefault(d, []).append(c)
    items = list(by_deal.items())
    for start in range(0, len(items), ASSOC_BATCH):
        inputs = [{"from": {"id": d}, "to": [{"id": c} for c in cs]} for d, cs in items[start : start + ASSOC_BATCH]]
        hs.call("POST", f"/crm/v4/associations/deals/{to_type}/batch/archive", ok=(200, 204), json={"inputs": inputs})


def add_contact_roles(sf: SalesforceClient, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Create OpportunityContactRole records (composite, 200 per call); their SaveResults."""
    records = [{"OpportunityId": o, "ContactId": c} for o, c in pairs]
    return sf.create_records("OpportunityContactRole", records) if records else []


def delete_records(sf: SalesforceClient, ids: list[str]) -> None:
    """Delete by id with sObject Collections (200 per call, allOrNone false)."""
    for start in range(0, len(ids), 200):
        chunk = ",".join(ids[start : start + 200])
        sf.call("DELETE", "/composite/sobjects", params={"ids": chunk, "allOrNone": "false"})


# --- ALC: contacts' lifecycle stages --------------------------------------------------------------------


def lifecycle_stages(hs: HubSpotClient, contact_ids: list[str]) -> dict[str, str | None]:
    recs = hs.batch_read("contacts", sorted(set(contact_ids)), ["lifecyclestage"]) if contact_ids else []
    return {str(r["id"]): (r.get("properties") or {}).get("lifecyclestage") or None for r in recs}


def set_lifecycle_stages(hs: HubSpotClient, updates: dict[str, str]) -> None:
    items = sorted(updates.items())
    for start in range(0, len(items), 100):
        inputs = [{"id": cid, "properties": {"lifecyclestage": stage}} for cid, stage in items[start : start + 100]]
        hs.batch_update("contacts", inputs)
