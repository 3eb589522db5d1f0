"""Issue 17 bug 1: every failure requests/urllib3/http.client/the socket raise without an HTTP answer
is one kind of failure in RetryingHttp: retried when the call is idempotent, otherwise an
"unknown outcome" TransientError the engine reconciles; never an exception of its own."""

from __future__ import annotations

import pytest
import requests
import responses

from hubforce.testing.transport_faults import TRANSPORT_FAILURES
from sync.clients.http import RETRY_AFTER_MAX, RetryingHttp
from sync.errors import SyncHttpError, TransientError

URL = "https://api.example.test/crm/v3/objects/contacts/batch/read"

# One of each class a call can fail with before a complete answer arrives (the same list the state
# machine injects at any call of any engine action).
NAMES = sorted(TRANSPORT_FAILURES)


class _Rec:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.ledger: list[int] = []
        self.notices: list[str] = []


def _client(rec: _Rec, **kw: object) -> RetryingHttp:
    return RetryingHttp(
        sleep=rec.sleeps.append,
        ledger=lambda *row: rec.ledger.append(int(row[3])),  # type: ignore[arg-type]
        on_wait=lambda msg, _s: rec.notices.append(msg),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("name", NAMES)
@responses.activate
def test_idempotent_call_is_retried_after_any_transport_failure(name: str) -> None:
    exc = TRANSPORT_FAILURES[name]()
    responses.post(URL, body=exc)  # type: ignore[arg-type]
    responses.post(URL, json={"results": []}, status=200)
    rec = _Rec()
    resp = _client(rec).send("POST", URL, json={"inputs": []})
    assert resp.status_code == 200
    assert rec.ledger == [0, 200]  # the failed attempt is counted (LIM-1 counts attempts)
    assert rec.sleeps == [1.0]
    assert len(rec.notices) == 1 and "no answer" in rec.notices[0] and "waiting 1 s" in rec.notices[0]


@pytest.mark.parametrize("name", NAMES)
@responses.activate
def test_non_idempotent_call_surfaces_unknown_outcome(name: str) -> None:
    exc = TRANSPORT_FAILURES[name]()
    responses.post(URL, body=exc)  # type: ignore[arg-type]
    rec = _Rec()
    with pytest.raises(TransientError) as info:
        _client(rec, fail_fast_connect=True).send("POST", URL, idempotent=False, json={})
    assert info.value.status == 0 and info.value.code == "CONNECTION"
    assert "\n" not in str(info.value)
    assert len(responses.calls) == 1 and rec.sleeps == []  # not re-sent blindly: the caller reconciles


@pytest.mark.parametrize("name", NAMES)
@responses.activate
def test_retries_exhausted_is_a_transient_error(name: str) -> None:
    exc = TRANSPORT_FAILURES[name]()
    responses.post(URL, body=exc)  # type: ignore[arg-type]
    rec = _Rec()
    with pytest.raises(TransientError):
        _client(rec, max_retries=2).send("POST", URL, json={})
    assert len(responses.calls) == 3 and rec.sleeps == [1.0, 2.0]


@responses.activate
def test_backoff_is_capped_and_retry_after_honoured_and_announced() -> None:
    for _ in range(6):
        responses.get(URL, status=429, json={"message": "slow down"})
    responses.get(URL, status=503, headers={"Retry-After": "7"}, body="")
    responses.get(URL, json={}, status=200)
    rec = _Rec()
    assert _client(rec, max_retries=8, backoff_max=10.0).send("GET", URL).status_code == 200
    assert rec.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 7.0]
    assert "HTTP 429; waiting 10 s before retry 5 of 8" in rec.notices[4]
    assert rec.notices[6].endswith("HTTP 503; waiting 7 s (Retry-After) before retry 7 of 8")


@responses.activate
def test_a_very_long_retry_after_ends_the_call_instead_of_blocking_the_cycle() -> None:
    responses.get(URL, status=429, headers={"Retry-After": str(int(RETRY_AFTER_MAX) + 1)}, body="")
    rec = _Rec()
    with pytest.raises(TransientError, match="Retry-After"):
        _client(rec).send("GET", URL)
    assert rec.sleeps == []


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError("Could not find a suitable TLS CA certificate bundle, invalid path: ca.pem"), "CA bundle ca.pem does not exist"),
        (
            requests.exceptions.SSLError(
                "HTTPSConnectionPool(host='127.0.0.1', port=8102): Max retries exceeded with url: /x (Caused by"
                " SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:"
                " self-signed certificate in certificate chain (_ssl.c:1000)')))"
            ),
            "not trusted (self-signed certificate in certificate chain)",
        ),
    ],
)
@responses.activate
def test_ca_problems_fail_at_once_with_one_line_naming_the_fix(exc: BaseException, words: str) -> None:
    responses.get(URL, body=exc)  # type: ignore[arg-type]
    with pytest.raises(TransientError) as info:
        _client(_Rec(), fail_fast_connect=True).send("GET", URL)
    msg = str(info.value)
    assert words in msg and "REQUESTS_CA_BUNDLE" in msg and "\n" not in msg
    assert msg.endswith("prints it)") or msg.endswith("unset it")  # never cut mid-word
    assert len(responses.calls) == 1


def test_a_malformed_url_is_not_retried() -> None:
    rec = _Rec()
    with pytest.raises(SyncHttpError) as info:
        _client(rec).send("GET", "http://127.0.0.1:99999/x")
    assert info.value.code == "URL" and rec.sleeps == [] and "\n" not in str(info.value)
