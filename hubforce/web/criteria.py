"""The list builder's form: name, list type and up to three criteria over contact properties,
checked field by field (errors keyed by the form field they belong to, so the page can show each
next to its field) and turned into a HubSpot lists v3 `filterBranch` (one AND group)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROWS = 3
OPERATORS = {
    "eq": "is equal to",
    "neq": "is not equal to",
    "contains": "contains",
    "known": "is known",
    "unknown": "is unknown",
}
LIST_TYPES = {"active": "DYNAMIC", "static": "MANUAL"}


@dataclass
class ListForm:
    name: str = ""
    kind: str = "active"
    rows: list[dict[str, str]] = field(default_factory=lambda: [{"prop": "", "op": "eq", "value": ""} for _ in range(ROWS)])
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Any) -> ListForm:
        rows = [
            {"prop": form.get(f"prop{i}", "").strip(), "op": form.get(f"op{i}", "eq"), "value": form.get(f"value{i}", "").strip()}
            for i in range(1, ROWS + 1)
        ]
        return cls(name=form.get("name", "").strip(), kind=form.get("kind", "active"), rows=rows)

    def used_rows(self) -> list[tuple[int, dict[str, str]]]:
        return [(i, r) for i, r in enumerate(self.rows, start=1) if r["prop"] or r["value"]]

    def validate(self, properties: dict[str, dict[str, Any]]) -> bool:
        """Fill `errors`; True when the form can be saved. `properties`: HubSpot contact
        properties by name (type and, for enumerations, their options)."""
        self.errors = {}
        if not self.name:
            self.errors["name"] = "Enter a name for the list."
        if self.kind not in LIST_TYPES:
            self.errors["kind"] = "Choose an active or a static list."
        used = self.used_rows()
        if self.kind == "active" and not used:
            self.errors["prop1"] = "An active list needs at least one criterion."
        for i, row in used:
            self._check_row(i, row, properties)
        return not self.errors

    def _check_row(self, i: int, row: dict[str, str], properties: dict[str, dict[str, Any]]) -> None:
        prop = properties.get(row["prop"])
        if prop is None:
            self.errors[f"prop{i}"] = "Choose a contact property." if not row["prop"] else f"No contact property named {row['prop']!r}."
            return
        if row["op"] not in OPERATORS:
            self.errors[f"op{i}"] = "Choose a condition."
            return
        if row["op"] in ("known", "unknown"):
            return
        if not row["value"]:
            self.errors[f"value{i}"] = f"Enter a value for {prop.get('label') or prop['name']}."
            return
        options = [o["value"] for o in prop.get("options") or []]
        if prop.get("type") == "enumeration" and options and row["value"] not in options:
            self.errors[f"value{i}"] = (
                f"{row['value']!r} is not an option of {prop.get('label') or prop['name']} "
                f"(options: {', '.join(options)})."
            )
        elif prop.get("type") == "number":
            try:
                float(row["value"])
            except ValueError:
                self.errors[f"value{i}"] = f"{prop.get('label') or prop['name']} is a number; {row['value']!r} is not."

    def filter_branch(self, properties: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        if self.kind != "active" and not self.used_rows():
            return None
        filters = [_filter(r, properties[r["prop"]]) for _, r in self.used_rows()]
        return {
            "filterBranchType": "OR",
            "filterBranchOperator": "OR",
            "filters": [],
            "filterBranches": [
                {"filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [], "filters": filters}
            ],
        }

    def summary(self) -> list[str]:
        """The criteria in words, for the Review step."""
        out = []
        for _, r in self.used_rows():
            words = f"{r['prop']} {OPERATORS.get(r['op'], r['op'])}"
            out.append(words if r["op"] in ("known", "unknown") else f"{words} {r['value']!r}")
        return out


def _filter(row: dict[str, str], prop: dict[str, Any]) -> dict[str, Any]:
    op, value, kind = row["op"], row["value"], prop.get("type")
    operation: dict[str, Any]
    if op in ("known", "unknown"):
        operation = {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN" if op == "known" else "IS_UNKNOWN"}
    elif kind == "enumeration" and op in ("eq", "neq"):
        operation = {"operationType": "ENUMERATION", "operator": "IS_ANY_OF" if op == "eq" else "IS_NONE_OF", "values": [value]}
    elif kind == "number" and op in ("eq", "neq"):
        operation = {"operationType": "NUMBER", "operator": "IS_EQUAL_TO" if op == "eq" else "IS_NOT_EQUAL_TO", "value": float(value)}
    elif op == "contains":
        operation = {"operationType": "MULTISTRING", "operator": "CONTAINS", "values": [value]}
    else:
        operation = {"operationType": "MULTISTRING", "operator": "IS_EQUAL_TO" if op == "eq" else "IS_NOT_EQUAL_TO", "values": [value]}
    return {"filterType": "PROPERTY", "property": row["prop"], "operation": operation}
