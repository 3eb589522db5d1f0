"""The one exception the SOQL engine raises, with Salesforce's error codes and message layout.

Salesforce reports query errors as the offending line, a caret under the column, the position and
the reason, e.g. (INVALID_FIELD)::

    \\nSELECT Id, Nme FROM Lead\\n           ^\\nERROR at Row:1:Column:12\\nNo such column 'Nme' ...

The HTTP layer puts `error_code` and `message` into `[{"message": ..., "errorCode": ...}]`.
"""

from __future__ import annotations

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"

Pos = tuple[int, int]  # (row, column), both 1-based, like Salesforce's "Row:1:Column:12"


class SoqlError(Exception):
    """A query Salesforce would reject. `message` is the full Salesforce-style text (with the
    echoed line, caret and position when known); `detail` is just the reason."""

    def __init__(self, error_code: str, message: str, *, detail: str | None = None, pos: Pos | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.detail = detail if detail is not None else message
        self.row = pos[0] if pos else None
        self.column = pos[1] if pos else None

    def __repr__(self) -> str:
        return f"SoqlError({self.error_code!r}, {self.message!r})"


def positioned(error_code: str, detail: str, text: str, pos: Pos | None) -> SoqlError:
    """A SoqlError whose message has Salesforce's echo/caret/position header."""
    if pos is None:
        return SoqlError(error_code, detail, detail=detail)
    row, col = pos
    lines = text.split("\n")
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    caret = " " * (col - 1) + "^"
    message = f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{col}\n{detail}"
    return SoqlError(error_code, message, detail=detail, pos=pos)


# Message texts recalled from real orgs (not contractual: clients key on errorCode).
def no_such_column(field: str, obj: str) -> str:
    return (
        f"No such column '{field}' on entity '{obj}'. If you are attempting to use a custom field, be sure "
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
        "for the appropriate names."
    )


def bad_relationship(rel: str) -> str:
    return (
        f"Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom "
        "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )


def unsupported_object(name: str) -> str:
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to "
        "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
        "appropriate names."
    )


def bad_child_relationship(rel: str) -> str:
    return (
        f"Didn't understand relationship '{rel}' in FROM part of query call. If you are attempting to use a "
        "custom relationship, be sure to append the '__r' after the custom relationship name. Please "
        "reference your WSDL or the describe call for the appropriate names."
    )
