"""What the sync state machine starts from: the fields it varies, the faults it injects, the
settings it draws or loads, and the records of what it observed and expects."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from hypothesis import strategies as st

from hubforce.testing.model import (
    Config,
    LinkState,
    Pair,
    Record,
)
from sync.mappings import SyncRule

if TYPE_CHECKING:
    from hubforce.testing.machine import SyncMachine


# HubSpot property -> Salesforce field, plain text on both Lead and Contact: the fields the machine
# edits and checks (other mapped fields sync too, they are just not varied).
FIELD_CANDIDATES: dict[str, str] = {
    "firstname": "FirstName",
    "jobtitle": "Title",
    "phone": "Phone",
    "fax": "Fax",
}
DEFAULT_RULES: dict[str, SyncRule] = {
    "firstname": SyncRule.TWO_WAY,
    "jobtitle": SyncRule.PREFER_SALESFORCE,
    "phone": SyncRule.ALWAYS_SALESFORCE,
    "fax": SyncRule.DONT_SYNC,
}
VALUES: tuple[str, ...] = ("101", "202", "303")  # few values, so both sides often collide
VALUE = st.one_of(st.none(), st.sampled_from(VALUES))
LIST_NAME = "Sync to Salesforce"
IN_LIST, OUT_OF_LIST = "marketingqualifiedlead", "lead"  # lifecyclestage values
POLL = 900
RETRY_AFTER = 1201  # just past the default 20-minute retry interval (ERR-7)
DRAIN_INTERVAL = 5  # sync run drains the webhook queue this often between poll ticks
SETTLE_CYCLES = 12
DEFAULT_DAILY_LIMIT = 15000

FAULTS: dict[str, dict[str, Any]] = {
    "hubspot_429_burst": {"service": "hubspot", "method": "POST", "path": r".*/search$", "status": 429},
    "hubspot_5xx": {"service": "hubspot", "path": r"/crm/v3/objects/contacts.*", "status": 502},
    "hubspot_write_drop": {
        "service": "hubspot",
        "method": "POST",
        "path": r".*/batch/(update|upsert|create)$",
        "action": "drop",
    },
    "hubspot_timeout": {"service": "hubspot", "path": r"/crm/v3/.*", "action": "timeout"},
    "hubspot_daily_429": {
        "service": "hubspot",
        "path": r"/crm/v3/.*",
        "status": 429,
        "body": {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "DAILY",
        },
    },
    "salesforce_query_503": {"service": "salesforce", "method": "GET", "path": r".*/query.*", "status": 503},
    "salesforce_write_timeout": {
        "service": "salesforce",
        "method": "(POST|PATCH)",
        "path": r".*/composite/sobjects.*",
        "action": "timeout",
    },
    "salesforce_drop": {"service": "salesforce", "path": r".*/services/data/.*", "action": "drop"},
    "salesforce_500_sometimes": {
        "service": "salesforce",
        "path": r".*/services/data/.*",
        "status": 500,
        "probability": 0.3,
    },
}

START_ARGS: dict[str, st.SearchStrategy[Any]] = {
    "rules": st.fixed_dictionaries({k: st.sampled_from(list(SyncRule)) for k in FIELD_CANDIDATES}),
    "list_enabled": st.booleans(),
    "creates": st.sampled_from(["Lead", "Contact"]),
    "from_leads": st.booleans(),
    "delete_on_sf_delete": st.booleans(),
    "population": st.lists(
        st.tuples(
            st.sampled_from(["hubspot", "salesforce", "both", "none"]),
            st.lists(VALUE, min_size=4, max_size=4),
            st.lists(VALUE, min_size=4, max_size=4),
            st.booleans(),
        ),
        min_size=3,
        max_size=3,
    ),
}


QuietInvariant = Callable[["SyncMachine"], None]
T = TypeVar("T")


@dataclass
class Observed:
    """Both fakes as a person sees them, by email."""

    hs: dict[str, list[Record]] = field(default_factory=dict)
    hs_list: dict[str, bool] = field(default_factory=dict)
    sf: dict[str, list[Record]] = field(default_factory=dict)  # unconverted leads and contacts


@dataclass
class Expectation:
    hs: bool
    sf: bool
    outcomes: dict[str, list[Pair]]
    link: LinkState
    first: bool = False
    sf_object: str | None = None
    in_list: bool | None = None
    why: str = ""


def load_settings(path: str | Path | None) -> dict[str, Any] | None:
    """A user's settings file (connections are ignored: the machine points the engine at the fakes)."""
    if path is None:
        return None
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for key in ("hubspot", "salesforce", "state_url"):
        data.pop(key, None)
    return data


def config_from_settings(data: dict[str, Any]) -> Config:
    contacts = data.get("contacts") or {}
    rules: dict[str, SyncRule] = {}
    sf_fields: dict[str, str] = {}
    for m in contacts.get("mappings") or []:
        hs, sf = m.get("hubspot"), m.get("salesforce")
        if FIELD_CANDIDATES.get(hs) == sf:
            rules[hs] = SyncRule(str(m.get("rule", SyncRule.PREFER_SALESFORCE.value)).lower())
            sf_fields[hs] = sf
    if not rules:  # the settings map none of them specially: vary them under their defaults (RULE-12)
        rules = {"firstname": SyncRule.PREFER_SALESFORCE, "jobtitle": SyncRule.PREFER_SALESFORCE}
        sf_fields = {k: FIELD_CANDIDATES[k] for k in rules}
    return Config(
        rules=rules,
        sf_fields=sf_fields,
        list_enabled=bool(contacts.get("inclusion_list")),
        creates="Contact" if str(contacts.get("hubspot_creates", "lead")).lower() == "contact" else "Lead",
        from_leads=str(contacts.get("from_salesforce_leads", "create_or_update")) == "create_or_update",
        from_contacts=str(contacts.get("from_salesforce_contacts", "create_or_update")) == "create_or_update",
        delete_on_sf_delete=str(contacts.get("deletion", "do_nothing")) == "delete",
    )


def settings_for(cfg: Config, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine settings for a model config (keeping whatever else a user's file says)."""
    data = copy.deepcopy(base) if base else {}
    contacts = data.setdefault("contacts", {})
    if cfg.list_enabled:
        contacts["inclusion_list"] = contacts.get("inclusion_list") or LIST_NAME
    contacts["hubspot_creates"] = cfg.creates.lower()
    contacts["from_salesforce_leads"] = "create_or_update" if cfg.from_leads else "do_nothing"
    contacts["from_salesforce_contacts"] = "create_or_update" if cfg.from_contacts else "do_nothing"
    contacts["deletion"] = "delete" if cfg.delete_on_sf_delete else "do_nothing"
    others = [m for m in contacts.get("mappings") or [] if m.get("hubspot") not in cfg.rules]
    contacts["mappings"] = others + [
        {"hubspot": hs, "salesforce": cfg.sf_fields[hs], "rule": rule.value} for hs, rule in cfg.rules.items()
    ]
    return data
