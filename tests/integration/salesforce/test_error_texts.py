"""Error texts in the real APIs' words (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

SESSION = {"Authorization": "Bearer sandbox-session", "Content-Type": "application/json"}
V = "/services/data/v59.0"


@pytest.mark.parametrize(
    "body, message",
    [
        # Real traffic (jetstreamapp/jetstream#538): "JSON_PARSER_ERROR: Unexpected character ('}'
        # (code 125)): was expecting double-quote to start field name at [line:2, column:34667]"
        ('{"LastName": "x",}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name at [line:1, column:19]"),
        ("{x", "Unexpected character ('x' (code 120)): was expecting double-quote to start field name at [line:1, column:3]"),
        ('{"LastName" "x"}', "Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value at [line:1, column:14]"),
        ('{"LastName": }', "Unexpected character ('}' (code 125)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [line:1, column:15]"),
        ('{"LastName": "x"', "Unexpected end-of-input: expected close marker for OBJECT at [line:1, column:17]"),
    ],
)
def test_json_parse_errors_in_jacksons_words(api: Any, body: str, message: str) -> None:
    r = requests.post(f"{api.salesforce_url}{V}/sobjects/Lead/", data=body, headers=SESSION)
    assert r.status_code == 400
    assert r.json() == [{"message": message, "errorCode": "JSON_PARSER_ERROR"}]
    assert "Expecting" not in r.text and "char " not in r.text  # no Python json wording


def test_hubspot_lists_ids_as_hubspot_does(api: Any) -> None:
    body = {"inputs": [{"id": "101", "properties": {}}, {"id": "101", "properties": {}}, {"id": "7", "properties": {}}, {"id": "7", "properties": {}}]}
    r = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts/batch/update", json=body,
                      headers={"Authorization": "Bearer pat-local-sandbox"})
    assert r.status_code == 400
    assert r.json()["message"] == "Duplicate IDs found in batch input: [101, 7]. IDs must be unique"
