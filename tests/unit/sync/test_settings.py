"""Settings validation: clear messages naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.mappings import SyncRule, type_mismatch
from sync.schema import build_schema
from sync.settings import CreateAs, Deletion, Settings, SettingsError

BASE = """
hubspot: {token: pat-local-sandbox}
salesforce: {url: https://x.my.salesforce.com, session_id: s}
"""


def test_minimal_defaults() -> None:
    s = Settings.from_yaml(BASE)
    assert s.integration_enabled and s.poll_interval_seconds == 900
    assert s.contacts.hubspot_creates == CreateAs.LEAD and s.contacts.deletion == Deletion.DO_NOTHING
    pairs = {(m.hubspot, m.salesforce) for m in s.contacts.mappings}
    assert ("email", "Email") in pairs and ("city", "MailingCity") in pairs  # RULE-12
    assert all(m.rule == SyncRule.PREFER_SALESFORCE for m in s.contacts.mappings)  # A4


def test_file_path(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(BASE + "contacts: {hubspot_creates: contact}\n")
    assert Settings.from_yaml(str(p)).contacts.hubspot_creates == CreateAs.CONTACT
    with pytest.raises(SettingsError, match="not found"):
        Settings.from_yaml(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("contacts: {hubspot_creates: account}", "contacts.hubspot_creates"),
        ("contacts: {deletion: maybe}", "contacts.deletion"),
        (
            "contacts: {mappings: [{hubspot: x, salesforce: Y, rule: sometimes}]}",
            r"contacts.mappings\[0\].rule",
        ),
        ("contacts: {mappings: [{hubspot: x}]}", r"contacts.mappings\[0\].salesforce"),
        (
            "contacts: {mappings: [{hubspot: x, salesforce: Email}]}",
            r"contacts.mappings\[0\].salesforce.*already mapped",
        ),
        ("api: {allocation: -5}", "api.allocation"),
        ("poll_interval_seconds: soon", "poll_interval_seconds"),
        ("colour: blue", "colour: unknown setting"),
        ("integration_enabled: 1", "integration_enabled"),
    ],
)
def test_bad_values_name_the_key(extra: str, key: str) -> None:
    with pytest.raises(SettingsError, match=key):
        Settings.from_yaml(BASE + extra)


def test_missing_credentials() -> None:
    with pytest.raises(SettingsError, match="hubspot.token"):
        Settings.from_dict({"hubspot": {}, "salesforce": {"url": "u", "session_id": "s"}})
    with pytest.raises(SettingsError, match="salesforce.url"):
        Settings.from_dict({"hubspot": {"token": "t"}, "salesforce": {"session_id": "s"}})
    with pytest.raises(SettingsError, match="salesforce"):
        Settings.from_dict({"hubspot": {"token": "t"}})
    with pytest.raises(SettingsError, match="YAML"):
        Settings.from_yaml("a: [unclosed\n")


def test_default_rule_override_and_custom_mapping() -> None:
    s = Settings.from_yaml(
        BASE + "contacts: {mappings: [{hubspot: firstname, salesforce: FirstName, rule: two_way},"
        " {hubspot: shoe_size, salesforce: Shoe_Size__c, rule: dont_sync}]}"
    )
    by = {(m.hubspot, m.salesforce): m for m in s.contacts.mappings}
    assert by[("firstname", "FirstName")].rule == SyncRule.TWO_WAY and by[("firstname", "FirstName")].default
    assert by[("shoe_size", "Shoe_Size__c")].rule == SyncRule.DONT_SYNC


@pytest.mark.catalog("RULE-6")
def test_type_compatibility_table() -> None:  # RULE-6/7
    assert type_mismatch("number", "number", "double") is None
    assert type_mismatch("number", "number", "string") == "Mismatched Types"
    assert type_mismatch("booleancheckbox", "bool", "boolean") is None
    assert type_mismatch("checkbox", "enumeration", "multipicklist") is None
    assert type_mismatch("date", "date", "datetime") is None
    assert type_mismatch("textarea", "string", "string") == "Mismatched Types"


def _schema_inputs() -> tuple[list[dict[str, object]], dict[str, dict[str, object]]]:
    props = [
        {"name": "email", "type": "string", "fieldType": "text"},
        {"name": "numemployees", "type": "number", "fieldType": "number"},
        {"name": "shoe_size", "type": "number", "fieldType": "number"},
    ]
    fields = [
        {"name": "Email", "type": "email", "updateable": True},
        {"name": "Title", "type": "string"},
        {"name": "NumberOfEmployees", "type": "int"},
        {"name": "Note__c", "type": "string"},
    ]
    return props, {"Lead": {"fields": fields}, "Contact": {"fields": fields[:2]}}


def test_schema_missing_field_and_mismatch() -> None:
    props, describes = _schema_inputs()
    ok = build_schema(Settings.from_yaml(BASE).contacts.mappings, props, describes)
    assert [a.mapping.salesforce for a in ok.active["Lead"]] == ["Email", "NumberOfEmployees"]
    assert [a.mapping.salesforce for a in ok.active["Contact"]] == ["Email"]  # RULE-14: per object
    assert any("firstname" in d for d in ok.inactive_defaults)
    bad = Settings.from_yaml(BASE + "contacts: {mappings: [{hubspot: shoe_size, salesforce: Shoe__c}]}")
    with pytest.raises(SettingsError, match=r"mappings\[\d+\].salesforce: Salesforce field 'Shoe__c'"):
        build_schema(bad.contacts.mappings, props, describes)
    bad = Settings.from_yaml(BASE + "contacts: {mappings: [{hubspot: nope, salesforce: Note__c}]}")
    with pytest.raises(SettingsError, match="property 'nope' does not exist"):
        build_schema(bad.contacts.mappings, props, describes)
    bad = Settings.from_yaml(BASE + "contacts: {mappings: [{hubspot: shoe_size, salesforce: Note__c}]}")
    with pytest.raises(SettingsError, match="Mismatched Types"):
        build_schema(bad.contacts.mappings, props, describes)


def test_enumeration_options_translate_by_value_or_label() -> None:
    props = [
        {"name": "email", "type": "string", "fieldType": "text"},
        {
            "name": "hs_lead_status",
            "type": "enumeration",
            "fieldType": "select",
            "options": [{"value": "NEW", "label": "New"}, {"value": "OPEN", "label": "Open"}],
        },
    ]
    fields = [
        {"name": "Email", "type": "email"},
        {
            "name": "Status",
            "type": "picklist",
            "picklistValues": [{"value": "New", "label": "New"}, {"value": "Working", "label": "Working"}],
        },
    ]
    schema = build_schema(Settings.from_yaml(BASE).contacts.mappings, props, {"Lead": {"fields": fields}})
    (status,) = [a for a in schema.active["Lead"] if a.mapping.salesforce == "Status"]
    assert status.hs_to_sf("NEW") == "New"  # matched through the HubSpot label
    assert status.hs_to_sf("OPEN") == "OPEN"  # no Salesforce value: passed through (Salesforce decides)
    assert status.sf_to_hs("New") == "NEW"
    with pytest.raises(KeyError):
        status.sf_to_hs("Working")


def test_example_settings_file_is_valid() -> None:
    s = Settings.from_yaml(str(Path(__file__).parents[3] / "sync" / "example-settings.yaml"))
    assert s.salesforce.session_id == "sandbox-session" and s.poll_interval_seconds == 900
