"""HubSpot's default property groups and properties per object type: the one source of truth the
property catalog (properties.py) is built from.

Internal names, types and options follow HubSpot's real defaults as best known. Unsure items are marked
"(unsure)" below: `salesforceopportunitystage` on contacts, the `salesforceownerid` on companies and
deals, and the company `industry` option list (a representative subset of HubSpot's ~150 options).
"""

from __future__ import annotations

from typing import Any

Option = tuple[str, str]  # (value, label)
# name, label, type, fieldType, group, extra
Spec = tuple[str, str, str, str, str, dict[str, Any]]

LIFECYCLE_STAGES: list[Option] = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
]
LEAD_STATUSES: list[Option] = [
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
]
DEAL_STAGES: list[Option] = [
    ("appointmentscheduled", "Appointment Scheduled"),
    ("qualifiedtobuy", "Qualified To Buy"),
    ("presentationscheduled", "Presentation Scheduled"),
    ("decisionmakerboughtin", "Decision Maker Bought-In"),
    ("contractsent", "Contract Sent"),
    ("closedwon", "Closed Won"),
    ("closedlost", "Closed Lost"),
]
CONTACT_EMPLOYEE_RANGES: list[Option] = [
    (v, v) for v in ("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+")
]
COMPANY_TYPES: list[Option] = [
    ("PROSPECT", "Prospect"),
    ("PARTNER", "Partner"),
    ("RESELLER", "Reseller"),
    ("VENDOR", "Vendor"),
    ("OTHER", "Other"),
]
DEAL_TYPES: list[Option] = [("newbusiness", "New Business"), ("existingbusiness", "Existing Business")]
TICKET_PRIORITIES: list[Option] = [
    ("LOW", "Low"),
    ("MEDIUM", "Medium"),
    ("HIGH", "High"),
    ("URGENT", "Urgent"),
]
# Deals' own priority property (default since 2022) uses lower-case values, unlike tickets'.
DEAL_PRIORITIES: list[Option] = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
TICKET_STAGES: list[Option] = [
    ("1", "New"),
    ("2", "Waiting on contact"),
    ("3", "Waiting on us"),
    ("4", "Closed"),
]
# (unsure) a representative subset of HubSpot's company industry options.
INDUSTRIES: list[Option] = [
    (v, v.replace("_", " ").title())
    for v in (
        "ACCOUNTING",
        "AIRLINES_AVIATION",
        "APPAREL_FASHION",
        "ARCHITECTURE_PLANNING",
        "AUTOMOTIVE",
        "BANKING",
        "BIOTECHNOLOGY",
        "BROADCAST_MEDIA",
        "BUILDING_MATERIALS",
        "CAPITAL_MARKETS",
        "CHEMICALS",
        "COMPUTER_HARDWARE",
        "COMPUTER_NETWORKING",
        "COMPUTER_NETWORK_SECURITY",
        "COMPUTER_SOFTWARE",
        "CONSTRUCTION",
        "CONSUMER_ELECTRONICS",
        "CONSUMER_GOODS",
        "CONSUMER_SERVICES",
        "E_LEARNING",
        "EDUCATION_MANAGEMENT",
        "ENTERTAINMENT",
        "ENVIRONMENTAL_SERVICES",
        "FINANCIAL_SERVICES",
        "FOOD_BEVERAGES",
        "GOVERNMENT_ADMINISTRATION",
        "HOSPITAL_HEALTH_CARE",
        "HOSPITALITY",
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "INSURANCE",
        "INTERNET",
        "LEGAL_SERVICES",
        "LOGISTICS_AND_SUPPLY_CHAIN",
        "MANAGEMENT_CONSULTING",
        "MARKETING_AND_ADVERTISING",
        "MEDICAL_DEVICES",
        "NONPROFIT_ORGANIZATION_MANAGEMENT",
        "PHARMACEUTICALS",
        "REAL_ESTATE",
        "RETAIL",
        "TELECOMMUNICATIONS",
        "UTILITIES",
    )
]

RO = {"read_only": True}  # value maintained by HubSpot (modificationMetadata.readOnlyValue)
CALC = {"read_only": True, "calculated": True}
OWNER = {"external_options": True}  # options are the portal's owners
BOOLEAN_OPTIONS = {"options": [("true", "True"), ("false", "False")]}

# object type -> [(group name, label)]
GROUPS: dict[str, list[tuple[str, str]]] = {
    "contacts": [
        ("contactinformation", "Contact information"),
        ("emailinformation", "Email information"),
        ("sales_properties", "Sales properties"),
        ("salesforceinformation", "Salesforce information"),
    ],
    "companies": [
        ("companyinformation", "Company information"),
        ("socialmediainformation", "Social media information"),
        ("salesforceinformation", "Salesforce information"),
    ],
    "deals": [("dealinformation", "Deal information"), ("salesforceinformation", "Salesforce information")],
    "tickets": [("ticketinformation", "Ticket information")],
}


def _sys(object_type: str) -> list[Spec]:
    """hs_object_id, createdate and the last-modified property (name differs for contacts)."""
    group = GROUPS[object_type][0][0]
    lastmod = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
    return [
        ("hs_object_id", "Record ID", "number", "number", group, RO),
        ("createdate", "Create Date", "datetime", "date", group, RO),
        (lastmod, "Last Modified Date", "datetime", "date", group, RO),
        ("hs_merged_object_ids", "Merged record IDs", "enumeration", "checkbox", group, RO),
    ]


def _lifecycle_stage(group: str) -> Spec:
    return ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", group, {"options": LIFECYCLE_STAGES})


def _address(group: str) -> list[Spec]:
    """Street address to country: the same five properties on contacts and companies."""
    return [
        ("address", "Street Address", "string", "text", group, {}),
        ("city", "City", "string", "text", group, {}),
        ("state", "State/Region", "string", "text", group, {}),
        ("zip", "Postal Code", "string", "text", group, {}),
        ("country", "Country/Region", "string", "text", group, {}),
    ]


def _sf_text(name: str, label: str) -> Spec:
    return (name, label, "string", "text", "salesforceinformation", {})


def _salesforce_sync(*record_ids: Spec) -> list[Spec]:
    """The Salesforce integration's properties every synced object type has: the Salesforce record
    id properties given, then the Salesforce owner id and the last sync time."""
    return [
        *record_ids,
        _sf_text("salesforceownerid", "Salesforce Owner ID"),  # (unsure) on companies and deals
        (
            "salesforcelastsynctime",
            "Last Salesforce Sync Time",
            "datetime",
            "date",
            "salesforceinformation",
            {},
        ),
    ]


PROPERTIES: dict[str, list[Spec]] = {
    "contacts": [
        *_sys("contacts"),
        ("email", "Email", "string", "text", "contactinformation", {"unique": True}),
        ("firstname", "First Name", "string", "text", "contactinformation", {}),
        ("lastname", "Last Name", "string", "text", "contactinformation", {}),
        ("salutation", "Salutation", "string", "text", "contactinformation", {}),
        _lifecycle_stage("contactinformation"),
        (
            "hs_lead_status",
            "Lead Status",
            "enumeration",
            "radio",
            "sales_properties",
            {"options": LEAD_STATUSES},
        ),
        ("jobtitle", "Job Title", "string", "text", "contactinformation", {}),
        ("company", "Company Name", "string", "text", "contactinformation", {}),
        ("phone", "Phone Number", "string", "phonenumber", "contactinformation", {}),
        ("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation", {}),
        ("fax", "Fax Number", "string", "phonenumber", "contactinformation", {}),
        ("website", "Website URL", "string", "text", "contactinformation", {}),
        *_address("contactinformation"),
        ("industry", "Industry", "string", "text", "contactinformation", {}),
        ("annualrevenue", "Annual Revenue", "string", "text", "contactinformation", {}),
        (
            "numemployees",
            "Number of Employees",
            "enumeration",
            "select",
            "contactinformation",
            {"options": CONTACT_EMPLOYEE_RANGES},
        ),
        ("message", "Message", "string", "textarea", "contactinformation", {}),
        ("date_of_birth", "Date of birth", "string", "text", "contactinformation", {}),
        ("twitterhandle", "Twitter Username", "string", "text", "contactinformation", {}),
        ("hubspot_owner_id", "Contact owner", "enumeration", "select", "sales_properties", OWNER),
        (
            "hs_email_optout",
            "Unsubscribed from all email",
            "bool",
            "booleancheckbox",
            "emailinformation",
            BOOLEAN_OPTIONS,
        ),
        (
            "hs_additional_emails",
            "Additional email addresses",
            "enumeration",
            "checkbox",
            "contactinformation",
            RO,
        ),
        ("closedate", "Close Date", "datetime", "date", "sales_properties", {}),
        ("hs_email_domain", "Email Domain", "string", "text", "emailinformation", CALC),
        *_salesforce_sync(
            _sf_text("salesforceleadid", "Salesforce Lead ID"),
            _sf_text("salesforcecontactid", "Salesforce Contact ID"),
            _sf_text("salesforceaccountid", "Salesforce Account ID"),
        ),
        (
            "salesforcedeleted",
            "Salesforce Deleted",
            "bool",
            "booleancheckbox",
            "salesforceinformation",
            BOOLEAN_OPTIONS,
        ),
        # (unsure) present in many portals with the Salesforce integration installed.
        (
            "salesforceopportunitystage",
            "Salesforce Opportunity Stage",
            "string",
            "text",
            "salesforceinformation",
            {},
        ),
    ],
    "companies": [
        *_sys("companies"),
        ("name", "Company name", "string", "text", "companyinformation", {}),
        ("domain", "Company Domain Name", "string", "text", "companyinformation", {}),
        ("website", "Website URL", "string", "text", "companyinformation", {}),
        ("industry", "Industry", "enumeration", "select", "companyinformation", {"options": INDUSTRIES}),
        ("type", "Type", "enumeration", "select", "companyinformation", {"options": COMPANY_TYPES}),
        _lifecycle_stage("companyinformation"),
        ("phone", "Phone Number", "string", "phonenumber", "companyinformation", {}),
        *_address("companyinformation"),
        ("numberofemployees", "Number of Employees", "number", "number", "companyinformation", {}),
        ("annualrevenue", "Annual Revenue", "number", "number", "companyinformation", {}),
        ("description", "Description", "string", "textarea", "companyinformation", {}),
        ("address2", "Street Address 2", "string", "text", "companyinformation", {}),
        # HubSpot stores the founding year as text, not a number.
        ("founded_year", "Year Founded", "string", "text", "companyinformation", {}),
        ("is_public", "Is Public", "bool", "booleancheckbox", "companyinformation", BOOLEAN_OPTIONS),
        ("linkedin_company_page", "LinkedIn Company Page", "string", "text", "socialmediainformation", {}),
        ("hubspot_owner_id", "Company owner", "enumeration", "select", "companyinformation", OWNER),
        ("hs_object_source", "Record source", "string", "text", "companyinformation", RO),
        *_salesforce_sync(_sf_text("salesforceaccountid", "Salesforce Account ID")),
    ],
    "deals": [
        *_sys("deals"),
        ("dealname", "Deal Name", "string", "text", "dealinformation", {}),
        ("amount", "Amount", "number", "number", "dealinformation", {}),
        ("closedate", "Close Date", "datetime", "date", "dealinformation", {}),
        ("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation", {}),
        # Options: the live pipelines and their stages (pipelines.py sets them).
        ("pipeline", "Pipeline", "enumeration", "select", "dealinformation", {}),
        ("dealtype", "Deal Type", "enumeration", "radio", "dealinformation", {"options": DEAL_TYPES}),
        ("description", "Deal Description", "string", "textarea", "dealinformation", {}),
        ("hubspot_owner_id", "Deal owner", "enumeration", "select", "dealinformation", OWNER),
        # Calculated from the stage (pipelines.py keeps them current).
        ("hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation", CALC),
        ("hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "dealinformation", {**CALC, **BOOLEAN_OPTIONS}),
        (
            "hs_is_closed_won",
            "Is closed won",
            "bool",
            "booleancheckbox",
            "dealinformation",
            {**CALC, **BOOLEAN_OPTIONS},
        ),
        ("closed_lost_reason", "Closed Lost Reason", "string", "textarea", "dealinformation", {}),
        ("closed_won_reason", "Closed Won Reason", "string", "textarea", "dealinformation", {}),
        ("hs_priority", "Priority", "enumeration", "select", "dealinformation", {"options": DEAL_PRIORITIES}),
        ("hs_next_step", "Next step", "string", "textarea", "dealinformation", {}),
        # The Salesforce integration's opportunity id property is `hs_`-prefixed on deals.
        *_salesforce_sync(_sf_text("hs_salesforceopportunityid", "Salesforce Opportunity ID")),
    ],
    "tickets": [
        *_sys("tickets"),
        ("subject", "Ticket name", "string", "text", "ticketinformation", {}),
        ("content", "Ticket description", "string", "textarea", "ticketinformation", {}),
        (
            "hs_pipeline",
            "Pipeline",
            "enumeration",
            "select",
            "ticketinformation",
            {"options": [("0", "Support Pipeline")]},
        ),
        (
            "hs_pipeline_stage",
            "Ticket status",
            "enumeration",
            "select",
            "ticketinformation",
            {"options": TICKET_STAGES},
        ),
        (
            "hs_ticket_priority",
            "Priority",
            "enumeration",
            "select",
            "ticketinformation",
            {"options": TICKET_PRIORITIES},
        ),
        ("hubspot_owner_id", "Ticket owner", "enumeration", "select", "ticketinformation", OWNER),
    ],
}

# Properties a record read returns when the caller asks for none (wire spec 2.2 and HubSpot docs).
DEFAULT_READ: dict[str, tuple[str, ...]] = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "tickets": (
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_priority",
        "subject",
    ),
}
# Properties the search `query` text matches (HubSpot's default searchable properties).
SEARCHABLE: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname", "phone", "company", "hs_additional_emails"),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname",),
    "tickets": ("subject", "content"),
}
