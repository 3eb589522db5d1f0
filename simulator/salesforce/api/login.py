"""Logins (public routes, not counted against the API limit):

* SOAP partner `login()` at `POST /services/Soap/u/{version}`: the envelope simple-salesforce sends
  for username/password(+security token) logins; answers the real loginResponse XML or a SOAP
  fault (`INVALID_LOGIN`, HTTP 500 as the real SOAP API does).
* OAuth 2.0 token endpoint `POST /services/oauth2/token`: `password`, `client_credentials` (Basic
  auth or form credentials) and `refresh_token` grants; `POST /services/oauth2/revoke`.

The instance URL handed back is the request's own scheme and host, except on the real login hosts
(in-process transport), where it is the fake instance's URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from flask import Response

from simulator.core.inprocess import SALESFORCE_URL
from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce.models import SalesforceBackend

CONSUMER_KEY = "sandbox-client"
CONSUMER_SECRET = "sandbox-secret"
LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
ORG_NAME = "Hubforce Sandbox"
SESSION_SECONDS = 7200
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def instance_url(ctx: Ctx) -> str:
    host = ctx.request.host
    if host.split(":")[0].lower() in LOGIN_HOSTS:
        return SALESFORCE_URL
    return f"{ctx.request.scheme}://{host}"


# --- SOAP ----------------------------------------------------------------------------------------------
def _xml(body: str, status: int = 200) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>' + body,
        status=status,
        mimetype="text/xml",
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )


def soap_fault(code: str, message: str, fault_type: str = "LoginFault") -> Response:
    return _xml(
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        f'<detail><sf:{fault_type} xsi:type="sf:{fault_type}"><sf:exceptionCode>{code}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:{fault_type}></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        500,
    )


def _soap_fields(raw: bytes) -> dict[str, str]:
    """username / password / organizationId from the envelope, namespace-agnostic."""
    root = ET.fromstring(raw)
    out: dict[str, str] = {}
    for el in root.iter():
        local = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if local in ("username", "password", "organizationId") and local not in out:
            out[local] = (el.text or "").strip() if local != "password" else (el.text or "")
    return out


def soap_login(ctx: Ctx, version: str) -> Response:
    backend: SalesforceBackend = ctx.backend
    try:
        fields = _soap_fields(ctx.request.get_data(cache=True))
    except ET.ParseError as exc:
        return soap_fault("INVALID_XML", f"Malformed login request: {exc}", "UnexpectedErrorFault")
    if "username" not in fields:
        return soap_fault("INVALID_LOGIN", INVALID_LOGIN)
    uid = backend.check_password(fields["username"], fields.get("password", ""))
    org = fields.get("organizationId")
    if org and org[:15] != backend.org_id[:15]:
        uid = None
    if uid is None:
        return soap_fault("INVALID_LOGIN", INVALID_LOGIN)
    token = backend.issue_session(uid, "soap")
    user = backend.records["User"][uid]
    base = instance_url(ctx)
    org_id = backend.org_id
    return _xml(
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{base}/services/Soap/m/{version}/{org_id[:15]}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{base}/services/Soap/u/{version}/{org_id[:15]}</serverUrl>"
        f"<sessionId>{escape(token)}</sessionId><userId>{uid}</userId><userInfo>"
        "<accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal>"
        "<currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>"
        "<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale>"
        "<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts>"
        f"<organizationId>{org_id}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency>"
        f"<organizationName>{ORG_NAME}</organizationName><profileId>00eHf0000000001AAA</profileId>"
        f'<roleId xsi:nil="true"/><sessionSecondsValid>{SESSION_SECONDS}</sessionSecondsValid>'
        '<userDefaultCurrencyIsoCode xsi:nil="true"/>'
        f"<userEmail>{escape(user.get('Email') or '')}</userEmail><userFullName>{escape(user.get('Name') or '')}</userFullName>"
        f"<userId>{uid}</userId><userLanguage>{user.get('LanguageLocaleKey')}</userLanguage>"
        f"<userLocale>{user.get('LocaleSidKey')}</userLocale><userName>{escape(user.get('Username') or '')}</userName>"
        f"<userTimeZone>{user.get('TimeZoneSidKey')}</userTimeZone><userType>Standard</userType>"
        "<userUiSkin>Theme3</userUiSkin></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


# --- OAuth 2.0 -----------------------------------------------------------------------------------------
def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _client(ctx: Ctx) -> tuple[str, str]:
    form = ctx.request.form
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = ctx.request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = client_id or basic_id, secret or basic_secret
    return client_id, secret


def _token_response(ctx: Ctx, backend: SalesforceBackend, uid: str, refresh: bool) -> Response:
    token = backend.issue_session(uid, "oauth")
    issued_at = str(backend.sandbox.clock.now_ms())
    ident = f"https://login.salesforce.com/id/{backend.org_id}/{uid}"
    signature = base64.b64encode(
        hmac.new(CONSUMER_SECRET.encode(), (ident + issued_at).encode(), hashlib.sha256).digest()
    ).decode()
    body: dict[str, Any] = {
        "access_token": token,
        "instance_url": instance_url(ctx),
        "id": ident,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": signature,
    }
    if refresh:
        body["refresh_token"] = backend.issue_refresh_token(uid)
    body["scope"] = "api refresh_token" if refresh else "api"
    return json_response(body)


def oauth_token(ctx: Ctx) -> Response:
    backend: SalesforceBackend = ctx.backend
    form = ctx.request.form
    grant = form.get("grant_type", "")
    if grant not in ("password", "client_credentials", "refresh_token"):
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    client_id, secret = _client(ctx)
    if client_id != CONSUMER_KEY:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if grant == "password":
        if secret != CONSUMER_SECRET:
            return _oauth_error("invalid_client", "invalid client credentials")
        uid = backend.check_password(form.get("username", ""), form.get("password", ""))
        if uid is None:
            return _oauth_error("invalid_grant", "authentication failure")
        return _token_response(ctx, backend, uid, refresh=False)
    if grant == "client_credentials":
        if secret != CONSUMER_SECRET:
            return _oauth_error("invalid_client", "invalid client credentials")
        return _token_response(ctx, backend, backend.integration_user_id, refresh=False)
    uid = backend.refresh_tokens.get(form.get("refresh_token", ""))
    if uid is None:
        return _oauth_error("invalid_grant", "expired access/refresh token")
    if secret and secret != CONSUMER_SECRET:
        return _oauth_error("invalid_client", "invalid client credentials")
    return _token_response(ctx, backend, uid, refresh=False)


def oauth_revoke(ctx: Ctx) -> Response:
    backend: SalesforceBackend = ctx.backend
    token = ctx.request.values.get("token", "")
    if backend.expire_sessions(token) == 0 and backend.refresh_tokens.pop(token, None) is None:
        return _oauth_error("unsupported_token_type", "this token type is not supported")
    return Response(status=200)


ROUTES: list[Route] = [
    Route("/services/Soap/u/<version>", ("POST",), soap_login, public=True),
    Route("/services/oauth2/token", ("POST",), oauth_token, public=True),
    Route("/services/oauth2/revoke", ("POST",), oauth_revoke, public=True),
]
