"""Field mappings: the four sync rules, the default contact mappings (RULE-12) and the
HubSpot/Salesforce type-compatibility table (RULE-6/7). One source of truth for all three."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SyncRule(StrEnum):
    """RULE-1..4. Values are what a settings file spells."""

    PREFER_SALESFORCE = "prefer_salesforce_unless_blank"  # RULE-1
    ALWAYS_SALESFORCE = "always_use_salesforce"  # RULE-2
    TWO_WAY = "two_way"  # RULE-3
    DONT_SYNC = "dont_sync"  # RULE-4


# A4: the docs do not name the default rule for a new mapping; blogs say "Prefer Salesforce unless blank".
DEFAULT_RULE = SyncRule.PREFER_SALESFORCE


@dataclass(frozen=True)
class FieldMapping:
    """One HubSpot property <-> one Salesforce field API name.

    RULE-14: the same mapping serves Lead and Contact; it applies to whichever object has a field
    with that API name (checked against describe at engine start)."""

    hubspot: str
    salesforce: str
    rule: SyncRule = DEFAULT_RULE
    default: bool = False  # RULE-11: default mappings cannot be deleted (only their rule changed)
    # Position in the user's `contacts.mappings` list, so errors name the entry the user wrote
    # (not its index among the defaults); None for defaults the user did not mention.
    entry: int | None = field(default=None, compare=False)

    @property
    def is_owner(self) -> bool:
        return self.salesforce == "OwnerId"

    @property
    def effective_rule(self) -> SyncRule:
        # RULE-5: the Owner mapping behaves as two-way whatever the UI says (unless switched off).
        if self.is_owner and self.rule != SyncRule.DONT_SYNC:
            return SyncRule.TWO_WAY
        return self.rule


# RULE-12, in the catalog's order. (HubSpot property, Salesforce field). Lead and Contact spell some
# fields differently (City vs MailingCity); RULE-14 makes each pair apply only where the field exists.
DEFAULT_CONTACT_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("salesforceaccountid", "AccountId"),  # Account ID
    ("annualrevenue", "AnnualRevenue"),
    ("city", "City"),
    ("city", "MailingCity"),
    ("company", "Company"),
    ("hubspot_owner_id", "OwnerId"),
    ("country", "Country"),
    ("country", "MailingCountry"),
    ("email", "Email"),
    ("numemployees", "NumberOfEmployees"),
    ("fax", "Fax"),
    ("firstname", "FirstName"),
    ("industry", "Industry"),
    ("jobtitle", "Title"),
    ("lastname", "LastName"),
    ("leadsource", "LeadSource"),
    ("description", "Description"),
    ("hs_email_optout", "HasOptedOutOfEmail"),
    ("phone", "Phone"),
    ("zip", "MailingPostalCode"),
    ("zip", "PostalCode"),
    ("rating", "Rating"),
    ("salutation", "Salutation"),
    ("state", "MailingState"),
    ("state", "State"),
    ("hs_lead_status", "Status"),
    ("address", "MailingStreet"),
    ("address", "Street"),
    ("website", "Website"),
)


# The default company mappings: the catalog lists none, and HubSpot's knowledge base shows only that
# company name, domain/website, phone, address, industry, size and owner come mapped. These are the
# standard Account fields of the same meaning (README "Companies": reading).
DEFAULT_COMPANY_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("website", "Website"),
    ("phone", "Phone"),
    ("address", "BillingStreet"),
    ("city", "BillingCity"),
    ("state", "BillingState"),
    ("zip", "BillingPostalCode"),
    ("country", "BillingCountry"),
    ("industry", "Industry"),
    ("numberofemployees", "NumberOfEmployees"),
    ("annualrevenue", "AnnualRevenue"),
    ("description", "Description"),
    ("hubspot_owner_id", "OwnerId"),
)


# RULE-13, in the catalog's order: Owner, Close Date, Name, Type, Description, Amount, Stage.
DEFAULT_DEAL_MAPPINGS: tuple[tuple[str, str], ...] = (
    ("hubspot_owner_id", "OwnerId"),
    ("closedate", "CloseDate"),
    ("dealname", "Name"),
    ("dealtype", "Type"),
    ("description", "Description"),
    ("amount", "Amount"),
    ("dealstage", "StageName"),
)


def default_mappings(pairs: tuple[tuple[str, str], ...], rule: SyncRule = DEFAULT_RULE) -> list[FieldMapping]:
    return [FieldMapping(hs, sf, rule, default=True) for hs, sf in pairs]


def default_contact_mappings() -> list[FieldMapping]:
    return default_mappings(DEFAULT_CONTACT_MAPPINGS)


# RULE-6: HubSpot fieldType -> Salesforce field types it may pair with. HubSpot fieldTypes that the
# table does not name (phonenumber, calculation_*) are treated by their data `type` below.
COMPATIBLE_TYPES: dict[str, frozenset[str]] = {
    "select": frozenset({"picklist", "reference"}),
    "radio": frozenset({"picklist", "reference"}),
    "checkbox": frozenset({"multipicklist"}),
    "booleancheckbox": frozenset({"boolean"}),
    "number": frozenset({"double", "int", "currency", "percent"}),
    "text": frozenset({"string", "textarea", "email", "phone", "url", "id", "reference", "picklist"}),
    "phonenumber": frozenset({"phone", "string"}),
    "textarea": frozenset({"textarea"}),
    "date": frozenset({"date", "datetime"}),
}
# Fallback by HubSpot data type when the fieldType is not in the table.
COMPATIBLE_BY_DATA_TYPE: dict[str, frozenset[str]] = {
    "string": frozenset({"string", "textarea", "email", "phone", "url", "id", "reference", "picklist"}),
    "number": frozenset({"double", "int", "currency", "percent"}),
    "enumeration": frozenset({"picklist", "multipicklist", "reference", "boolean"}),
    "bool": frozenset({"boolean"}),
    "date": frozenset({"date", "datetime"}),
    "datetime": frozenset({"date", "datetime"}),
}


def type_mismatch(hs_field_type: str | None, hs_data_type: str | None, sf_type: str) -> str | None:
    """RULE-7: None when the pair is allowed, else the legacy message name ("Mismatched Types")."""
    allowed = COMPATIBLE_TYPES.get(hs_field_type or "")
    if allowed is None:
        allowed = COMPATIBLE_BY_DATA_TYPE.get(hs_data_type or "", frozenset())
    return None if sf_type in allowed else "Mismatched Types"
