"""Salesforce record ids (wire spec 3.6).

A 15-character id is a 3-character key prefix (which object) plus 12 base-62 characters; the API
emits the 18-character form: the 15 characters plus a 3-character case-safe suffix that encodes
which of the 15 are uppercase letters. We always emit 18 and accept both forms (in any letter case
for the 18-character form: the suffix restores the case, exactly why Salesforce added it).
"""

from __future__ import annotations

import re
from typing import Protocol

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SHAPE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")

# Key prefixes of the objects the fake knows plus the non-record ids it hands out.
ORGANIZATION_PREFIX = "00D"
QUERY_LOCATOR_PREFIX = "01g"
BULK_JOB_PREFIX = "750"
# Real ids carry a pod/instance part after the prefix; ours is constant and recognisable.
_POD = "Hf0"


class _Rng(Protocol):
    def token(self, alphabet: str, length: int) -> str: ...


class InvalidId(ValueError):
    """Not a Salesforce id: wrong length or characters, or an 18-character suffix that cannot be."""


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character id."""
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(SUFFIX_ALPHABET[bits])
    return "".join(out)


def to18(raw: str) -> str:
    """Normalise a 15- or 18-character id to its canonical 18-character form or raise InvalidId.

    An 18-character id may arrive with its letters' case changed (case-insensitive systems, people
    typing them); the suffix says which letters are uppercase, so the case is restored from it. A
    suffix bit that marks a digit as uppercase cannot come from a real id: InvalidId."""
    if not isinstance(raw, str) or not _SHAPE.match(raw):
        raise InvalidId(raw)
    if len(raw) == 15:
        return raw + checksum(raw)
    body, suffix = raw[:15], raw[15:].upper()
    chars = list(body)
    for chunk, sch in enumerate(suffix):
        bits = SUFFIX_ALPHABET.find(sch)
        if bits < 0:
            raise InvalidId(raw)
        for i in range(5):
            pos = chunk * 5 + i
            upper = bool(bits & (1 << i))
            ch = chars[pos]
            if ch.isalpha():
                chars[pos] = ch.upper() if upper else ch.lower()
            elif upper:
                raise InvalidId(raw)
    fixed = "".join(chars)
    return fixed + checksum(fixed)


def to15(id18: str) -> str:
    return to18(id18)[:15]


def prefix_of(raw: str) -> str:
    return raw[:3]


def is_id_shaped(raw: str) -> bool:
    try:
        to18(raw)
    except InvalidId:
        return False
    return True


def new_id(prefix: str, rng: _Rng) -> str:
    """A fresh 18-character id with this key prefix; the body comes from the sandbox rng so the same
    seed gives the same ids."""
    body = prefix + _POD + rng.token(BASE62, 9)
    return body + checksum(body)
