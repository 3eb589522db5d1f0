"""JSON parse errors in the words Salesforce uses. Its REST deserialiser is Jackson, and a body that
is not JSON comes back as JSON_PARSER_ERROR with Jackson's message and position, e.g.
`JSON_PARSER_ERROR: Unexpected character ('}' (code 125)): was expecting double-quote to start field
name at [line:2, column:34667]` (real traffic quoted in jetstreamapp/jetstream#538). The fake parses
with Python, so the message is translated, not reproduced byte for byte: Jackson's wording and the
[line:L, column:C] position; the end-of-input and empty-body texts are Jackson's usual ones."""

from __future__ import annotations

import json

# Python's json message prefix -> Jackson's "was expecting ..." clause
_EXPECTING = {
    "Expecting property name enclosed in double quotes": "was expecting double-quote to start field name",
    "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
    "Expecting ',' delimiter": "was expecting comma to separate Object entries",
    "Expecting value": "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    "Extra data": "expected end of input",
}


def parse_error_message(raw: bytes, exc: BaseException | None) -> str:
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return "No content to map due to end-of-input at [line:1, column:0]"
    if not isinstance(exc, json.JSONDecodeError):
        return f"Invalid UTF-8 middle byte at [line:1, column:{len(text)}]"
    line, column = exc.lineno, exc.colno
    if exc.pos >= len(exc.doc) or exc.msg.startswith("Unterminated string"):
        return f"Unexpected end-of-input: expected close marker for OBJECT at [line:{line}, column:{column}]"
    ch = exc.doc[exc.pos]
    clause = next((v for k, v in _EXPECTING.items() if exc.msg.startswith(k)), "expected a valid value")
    return f"Unexpected character ('{ch}' (code {ord(ch)})): {clause} at [line:{line}, column:{column + 1}]"
