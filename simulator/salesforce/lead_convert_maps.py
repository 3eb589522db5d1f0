"""Which lead fields lead conversion copies to the new account, contact and opportunity."""

# Lead conversion's standard field mapping (Lead field -> target field).
LEAD_TO_CONTACT = {
    "Salutation": "Salutation",
    "FirstName": "FirstName",
    "MiddleName": "MiddleName",
    "LastName": "LastName",
    "Suffix": "Suffix",
    "Title": "Title",
    "Email": "Email",
    "Phone": "Phone",
    "MobilePhone": "MobilePhone",
    "Fax": "Fax",
    "LeadSource": "LeadSource",
    "Description": "Description",
    "HasOptedOutOfEmail": "HasOptedOutOfEmail",
    "HasOptedOutOfFax": "HasOptedOutOfFax",
    "DoNotCall": "DoNotCall",
    "Street": "MailingStreet",
    "City": "MailingCity",
    "State": "MailingState",
    "PostalCode": "MailingPostalCode",
    "Country": "MailingCountry",
    "OwnerId": "OwnerId",
}
LEAD_TO_ACCOUNT = {
    "Company": "Name",
    "Industry": "Industry",
    "AnnualRevenue": "AnnualRevenue",
    "NumberOfEmployees": "NumberOfEmployees",
    "Website": "Website",
    "Rating": "Rating",
    "Phone": "Phone",
    "Street": "BillingStreet",
    "City": "BillingCity",
    "State": "BillingState",
    "PostalCode": "BillingPostalCode",
    "Country": "BillingCountry",
    "LeadSource": "AccountSource",
    "OwnerId": "OwnerId",
}
LEAD_TO_OPPORTUNITY = {"LeadSource": "LeadSource", "OwnerId": "OwnerId"}
