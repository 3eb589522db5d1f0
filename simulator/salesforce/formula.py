"""Formula fields (optional, issue 3): a subset of Salesforce's formula language, evaluated against
one record's own fields.

    f = compile_formula(lead_def, "IF(ISBLANK(FirstName), LastName, FirstName & ' ' & LastName)", "string")
    f.evaluate(record)   # -> native value of the return type, or None ("#Error!" reads as null in the API)

Supported: field references (any letter case, same object, including earlier formula fields),
'text' / "text" literals, numbers, TRUE / FALSE / NULL; operators `& + - * / ^ = == != <> < <= > >=
&& ||`, unary `-` and `!`; functions IF, CASE, ISBLANK, ISNULL, BLANKVALUE, NULLVALUE, NOT, AND, OR,
TEXT, VALUE, LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID, CONTAINS, BEGINS, SUBSTITUTE, ISPICKVAL,
ROUND, ABS, FLOOR, CEILING, MAX, MIN, MOD, DATE, YEAR, MONTH, DAY, DATEVALUE.

Not modelled: cross-object references (`Account.Name`), TODAY()/NOW() (the fake computes a formula
when the record is saved, which equals read-time evaluation only for same-record inputs).
Blank handling follows the field's setting: blanks as blanks (default; arithmetic on a blank is
blank) or `blankAsZero` (blank numbers read as 0, blank text as '').
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.salesforce.schema import ObjectDef

# control-API returnType -> describe type of the formula field
RETURN_TYPES: dict[str, str] = {
    "string": "string",
    "text": "string",
    "number": "double",
    "double": "double",
    "currency": "currency",
    "percent": "percent",
    "checkbox": "boolean",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}
MAX_FORMULA_LENGTH = 3900  # Salesforce's compile-size limit is larger; this bounds hostile input

Node = Callable[[dict[str, Any]], Any]


class FormulaError(ValueError):
    """A formula that does not compile (the control API answers 400 with this text)."""


class _Blank(Exception):
    """Evaluation reached an error (#Error!): the field reads as null."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>&&|\|\||==|!=|<>|<=|>=|[-+*/^&=<>!(),]))"
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # num str name op end
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            if text[start] == "." and out and out[-1].kind == "name":
                raise FormulaError("cross-object references (Account.Name) are not supported by this sandbox")
            raise FormulaError(f"Syntax error. Found '{text[start]}' at position {start + 1}")
        kind = m.lastgroup or "op"
        out.append(_Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


def _unescape(lit: str) -> str:
    body = lit[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Formula:
    def __init__(self, text: str, return_type: str, node: Node, fields: frozenset[str], scale: int) -> None:
        self.text = text
        self.return_type = return_type  # describe type
        self.fields = fields
        self._node = node
        self._scale = scale

    def evaluate(self, rec: dict[str, Any]) -> Any:
        try:
            return _coerce_result(self._node(rec), self.return_type, self._scale)
        except (_Blank, ArithmeticError, ValueError, TypeError, OverflowError):
            return False if self.return_type == "boolean" else None


def _coerce_result(value: Any, rtype: str, scale: int) -> Any:
    if rtype == "boolean":
        return value if isinstance(value, bool) else False
    if value is None:
        return None
    if rtype == "string":
        return value if isinstance(value, str) and value != "" else None
    if rtype in ("double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None
        return _round(float(value), scale)
    if rtype == "date":
        return value.date() if isinstance(value, datetime) else value if isinstance(value, date) else None
    if rtype == "datetime":
        return value if isinstance(value, datetime) else None
    return None


def _round(x: float, digits: int) -> float:
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def compile_formula(
    obj: ObjectDef, text: str, return_type: str, *, scale: int = 2, blank_as_zero: bool = False
) -> Formula:
    """Parse `text` against `obj`'s fields; FormulaError names the problem and its position."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("formula must be a non-empty string")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_FORMULA_LENGTH} characters")
    rtype = RETURN_TYPES.get(str(return_type).lower())
    if rtype is None:
        raise FormulaError(f"returnType must be one of {', '.join(sorted(RETURN_TYPES))}")
    parser = _Parser(obj, _tokens(text), blank_as_zero)
    node = parser.parse()
    return Formula(text, rtype, node, frozenset(parser.fields), scale)


# --- runtime helpers ------------------------------------------------------------------------------
def _num(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Blank
    return v


def _text(v: Any) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise _Blank
    return v


def _to_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _blank(v: Any) -> bool:
    return v is None or v == ""


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if op in ("=", "=="):
        return (a if a != "" else None) == (b if b != "" else None)
    if op in ("!=", "<>"):
        return (a if a != "" else None) != (b if b != "" else None)
    if a is None or b is None:
        return None
    if isinstance(a, int | float) != isinstance(b, int | float):
        raise _Blank
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


_ARITY: dict[str, tuple[int, int]] = {
    "IF": (3, 3), "CASE": (4, 999), "ISBLANK": (1, 1), "ISNULL": (1, 1), "BLANKVALUE": (2, 2),
    "NULLVALUE": (2, 2), "NOT": (1, 1), "AND": (1, 999), "OR": (1, 999), "TEXT": (1, 1),
    "VALUE": (1, 1), "LEN": (1, 1), "UPPER": (1, 1), "LOWER": (1, 1), "TRIM": (1, 1), "LEFT": (2, 2),
    "RIGHT": (2, 2), "MID": (3, 3), "CONTAINS": (2, 2), "BEGINS": (2, 2), "SUBSTITUTE": (3, 3),
    "ISPICKVAL": (2, 2), "ROUND": (2, 2), "ABS": (1, 1), "FLOOR": (1, 1), "CEILING": (1, 1),
    "MAX": (1, 999), "MIN": (1, 999), "MOD": (2, 2), "DATE": (3, 3), "YEAR": (1, 1), "MONTH": (1, 1),
    "DAY": (1, 1), "DATEVALUE": (1, 1),
}  # fmt: skip


def _call(name: str, args: list[Node]) -> Node:
    a = args
    if name == "IF":
        return lambda r: a[1](r) if a[0](r) is True else a[2](r)
    if name == "CASE":
        def case(r: dict[str, Any]) -> Any:
            v = a[0](r)
            pairs = a[1:]
            for i in range(0, len(pairs) - 1, 2):
                if v == pairs[i](r):
                    return pairs[i + 1](r)
            return pairs[-1](r) if len(pairs) % 2 == 1 else None
        return case
    if name in ("ISBLANK", "ISNULL"):
        return lambda r: _blank(a[0](r))
    if name in ("BLANKVALUE", "NULLVALUE"):
        return lambda r: a[1](r) if _blank(v := a[0](r)) else v
    if name == "NOT":
        return lambda r: not a[0](r) if isinstance(a[0](r), bool) else None
    if name == "AND":
        return lambda r: all(x(r) is True for x in a)
    if name == "OR":
        return lambda r: any(x(r) is True for x in a)
    if name == "TEXT":
        return lambda r: _to_text(a[0](r))
    if name == "VALUE":
        return lambda r: None if _blank(v := a[0](r)) else float(_text(v))
    if name == "LEN":
        return lambda r: len(_text(a[0](r)))
    simple: dict[str, Callable[..., Any]] = {
        "UPPER": lambda s: _text(s).upper(),
        "LOWER": lambda s: _text(s).lower(),
        "TRIM": lambda s: _text(s).strip(),
        "LEFT": lambda s, n: _text(s)[: max(int(_num(n)), 0)],
        "RIGHT": lambda s, n: _text(s)[len(_text(s)) - max(int(_num(n)), 0) :] if _num(n) > 0 else "",
        "MID": lambda s, i, n: _text(s)[max(int(_num(i)), 1) - 1 : max(int(_num(i)), 1) - 1 + max(int(_num(n)), 0)],
        "CONTAINS": lambda s, sub: _text(sub) in _text(s),
        "BEGINS": lambda s, sub: _text(s).startswith(_text(sub)),
        "SUBSTITUTE": lambda s, old, new: _text(s).replace(_text(old), _text(new)) if _text(old) else _text(s),
        "ISPICKVAL": lambda v, lit: (v or "") == _text(lit),
        "ROUND": lambda x, d: None if x is None else _round(float(_num(x)), int(_num(d))),
        "ABS": lambda x: None if x is None else abs(_num(x)),
        "FLOOR": lambda x: None if x is None else math.floor(_num(x)),
        "CEILING": lambda x: None if x is None else math.ceil(_num(x)),
        "MOD": lambda x, y: None if x is None or y is None else math.fmod(_num(x), _num(y)),
        "DATE": lambda y, m, d: date(int(_num(y)), int(_num(m)), int(_num(d))),
        "YEAR": lambda d: None if d is None else _date(d).year,
        "MONTH": lambda d: None if d is None else _date(d).month,
        "DAY": lambda d: None if d is None else _date(d).day,
        "DATEVALUE": lambda v: None if _blank(v) else _date(v) if not isinstance(v, str) else date.fromisoformat(v[:10]),
    }  # fmt: skip
    if name in ("MAX", "MIN"):
        pick = max if name == "MAX" else min

        def extreme(r: dict[str, Any]) -> Any:
            vals = [x(r) for x in a]
            return None if any(v is None for v in vals) else pick(_num(v) for v in vals)

        return extreme
    fn = simple[name]
    return lambda r: fn(*(x(r) for x in a))


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    raise _Blank


def _arith(op: str, blank_as_zero: bool) -> Callable[[Any, Any], Any]:
    def f(x: Any, y: Any) -> Any:
        if blank_as_zero:
            x = 0 if x is None else x
            y = 0 if y is None else y
        if x is None or y is None:
            return None
        if op == "+" and isinstance(x, date) and not isinstance(y, date):
            return x + timedelta(days=_num(y))
        if op == "-" and isinstance(x, date):
            if isinstance(y, date):
                diff = x - y
                return diff.days if not isinstance(x, datetime) else diff.total_seconds() / 86400
            return x - timedelta(days=_num(y))
        x, y = _num(x), _num(y)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise _Blank  # #Error! (division by zero)
            return x / y
        return float(x) ** float(y)

    return f


class _Parser:
    """Precedence climbing: || < && < comparisons < & + - < * / < ^ < unary."""

    LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("=", "==", "!=", "<>", "<", "<=", ">", ">="),
        ("&", "+", "-"),
        ("*", "/"),
        ("^",),
    )
    MAX_DEPTH = 60

    def __init__(self, obj: ObjectDef, toks: list[_Tok], blank_as_zero: bool) -> None:
        self.obj = obj
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.fields: set[str] = set()
        self.blank_as_zero = blank_as_zero

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Tok) -> FormulaError:
        if tok.kind == "end":
            seen = [t.text for t in self.toks[: self.i] if t.kind == "op"]
            if seen.count("(") > seen.count(")"):
                return FormulaError("Syntax error. Missing ')'")
            return FormulaError("Syntax error. The formula ends too early")
        return FormulaError(f"Syntax error. Found '{tok.text}' at position {tok.pos + 1}")

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.kind != "op" or tok.text != text:
            if tok.kind == "end" and text == ")":
                raise FormulaError("Syntax error. Missing ')'")
            raise self.fail(tok)

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek().kind != "end":
            raise self.fail(self.peek())
        return node

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        ops = self.LEVELS[level]
        while self.peek().kind == "op" and self.peek().text in ops:
            op = self.next().text
            right = self.binary(level + 1)
            left = self._combine(op, left, right)
        return left

    def _combine(self, op: str, left: Node, right: Node) -> Node:
        if op == "||":
            return lambda r: left(r) is True or right(r) is True
        if op == "&&":
            return lambda r: left(r) is True and right(r) is True
        if op == "&":
            return lambda r: _text(left(r)) + _text(right(r))
        if op in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            return lambda r: _compare(op, left(r), right(r))
        fn = _arith(op, self.blank_as_zero)
        return lambda r: fn(left(r), right(r))

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > self.MAX_DEPTH:
            raise FormulaError("formula is nested too deeply")
        try:
            tok = self.peek()
            if tok.kind == "op" and tok.text in ("-", "+", "!"):
                self.next()
                inner = self.unary()
                if tok.text == "!":
                    return lambda r: (not v) if isinstance(v := inner(r), bool) else None
                if tok.text == "-":
                    return lambda r: None if (v := inner(r)) is None else -_num(v)
                return inner
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind == "num":
            value: Any = float(tok.text) if "." in tok.text else int(tok.text)
            return lambda r: value
        if tok.kind == "str":
            s = _unescape(tok.text)
            return lambda r: s
        if tok.kind == "op" and tok.text == "(":
            inner = self.binary(0)
            self.expect(")")
            return inner
        if tok.kind == "name":
            upper = tok.text.upper()
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.function(tok)
            if upper in ("TRUE", "FALSE"):
                b = upper == "TRUE"
                return lambda r: b
            if upper == "NULL":
                return lambda r: None
            fd = self.obj.field(tok.text)
            if fd is None:
                raise FormulaError(f"Field {tok.text} does not exist. Check spelling.")
            name = fd.name
            self.fields.add(name)
            if self.blank_as_zero and fd.type in ("double", "currency", "percent", "int"):
                return lambda r: 0 if (v := r.get(name)) is None else v
            return lambda r: r.get(name)
        raise self.fail(tok)

    def function(self, tok: _Tok) -> Node:
        name = tok.text.upper()
        if name not in _ARITY:
            raise FormulaError(f"Unknown function {tok.text}. Check spelling.")
        self.expect("(")
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.binary(0))
            while self.peek().kind == "op" and self.peek().text == ",":
                self.next()
                args.append(self.binary(0))
        self.expect(")")
        low, high = _ARITY[name]
        if not low <= len(args) <= high:
            raise FormulaError(
                f"Incorrect number of parameters for function '{name}()'. Expected {low}, received {len(args)}"
                if low == high
                else f"Incorrect number of parameters for function '{name}()'. Expected at least {low}, received {len(args)}"
            )
        return _call(name, args)
