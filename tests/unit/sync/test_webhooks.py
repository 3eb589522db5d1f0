"""Webhook receiver, pure parts: signatures (checked against the official SDK's own signer),
event parsing, and what gets queued."""

from __future__ import annotations

import hashlib
import json

import pytest
from hubspot.utils.signature import Signature

from sync.settings import Settings, SettingsError, WebhookSettings
from sync.webhooks import (
    LinkView,
    WebhookRejected,
    already_captured,
    check_signature,
    is_echo,
    parse_events,
    plan,
    wanted_subscriptions,
)

SECRET = "app-secret"
URL = "https://hooks.example.com/hubspot/webhooks"
NOW = 1_767_225_600_000  # ms
BODY = b'[{"objectId":101,"subscriptionType":"contact.creation","occurredAt":1767225599000}]'


def cfg(**kw: object) -> WebhookSettings:
    return WebhookSettings(client_secret=SECRET, **kw)  # type: ignore[arg-type]


def v3_headers(body: bytes = BODY, url: str = URL, stamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    sig = Signature.get_signature(secret, body.decode(), "v3", url, "POST", str(stamp))
    return {"X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": str(stamp)}


def test_v3_signed_by_the_official_sdk_is_accepted() -> None:
    check_signature(cfg(), "POST", URL, v3_headers(), BODY, NOW)


@pytest.mark.parametrize(
    ("headers", "body", "match"),
    [
        (v3_headers(secret="other"), BODY, "Signature-v3 does not match"),
        (v3_headers(), BODY.replace(b"101", b"102"), "Signature-v3 does not match"),  # tampered body
        (v3_headers(url=URL + "x"), BODY, "Signature-v3 does not match"),
        (v3_headers(stamp=NOW - 301_000), BODY, "more than 300 s from now"),  # replay
        ({"X-HubSpot-Signature-v3": "abc"}, BODY, "Timestamp is missing"),
        ({}, BODY, "Signature-v3 header is missing"),
    ],
)
def test_v3_rejections_say_why(headers: dict[str, str], body: bytes, match: str) -> None:
    with pytest.raises(WebhookRejected, match=match) as exc:
        check_signature(cfg(), "POST", URL, headers, body, NOW)
    assert exc.value.status == 401


def test_v3_public_url_is_what_hubspot_signed() -> None:
    # Behind a proxy the receiver sees another URL; public_url is the one HubSpot posted to.
    check_signature(
        cfg(public_url=URL), "POST", "http://10.0.0.5:8190/hubspot/webhooks", v3_headers(), BODY, NOW
    )
    with pytest.raises(WebhookRejected):
        check_signature(cfg(), "POST", "http://10.0.0.5:8190/hubspot/webhooks", v3_headers(), BODY, NOW)


def test_v3_uri_with_encoded_characters_accepts_the_decoded_form() -> None:
    url = URL + "?tag=a%3Ab"
    decoded = URL + "?tag=a:b"
    check_signature(cfg(), "POST", url, v3_headers(url=decoded), BODY, NOW)
    check_signature(cfg(), "POST", url, v3_headers(url=url), BODY, NOW)


def test_v1_and_v2_only_when_any_is_allowed() -> None:
    v1 = {"X-HubSpot-Signature": hashlib.sha256(f"{SECRET}{BODY.decode()}".encode()).hexdigest()}
    assert Signature.is_valid(v1["X-HubSpot-Signature"], SECRET, BODY.decode(), signature_version="v1")
    with pytest.raises(WebhookRejected, match="v3 is required"):
        check_signature(cfg(), "POST", URL, v1, BODY, NOW)
    check_signature(cfg(signature="any"), "POST", URL, v1, BODY, NOW)
    v2 = {
        "X-HubSpot-Signature-Version": "v2",
        "X-HubSpot-Signature": Signature.get_signature(SECRET, BODY.decode(), "v2", URL, "POST"),
    }
    check_signature(cfg(signature="any"), "POST", URL, v2, BODY, NOW)
    with pytest.raises(WebhookRejected, match=r"\(v1\) does not match"):
        check_signature(cfg(signature="any"), "POST", URL, {"X-HubSpot-Signature": "00"}, BODY, NOW)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"objectId": 1}', "must be a JSON array"),
        (b"[1]", r"event \[0\] is not an object"),
        (b'[{"objectId": 1}]', "no subscriptionType"),
        (b'[{"subscriptionType": "contact.creation"}]', "no objectId"),
        (b'[{"subscriptionType": "contact.creation", "objectId": true}]', "no objectId"),
        (
            b'[{"subscriptionType": "contact.creation", "objectId": 1, "occurredAt": "x"}]',
            "epoch milliseconds",
        ),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_malformed_bodies_get_400_with_the_reason(body: bytes, match: str) -> None:
    with pytest.raises(WebhookRejected, match=match) as exc:
        parse_events(body)
    assert exc.value.status == 400


def ev(kind: str, oid: int, at: int, **kw: object) -> dict[str, object]:
    return {"subscriptionType": kind, "objectId": oid, "occurredAt": at, **kw}


def test_plan_one_item_per_record_creation_kept_and_other_objects_ignored() -> None:
    p = plan(
        [
            ev("contact.creation", 1, 10),
            ev("contact.propertyChange", 1, 11, propertyName="email", propertyValue="a@x.com"),
            ev("contact.propertyChange", 2, 12, propertyName="firstname"),
            ev("company.creation", 9, 13),
            ev("contact.associationChange", 2, 14),
            ev("contact.merge", 3, 15, primaryObjectId=3, mergedObjectIds=[4, 5]),
            ev("contact.merge", 6, 16, primaryObjectId=6, mergedObjectIds=[7], newObjectId=8),
        ]
    )
    assert p.items == {
        "1": ("TRG-7 new HubSpot contact (webhook)", 11),
        "2": ("TRG-2 HubSpot change (webhook)", 12),
        "3": ("TRG-2 HubSpot change (webhook: merged)", 15),
        "4": ("TRG-2 HubSpot change (webhook: merged)", 15),
        "5": ("TRG-2 HubSpot change (webhook: merged)", 15),
        "6": ("TRG-2 HubSpot change (webhook: merged)", 16),
        "7": ("TRG-2 HubSpot change (webhook: merged)", 16),
        "8": ("TRG-2 HubSpot change (webhook: merged)", 16),  # the record the merge created
    }
    assert p.ignored == 2


def test_already_captured_only_when_the_read_version_is_at_or_after_the_event() -> None:
    assert already_captured(1000, "1000")
    assert already_captured(1000, "1500")
    assert not already_captured(1000, "999")
    assert not already_captured(1000, None)
    assert not already_captured(0, "1500")  # no occurredAt: cannot tell, queue it
    assert not already_captured(1000, "2026-01-01T00:00:00Z")


def test_wanted_subscriptions_cover_lifecycle_and_each_property_once() -> None:
    subs = wanted_subscriptions(["email", "firstname", "email", "lastmodifieddate", "createdate"])
    assert ("contact.creation", None) in subs and ("contact.deletion", None) in subs
    assert [p for e, p in subs if e == "contact.propertyChange"] == ["email", "firstname"]


def base(**hooks: object) -> dict[str, object]:
    return {
        "hubspot": {"token": "t", "webhooks": hooks},
        "salesforce": {"url": "http://sf", "session_id": "s"},
    }


@pytest.mark.parametrize(
    ("hooks", "match"),
    [
        ({}, "client_secret: required"),
        ({"client_secret": "s", "listen": "8190"}, "expected host:port"),
        ({"client_secret": "s", "listen": "h:99999"}, "expected host:port"),
        ({"client_secret": "s", "path": "hooks"}, "must start with /"),
        ({"client_secret": "s", "signature": "v2"}, "not one of: v3, any"),
        ({"client_secret": "s", "public_url": "ftp://x"}, "http\\(s\\) URL"),
        ({"client_secret": "s", "drain_interval_seconds": 0}, "must be > 0"),
        ({"client_secret": "s", "secret": "x"}, "hubspot.webhooks.secret: unknown setting"),
    ],
)
def test_webhook_settings_errors_name_the_key(hooks: dict[str, object], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_dict(base(**hooks))


def test_webhook_settings_defaults() -> None:
    w = Settings.from_dict(base(client_secret="s")).hubspot.webhooks
    assert w is not None
    assert (w.host, w.port, w.path, w.signature, w.max_age_seconds) == (
        "127.0.0.1",
        8190,
        "/hubspot/webhooks",
        "v3",
        300,
    )
    assert json.dumps(w.drain_interval_seconds) == "5.0"


def test_is_echo_drops_only_what_the_sync_already_holds() -> None:
    link = LinkView(
        "00Q000000000001AAA", {"firstname|FirstName": "Ada", "jobtitle|Title": {"hs": "x", "sf": "y"}}
    )
    change = {"subscriptionType": "contact.propertyChange", "objectId": 7}
    assert is_echo({**change, "propertyName": "firstname", "propertyValue": "Ada"}, link)
    assert not is_echo({**change, "propertyName": "firstname", "propertyValue": "Eve"}, link)
    assert is_echo({**change, "propertyName": "jobtitle", "propertyValue": "x"}, link)  # the HubSpot side
    assert not is_echo(
        {**change, "propertyName": "lifecyclestage", "propertyValue": "lead"}, link
    )  # unmapped
    assert is_echo(
        {**change, "propertyName": "salesforceleadid", "propertyValue": "00Q000000000001AAA"}, link
    )
    assert not is_echo(
        {**change, "propertyName": "salesforceleadid", "propertyValue": "00Q000000000002AAA"}, link
    )
    assert is_echo({"subscriptionType": "contact.creation", "objectId": 7}, link)
    assert not is_echo({"subscriptionType": "contact.creation", "objectId": 7}, None)
    assert not is_echo({"subscriptionType": "contact.deletion", "objectId": 7}, link)
    # before any link exists: what the engine noted it is writing
    expected = {("7", "salesforceleadid"): "00Q000000000001AAA"}
    assert is_echo(
        {**change, "propertyName": "salesforceleadid", "propertyValue": "00Q000000000001AAA"}, None, expected
    )
    assert not is_echo(
        {**change, "propertyName": "salesforceleadid", "propertyValue": "other"}, None, expected
    )


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # issue 17 bug 10: RecursionError in json.loads
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'[{"objectId":1,"subscriptionType":"contact.merge","mergedObjectIds":5}]',
    ],
    ids=["nested-arrays", "nested-objects", "merge-ids-not-a-list"],
)
def test_any_body_the_receiver_cannot_use_is_a_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as exc:
        parse_events(body)
    assert exc.value.status == 400 and "\n" not in exc.value.message
