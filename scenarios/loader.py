"""Read and validate scenario files. Every problem becomes a ScenarioFileError whose message is
`file:line: what is wrong` — never a traceback (the JSON Schema in schema.json plus a few checks
a schema cannot express, such as a `ref:` to a handle nobody named)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scenarios.model import Scenario, Step
from scenarios.yamlmarks import MarkedDict, MarkedList, line_of, load_marked

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCENARIO_SUFFIX = ".scenario.yaml"
DEFAULT_SEED = 1234
MAX_ERRORS = 8


class ScenarioFileError(Exception):
    """A scenario file that cannot be used. `problems` are (line, message) pairs."""

    def __init__(self, path: Path | str, problems: list[tuple[int, str]]) -> None:
        self.path = Path(path)
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{self.path}:{line}: {msg}" for line, msg in self.problems))

    @property
    def line(self) -> int:
        return self.problems[0][0] if self.problems else 1


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    return cls(schema())


def step_names() -> list[str]:
    return sorted(schema()["$defs"]["steps"])


def expectation_names() -> list[str]:
    return sorted(schema()["$defs"]["expectations"])


def find_scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(sorted(path.rglob(f"*{SCENARIO_SUFFIX}")))
        elif path.exists():
            out.append(path)
        else:
            raise FileNotFoundError(f"no such scenario file or folder: {path}")
    return out


def load_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(path, [(1, f"cannot read the file: {exc.strerror or exc}")]) from None
    return load_text(text, path)


def load_text(text: str, path: str | Path = "<scenario>") -> Scenario:
    path = Path(path)
    try:
        data = load_marked(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        msg = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
        raise ScenarioFileError(path, [(line, msg)]) from None
    if not isinstance(data, MarkedDict):
        raise ScenarioFileError(
            path,
            [(1, "a scenario file must be a mapping with id, title, covers, sources, given, when, then")],
        )
    problems = list(_schema_problems(data))
    if problems:
        raise ScenarioFileError(path, problems[:MAX_ERRORS])
    problems = list(_reference_problems(data))
    if problems:
        raise ScenarioFileError(path, problems[:MAX_ERRORS])
    return _build(path, data)


# --- schema errors, in words ------------------------------------------------------------------


def _schema_problems(data: MarkedDict) -> Iterator[tuple[int, str]]:
    seen: set[tuple[int, str]] = set()
    for err in sorted(
        _validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    ):
        for line, msg in _explain(data, err):
            if (line, msg) not in seen:
                seen.add((line, msg))
                yield line, msg


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _explain(data: MarkedDict, err: jsonschema.ValidationError) -> list[tuple[int, str]]:
    path = list(err.absolute_path)
    line = line_of(data, path)
    where = _where(path)
    v = err.validator
    if v == "allOf" or v == "if":
        return []  # the nested `then` errors say it better
    if v == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        known = ", ".join(sorted(err.schema.get("properties", {})))
        return [(line_of(data, [*path, k]), f"{where}: unknown key {k!r} (allowed: {known})") for k in extra]
    if "propertyNames" in err.absolute_schema_path:
        names = list(err.validator_value) if v == "enum" else []
        kind = "expectation" if path and path[0] == "then" else "step"
        return [(line, f"{where}: unknown {kind} {err.instance!r}{_suggest(str(err.instance), names)}")]
    if v in ("minProperties", "maxProperties") and "propertyNames" in err.schema:
        return [
            (
                line,
                f"{where}: each item must be exactly one `name: arguments` pair, got {len(err.instance)} keys",
            )
        ]
    if v == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        return [(line, f"{where}: missing required key {', '.join(map(repr, missing))}")]
    if v == "oneOf" and all(set(s) == {"required"} for s in err.validator_value):
        keys = [s["required"][0] for s in err.validator_value]
        given = [k for k in keys if k in err.instance]
        if given:
            return [(line, f"{where}: give only one of {', '.join(keys)} (got {', '.join(given)})")]
        return [(line, f"{where}: give one of {', '.join(keys)} to say which record")]
    if v == "anyOf" and all(set(s) == {"required"} for s in err.validator_value):
        keys = [s["required"][0] for s in err.validator_value]
        return [(line, f"{where}: give at least one of {', '.join(keys)}")]
    if v == "pattern":
        desc = err.schema.get("description")
        return [
            (
                line,
                f"{where}: {err.instance!r} is not valid here"
                + (f" ({desc})" if desc else f" (must match {err.validator_value})"),
            )
        ]
    if v == "enum":
        return [
            (line, f"{where}: {err.instance!r} is not one of: {', '.join(map(str, err.validator_value))}")
        ]
    if v == "type":
        expected = (
            err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        )
        return [(line, f"{where}: expected {_article(expected)}, got {_describe(err.instance)}")]
    if v in ("anyOf", "oneOf") and err.context:
        # Report the alternative that got furthest (deepest error path), in words.
        best = max(err.context, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
        explained = _explain(data, best)
        if explained:
            return explained
    return [(line, f"{where}: {err.message}")]


def _article(type_name: str) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "nothing (null)",
    }
    return " or ".join(names.get(t.strip(), t) for t in type_name.split(" or "))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"


def _suggest(word: str, names: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else f" (known: {', '.join(names)})"


# --- checks a schema cannot express ------------------------------------------------------------

_REF_KEYS = ("ref", "refs", "primary", "merged", "master", "account", "members")
_NAME_KEYS = ("as", "contact_as", "account_as")


def _reference_problems(data: MarkedDict) -> Iterator[tuple[int, str]]:
    """Every `ref:` must name a handle defined earlier with `as:`; handles must be unique."""
    defined: dict[str, int] = {}
    given = data.get("given") or {}

    def define(item: Any, line: int) -> Iterator[tuple[int, str]]:
        if not isinstance(item, dict):
            return
        for key in _NAME_KEYS:
            name = item.get(key)
            if isinstance(name, str):
                if name in defined:
                    yield line, f"handle {name!r} is already defined on line {defined[name]}"
                defined[name] = line

    def use(item: Any, line: int, where: str) -> Iterator[tuple[int, str]]:
        if not isinstance(item, dict):
            return
        for key in _REF_KEYS:
            value = item.get(key)
            for name in value if isinstance(value, list) else [value]:
                if isinstance(name, str) and "@" not in name and name not in defined:
                    yield (
                        line,
                        f"{where}: {key} {name!r} names no record handle defined before it (define it with `as: {name}`)",
                    )
        for key in ("hubspot", "salesforce", "record"):  # link / sync_errors / decision_log
            value = item.get(key)
            if isinstance(value, str) and "@" not in value and value not in defined and "then" in where:
                yield (
                    line,
                    f"{where}: {key} {value!r} names no record handle (use an email or a handle defined with `as:`)",
                )

    hs = given.get("hubspot") or {}
    for i, c in enumerate(hs.get("contacts") or []):
        yield from define(c, line_of(data, ["given", "hubspot", "contacts", i]))
    sf = given.get("salesforce") or {}
    for kind in ("records", "leads", "contacts"):
        for i, r in enumerate(sf.get(kind) or []):
            yield from define(r, line_of(data, ["given", "salesforce", kind, i]))
    for i, lst in enumerate(given.get("lists") or []):
        yield from use(lst, line_of(data, ["given", "lists", i]), f"given.lists[{i + 1}]")
    for block in ("when", "then"):
        items = data.get(block) or []
        for i, step in enumerate(items):
            if not isinstance(step, dict) or len(step) != 1:
                continue
            ((name, args),) = step.items()
            line = line_of(data, [block, i])
            if name == "check" and isinstance(args, list):
                for j, item in enumerate(args):
                    if isinstance(item, dict) and len(item) == 1:
                        ((inner, inner_args),) = item.items()
                        yield from use(
                            inner_args,
                            line_of(data, [block, i, name, j]),
                            f"then-style check {block}[{i + 1}].check[{j + 1}] {inner}",
                        )
                        yield from define(inner_args, line_of(data, [block, i, name, j]))  # `as:` on a check
                continue
            yield from use(args, line, f"{block}[{i + 1}] {name}")
            if block == "when":
                yield from define(args, line)
            if name == "sync.during" and isinstance(args, dict):  # the person's steps inside it
                for j, item in enumerate(args.get("do") or []):
                    if isinstance(item, dict) and len(item) == 1:
                        ((inner, inner_args),) = item.items()
                        where = f"{block}[{i + 1}] sync.during do[{j + 1}] {inner}"
                        yield from use(inner_args, line_of(data, [block, i, name, "do", j]), where)


def _build(path: Path, data: MarkedDict) -> Scenario:
    def steps(block: str) -> list[Step]:
        items: MarkedList | list[Any] = data.get(block) or []
        out = []
        for i, item in enumerate(items):
            ((name, args),) = item.items()
            out.append(Step(name=name, args=args, line=line_of(data, [block, i]), index=i + 1))
        return out

    assumption = data.get("assumption")
    assumptions = (
        [] if assumption is None else ([assumption] if isinstance(assumption, str) else list(assumption))
    )
    return Scenario(
        path=path,
        id=data["id"],
        title=data["title"],
        covers=list(data["covers"]),
        sources=list(data["sources"]),
        source=data.get("source"),
        assumption=[re.match(r"A\d+", a).group(0) for a in assumptions],  # type: ignore[union-attr]
        seed=int(data.get("seed", DEFAULT_SEED)),
        slow=bool(data.get("slow", False)),
        given=data.get("given") or {},
        when=steps("when"),
        then=steps("then"),
        line=data.line,
        given_line=data.key_lines.get("given", 1),
        raw=data,
    )
