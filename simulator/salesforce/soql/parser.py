"""Recursive-descent SOQL parser: tokens -> `nodes.Query`.

Grammar (keywords case-insensitive)::

    query      := SELECT (COUNT '(' ')' | item (',' item)*) FROM ident
                  [WHERE cond] [WITH SECURITY_ENFORCED] [GROUP BY path (',' path)*] [HAVING cond]
                  [ORDER BY order (',' order)*] [LIMIT int] [OFFSET int] [FOR UPDATE]
    item       := path [alias] | AGGREGATE '(' path ')' [alias] | FIELDS '(' ALL|STANDARD|CUSTOM ')'
                  | '(' query ')'                          -- a child relationship sub-query
    path       := ident ('.' ident)* | TOLABEL '(' path ')'
                  | DATE_FUNCTION '(' path ')'            -- in WHERE comparisons only
    (other SOQL functions, TYPEOF, USING SCOPE, other WITH / FOR clauses and fiscal literals are
    refused as "... is not supported by this sandbox")
    cond       := unary ((AND unary)* | (OR unary)*)     -- mixing AND/OR needs parentheses (as in SOQL)
    unary      := NOT unary | '(' cond ')' | path compare  -- in HAVING, path may be AGGREGATE '(' path ')'
    compare    := op literal | LIKE literal | [NOT] IN list | INCLUDES list | EXCLUDES list
                  | [NOT] IN '(' query ')'                 -- semi-join / anti-join
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
    AGGREGATE_FUNCTIONS,
    Aggregate,
    And,
    BoolLit,
    Comparison,
    Condition,
    DateLit,
    DateRangeLit,
    DateTimeLit,
    FieldPath,
    FieldsMacro,
    Literal,
    Not,
    NullLit,
    NumberLit,
    Or,
    OrderItem,
    Query,
    SelectItem,
    SemiJoin,
    SetComparison,
    StringLit,
    SubQuery,
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
# SOQL features the sandbox does not implement: each is refused with "<feature> is not supported by
# this sandbox", not a MALFORMED_QUERY that reads like the user's mistake (issue 13).
UNSUPPORTED_FUNCTIONS = frozenset(
    [
        "FORMAT", "CONVERTCURRENCY", "CONVERTTIMEZONE", "GROUPING", "DISTANCE", "GEOLOCATION",
        "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR",
    ]
)
# Date functions (SOQL reference, "Date Functions"): built in WHERE comparisons; in SELECT and GROUP
# BY they belong to aggregate queries, which the sandbox does not implement.
DATE_FUNCTIONS = frozenset(
    [
        "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK", "DAY_IN_YEAR",
        "DAY_ONLY", "HOUR_IN_DAY", "WEEK_IN_MONTH", "WEEK_IN_YEAR",
    ]
)
FISCAL_LITERALS = frozenset(
    [
        "LAST_FISCAL_QUARTER", "THIS_FISCAL_QUARTER", "NEXT_FISCAL_QUARTER",
        "LAST_FISCAL_YEAR", "THIS_FISCAL_YEAR", "NEXT_FISCAL_YEAR",
        "LAST_N_FISCAL_QUARTERS", "NEXT_N_FISCAL_QUARTERS", "N_FISCAL_QUARTERS_AGO", "N_FISCAL_QUARTERS_FROM_NOW",
        "LAST_N_FISCAL_YEARS", "NEXT_N_FISCAL_YEARS", "N_FISCAL_YEARS_AGO", "N_FISCAL_YEARS_FROM_NOW",
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
        self.in_having = False  # aggregates may stand on the left of a comparison
        self.subquery_depth = 0

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

    def unsupported(self, feature: str, tok: Token | None = None) -> SoqlError:
        return self.fail(f"{feature} is not supported by this sandbox", tok)

    def nonneg_int(self) -> int:
        tok = self.peek()
        if tok.kind != lexer.NUMBER or not isinstance(tok.value, int) or tok.text[0] in "+-":
            raise self.unexpected()
        self.advance()
        return tok.value

    # --- grammar ------------------------------------------------------------------------------------
    def query(self) -> Query:
        """A whole statement (up to EOF)."""
        q = self.select_statement()
        if self.peek().kind != lexer.EOF:
            raise self.unexpected()
        return q

    def nested(self) -> Query:
        """`(SELECT ...)` after its opening parenthesis, through the closing one."""
        self.subquery_depth += 1
        try:
            if self.subquery_depth > 1:
                raise self.fail("sub-queries inside sub-queries are not supported by this sandbox")
            q = self.select_statement()
        finally:
            self.subquery_depth -= 1
        self.expect_punct(")")
        return q

    def select_statement(self) -> Query:
        self.expect_kw("SELECT")
        is_count = False
        items: list[SelectItem] = []
        if self.is_kw("COUNT") and self.is_punct("(", 1) and self.is_punct(")", 2):
            for _ in range(3):
                self.advance()
            is_count = True
        else:
            if self.is_kw("TYPEOF"):
                raise self.unsupported("TYPEOF")
            items.append(self.select_item())
            while self.is_punct(","):
                self.advance()
                items.append(self.select_item())
        self.expect_kw("FROM")
        obj_tok = self.peek()
        if obj_tok.kind != lexer.IDENT:
            raise self.unexpected()
        self.advance()
        if self.is_kw("USING"):
            raise self.unsupported("USING SCOPE")
        where = None
        if self.is_kw("WHERE"):
            self.advance()
            where = self.condition()
        self.with_clause()
        group_by, having = self.group_by()
        order: list[OrderItem] = []
        if self.is_kw("ORDER"):
            self.advance()
            self.expect_kw("BY")
            order.append(self.order_item())
            while self.is_punct(","):
                self.advance()
                order.append(self.order_item())
        limit = offset = None
        limit_pos = self.peek().pos
        if self.is_kw("LIMIT"):
            self.advance()
            limit_pos = self.peek().pos
            limit = self.nonneg_int()
        offset_pos = self.peek().pos
        if self.is_kw("OFFSET"):
            self.advance()
            offset_pos = self.peek().pos
            offset = self.nonneg_int()
        self.for_clause()
        return Query(
            object_name=obj_tok.text,
            fields=tuple(i for i in items if isinstance(i, FieldPath)),
            is_count=is_count,
            where=where,
            order_by=tuple(order),
            limit=limit,
            offset=offset,
            text=self.text,
            object_pos=obj_tok.pos,
            offset_pos=offset_pos,
            select=tuple(items),
            group_by=group_by,
            having=having,
            limit_pos=limit_pos,
        )

    def select_item(self) -> SelectItem:
        tok = self.peek()
        if tok.kind == lexer.PUNCT and tok.text == "(" and self.is_kw("SELECT", 1):
            self.advance()
            return SubQuery(self.nested(), tok.pos)
        if tok.kind == lexer.IDENT and self.is_punct("(", 1) and tok.text.upper() == "FIELDS":
            self.advance()
            self.advance()
            kind = self.peek()
            if kind.kind != lexer.IDENT or kind.text.upper() not in ("ALL", "STANDARD", "CUSTOM"):
                raise self.unexpected()
            self.advance()
            self.expect_punct(")")
            return FieldsMacro(kind.text.upper(), tok.pos)
        item: FieldPath | Aggregate = self.aggregate() if self.at_aggregate() else self.path()
        alias = self.alias()
        if alias is None:
            return item
        if isinstance(item, Aggregate):
            return Aggregate(item.func, item.arg, alias, item.pos)
        return FieldPath(item.parts, item.pos, item.func, alias)

    def alias(self) -> str | None:
        """An alias is a plain word followed by `,` or FROM (so `SELECT Id FORM Lead` still blames
        FORM rather than taking it for an alias)."""
        tok = self.peek()
        ends = self.is_punct(",", 1) or self.is_kw("FROM", 1)
        if tok.kind == lexer.IDENT and tok.text.upper() not in RESERVED and ends:
            self.advance()
            return tok.text
        return None

    def at_aggregate(self) -> bool:
        tok = self.peek()
        return tok.kind == lexer.IDENT and tok.text.upper() in AGGREGATE_FUNCTIONS and self.is_punct("(", 1)

    def aggregate(self) -> Aggregate:
        tok = self.advance()
        self.advance()
        if self.is_punct(")"):  # COUNT() only stands alone: SELECT COUNT() FROM ...
            raise self.unexpected()
        arg = self.path()
        self.expect_punct(")")
        return Aggregate(tok.text.upper(), arg, None, tok.pos)

    def group_by(self) -> tuple[tuple[FieldPath, ...], Condition | None]:
        group: list[FieldPath] = []
        if self.is_kw("GROUP"):
            self.advance()
            self.expect_kw("BY")
            if self.peek().kind == lexer.IDENT and self.peek().text.upper() in ("ROLLUP", "CUBE") and self.is_punct("(", 1):
                raise self.unsupported(f"GROUP BY {self.peek().text.upper()}")
            group.append(self.path())
            while self.is_punct(","):
                self.advance()
                group.append(self.path())
        having = None
        if self.is_kw("HAVING"):
            self.advance()
            self.in_having = True
            try:
                having = self.condition()
            finally:
                self.in_having = False
        return tuple(group), having

    def with_clause(self) -> None:
        """`WITH SECURITY_ENFORCED` checks that the user can read every field the query names and
        fails the query otherwise (SOQL reference, "Filter SOQL Queries Using WITH SECURITY_ENFORCED").
        The sandbox's integration user reads every field, so the check always passes: accepted, no-op."""
        if not self.is_kw("WITH"):
            return
        with_tok = self.advance()
        if self.is_kw("SECURITY_ENFORCED"):
            self.advance()
            return
        shown = self.peek().text if self.peek().kind != lexer.EOF else ""
        raise self.unsupported(f"WITH {shown}".strip(), with_tok)

    def for_clause(self) -> None:
        """`FOR UPDATE` locks the rows for the transaction; one REST call is one transaction, so the
        lock is never observable through the API: accepted, no-op. FOR VIEW / FOR REFERENCE (which
        update LastViewedDate / LastReferencedDate) are not built."""
        if not self.is_kw("FOR"):
            return
        for_tok = self.advance()
        if self.is_kw("UPDATE"):
            self.advance()
            return
        shown = self.peek().text.upper() if self.peek().kind != lexer.EOF else ""
        raise self.unsupported(f"FOR {shown}".strip(), for_tok)

    def function(self, in_where: bool = False) -> FieldPath:
        """`name(` in a field position: toLabel(field) is built (the sandbox's picklist labels are
        their values, so it reads the field itself, under the field's name as Salesforce keys it);
        the other SOQL functions are refused as unsupported; unknown names are the user's mistake."""
        tok = self.peek()
        name = tok.text.upper()
        if name == "TOLABEL":
            self.advance()
            self.advance()
            inner = self.path()
            self.expect_punct(")")
            return inner
        if name in DATE_FUNCTIONS:
            if not in_where:
                raise self.unsupported(f"{name}() outside WHERE (aggregate queries)", tok)
            self.advance()
            self.advance()
            inner = self.path()
            self.expect_punct(")")
            return FieldPath(inner.parts, tok.pos, func=name)
        if name in UNSUPPORTED_FUNCTIONS:
            raise self.unsupported(f"{name}()", tok)
        raise self.unexpected(self.peek(1))

    def path(self, in_where: bool = False) -> FieldPath:
        tok = self.peek()
        if tok.kind == lexer.IDENT and self.is_punct("(", 1) and tok.text.upper() not in RESERVED:
            return self.function(in_where)
        if tok.kind != lexer.IDENT or tok.text.upper() in RESERVED:
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
        fp: FieldPath | Aggregate = self.aggregate() if self.at_aggregate() else self.path()
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
        fp: FieldPath | Aggregate = (
            self.aggregate() if self.in_having and self.at_aggregate() else self.path(in_where=True)
        )
        tok = self.peek()
        if tok.kind == lexer.OP:
            self.advance()
            op = "!=" if tok.text == "<>" else tok.text
            return Comparison(fp, op, self.literal(), tok.pos)
        if self.is_kw("LIKE"):
            self.advance()
            return Comparison(fp, "LIKE", self.literal(), tok.pos)
        if isinstance(fp, Aggregate):  # HAVING COUNT(Id) IN (...) is not SOQL
            raise self.unexpected()
        for word in ("IN", "INCLUDES", "EXCLUDES"):
            if self.is_kw(word):
                self.advance()
                if word == "IN" and self.at_sub_select():
                    return self.semi_join(fp, False, tok)
                return SetComparison(fp, word, self.literal_list(), tok.pos)
        if self.is_kw("NOT"):
            self.advance()
            self.expect_kw("IN")  # `NOT LIKE` is not SOQL: blame the token after NOT
            if self.at_sub_select():
                return self.semi_join(fp, True, tok)
            return SetComparison(fp, "NOT IN", self.literal_list(), tok.pos)
        raise self.unexpected()

    def at_sub_select(self) -> bool:
        return self.is_punct("(") and self.is_kw("SELECT", 1)

    def semi_join(self, fp: FieldPath, negated: bool, tok: Token) -> SemiJoin:
        self.advance()
        return SemiJoin(fp, negated, self.nested(), tok.pos)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
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
            if word in FISCAL_LITERALS:
                raise self.unsupported(f"fiscal date literal {word}", tok)
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
