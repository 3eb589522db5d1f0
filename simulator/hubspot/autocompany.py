"""HubSpot's portal setting "Automatically create and associate companies with contacts" (knowledge
base of that name), off unless the sandbox setting `auto_create_companies` is on:

  * when a contact gets an email (created with one, or its email changes) and has no company yet, the
    email's domain is matched to a company's `domain` (case-insensitive); the contact is associated with
    that company as its Primary company, or, when none matches, a company is created with that domain
    ("populated with information from HubSpot's database": the fake has no such database, so the name
    is the domain) and associated;
  * freemail addresses (gmail.com, outlook.com, ...) create nothing: for them the contact's Website URL
    is matched to an existing company's domain instead;
  * domains in the setting `auto_association_opt_out_domains` are left alone ("Exclude specific
    domains from automatic association").

Auto-created companies carry `hs_object_source` = COMPANY_INSIGHTS (assumed value: the record source
of companies HubSpot fills from its own database), so an integration can tell them apart (CMP-4 (a)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.hubspot.events import ChangeEvent

if TYPE_CHECKING:
    from simulator.hubspot.models import HubSpotBackend

# A representative list: HubSpot's own freemail list is longer and not published in full.
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com",
    "aol.com", "icloud.com", "me.com", "mail.com", "gmx.com", "gmx.de", "protonmail.com", "yandex.com",
})
AUTO_SOURCE = "COMPANY_INSIGHTS"
PRIMARY_CONTACT_TO_COMPANY = 1  # HUBSPOT_DEFINED contact -> company "Primary"


def domain_of_website(url: str) -> str:
    host = url.strip().lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host[4:] if host.startswith("www.") else host


class CompanyAutoAssociator:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        backend.subscribe(self._on_change)

    def _on_change(self, event: ChangeEvent) -> None:
        if (
            event.kind != "propertyChange"
            or event.object_type != "contacts"
            or event.property_name != "email"
            or not event.property_value
            or not self.backend.settings.get("auto_create_companies")
        ):
            return
        contact = self.backend.records.get("contacts", event.object_id)
        if contact is None or self.backend.associations.associated("contacts", contact.id, "companies"):
            return  # "We will not overwrite any existing company-contact connections"
        domain = event.property_value.rsplit("@", 1)[-1].strip().lower()
        freemail = domain in FREEMAIL
        if freemail:
            domain = domain_of_website(contact.properties.get("website", ""))
        if not domain or domain in self._opted_out():
            return
        company_id = self._company_with_domain(domain)
        if company_id is None and not freemail:
            company_id = self._create_company(domain)
        if company_id is not None:
            primary = self.backend.associations.type_by_id("contacts", "companies", PRIMARY_CONTACT_TO_COMPANY)
            self.backend.associations.associate("contacts", contact.id, "companies", company_id, [primary])

    def _opted_out(self) -> set[str]:
        return {str(d).strip().lower() for d in self.backend.settings.get("auto_association_opt_out_domains", [])}

    def _company_with_domain(self, domain: str) -> str | None:
        for company in self.backend.records.all("companies"):  # id order: the oldest match wins
            if company.properties.get("domain", "").strip().lower() == domain:
                return company.id
        return None

    def _create_company(self, domain: str) -> str:
        records = self.backend.records
        values = records.validate_create("companies", {"name": domain, "domain": domain})
        values["hs_object_source"] = AUTO_SOURCE  # read-only to API writers, so added after validation
        return records.create("companies", None, cleaned=values).id
