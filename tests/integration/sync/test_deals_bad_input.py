"""Bad deal settings stop the engine with one error naming the key, and nothing is written (no
"Salesforce - ..." pipeline is created before every section is known good)."""

from __future__ import annotations

from typing import Any

import pytest

from sync.settings import SettingsError
from tests.integration.sync.harness import Env


def _pipelines(env: Env) -> list[str]:
    return sorted(p["label"] for p in env.hs("GET", "/crm/v3/pipelines/deals")["results"])


@pytest.mark.catalog("DEAL-4")
@pytest.mark.parametrize(
    ("deals", "message"),
    [
        ({"pipelines": ["Retail"]}, "deals.pipelines[0]: no Opportunity record type or Salesforce pipeline named 'Retail'"),
        ({"mappings": [{"hubspot": "amount", "salesforce": "NextStep"}]}, "deals.mappings[0]: Mismatched Types"),
        ({"mappings": [{"hubspot": "no_such_property", "salesforce": "NextStep"}]}, "HubSpot deal property 'no_such_property' does not exist"),
    ],
)
def test_bad_deal_settings_name_the_key_and_write_nothing(env: Env, deals: dict[str, Any], message: str) -> None:
    engine = env.engine(env.settings(_top={"deals": {"enabled": True, **deals}}))
    with pytest.raises(SettingsError) as info:
        engine.validate()
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert _pipelines(env) == ["Sales Pipeline"]
    report = engine.run_cycle()
    assert report.stopped and message in report.stopped
    assert _pipelines(env) == ["Sales Pipeline"]
    assert not [e for e in env.journal("hubspot") if e["method"] in ("POST", "PATCH", "PUT", "DELETE") and "/search" not in e["path"]]


@pytest.mark.catalog("DEAL-4")
def test_good_settings_create_the_pipeline_once(env: Env) -> None:
    engine = env.engine(env.settings(_top={"deals": {"enabled": True, "pipelines": ["Salesforce - Default pipeline"]}}))
    engine.validate()
    engine.run_cycle()
    assert _pipelines(env) == ["Sales Pipeline", "Salesforce - Default pipeline"]
    stages = next(p for p in env.hs("GET", "/crm/v3/pipelines/deals")["results"] if p["label"].startswith("Salesforce"))["stages"]
    assert [s["label"] for s in stages][:2] == ["Prospecting", "Qualification"]
    assert {s["label"]: s["metadata"]["probability"] for s in stages}["Closed Won"] == "1.0"
