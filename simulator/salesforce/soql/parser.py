"""Recursive-descent SOQL parser: tokens -> `nodes.Query`.

Grammar (keywords case-insensitive)::

    query      := SELECT (COUNT '(' ')' | path (',' path)*) FROM ident
                  [WHERE cond] [ORDER BY order (',' order)*] [LIMIT int] [OFFSET int]
    path       := ident ('.' ident)*
    cond       := unary ((AND unary)* | (OR unary)*)     -- mixing AND/OR needs parentheses (as in SOQL)
    unary      := NOT unary | '(' cond ')' | path compare
    compare    := op literal | LIKE literal | [NOT] IN list | INCLUDES list | EXCLUDES list
    list       := '(' literal (',' literal)* ')'
    literal    := string | number | date | datetime | TRUE | FALSE | NULL | DATE_LITERAL [':' int]
    order      := path [ASC|DESC] [NULLS (FIRST|LAST)]
"""

from __future__ import annotations

from functools import lru_cache

from simulator.salesforce.soql import lexer
from simulator.salesforce.soql.dates import N_LITERALS, RANGE_LITERALS
from simulator.salesforce.soql.errors import MALFORMED_QUERY, SoqlError, positioned
from simulator.salesforce.soql.lexer import Token
from simulator.salesforce.soql.nodes import (
    And,
    BoolLit,
    Comparison,
    Condition,
    DateLit,
    DateRangeLit,
    DateTimeLit,
    FieldPath,
    Literal,
    Not,
    NullLit,
    NumberLit,
    Or,
    OrderItem,
    Query,
    SetComparison,
    StringLit,
)

# Words that can never be a field name in a SELECT list / condition (they end or restructure it).
RESERVED = frozenset(
    [
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
        "FALSE",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INCLUDES",
        "LIKE",
        "LIMIT",
        "NOT",
        "NULL",
        "NULLS",
        "OFFSET",
        "OR",
        "ORDER",
        "SELECT",
        "TRUE",
        "USING",
        "WHERE",
        "WITH",
        "BY",
    ]
)
MAX_NESTING = 64  # parentheses / NOT depth; keeps hostile input far from Python's recursion limit
MAX_PATH_DEPTH = 6  # Salesforce allows 5 levels of parent relationships plus the field


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = lexer.tokenize(text)
        self.i = 0
        self.depth = 0

    # --- token helpers -----------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != lexer.EOF:
            self.i += 1
        return tok

    def is_kw(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == lexer.IDENT and tok.text.upper() == word

    def is_punct(self, ch: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == lexer.PUNCT and tok.text == ch

    def unexpected(self, tok: Token | None = None) -> SoqlError:
        tok = tok or self.peek()
        shown = "<EOF>" if tok.kind == lexer.EOF else tok.text
        return positioned(MALFORMED_QUERY, f"unexpected token: '{shown}'", self.text, tok.pos)

    def fail(self, detail: str, tok: Token | None = None) -> SoqlError:
        return positioned(MALFORMED_QUERY, detail, self.text, (tok or self.peek()).pos)

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, ch: str) -> Token:
        if not self.is_punct(ch):
            raise self.unexpected()
        return self.advance()

    def nonneg_int(self) -> int:
        tok = self.peek()
        if tok.kind != lexer.NUMBER or not isinstance(tok.value, int) or tok.text[0] in "+-":
            raise self.unexpected()
        self.advance()
        return tok.value

    # --- grammar ------------------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect_kw("SELECT")
        is_count = False
        fields: list[FieldPath] = []
        if self.is_kw("COUNT") and self.is_punct("(", 1):
            count_tok = self.advance()
            self.advance()
            if not self.is_punct(")"):
                raise self.fail(
                    "aggregate queries (COUNT(field), GROUP BY) are not supported by this sandbox", count_tok
                )
            self.advance()
            is_count = True
        else:
            fields.append(self.path())
            while self.is_punct(","):
                self.advance()
                fields.append(self.path())
        self.expect_kw("FROM")
        obj_tok = self.peek()
        if obj_tok.kind != lexer.IDENT:
            raise self.unexpected()
        self.advance()
        where = None
        if self.is_kw("WHERE"):
            self.advance()
            where = self.condition()
        order: list[OrderItem] = []
        if self.is_kw("ORDER"):
            self.advance()
            self.expect_kw("BY")
            order.append(self.order_item())
            while self.is_punct(","):
                self.advance()
                order.append(self.order_item())
        limit = offset = None
        if self.is_kw("LIMIT"):
            self.advance()
            limit = self.nonneg_int()
        offset_pos = self.peek().pos
        if self.is_kw("OFFSET"):
            self.advance()
            offset_pos = self.peek().pos
            offset = self.nonneg_int()
        if self.peek().kind != lexer.EOF:
            raise self.unexpected()
        return Query(
            object_name=obj_tok.text,
            fields=tuple(fields),
            is_count=is_count,
            where=where,
            order_by=tuple(order),
            limit=limit,
            offset=offset,
            text=self.text,
            object_pos=obj_tok.pos,
            offset_pos=offset_pos,
        )

    def path(self) -> FieldPath:
        tok = self.peek()
        if tok.kind != lexer.IDENT or tok.text.upper() in RESERVED:
            if tok.kind == lexer.PUNCT and tok.text == "(" and self.is_kw("SELECT", 1):
                raise self.fail("relationship sub-queries are not supported by this sandbox", tok)
            raise self.unexpected()
        parts = [self.advance().text]
        while self.is_punct("."):
            self.advance()
            nxt = self.peek()
            if nxt.kind != lexer.IDENT:
                raise self.unexpected()
            parts.append(self.advance().text)
            if len(parts) > MAX_PATH_DEPTH:
                raise self.fail("relationship path is too deep (at most 5 levels)", tok)
        return FieldPath(tuple(parts), tok.pos)

    def order_item(self) -> OrderItem:
        fp = self.path()
        descending = False
        nulls_first: bool | None = None
        if self.is_kw("ASC"):
            self.advance()
        elif self.is_kw("DESC"):
            self.advance()
            descending = True
        if self.is_kw("NULLS"):
            self.advance()
            if self.is_kw("FIRST"):
                nulls_first = True
            elif self.is_kw("LAST"):
                nulls_first = False
            else:
                raise self.unexpected()
            self.advance()
        return OrderItem(fp, descending, nulls_first)

    def condition(self) -> Condition:
        first = self.unary()
        for joiner, other, node in (("AND", "OR", And), ("OR", "AND", Or)):
            if self.is_kw(joiner):
                items = [first]
                while self.is_kw(joiner):
                    self.advance()
                    items.append(self.unary())
                if self.is_kw(other):  # SOQL requires parentheses when mixing AND and OR
                    raise self.unexpected()
                return node(tuple(items))
        return first

    def unary(self) -> Condition:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail("query condition is nested too deeply")
        try:
            if self.is_kw("NOT"):
                self.advance()
                return Not(self.unary())
            if self.is_punct("("):
                self.advance()
                inner = self.condition()
                self.expect_punct(")")
                return inner
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Condition:
        fp = self.path()
        tok = self.peek()
        if tok.kind == lexer.OP:
            self.advance()
            op = "!=" if tok.text == "<>" else tok.text
            return Comparison(fp, op, self.literal(), tok.pos)
        if self.is_kw("LIKE"):
            self.advance()
            return Comparison(fp, "LIKE", self.literal(), tok.pos)
        for word in ("IN", "INCLUDES", "EXCLUDES"):
            if self.is_kw(word):
                self.advance()
                return SetComparison(fp, word, self.literal_list(), tok.pos)
        if self.is_kw("NOT"):
            self.advance()
            self.expect_kw("IN")  # `NOT LIKE` is not SOQL: blame the token after NOT
            return SetComparison(fp, "NOT IN", self.literal_list(), tok.pos)
        raise self.unexpected()

    def literal_list(self) -> tuple[Literal, ...]:
        open_tok = self.expect_punct("(")
        if self.is_kw("SELECT"):
            raise self.fail("semi-join sub-selects are not supported by this sandbox", open_tok)
        values = [self.literal()]
        while self.is_punct(","):
            self.advance()
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        tok = self.peek()
        if tok.kind == lexer.STRING:
            self.advance()
            return StringLit(str(tok.value), tok.text, tok.pos)
        if tok.kind == lexer.NUMBER:
            self.advance()
            assert isinstance(tok.value, int | float)
            return NumberLit(tok.value, tok.text, tok.pos)
        if tok.kind == lexer.DATE:
            self.advance()
            return DateLit(tok.value, tok.pos)  # type: ignore[arg-type]
        if tok.kind == lexer.DATETIME:
            self.advance()
            return DateTimeLit(tok.value, tok.text, tok.pos)  # type: ignore[arg-type]
        if tok.kind == lexer.IDENT:
            word = tok.text.upper()
            if word in ("TRUE", "FALSE"):
                self.advance()
                return BoolLit(word == "TRUE", tok.pos)
            if word == "NULL":
                self.advance()
                return NullLit(tok.pos)
            if word in RANGE_LITERALS:
                self.advance()
                return DateRangeLit(word, None, tok.pos)
            if word in N_LITERALS:
                self.advance()
                if not self.is_punct(":"):
                    raise self.unexpected()
                self.advance()
                return DateRangeLit(word, self.nonneg_int(), tok.pos)
        raise self.unexpected()


def parse(text: str) -> Query:
    """Parse SOQL text into an immutable Query (cached: the AST is immutable). Raises SoqlError."""
    if not isinstance(text, str):
        raise SoqlError(MALFORMED_QUERY, "query must be a string")
    return _parse_cached(text)


@lru_cache(maxsize=512)
def _parse_cached(text: str) -> Query:
    return _Parser(text).query()
