"""HubSpot contacts <-> Salesforce leads and contacts: the only module that knows contacts are special.

Special here: two Salesforce objects for one HubSpot object (HubSpot creates leads or contacts,
CON-2), the email as the dedupe key (CON-5/6/8), lead placeholders for required fields, converted
leads (read-only, CON-9/CON-10/A7), and the inclusion list (a contacts-only setting, INC-*).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sync.errors import Category
from sync.objects.base import ObjectType
from sync.schema import ObjectNames, Schema
from sync.settings import CreateAs, FromSalesforce, ObjectSettings, Settings
from sync.state.models import Link

if TYPE_CHECKING:
    from sync.pipeline.pair import Pair

# Lead required fields on create when HubSpot has no value (assumption: HubSpot's connector fills
# placeholders rather than failing the create; the values are what the connector is known to send).
LEAD_PLACEHOLDERS = {"LastName": "[[Unknown]]", "Company": "[not provided]"}
SF_OBJECTS = ("Lead", "Contact")
# CON-12: HubSpot properties that record the link (written when they exist in the portal).
LINK_PROPERTIES = {"Lead": "salesforceleadid", "Contact": "salesforcecontactid"}


def _email(value: Any) -> str | None:
    return value.strip().lower() if value else None


def hs_email(rec: dict[str, Any]) -> str | None:
    return _email((rec.get("properties") or {}).get("email"))


def sf_email(rec: dict[str, Any]) -> str | None:
    return _email(rec.get("Email"))


def _settings(settings: Settings) -> ObjectSettings:
    return settings.contacts


def _create_target(section: ObjectSettings) -> str:
    """CON-2: HubSpot creates a lead or a contact, by setting."""
    return "Contact" if section.hubspot_creates == CreateAs.CONTACT else "Lead"


def _match_filter(sobject: str, schema: Schema) -> str:
    """CON-8/A7: converted leads are never matched (their contact is)."""
    return " AND IsConverted = false" if sobject == "Lead" and "IsConverted" in schema.sf_fields.get(sobject, {}) else ""


def _read_only(sobject: str, rec: dict[str, Any]) -> bool:
    """A7: a converted lead is read-only."""
    return sobject == "Lead" and bool(rec.get("IsConverted"))


def _creates_from_salesforce(section: ObjectSettings, sobject: str) -> bool:
    """CON-1: per Salesforce object, HubSpot creates/updates contacts or does nothing."""
    setting = section.from_salesforce_leads if sobject == "Lead" else section.from_salesforce_contacts
    return setting != FromSalesforce.DO_NOTHING


def lead_conversion(engine: Any, p: Pair, s: Any) -> bool:
    """The gate's special step for a converted lead; True when it decided the pair's outcome.

    Implements: CON-9, CON-10, A7"""
    conv = p.sf.get("ConvertedContactId") if p.sf and p.sf.get("IsConverted") else None
    if not conv:
        return False
    contacts_off = engine.object_settings.from_salesforce_contacts == FromSalesforce.DO_NOTHING
    if p.link is not None and p.link.sf_object == "Lead" and contacts_off:
        # CON-10 (legacy): with contact creation off, a converted lead is a sync error
        # and the contact stops syncing until contact creation is enabled.
        engine._fail(
            p,
            "hubspot",
            p.link.hs_id,
            Category.CONVERTED_LEAD,
            "CONVERTED_LEAD",
            f"Converted Lead: lead {p.link.sf_id} was converted to contact {conv}; "
            "enable creating HubSpot contacts from Salesforce contacts, then resync",
        )
        return True
    if p.link is not None and p.link.sf_object == "Lead":
        other = s.scalar(select(Link).where(Link.sf_id == conv))
        link = s.get(Link, p.link.id)
        if other is None and link is not None:
            link.sf_object, link.sf_id, link.updated_at = "Contact", conv, engine._ts()
            engine.store.enqueue(s, "salesforce", "Contact", {conv: ("CON-9 lead converted", None)}, engine._ts())
        p.outcome = "relinked"
        p.detail["reason"] = f"CON-9/A7: lead converted; link moves to Contact {conv}, lead no longer written"
    else:
        p.outcome = "skipped"
        p.detail["reason"] = "converted lead (read-only); its contact syncs instead (A7)"
    return True


CONTACTS = ObjectType(
    name="contacts",
    hs_object="contacts",
    sf_objects=SF_OBJECTS,
    default_sf_object="Lead",
    hs_key=hs_email,
    sf_key=sf_email,
    hs_key_property="email",
    sf_key_field="Email",
    settings_of=_settings,
    link_properties=LINK_PROPERTIES,
    create_defaults={"Lead": dict(LEAD_PLACEHOLDERS), "Contact": {"LastName": LEAD_PLACEHOLDERS["LastName"]}},
    sf_id_prefixes={"00Q": "Lead", "003": "Contact"},
    sf_create_target=_create_target,
    sf_match_filter=_match_filter,
    sf_read_only=_read_only,
    sf_specials=lead_conversion,
    creates_from_salesforce=_creates_from_salesforce,
    webhook_event="contact",
    schema_names=ObjectNames(
        section="contacts",
        hs_label="contact",
        hs_key_property="email",
        sf_key_field="Email",
        link_properties=LINK_PROPERTIES,
        sf_optional_fields=("IsConverted", "ConvertedContactId"),
    ),
    flag_scope="",
)
