"""Deal <-> opportunity decisions as pure functions (DEAL-2/4/6/7/8, ALC-1..3).

No I/O here: the engine's deal hooks (sync/objects/deals.py) read both sides, call these and write
what they return. Salesforce facts come in as plain values (StageName, IsClosed, IsWon, record type
ids); HubSpot facts as ids and internal property values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sync.settings import Deletion

# A10: the translated docs give "Salesforce - [record type ID]" and, for an org with a single
# pipeline/record type, roughly "Salesforce - Default pipeline". Reading: exactly these labels.
PIPELINE_PREFIX = "Salesforce - "
DEFAULT_PIPELINE_LABEL = f"{PIPELINE_PREFIX}Default pipeline"


def pipeline_label(record_type_id: str | None, record_type_ids: Iterable[str]) -> str:
    """The HubSpot pipeline an opportunity's deal goes into.

    Implements: DEAL-4
    One pipeline per Salesforce record type, named after the record type's id; an org with no record
    type or a single one on Opportunity has one pipeline, "Salesforce - Default pipeline" (A10)."""
    ids = sorted(set(record_type_ids))
    if len(ids) <= 1 or not record_type_id:
        return DEFAULT_PIPELINE_LABEL
    return f"{PIPELINE_PREFIX}{record_type_id}"


def record_type_of_pipeline(label: str, record_type_ids: Iterable[str]) -> str | None:
    """The record type a "Salesforce - ..." pipeline stands for (None: the default one, or not ours)."""
    ids = set(record_type_ids)
    if not label.startswith(PIPELINE_PREFIX) or label == DEFAULT_PIPELINE_LABEL:
        return None
    rt = label[len(PIPELINE_PREFIX) :]
    return rt if rt in ids else None


def hs_probability(sf_probability: int | float | None) -> str:
    """A Salesforce stage probability (0..100 %) as a HubSpot deal-stage probability: HubSpot takes
    0.0 to 1.0 in steps of 0.1 (pipelines API), so it is rounded to the nearest tenth."""
    pct = min(max(float(sf_probability or 0), 0.0), 100.0)
    return f"{round(pct / 10) / 10:.1f}"


@dataclass(frozen=True)
class StageFacts:
    """One Salesforce OpportunityStage row, as far as HubSpot's stage needs it."""

    name: str  # StageName (MasterLabel / ApiName)
    probability: int  # DefaultProbability, 0..100
    is_closed: bool
    is_won: bool


def stage_spec(stage: StageFacts, order: int) -> dict[str, object]:
    """The body that creates the HubSpot stage mirroring a Salesforce stage (label = StageName)."""
    return {
        "label": stage.name,
        "displayOrder": order,
        "metadata": {"probability": hs_probability(stage.probability), "isClosed": str(stage.is_closed).lower()},
    }


def hs_stage_id(stage_name: str | None, stages_by_label: dict[str, str]) -> str | None:
    """The HubSpot stage id for a StageName in the deal's pipeline (stages carry the StageName as label)."""
    return stages_by_label.get(stage_name) if stage_name else None


def sf_stage_name(stage_id: str | None, stages_by_label: dict[str, str]) -> str | None:
    """The StageName of a HubSpot stage id of a synced pipeline (None: the stage is not one of its stages)."""
    if not stage_id:
        return None
    for label, sid in stages_by_label.items():
        if sid == stage_id:
            return label
    return None


# --- DEAL-6: OpportunityContactRole <-> deal-contact associations -----------------------------------


@dataclass(frozen=True)
class RoleDiff:
    """What to write so both sides hold the same contacts (keys are link ids: one per contact pair)."""

    add_to_hubspot: frozenset[str]
    remove_from_hubspot: frozenset[str]
    add_to_salesforce: frozenset[str]
    remove_from_salesforce: frozenset[str]
    result: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.add_to_hubspot or self.remove_from_hubspot or self.add_to_salesforce or self.remove_from_salesforce)


def contact_role_diff(sf_roles: Iterable[str], hs_contacts: Iterable[str], last_synced: Iterable[str] | None) -> RoleDiff:
    """A three-way merge of the opportunity's contact roles and the deal's associated contacts.

    Implements: DEAL-6
    OpportunityContactRole records map to deal-contact associations in both directions: what either
    side added since the last sync is added to the other, what either side removed is removed from
    the other. With no last sync (a new pair) nothing counts as removed: the union is kept (a deal
    created with a contact adds it as a contact role). Contacts are named by a key both sides share
    (the contact link), so a contact that is not synced has no key and is left alone."""
    a, b = frozenset(sf_roles), frozenset(hs_contacts)
    s = frozenset(last_synced) if last_synced is not None else a & b
    removed = (s - a) | (s - b)
    result = ((s | a | b) - removed) if last_synced is not None else a | b
    return RoleDiff(
        add_to_hubspot=result - b,
        remove_from_hubspot=b - result,
        add_to_salesforce=result - a,
        remove_from_salesforce=a - result,
        result=result,
    )


# --- ALC-1..3: automatic lifecycle stage transitions ------------------------------------------------

# HubSpot's lifecycle stages in order (the `lifecyclestage` property's displayOrder).
LIFECYCLE_ORDER = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


def lifecycle_target(is_closed: bool, is_won: bool) -> str | None:
    """The stage an opportunity gives its contact roles' contacts.

    Implements: ALC-1
    An open opportunity makes them Opportunity, a Closed Won one Customer (also when the contact
    role is added after it was won: ALC-2, retroactive); a Closed Lost one does nothing."""
    if is_closed:
        return "customer" if is_won else None
    return "opportunity"


def lifecycle_transition(current: str | None, target: str | None) -> str | None:
    """The new lifecycle stage, or None when nothing changes.

    Implements: ALC-2
    A stage never moves backwards: a Customer is not set back to Opportunity. An unknown current
    value (a custom stage) is left alone: its place in the order is not known."""
    if not target:
        return None
    if not current:
        return target
    if current not in LIFECYCLE_ORDER:
        return None
    return target if LIFECYCLE_ORDER.index(target) > LIFECYCLE_ORDER.index(current) else None


def lifecycle_updates(
    role_contacts: dict[str, str | None], target: str | None, company_contacts: dict[str, str | None] | None = None
) -> dict[str, str]:
    """HubSpot contact id -> new lifecycle stage for one opportunity's transition.

    Implements: ALC-1, ALC-2, ALC-3
    Only contacts that are contact roles move (an opportunity linked through the account alone has no
    effect, ALC-2); with the company lifecycle setting on, the change spreads to every contact of the
    same company (`company_contacts`), each still never moving backwards."""
    out = {cid: new for cid, cur in role_contacts.items() if (new := lifecycle_transition(cur, target))}
    if out and company_contacts:
        for cid, cur in company_contacts.items():
            if cid not in role_contacts and (new := lifecycle_transition(cur, target)):
                out[cid] = new
    return out


# --- DEAL-7/8: deletion asymmetry -------------------------------------------------------------------


class DeletionAction(StrEnum):
    DELETE_DEAL = "delete_deal"
    UNLINK = "unlink"  # forget the pair; neither record is touched


def on_opportunity_deleted(setting: Deletion) -> DeletionAction:
    """Implements: DEAL-7
    Deleting a linked opportunity in Salesforce deletes the HubSpot deal (unless the setting says
    do nothing, in which case the deal stays and stops syncing)."""
    return DeletionAction.DELETE_DEAL if setting == Deletion.DELETE else DeletionAction.UNLINK


def on_deal_deleted() -> DeletionAction:
    """Implements: DEAL-8
    Deleting a HubSpot deal never deletes the opportunity: the pair is forgotten, the opportunity stays."""
    return DeletionAction.UNLINK


# --- DEAL-2: the deal's company ---------------------------------------------------------------------


def deal_company(company_sync: bool, account_company: str | None) -> str | None:
    """The HubSpot company a synced opportunity's deal is associated with.

    Implements: DEAL-2
    With company sync off the deal has no company association; with it on, the company linked to the
    opportunity's account (None when the account has not synced yet)."""
    return account_company if company_sync else None


def opportunity_account(company_sync: bool, deal_account: str | None, synced_without_company: bool) -> tuple[bool, str | None]:
    """(write?, AccountId) for the opportunity of a deal syncing to Salesforce.

    Implements: DEAL-2
    With company sync off the engine never touches AccountId. With it on, AccountId follows the
    deal's company; a deal that synced while company sync was off has no company, so turning company
    sync on afterwards removes the account from the opportunity (the docs' words)."""
    if not company_sync:
        return False, None
    if deal_account:
        return True, deal_account
    return synced_without_company, None


# --- DEAL-1: prerequisites of deal sync -------------------------------------------------------------

DEAL_PERMISSIONS = ("PermissionsModifyAllData", "PermissionsModifyMetadata")


def deal_prerequisites(permissions: dict[str, object], company_sync: bool, accounts_imported: bool) -> tuple[str | None, list[str]]:
    """(refusal, warnings) for turning deal sync on.

    Implements: DEAL-1
    The integration user needs Modify All Data or Modify Metadata Through Metadata API Functions:
    without either, deal sync is refused. Company sync off is allowed (DEAL-2: the deals get no
    company association) and a missing account import only leaves associations incomplete, so
    those two are warnings, not refusals."""
    if not any(permissions.get(p) is True for p in DEAL_PERMISSIONS):
        return (
            "deals.enabled: DEAL-1: the Salesforce integration user has neither Modify All Data "
            "(PermissionsModifyAllData) nor Modify Metadata Through Metadata API Functions "
            "(PermissionsModifyMetadata); deal sync needs one of them"
        ), []
    if not company_sync:
        return None, ["DEAL-1/DEAL-2: company sync is off: synced deals get no company association"]
    if not accounts_imported:
        return None, ["DEAL-1: no Salesforce account import has finished: deals of accounts not yet synced get no company association"]
    return None, []
