"""The multi-object foundation: settings sections per pair, the registry's order, switching the
active pair without leaking one pair's schema or inclusion list into another's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sync.engine import SyncEngine
from sync.objects import OBJECT_TYPES, ObjectType
from sync.objects.contacts import CONTACTS
from sync.settings import Settings, SettingsError

BASE = {"hubspot": {"token": "t"}, "salesforce": {"url": "https://x.my.salesforce.com", "session_id": "s"}}


def _companies_like() -> ObjectType:
    """A stand-in second pair (the real companies descriptor has its own module)."""
    return replace(
        CONTACTS,
        name="companies",
        hs_object="companies",
        sf_objects=("Account",),
        flag_scope=None,
        settings_of=lambda st: st.companies,
    )


def test_company_and_deal_sections_default_off() -> None:
    s = Settings.from_dict(BASE)
    assert s.contacts.enabled and not s.companies.enabled and not s.deals.enabled
    on = Settings.from_dict({**BASE, "companies": {"enabled": True}, "deals": {"enabled": True}})
    assert on.companies.enabled and on.deals.enabled


@pytest.mark.parametrize(
    ("section", "key"),
    [("companies", "hubspot_creates"), ("deals", "from_salesforce_leads"), ("companies", "colour")],
)
def test_contact_only_keys_rejected_elsewhere(section: str, key: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{section}\.{key}: unknown setting"):
        Settings.from_dict({**BASE, section: {key: "lead"}})


def test_registry_starts_with_contacts_and_names_are_unique() -> None:
    assert OBJECT_TYPES[0] is CONTACTS
    names = [o.name for o in OBJECT_TYPES]
    assert len(set(names)) == len(names)
    assert CONTACTS.flag("installed") == "installed"  # existing state databases keep their flags


def test_active_switches_descriptor_and_per_object_state() -> None:
    other = _companies_like()
    eng = SyncEngine(
        Settings.from_dict({**BASE, "companies": {"enabled": True}}),
        state_url="sqlite://",
        object_types=(CONTACTS, other),
    )
    assert [o.name for o in eng.enabled_objects()] == ["contacts", "companies"]
    eng._list_id, eng._mapping_first_seen = "contacts-list", {"a": 1.0}
    with eng.active(other):
        assert eng.object_type is other and eng.object_settings is eng.settings.companies
        assert eng._list_id is None and eng._mapping_first_seen == {}
        assert other.flag("installed") == "companies:installed"
        eng._list_id = "company-list"
    assert eng.object_type is CONTACTS and eng._list_id == "contacts-list"
    with eng.active(other):
        assert eng._list_id == "company-list"  # kept for the pair between switches
    eng.close()


def test_import_of_a_disabled_pairs_object_is_refused() -> None:
    other = _companies_like()
    eng = SyncEngine(Settings.from_dict(BASE), state_url="sqlite://", object_types=(CONTACTS, other))
    with pytest.raises(SettingsError, match=r"not 'Account' \(companies sync is off"):
        eng.import_salesforce("Account")
    eng.close()
