"""The standard objects of the fake org and their fields: the one source of truth for field names,
types, lengths, picklists, required/read-only flags and relationships (describe, validation, SOQL
and the store all read it). Values follow a default Developer Edition org of API v59; fields a sync
engine will never touch (geolocation, Jigsaw, Individual...) are left out.

Simplification (commented where used): owner fields reference only `User` (real orgs say
`["Group","User"]` because of queues; the fake has no queues).
"""

from __future__ import annotations

from typing import Any

from simulator.salesforce.picklists import (  # the values live there; callers read them here too
    ACCOUNT_TYPES,
    ACTIVITY_TYPES,
    CAMPAIGN_MEMBER_STATUSES,
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    CONTACT_ROLES,
    ENCODINGS,
    FORECAST_CATEGORIES,
    INDUSTRIES,
    LANGUAGES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    LOCALES,
    OPPORTUNITY_STAGES,
    OPPORTUNITY_TYPES,
    OWNERSHIP,
    PRIORITIES,
    RATINGS,
    SALUTATIONS,
    TASK_STATUSES,
    TIME_ZONES,
)
from simulator.salesforce.picklists import (
    LEAD_CONVERTED_STATUS as LEAD_CONVERTED_STATUS,
)
from simulator.salesforce.schema import FieldDef, ObjectDef, Schema


# --- field builders (short names keep the tables readable) -----------------------------------------
def _label(name: str) -> str:
    out = ""
    for i, ch in enumerate(name):
        if i and ch.isupper() and not name[i - 1].isupper():
            out += " "
        out += ch
    return out.replace(" Id", " ID") if name.endswith("Id") else out


def text(name: str, length: int, label: str | None = None, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name, label=label or _label(name), type=kw.pop("type", "string"), length=length, **kw
    )


def email(name: str, label: str | None = None, **kw: Any) -> FieldDef:
    return text(name, kw.pop("length", 80), label, type="email", **kw)


def phone(name: str, label: str | None = None) -> FieldDef:
    return text(name, 40, label, type="phone")


def url(name: str, label: str | None = None) -> FieldDef:
    return text(name, 255, label, type="url")


def area(name: str, length: int = 32000, label: str | None = None) -> FieldDef:
    return text(name, length, label, type="textarea")


def pick(
    name: str,
    values: list[str],
    label: str | None = None,
    *,
    restricted: bool = False,
    default: str | None = None,
    **kw: Any,
) -> FieldDef:
    return FieldDef(
        name=name,
        label=label or _label(name),
        type="picklist",
        length=kw.pop("length", 255),
        picklist=tuple(values),
        restricted_picklist=restricted,
        default=default,
        defaulted_on_create=default is not None,
        **kw,
    )


def boolean(name: str, label: str | None = None, *, default: bool = False, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        label=label or _label(name),
        type="boolean",
        nillable=False,
        default=default,
        defaulted_on_create=True,
        **kw,
    )


def date(name: str, label: str | None = None, **kw: Any) -> FieldDef:
    return FieldDef(name=name, label=label or _label(name), type="date", **kw)


def datetime_(name: str, label: str | None = None, **kw: Any) -> FieldDef:
    return FieldDef(name=name, label=label or _label(name), type="datetime", **kw)


def number(
    name: str, precision: int, scale: int, label: str | None = None, *, kind: str = "double", **kw: Any
) -> FieldDef:
    return FieldDef(name=name, label=label or _label(name), type=kind, precision=precision, scale=scale, **kw)


def integer(name: str, digits: int, label: str | None = None, **kw: Any) -> FieldDef:
    return FieldDef(name=name, label=label or _label(name), type="int", digits=digits, **kw)


def ref(name: str, to: list[str], rel: str | None, label: str | None = None, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        label=label or _label(name),
        type="reference",
        length=18,
        reference_to=tuple(to),
        relationship_name=rel,
        **kw,
    )


def ro(fd: FieldDef) -> FieldDef:
    """Read-only: neither createable nor updateable (system-maintained or derived)."""
    return FieldDef(**{**fd.__dict__, "createable": False, "updateable": False})


def required(fd: FieldDef) -> FieldDef:
    return FieldDef(**{**fd.__dict__, "required": True, "nillable": False})


def create_only(fd: FieldDef) -> FieldDef:
    return FieldDef(**{**fd.__dict__, "updateable": False})


# --- shared field groups -----------------------------------------------------------------------------
def id_field() -> FieldDef:
    return FieldDef(
        name="Id",
        label="Record ID",
        type="id",
        length=18,
        nillable=False,
        createable=False,
        updateable=False,
        defaulted_on_create=True,
        id_lookup=True,
    )


def is_deleted() -> FieldDef:
    return ro(boolean("IsDeleted", "Deleted"))


def master_record(obj: str) -> FieldDef:
    return ro(ref("MasterRecordId", [obj], "MasterRecord", "Master Record ID"))


def owner(queues: bool = False) -> FieldDef:
    """OwnerId. Where queues can own records (Lead), real orgs describe it as polymorphic:
    referenceTo ["Group", "User"], polymorphicForeignKey and namePointing true (Object Reference,
    Lead: "OwnerId ... Type reference ... ID of the owner of the lead", owner is a user or a queue).
    The fake has no queues: writes and SOQL traversal still resolve users only."""
    return FieldDef(
        name="OwnerId",
        label="Owner ID",
        type="reference",
        length=18,
        reference_to=("User",),
        relationship_name="Owner",
        nillable=False,
        defaulted_on_create=True,
        describe_reference_to=("Group", "User") if queues else None,
        name_pointing=queues,
    )


def audit() -> list[FieldDef]:
    dt = {"nillable": False, "createable": False, "updateable": False, "defaulted_on_create": True}
    return [
        datetime_("CreatedDate", "Created Date", **dt),
        ref("CreatedById", ["User"], "CreatedBy", "Created By ID", **dt),
        datetime_("LastModifiedDate", "Last Modified Date", **dt),
        ref("LastModifiedById", ["User"], "LastModifiedBy", "Last Modified By ID", **dt),
        datetime_("SystemModstamp", "System Modstamp", **dt),
    ]


def address(prefix: str, label: str) -> list[FieldDef]:
    return [
        area(f"{prefix}Street", 255, f"{label} Street"),
        text(f"{prefix}City", 40, f"{label} City"),
        text(f"{prefix}State", 80, f"{label} State/Province"),
        text(f"{prefix}PostalCode", 20, f"{label} Zip/Postal Code"),
        text(f"{prefix}Country", 80, f"{label} Country"),
    ]


def person_name(max_last: int = 80) -> list[FieldDef]:
    return [
        required(text("LastName", max_last, "Last Name")),
        text("FirstName", 40, "First Name"),
        pick("Salutation", SALUTATIONS, "Salutation", length=40),
        text("MiddleName", 40, "Middle Name"),
        text("Suffix", 40),
        ro(text("Name", 121, "Full Name", name_field=True, nillable=False)),
    ]


def opt_outs() -> list[FieldDef]:
    """The contact preferences leads and contacts share (lead conversion copies them)."""
    return [
        boolean("HasOptedOutOfEmail", "Email Opt Out"),
        boolean("HasOptedOutOfFax", "Fax Opt Out"),
        boolean("DoNotCall", "Do Not Call"),
    ]


def email_bounce() -> list[FieldDef]:
    return [
        text("EmailBouncedReason", 255, "Email Bounced Reason"),
        datetime_("EmailBouncedDate", "Email Bounced Date"),
    ]




def _objects() -> list[ObjectDef]:
    lead = [
        id_field(),
        is_deleted(),
        master_record("Lead"),
        *person_name(),
        text("Title", 128),
        required(text("Company", 255)),
        *address("", ""),
        phone("Phone", "Business Phone"),
        phone("MobilePhone", "Mobile Phone"),
        phone("Fax"),
        email("Email", id_lookup=True),
        url("Website"),
        area("Description"),
        pick("LeadSource", LEAD_SOURCES, "Lead Source"),
        pick("Status", LEAD_STATUSES, restricted=True, default="Open - Not Contacted", nillable=False),
        pick("Industry", INDUSTRIES),
        pick("Rating", RATINGS),
        number("AnnualRevenue", 18, 0, "Annual Revenue", kind="currency"),
        integer("NumberOfEmployees", 8, "Employees"),
        owner(queues=True),
        *opt_outs(),
        ro(boolean("IsConverted", "Converted")),
        ro(date("ConvertedDate", "Converted Date")),
        ro(ref("ConvertedAccountId", ["Account"], "ConvertedAccount", "Converted Account ID")),
        ro(ref("ConvertedContactId", ["Contact"], "ConvertedContact", "Converted Contact ID")),
        ro(
            ref("ConvertedOpportunityId", ["Opportunity"], "ConvertedOpportunity", "Converted Opportunity ID")
        ),
        boolean("IsUnreadByOwner", "Unread By Owner"),
        *audit(),
        ro(date("LastActivityDate", "Last Activity")),
        *email_bounce(),
    ]
    contact = [
        id_field(),
        is_deleted(),
        master_record("Contact"),
        ref("AccountId", ["Account"], "Account", "Account ID"),
        *person_name(),
        *address("Other", "Other"),
        *address("Mailing", "Mailing"),
        phone("Phone", "Business Phone"),
        phone("Fax", "Business Fax"),
        phone("MobilePhone", "Mobile Phone"),
        phone("HomePhone", "Home Phone"),
        phone("OtherPhone", "Other Phone"),
        phone("AssistantPhone", "Asst. Phone"),
        ref("ReportsToId", ["Contact"], "ReportsTo", "Reports To ID"),
        email("Email", id_lookup=True),
        text("Title", 128),
        text("Department", 80),
        text("AssistantName", 40, "Assistant's Name"),
        pick("LeadSource", LEAD_SOURCES, "Lead Source"),
        date("Birthdate"),
        area("Description", 32000, "Contact Description"),
        owner(),
        *opt_outs(),
        *audit(),
        ro(date("LastActivityDate", "Last Activity")),
        *email_bounce(),
        ro(boolean("IsEmailBounced", "Is Email Bounced")),
    ]
    account = [
        id_field(),
        is_deleted(),
        master_record("Account"),
        required(text("Name", 255, "Account Name", name_field=True, id_lookup=True)),
        pick("Type", ACCOUNT_TYPES, "Account Type"),
        ref("ParentId", ["Account"], "Parent", "Parent Account ID"),
        *address("Billing", "Billing"),
        *address("Shipping", "Shipping"),
        phone("Phone", "Account Phone"),
        phone("Fax", "Account Fax"),
        text("AccountNumber", 40, "Account Number"),
        url("Website"),
        text("Sic", 20, "SIC Code"),
        pick("Industry", INDUSTRIES),
        number("AnnualRevenue", 18, 0, "Annual Revenue", kind="currency"),
        integer("NumberOfEmployees", 8, "Employees"),
        pick("Ownership", OWNERSHIP),
        text("TickerSymbol", 20, "Ticker Symbol"),
        area("Description", 32000, "Account Description"),
        pick("Rating", RATINGS, "Account Rating"),
        text("Site", 80, "Account Site"),
        owner(),
        *audit(),
        ro(date("LastActivityDate", "Last Activity")),
        pick("AccountSource", LEAD_SOURCES, "Account Source"),
    ]
    opportunity = [
        id_field(),
        is_deleted(),
        ref("AccountId", ["Account"], "Account", "Account ID"),
        boolean("IsPrivate", "Private"),
        required(text("Name", 120, name_field=True)),
        area("Description"),
        required(pick("StageName", list(OPPORTUNITY_STAGES), "Stage", restricted=True)),
        number("Amount", 18, 2, kind="currency"),
        number("Probability", 3, 0, "Probability (%)", kind="percent"),
        ro(number("ExpectedRevenue", 18, 2, "Expected Amount", kind="currency", calculated=True)),
        number("TotalOpportunityQuantity", 18, 2, "Quantity"),
        required(date("CloseDate", "Close Date")),
        pick("Type", OPPORTUNITY_TYPES, "Opportunity Type"),
        text("NextStep", 255, "Next Step"),
        pick("LeadSource", LEAD_SOURCES, "Lead Source"),
        ro(boolean("IsClosed", "Closed")),
        ro(boolean("IsWon", "Won")),
        ro(pick("ForecastCategory", FORECAST_CATEGORIES, "Forecast Category", length=40)),
        pick("ForecastCategoryName", FORECAST_CATEGORIES, "Forecast Category", restricted=True),
        ref("CampaignId", ["Campaign"], "Campaign", "Campaign ID"),
        ro(boolean("HasOpportunityLineItem", "Has Line Item")),
        owner(),
        *audit(),
        ro(date("LastActivityDate", "Last Activity")),
        ro(integer("FiscalQuarter", 11, "Fiscal Quarter")),
        ro(integer("FiscalYear", 11, "Fiscal Year")),
    ]
    ocr = [
        id_field(),
        required(ref("OpportunityId", ["Opportunity"], "Opportunity", "Opportunity ID", cascade_delete=True)),
        required(ref("ContactId", ["Contact"], "Contact", "Contact ID", cascade_delete=True)),
        pick("Role", CONTACT_ROLES),
        boolean("IsPrimary", "Primary"),
        *audit(),
        is_deleted(),
    ]
    activity_common = [
        ref("WhoId", ["Contact", "Lead"], "Who", "Name ID"),
        ref("WhatId", ["Account", "Opportunity", "Campaign"], "What", "Related To ID"),
        text("Subject", 255, type="combobox"),
        date("ActivityDate", "Due Date Only"),
        area("Description", 32000),
        ro(ref("AccountId", ["Account"], "Account", "Account ID")),
        owner(),
        pick("Type", ACTIVITY_TYPES),
        boolean("IsPrivate", "Private"),
    ]
    task = [
        id_field(),
        *activity_common,
        pick("Status", TASK_STATUSES, restricted=True, default="Not Started", nillable=False),
        pick("Priority", PRIORITIES, restricted=True, default="Normal", nillable=False, length=40),
        ro(boolean("IsHighPriority", "High Priority")),
        ro(boolean("IsClosed", "Closed")),
        is_deleted(),
        *audit(),
        integer("CallDurationInSeconds", 8, "Call Duration"),
        text("CallDisposition", 255, "Call Result"),
        pick(
            "TaskSubtype", ["Task", "Email", "ListEmail", "Cadence", "Call"], "Task Subtype", restricted=True
        ),
        ro(datetime_("CompletedDateTime", "Completed Date/Time")),
    ]
    event = [
        id_field(),
        *activity_common,
        text("Location", 255),
        boolean("IsAllDayEvent", "All-Day Event"),
        datetime_("ActivityDateTime", "Due Date Time"),
        integer("DurationInMinutes", 8, "Duration"),
        datetime_("StartDateTime", "Start Date Time"),
        datetime_("EndDateTime", "End Date Time"),
        pick("ShowAs", ["Busy", "OutOfOffice", "Free"], "Show Time As", restricted=True, length=40),
        is_deleted(),
        *audit(),
    ]
    campaign = [
        id_field(),
        is_deleted(),
        required(text("Name", 80, name_field=True)),
        ref("ParentId", ["Campaign"], "Parent", "Parent Campaign ID"),
        pick("Type", CAMPAIGN_TYPES),
        pick("Status", CAMPAIGN_STATUSES, default="Planned"),
        date("StartDate", "Start Date"),
        date("EndDate", "End Date"),
        number("ExpectedRevenue", 18, 0, "Expected Revenue in Campaign", kind="currency"),
        number("BudgetedCost", 18, 0, "Budgeted Cost in Campaign", kind="currency"),
        number("ActualCost", 18, 0, "Actual Cost in Campaign", kind="currency"),
        number("ExpectedResponse", 10, 2, "Expected Response (%)", kind="percent"),
        number("NumberSent", 18, 0, "Num Sent in Campaign"),
        boolean("IsActive", "Active"),
        area("Description"),
        ro(integer("NumberOfLeads", 9, "Leads in Campaign")),
        ro(integer("NumberOfContacts", 9, "Contacts in Campaign")),
        ro(integer("NumberOfConvertedLeads", 9, "Converted Leads in Campaign")),
        ro(integer("NumberOfResponses", 9, "Responses in Campaign")),
        ro(integer("NumberOfOpportunities", 9, "Opportunities in Campaign")),
        owner(),
        *audit(),
    ]
    campaign_member = [
        id_field(),
        is_deleted(),
        required(
            create_only(ref("CampaignId", ["Campaign"], "Campaign", "Campaign ID", cascade_delete=True))
        ),
        create_only(ref("LeadId", ["Lead"], "Lead", "Lead ID", cascade_delete=True)),
        create_only(ref("ContactId", ["Contact"], "Contact", "Contact ID", cascade_delete=True)),
        pick("Status", CAMPAIGN_MEMBER_STATUSES, default="Sent", length=40),
        ro(boolean("HasResponded", "Responded")),
        ro(date("FirstRespondedDate", "First Responded Date")),
        *audit(),
        ro(ref("LeadOrContactId", ["Contact", "Lead"], None, "Lead or Contact ID")),
        ro(text("Type", 40)),
    ]
    user = [
        id_field(),
        required(text("Username", 80, unique=True, id_lookup=True)),
        *[f for f in person_name() if f.name != "Salutation"],
        text("CompanyName", 80, "Company Name"),
        text("Division", 80),
        text("Department", 80),
        text("Title", 80),
        *address("", ""),
        required(email("Email", length=128)),
        phone("Phone"),
        phone("MobilePhone", "Mobile"),
        required(text("Alias", 8)),
        required(text("CommunityNickname", 40, "Nickname", unique=True)),
        boolean("IsActive", "Active", default=True),
        required(pick("TimeZoneSidKey", TIME_ZONES, "Time Zone", restricted=True, length=40)),
        required(pick("LocaleSidKey", LOCALES, "Locale", restricted=True, length=40)),
        required(pick("EmailEncodingKey", ENCODINGS, "Email Encoding", restricted=True, length=40)),
        required(pick("LanguageLocaleKey", LANGUAGES, "Language", restricted=True, length=40)),
        ref("ManagerId", ["User"], "Manager", "Manager ID"),
        ro(pick("UserType", ["Standard"], "User Type", length=40)),
        *audit(),
    ]
    record_type = [
        id_field(),
        text("Name", 80, name_field=True),
        text("DeveloperName", 80, "Record Type Name"),
        text("NamespacePrefix", 15, "Namespace Prefix"),
        text("Description", 255),
        pick(
            "SobjectType",
            ["Account", "Contact", "Lead", "Opportunity", "Campaign", "Task", "Event"],
            "SObject Type Name",
            restricted=True,
            length=40,
        ),
        boolean("IsActive", "Active"),
        *audit(),
    ]
    opportunity_stage = [
        id_field(),
        text("MasterLabel", 255, "Master Label"),
        text("ApiName", 255, "Api Name"),
        boolean("IsActive", "Active", default=True),
        integer("SortOrder", 9, "Sort Order"),
        boolean("IsClosed", "Closed"),
        boolean("IsWon", "Won"),
        pick("ForecastCategory", FORECAST_CATEGORIES, "Forecast Category", length=40),
        pick("ForecastCategoryName", FORECAST_CATEGORIES, "Forecast Category Name"),
        number("DefaultProbability", 3, 0, "Probability (%)", kind="percent"),
        text("Description", 255),
        *audit(),
    ]
    # The running user's effective permissions (one row per session's user; API 41.0+). Only the two
    # the integration's deal sync checks are modelled (DEAL-1); real orgs list hundreds.
    user_permission_access = [
        id_field(),
        ro(datetime_("LastCacheUpdate", "Last Cache Update")),
        ro(boolean("PermissionsModifyAllData", "Modify All Data")),
        ro(boolean("PermissionsModifyMetadata", "Modify Metadata Through Metadata API Functions")),
    ]
    return [
        ObjectDef("Lead", "Lead", "Leads", "00Q", _fields(lead)),
        ObjectDef("Contact", "Contact", "Contacts", "003", _fields(contact)),
        ObjectDef("Account", "Account", "Accounts", "001", _fields(account)),
        ObjectDef("Opportunity", "Opportunity", "Opportunities", "006", _fields(opportunity)),
        ObjectDef(
            "OpportunityContactRole",
            "Opportunity Contact Role",
            "Opportunity Contact Role",
            "00K",
            _fields(ocr),
        ),
        ObjectDef("Task", "Task", "Tasks", "00T", _fields(task)),
        ObjectDef("Event", "Event", "Events", "00U", _fields(event)),
        ObjectDef("Campaign", "Campaign", "Campaigns", "701", _fields(campaign)),
        ObjectDef("CampaignMember", "Campaign Member", "Campaign Members", "00v", _fields(campaign_member)),
        # Users cannot be deleted (deactivate instead); the integration user does not create users.
        ObjectDef("User", "User", "Users", "005", _fields(user), createable=False, deletable=False),
        # Record types are metadata: readable through the data API, not writable.
        ObjectDef(
            "RecordType",
            "Record Type",
            "Record Types",
            "012",
            _fields(record_type),
            createable=False,
            updateable=False,
            deletable=False,
            searchable=False,
        ),
        ObjectDef(
            "UserPermissionAccess",
            "User Permission Access",
            "User Permission Access",
            "0Kc",  # not confirmed against a real org's global describe; its one row's Id is fixed
            _fields(user_permission_access),
            createable=False,
            updateable=False,
            deletable=False,
            searchable=False,
        ),
        # The stages of the sales process (setup data): readable through the data API, not writable.
        ObjectDef(
            "OpportunityStage",
            "Opportunity Stage",
            "Opportunity Stages",
            "01J",
            _fields(opportunity_stage),
            createable=False,
            updateable=False,
            deletable=False,
            searchable=False,
        ),
    ]


def record_type_field() -> FieldDef:
    """RecordTypeId: real orgs have it only on objects that have record types, so the store adds it
    to an object when its first record type is defined (record_types.py)."""
    return ref("RecordTypeId", ["RecordType"], "RecordType", "Record Type ID")


def _fields(items: list[FieldDef]) -> dict[str, FieldDef]:
    out: dict[str, FieldDef] = {}
    for f in items:
        if f.name.lower() in out:
            raise AssertionError(f"duplicate field {f.name}")
        out[f.name.lower()] = f
    return out


def standard_schema() -> Schema:
    """A fresh schema of the standard objects (each backend gets its own: custom fields are per sandbox)."""
    return Schema(_objects())
