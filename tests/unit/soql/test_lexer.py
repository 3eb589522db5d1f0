"""Tokenizer: token kinds, values, positions, string escapes, date/datetime forms, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from simulator.salesforce.soql import lexer
from simulator.salesforce.soql.errors import SoqlError


def kinds(text: str) -> list[str]:
    return [t.kind for t in lexer.tokenize(text)]


def test_basic_tokens_and_positions() -> None:
    toks = lexer.tokenize("SELECT Id,\n  Owner.Name FROM Lead")
    assert [(t.kind, t.text, t.pos) for t in toks] == [
        ("IDENT", "SELECT", (1, 1)),
        ("IDENT", "Id", (1, 8)),
        ("PUNCT", ",", (1, 10)),
        ("IDENT", "Owner", (2, 3)),
        ("PUNCT", ".", (2, 8)),
        ("IDENT", "Name", (2, 9)),
        ("IDENT", "FROM", (2, 14)),
        ("IDENT", "Lead", (2, 19)),
        ("EOF", "", (2, 23)),
    ]


@pytest.mark.parametrize("op", ["=", "!=", "<>", "<", "<=", ">", ">="])
def test_operators(op: str) -> None:
    toks = lexer.tokenize(f"a{op}1")
    assert (toks[1].kind, toks[1].text) == ("OP", op)
    assert toks[2].value == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"'plain'", "plain"),
        (r"'O\'Brien'", "O'Brien"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb\rc\td\be\ff'", "a\nb\rc\td\be\ff"),
        (r"'A\NB\RC\TD'", "A\nB\rC\tD"),
        (r"'100\%'", "100%"),
        (r"'a\_b'", "a_b"),
        ("''", ""),
    ],
)
def test_string_escapes(source: str, expected: str) -> None:
    tok = lexer.tokenize(source)[0]
    assert tok.kind == "STRING"
    assert tok.value == expected
    assert tok.text == source[1:-1]  # raw text kept for LIKE


def test_bad_escape_is_malformed_with_position() -> None:
    with pytest.raises(SoqlError) as exc:
        lexer.tokenize(r"x = 'a\qb'")
    assert exc.value.error_code == "MALFORMED_QUERY"
    assert (exc.value.row, exc.value.column) == (1, 7)
    assert "Illegal character sequence '\\q'" in exc.value.message


def test_unterminated_string() -> None:
    with pytest.raises(SoqlError) as exc:
        lexer.tokenize("x = 'abc")
    assert exc.value.error_code == "MALFORMED_QUERY"
    assert exc.value.column == 5


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        (".5", 0.5),
    ],
)
def test_numbers(text: str, value: float) -> None:
    tok = lexer.tokenize(text)[0]
    assert tok.kind == "NUMBER"
    assert tok.value == value
    assert type(tok.value) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.000Z",
        "2024-05-01T10:00:00+00:00",
        "2024-05-01T10:00:00+0000",
        "2024-05-01T05:00:00-05:00",
        "2024-05-01T15:30:00+05:30",
        "2024-05-01T10:00:00.000+0000",
    ],
)
def test_datetime_forms_normalise_to_utc(text: str) -> None:
    tok = lexer.tokenize(text)[0]
    assert tok.kind == "DATETIME"
    assert tok.value == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert tok.value.tzinfo == UTC  # type: ignore[union-attr]


def test_datetime_fraction() -> None:
    assert lexer.tokenize("2024-05-01T10:00:00.123Z")[0].value == datetime(
        2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC
    )


def test_date_literal() -> None:
    tok = lexer.tokenize("2024-05-01")[0]
    assert (tok.kind, tok.value) == ("DATE", date(2024, 5, 1))


@pytest.mark.parametrize(
    "text", ["2024-13-01", "2024-02-30", "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+24:00"]
)
def test_impossible_dates_are_malformed(text: str) -> None:
    with pytest.raises(SoqlError) as exc:
        lexer.tokenize(f"x = {text}")
    assert exc.value.error_code == "MALFORMED_QUERY"
    assert exc.value.column == 5


@pytest.mark.parametrize("text", ["x # y", "x = 1abc", "x = 2024-05-01T10:00:00", "é"])
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(SoqlError) as exc:
        lexer.tokenize(text)
    assert exc.value.error_code == "MALFORMED_QUERY"


def test_colon_and_date_literal_n() -> None:
    assert kinds("LAST_N_DAYS:30") == ["IDENT", "PUNCT", "NUMBER", "EOF"]
