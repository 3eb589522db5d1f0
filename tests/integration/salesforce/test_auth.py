"""Logins (SOAP, OAuth password / client credentials / refresh token), bearer checks and session
expiry with simple-salesforce's automatic re-login."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from simulator.clients import salesforce_client

from .sf_control import control

USER, PASSWORD = "integration@example.com", "sandbox"
KEY, SECRET = "sandbox-client", "sandbox-secret"


def test_soap_login_and_invalid_login(live) -> None:  # noqa: ANN001
    sf = salesforce_client(live.salesforce_url, username=USER, password=PASSWORD, security_token="")
    assert sf.session_id.startswith("00D") and sf.sf_instance == live.salesforce_url.split("://")[1]
    assert sf.Lead.create({"LastName": "a", "Company": "b"})["success"] is True
    with_token = salesforce_client(
        live.salesforce_url, username=USER, password=PASSWORD, security_token="sandboxtoken"
    )
    assert with_token.session_id != sf.session_id
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        salesforce_client(live.salesforce_url, username=USER, password="wrong", security_token="")
    assert info.value.code == "INVALID_LOGIN"


def test_soap_wire_format(api) -> None:  # noqa: ANN001
    envelope = (
        '<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com"><env:Header><urn:CallOptions><urn:client>x</urn:client>'
        '</urn:CallOptions></env:Header><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
        "<n1:username>{u}</n1:username><n1:password>{p}</n1:password></n1:login></env:Body></env:Envelope>"
    )
    url = f"{api.salesforce_url}/services/Soap/u/59.0"
    headers = {"Content-Type": "text/xml", "SOAPAction": "login"}
    ok = requests.post(url, data=envelope.format(u=USER, p=PASSWORD), headers=headers)
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/xml")
    assert f"<serverUrl>{api.salesforce_url}/services/Soap/u/59.0/00D" in ok.text
    assert "<sessionId>00D" in ok.text and "<userName>integration@example.com</userName>" in ok.text
    bad = requests.post(url, data=envelope.format(u=USER, p="nope"), headers=headers)
    assert bad.status_code == 500
    assert "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in bad.text
    junk = requests.post(url, data="<not-xml", headers=headers)
    assert junk.status_code == 500 and "<soapenv:Fault>" in junk.text


def test_oauth_password_and_client_credentials(live) -> None:  # noqa: ANN001
    sf = salesforce_client(
        live.salesforce_url, username=USER, password=PASSWORD, consumer_key=KEY, consumer_secret=SECRET
    )
    assert sf.Lead.create({"LastName": "a", "Company": "b"})["success"] is True
    cc = salesforce_client(
        live.salesforce_url, consumer_key=KEY, consumer_secret=SECRET, domain="hubforce-sandbox.my"
    )
    assert cc.Lead.describe()["name"] == "Lead"
    with pytest.raises(SalesforceAuthenticationFailed):
        salesforce_client(
            live.salesforce_url, username=USER, password=PASSWORD, consumer_key=KEY, consumer_secret="bad"
        )
    with pytest.raises(SalesforceAuthenticationFailed):
        salesforce_client(
            live.salesforce_url, consumer_key="other", consumer_secret=SECRET, domain="hubforce-sandbox.my"
        )


def test_oauth_wire_format_and_refresh(api) -> None:  # noqa: ANN001
    url = f"{api.salesforce_url}/services/oauth2/token"
    ok = requests.post(
        url,
        data={
            "grant_type": "password",
            "client_id": KEY,
            "client_secret": SECRET,
            "username": USER,
            "password": PASSWORD,
        },
    )
    body = ok.json()
    assert (
        ok.status_code == 200
        and body["token_type"] == "Bearer"
        and body["instance_url"] == api.salesforce_url
    )
    assert set(body) >= {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    lead = requests.get(
        f"{api.salesforce_url}/services/data/v59.0/sobjects/Lead/describe",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert lead.status_code == 200
    bad = requests.post(
        url,
        data={
            "grant_type": "password",
            "client_id": KEY,
            "client_secret": SECRET,
            "username": USER,
            "password": "x",
        },
    )
    assert bad.status_code == 400 and bad.json() == {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }
    refreshed = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": KEY,
            "client_secret": SECRET,
            "refresh_token": "sandbox-refresh-token",
        },
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != body["access_token"]
    stale = requests.post(
        url, data={"grant_type": "refresh_token", "client_id": KEY, "refresh_token": "nope"}
    )
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert requests.post(url, data={"grant_type": "magic"}).json()["error"] == "unsupported_grant_type"
    revoke = requests.post(
        f"{api.salesforce_url}/services/oauth2/revoke", data={"token": body["access_token"]}
    )
    assert revoke.status_code == 200
    again = requests.get(
        f"{api.salesforce_url}/services/data/v59.0/limits",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert again.status_code == 401


def test_missing_or_bad_session(api) -> None:  # noqa: ANN001
    url = f"{api.salesforce_url}/services/data/v59.0/sobjects/"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        resp = requests.get(url, headers=headers)
        assert resp.status_code == 401
        assert resp.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert (
        requests.get(url, headers={"X-SFDC-Session": "sandbox-session"}).status_code == 200
    )  # Bulk 1.0 style
    assert requests.get(url, headers={"Authorization": "OAuth sandbox-session"}).status_code == 200


def test_expired_session_relogin(live) -> None:  # noqa: ANN001
    sf = salesforce_client(live.salesforce_url, username=USER, password=PASSWORD, security_token="")
    rid = sf.Lead.create({"LastName": "a", "Company": "b"})["id"]
    old = sf.session_id
    assert control(live.salesforce_url, "sessions/expire", {"session": old}).json() == {"expired": 1}
    assert sf.Lead.get(rid)["Id"] == rid  # 401 INVALID_SESSION_ID -> SOAP re-login -> replay
    assert sf.session_id != old
    by_id = salesforce_client(live.salesforce_url)
    assert control(live.salesforce_url, "sessions/expire", {}).json()["expired"] >= 2
    with pytest.raises(SalesforceExpiredSession):
        by_id.Lead.get(rid)
    assert sf.Lead.get(rid)["Id"] == rid  # credentials still re-login after expiring everything


def test_soap_login_and_rest_over_tls(tmp_path) -> None:  # noqa: ANN001
    from simple_salesforce import Salesforce

    from simulator import Sandbox
    from simulator.clients import LocalHttpSession
    from simulator.core.server import serve_in_thread

    with serve_in_thread(Sandbox(seed=3), tls_dir=tmp_path) as handle:
        assert handle.tls is not None
        session = LocalHttpSession(handle.salesforce_url)  # login.salesforce.com -> the TLS fake
        session.verify = str(handle.tls.ca_cert)
        sf = Salesforce(username=USER, password=PASSWORD, security_token="", session=session)
        assert (
            sf.sf_instance == handle.salesforce_url.split("://", 1)[1]
        )  # serverUrl carried https + the fake's host
        assert sf.Lead.create({"LastName": "tls", "Company": "x"})["success"] is True


def test_soap_login_with_organization_id(live, sandbox) -> None:  # noqa: ANN001
    org = sandbox.backend("salesforce").org_id
    sf = salesforce_client(live.salesforce_url, username=USER, password=PASSWORD, organizationId=org[:15])
    assert sf.Lead.describe()["name"] == "Lead"
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        salesforce_client(
            live.salesforce_url, username=USER, password=PASSWORD, organizationId="00DHf0000000000"
        )
    assert info.value.code == "INVALID_LOGIN"
