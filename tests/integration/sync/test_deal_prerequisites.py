"""DEAL-1: the prerequisites of deal sync as the engine sees them over both fakes: the integration
user's permissions (UserPermissionAccess) refuse it, company sync off and a missing account import
are one-line warnings in the cycle report."""

from __future__ import annotations

from typing import Any

import pytest

from sync.engine import SyncEngine
from sync.settings import SettingsError
from tests.integration.sync.harness import Env


def deal_engine(env: Env, companies: bool) -> SyncEngine:
    top: dict[str, Any] = {"deals": {"enabled": True}, "companies": {"enabled": companies}}
    return env.engine(env.settings(_top=top))


def pipelines(env: Env) -> list[str]:
    return [str(p["label"]) for p in env.hs("GET", "/crm/v3/pipelines/deals")["results"]]


@pytest.mark.catalog("DEAL-1")
def test_company_sync_off_is_a_warning_not_a_refusal(env: Env) -> None:
    report = deal_engine(env, companies=False).run_cycle()
    assert report.stopped is None
    assert any("company sync is off" in w and "DEAL-2" in w for w in report.warnings), report.warnings
    assert not any("account import" in w for w in report.warnings)


@pytest.mark.catalog("DEAL-1")
def test_no_account_import_is_a_warning_until_one_finishes(env: Env) -> None:
    eng = deal_engine(env, companies=True)
    first = eng.run_cycle()
    assert first.stopped is None
    assert [w for w in first.warnings if "account import" in w and "DEAL-1" in w], first.warnings
    eng.import_salesforce("Account")
    env.advance(60)
    assert eng.run_cycle().warnings == []


@pytest.mark.catalog("DEAL-1")
def test_neither_permission_refuses_deal_sync_with_nothing_written(env: Env) -> None:
    env.control(
        "POST",
        "/_hubforce/salesforce/user-permissions",
        {"PermissionsModifyAllData": False, "PermissionsModifyMetadata": False},
    )
    before = pipelines(env)
    with pytest.raises(SettingsError, match=r"DEAL-1.*Modify All Data.*PermissionsModifyMetadata"):
        deal_engine(env, companies=True).validate()
    assert pipelines(env) == before  # no "Salesforce - ..." pipeline was created
    env.control("POST", "/_hubforce/salesforce/user-permissions", {"PermissionsModifyAllData": True})
    deal_engine(env, companies=True).validate()
    assert "Salesforce - Default pipeline" in pipelines(env)


def test_an_unknown_permission_is_a_clear_400(env: Env) -> None:
    r = env.http.post(f"{env.hs_url}/_hubforce/salesforce/user-permissions", json={"PermissionsFly": True})
    assert r.status_code == 400
    assert "PermissionsFly" in r.text
