"""SOQL tokenizer: text -> list of Tokens with 1-based (row, column) positions.

Keywords are not distinguished here (SOQL keywords are contextual: `Order` is an object name and
`Last` could be a field), the parser compares identifier text case-insensitively instead.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from simulator.salesforce.soql.errors import MALFORMED_QUERY, Pos, positioned

IDENT = "IDENT"
STRING = "STRING"
NUMBER = "NUMBER"
DATE = "DATE"
DATETIME = "DATETIME"
OP = "OP"  # = != <> < <= > >=
PUNCT = "PUNCT"  # , . ( ) :
EOF = "EOF"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str  # source text (for STRING: the raw characters between the quotes, escapes undecoded)
    value: object  # decoded value: str (STRING/IDENT/OP/PUNCT), int|float, date, datetime
    pos: Pos


_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A string literal without escapes, in one regex step (the character loop below handles escapes and
# errors). IN lists of hundreds of quoted ids and emails are what sync engines send.
_PLAIN_STRING_RE = re.compile(r"'([^'\\]*)'")
# Dates / datetimes are unquoted in SOQL; a date must not run into more identifier characters.
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:?[0-9]{2})(?![A-Za-z0-9_])"
)
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?![A-Za-z0-9_:T])")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?![A-Za-z0-9_.])")
_DIGITS = "0123456789"
_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_PUNCT = ",.():"
# Escapes Salesforce accepts in string literals; \% and \_ only mean something inside LIKE.
_ESCAPES = {
    "n": "\n",
    "N": "\n",
    "r": "\r",
    "R": "\r",
    "t": "\t",
    "T": "\t",
    "b": "\b",
    "B": "\b",
    "f": "\f",
    "F": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "%": "%",
    "_": "_",
}


class _Positions:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def __call__(self, index: int) -> Pos:
        row = bisect.bisect_right(self.starts, index)
        return row, index - self.starts[row - 1] + 1


def decode_string(raw: str) -> str:
    """Decode a string literal's escapes (already validated by the tokenizer); `\\%` -> `%`."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(_ESCAPES.get(raw[i + 1], raw[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _datetime_value(m: re.Match[str]) -> datetime:
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    tz = m.group(8)
    if tz == "Z":
        offset = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError("bad offset")
        offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime(y, mo, d, h, mi, s, micro, tzinfo=offset).astimezone(UTC)


def tokenize(text: str) -> list[Token]:
    pos = _Positions(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n\f\v":
            i += 1
            continue
        start = i
        if ch == "'":
            plain = _PLAIN_STRING_RE.match(text, i)
            if plain is not None:
                raw = plain.group(1)
                i = plain.end()
                tokens.append(Token(STRING, raw, raw, pos(start)))
                continue
            i += 1
            while i < n and text[i] != "'":
                if text[i] == "\\":
                    if i + 1 >= n:
                        break
                    if text[i + 1] not in _ESCAPES:
                        raise positioned(
                            MALFORMED_QUERY,
                            f"Invalid string literal '{text[start + 1 : min(n, i + 2)]}'. Illegal character "
                            f"sequence '\\{text[i + 1]}' in string literal.",
                            text,
                            pos(i),
                        )
                    i += 2
                else:
                    i += 1
            if i >= n:
                raise positioned(MALFORMED_QUERY, "unterminated string literal", text, pos(start))
            raw = text[start + 1 : i]
            i += 1
            tokens.append(Token(STRING, raw, decode_string(raw), pos(start)))
            continue
        if ch.isalpha() or ch == "_":
            m = _IDENT_RE.match(text, i)
            if m is None:  # non-ASCII letter
                raise positioned(MALFORMED_QUERY, f"unexpected token: '{ch}'", text, pos(start))
            i = m.end()
            tokens.append(Token(IDENT, m.group(), m.group(), pos(start)))
            continue
        if ch in _DIGITS or (ch in "+-." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _DATETIME_RE.match(text, i)
            if m is not None:
                try:
                    value: object = _datetime_value(m)
                except (ValueError, OverflowError):
                    raise positioned(
                        MALFORMED_QUERY, f"invalid dateTime: {m.group()}", text, pos(start)
                    ) from None
                tokens.append(Token(DATETIME, m.group(), value, pos(start)))
                i = m.end()
                continue
            m = _DATE_RE.match(text, i)
            if m is not None:
                try:
                    value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    raise positioned(
                        MALFORMED_QUERY, f"invalid date: {m.group()}", text, pos(start)
                    ) from None
                tokens.append(Token(DATE, m.group(), value, pos(start)))
                i = m.end()
                continue
            m = _NUMBER_RE.match(text, i)
            if m is None:
                end = i + 1
                while end < n and (text[end].isalnum() or text[end] in "_.:-+"):
                    end += 1
                raise positioned(MALFORMED_QUERY, f"unexpected token: '{text[i:end]}'", text, pos(start))
            num = m.group()
            value = float(num) if "." in num else int(num)
            tokens.append(Token(NUMBER, num, value, pos(start)))
            i = m.end()
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token(OP, op, op, pos(start)))
            i += len(op)
            continue
        if ch in _PUNCT:
            tokens.append(Token(PUNCT, ch, ch, pos(start)))
            i += 1
            continue
        raise positioned(MALFORMED_QUERY, f"unexpected token: '{ch}'", text, pos(start))
    tokens.append(Token(EOF, "", "", pos(n)))
    return tokens
